"""Check a whole farm register (CSV or Excel) in bulk, streamed in chunks.

- Coordinate columns are found by name (lon/lat, lng, long, x/y, longitude/latitude, 经度/纬度, case-insensitive);
  livestock columns by species key or Chinese name (猪/生猪, 蛋鸡, 鸭, 鹅, 肉鸡, 兔, 羊, 奶牛, 肉牛; see
  ``data/<county>/rules/livestock.toml``). Two columns that could both be the longitude (``lon`` and ``LON``, or
  ``lon`` and ``x``), or two for one species, are an error: the register says which to rename.
- One output row per input row, input columns first and unchanged (read as text), then the answer columns.
- Bad rows (empty, non-numeric, out-of-range coordinates; negative, fractional or non-numeric counts; more fields
  than the header) keep their place and get an ``error`` naming the **1-based data row** (row 1 = the first row
  under the header) and the column; their answer columns are left empty. A row with fewer fields than the header
  has its missing cells empty.
- CSV is read with the standard :mod:`csv` reader (each row's field count is known) in chunks; Excel (.xlsx, .xlsm,
  .xls) is read whole with pandas' calamine engine. Output goes through :func:`zoning._io.atomic_path` and may be
  .csv (UTF-8 with BOM, the input's delimiter), .xlsx (text cells stay text: ``=1+1`` is not a formula) or .gpkg
  (points in the zones' CRS; error rows have no geometry; input columns named ``fid``/``geometry``/``geom`` are
  written as ``<name>_input``).
"""

from __future__ import annotations

import codecs
import csv
import itertools
import logging
import math
import os
import re
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from zoning._io import atomic_path
from zoning.crs import horizontal_point_crs, parse_angle, point_crs_is_geographic
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
#: Column names a GeoPackage layer reserves (compared case-insensitively); such input columns get ``_input``.
GPKG_RESERVED = ("fid", "geometry", "geom")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")


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
    notes: list[str] = field(default_factory=list)  # e.g. input columns renamed in the output


@dataclass
class _Columns:
    lon: str
    lat: str
    species: dict[str, str]  # column -> species key
    discharge: str | None


def _norm(name: Any) -> str:
    return str(name).strip().lower()


def _matches(columns: list[str], names: tuple[str, ...]) -> list[str]:
    """Columns whose name is one of ``names`` (case-insensitive); a duplicate header ``lon``, ``lon.1`` counts twice."""
    normed = {_norm(c) for c in columns}

    def base(c: str) -> str:
        m = re.fullmatch(r"(.*)\.\d+", _norm(c))
        return m.group(1) if m and m.group(1) in normed else _norm(c)

    return [c for c in columns if base(c) in names]


def _header_name(column: str, columns: list[str]) -> str:
    """The name as written in the header: a duplicate that reading renamed ``lon.1`` is ``lon`` there."""
    base = re.sub(r"\.\d+$", "", column)
    return base if base != column and base in columns else column


def find_columns(columns: list[str], *, path: Path | str, county: str | None = None) -> _Columns:
    """Find the coordinate, livestock and discharge columns of a register by name (``path`` names it in messages)."""
    found = []
    for what, names in (("longitude", LON_NAMES), ("latitude", LAT_NAMES)):
        hits = _matches(columns, names)
        if not hits:
            raise InputFileError(f"{path}: no {what} column among {list(columns)}; "
                                 f"name the columns lon/lat (or lng, x/y, longitude/latitude, 经度/纬度)")
        if len(hits) > 1:
            pos = [columns.index(c) + 1 for c in hits]
            name = [_header_name(c, columns) for c in hits]
            which = ", ".join(f"column {p} {n!r}" for p, n in zip(pos, name))
            raise InputFileError(f"{path}: {len(hits)} columns could be the {what} ({which}); rename all but one "
                                 f"in the header (e.g. column {pos[1]} to '{name[1]}_old')")
        found.append(hits[0])
    rules = lv.load_rules(county)
    species = {c: k for c in columns if (k := rules.species_key(c)) is not None}
    for key in set(species.values()):
        same = [c for c, k in species.items() if k == key]
        if len(same) > 1:
            raise InputFileError(f"{path}: columns {', '.join(map(repr, same))} all give {key} head counts; "
                                 "keep one (rename the others)")
    discharge = _matches(columns, DISCHARGE_NAMES)
    return _Columns(found[0], found[1], species, discharge[0] if discharge else None)


