"""清政办发[2020]6号 targets and whom they reach."""

from __future__ import annotations

from zoning.rules import logistics
from zoning.rules.citations import make_place


def test_targets_as_the_plan_states_them():
    t = logistics.targets("hengnan").set_index("id")
    assert t.loc["L01", "value"] == 80000 and t.loc["L01", "comparator"] == ">="
    assert t.loc["L02", "value"] == 50000
    assert t.loc["L04", "value"] == 24 and t.loc["L06", "value"] == 375 and t.loc["L07", "value"] == 71
    assert t.loc["L08", "value"] == 12 and t.loc["L05", "value"] == 1
    assert not t["township_named"].any()


def test_applicable_in_plan_period():
    place = make_place("花桥镇", county="hengnan")
    rows = {r.row_id: r for r in logistics.applicable(place, "2020-02-18", county="hengnan")}
    assert rows["L04"].applies == "all_townships"
    assert rows["L08"].applies == "some_townships"   # 12 townships, not named
    assert rows["L01"].applies == "county"
    assert logistics.applicable(place, "2020-02-17", county="hengnan") == []
    assert len(logistics.applicable(place, "2021-12-31", county="hengnan")) == 9
    assert logistics.applicable(place, "2022-01-01", county="hengnan") == []
