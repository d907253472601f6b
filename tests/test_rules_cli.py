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


def test_rules_at_bad_date(cli):
    r = run(cli, "rules", "at", "112.48", "26.82", "--date", "2020-02-30")
    assert r.exit_code == 1 and "bad date '2020-02-30'" in r.output


def test_rules_verify(cli):
    r = run(cli, "rules", "verify")
    assert r.exit_code == 0 and r.output.strip().endswith("citations resolve")
