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
