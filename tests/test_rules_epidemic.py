"""The 2020-02-20 speech: measures by township, the low-risk text for the others, the enrolment figure."""

from __future__ import annotations

import pytest

from zoning.rules import epidemic
from zoning.rules.citations import make_place

ON = "2020-02-20"


def ids(place, on=ON):
    return {r.row_id for r in epidemic.measures_for(place, on, county="hengnan")}


@pytest.mark.parametrize(("township", "aliases", "expected"), [
    ("花桥镇", (), {"E01", "E07", "E08"}),
    ("花桥", (), {"E01", "E07", "E08"}),                       # suffix-tolerant
    ("岐山镇", ("鸡笼镇", "岐山办事处"), {"E02", "E07", "E08"}),  # 鸡笼 is a former name of 岐山镇
    ("云集街道", ("云集镇",), {"E03", "E04", "E05", "E07", "E08"}),  # no case, low risk, and high mobility
    ("三塘镇", ("洲市乡",), {"E03", "E04", "E06", "E07", "E08"}),
    ("茶市镇", (), {"E03", "E04", "E07", "E08"}),               # not named by the speech
])
def test_townships_get_their_measures(township, aliases, expected):
    assert ids(make_place(township, aliases=aliases, county="hengnan")) == expected


def test_unnamed_township_gets_the_low_risk_text():
    rules = epidemic.measures_for(make_place("硫市镇", county="hengnan"), ON, county="hengnan")
    low = [r for r in rules if r.details["risk_level"] == "低风险"]
    assert {r.row_id for r in low} == {"E03", "E04"}
    assert any("无确诊病例，或连续14天无新增确诊病例的为低风险地区" in r.quote for r in low)
    assert all(r.applies == "township" for r in low)


def test_named_townships_are_not_labelled_low_risk():
    rules = epidemic.measures_for(make_place("花桥镇", county="hengnan"), ON, county="hengnan")
    assert all(r.details["risk_level"] is None for r in rules)
    assert next(r for r in rules if r.row_id == "E01").text.startswith("继续做好对确诊病例接触场所、密切接触者的管理")


def test_before_the_speech_nothing_applies():
    assert ids(make_place("花桥镇", county="hengnan"), "2020-02-19") == set()
    assert ids(make_place("花桥镇", county="hengnan"), "2020-02-21") == {"E01", "E07", "E08"}


def test_outside_county_or_unknown_township():
    assert ids(make_place(None, inside_county=False, county="hengnan")) == set()
    assert ids(make_place(None, county="hengnan")) == {"E07", "E08"}  # county-wide rows only


def test_enrolment_figure_and_gap():
    e = epidemic.enrolment(county="hengnan")
    assert (e.value_pct, e.target_pct, e.as_of.isoformat()) == (58.44, 95.0, "2020-02-19")
    assert e.gap_pp == pytest.approx(36.56)
    assert not e.target_met
    rows = epidemic.enrolment_for(make_place("茶市镇", county="hengnan"), ON, county="hengnan")
    assert [r.row_id for r in rows] == ["M01"] and "差距36.56个百分点" in rows[0].text
