"""End to end on the bundled Hengnan data: the demonstration layers reproduce the published table from geometry.

These are the acceptance numbers of the plan's table (清政发[2020]2号): level 1 = 100.7665 km², level 2 = 5.15 km²,
overlap deduction = 7.015 km², net = 98.9015 km², every zone equal to its table value at the printed precision, and the
true union equal to the net. The build runs once per session into a temporary folder.
"""

from __future__ import annotations

import json

import geopandas as gpd
import pytest

pytestmark = pytest.mark.slow


def test_totals_match_the_published_figures(hengnan_build):
    result, _ = hengnan_build
    s = result.summary["area_ellipsoidal_km2"]
    assert round(s["level1_sum"], 4) == 100.7665
    assert round(s["level2_sum"], 2) == 5.15
    assert round(s["overlap_deducted"], 3) == 7.015
    assert round(s["net_by_policy"], 4) == 98.9015
    assert round(s["union"], 4) == 98.9015
    assert abs(s["union"] - s["net_by_policy"]) < 1e-5  # no overlap the plan did not deduct


def test_every_zone_matches_its_row_at_printed_precision(hengnan_build, hengnan_scheme):
    result, rec = hengnan_build
    zones = gpd.read_file(result.zones_gpkg, layer="zones")
    assert len(zones) == 40 + 13
    for z in hengnan_scheme.published.zones:
        for level in (1, 2):
            printed = z.printed(level)
            part = zones[(zones.code == z.code) & (zones.level == level)]
            if printed is None:
                assert part.empty, (z.code, level)
                continue
            (area,) = part["area_ellipsoidal_km2"]
            assert abs(area - printed.value) <= printed.half_unit, (z.code, level, area, printed.text)
    assert not [ln.item for ln in rec.failures]


def test_the_four_deducted_overlaps_and_nothing_else(hengnan_build):
    result, _ = hengnan_build
    overlaps = gpd.read_file(result.zones_gpkg, layer="overlaps")
    got = {frozenset((r.code_a, r.code_b)): r.area_ellipsoidal_km2 for r in overlaps.itertuples()}
    expected = {frozenset(("J20", "J17")): 6.1, frozenset(("J24", "J17")): 0.754,
                frozenset(("J31", "J17")): 0.068, frozenset(("J37", "J17")): 0.093}
    assert set(got) == set(expected)
    for pair, km2 in expected.items():
        assert got[pair] == pytest.approx(km2, abs=5e-4)
    assert overlaps["deducted"].astype(bool).all()


def test_both_area_methods_and_the_open_data_strip_are_reported(hengnan_build):
    result, rec = hengnan_build
    s = result.summary
    # planar Gauss–Krüger areas are larger by the grid scale (about 1.0005 in area near 112.6E)
    ratio = s["area_planar_km2"]["union"] / s["area_ellipsoidal_km2"]["union"]
    assert 1.0002 < ratio < 1.0008
    (strip,) = s["strips_uncalibrated"]
    assert strip["code"] == "J17" and 45.0 < strip["area_ellipsoidal_km2"] < 60.0
    assert any(ln.section == "open-data strip" for ln in rec.lines)


def test_every_demonstration_feature_carries_provenance(hengnan_build):
    result, _ = hengnan_build
    zones = gpd.read_file(result.zones_gpkg, layer="zones")
    assert zones["reconstructed"].astype(bool).all()
    for r in zones.itertuples():
        assert r.method and r.source, r.zone_id
        assert isinstance(json.loads(r.params), dict) and json.loads(r.params), r.zone_id
