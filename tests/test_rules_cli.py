"""CLI wrappers: exit codes, one-line errors, printed answers (click's CliRunner)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from zoning.cli.main import ZoningGroup
from zoning.cli.rules import commands
from zoning.rules import at_location


@pytest.fixture
def cli():
    group = ZoningGroup("zoning")  # only this module's commands: other command modules may be mid-edit
    for command in commands:
        group.add_command(command)
    return group


def run(cli, *args):
    return CliRunner().invoke(cli, list(args))


def test_health_grade(cli):
    r = run(cli, "health-grade", "--event", "食物中毒", "--cases", "101", "--deaths", "1")
    assert r.exit_code == 0
    assert "重大（II级）by II-10" in r.output and "一次食物中毒人数超过100人并出现死亡病例" in r.output


def test_health_grade_gap(cli):
    r = run(cli, "health-grade", "--event", "cholera", "--cases", "9")
    assert r.exit_code == 0 and "no grade" in r.output


def test_bad_event_is_one_line_error(cli):
    r = run(cli, "health-grade", "--event", "flu", "--cases", "3")
    assert r.exit_code == 1
    lines = r.stderr.strip().splitlines() if hasattr(r, "stderr") else r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("zoning: error: unknown event type 'flu'; choose one of:")
    assert "cholera (霍乱)" in lines[0]


def test_enterprise_relief(cli):
    r = run(cli, "enterprise-relief", "--premises", "state", "--month", "2020-04", "--sector", "manufacturing")
    assert r.exit_code == 0 and "rent halved (50 %)" in r.output and "第4条之三" in r.output
    r = run(cli, "enterprise-relief", "--premises", "state", "--month", "2020-07", "--sector", "manufacturing")
    assert r.exit_code == 0 and "rent reduction: none" in r.output


def test_enterprise_relief_bad_month(cli):
    r = run(cli, "enterprise-relief", "--premises", "state", "--month", "2020-00", "--sector", "manufacturing")
    assert r.exit_code == 1 and "bad month '2020-00'" in r.output and "Traceback" not in r.output


def test_rules_at_with_stub(cli, monkeypatch):
    site = SimpleNamespace(township="三塘镇", township_approximate=True, inside_county=True, verdict="ok",
                           zones=[{"code": "J36", "name": "三塘镇", "level": 1}])
    real = at_location.rules_at
    monkeypatch.setattr(at_location, "rules_at",
                        lambda *a, **kw: real(*a, **kw, lookup=lambda *_a, **_k: site, aliases={}))
    r = run(cli, "rules", "at", "112.48", "26.82", "--date", "2020-02-20")
    assert r.exit_code == 0, r.output
    assert "township: 三塘镇 (approximate)" in r.output and "J36 三塘镇 (level 1)" in r.output
    assert "强化防控意识和防控措施" in r.output
    assert "health_units: 22 county-wide rows" in r.output


@pytest.mark.parametrize("date", ["2020-02-30", "20200220", "", "0000-01-01", "2020-2-20"])
def test_rules_at_bad_date(cli, date):
    r = run(cli, "rules", "at", "112.48", "26.82", "--date", date)
    assert r.exit_code == 1 and f"bad date '{date}': write it as YYYY-MM-DD" in r.output and "Traceback" not in r.output


def test_enterprise_relief_year_zero(cli):
    r = run(cli, "enterprise-relief", "--premises", "state", "--month", "0000-01", "--sector", "manufacturing")
    assert r.exit_code == 1 and "bad month '0000-01'" in r.output and "Traceback" not in r.output


@pytest.mark.parametrize("args", [("health-grade", "--event", "霍乱", "--cases", "1"),
                                  ("rules", "at", "113.06", "26.77", "--date", "2020-03-01"),
                                  ("enterprise-relief", "--premises", "state", "--month", "2020-04", "--sector", "other"),
                                  ("rules", "verify")])
def test_unknown_county(cli, args):
    r = run(cli, *args, "--county", "nosuch")
    assert r.exit_code == 1, r.output
    assert "unknown county 'nosuch': no nosuch/ folder in" in r.output and "(counties: hengnan" in r.output
    assert "zones.gpkg" not in r.output and "vocabulary.toml" not in r.output


@pytest.mark.parametrize(("args", "message"), [
    (("--event", "乙类传染病", "--excess", "nan"), "excess nan must be a finite number ≥ 0"),
    (("--event", "乙类传染病", "--excess", "-5"), "excess -5 must be a finite number ≥ 0"),
    (("--event", "食物中毒", "--deaths", "5", "--cases", "2"), "deaths (5) exceed people poisoned (2)"),
    (("--event", "cholera", "--cases", "3", "--excess", "2"), "excess applies only to class_b_c"),
])
def test_health_grade_refuses_impossible_numbers(cli, args, message):
    r = run(cli, "health-grade", *args)
    assert r.exit_code == 1 and message in r.output and "Traceback" not in r.output


def _stub_site(monkeypatch, **extra):
    site = SimpleNamespace(township="花桥镇", township_approximate=True, inside_county=True, verdict="depends on size",
                           zones=[{"code": "J27", "name": "花桥镇", "level": 1}], **extra)
    real = at_location.rules_at
    monkeypatch.setattr(at_location, "rules_at",
                        lambda *a, **kw: real(*a, **kw, lookup=lambda *_a, **_k: site, aliases={}))


@pytest.mark.parametrize("date", ["1800-01-01", "2020-02-20", "2020-02-27"])
def test_rules_at_before_the_zoning_plan(cli, monkeypatch, date):
    _stub_site(monkeypatch)
    r = run(cli, "rules", "at", "113.06", "26.77", "--date", date)
    assert r.exit_code == 0, r.output
    assert (f"zone status: not yet in force: 清政发[2020]2号 applies from 2020-02-28; no zone ban applies on {date}"
            in r.output)
    assert "verdict:" not in r.output


def test_rules_at_from_the_plans_issue(cli, monkeypatch):
    _stub_site(monkeypatch)
    r = run(cli, "rules", "at", "113.06", "26.77", "--date", "2020-02-28")
    assert "zone status: in force (清政发[2020]2号, from 2020-02-28)" in r.output
    assert "verdict: depends on size" in r.output


def test_rules_at_reports_swapped_coordinates(cli, monkeypatch):
    _stub_site(monkeypatch, swapped=True)
    r = run(cli, "rules", "at", "26.77", "113.06", "--date", "2020-03-01")
    assert "note: longitude and latitude looked swapped; read as lon=113.06, lat=26.77" in r.output
    r = run(cli, "rules", "at", "26.77", "113.06", "--date", "2020-03-01", "--json")
    assert '"swapped": true' in r.output


def test_rules_verify(cli):
    r = run(cli, "rules", "verify")
    assert r.exit_code == 0 and r.output.strip().endswith("citations resolve")
