"""Site check on a fixture GeoPackage with analytic answers (tests/fixtures/sitecheck_fixture.py)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from pyproj import Transformer

from tests.fixtures.sitecheck_fixture import OX, OY, write_fixture
from zoning.cli.main import cli
from zoning.errors import CoordinateError, CRSError, LayerError, ZonesNotBuiltError
from zoning.sitecheck import ZoneIndex, assess, check_point

TO_WGS = Transformer.from_crs("EPSG:4547", "EPSG:4326", always_xy=True)


@pytest.fixture(scope="module")
def zones(tmp_path_factory):
    return write_fixture(tmp_path_factory.mktemp("zones"))


@pytest.fixture(scope="module")
def index(zones):
    return ZoneIndex.load(zones)


def at(index, dx, dy, **kw):
    """check_point at a fixture offset, given exactly in EPSG:4547 metres."""
    return check_point(OX + dx, OY + dy, crs="EPSG:4547", index=index, **kw)


@pytest.mark.parametrize(
    ("dx", "dy", "ids", "depth"),
    [
        (3000, 3000, ["J01-1"], 1000.0),             # centre of the level-1 square
        (1200, 3000, ["J01-2"], 200.0),              # in the level-2 ring: 200 m to its outer edge
        (2000, 3000, ["J01-1", "J01-2"], 0.0),       # on the shared edge: both (covers)
        (2000, 2000, ["J01-1", "J01-2"], 0.0),       # shared corner
        (15000, 9500, ["J17-1", "Z01-1"], 500.0),    # overlap of strip and built-up area
        (12500, 15500, ["B01-1"], 500.0),            # nature reserve
        (6000, 16000, ["J02-2"], 1000.0),            # level-2-only water source
        (8000, 9500, ["J17-1"], 0.0),                # on the strip's outer edge
    ],
)
def test_zones_and_depth(index, dx, dy, ids, depth):
    r = at(index, dx, dy)
    assert [z["zone_id"] for z in r.zones] == ids
    assert r.depth_m == pytest.approx(depth, abs=1e-6)
    assert r.nearest is None and r.inside_county


@pytest.mark.parametrize(
    ("dx", "dy", "zone_id", "dist"),
    [
        (12000, 10123.4, "J17-1", 123.4),
        (19000, 13000, "Z01-1", 2 ** 0.5 * 1000),        # nearest is a corner
        (7999.0, 9500, "J17-1", 1.0),                    # 1 m outside
        (3000, 5000.5, "J01-2", 0.5),
    ],
)
def test_nearest_outside(index, dx, dy, zone_id, dist):
    r = at(index, dx, dy)
    assert r.zones == [] and r.depth_m is None
    assert r.nearest["zone_id"] == zone_id
    assert r.nearest["distance_m"] == pytest.approx(dist, abs=1e-6)


def test_nearest_tie_prefers_level_1(index):
    # (3000, 3000) excluded; at (500, 3000) the ring J01-2 (level 2) is 500 m away, J01-1 is 1500 m
    r = at(index, 500, 3000)
    assert r.nearest["zone_id"] == "J01-2" and r.nearest["distance_m"] == pytest.approx(500)


def test_township_version_and_verdicts(index, zones):
    r = at(index, 3000, 3000, livestock={"pig": 600})
    assert r.township == "甲镇" and r.township_approximate
    assert r.allowed is False and r.clause.startswith("七：一级")
    assert r.zones_built_at == "2024-01-02T03:04:05+00:00"
    import hashlib

    assert r.zones_sha256 == hashlib.sha256(zones.read_bytes()).hexdigest()
    r2 = at(index, 6000, 16000, livestock={"蛋鸡": 15000}, discharge=False)
    assert r2.size_class == "scale" and r2.allowed is True
    assert at(index, 6000, 16000, livestock={"蛋鸡": 15000}).allowed is False
    assert at(index, 12000, 12000, livestock={"pig": 5000}).allowed is True  # outside all zones
    text = r.to_text("both")
    assert "J01-1" in text and "禁止" in text and "FORBIDDEN" in text


def test_outside_county(index):
    r = at(index, 25000, 10000)
    assert not r.inside_county
    assert r.county_distance_m == pytest.approx(5000)
    assert r.county_direction == ("东", "east")
    assert r.township is None
    r = at(index, 10000, -3000)
    assert r.county_direction == ("南", "south") and r.county_distance_m == pytest.approx(3000)
    # the county's plan does not cover a site beyond it: no 'allowed' verdict, whatever the farm size
    far = at(index, 25000, 10000, livestock={"pig": 5000})
    assert far.allowed is None and far.verdict == "outside the county"
    assert "NOT COVERED" in far.to_text("en") and "不适用" in far.to_text("zh")


def test_swapped_lat_lon_detected(index):
    lon, lat = TO_WGS.transform(OX + 3000, OY + 3000)
    r = check_point(lat, lon, index=index)
    assert r.swapped and [z["zone_id"] for z in r.zones] == ["J01-1"]
    assert "swapped" in r.to_text("en")
    assert not check_point(lon, lat, index=index).swapped


def test_dms_input_and_bad_coordinates(index):
    lon, lat = TO_WGS.transform(OX + 12500, OY + 15500)

    def dms(v, h):
        d = int(v); m = int((v - d) * 60); s = (v - d - m / 60) * 3600
        return f"{d}°{m}′{s:.4f}″{h}"

    r = check_point(dms(lon, "E"), dms(lat, "N"), index=index)
    assert [z["zone_id"] for z in r.zones] == ["B01-1"]
    with pytest.raises(CoordinateError):
        check_point("abc", "26.8", index=index)
    with pytest.raises(CoordinateError, match="EPSG:4547"):
        check_point(405000, 2965000, index=index)   # metres given as degrees


def test_vectorised_matches_single_point(index):
    rng = np.random.default_rng(1)
    x = OX + rng.uniform(-2000, 22000, 3000)
    y = OY + rng.uniform(-2000, 22000, 3000)
    res = assess(index, x, y)
    polys = index.geoms
    for i in range(0, 3000, 37):
        p = shapely.Point(x[i], y[i])
        inside = [index.table.zone_id[z] for z in range(len(polys)) if polys[z].covers(p)]
        assert res.zone_ids[i] == ";".join(inside)
        if not inside:
            d = min(polys[z].distance(p) for z in range(len(polys)))
            assert res.nearest_distance_m[i] == pytest.approx(d, abs=1e-6)
        else:
            d = min(polys[z].boundary.distance(p) for z in range(len(polys)) if polys[z].covers(p))
            assert res.depth_m[i] == pytest.approx(d, abs=1e-6)


def test_missing_zones(tmp_path):
    with pytest.raises(ZonesNotBuiltError, match="zoning build"):
        check_point(113, 26.8, zones_path=tmp_path / "none.gpkg")


def test_cli_single_point(zones):
    runner = CliRunner()
    res = runner.invoke(cli, ["check", str(OX + 3000), str(OY + 3000), "--crs", "EPSG:4547", "--zones", str(zones),
                              "--livestock", "pig=600,beef_cattle=20"])
    assert res.exit_code == 0, res.output
    assert "J01-1" in res.output and "700 pig equivalents" in res.output and "禁止" in res.output
    res = runner.invoke(cli, ["check", "113", "26.8", "--zones", str(zones.parent / "missing.gpkg")])
    assert res.exit_code == 1
    assert res.output.strip().count("\n") == 0 and "does not exist" in res.output
    res = runner.invoke(cli, ["check", "113", "26.8", "--zones", str(zones), "--livestock", "elephant=3"])
    assert res.exit_code == 1 and "species one of" in res.output
    res = runner.invoke(cli, ["check", str(OX + 3000), str(OY + 3000), "--crs", "EPSG:4547", "--zones", str(zones), "--json"])
    assert res.exit_code == 0 and '"zone_id": "J01-1"' in res.output


# --- bad zone files, impossible and far points, CRS checks (tester's A6, A18, A19, B1–B3) ----------------------
def _zones_without(folder, drop=(), level=None):
    """A copy of the fixture with columns dropped from 'zones' (or its levels replaced)."""
    import geopandas as gpd

    src = write_fixture(folder / "src")
    out = folder / "zones.gpkg"
    for layer in ("zones", "boundary", "townships"):
        gdf = gpd.read_file(src, layer=layer)
        if layer == "zones":
            gdf = gdf.drop(columns=list(drop))
            if level is not None:
                gdf["level"] = level
        gdf.to_file(out, layer=layer, driver="GPKG")
    return out


def _file(folder, data: bytes):
    path = folder / "z.gpkg"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: _file(d, b""), "not a readable GeoPackage"),
        (lambda d: _file(d, b"hello, not a database\n"), "not a readable GeoPackage"),
        (lambda d: _file(d, write_fixture(d / "full").read_bytes()[:20_000]), "not a readable GeoPackage"),
        (lambda d: _zones_without(d, drop=("level",)), "lacks column(s) level"),
        (lambda d: _zones_without(d, drop=("zone_id", "code")), "lacks column(s) zone_id, code"),
        (lambda d: _zones_without(d, level=3), "level other than 1 or 2"),
    ],
    ids=["empty", "text", "truncated", "no-level", "input-layer", "level-3"],
)
def test_bad_zones_file_is_a_one_line_error(tmp_path, make, message):
    path = make(tmp_path)
    with pytest.raises(LayerError, match=re.escape(message)):
        ZoneIndex.load(path)
    res = CliRunner().invoke(cli, ["check", "113", "26.8", "--zones", str(path)])
    assert res.exit_code == 1
    assert res.output.strip().count("\n") == 0 and message in res.output and "Traceback" not in res.output


def test_zones_file_with_a_corrupt_page(tmp_path):
    """A file whose layer list reads but whose 'zones' table is damaged: still a LayerError naming the layer."""
    import sqlite3

    path = write_fixture(tmp_path)
    con = sqlite3.connect(path)
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'zones'").fetchone()[0]
    size = con.execute("PRAGMA page_size").fetchone()[0]
    con.close()
    data = bytearray(path.read_bytes())
    data[(root - 1) * size:root * size] = b"\x07" * size
    path.write_bytes(bytes(data))
    with pytest.raises(LayerError, match="layer 'zones' cannot be read"):
        ZoneIndex.load(path)


def _geodesic_to_fixture_county(lon, lat, n=4000):
    """Geodesic distance (m) from a point to the fixture county's boundary, sampled every 20 m."""
    from pyproj import Geod

    t = np.linspace(0, 20000, n + 1)
    z = np.zeros_like(t)
    xs = np.concatenate([t, z + 20000, t[::-1], z]) + OX
    ys = np.concatenate([z, t, z + 20000, t[::-1]]) + OY
    blon, blat = TO_WGS.transform(xs, ys)
    return np.min(Geod(ellps="WGS84").inv(np.full(len(blon), lon), np.full(len(blon), lat), blon, blat)[2])


