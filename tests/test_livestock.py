"""Pig equivalents, size classes and the verdict matrix of the Hengnan livestock rules (plan 三(二), 三(三), 七)."""

from __future__ import annotations

import math
import re
import tomllib

import pytest

from zoning import settings
from zoning.errors import InputFileError
from zoning.rules import livestock as lv

RULES = settings.county_dir("hengnan") / "rules" / "livestock.toml"
SOURCE = settings.county_dir("hengnan") / "source" / "hengnan_2020_documents.txt"


def test_every_quote_is_verbatim_in_the_plan():
    text = SOURCE.read_text(encoding="utf-8")
    data = tomllib.loads(RULES.read_text(encoding="utf-8"))
    quotes = [r["quote"] for key in ("species", "size_class", "restriction") for r in data[key]]
    quotes += [v["quote"] for v in data["allowed"].values()] + [r["also"].split("：", 1)[1] for r in data["restriction"]]
    quotes += data["undecided"]["quote"].split("；")
    for q in quotes:
        assert q in text, f"not in the plan: {q}"


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ({"pig": 1}, 1.0),
        ({"laying_hen": 30}, 1.0),
        ({"duck": 30}, 1.0),
        ({"goose": 15}, 1.0),
        ({"broiler": 60}, 1.0),
        ({"rabbit": 30}, 1.0),
        ({"sheep": 3}, 1.0),
        ({"dairy_cow": 1}, 10.0),
        ({"beef_cattle": 1}, 5.0),
        ({"pig": 600, "beef_cattle": 20}, 700.0),
        ({"猪": 100, "蛋鸡": 3000, "鸭": 300, "鹅": 150, "肉鸡": 600, "兔": 30, "羊": 30, "奶牛": 2, "肉牛": 4}, 100 + 100 + 10 + 10 + 10 + 1 + 10 + 20 + 20),
    ],
)
def test_pig_equivalents(counts, expected):
    assert lv.pig_equivalents(counts) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("pe", "cls"),
    [(0, "below"), (49, "below"), (49.999, "below"), (50, "household"), (499, "household"),
     (499.5, "household"), (499.999999, "household"), (500, "scale"), (10_000, "scale")],
)
def test_size_class_boundaries(pe, cls):
    assert lv.size_class(pe) == cls


def test_class_of_fractional_sums_is_not_fooled_by_float_noise():
    # 14 999 hens + 2 broilers = 499.9667 + 0.0333 = exactly 500 pig equivalents -> scale (含)
    pe = lv.pig_equivalents({"laying_hen": 14_999, "broiler": 2})
    assert lv.size_class(pe) == "scale"
    # 1 499 geese = 99.9333 -> household; 1 hen short of 1 500 hens = 49.9667 -> below
    assert lv.size_class(lv.pig_equivalents({"goose": 1499})) == "household"
    assert lv.size_class(lv.pig_equivalents({"laying_hen": 1499})) == "below"
    # 14 985 hens = 499.5 pig equivalents: not 500 -> household (documented choice)
    assert lv.size_class(lv.pig_equivalents({"laying_hen": 14_985})) == "household"


@pytest.mark.parametrize(
    ("levels", "cls", "discharge", "allowed", "clause_start"),
    [
        ([], "scale", True, True, "三(三)"),
        ([1], "scale", True, False, "七：一级"),
        ([1], "scale", False, False, "七：一级"),
        ([1], "household", True, True, "七：禁养区划定方案只针对"),
        ([1], "below", True, True, "七：禁养区划定方案只针对"),
        ([2], "scale", True, False, "七：二级"),
        ([2], "scale", False, True, "七：畜禽粪便"),
        ([2], "household", True, True, "七：禁养区划定方案只针对"),
        ([1, 2], "scale", False, False, "七：一级"),
        ([2, 1], "scale", True, False, "七：一级"),
        ([1], None, True, None, "七：一级禁养区内禁止"),
        ([], None, True, True, "三(三)"),
    ],
)
def test_verdict_matrix(levels, cls, discharge, allowed, clause_start):
    ok, clause = lv.verdict(levels, cls, discharge)
    assert ok is allowed
    assert clause.startswith(clause_start)


def test_parse_counts_and_bad_input():
    assert lv.parse_counts("pig=600, beef_cattle=20") == {"pig": 600.0, "beef_cattle": 20.0}
    assert lv.parse_counts("蛋鸡=3000，生猪=1") == {"laying_hen": 3000.0, "pig": 1.0}
    with pytest.raises(InputFileError, match="species one of"):
        lv.parse_counts("elephant=1")
    with pytest.raises(InputFileError, match="not a number"):
        lv.parse_counts("pig=many")
    with pytest.raises(InputFileError, match="≥ 0"):
        lv.pig_equivalents({"pig": -1})
    with pytest.raises(InputFileError):
        lv.size_class(math.nan)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("pig=600,pig=10", "duplicate species pig ('pig=600' and 'pig=10')"),
        ("pig=600,猪=10", "duplicate species pig"),
        ("pig=1e400", "too large"),
        ("pig=6.5", "6.5 is not a whole number"),
        ("pig=-1", "≥ 0"),
    ],
)
def test_parse_counts_refuses_duplicates_huge_and_fractional(text, message):
    with pytest.raises(InputFileError, match=re.escape(message)):
        lv.parse_counts(text)


def test_pig_equivalents_needs_whole_head_counts():
    with pytest.raises(InputFileError, match="not a whole number"):
        lv.pig_equivalents({"laying_hen": 14_985.5})
    with pytest.raises(InputFileError, match="too large"):
        lv.pig_equivalents({"pig": math.inf})
    assert lv.pig_equivalents({"pig": 600.0}) == 600
