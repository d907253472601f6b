"""Checks on the shipped Hengnan base layers (data/hengnan/base): provenance, CRS, geometry and plan coverage."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import CRS

from zoning.crs import area_km2

COUNTY = Path(__file__).resolve().parent.parent / "data" / "hengnan"
BASE = COUNTY / "base"
FILES = ("boundary.geojson", "rivers.geojson", "township_seats.geojson", "townships.geojson")
WGS84 = CRS("EPSG:4326")
RESERVE_BOX = shapely.box(112 + 50 / 60 + 23 / 3600, 26 + 39 / 60 + 48 / 3600, 112 + 52 / 60 + 11 / 3600, 26 + 41 / 60 + 13 / 3600)


@pytest.fixture(scope="module")
def layers() -> dict[str, gpd.GeoDataFrame]:
    return {name: gpd.read_file(BASE / name) for name in FILES}


@pytest.fixture(scope="module")
def county(layers) -> shapely.Geometry:
    return layers["boundary.geojson"].geometry.iloc[0]


def _metric(geoms) -> gpd.GeoSeries:
    return gpd.GeoSeries(list(geoms), crs=4326).to_crs("EPSG:4547")


@pytest.mark.parametrize("name", FILES)
def test_every_feature_has_source_and_is_wgs84(layers, name):
    gdf = layers[name]
    assert gdf.crs.to_epsg() == 4326
    assert len(gdf) > 0
    assert gdf["source"].notna().all() and (gdf["source"].str.strip() != "").all()
    # QA-only sources must not be shipped
    assert not gdf["source"].str.contains("UNCLEAR_LICENSE|tianditu|Tianditu|NGCC", regex=True).any()


def test_boundary_single_valid_county_of_published_size(layers, county):
    gdf = layers["boundary.geojson"]
    assert len(gdf) == 1 and str(gdf["adcode"].iloc[0]) == "430422"
    assert county.is_valid
    km2 = area_km2(np.array([county]), WGS84, "ellipsoidal")[0]
    assert 2600.0 < km2 < 2620.0
    # Amap outline offset corrected: the GeoNames county seat lies inside, well away from the edge
    assert county.contains(shapely.Point(112.66748, 26.6932))


def test_rivers_named_and_upstream_first(layers):
    rivers = layers["rivers.geojson"].set_index("name_zh")
    assert set(rivers.index) == {"湘江", "耒水"}
    assert (rivers["positional_accuracy_m"] > 0).all()
    xiang = shapely.get_coordinates(rivers.geometry["湘江"])
    assert xiang[0, 0] < xiang[-1, 0] and xiang[0, 1] < xiang[-1, 1]  # enters SW, leaves NE
    lei = shapely.get_coordinates(rivers.geometry["耒水"])
    assert lei[0, 1] < lei[-1, 1]  # flows north to its Xiang confluence
    # the 112.61 E / 26.89 N check point of the basedata provenance is within ~50 m of the Xiang line
    xiang_m, check_m = _metric([rivers.geometry["湘江"], shapely.Point(112.61, 26.89)])
    assert xiang_m.distance(check_m) < 50


def test_yunji_exact_at_geonames(layers):
    seats = layers["township_seats.geojson"].set_index("name_zh")
    yunji = seats.loc["云集街道"]
    assert yunji["position"] == "exact"
    assert yunji.geometry.x == pytest.approx(112.66748, abs=1e-9)
    assert yunji.geometry.y == pytest.approx(26.6932, abs=1e-9)
    assert (seats["position"] == "exact").sum() == 1


def test_seats_inside_and_schematic_with_uncertainty(layers, county):
    seats = layers["township_seats.geojson"]
    assert len(seats) == 23 and seats["name_zh"].is_unique
    assert sorted(seats["kind"].value_counts().items()) == [("乡", 1), ("街道", 3), ("镇", 19)]
    assert seats.within(county).all()
    other = seats[seats["position"] != "exact"]
    assert (other["position"] == "schematic").all()
    assert (other["uncertainty_m"] > 0).all()
    assert (other["clue"].str.len() > 20).all()


@pytest.mark.parametrize("river,towns", [
    ("湘江", ["云集街道", "车江街道", "栗江镇", "松江镇", "近尾洲镇"]),
    ("耒水", ["茶市镇", "江口镇", "向阳桥街道", "泉溪镇", "洪山镇", "相市乡"]),
])
def test_river_towns_near_their_river(layers, river, towns):
    seats = layers["township_seats.geojson"].set_index("name_zh")
    line = _metric([layers["rivers.geojson"].set_index("name_zh").geometry[river]]).iloc[0]
    dist = _metric(seats.geometry[towns]).distance(line)
    assert (dist < 2000).all(), dict(zip(towns, dist.round()))


def test_xiang_towns_ordered_and_spaced(layers):
    seats = layers["township_seats.geojson"].set_index("name_zh")
    order = ["近尾洲镇", "栗江镇", "松江镇", "云集街道", "车江街道"]
    line = _metric([layers["rivers.geojson"].set_index("name_zh").geometry["湘江"]]).iloc[0]
    pts = _metric(seats.geometry[order])
    along = [line.project(p) for p in pts]
    assert along == sorted(along)
    gaps = [a.distance(b) for a, b in zip(pts[:-1], pts[1:])]
    assert min(gaps) > 3000


def test_reserve_box_clearances(layers):
    seats = layers["township_seats.geojson"].set_index("name_zh")
    box = _metric([RESERVE_BOX]).iloc[0]
    dist = _metric(seats.geometry).distance(box)
    dist.index = seats.index
    assert 2000 <= dist["江口镇"] <= 6000
    assert (dist.drop("江口镇") > 1500).all()


def test_townships_tile_the_county(layers, county):
    cells = layers["townships.geojson"]
    seats = layers["township_seats.geojson"]
    assert sorted(cells["name_zh"]) == sorted(seats["name_zh"])
    assert cells["approximate"].all() and cells.is_valid.all()
    county_km2 = area_km2(np.array([county]), WGS84, "ellipsoidal")[0]
    cell_km2 = area_km2(cells.geometry.values, WGS84, "ellipsoidal")
    union_km2 = area_km2(np.array([shapely.union_all(cells.geometry.values)]), WGS84, "ellipsoidal")[0]
    assert abs(union_km2 - county_km2) / county_km2 < 1e-6  # no gaps
    assert abs(cell_km2.sum() - county_km2) / county_km2 < 1e-6  # no overlaps
    assert np.allclose(cells["area_km2"], cell_km2, atol=1e-3)
    # each seat lies in its own cell
    by_name = cells.set_index("name_zh").geometry
    for name, point in zip(seats["name_zh"], seats.geometry):
        assert by_name[name].covers(point), name


def _plan_town_names() -> set[str]:
    """Town names the plan uses: table rows J19-J40 and the text's list of built-up areas."""
    text = (COUNTY / "source" / "hengnan_2020_documents.txt").read_text(encoding="utf-8")
    table = {name for name, code in re.findall(r"([\u4e00-\u9fff]+)（J(\d\d)）", text) if 19 <= int(code) <= 40}
    listing = re.search(r"衡南县城镇建成区包括(.+?)。", text).group(1)
    built = {part.removesuffix("建成区") for part in listing.split("、")}
    assert len(table) == 22 and len(built) == 23
    return table | built


def test_every_plan_town_resolves_to_a_seat(layers):
    seats = layers["township_seats.geojson"]
    known = set(seats["name_zh"])
    for aliases in seats["aliases"].fillna(""):
        known |= {a.strip() for a in aliases.split(",") if a.strip()}
    missing = sorted(_plan_town_names() - known)
    assert not missing
    assert {"鸡笼镇", "云集镇", "相市乡", "车江街道"} <= known
