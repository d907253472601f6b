"""The demonstration zone layer data/hengnan/zones/zones.gpkg reproduces the plan's table from geometry.

Reads the layer back and measures it independently of the script that wrote it (scripts/reconstruct_hengnan.py).
"""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Transformer

from zoning import geoprocess, pipeline
from zoning.crs import area_km2, parse_angle
from zoning.scheme import load_scheme

TOL_KM2 = 1e-6
MIN_OVERLAP_M2 = 1.0


@pytest.fixture(scope="module")
def scheme():
    return load_scheme("hengnan")


@pytest.fixture(scope="module")
def zones(scheme):
    path = scheme.layer_path("zones")
    assert path.is_file(), f"{path} missing: run `make reconstruct`"
    gdf = gpd.read_file(path, layer=scheme.layer("zones").layer)
    assert gdf.crs is not None and gdf.crs.to_epsg() == 4547
    return gdf


@pytest.fixture(scope="module")
def boundary(scheme):
    return geoprocess.union(gpd.read_file(scheme.layer_path("boundary")).to_crs(scheme.working_crs).geometry.values)


@pytest.fixture(scope="module")
def strip(scheme, boundary):
    rivers = gpd.read_file(scheme.layer_path("rivers")).to_crs(scheme.working_crs)
    strips = pipeline.compute_strips(scheme, rivers, boundary)
    return strips.loc[strips["code"] == "J17"].geometry.iloc[0]


def areas(geoms, scheme) -> np.ndarray:
    return area_km2(np.asarray(geoms, dtype=object), scheme.working_crs, "ellipsoidal")


def test_scheme_measures_ellipsoidal(scheme):
    assert scheme.area_method == "ellipsoidal"


def test_every_table_zone_has_its_level_parts(scheme, zones):
    expected = set()
    for z in scheme.published.zones:
        if z.code == "J17":
            continue
        expected |= {(z.code, lvl) for lvl in (1, 2) if z.printed(lvl) is not None}
    got = list(zip(zones["code"], zones["level"].astype(int)))
    assert len(got) == len(set(got)), "one feature per zone part"
    assert set(got) == expected
    assert "J17" not in set(zones["code"])
    assert len(expected) == 16 + 13 + 1 + 22  # the plan's counts: 16 level-1 + 13 level-2 sources, reserve, towns


def test_names_and_categories_follow_the_table(scheme, zones):
    for _, f in zones.iterrows():
        row = scheme.published.zone(f["code"])
        assert f["name"] == row.name
        assert f["category"] == row.category


def test_provenance(zones):
    assert zones["reconstructed"].astype(bool).all()
    for _, f in zones.iterrows():
        assert f["method"].strip() and f["source"].strip()
        params = json.loads(f["params"])
        assert params and "fit" in params or "fit_reserve" in params


def test_areas_equal_the_table(scheme, zones):
    got = areas(zones.geometry.values, scheme)
    for (code, level), a in zip(zip(zones["code"], zones["level"].astype(int)), got):
        target = scheme.published.zone(code).printed(level).value
        assert abs(a - target) <= TOL_KM2, f"{code}-{level}: {a:.9f} vs {target}"


def test_no_pairwise_overlap(zones):
    geoms = zones.geometry.values
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    inter = shapely.area(shapely.intersection(geoms[left[keep]], geoms[right[keep]]))
    bad = [(zones["code"][i], zones["level"][i], zones["code"][j], zones["level"][j], a)
           for i, j, a in zip(left[keep], right[keep], inter) if a > MIN_OVERLAP_M2]
    assert not bad


def test_level_rings_touch(zones):
    for code, grp in zones.groupby("code"):
        if len(grp) == 2:
            one, two = grp.sort_values("level").geometry.values
            assert one.intersection(two).area < MIN_OVERLAP_M2
            assert one.distance(two) < 1e-6, f"{code}: level 2 should adjoin level 1"


def test_inside_the_county(zones, boundary):
    outside = shapely.area(shapely.difference(zones.geometry.values, boundary))
    assert outside.max() < MIN_OVERLAP_M2


