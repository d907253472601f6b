"""Check a whole farm register (CSV or Excel) in bulk, streamed in chunks.

- Coordinate columns are found by name (lon/lat, lng, long, x/y, longitude/latitude, 经度/纬度, case-insensitive);
  livestock columns by species key or Chinese name (猪/生猪, 蛋鸡, 鸭, 鹅, 肉鸡, 兔, 羊, 奶牛, 肉牛; see
  ``data/<county>/rules/livestock.toml``).
- One output row per input row, input columns first and unchanged (read as text), then the answer columns.
- Bad rows (empty, non-numeric, out-of-range coordinates; negative or non-numeric counts) keep their place and get
  an ``error`` naming the **1-based data row** (row 1 = the first row under the header) and the column.
- CSV is streamed with pandas ``chunksize``; Excel is read whole. Output goes through :func:`zoning._io.atomic_path`
  and may be .csv, .xlsx or .gpkg (points in the zones' CRS; error rows have no geometry).
"""

from __future__ import annotations

import codecs
import csv
import logging
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from zoning._io import atomic_path
from zoning.crs import parse_angle, parse_point_crs, point_crs_is_geographic
from zoning.errors import CoordinateError, InputFileError, OutputError
from zoning.rules import livestock as lv
from zoning.sitecheck import ZoneIndex, assess, load_index

log = logging.getLogger(__name__)

LON_NAMES = ("lon", "lng", "long", "longitude", "x", "经度", "东经", "easting")
LAT_NAMES = ("lat", "latitude", "y", "纬度", "北纬", "northing")
DISCHARGE_NAMES = ("discharge", "排放", "有排放")
RESULT_COLUMNS = ("error", "note", "in_zone", "level", "zone_ids", "codes", "depth_m", "nearest_zone_id",
                  "nearest_level", "nearest_distance_m", "inside_county", "county_distance_m", "township",
                  "township_approximate", "pig_equivalents", "size_class", "allowed", "verdict", "clause")
_TRUE = {"1", "true", "yes", "y", "是", "有"}
_FALSE = {"0", "false", "no", "n", "否", "无"}


@dataclass
class RegisterResult:
    """Summary of a register run; ``table`` holds the rows when no output file was asked for."""

    rows: int
    errors: int
    in_zone: int
    forbidden: int
    swapped: int
    out: Path | None
    table: pd.DataFrame | None = None


@dataclass
class _Columns:
    lon: str
    lat: str
    species: dict[str, str]  # column -> species key
    discharge: str | None


def _norm(name: Any) -> str:
    return str(name).strip().lower()


def find_columns(columns: list[str], *, path: Path, county: str | None = None) -> _Columns:
    """Find the coordinate, livestock and discharge columns of a register by name."""
    norm = {_norm(c): c for c in columns}
    lon = next((norm[n] for n in LON_NAMES if n in norm), None)
    lat = next((norm[n] for n in LAT_NAMES if n in norm), None)
    if lon is None or lat is None:
        raise InputFileError(
            f"{path}: no {'longitude' if lon is None else 'latitude'} column among {list(columns)}; "
            f"name the columns lon/lat (or lng, x/y, longitude/latitude, 经度/纬度)"
        )
    rules = lv.load_rules(county)
    species = {c: k for c in columns if (k := rules.species_key(c)) is not None}
    discharge = next((norm[n] for n in DISCHARGE_NAMES if n in norm), None)
    return _Columns(lon, lat, species, discharge)


def _sniff_encoding(path: Path) -> str:
    head = path.read_bytes()[:1 << 16] if path.stat().st_size < 1 << 16 else open(path, "rb").read(1 << 16)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8-sig"
    except UnicodeDecodeError:
        return "gb18030"  # Chinese Excel exports


