"""zoning.raster on the fixture GeoPackage: COG layout, cell values, areas against planar vector areas."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from click.testing import CliRunner
from pyproj import CRS

from tests.fixtures.zones_fixture import (
    J01_CENTRE,
    J02_CENTRE,
    X0,
    Y0,
    boundary_polygon,
    write_zones_fixture,
)
from zoning._io import sha256
from zoning.cli.main import cli
from zoning.errors import LayerError, OutputError, ZonesNotBuiltError
from zoning.raster import (
    COLORMAP,
    MAX_CELLS,
    NODATA,
    crosscheck,
    format_crosscheck,
    grid_for,
    rasterize_zones,
)


@pytest.fixture(scope="module")
def gpkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_zones_fixture(tmp_path_factory.mktemp("zones"))


@pytest.fixture(scope="module")
def tif(gpkg: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return rasterize_zones(gpkg, tmp_path_factory.mktemp("raster") / "zones.tif", cell_size=10.0)


def _value_at(ds: rasterio.DatasetReader, x: float, y: float) -> int:
    row, col = ds.index(x, y)
    return int(ds.read(1, window=((row, row + 1), (col, col + 1)))[0, 0])


def test_geotiff_declares_crs_grid_dtype_nodata(tif: Path) -> None:
    with rasterio.open(tif) as ds:
        assert ds.crs == CRS.from_epsg(4547)
        t = ds.transform
        assert (t.a, t.b, t.d, t.e) == (10.0, 0.0, 0.0, -10.0)
        assert t.c % 10 == 0 and t.f % 10 == 0  # aligned to multiples of the cell size
        bx0, by0, bx1, by1 = boundary_polygon().bounds
        left, bottom, right, top = ds.bounds
        assert left <= bx0 < left + 10 and bottom <= by0 < bottom + 10
        assert right - 10 < bx1 <= right and top - 10 < by1 <= top
        assert ds.dtypes == ("uint8",) and ds.nodata == NODATA


def test_geotiff_is_cloud_optimised_with_colour_table_and_tags(tif: Path, gpkg: Path) -> None:
    with rasterio.open(tif) as ds:
        assert ds.block_shapes == [(512, 512)]
        assert ds.compression.name == "deflate"
        assert ds.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        assert ds.overviews(1) == [2, 4]  # 1320 x 1100 cells -> 660, 330 (< 512)
        cmap = ds.colormap(1)
        assert cmap[1] == COLORMAP[1] and cmap[2] == COLORMAP[2] and cmap[0] == COLORMAP[0]
        tags = ds.tags()
        assert tags["source_gpkg_sha256"] == sha256(gpkg)
        assert tags["rasterisation"].startswith("cell centre")
        assert "planar" in tags["area_method"] and "EPSG:4547" in tags["crs"]


def test_cell_values(tif: Path) -> None:
    cx, cy = J01_CENTRE
    with rasterio.open(tif) as ds:
        assert _value_at(ds, cx, cy) == 1  # level-1 square
        assert _value_at(ds, cx + 750, cy) == 2  # level-2 ring
        assert _value_at(ds, X0 + 1000, Y0 + 1000) == 0  # in the county, no zone
        assert _value_at(ds, X0 + 12400, Y0 - 400) == NODATA  # in the grid, outside the boundary
        # the deducted overlap: B01 (level 1) over the J02 ring (level 2) -> level 1 wins
        assert _value_at(ds, J02_CENTRE[0] + 1200, J02_CENTRE[1]) == 1
        assert _value_at(ds, J02_CENTRE[0] - 1200, J02_CENTRE[1]) == 2


def test_level_areas_match_vector_within_cell_bound(tif: Path, gpkg: Path) -> None:
    lu = gpd.read_file(gpkg, layer="level_union").set_index("level").geometry
    targets = {1: lu[1], 2: shapely.difference(lu[2], lu[1])}
    with rasterio.open(tif) as ds:
        arr = ds.read(1)
        cell_area = abs(ds.transform.a * ds.transform.e)
    for value, geom in targets.items():
        raster_m2 = (arr == value).sum() * cell_area
        bound = geom.length * 10.0 / 2
        assert abs(raster_m2 - geom.area) <= bound, (value, raster_m2, geom.area, bound)
        assert abs(raster_m2 - geom.area) / geom.area < 0.002  # measured: 0.04 % (level 1), 0.005 % (level 2)
    # every cell inside the county is 0, 1 or 2; nodata only outside
    inside = shapely.contains_xy(boundary_polygon(), *ds.xy(*np.nonzero(arr != NODATA)))
    assert inside.mean() > 0.999


def test_crosscheck_converges_and_is_planar(gpkg: Path) -> None:
    rows = crosscheck(gpkg, cell_sizes=(40, 20, 10))
    assert len(rows) == 9 and all(r["within_bound"] for r in rows)
    by = {(r["level"], r["cell_size_m"]): r for r in rows}
    lu = gpd.read_file(gpkg, layer="level_union").set_index("level")
    assert by[("1", 10.0)]["vector_planar_km2"] == pytest.approx(lu.loc[1, "area_planar_km2"], rel=1e-9)
    for level in ("1", "2", "any"):
        assert abs(by[(level, 10.0)]["diff_km2"]) < abs(by[(level, 40.0)]["diff_km2"])
        assert by[(level, 10.0)]["bound_km2"] == pytest.approx(by[(level, 40.0)]["bound_km2"] / 4)
    assert abs(by[("any", 10.0)]["rel_diff"]) < 0.001
    table = format_crosscheck(rows)
    assert table.count("\n") == 10 and "| 10 | any |" in table


def test_missing_gpkg_and_missing_layer(tmp_path: Path) -> None:
    with pytest.raises(ZonesNotBuiltError, match="make zones"):
        rasterize_zones(tmp_path / "nope.gpkg", tmp_path / "z.tif")
    bad = tmp_path / "bad.gpkg"
    gpd.GeoDataFrame({"name_zh": ["x"]}, geometry=[boundary_polygon()], crs="EPSG:4547").to_file(bad, layer="boundary")
    with pytest.raises(LayerError, match="level_union.*make zones"):
        rasterize_zones(bad, tmp_path / "z.tif")
    assert not (tmp_path / "z.tif").exists()


def test_cli_raster_writes_and_refuses_to_clobber(gpkg: Path, tmp_path: Path) -> None:
    src = tmp_path / "in" / "zones.gpkg"
    src.parent.mkdir()
    shutil.copy(gpkg, src)
    before = sha256(src)
    out = tmp_path / "o.tif"
    runner = CliRunner()
    r = runner.invoke(cli, ["raster", "--zones", str(src), "--out", str(out), "--cell-size", "20"])
    assert r.exit_code == 0, r.output
    with rasterio.open(out) as ds:
        assert ds.res == (20.0, 20.0)
    assert sha256(src) == before  # input untouched
    r = runner.invoke(cli, ["raster", "--zones", str(src), "--out", str(out)])
    assert r.exit_code == 1 and "--overwrite" in r.output and "Traceback" not in r.output
    r = runner.invoke(cli, ["raster", "--zones", str(tmp_path / "missing.gpkg"), "--out", str(tmp_path / "x.tif")])
    assert r.exit_code == 1 and "make zones" in r.output and "Traceback" not in r.output


@pytest.mark.parametrize(("cell", "message"), [
    (float("nan"), "cell size nan is not a positive finite number of metres"),
    (float("inf"), "cell size inf is not a positive finite number of metres"),
    (0.0, "cell size 0.0 is not a positive finite number of metres"),
    (-10.0, "cell size -10.0 is not a positive finite number of metres"),
    # fixture county: 13 200 x 11 000 m
    (0.001, (r"cell size 0.001 m gives a raster of 13200000 x 11000000 = 1.45e\+14 cells \(limit 1e\+09\); "
             r"use a cell size of at least 0.39 m")),
    (20_000.0, r"cell size 20000 m is larger than the county \(13.2 x 11.0 km\); use a cell size below 11000 m"),
])
def test_bad_cell_sizes_are_refused_before_any_work(gpkg: Path, tmp_path: Path, cell: float, message: str) -> None:
    with pytest.raises(OutputError, match=message):
        rasterize_zones(gpkg, tmp_path / "z.tif", cell_size=cell)
    with pytest.raises(OutputError, match=message):
        crosscheck(gpkg, cell_sizes=(40, cell))
    assert not (tmp_path / "z.tif").exists()


def test_smallest_cell_size_suggested_fits_the_limit() -> None:
    bounds = boundary_polygon().bounds
    _, w, h = grid_for(bounds, 0.39)
    assert w * h <= MAX_CELLS
    with pytest.raises(OutputError):
        grid_for(bounds, 0.38)


def test_geotiff_needs_a_tif_name(gpkg: Path, tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=r"z.png: a GeoTIFF needs a .tif or .tiff name, e.g. .*z.tif"):
        rasterize_zones(gpkg, tmp_path / "z.png")
    assert rasterize_zones(gpkg, tmp_path / "z.TIFF", cell_size=100).exists()
    assert not (tmp_path / "z.png").exists()


@pytest.mark.parametrize(("cell", "code", "message"), [
    ("nan", 2, "Invalid value for '--cell-size': nan is not a finite number of metres"),
    ("inf", 2, "Invalid value for '--cell-size': inf is not a finite number of metres"),
    ("0", 2, "Invalid value for '--cell-size'"),
    ("0.0001", 1, "use a cell size of at least 0.39 m"),
    ("1e9", 1, "cell size 1e+09 m is larger than the county"),
])
def test_cli_raster_bad_cell_size(gpkg: Path, tmp_path: Path, cell: str, code: int, message: str) -> None:
    r = CliRunner().invoke(cli, ["raster", "--zones", str(gpkg), "--out", str(tmp_path / "z.tif"), "--cell-size", cell])
    assert r.exit_code == code and message in r.output and "Traceback" not in r.output, r.output
    assert not (tmp_path / "z.tif").exists()


def test_cli_raster_refuses_a_png_name(gpkg: Path, tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["raster", "--zones", str(gpkg), "--out", str(tmp_path / "z.png")])
    assert r.exit_code == 1 and "needs a .tif or .tiff name" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "z.png").exists()