def test_far_points_get_geodesic_distances(index):
    # (0, 0) is ~12 200 km away; planar Gauss–Krüger metres said 19 613 km, far outside the projection's area of use
    r = check_point(0, 0, index=index)
    assert r.county_distance_m == pytest.approx(_geodesic_to_fixture_county(0, 0), abs=200)
    assert 12_000e3 < r.county_distance_m < 12_400e3
    assert r.nearest is None and r.verdict == "outside the county"
    assert "geodesic" in r.to_text("en")
    # 300 km due east of the county: geodesic too, direction east
    lon, lat = TO_WGS.transform(OX + 10000, OY + 10000)
    from pyproj import Geod

    elon, elat, _ = Geod(ellps="WGS84").fwd(lon, lat, 90, 310_000)
    r = check_point(elon, elat, index=index)
    assert r.county_distance_m == pytest.approx(_geodesic_to_fixture_county(elon, elat), abs=50)
    assert r.county_direction == ("东", "east")


def test_point_not_on_earth_in_a_metre_crs(index):
    with pytest.raises(CoordinateError, match="not a position on Earth"):
        check_point(1e20, 1e20, crs="EPSG:4547", index=index)
    res = CliRunner().invoke(cli, ["check", "1e20", "1e20", "--crs", "EPSG:4547", "--zones", str(index.path)])
    assert res.exit_code == 1 and "not a position on Earth" in res.output and "inf" not in res.output


