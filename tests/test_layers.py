"""Bad input: each gives its specific message, and a failed build leaves no output file."""

from __future__ import annotations

import os

import geopandas as gpd
import pytest
from click.testing import CliRunner
from shapely.geometry import Polygon

from tests.fixtures.county import CRS, boxes, zones_frame
from zoning import pipeline
from zoning.cli.main import cli
from zoning.errors import LayerError
from zoning.layers import read_layer
from zoning.scheme import load_scheme


def _rewrite_zones(county_dir, gdf, **kwargs):
    path = county_dir / "zones" / "zones.gpkg"
    path.unlink()
    gdf.to_file(path, layer="zones", **kwargs)
    return path


def _build_fails(county_dir, tmp_path, message):
    out = tmp_path / "out"
    with pytest.raises(LayerError, match=message):
        pipeline.build(load_scheme(county_dir), out_dir=out)
    assert not out.exists() or not any(out.iterdir()), "a failed build must leave no output"


@pytest.mark.filterwarnings("ignore:'crs' was not provided:UserWarning")  # writing the bad input on purpose
def test_layer_without_crs(county_dir, tmp_path):
    _rewrite_zones(county_dir, zones_frame().set_crs(None, allow_override=True))
    _build_fails(county_dir, tmp_path, r"zones layer .*zones.gpkg.*has no CRS; declare one")


def test_self_intersecting_polygon_names_the_feature(county_dir, tmp_path):
    parts = boxes()
    parts["R01-1"] = Polygon([(408000, 2968000), (409000, 2969000), (409000, 2968000), (408000, 2969000)])
    _rewrite_zones(county_dir, zones_frame(parts))
    _build_fails(county_dir, tmp_path, r"code='R01' level=1 has invalid geometry \(Self-intersection.*--repair")


def test_self_intersecting_polygon_is_repaired_on_request(county_dir, tmp_path):
    parts = boxes()
    parts["R01-1"] = Polygon([(408000, 2968000), (409000, 2969000), (409000, 2968000), (408000, 2969000)])
    _rewrite_zones(county_dir, zones_frame(parts))
    result = pipeline.build(load_scheme(county_dir), out_dir=tmp_path / "out", repair=True)
    import json

    notes = json.loads(result.manifest_json.read_text(encoding="utf-8"))["repairs"]
    assert len(notes) == 1 and "R01" in notes[0] and "Self-intersection" in notes[0]
    zones = gpd.read_file(result.zones_gpkg, layer="zones").set_index("zone_id")
    assert zones.loc["R01-1", "area_planar_km2"] == pytest.approx(0.5)  # two triangles of the bow-tie


def test_duplicate_zone_code(county_dir, tmp_path):
    gdf = zones_frame()
    gdf.loc[gdf["code"] == "T02", "code"] = "T01"
    _rewrite_zones(county_dir, gdf)
    _build_fails(county_dir, tmp_path, r"duplicate code='T01', level=1 in features #3, #4")


def test_missing_column(county_dir, tmp_path):
    _rewrite_zones(county_dir, zones_frame().drop(columns="category"))
    _build_fails(county_dir, tmp_path, r"missing column\(s\) category; present: code, level, name")


def test_empty_file(county_dir, tmp_path):
    (county_dir / "zones" / "zones.gpkg").write_bytes(b"")
    _build_fails(county_dir, tmp_path, r"file is empty \(0 bytes\)")


def test_layer_with_no_features(county_dir, tmp_path):
    _rewrite_zones(county_dir, zones_frame().iloc[0:0])
    _build_fails(county_dir, tmp_path, r"has no features")


def test_mislabelled_crs(county_dir, tmp_path):
    _rewrite_zones(county_dir, zones_frame().set_crs("EPSG:4326", allow_override=True))
    _build_fails(county_dir, tmp_path, r"declares geographic CRS EPSG:4326 but coordinates reach")


def test_garbage_file(county_dir, tmp_path):
    (county_dir / "zones" / "zones.gpkg").write_text("not a geopackage", encoding="utf-8")
    _build_fails(county_dir, tmp_path, r"cannot be read as vector data")


def test_wrong_geometry_type(tmp_path):
    path = tmp_path / "pts.geojson"
    gpd.GeoDataFrame({"code": ["A"]}, geometry=gpd.points_from_xy([400000], [2960000]), crs=CRS).to_file(path)
    with pytest.raises(LayerError, match=r"feature #1 code='A' is a Point; expected Polygon or MultiPolygon"):
        read_layer(path, what="zones layer", code_columns=("code",))


def test_wrong_level_for_category(county_dir, tmp_path):
    gdf = zones_frame()
    gdf.loc[gdf["code"] == "R01", "level"] = 2
    _rewrite_zones(county_dir, gdf)
    _build_fails(county_dir, tmp_path, r"zone 'R01' \(nature_reserve\) has level 2; the scheme says 1")