def _sniff_encoding(path: Path) -> str:
    """utf-8(-sig) or gb18030 (Chinese Excel exports), from the first 64 KiB; Excel workbooks are refused here."""
    with open(path, "rb") as f:
        head = f.read(1 << 16)
    if head.startswith(b"PK\x03\x04"):
        raise InputFileError(f"{path}: this looks like an Excel file (zip), not a CSV; rename it .xlsx")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputFileError(f"{path}: this looks like an old Excel file, not a CSV; rename it .xls")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8-sig"
    except UnicodeDecodeError:
        return "gb18030"


def _unique_names(header: list[str]) -> list[str]:
    """Header names made unique the way pandas does it (``lon``, ``lon.1``); empty ones become ``Unnamed: i``."""
    out: list[str] = []
    for i, h in enumerate(header):
        name = h if h.strip() else f"Unnamed: {i}"
        k, j = name, 0
        while k in out:
            j += 1
            k = f"{name}.{j}"
        out.append(k)
    return out


@dataclass
class _Source:
    """An opened register: how messages name it, its CSV delimiter and its chunks (text frame, field counts)."""

    label: str
    sep: str
    chunks: Iterator[tuple[pd.DataFrame, np.ndarray | None]]


def _open_register(path: Path, chunk_size: int, sheet: str | int | None) -> _Source:
    """The register as text DataFrames (values kept exactly as written), in chunks."""
    if path.suffix.lower() in EXCEL_SUFFIXES:
        return _open_excel(path, chunk_size, sheet)
    if sheet is not None:
        raise InputFileError(f"{path}: --sheet applies to Excel registers (.xlsx, .xls), not to a CSV")
    enc = _sniff_encoding(path)
    try:
        with open(path, encoding=enc, newline="") as f:
            first = f.readline()
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{path}: cannot read as CSV ({exc}); save it as UTF-8 or GB18030 text") from exc
    try:
        sep = csv.Sniffer().sniff(first, delimiters=",;\t|").delimiter
    except csv.Error:
        sep = ","
    return _Source(str(path), sep, _csv_chunks(path, chunk_size, enc, sep))


def _csv_chunks(path: Path, chunk_size: int, enc: str, sep: str) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
    """Rows of a CSV padded (fewer fields) or cut (more fields) to the header's width; the field counts say which."""
    try:
        with open(path, encoding=enc, newline="") as f:
            rows = csv.reader(f, delimiter=sep)
            header = next(rows, None)
            if header is None:
                raise InputFileError(f"{path}: empty file; the first line must name the columns (e.g. name,lon,lat)")
            names = _unique_names(header)
            width, start = len(names), 0
            while batch := list(itertools.islice(rows, chunk_size)):
                # a longer row counts only when an extra field holds something (a trailing delimiter is harmless)
                counts = np.fromiter((len(r) if len(r) <= width or any(v.strip() for v in r[width:]) else width
                                      for r in batch), dtype=np.int64, count=len(batch))
                cells = [r if len(r) == width else (r + [""] * width)[:width] for r in batch]
                yield (pd.DataFrame(cells, columns=names, dtype=str, index=pd.RangeIndex(start, start + len(batch))),
                       counts)
                start += len(batch)
    except (csv.Error, UnicodeDecodeError) as exc:
        raise InputFileError(f"{path}: cannot read as CSV ({exc}); save it again as CSV (UTF-8 or GB18030)") from exc