def test_strip_and_town_overlaps(scheme, zones, strip):
    assert abs(areas([strip], scheme)[0] - 47.35) <= TOL_KM2
    listed = {code: printed.value for code, other, printed in scheme.published.deducted_pairs if other == "J17"}
    assert listed == {"J20": 6.1, "J24": 0.754, "J31": 0.068, "J37": 0.093}
    inter = shapely.intersection(zones.geometry.values, strip)
    got = areas(inter, scheme)
    for code, a, g in zip(zones["code"], got, inter):
        if code in listed:
            assert abs(a - listed[code]) <= TOL_KM2, f"{code}: overlap {a:.9f} vs {listed[code]}"
        else:
            assert g.area < MIN_OVERLAP_M2, f"{code} overlaps J17 by {g.area:.1f} m²"


def test_plan_totals(scheme, zones, strip):
    pub = scheme.published
    a = areas(zones.geometry.values, scheme)
    lvl = zones["level"].astype(int).values
    strip_km2 = areas([strip], scheme)[0]
    overlaps = areas(shapely.intersection(zones.geometry.values, strip), scheme).sum()
    union = areas([shapely.union_all([*zones.geometry.values, strip])], scheme)[0]
    assert round(a[lvl == 1].sum() + strip_km2, 4) == pytest.approx(pub.subtotal_level1.value, abs=1e-9)
    assert round(a[lvl == 2].sum(), 4) == pytest.approx(pub.subtotal_level2.value, abs=1e-9)
    assert round(overlaps, 4) == pytest.approx(pub.subtotal_overlap.value, abs=1e-9)
    assert round(union, 4) == pytest.approx(pub.net.value, abs=1e-9)
    assert union == pytest.approx(a.sum() + strip_km2 - overlaps, abs=1e-6)


def test_reserve_inside_the_plans_box(scheme, zones):
    m = re.search(r"东经(\S+?)至(\S+?)，北纬(\S+?)至(\S+?)，", scheme.source_text())
    lon1, lon2 = parse_angle(m.group(1), axis="lon"), parse_angle(m.group(2), axis="lon")
    lat1, lat2 = parse_angle(m.group(3), axis="lat"), parse_angle(m.group(4), axis="lat")
    reserve = zones.loc[zones["code"] == "J18"].to_crs(4326).geometry.iloc[0]
    minx, miny, maxx, maxy = reserve.bounds
    eps = 1e-6  # degrees (~0.1 m)
    assert lon1 - eps <= minx and maxx <= lon2 + eps and lat1 - eps <= miny and maxy <= lat2 + eps
    params = json.loads(zones.loc[zones["code"] == "J18", "params"].iloc[0])
    assert params["land_km2"] + params["water_km2"] == pytest.approx(2.354, abs=TOL_KM2)


def test_fits_are_flagged_against_their_bounds(zones):
    n = 0
    for p in map(json.loads, zones["params"]):
        fit = p.get("fit", {})
        if fit.get("within_standard") is None:
            continue
        lo, hi, v = fit["bound_min_m"], fit["bound_max_m"], fit["value"]
        assert fit["within_standard"] == ((lo is None or v >= lo) and (hi is None or v <= hi))
        n += 1
    assert n == 29  # every water-source part carries a standard check


def test_uncut_well_circle_matches_its_params(scheme, zones):
    """J10's well circle, rebuilt from the recorded centre and radius, has the table's area (it is cut by nothing)."""
    f = zones.loc[zones["code"] == "J10"].iloc[0]
    p = json.loads(f["params"])
    circle = shapely.Point(*p["well_xy"]).buffer(p["fit"]["value"], quad_segs=p["quad_segs"])
    assert areas([circle], scheme)[0] == pytest.approx(0.007, abs=TOL_KM2)
    lon, lat = Transformer.from_crs(scheme.working_crs, "EPSG:4326", always_xy=True).transform(*p["well_xy"])
    assert [round(lon, 6), round(lat, 6)] == p["well_lonlat"]