def test_sign_errors_are_pointed_out(index):
    lon, lat = TO_WGS.transform(OX + 3000, OY + 3000)
    west = check_point(-lon, lat, index=index)
    assert west.sign_hint == "longitude" and "sign of the longitude may be wrong" in west.to_text("en")
    assert "经度的正负号" in west.to_text("zh")
    assert 12_000e3 < west.county_distance_m < 13_000e3  # geodesic, not the planar 13 945 km
    south = check_point(lon, -lat, index=index)
    assert south.sign_hint == "latitude" and "sign of the latitude" in " ".join(south.notes)
    assert check_point(lon, lat, index=index).sign_hint == ""
    assert check_point(0, 0, index=index).sign_hint == ""


def test_degrees_given_for_a_metre_crs_get_a_hint(index):
    lon, lat = TO_WGS.transform(OX + 3000, OY + 3000)
    r = check_point(lon, lat, crs="EPSG:4547", index=index)
    assert r.degrees_hint and "use --crs wgs84" in r.to_text("en") and "--crs wgs84" in r.to_text("zh")
    assert not at(index, 3000, 3000).degrees_hint


@pytest.mark.parametrize("crs", ["EPSG:5773", "EPSG:4978"])
def test_vertical_and_geocentric_crs_are_refused(index, crs):
    with pytest.raises(CRSError, match="not a horizontal 2-D CRS"):
        check_point(OX + 3000, OY + 3000, crs=crs, index=index)