def _open_excel(path: Path, chunk_size: int, sheet: str | int | None) -> _Source:
    import python_calamine

    try:
        book = pd.ExcelFile(path, engine="calamine")
        sheets = [str(s) for s in book.sheet_names]
        if sheet is None:
            sheet = 0
        if isinstance(sheet, int) and not 0 <= sheet < len(sheets) or isinstance(sheet, str) and sheet not in sheets:
            raise InputFileError(f"{path}: no sheet {sheet!r}; the workbook has sheets {', '.join(map(repr, sheets))}")
        name = sheets[sheet] if isinstance(sheet, int) else sheet
        df = pd.read_excel(book, sheet_name=name, dtype=str, keep_default_na=False)
    except (python_calamine.CalamineError, zipfile.BadZipFile, ValueError, OSError) as exc:
        if isinstance(exc, InputFileError):
            raise
        with open(path, "rb") as f:
            magic = f.read(4)
        hint = "" if magic in (b"PK\x03\x04", b"\xd0\xcf\x11\xe0") else " (it is not an Excel file at all: if it is a CSV, rename it .csv)"
        raise InputFileError(f"{path}: cannot read as an Excel workbook ({exc}){hint}; open it in Excel and save it "
                             "again as .xlsx (or as .csv)") from exc
    others = f" of {', '.join(map(repr, sheets))}; choose one with --sheet NAME" if len(sheets) > 1 else ""
    chunks = ((df.iloc[i:i + chunk_size], None) for i in range(0, max(len(df), 1), chunk_size))
    return _Source(f"{path} (sheet {name!r}{others})", ",", chunks)


_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")


