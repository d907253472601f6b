"""清政发[2020]1号: who qualifies, rent by month, measures in and out of the 2020-02-06 … 2020-06-30 period."""

from __future__ import annotations

import pytest

from zoning.errors import ZoningError
from zoning.rules import enterprise
from zoning.rules.citations import make_place


def relief(**kw):
    return enterprise.relief(county="hengnan", **kw)


@pytest.mark.parametrize(("month", "reduction"), [
    ("2019-12", 0.0), ("2020-01", 1.0), ("2020-02", 1.0), ("2020-03", 1.0),
    ("2020-04", 0.5), ("2020-06", 0.5), ("2020-07", 0.0),
])
def test_rent_of_state_premises_for_manufacturers(month, reduction):
    assert relief(premises="state", month=month, sector="manufacturing").rent_reduction == reduction


def test_other_premises_are_only_encouraged():
    r = relief(premises="other", month="2020-03", sector="制造业")
    assert r.rent_reduction is None and "鼓励业主（房东）" in r.rent_text
    assert relief(premises="其他", month="2020-07", sector="manufacturing").rent_reduction == 0.0


def test_january_has_only_the_rent_measure():
    # the document was issued 2020-02-06; only article 10 names months before it
    r = relief(premises="state", month="2020-01", sector="manufacturing")
    assert [m.row_id for m in r.measures] == ["A10-1"]


def test_manufacturer_measures_in_period():
    r = relief(premises="state", month="2020-02", sector="manufacturing")
    got = {m.row_id for m in r.measures}
    assert {"A03", "A04-2", "A04-3", "A08-2", "A10-1", "A11"} <= got
    assert not got & {"A02", "A04-1", "A04-5"}  # epidemic-supply measures
    subsidy = next(m for m in r.measures if m.row_id == "A04-3").details
    assert (subsidy["max_interest_subsidy_pct"], subsidy["max_term_years"]) == ("50", "1")
    assert next(m for m in r.measures if m.row_id == "A04-2").details["min_rate_discount_pct"] == "10"
    assert {n.row_id for n in r.notes} == {"R00", "R01", "R02"}
    assert "就高不就低" in next(n for n in r.notes if n.row_id == "R02").quote


def test_epidemic_supply_producer():
    r = relief(premises="state", month="2020-06", sector="防疫物资")
    got = {m.row_id for m in r.measures}
    assert {"A02", "A04-1", "A04-5", "A04-2b"} <= got
    assert r.rent_reduction == 0.0  # article 10 names manufacturers only
    assert relief(premises="state", month="2020-07", sector="epidemic_supply").measures == ()


def test_other_sectors_are_not_support_objects():
    r = relief(premises="state", month="2020-03", sector="other")
    assert not r.eligible and r.measures == () and r.rent_reduction == 0.0


@pytest.mark.parametrize(("on", "rent_row"), [
    ("2020-02-05", None), ("2020-02-06", "A10-1"), ("2020-03-31", "A10-1"), ("2020-04-01", "A10-2"),
    ("2020-06-30", "A10-2"), ("2020-07-01", None),
])
def test_in_force_dates(on, rent_row):
    rows = enterprise.applicable(make_place("茶市镇", county="hengnan"), on, county="hengnan")
    if rent_row is None:
        assert rows == []
    else:
        # 19 rows, less the state-premises rent row for the other quarter
        assert len(rows) == 18 and all(r.applies == "county" for r in rows)
        assert {r.row_id for r in rows} & {"A10-1", "A10-2"} == {rent_row}


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"premises": "state", "month": "2020-13", "sector": "manufacturing"}, "bad month '2020-13'"),
    ({"premises": "state", "month": "April", "sector": "manufacturing"}, "write it as YYYY-MM"),
    ({"premises": "state", "month": "0000-01", "sector": "manufacturing"}, "bad month '0000-01'.*year from 0001"),
    ({"premises": "rented", "month": "2020-04", "sector": "manufacturing"}, r"unknown premises 'rented'; choose one of: state"),
    ({"premises": "state", "month": "2020-04", "sector": "retail"}, r"unknown sector 'retail'; choose one of: manufacturing"),
])
def test_bad_input(kwargs, message):
    with pytest.raises(ZoningError, match=message):
        relief(**kwargs)