def _read_chunks(path: Path, chunk_size: int, sheet: str | int | None) -> Iterator[pd.DataFrame]:
    """Yield the register as text DataFrames (values kept exactly as written)."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm", ".xls"):
            df = pd.read_excel(path, sheet_name=sheet or 0, dtype=str, keep_default_na=False)
            for i in range(0, max(len(df), 1), chunk_size):
                yield df.iloc[i:i + chunk_size]
            return
        enc = _sniff_encoding(path)
        with open(path, encoding=enc, errors="strict") as f:
            first = f.readline()
        try:
            sep = csv.Sniffer().sniff(first, delimiters=",;\t|").delimiter
        except csv.Error:
            sep = ","
        reader = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding=enc, chunksize=chunk_size,
                             skip_blank_lines=False)
        with reader:
            yield from reader
    except FileNotFoundError:
        raise InputFileError(f"{path}: file not found") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise InputFileError(f"{path}: cannot read as {'Excel' if suffix.startswith('.xls') else 'CSV'} ({exc})") from exc


def _numbers(values: pd.Series, *, angle: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Parse a text column: (values, reason) with reason '' where fine, 'empty', or 'not a number'."""
    s = values.str.strip()
    num = pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64", copy=True)
    reason = np.full(len(s), "", dtype=object)
    empty = (s == "").to_numpy()
    reason[empty] = "empty"
    todo = np.flatnonzero(np.isnan(num) & ~empty)
    for i in todo:
        try:
            num[i] = parse_angle(s.iat[i], axis=angle) if angle else float("nan")
            if np.isnan(num[i]):
                reason[i] = f"{s.iat[i]!r} is not a number"
        except (CoordinateError, ValueError):
            reason[i] = f"{s.iat[i]!r} is not a number or D°M′S″ angle"
    return num, reason


def _assess_chunk(df: pd.DataFrame, first_row: int, cols: _Columns, index: ZoneIndex, *, crs: Any, geographic: bool,
                  discharge: bool, county: str | None) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    n = len(df)
    errors = [[] for _ in range(n)]
    rownum = np.arange(first_row, first_row + n)

    def add(mask: np.ndarray, text) -> None:
        for i in np.flatnonzero(mask):
            errors[i].append(text(i) if callable(text) else text)

    x, rx = _numbers(df[cols.lon], angle="lon" if geographic else None)
    y, ry = _numbers(df[cols.lat], angle="lat" if geographic else None)
    add(rx != "", lambda i: f"row {rownum[i]}: column {cols.lon!r} {rx[i]}")
    add(ry != "", lambda i: f"row {rownum[i]}: column {cols.lat!r} {ry[i]}")
    X, Y, swapped = index.resolve(x, y, crs)
    parsed = (rx == "") & (ry == "")
    bad_pos = parsed & ~np.isfinite(X)
    hint = "; if these are metres, pass --crs EPSG:4547" if geographic else ""
    add(bad_pos, lambda i: f"row {rownum[i]}: ({x[i]}, {y[i]}) is out of range for {crs}{hint}")
    pe = None
    if cols.species:
        rules = lv.load_rules(county)
        pe = np.zeros(n)
        given = np.zeros(n, dtype=bool)  # a row with every livestock cell empty has no size: its verdict depends on it
        for col, key in cols.species.items():
            sp = next(s for s in rules.species if s.key == key)
            v, r = _numbers(df[col], angle=None)
            given |= r != "empty"
            v[r == "empty"] = 0.0
            add((r != "") & (r != "empty"), lambda i, c=col, r=r: f"row {rownum[i]}: column {c!r} {r[i]}")
            neg = v < 0
            add(neg, lambda i, c=col: f"row {rownum[i]}: column {c!r} is negative")
            pe += np.where(np.isfinite(v) & ~neg, v, 0.0) * sp.pigs / sp.heads
        pe[~given] = np.nan
    dis: np.ndarray | bool = discharge
    if cols.discharge:
        t = df[cols.discharge].str.strip().str.lower()
        dis = np.where(t.isin(_TRUE), True, np.where(t.isin(_FALSE), False, discharge))
        add(~(t.isin(_TRUE) | t.isin(_FALSE) | (t == "")).to_numpy(),
            lambda i: f"row {rownum[i]}: column {cols.discharge!r} must be yes/no (是/否)")
    err = np.array(["; ".join(e) for e in errors], dtype=object)
    bad = err != ""
    X[bad] = np.nan
    Y[bad] = np.nan
    if pe is not None:
        pe[bad] = np.nan
    res = assess(index, X, Y, pig_equivalents=pe, discharge=dis, county=county)
    res.insert(0, "error", err)
    note = np.where(swapped & ~bad, "longitude/latitude swapped in the input; read the other way round", "")
    res.insert(1, "note", note)
    if pe is None:
        res["pig_equivalents"] = np.nan
    res = res[list(RESULT_COLUMNS)]
    res.index = df.index
    return res, X, Y