def test_assess_leaves_unreadable_rows_and_in_zone_nearest_level_empty(index):
    res = assess(index, np.array([np.nan, OX + 3000, OX + 12000]), np.array([np.nan, OY + 3000, OY + 12000]))
    assert [pd.isna(v) for v in res["in_zone"]] == [True, False, False]
    assert pd.isna(res["level"][0]) and pd.isna(res["inside_county"][0]) and pd.isna(res["township_approximate"][0])
    assert bool(res["in_zone"][1]) and int(res["level"][1]) == 1 and pd.isna(res["nearest_level"][1])
    assert not bool(res["in_zone"][2]) and int(res["level"][2]) == 0 and int(res["nearest_level"][2]) == 1


def test_cli_county_path_means_its_name(tmp_path, monkeypatch, zones):
    """--county /some/where/hengnan is the county 'hengnan': zones from out/hengnan/, nothing from /some/where."""
    import shutil

    from zoning import settings

    monkeypatch.setattr(settings, "out_dir", tmp_path / "out")
    (tmp_path / "out" / "hengnan").mkdir(parents=True)
    shutil.copy(zones, tmp_path / "out" / "hengnan" / "zones.gpkg")
    res = CliRunner().invoke(cli, ["check", str(OX + 3000), str(OY + 3000), "--crs", "EPSG:4547",
                                   "--county", str(tmp_path / "elsewhere" / "hengnan")])
    assert res.exit_code == 0, res.output
    assert "J01-1" in res.output and str(tmp_path / "out" / "hengnan" / "zones.gpkg") in res.output


@pytest.mark.parametrize(("dx", "dy"), [(2000, 2000), (3000, 4000), (4000, 2500)])
def test_edge_given_in_degrees_is_still_on_the_edge(index, dx, dy):
    """A vertex or edge point of J01-1 sent through WGS84 comes back nanometres off: still on the edge, so inside."""
    lon, lat = TO_WGS.transform(OX + dx, OY + dy)
    r = check_point(f"{lon:.15f}", f"{lat:.15f}", index=index, livestock={"pig": 600})
    assert {"J01-1", "J01-2"} <= {z["zone_id"] for z in r.zones}  # the shared edge of the level-1 square and its ring
    assert r.allowed is False and r.depth_m < 1e-3


def test_cli_takes_a_negative_longitude_without_dashes(zones):
    res = CliRunner().invoke(cli, ["check", "-112.69", "26.72", "--zones", str(zones), "--lang", "en"])
    assert res.exit_code == 0, res.output
    assert "Site: lon -112.690000, lat 26.720000" in res.output and "outside the county" in res.output
