"""zoning.maps on the fixture GeoPackage: self-contained HTML, layers, title, escaping, display geometry."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import prcoords
import pytest
import shapely
from click.testing import CliRunner
from pyproj import Transformer

from tests.fixtures.zones_fixture import BUILT_AT, J01_CENTRE, write_zones_fixture
from zoning._io import sha256
from zoning.cli.main import cli
from zoning.errors import LayerError, OutputError, ZonesNotBuiltError
from zoning.maps import LAYER_NAMES, build_map, display_geometries, feature_collection

XSS = "<script>alert(1)</script>"
TITLE = {"county": "衡南县", "title": "衡南县畜禽养殖禁养区划定方案", "document": "清政发[2020]2号"}


@pytest.fixture(scope="module")
def gpkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_zones_fixture(tmp_path_factory.mktemp("zones"), names={"C01": XSS})


@pytest.fixture(scope="module")
def page(gpkg: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = build_map(gpkg, tmp_path_factory.mktemp("map") / "map.html", basemap="none", title_info=TITLE)
    return out.read_text(encoding="utf-8")


def test_page_is_self_contained_and_small(page: str) -> None:
    assert len(page.encode()) < 5e6
    assert not re.search(r"<script[^>]*\ssrc=", page)
    assert not re.search(r"<link[^>]*\shref=\"https?:", page)
    assert 't.version="1.9.3"' in page  # Leaflet inlined
    assert "L.Control.Measure" in page and "fullscreen" in page.lower()
    assert "url(images/" not in page  # CSS images inlined as data: URIs
    assert "tile.openstreetmap.org" not in page and "autonavi" not in page  # basemap none


def test_layers_title_and_legend(page: str, gpkg: Path) -> None:
    for name in LAYER_NAMES.values():
        assert json.dumps(name)[1:-1] in page or name in page, name
    assert TITLE["title"] in page and TITLE["document"] in page
    assert BUILT_AT in page and sha256(gpkg)[:12] in page
    assert "Demonstration geometry, reconstructed" in page
    assert 'class="zoning-legend"' in page and "#1f78b4" in page


def test_markup_in_names_is_escaped(page: str) -> None:
    assert XSS not in page  # never raw in the HTML
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in page  # only as escaped JSON data


def test_display_geometry_simplified_rounded_and_shifted() -> None:
    to_wgs = Transformer.from_crs("EPSG:4547", "EPSG:4326", always_xy=True)
    # a 1 km line with a 4 m wiggle: gone at 10 m tolerance, kept at 1 m
    line = shapely.LineString([(360000, 2975000), (360500, 2975004), (361000, 2975000)])
    (g10,) = display_geometries(np.array([line]), "EPSG:4547", simplify_m=10, gcj=False)
    (g1,) = display_geometries(np.array([line]), "EPSG:4547", simplify_m=1, gcj=False)
    assert shapely.get_num_coordinates(g10) == 2 and shapely.get_num_coordinates(g1) == 3
    coords = shapely.get_coordinates(g1)
    assert np.array_equal(coords, np.round(coords, 6))
    lon, lat = to_wgs.transform(360000, 2975000)
    assert coords[0] == pytest.approx([lon, lat], abs=5e-7)
    (p,) = display_geometries(np.array([shapely.Point(J01_CENTRE)]), "EPSG:4547", simplify_m=10, gcj=True)
    lon, lat = to_wgs.transform(*J01_CENTRE)
    g = prcoords.wgs_gcj(prcoords.Coords(lat, lon))
    assert (p.x, p.y) == pytest.approx((g.lon, g.lat), abs=5e-7)
    assert abs(p.x - lon) > 1e-3  # the GCJ-02 offset is hundreds of metres here


def test_feature_collection_nan_to_null(gpkg: Path) -> None:
    import geopandas as gpd

    z = gpd.read_file(gpkg, layer="zones")
    fc = feature_collection(z, ("zone_id", "published_km2", "reconstructed"), z.geometry.to_numpy())
    props = {f["properties"]["zone_id"]: f["properties"] for f in fc["features"]}
    assert props["J02-2"]["published_km2"] is None and props["J01-1"]["published_km2"] == 1.0
    assert props["C02-1"]["reconstructed"] is False
    json.dumps(fc, allow_nan=False)


@pytest.mark.parametrize("basemap, needle", [("osm", "tile.openstreetmap.org"), ("amap", "webrd0{s}.is.autonavi.com")])
def test_basemaps(gpkg: Path, tmp_path: Path, basemap: str, needle: str) -> None:
    html = build_map(gpkg, tmp_path / "m.html", basemap=basemap).read_text(encoding="utf-8")
    assert needle in html and "No base map" in html
    assert ('"gcj": true' in html) == (basemap == "amap")


def test_bad_input(gpkg: Path, tmp_path: Path) -> None:
    with pytest.raises(ZonesNotBuiltError, match="make zones"):
        build_map(tmp_path / "none.gpkg", tmp_path / "m.html")
    import geopandas as gpd

    bad = tmp_path / "bad.gpkg"
    gpd.read_file(gpkg, layer="boundary").to_file(bad, layer="boundary")
    with pytest.raises(LayerError, match="'zones' is missing"):
        build_map(bad, tmp_path / "m.html")
    with pytest.raises(ValueError, match="basemap"):
        build_map(gpkg, tmp_path / "m.html", basemap="google")  # type: ignore[arg-type]
    assert not (tmp_path / "m.html").exists()


def test_cli_map(gpkg: Path, tmp_path: Path) -> None:
    out = tmp_path / "map.html"
    runner = CliRunner()
    r = runner.invoke(cli, ["map", "--zones", str(gpkg), "--out", str(out), "--basemap", "none"])
    assert r.exit_code == 0, r.output
    assert "衡南县畜禽养殖禁养区划定方案" in out.read_text(encoding="utf-8")  # title from data/hengnan/scheme.toml
    r = runner.invoke(cli, ["map", "--zones", str(gpkg), "--out", str(out)])
    assert r.exit_code == 1 and "--overwrite" in r.output
    r = runner.invoke(cli, ["map", "--zones", str(tmp_path / "x.gpkg"), "--out", str(tmp_path / "y.html")])
    assert r.exit_code == 1 and "make zones" in r.output and "Traceback" not in r.output


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"out": "map.txt"}, r"map.txt: the map is a web page and needs a .html or .htm name, e.g. .*map.html"),
    ({"simplify_m": float("nan")}, "simplify tolerance nan is not a finite number ≥ 0"),
    ({"simplify_m": float("inf")}, "simplify tolerance inf is not a finite number ≥ 0"),
    ({"simplify_m": -1.0}, "simplify tolerance -1.0 is not a finite number ≥ 0"),
])
def test_bad_output_name_or_simplify(gpkg: Path, tmp_path: Path, kwargs: dict, message: str) -> None:
    out = tmp_path / kwargs.pop("out", "m.html")
    with pytest.raises(OutputError, match=message):
        build_map(gpkg, out, basemap="none", **kwargs)
    assert not out.exists()


@pytest.mark.parametrize(("name", "args", "code", "message"), [
    ("map.txt", [], 1, "map.txt: the map is a web page and needs a .html or .htm name"),
    ("m.html", ["--simplify", "nan"], 2, "Invalid value for '--simplify': nan is not a finite number of metres"),
    ("m.html", ["--simplify", "inf"], 2, "Invalid value for '--simplify': inf is not a finite number of metres"),
])
def test_cli_map_bad_options(gpkg: Path, tmp_path: Path, name: str, args: list[str], code: int, message: str) -> None:
    r = CliRunner().invoke(cli, ["map", "--zones", str(gpkg), "--out", str(tmp_path / name), "--basemap", "none", *args])
    assert r.exit_code == code and message in r.output and "Traceback" not in r.output, r.output
    assert not list(tmp_path.iterdir())