@pytest.mark.filterwarnings("ignore:'crs' was not provided:UserWarning")
def test_cli_reports_bad_input_on_one_line(county_dir, tmp_path):
    _rewrite_zones(county_dir, zones_frame().set_crs(None, allow_override=True))
    result = CliRunner().invoke(cli, ["build", "--scheme", str(county_dir / "scheme.toml"), "--out-dir", str(tmp_path / "o")])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("zoning: error: zones layer") and "has no CRS" in lines[0]
    assert "Traceback" not in result.output


def test_working_crs_that_distorts_areas_is_refused(county_dir, tmp_path):
    path = county_dir / "scheme.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('working = "EPSG:4547"', 'working = "EPSG:3857"'), encoding="utf-8")
    from zoning.errors import SchemeError

    with pytest.raises(SchemeError, match=r"EPSG:3857 .* distorts areas by \+25\.\d+ % at the county"):
        pipeline.build(load_scheme(county_dir), out_dir=tmp_path / "o")


def test_layer_labelled_with_the_neighbouring_gk_zone(county_dir, tmp_path):
    # the right numbers with the wrong (neighbouring zone's) label land ~300 km west, outside the county
    _rewrite_zones(county_dir, zones_frame().set_crs("EPSG:4546", allow_override=True))
    _build_fails(county_dir, tmp_path, r"zone W01-1 lies 100 % outside the county boundary \(5 zone part\(s\) in all\)")


def test_fractional_level(county_dir, tmp_path):
    gdf = zones_frame()
    gdf["level"] = gdf["level"].astype(float)
    gdf.loc[gdf["code"] == "R01", "level"] = 1.5
    _rewrite_zones(county_dir, gdf)
    _build_fails(county_dir, tmp_path, r"zone 'R01' has level 1.5; use 1 or 2")


@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::RuntimeWarning")  # Shapefile field names get truncated
def test_shapefile_without_cpg_and_non_ascii_names(county_dir, tmp_path):
    shp = county_dir / "zones" / "zones.shp"
    zones_frame().to_file(shp, encoding="gbk")
    shp.with_suffix(".cpg").unlink()
    path = county_dir / "scheme.toml"
    text = path.read_text(encoding="utf-8").replace('path = "zones/zones.gpkg"\nlayer = "zones"', 'path = "zones/zones.shp"')
    path.write_text(text, encoding="utf-8")
    _build_fails(county_dir, tmp_path, r"Shapefile without a .cpg file has non-ASCII text")
    path.write_text(text.replace('path = "zones/zones.shp"', 'path = "zones/zones.shp"\nencoding = "gbk"'), encoding="utf-8")
    result = pipeline.build(load_scheme(county_dir), out_dir=tmp_path / "ok")
    names = set(gpd.read_file(result.zones_gpkg, layer="zones")["name"])
    assert "测试水源保护区" in names


def test_outputs_are_replaced_together_or_not_at_all(county_dir, tmp_path):
    from zoning._io import sha256
    from zoning.errors import OutputError

    out = tmp_path / "o"
    first = pipeline.build(load_scheme(county_dir), out_dir=out)
    before = {p.name: sha256(p) for p in out.iterdir()}
    first.areas_csv.unlink()
    first.areas_csv.mkdir()  # something in the way of one of the four outputs
    with pytest.raises(OutputError, match="areas.csv: a folder of that name exists"):
        pipeline.build(load_scheme(county_dir), out_dir=out)
    after = {p.name: sha256(p) for p in out.iterdir() if p.is_file()}
    assert after == {k: v for k, v in before.items() if k != "areas.csv"}  # nothing else was touched
    assert sorted(p.name for p in out.iterdir()) == sorted(before)  # and no temporary files are left


def test_no_overwrite_covers_every_build_output(county_dir, tmp_path):
    from zoning.errors import OutputError

    out = tmp_path / "o"
    out.mkdir()
    (out / "manifest.json").write_text("{}", encoding="utf-8")
    with pytest.raises(OutputError, match="manifest.json exist"):
        pipeline.build(load_scheme(county_dir), out_dir=out, overwrite=False)


def test_unwritable_output_folder(county_dir, tmp_path):
    from zoning.errors import OutputError

    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):  # root ignores permission bits; use a path that cannot be a folder instead
            target = tmp_path / "file"
            target.write_text("x", encoding="utf-8")
            locked = target / "sub"
        with pytest.raises(OutputError, match="choose a writable output folder"):
            pipeline.build(load_scheme(county_dir), out_dir=locked)
    finally:
        (tmp_path / "locked").chmod(0o700)


def test_zone_category_must_match_its_table_row(county_dir, tmp_path):
    gdf = zones_frame()
    gdf.loc[gdf["code"] == "T02", "category"] = "nature_reserve"
    _rewrite_zones(county_dir, gdf)
    _build_fails(county_dir, tmp_path, r"zone T02 has category 'nature_reserve' but published.csv line 6 says 'town_builtup'")


def test_a_strip_with_no_land_is_refused(county_dir, tmp_path):
    from zoning.errors import SchemeError

    path = county_dir / "scheme.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("half_width_m = 100.0", "half_width_m = 1e6"), encoding="utf-8")
    with pytest.raises(SchemeError, match=r"\[\[strips\]\] S01: the strip along 大河 has no land area"):
        pipeline.build(load_scheme(county_dir), out_dir=tmp_path / "o")
