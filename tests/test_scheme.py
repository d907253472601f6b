"""The published table's transcription and the scheme loader."""

from __future__ import annotations

from decimal import Decimal

import pytest

from zoning.errors import SchemeError, ZoningError
from zoning.scheme import load_published, load_scheme


def _sum(values) -> Decimal:
    return sum((Decimal(v.text) for v in values if v is not None), Decimal(0))


def test_transcription_adds_up_to_the_printed_totals(hengnan_scheme):
    t = hengnan_scheme.published
    assert len(t.zones) == 40
    assert _sum(z.level1 for z in t.zones) == Decimal("100.7665")
    assert _sum(z.level2 for z in t.zones) == Decimal("5.15")
    assert _sum(z.overlap for z in t.zones) == Decimal("7.015")
    assert str(t.subtotal_level1) == "100.7665" and str(t.subtotal_level2) == "5.15"
    assert str(t.subtotal_overlap) == "7.015" and str(t.net) == "98.9015"
    assert Decimal("100.7665") + Decimal("5.15") - Decimal("7.015") == Decimal(t.net.text)


def test_transcription_rows_match_the_source_text(hengnan_scheme):
    """Every row's name, code and printed figures appear in the table of the source document."""
    import re

    text = hengnan_scheme.source_text()
    table = text[text.index("衡南县畜禽养殖禁养区划定范围\n"):text.index("七、管理要求")]
    flat = re.sub(r"\s+", "|", table)
    for z in hengnan_scheme.published.zones:
        level2 = z.level2.text if z.level2 else "/"
        assert f"|{z.name}（{z.code}）|{z.level1.text}|{level2}|" in flat, z.code
        if z.overlap_note:
            assert z.overlap_note in flat and z.overlap.text in z.overlap_note


def test_codes_categories_and_printed_precision(hengnan_scheme):
    t = hengnan_scheme.published
    assert [z.code for z in t.zones if z.category == "water_source"] == [f"J{i:02d}" for i in range(1, 17)]
    assert [z.code for z in t.zones if z.category == "town_builtup"] == [f"J{i:02d}" for i in range(19, 41)]
    assert t.zone("J17").category == "xiang_strip" and t.zone("J18").category == "nature_reserve"
    assert [c for c in ("J10", "J12", "J13") if t.zone(c).level2 is None] == ["J10", "J12", "J13"]
    assert t.zone("J24").level1.decimals == 4 and t.zone("J24").level1.half_unit == pytest.approx(0.00005)
    assert t.zone("J05").level2.text == "0.12" and t.zone("J05").level2.decimals == 2
    assert [(a, b, p.text) for a, b, p in t.deducted_pairs] == [
        ("J20", "J17", "6.1"), ("J24", "J17", "0.754"), ("J31", "J17", "0.068"), ("J37", "J17", "0.093")]
    assert {z.code: z.overlap_unit_printed for z in t.zones if z.overlap} == {
        "J20": "Km²", "J24": "Km", "J31": "Km", "J37": "Km²"}


def test_plan_fact_quotes_exist_in_the_source(hengnan_scheme):
    import re

    source = re.sub(r"\s+", "", hengnan_scheme.source_text())
    quotes = []

    def walk(obj):
        if isinstance(obj, dict):
            for k, v in obj.items():
                quotes.append(v) if k.endswith("quote") else walk(v)
        elif isinstance(obj, list):
            for v in obj:
                walk(v)

    walk(hengnan_scheme.facts)
    assert len(quotes) >= 15
    for q in quotes:
        assert re.sub(r"\s+", "", q) in source, q


