"""`build` on the synthetic county: exact areas, overlaps, unions, outputs, and a failed run leaves nothing."""

from __future__ import annotations

import json

import geopandas as gpd
import pyogrio
import pytest

from tests.fixtures.county import write_county
from zoning import pipeline
from zoning.scheme import load_scheme


@pytest.fixture
def built(county_scheme, tmp_path):
    return pipeline.build(county_scheme, out_dir=tmp_path / "out")


def test_build_writes_the_contract_layers(built):
    names = {name for name, _ in pyogrio.list_layers(built.zones_gpkg)}
    assert {"zones", "level_union", "overlaps", "union", "boundary", "rivers"} <= names
    zones = gpd.read_file(built.zones_gpkg, layer="zones")
    assert zones.crs.to_epsg() == 4547
    assert list(zones["zone_id"]) == ["R01-1", "S01-1", "T01-1", "T02-1", "W01-1", "W01-2"]
    for col in ("published_km2", "area_km2", "area_ellipsoidal_km2", "area_planar_km2", "diff_km2", "reconstructed", "params"):
        assert col in zones.columns


def test_zone_areas_are_exact_in_the_planar_method(built):
    zones = gpd.read_file(built.zones_gpkg, layer="zones").set_index("zone_id")
    expected = {"W01-1": 1.0, "W01-2": 3.0, "T01-1": 2.0, "T02-1": 0.5, "R01-1": 1.0, "S01-1": 10.0}
    for zone_id, km2 in expected.items():
        assert zones.loc[zone_id, "area_planar_km2"] == pytest.approx(km2, abs=1e-7), zone_id
    # ellipsoidal is smaller than planar by the Gauss–Krüger scale factor there (x ≈ 100 km from CM 114E)
    ratio = zones["area_ellipsoidal_km2"] / zones["area_planar_km2"]
    assert ((ratio > 0.9995) & (ratio < 0.99985)).all()


def test_overlaps_and_accounting(built):
    overlaps = gpd.read_file(built.zones_gpkg, layer="overlaps")
    got = {(r.code_a, r.code_b): (round(r.area_planar_km2, 7), bool(r.deducted)) for r in overlaps.itertuples()}
    assert got == {("S01", "T01"): (0.6, True), ("T02", "W01"): (0.25, False)}
    s = built.summary["area_planar_km2"]
    assert s["level1_sum"] == pytest.approx(14.5) and s["level2_sum"] == pytest.approx(3.0)
    assert s["overlap_deducted"] == pytest.approx(0.6)
    assert s["net_by_policy"] == pytest.approx(16.9)
    assert s["union"] == pytest.approx(16.9 - 0.25)
    assert s["level1_union"] == pytest.approx(14.5 - 0.6) and s["level2_union"] == pytest.approx(3.0)


def test_outputs_carry_a_manifest(built):
    manifest = json.loads(built.manifest_json.read_text(encoding="utf-8"))
    assert manifest["area_method"] == "planar" and manifest["working_crs"].startswith("EPSG:4547")
    assert manifest["buffer_quad_segs"] == 16
    assert set(manifest["inputs"]) >= {"scheme.toml", "published.csv", "base/boundary.geojson", "zones/zones.gpkg"}
    assert len(manifest["outputs"]["zones_gpkg_sha256"]) == 64
    areas = json.loads(built.areas_json.read_text(encoding="utf-8"))
    assert {z["zone_id"] for z in areas["zones"]} == {"R01-1", "S01-1", "T01-1", "T02-1", "W01-1", "W01-2"}
    assert built.areas_csv.read_text(encoding="utf-8").startswith("zone_id,code,level")


def test_uncalibrated_strip_is_reported(built):
    (strip,) = built.summary["strips_uncalibrated"]
    assert strip["code"] == "S01" and strip["area_planar_km2"] == pytest.approx(10.0)


def test_ellipsoidal_scheme_compares_ellipsoidal_areas(tmp_path):
    scheme = load_scheme(write_county(tmp_path / "ell", method="ellipsoidal"))
    result = pipeline.build(scheme, out_dir=tmp_path / "out")
    s = result.summary
    assert s["area_km2"] == s["area_ellipsoidal_km2"]
    assert s["area_km2"]["level1_sum"] < s["area_planar_km2"]["level1_sum"]


def test_build_refuses_to_clobber_without_overwrite(county_scheme, tmp_path):
    pipeline.build(county_scheme, out_dir=tmp_path / "o")
    from zoning.errors import OutputError

    with pytest.raises(OutputError, match="--overwrite"):
        pipeline.build(county_scheme, out_dir=tmp_path / "o", overwrite=False)


def test_inputs_are_not_modified(county_dir, county_scheme, tmp_path):
    from zoning._io import sha256

    before = {p: sha256(p) for p in county_dir.rglob("*") if p.is_file()}
    pipeline.build(county_scheme, out_dir=tmp_path / "o")
    assert {p: sha256(p) for p in county_dir.rglob("*") if p.is_file()} == before