def _numbers(values: pd.Series, *, angle: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Parse a text column: (values, reason) with reason '' where fine, 'empty', or why it is not a number."""
    s = values.str.strip()
    num = pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64", copy=True)
    reason = np.full(len(s), "", dtype=object)
    empty = (s == "").to_numpy()
    reason[empty] = "empty"
    todo = np.flatnonzero(np.isnan(num) & ~empty)
    for i in todo:
        v = s.iat[i]
        try:
            num[i] = parse_angle(v, axis=angle) if angle else float("nan")
            if np.isnan(num[i]):
                reason[i] = f"{v!r} is not a number" + ("; write whole numbers without separators" if "," in v else "")
        except (CoordinateError, ValueError):
            hint = f" (decimal comma? write {v.replace(',', '.')})" if _DECIMAL_COMMA.fullmatch(v) else ""
            reason[i] = f"{v!r} is not a number or D°M′S″ angle{hint}"
    return num, reason


def _assess_chunk(df: pd.DataFrame, fields: np.ndarray | None, first_row: int, cols: _Columns, index: ZoneIndex, *,
                  crs: Any, geographic: bool, discharge: bool, county: str | None,
                  sep: str) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    n = len(df)
    errors = [[] for _ in range(n)]
    rownum = np.arange(first_row, first_row + n)

    def add(mask: np.ndarray, text) -> None:
        for i in np.flatnonzero(mask):
            errors[i].append(text(i) if callable(text) else text)

    if fields is not None:
        width = df.shape[1]
        add(fields > width, lambda i: f"row {rownum[i]} has {fields[i]} fields, the header has {width}: "
                                      f"quote values that contain {sep!r} or remove the extra fields")
    x, rx = _numbers(df[cols.lon], angle="lon" if geographic else None)
    y, ry = _numbers(df[cols.lat], angle="lat" if geographic else None)
    add(rx != "", lambda i: f"row {rownum[i]}: column {cols.lon!r} {rx[i]}")
    add(ry != "", lambda i: f"row {rownum[i]}: column {cols.lat!r} {ry[i]}")
    X, Y, swapped = index.resolve(x, y, crs)
    parsed = (rx == "") & (ry == "")
    bad_pos = parsed & ~np.isfinite(X)
    hint = "; if these are metres, pass --crs EPSG:4547" if geographic else " (not a position on Earth)"
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
            with np.errstate(invalid="ignore"):
                neg = v < 0
                big = np.isinf(v) & ~neg
                frac = np.isfinite(v) & (v != np.floor(v))
            add(neg, lambda i, c=col: f"row {rownum[i]}: column {c!r} is negative")
            add(big, lambda i, c=col: f"row {rownum[i]}: column {c!r} is too large")
            add(frac, lambda i, c=col: f"row {rownum[i]}: column {c!r} {df[c].iat[i].strip()!r} is not a whole number "
                                       "(head counts are whole animals)")
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
    res.insert(1, "note", _row_notes(index, x, y, crs, geographic, swapped, ~bad))
    if pe is None:
        res["pig_equivalents"] = np.nan
    res = res[list(RESULT_COLUMNS)]
    res.index = df.index
    return res, X, Y


def _row_notes(index: ZoneIndex, x: np.ndarray, y: np.ndarray, crs: Any, geographic: bool, swapped: np.ndarray,
               ok: np.ndarray) -> np.ndarray:
    """Per row: swapped axes (read the other way round), a likely sign error, degrees given for a metre CRS."""
    notes = [[] for _ in range(len(x))]
    for i in np.flatnonzero(swapped & ok):
        notes[i].append("longitude/latitude swapped in the input; read the other way round")
    sign = index.sign_hints(x, y, crs)
    for i in np.flatnonzero((sign != "") & ok & ~swapped):
        notes[i].append(f"the sign of the {sign[i]} may be wrong: flipped, the site lies in or near the county")
    if not geographic:
        with np.errstate(invalid="ignore"):
            deg = ok & (np.abs(x) <= 180) & (np.abs(y) <= 90)
        for i in np.flatnonzero(deg):
            notes[i].append("these look like degrees, not metres; use --crs wgs84")
    return np.array(["; ".join(n) for n in notes], dtype=object)


def _result_names(input_cols: list[str]) -> dict[str, str]:
    taken = {_norm(c) for c in input_cols}
    return {c: (c if c not in taken else f"{c}_result") for c in RESULT_COLUMNS}


def check_register(path: str | os.PathLike[str], *, out: str | os.PathLike[str] | None = None, county: str | None = None,
                   crs: Any = "wgs84", zones_path: str | os.PathLike[str] | None = None, chunk_size: int = 100_000,
                   discharge: bool = True, progress: bool | None = None, sheet: str | int | None = None,
                   index: ZoneIndex | None = None) -> RegisterResult:
    """Check every site of a register; write ``out`` (.csv/.xlsx/.gpkg) or return the table when ``out`` is None.

    ``sheet`` picks the worksheet of an Excel register (name or 0-based position; default the first).
    ``progress`` None shows a tqdm bar on stderr when it is a terminal or the input has more than one chunk.
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path}: file not found; give the farm register as .csv or .xlsx")
    if chunk_size < 1:
        raise InputFileError(f"chunk_size must be ≥ 1, got {chunk_size}")
    pcrs = horizontal_point_crs(crs)
    geographic = point_crs_is_geographic(pcrs)
    index = index or load_index(zones_path, county=county)
    out_path = Path(out) if out else None
    fmt = out_path.suffix.lower() if out_path else None
    if fmt not in (None, ".csv", ".xlsx", ".gpkg"):
        raise OutputError(f"{out_path}: output must end in .csv, .xlsx or .gpkg")
    totals = dict(rows=0, errors=0, in_zone=0, forbidden=0, swapped=0)
    notes: list[str] = []
    keep: list[pd.DataFrame] = []
    bar = None
    try:
        with (atomic_path(out_path, protect=(path,)) if out_path else _null()) as tmp:
            src = _open_register(path, chunk_size, sheet)
            cols = None
            for k, (chunk, fields) in enumerate(src.chunks):
                if cols is None:
                    cols = find_columns(list(chunk.columns), path=src.label, county=county)
                    names = _result_names(list(chunk.columns))
                    in_names, notes = _gpkg_names(list(chunk.columns)) if fmt == ".gpkg" else ({}, [])
                    log.info("%s: coordinates from %r/%r, livestock from %s", src.label, cols.lon, cols.lat,
                             list(cols.species) or "none")
                if bar is None and (progress or (progress is None and (sys.stderr.isatty() or k >= 1))):
                    from tqdm import tqdm

                    bar = tqdm(unit=" rows", file=sys.stderr, desc="checking sites", initial=totals["rows"])
                res, X, Y = _assess_chunk(chunk, fields, totals["rows"] + 1, cols, index, crs=pcrs,
                                          geographic=geographic, discharge=discharge, county=county, sep=src.sep)
                totals["errors"] += int((res["error"] != "").sum())
                totals["in_zone"] += int(res["in_zone"].sum())
                totals["forbidden"] += int((res["allowed"] == False).sum())  # noqa: E712 (nullable boolean)
                totals["swapped"] += int(res["note"].str.contains("swapped").sum())
                totals["rows"] += len(chunk)
                table = pd.concat([chunk.rename(columns=in_names), res.rename(columns=names)], axis=1)
                if fmt == ".csv":  # BOM once, so Excel shows Chinese; the input's delimiter
                    table.to_csv(tmp, mode="a", header=(k == 0), index=False, sep=src.sep,
                                 encoding="utf-8-sig" if k == 0 else "utf-8")
                elif fmt == ".gpkg":
                    _append_gpkg(table, X, Y, index, tmp, first=(k == 0))
                else:
                    keep.append(table)
                if bar is not None:
                    bar.update(len(chunk))
            if cols is None or totals["rows"] == 0:
                raise InputFileError(f"{src.label}: no rows under the header")
            full = pd.concat(keep, ignore_index=True) if keep else None
            if fmt == ".xlsx":
                _write_xlsx(full, tmp)
    finally:
        if bar is not None:
            bar.close()
    for note in notes:
        log.warning("%s", note)
    log.info("%s: %d rows, %d with errors, %d in a zone, %d forbidden", path, totals["rows"], totals["errors"],
             totals["in_zone"], totals["forbidden"])
    return RegisterResult(**totals, out=out_path, table=full if fmt is None else None, notes=notes)


