"""`rules at`: location lookup injected as a stub; one integration run with the real check_point."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from zoning.errors import ZoningError
from zoning.rules import at_location

ALIASES = {"岐山镇": ["鸡笼镇", "岐山办事处"], "云集街道": ["云集镇"]}


def stub(township, *, inside=True, zones=(), swapped=False):
    calls = []

    def lookup(lon, lat, *, county, **kw):
        calls.append((lon, lat, county, kw))
        return SimpleNamespace(township=township, township_approximate=True, zones=list(zones),
                               inside_county=inside, verdict="stub verdict", swapped=swapped)

    lookup.calls = calls
    return lookup


def test_merged_township_gets_the_rules_of_its_former_name():
    lookup = stub("岐山镇", zones=[{"code": "J28", "name": "鸡笼镇", "level": 1}])
    r = at_location.rules_at(112.2, 26.84, on="2020-02-20", county="hengnan", lookup=lookup, aliases=ALIASES)
    assert lookup.calls == [(112.2, 26.84, "hengnan", {})]
    assert r.township == "岐山镇" and r.zones[0]["code"] == "J28"
    speech = {x.row_id for x in r.groups["两线作战调度会讲话(2020-02-20)"]}
    assert speech == {"E02", "E07", "E08", "M01"}
    # grouped by document in the order of index.toml; 清政发[2020]1号 is in force on this date
    assert list(r.groups) == ["两线作战调度会讲话(2020-02-20)", "清政发[2020]1号", "清政办发[2020]2号", "清政办发[2020]6号"]


def test_unnamed_township_low_risk_and_dates():
    lookup = stub("茶市镇")
    r = at_location.rules_at(112.77, 26.68, on="2020-07-01", county="hengnan", lookup=lookup, aliases={})
    assert "清政发[2020]1号" not in r.groups                                  # expired 2020-06-30
    speech = {x.row_id: x for x in r.groups["两线作战调度会讲话(2020-02-20)"]}
    assert speech["E03"].details["risk_level"] == "低风险"
    r = at_location.rules_at(112.77, 26.68, on="2020-02-06", county="hengnan", lookup=lookup, aliases={})
    assert "清政发[2020]1号" in r.groups and "两线作战调度会讲话(2020-02-20)" not in r.groups
    assert "清政办发[2020]6号" not in r.groups                                 # issued 2020-02-18
    r = at_location.rules_at(112.77, 26.68, on="2020-01-29", county="hengnan", lookup=lookup, aliases={})
    assert r.groups == {}                                                     # before every document


def test_outside_the_county_nothing_applies():
    r = at_location.rules_at(113.5, 27.5, on="2020-03-01", county="hengnan", lookup=stub(None, inside=False), aliases={})
    assert r.groups == {} and not r.inside_county


def test_crs_is_passed_to_the_lookup_and_json_form():
    lookup = stub("花桥镇")
    r = at_location.rules_at(500000, 2960000, on="2020-03-01", county="hengnan", crs="EPSG:4547", lookup=lookup,
                             aliases={})
    assert lookup.calls[0][3] == {"crs": "EPSG:4547"}
    d = r.to_dict()
    assert d["date"] == "2020-03-01" and d["township"] == "花桥镇"
    assert d["documents"]["两线作战调度会讲话(2020-02-20)"][0]["row_id"] == "E01"


def test_zone_status_follows_the_plans_dates_in_index_toml(monkeypatch):
    lookup = stub("花桥镇", zones=[{"code": "J27", "name": "花桥镇", "level": 1}])
    before = at_location.rules_at(113.06, 26.77, on="2020-02-27", county="hengnan", lookup=lookup, aliases={})
    assert before.verdict is None and before.zone_status.startswith("not yet in force: 清政发[2020]2号 applies from 2020-02-28")
    on = at_location.rules_at(113.06, 26.77, on="2020-02-28", county="hengnan", lookup=lookup, aliases={})
    assert on.verdict == "stub verdict" and on.zone_status.startswith("in force")
    # the dates are read from index.toml, not written in the code
    index = at_location.load_index("hengnan")
    docs = [dict(d, valid_to=dt.date(2021, 1, 1)) if d["id"] == "清政发[2020]2号" else d for d in index["documents"]]
    monkeypatch.setattr(at_location, "load_index", lambda county=None: {**index, "documents": docs})
    monkeypatch.setattr("zoning.rules.citations.load_index", lambda county=None: {**index, "documents": docs})
    after = at_location.rules_at(113.06, 26.77, on="2021-01-02", county="hengnan", lookup=lookup, aliases={})
    assert after.verdict is None and after.zone_status == "no longer in force: 清政发[2020]2号 applied until 2021-01-01"


def test_swapped_flag_and_note_pass_through():
    lookup = stub("花桥镇")
    r = at_location.rules_at(26.77, 113.06, on="2020-03-01", county="hengnan", lookup=stub("花桥镇", swapped=True),
                             aliases={})
    assert r.swapped and r.notes == ("longitude and latitude looked swapped; read as lon=113.06, lat=26.77",)
    assert r.to_dict()["swapped"] is True
    assert not at_location.rules_at(113.06, 26.77, on="2020-03-01", county="hengnan", lookup=lookup, aliases={}).swapped


def test_unknown_county_before_any_lookup():
    lookup = stub("花桥镇")
    with pytest.raises(ZoningError, match=r"^unknown county 'nosuch': no nosuch/ folder in .* \(counties: .*hengnan"):
        at_location.rules_at(113.06, 26.77, on="2020-03-01", county="nosuch", lookup=lookup)
    assert lookup.calls == []


def test_aliases_read_from_township_seats():
    aliases = at_location.township_aliases("hengnan")
    assert "鸡笼镇" in aliases["岐山镇"]


@pytest.mark.slow
def test_real_check_point_at_huaqiao_seat(hengnan_build):
    from functools import partial

    from zoning.sitecheck import check_point

    result, _ = hengnan_build
    # 花桥镇 seat per base/township_seats.geojson
    lookup = partial(check_point, zones_path=result.zones_gpkg)
    r = at_location.rules_at(113.06, 26.77, on="2020-02-20", county="hengnan", lookup=lookup)
    assert r.inside_county and r.township == "花桥镇"
    assert "E01" in {x.row_id for x in r.groups["两线作战调度会讲话(2020-02-20)"]}