def _result_names(input_cols: list[str]) -> dict[str, str]:
    taken = set(input_cols)
    return {c: (c if c not in taken else f"{c}_result") for c in RESULT_COLUMNS}


def check_register(path: str | os.PathLike[str], *, out: str | os.PathLike[str] | None = None, county: str | None = None,
                   crs: Any = "wgs84", zones_path: str | os.PathLike[str] | None = None, chunk_size: int = 100_000,
                   discharge: bool = True, progress: bool | None = None, sheet: str | int | None = None,
                   index: ZoneIndex | None = None) -> RegisterResult:
    """Check every site of a register; write ``out`` (.csv/.xlsx/.gpkg) or return the table when ``out`` is None.

    ``progress`` None shows a tqdm bar on stderr when it is a terminal or the input has more than one chunk.
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path}: file not found; give the farm register as .csv or .xlsx")
    if chunk_size < 1:
        raise InputFileError(f"chunk_size must be ≥ 1, got {chunk_size}")
    pcrs = parse_point_crs(crs)
    geographic = point_crs_is_geographic(pcrs)
    index = index or load_index(zones_path, county=county)
    out_path = Path(out) if out else None
    fmt = out_path.suffix.lower() if out_path else None
    if fmt not in (None, ".csv", ".xlsx", ".gpkg"):
        raise OutputError(f"{out_path}: output must end in .csv, .xlsx or .gpkg")
    totals = dict(rows=0, errors=0, in_zone=0, forbidden=0, swapped=0)
    keep: list[pd.DataFrame] = []
    bar = None
    try:
        with (atomic_path(out_path, protect=(path,)) if out_path else _null()) as tmp:
            cols = None
            for k, chunk in enumerate(_read_chunks(path, chunk_size, sheet)):
                if cols is None:
                    cols = find_columns(list(chunk.columns), path=path, county=county)
                    names = _result_names(list(chunk.columns))
                    log.info("%s: coordinates from %r/%r, livestock from %s", path, cols.lon, cols.lat, list(cols.species) or "none")
                if bar is None and (progress or (progress is None and (sys.stderr.isatty() or k >= 1))):
                    from tqdm import tqdm

                    bar = tqdm(unit=" rows", file=sys.stderr, desc="checking sites", initial=totals["rows"])
                res, X, Y = _assess_chunk(chunk, totals["rows"] + 1, cols, index, crs=pcrs, geographic=geographic,
                                          discharge=discharge, county=county)
                totals["errors"] += int((res["error"] != "").sum())
                totals["in_zone"] += int(res["in_zone"].sum())
                totals["forbidden"] += int((res["allowed"] == False).sum())  # noqa: E712 (nullable boolean)
                totals["swapped"] += int((res["note"] != "").sum())
                totals["rows"] += len(chunk)
                table = pd.concat([chunk, res.rename(columns=names)], axis=1)
                if fmt == ".csv":
                    table.to_csv(tmp, mode="a", header=(k == 0), index=False, encoding="utf-8")
                elif fmt == ".gpkg":
                    _append_gpkg(table, X, Y, index, tmp, first=(k == 0))
                else:
                    keep.append(table)
                if bar is not None:
                    bar.update(len(chunk))
            if cols is None:
                raise InputFileError(f"{path}: no rows")
            full = pd.concat(keep, ignore_index=True) if keep else None
            if fmt == ".xlsx":
                full.to_excel(tmp, index=False)
    finally:
        if bar is not None:
            bar.close()
    log.info("%s: %d rows, %d with errors, %d in a zone, %d forbidden", path, totals["rows"], totals["errors"],
             totals["in_zone"], totals["forbidden"])
    return RegisterResult(**totals, out=out_path, table=full if fmt is None else None)


class _null:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def _append_gpkg(table: pd.DataFrame, X: np.ndarray, Y: np.ndarray, index: ZoneIndex, tmp: Path, *, first: bool) -> None:
    import geopandas as gpd
    import shapely

    geom = shapely.points(X, Y)
    geom[~np.isfinite(X)] = None
    gdf = gpd.GeoDataFrame(table.reset_index(drop=True), geometry=geom, crs=index.crs)
    gdf["allowed"] = gdf["allowed"].astype("object") if "allowed" in gdf else None
    gdf.to_file(tmp, layer="sites", driver="GPKG", mode="w" if first else "a")