class _null:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def _gpkg_names(input_cols: list[str]) -> tuple[dict[str, str], list[str]]:
    """Renaming of input columns for a GeoPackage layer, whose column names are case-insensitive and which reserves
    fid/geometry/geom: such columns get ``_input`` (``_input2``, …). Returns the renaming and one note per column."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    notes = []
    for c in input_cols:
        new, j = c, 1
        while _norm(new) in GPKG_RESERVED or _norm(new) in taken:
            new = f"{c}_input" if j == 1 else f"{c}_input{j}"
            j += 1
        taken.add(_norm(new))
        if new != c:
            names[c] = new
            notes.append(f"column {c!r} is written as {new!r} (a GeoPackage reserves or already has that name)")
    return names, notes


def _append_gpkg(table: pd.DataFrame, X: np.ndarray, Y: np.ndarray, index: ZoneIndex, tmp: Path, *, first: bool) -> None:
    import geopandas as gpd
    import shapely

    geom = shapely.points(X, Y)
    geom[~np.isfinite(X)] = None
    gdf = gpd.GeoDataFrame(table.reset_index(drop=True), geometry=geom, crs=index.crs)
    gdf.to_file(tmp, layer="sites", driver="GPKG", mode="w" if first else "a")


def _write_xlsx(table: pd.DataFrame, tmp: Path) -> None:
    """Write ``table`` with openpyxl; every text cell is stored as text, so ``=1+1`` or ``=HYPERLINK(…)`` from a
    register never becomes a live formula and ``#N/A`` never an error value."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils.exceptions import IllegalCharacterError

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("sites")

    def cell(v: Any) -> Any:
        v = v.item() if isinstance(v, np.generic) else v  # numpy bool would be written as a number
        if v is None or v is pd.NA or v == "" or (isinstance(v, float) and math.isnan(v)):
            return None
        if isinstance(v, str):
            c = WriteOnlyCell(ws, value=v)
            c.data_type = "s"
            return c
        return v

    i = 0
    try:
        ws.append([cell(str(c)) for c in table.columns])
        for i, row in enumerate(table.itertuples(index=False, name=None), 1):
            ws.append([cell(v) for v in row])
    except IllegalCharacterError as exc:
        raise OutputError(f"row {i}: a value contains a control character that .xlsx cannot hold ({exc}); "
                          "write .csv instead") from exc
    wb.save(tmp)
