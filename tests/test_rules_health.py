"""附件3 of 清政办发[2020]2号: every threshold at, just below and just above its bound.

Expected grades are read off the plan's text with its note (以上 includes, 以下 excludes the bound; ranges
include both ends; 超过 excludes, 未超过 includes), not off the evaluator.
"""

from __future__ import annotations

import pytest

from zoning.errors import ZoningError
from zoning.rules import health


def grade(event, **kw):
    return health.grade_event(event, county="hengnan", **kw)


@pytest.mark.parametrize(("poisoned", "deaths", "expected", "line"), [
    (9, 0, None, None),         # below IV's 10--99
    (10, 0, "IV", "IV-3"),
    (99, 0, "IV", "IV-3"),
    (100, 0, None, None),       # IV stops at 99, III needs 超过100
    (101, 0, "III", "III-6"),
    (9, 1, "III", "III-6"),     # 出现死亡病例
    (10, 1, "III", "III-6"),
    (99, 1, "III", "III-6"),
    (100, 1, "III", "III-6"),   # 超过100人并出现死亡病例 needs 101
    (101, 1, "II", "II-10"),
    (50, 9, "III", "III-6"),
    (50, 10, "II", "II-10"),    # 10例以上死亡病例
])
def test_food_poisoning(poisoned, deaths, expected, line):
    r = grade("食物中毒", cases=poisoned, deaths=deaths)
    assert (r.grade, r.line_id) == (expected, line)


@pytest.mark.parametrize(("cases", "expected", "line"), [
    (0, None, None), (1, "IV", "IV-2"), (8, "IV", "IV-2"),
    (9, None, None),            # 9例以下 excludes 9; III starts at 10
    (10, "III", "III-3"), (29, "III", "III-3"),
    (30, "II", "II-4"),         # one county lies within one 市州: 一周内发病30例以上
])
def test_cholera_per_week_in_one_county(cases, expected, line):
    r = grade("cholera", cases=cases)
    assert (r.grade, r.line_id) == (expected, line)
    if expected:
        assert r.window == "1周内"


def test_cholera_by_scope_and_flags():
    assert grade("霍乱", cases=3, scope="multi_county").line_id == "III-3"
    assert grade("霍乱", cases=3, scope="multi_city").grade == "III"            # no 扩散趋势 given
    assert grade("霍乱", cases=3, scope="multi_city", flags=["spreading"]).line_id == "II-4"
    assert grade("霍乱", cases=1, flags=["first_in_city_urban_area"]).line_id == "III-3"


@pytest.mark.parametrize(("poisoned", "deaths", "expected", "line"), [
    (8, 0, "IV", "IV-4"),
    (9, 0, None, None),         # 9人以下 excludes 9
    (10, 0, "III", "III-8"), (49, 0, "III", "III-8"),
    (50, 0, "II", "II-11"), (99, 0, "II", "II-11"),
    (100, 0, None, None),       # 100人以下 excludes 100; no grade has a line above it
    (101, 0, None, None),
    (5, 2, "IV", "IV-4"),
    (5, 3, "III", "III-8"),     # 3人以上 includes 3
    (9, 9, "III", "III-8"),     # 9 poisoned is no line; 9 deaths is 死亡3-9人 (III)
    (10, 10, "II", "II-11"),    # 10人以下 excludes 10 (III); 10人以上 includes it (II)
    (40, 29, "II", "II-11"),
    (60, 30, "II", "II-11"),    # deaths beyond 30以下, but 60 poisoned is in 50..99
])
def test_occupational_poisoning(poisoned, deaths, expected, line):
    r = grade("急性职业中毒", cases=poisoned, deaths=deaths)
    assert (r.grade, r.line_id) == (expected, line)


@pytest.mark.parametrize(("cases", "scope", "expected", "line"), [
    (1, "county", "IV", "IV-1"), (9, "county", "IV", "IV-1"),
    (10, "county", "III", "III-2"),   # 未超过10例 (IV) and 10例以上 (III) both hold: the higher grade
    (19, "county", "III", "III-2"),
    (20, "county", "II", "II-3"),
    (20, "multi_county", "II", "II-3"),
    (3, "multi_county", "III", "III-2"),
    (1, "multi_city", "II", "II-3"),
])
def test_bubonic_plague(cases, scope, expected, line):
    r = grade("腺鼠疫", cases=cases, scope=scope)
    assert (r.grade, r.line_id) == (expected, line)


def test_overlapping_bounds_report_all_lines_met():
    assert grade("bubonic_plague", cases=10).matched_lines == ("IV-1", "III-2")
    r = grade("肺鼠疫", cases=5)
    assert (r.grade, r.matched_lines) == ("II", ("III-1", "II-1"))
    assert grade("肺炭疽", cases=4).line_id == "III-1"
    assert grade("肺鼠疫", cases=1, scope="multi_county").line_id == "II-1"
    assert grade("肺鼠疫", cases=1, flags=["in_large_city", "spreading"]).line_id == "I-1"
    assert grade("肺鼠疫", cases=1, flags=["in_large_city"]).line_id == "III-1"


@pytest.mark.parametrize(("excess", "scope", "expected"), [
    (0.99, "county", None), (1, "county", "III"), (2, "county", "III"),
    (1.99, "multi_county", None), (2, "multi_county", "II"),
])
def test_class_b_c_excess_over_five_year_mean(excess, scope, expected):
    assert grade("乙、丙类传染病", excess=excess, scope=scope).grade == expected


