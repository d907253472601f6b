"""Register checks: flexible columns, bad rows kept in place with row numbers, atomic output, CLI."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner
from pyproj import Transformer

from tests.fixtures.sitecheck_fixture import OX, OY, write_fixture
from zoning.cli.main import cli
from zoning.errors import InputFileError, OutputError
from zoning.register import check_register

TO_WGS = Transformer.from_crs("EPSG:4547", "EPSG:4326", always_xy=True)


@pytest.fixture
def zones(tmp_path):
    return write_fixture(tmp_path / "z")


def _ll(dx, dy):
    lon, lat = TO_WGS.transform(OX + dx, OY + dy)
    return f"{lon:.8f}", f"{lat:.8f}"


def _write(path, rows, header="name,经度,纬度,生猪,蛋鸡"):
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_rows_kept_in_order_with_errors(tmp_path, zones):
    a, b = _ll(3000, 3000), _ll(12000, 12000)
    src = _write(tmp_path / "farms.csv", [
        f"a,{a[0]},{a[1]},600,", "b,,26.8,1,", "c,abc,26.8,1,x", f"d,{a[1]},{a[0]},0,30000", ",,,,",
        f"e,{b[0]},{b[1]},0007,", "f,500,26,1,1",
    ])
    before = src.read_bytes()
    out = tmp_path / "res.csv"
    res = check_register(src, out=out, index=None, zones_path=zones, chunk_size=2)
    assert src.read_bytes() == before
    df = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(df["name"]) == ["a", "b", "c", "d", "", "e", "f"]
    assert list(df.columns[:5]) == ["name", "经度", "纬度", "生猪", "蛋鸡"]
    assert df["生猪"][5] == "0007"  # input text kept exactly
    err = df["error"]
    assert err[0] == "" and err[3] == "" and err[5] == ""
    assert err[1].startswith("row 2: column '经度' empty")
    assert "row 3" in err[2] and "'abc'" in err[2] and "'蛋鸡'" in err[2]
    assert "row 5" in err[4] and "row 7" in err[6] and "EPSG:4547" in err[6]
    assert df["zone_ids"][0] == "J01-1" and df["allowed"][0] == "False"
    assert df["zone_ids"][3] == "J01-1" and "swapped" in df["note"][3] and df["pig_equivalents"][3] == "1000.0"
    assert df["allowed"][5] == "True" and df["zone_ids"][5] == ""
    assert (res.rows, res.errors, res.swapped) == (7, 4, 1)


def test_no_coordinate_columns_and_overwrite(tmp_path, zones):
    src = _write(tmp_path / "f.csv", ["a,1,2"], header="name,east,north")
    with pytest.raises(InputFileError, match="longitude"):
        check_register(src, zones_path=zones)
    good = _write(tmp_path / "g.csv", ["a,113.0,26.8"], header="name,lng,lat")
    with pytest.raises(OutputError, match="input file"):
        check_register(good, out=good, zones_path=zones)


def test_excel_and_return_table(tmp_path, zones):
    a = _ll(6000, 16000)
    src = tmp_path / "f.xlsx"
    pd.DataFrame({"Longitude": [a[0]], "Latitude": [a[1]], "duck": ["30000"]}).to_excel(src, index=False)
    res = check_register(src, zones_path=zones, discharge=False)
    t = res.table
    assert t["zone_ids"][0] == "J02-2" and t["size_class"][0] == "scale" and bool(t["allowed"][0]) is True


def test_cli_register(tmp_path, zones):
    a = _ll(3000, 3000)
    src = _write(tmp_path / "farms.csv", [f"a,{a[0]},{a[1]},600,"])
    runner = CliRunner()
    res = runner.invoke(cli, ["check", "--csv", str(src), "--zones", str(zones), "--out", str(tmp_path / "o.csv")])
    assert res.exit_code == 0, res.output
    assert "1 rows checked" in res.output and "1 forbidden" in res.output
    res = runner.invoke(cli, ["check", "--csv", str(tmp_path / "nope.csv"), "--zones", str(zones)])
    assert res.exit_code == 1 and "file not found" in res.output and res.output.strip().count("\n") == 0
    bad = _write(tmp_path / "bad.csv", ["a,1,2"], header="name,east,north")
    res = runner.invoke(cli, ["check", "--csv", str(bad), "--zones", str(zones), "--out", str(tmp_path / "o2.csv")])
    assert res.exit_code == 1 and "lon/lat" in res.output and res.output.strip().count("\n") == 0


def test_rows_without_livestock_numbers_are_not_cleared(tmp_path, zones):
    """An empty livestock cell is 'no size given', not 0 pigs: inside a zone the verdict depends on the size."""
    a, b = _ll(3000, 3000), _ll(12000, 12000)
    src = _write(tmp_path / "f.csv", [f"in,{a[0]},{a[1]},,", f"in0,{a[0]},{a[1]},0,", f"out,{b[0]},{b[1]},,"])
    t = check_register(src, zones_path=zones).table
    assert list(t["verdict"]) == ["depends on size", "allowed", "allowed"]
    assert pd.isna(t["allowed"][0]) and pd.isna(t["pig_equivalents"][0]) and t["pig_equivalents"][1] == 0


# --- tester's A8, A15–A20 and B4, B6–B9 -----------------------------------------------------------------------
def test_unreadable_excel_files_are_input_errors(tmp_path, zones):
    good = tmp_path / "good.xlsx"
    pd.DataFrame({"lon": ["113"], "lat": ["26.8"]}).to_excel(good, index=False)
    trunc = tmp_path / "trunc.xlsx"
    trunc.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(InputFileError, match="cannot read as an Excel workbook"):
        check_register(trunc, zones_path=zones)
    text = tmp_path / "text.xlsx"
    text.write_text("lon,lat\n113,26.8\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="rename it .csv"):
        check_register(text, zones_path=zones)


def test_real_xls_register(tmp_path, zones):
    xlwt = pytest.importorskip("xlwt")
    a = _ll(3000, 3000)
    book = xlwt.Workbook()
    sheet = book.add_sheet("farms")
    for j, v in enumerate(["name", "经度", "纬度", "生猪"]):
        sheet.write(0, j, v)
    for j, v in enumerate(["甲场", a[0], a[1], 600]):
        sheet.write(1, j, v)
    src = tmp_path / "farms.xls"
    book.save(str(src))
    t = check_register(src, zones_path=zones).table
    assert t["name"][0] == "甲场" and t["zone_ids"][0] == "J01-1" and t["verdict"][0] == "forbidden"


def test_gpkg_output_renames_reserved_columns(tmp_path, zones):
    import geopandas as gpd

    a = _ll(3000, 3000)
    src = _write(tmp_path / "f.csv", [f"A1,g1,{a[0]},{a[1]}"], header="fid,geometry,lon,lat")
    res = check_register(src, out=tmp_path / "o.gpkg", zones_path=zones)
    out = gpd.read_file(tmp_path / "o.gpkg")
    assert out["fid_input"][0] == "A1" and out["geometry_input"][0] == "g1" and out["zone_ids"][0] == "J01-1"
    assert any("'fid' is written as 'fid_input'" in n for n in res.notes)
    assert any("'geometry' is written as 'geometry_input'" in n for n in res.notes)


@pytest.mark.parametrize("first", [True, False])
def test_ragged_rows_stay_in_place(tmp_path, zones, first):
    a, b = _ll(3000, 3000), _ll(12000, 12000)
    rows = [f"long,{a[0]},{a[1]},extra,extra2", f"short,{b[0]},{b[1]}", f"ok,{b[0]},{b[1]},", f"trail,{b[0]},{b[1]},,,"]
    src = _write(tmp_path / "f.csv", rows if first else rows[1:] + rows[:1], header="name,lon,lat,生猪")
    t = check_register(src, zones_path=zones).table
    i = 0 if first else 3
    assert list(t["name"]) == (["long", "short", "ok", "trail"] if first else ["short", "ok", "trail", "long"])
    assert t["error"][i].startswith(f"row {i + 1} has 5 fields, the header has 4: quote values that contain ','")
    assert t["lon"][i] == a[0] and t["生猪"][i] == "extra"  # the row's own values, not shifted into an index
    assert (t["error"] != "").sum() == 1  # short rows and trailing empty fields are fine
    short = 1 if first else 0
    assert t["生猪"][short] == "" and t["verdict"][short] == "allowed"


def test_ambiguous_coordinate_columns(tmp_path, zones):
    src = _write(tmp_path / "f.csv", ["112.6675,1,26.6932"], header="lon,LON,lat")
    with pytest.raises(InputFileError, match=r"2 columns could be the longitude \(column 1 'lon', column 2 'LON'\); rename"):
        check_register(src, zones_path=zones)
    dup = _write(tmp_path / "d.csv", ["112.6675,26.6932,0"], header="lon,lat,lon")
    with pytest.raises(InputFileError, match=r"column 1 'lon', column 3 'lon'"):
        check_register(dup, zones_path=zones)
    with pytest.raises(InputFileError, match="columns '猪', '生猪' all give pig head counts"):
        check_register(_write(tmp_path / "b.csv", ["113,26.8,1,2"], header="lon,lat,猪,生猪"), zones_path=zones)


def test_xlsx_output_keeps_formulas_as_text(tmp_path, zones):
    from openpyxl import load_workbook

    a = _ll(3000, 3000)
    src = tmp_path / "f.csv"
    src.write_text(f'name,lon,lat\n=1+1,{a[0]},{a[1]}\n"=HYPERLINK(""http://x"",""y"")",{a[0]},{a[1]}\n#N/A,{a[0]},{a[1]}\n',
                   encoding="utf-8")
    check_register(src, out=tmp_path / "o.xlsx", zones_path=zones)
    ws = load_workbook(tmp_path / "o.xlsx").active
    cells = [ws.cell(row=r, column=1) for r in (2, 3, 4)]
    assert [c.value for c in cells] == ["=1+1", '=HYPERLINK("http://x","y")', "#N/A"]
    assert [c.data_type for c in cells] == ["s", "s", "s"]
    assert ws.cell(row=2, column=2).value == a[0]  # input text kept exactly


def test_points_off_the_earth_and_far_away(tmp_path, zones):
    lon, lat = _ll(3000, 3000)
    src = _write(tmp_path / "f.csv", ["1e20,1e20", f"{OX + 3000},{OY + 3000}", "112.6675,26.6932"], header="x,y")
    t = check_register(src, zones_path=zones, crs="EPSG:4547").table
    assert t["error"][0].startswith("row 1: (1e+20, 1e+20) is out of range for EPSG:4547")
    assert t["error"][1] == "" and t["zone_ids"][1] == "J01-1"
    assert t["error"][2] == "" and "look like degrees" in t["note"][2] and t["verdict"][2] == "outside the county"
    assert t["county_distance_m"][2] > 2_000e3 and t["nearest_zone_id"][2] == ""  # geodesic; no planar nearest zone
    far = _write(tmp_path / "g.csv", [f"-{lon},{lat}", "0,0"], header="lon,lat")
    t = check_register(far, zones_path=zones).table
    assert "sign of the longitude may be wrong" in t["note"][0]
    assert 12_000e3 < t["county_distance_m"][1] < 12_400e3  # planar Gauss–Krüger said 19 613 km


def test_error_rows_leave_answer_columns_empty(tmp_path, zones):
    a, b = _ll(3000, 3000), _ll(12000, 12000)
    src = _write(tmp_path / "f.csv", ["bad,abc,26.8,,", f"in,{a[0]},{a[1]},,", f"out,{b[0]},{b[1]},,"])
    out = tmp_path / "o.csv"
    check_register(src, out=out, zones_path=zones)
    df = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert [df[c][0] for c in ("in_zone", "inside_county", "level", "allowed")] == ["", "", "", ""]
    assert (df["in_zone"][1], df["level"][1], df["nearest_level"][1]) == ("True", "1", "")
    assert (df["in_zone"][2], df["level"][2], df["nearest_level"][2]) == ("False", "0", "1")


def test_decimal_commas_and_head_counts(tmp_path, zones):
    src = tmp_path / "f.csv"
    src.write_text("name;lon;lat;pig\na;112,6675;26,6932;1\nb;113;26.8;6.5\nc;113;26.8;1e400\n", encoding="utf-8")
    t = check_register(src, zones_path=zones).table
    assert "decimal comma? write 112.6675" in t["error"][0] and "decimal comma? write 26.6932" in t["error"][0]
    assert t["error"][1] == "row 2: column 'pig' '6.5' is not a whole number (head counts are whole animals)"
    assert t["error"][2] == "row 3: column 'pig' is too large"


def test_excel_file_named_csv(tmp_path, zones):
    src = tmp_path / "f.csv"
    pd.DataFrame({"lon": ["113"], "lat": ["26.8"]}).to_excel(src, index=False, engine="openpyxl")
    with pytest.raises(InputFileError, match=r"looks like an Excel file \(zip\).*rename it .xlsx"):
        check_register(src, zones_path=zones)


def test_sheet_choice(tmp_path, zones):
    a = _ll(3000, 3000)
    src = tmp_path / "f.xlsx"
    with pd.ExcelWriter(src) as w:
        pd.DataFrame({"说明": ["notes"]}).to_excel(w, sheet_name="notes", index=False)
        pd.DataFrame({"lon": [a[0]], "lat": [a[1]]}).to_excel(w, sheet_name="farms", index=False)
    with pytest.raises(InputFileError, match=r"\(sheet 'notes' of 'notes', 'farms'; choose one with --sheet NAME\): no longitude"):
        check_register(src, zones_path=zones)
    assert check_register(src, zones_path=zones, sheet="farms").table["zone_ids"][0] == "J01-1"
    with pytest.raises(InputFileError, match="no sheet 'nope'; the workbook has sheets 'notes', 'farms'"):
        check_register(src, zones_path=zones, sheet="nope")
    runner = CliRunner()
    res = runner.invoke(cli, ["check", "--csv", str(src), "--sheet", "farms", "--zones", str(zones), "--out", str(tmp_path / "o.csv")])
    assert res.exit_code == 0 and "1 in a zone" in res.output, res.output


def test_csv_output_has_bom_and_input_delimiter(tmp_path, zones):
    a = _ll(3000, 3000)
    src = tmp_path / "f.csv"
    src.write_text(f"名称;lon;lat\n甲场;{a[0]};{a[1]}\n", encoding="utf-8")
    out = tmp_path / "o.csv"
    check_register(src, out=out, zones_path=zones, chunk_size=1)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\xef\xbb\xbf") == 1
    assert raw.decode("utf-8-sig").splitlines()[0].startswith("名称;lon;lat;error;note")


def test_cli_default_output_goes_under_out_for_a_county_path(tmp_path, monkeypatch, zones):
    from zoning import settings

    monkeypatch.setattr(settings, "out_dir", tmp_path / "out")
    a = _ll(3000, 3000)
    src = _write(tmp_path / "farms.csv", [f"a,{a[0]},{a[1]},600,"])
    county_dir = tmp_path / "cty" / "hengnan"
    county_dir.mkdir(parents=True)
    res = CliRunner().invoke(cli, ["check", "--csv", str(src), "--county", str(county_dir), "--zones", str(zones)])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "out" / "hengnan" / "checks" / "farms.checked.csv").exists()
    assert list(county_dir.iterdir()) == []  # nothing written into the county's data folder


def test_cli_register_keeps_an_existing_result_without_overwrite(tmp_path, zones):
    a = _ll(3000, 3000)
    src = _write(tmp_path / "farms.csv", [f"a,{a[0]},{a[1]},600,"])
    out = tmp_path / "o.csv"
    out.write_text("keep me", encoding="utf-8")
    args = ["check", "--csv", str(src), "--zones", str(zones), "--out", str(out)]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 1 and "pass --overwrite" in res.output and out.read_text(encoding="utf-8") == "keep me"
    assert CliRunner().invoke(cli, [*args, "--overwrite"]).exit_code == 0
    assert "a," in out.read_text(encoding="utf-8-sig")