def test_scheme_settings(hengnan_scheme):
    assert hengnan_scheme.working_crs.to_epsg() == 4547
    assert hengnan_scheme.area_method == "ellipsoidal"
    assert hengnan_scheme.level_for("town_builtup") == 1 and hengnan_scheme.level_for("water_source") is None
    (strip,) = hengnan_scheme.strips
    assert (strip.code, strip.river, strip.distance_m) == ("J17", "湘江", 500.0)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda s: s.replace('method = "planar"', 'method = "spherical"'), "unknown; choose one of ellipsoidal, planar"),
        (lambda s: s.replace('working = "EPSG:4547"', 'working = "EPSG:4326"'), "must be a projected CRS"),
        (lambda s: s.replace('working = "EPSG:4547"', 'working = "EPSG:99999999"'), "cannot understand CRS"),
        (lambda s: s.replace("[crs]", "[crs"), "not valid TOML"),
        (lambda s: s.replace("distance_m = 500.0", "distance_m = -5"), "distance_m = -5 must be greater than 0"),
        (lambda s: s.replace("distance_m = 500.0", 'distance_m = "abc"'), "distance_m = 'abc' must be a finite number"),
        (lambda s: s.replace("distance_m = 500.0", "distance_m = nan"), "distance_m = nan must be a finite number"),
        (lambda s: s.replace("[[strips]]", "[strips]"), r"strips must be \[\[strips\]\] tables"),
        (lambda s: s.replace('[county]\nid = "testland"', 'county = "testland"\n[accounting]'), r"\[county\] must be a table"),
        (lambda s: s.replace("quad_segs = 16", "quad_segs = 2.9"), "quad_segs = 2.9 must be a whole number"),
        (lambda s: s.replace('clip_to = "boundary"', 'clip_to = "boundry"'), "clip_to = 'boundry': a strip is clipped to the county"),
        (lambda s: s.replace("half_width_m = 100.0", "half_width_m = 100.0\nreach_to_m = -5.0"), "reach_to_m = -5.0 must be greater than 0"),
        (lambda s: s.replace("half_width_m = 100.0", "half_width_m = 100.0\nreach_from_m = 9.0\nreach_to_m = 5.0"),
         "reach_to_m \\(5\\) must be greater than reach_from_m \\(9\\)"),
        (lambda s: s.replace('water_source = "feature"', "water_source = true"), r"\[levels\] water_source = True"),
        (lambda s: s.replace('path = "base/boundary.geojson"', "path = 5"), "path = 5 must be a non-empty text"),
        (lambda s: s.replace('clip_to = "boundary"', 'clip_to = "boundary"\nreconstructed = "no"'), "reconstructed = 'no' must be true or false"),
        (lambda s: s.replace("distance_m = 500.0", "distanse_m = 500.0\ndistance_m = 500.0"), r"unknown key\(s\) distanse_m \(a typo\?\)"),
        (lambda s: s + "\n[extra]\nfoo = 1\n", r"unknown key\(s\) extra"),
        (lambda s: s + s[s.index("[[strips]]"):], "code S01 is used by more than one strip"),
        (lambda s: s.replace('code = "S01"', 'code = "S99"'), "no row of published.csv has code 'S99'"),
        (lambda s: s.replace("level = 1\nriver", "level = 2\nriver"), r"level = 2, but \[levels\] puts xiang_strip at level 1"),
        (lambda s: s.replace('clip_to = "boundary"', 'clip_to = "rivers"'), "clip_to = 'rivers': a strip is clipped to the county"),
    ],
)
def test_bad_scheme_files_say_what_is_wrong(county_dir, edit, message):
    path = county_dir / "scheme.toml"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(ZoningError, match=message):
        load_scheme(county_dir)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda s: s.replace("W01,测试水源保护区,1.0", "W01,测试水源保护区,1,0"), "line"),
        (lambda s: s.replace(",R01,", ",W01,"), "duplicate zone code W01"),
        (lambda s: s.replace("1.0,3.0", "one,3.0"), "'one' is not a number"),
        (lambda s: s.replace("row_type,", "kind,"), "missing column"),
        (lambda s: s.replace(",S01,0.6", ",X99,0.6"), "overlap_with 'X99' is not a zone code"),
        (lambda s: s.replace("测试水源保护区,1.0,3.0", "测试水源保护区,1,0,3.0"), "line 3: has 14 fields, the header has 13"),
        (lambda s: s.replace("测试水源保护区,1.0,3.0,,,,,", "测试水源保护区,1.0"), "line 3: has 7 fields, the header has 13"),
        (lambda s: s.replace("1.0,3.0", "NaN,3.0"), "'NaN' is not an area"),
        (lambda s: s.replace("1.0,3.0", "-1.0,3.0"), "'-1.0' is not an area"),
        (lambda s: s.replace("1.0,3.0", "1_0,3.0"), "'1_0' is not a number"),
        (lambda s: s.replace("subtotal,,小计,,,,14.5,3.0,,0.6,,,", "subtotal,,小计,,,,14.5,3.0,,0.6,,,\nsubtotal,,小计,,,,200,3.0,,0.6,,,"),
         "line 9: a second 'subtotal' row \\(the first is at published.csv line 8\\)"),
    ],
)
def test_bad_published_tables_name_the_line(county_dir, edit, message):
    path = county_dir / "published.csv"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(SchemeError, match=message):
        load_published(path)


@pytest.mark.parametrize(
    ("facts", "message"),
    [
        ('[[counts]]\nwhat = "all"\ncategory = "all"\ncount = 40\nclause = "x"\n', r"\[\[counts\]\] #1: missing key 'quote'"),
        ('[[counts]]\nwhat = "all"\ncategory = "all"\ncount = "40"\nclause = "x"\nquote = "q"\n', "count = '40' has the wrong type"),
        ('[[counts]]\nwhat = "all"\ncategory = "all"\ncount = -4\nclause = "x"\nquote = "q"\n', "count = -4 must not be negative"),
        ('[[counts]]\nwhat = "all"\ncategory = "bogus"\ncount = 4\nclause = "x"\nquote = "q"\n', "category 'bogus' unknown"),
    ],
)
def test_bad_plan_facts_are_input_errors_not_findings(county_dir, facts, message):
    (county_dir / "plan_facts.toml").write_text(facts, encoding="utf-8")
    with pytest.raises(SchemeError, match=message):
        load_scheme(county_dir)