def test_categorical_lines():
    assert grade("群体性不明原因疾病").line_id == "III-5"
    assert grade("群体性不明原因疾病", scope="multi_county").line_id == "II-7"
    assert grade("unexplained", scope="multi_province").line_id == "II-7"
    assert grade("unexplained", scope="multi_province", flags=["spreading"]).line_id == "I-3"
    assert grade("预防接种").line_id == "III-7"
    assert grade("预防接种", deaths=1).line_id == "II-9"
    assert grade("埃博拉出血热", cases=1).line_id == "II-2"
    assert grade("sars", cases=1, flags=["spreading"]).line_id == "I-2"
    assert grade("我国尚未发现的传染病").line_id == "II-6"
    assert grade("我国尚未发现的传染病", flags=["有扩散趋势"]).line_id == "I-4"
    assert grade("eradicated").line_id == "I-4"
    assert grade("重大医源性感染事件").line_id == "II-8"
    assert grade("pathogen_loss").line_id == "I-5"
    assert grade("pathogen_transport", deaths=1).line_id == "II-12"
    assert grade("pathogen_transport").grade is None


@pytest.mark.parametrize(("authority", "line"), [("county", "IV-5"), ("city", "III-9"), ("省", None),
                                                 ("province", "II-13"), ("state", "I-7")])
def test_designated_events(authority, line):
    if line is None:
        with pytest.raises(ZoningError, match="unknown authority"):
            grade("其他", authority=authority)
    else:
        assert grade("其他", authority=authority).line_id == line


def test_result_carries_the_deciding_line():
    r = grade("食物中毒", cases=101, deaths=1)
    assert r.grade_zh == "重大"
    assert r.document == "清政办发[2020]2号"
    assert r.quote == "一次食物中毒人数超过100人并出现死亡病例，或出现10例以上死亡病例"
    assert r.measures["poisoned"] == 101 and r.measures["deaths"] == 1


def test_no_grade_points_to_the_catch_all_line():
    r = grade("霍乱", cases=9)
    assert r.grade is None and r.fallback["line_id"] == "IV-5"
    assert "县级以上卫健部门认定的其他一般突发公共卫生事件" in r.note


def test_bounds_note_is_the_plans_own():
    note = health.bounds_note("hengnan")
    assert note["quote"] == "说明：上述数量表述中，“以上”含本数，“以下”不含本数。"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"event": "flu"}, r"unknown event type 'flu'; choose one of: .*cholera \(霍乱\).*food_poisoning \(食物中毒\)"),
    ({"event": "霍乱", "scope": "world"}, r"unknown scope 'world'; choose one of: county.*multi_province"),
    ({"event": "霍乱", "flags": ["rising"]}, r"unknown flag 'rising'; choose one of: spreading"),
    ({"event": "霍乱", "cases": -1}, r"cases -1 must be a finite number ≥ 0"),
    ({"event": "class_b_c", "excess": float("nan")}, r"excess nan must be a finite number ≥ 0"),
    ({"event": "class_b_c", "excess": float("inf")}, r"excess inf must be a finite number ≥ 0"),
    ({"event": "class_b_c", "excess": -5}, r"excess -5 must be a finite number ≥ 0"),
    ({"event": "食物中毒", "cases": 2, "deaths": 5},
     r"deaths \(5\) exceed people poisoned \(2\).*give cases of at least 5"),
    ({"event": "霍乱", "cases": 2, "deaths": 5}, r"deaths \(5\) exceed cases \(2\)"),
    ({"event": "霍乱", "cases": 3, "excess": 2},
     r"excess applies only to class_b_c \(乙、丙类传染病\), not to cholera; leave it out"),
])
def test_bad_input_raises_with_choices(kwargs, message):
    event = kwargs.pop("event")
    with pytest.raises(ZoningError, match=message) as info:
        grade(event, **kwargs)
    assert isinstance(info.value, ValueError)


def test_deaths_without_cases_where_the_plan_counts_them_apart():
    # 预防接种 lines count no cases; 隐匿运输… reads 感染或死亡 (a toxin kills without infecting)
    assert grade("预防接种", deaths=1).line_id == "II-9"
    assert grade("pathogen_transport", deaths=1).line_id == "II-12"
    assert grade("食物中毒", cases=5, deaths=5).line_id == "III-6"


def test_unknown_county_names_the_folder():
    with pytest.raises(ZoningError, match=r"unknown county 'nosuch': no nosuch/ folder in .*\(counties: .*hengnan"):
        health.grade_event("霍乱", cases=1, county="nosuch")


def test_command_units_and_groups():
    units = health.command_units("hengnan")
    assert len(units) == 22  # the command itself + 21 member rows of 附件1
    assert units.loc[units["unit_zh"] == "县公安局", "quote"].item().startswith("协助卫生健康部门落实强制隔离")
    groups = health.working_groups("hengnan")
    assert list(groups["group_zh"]) == ["综合协调组", "医疗卫生保障组", "宣传组", "后勤保障组", "交通保障组"]
    assert groups.set_index("group_zh").loc["交通保障组", "lead_zh"] == "县公安局"
