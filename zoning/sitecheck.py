"""May a farm be here? Points → zones, distances, township and the livestock verdict.

Semantics, stated once:

- **covers**: a point on a zone's edge is inside that zone (DESIGN.md); every zone covering the point is listed.
- **depth_m**: for a point in one or more zones, the distance to the nearest edge of a zone that covers it.
- **nearest**: for a point in no zone, the zone whose edge is nearest and that distance (ties: the lower level).
- Distances are planar metres in the zones' CRS (EPSG:4547 for Hengnan; grid scale ~1.0002 there).
- **swapped coordinates**: when a point lies more than :data:`SWAP_NEAR_M` outside the county's bounding box and
  the same numbers read the other way round fall within :data:`SWAP_NEAR_M` of the county, the numbers are read
  swapped and a note says so (the answer states the coordinates it used).

:class:`ZoneIndex` loads ``zones.gpkg`` once and answers many points with vectorised shapely calls
(``intersects_xy`` on prepared polygons behind a bounding-box filter; an STRtree of edge segments for distances).
"""

from __future__ import annotations

import functools
import json
import logging
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from zoning import settings
from zoning._io import sha256 as file_sha256
from zoning.crs import (
    describe_crs,
    parse_point_crs,
    point_crs_is_geographic,
    points_to_crs,
    points_to_wgs84,
)
from zoning.errors import CoordinateError, LayerError, ZonesNotBuiltError
from zoning.rules import livestock as lv
from zoning.scheme import CATEGORY_LABELS

log = logging.getLogger(__name__)

#: A point this close (m) to the county counts as "near" for swapped-coordinate detection.
SWAP_NEAR_M = 50_000.0
ZONE_COLUMNS = ("zone_id", "code", "name", "category", "level")
_DIRECTIONS = (("北", "north"), ("东北", "north-east"), ("东", "east"), ("东南", "south-east"),
               ("南", "south"), ("西南", "south-west"), ("西", "west"), ("西北", "north-west"))


class _SegmentIndex:
    """Nearest edge of a set of polygons: an STRtree over their boundary segments, each tagged with its owner."""

    def __init__(self, geoms: np.ndarray, owners: np.ndarray):
        lines, idx = shapely.get_parts(shapely.boundary(geoms), return_index=True)
        coords, cidx = shapely.get_coordinates(lines, return_index=True)
        same = cidx[:-1] == cidx[1:]
        starts = coords[:-1][same]
        ends = coords[1:][same]
        self.owner = np.asarray(owners)[idx[cidx[:-1][same]]]
        self.segments = shapely.linestrings(np.stack([starts, ends], axis=1))
        self.tree = shapely.STRtree(self.segments)
        self.ax, self.ay = starts[:, 0].copy(), starts[:, 1].copy()
        self.bx, self.by = ends[:, 0].copy(), ends[:, 1].copy()

    def nearest(self, x: np.ndarray, y: np.ndarray, *, rank: np.ndarray | None = None,
                cell_m: float = 400.0, batch: int = 25_000) -> tuple[np.ndarray, np.ndarray]:
        """(owner, distance) of the nearest segment for each point; among equidistant owners the lowest ``rank``.

        Coarse-grid pre-selection, exact result: points are binned into ``cell_m`` cells; for each occupied cell
        the STRtree gives the distance d from its centre to the nearest segment, and every segment within
        d + cell diagonal of the centre is a candidate (the nearest segment of any point in the cell is among
        them). Point–segment distances to the candidates are then taken with numpy, in batches of points.
        """
        n = len(x)
        out_o = np.full(n, -1, dtype=int)
        out_d = np.full(n, np.nan)
        ok = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
        if len(ok) == 0:
            return out_o, out_d
        rank = np.zeros(len(self.owner), dtype=int) if rank is None else np.asarray(rank)[self.owner]
        px, py = x[ok], y[ok]
        x0, y0 = px.min(), py.min()
        ci = ((px - x0) // cell_m).astype(np.int64)
        cj = ((py - y0) // cell_m).astype(np.int64)
        key = ci * (int(cj.max()) + 1) + cj
        cells, inv = np.unique(key, return_inverse=True)
        ncj = int(cj.max()) + 1
        centres = shapely.points(x0 + (cells // ncj + 0.5) * cell_m, y0 + (cells % ncj + 0.5) * cell_m)
        _, dc = self.tree.query_nearest(centres, return_distance=True, all_matches=False)
        diag = cell_m * math.sqrt(2.0)
        c_idx, s_idx = self.tree.query(centres, predicate="dwithin", distance=dc + diag + 1e-6)
        order = np.argsort(c_idx, kind="stable")
        c_idx, s_idx = c_idx[order], s_idx[order]
        start = np.searchsorted(c_idx, np.arange(len(cells)))
        count = np.bincount(c_idx, minlength=len(cells))
        nz = int(self.owner.max()) + 1
        for b0 in range(0, len(ok), batch):
            sl = slice(b0, b0 + batch)
            cell = inv[sl]
            cnt = count[cell]
            pi = np.repeat(np.arange(len(cell)), cnt)
            first = np.repeat(np.cumsum(cnt) - cnt, cnt)
            seg = s_idx[np.repeat(start[cell], cnt) + (np.arange(len(pi)) - first)]
            d = _point_segment_distance(px[sl][pi], py[sl][pi], self.ax[seg], self.ay[seg], self.bx[seg], self.by[seg])
            bounds = np.cumsum(cnt) - cnt
            dmin = np.minimum.reduceat(d, bounds)
            tied = d <= dmin[pi] + 1e-9
            pick = np.where(tied, rank[seg] * nz + self.owner[seg], np.iinfo(np.int64).max)
            best = np.minimum.reduceat(pick, bounds)
            out_o[ok[sl]] = best % nz
            out_d[ok[sl]] = dmin
        return out_o, out_d


def _point_segment_distance(px, py, ax, ay, bx, by) -> np.ndarray:
    """Euclidean distance from points to segments, element-wise (planar, metres)."""
    dx, dy = bx - ax, by - ay
    ll = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(ll > 0, ((px - ax) * dx + (py - ay) * dy) / ll, 0.0)
    t = np.clip(t, 0.0, 1.0)
    return np.hypot(px - (ax + t * dx), py - (ay + t * dy))


def _read_layer(path: Path, layer: str, columns: tuple[str, ...]) -> Any:
    try:
        gdf = pyogrio.read_dataframe(path, layer=layer)
    except Exception as exc:  # pyogrio raises DataLayerError / DataSourceError
        raise LayerError(f"{path}: cannot read layer '{layer}' ({exc}); rebuild it with `zoning build`") from exc
    missing = [c for c in columns if c not in gdf.columns]
    if missing:
        raise LayerError(f"{path} layer '{layer}': missing column(s) {', '.join(missing)}; see DESIGN.md (zones GeoPackage contract)")
    if gdf.crs is None or not CRS.from_user_input(gdf.crs).is_projected:
        raise LayerError(f"{path} layer '{layer}': CRS {gdf.crs} is not projected; distances need metres (EPSG:4547)")
    return gdf


@dataclass
class ZoneIndex:
    """The zones GeoPackage loaded once for many point queries (all arrays in the zones' projected CRS)."""

    path: Path
    crs: CRS
    table: pd.DataFrame
    geoms: np.ndarray
    levels: np.ndarray
    county: Any | None
    township_names: np.ndarray
    township_geoms: np.ndarray
    township_approximate: np.ndarray
    sha256: str
    built_at: str | None
    _bounds: np.ndarray = field(repr=False, default=None)
    _edges: _SegmentIndex = field(repr=False, default=None)
    _county_edges: _SegmentIndex | None = field(repr=False, default=None)
    _tship_bounds: np.ndarray = field(repr=False, default=None)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ZoneIndex:
        """Read ``zones``, ``boundary`` and ``townships`` from a zones GeoPackage; prepare indexes."""
        path = Path(path)
        if not path.exists():
            raise ZonesNotBuiltError(f"{path} does not exist; run `zoning build` first or pass --zones PATH")
        layers = {name for name, _ in pyogrio.list_layers(path)}
        if "zones" not in layers:
            raise LayerError(f"{path}: no 'zones' layer (has: {', '.join(sorted(layers))}); is this a zones GeoPackage?")
        zones = _read_layer(path, "zones", ZONE_COLUMNS)
        crs = CRS.from_user_input(zones.crs)
        geoms = zones.geometry.values.to_numpy() if hasattr(zones.geometry.values, "to_numpy") else np.asarray(zones.geometry)
        geoms = np.asarray(geoms, dtype=object)
        if len(geoms) == 0 or shapely.is_empty(geoms).any() or pd.isna(zones["level"]).any():
            raise LayerError(f"{path} layer 'zones': empty layer, empty geometry or missing level; rebuild it")
        levels = zones["level"].astype(int).to_numpy()
        county = None
        if "boundary" in layers:
            b = _read_layer(path, "boundary", ())
            county = shapely.union_all(np.asarray(b.geometry, dtype=object))
            shapely.prepare(county)
        else:
            log.warning("%s has no 'boundary' layer: inside-county and swap checks are skipped", path)
        t_names = np.zeros(0, dtype=object)
        t_geoms = np.zeros(0, dtype=object)
        t_approx = np.zeros(0, dtype=bool)
        if "townships" in layers:
            t = _read_layer(path, "townships", ("name_zh",))
            t_names = t["name_zh"].astype(object).to_numpy()
            t_geoms = np.asarray(t.geometry, dtype=object)
            t_approx = t["approximate"].fillna(True).astype(bool).to_numpy() if "approximate" in t else np.ones(len(t), bool)
            shapely.prepare(t_geoms)
        shapely.prepare(geoms)
        manifest = path.parent / "manifest.json"
        built_at = None
        if manifest.exists():
            try:
                built_at = json.loads(manifest.read_text(encoding="utf-8")).get("built_at")
            except (json.JSONDecodeError, OSError) as exc:
                log.warning("cannot read %s: %s", manifest, exc)
        table = zones[list(ZONE_COLUMNS)].reset_index(drop=True).copy()
        table["level"] = levels
        idx = cls(path=path, crs=crs, table=table, geoms=geoms, levels=levels, county=county,
                  township_names=t_names, township_geoms=t_geoms, township_approximate=t_approx,
                  sha256=file_sha256(path), built_at=built_at)
        idx._bounds = shapely.bounds(geoms)
        idx._edges = _SegmentIndex(geoms, np.arange(len(geoms)))
        idx._county_edges = _SegmentIndex(np.array([county], dtype=object), np.array([0])) if county is not None else None
        idx._tship_bounds = shapely.bounds(t_geoms) if len(t_geoms) else np.zeros((0, 4))
        log.info("loaded %d zone parts from %s (%s)", len(geoms), path, describe_crs(crs))
        return idx

    # --- coordinates ---------------------------------------------------------------------------------------
    def to_working(self, x, y, crs: Any = "wgs84") -> tuple[np.ndarray, np.ndarray]:
        """Points given in ``crs`` in the zones' CRS; geographic values out of range become NaN."""
        x = np.atleast_1d(np.asarray(x, dtype="float64")).copy()
        y = np.atleast_1d(np.asarray(y, dtype="float64")).copy()
        if point_crs_is_geographic(parse_point_crs(crs)):
            bad = ~((np.abs(x) <= 180) & (np.abs(y) <= 90))
            x[bad] = np.nan
            y[bad] = np.nan
        X, Y = points_to_crs(x, y, crs, self.crs)
        ok = np.isfinite(X) & np.isfinite(Y)
        X[~ok] = np.nan
        Y[~ok] = np.nan
        return X, Y

    def _near_county_box(self, X: np.ndarray, Y: np.ndarray, margin: float) -> np.ndarray:
        x0, y0, x1, y1 = self.county.bounds
        with np.errstate(invalid="ignore"):
            return (X >= x0 - margin) & (X <= x1 + margin) & (Y >= y0 - margin) & (Y <= y1 + margin)

    def resolve(self, x, y, crs: Any = "wgs84") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Working-CRS points and a ``swapped`` flag: unambiguously swapped inputs are read the other way round."""
        X, Y = self.to_working(x, y, crs)
        swapped = np.zeros(len(X), dtype=bool)
        if self.county is None:
            return X, Y, swapped
        far = ~self._near_county_box(X, Y, SWAP_NEAR_M)
        if far.any():
            xs = np.atleast_1d(np.asarray(x, dtype="float64"))[far]
            ys = np.atleast_1d(np.asarray(y, dtype="float64"))[far]
            SX, SY = self.to_working(ys, xs, crs)
            cand = self._near_county_box(SX, SY, SWAP_NEAR_M)
            if cand.any():
                _, d = self._county_edges.nearest(SX[cand], SY[cand])
                inside = shapely.intersects_xy(self.county, SX[cand], SY[cand])
                ok = inside | (d <= SWAP_NEAR_M)
                cand[cand] = ok
                where = np.flatnonzero(far)[cand]
                X[where], Y[where] = SX[cand], SY[cand]
                swapped[where] = True
        return X, Y, swapped

    # --- vectorised queries ------------------------------------------------------------------------------
    def attribute(self, X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(point index, zone index) pairs for every zone covering a point (edges count), sorted by point."""
        pts, zs = [], []
        for z, (x0, y0, x1, y1) in enumerate(self._bounds):
            with np.errstate(invalid="ignore"):
                cand = np.flatnonzero((X >= x0) & (X <= x1) & (Y >= y0) & (Y <= y1))
            if len(cand):
                hit = cand[shapely.intersects_xy(self.geoms[z], X[cand], Y[cand])]
                pts.append(hit)
                zs.append(np.full(len(hit), z))
        if not pts:
            return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
        p, z = np.concatenate(pts), np.concatenate(zs)
        order = np.lexsort((z, p))
        return p[order], z[order]

    def level_mask(self, n: int, pt: np.ndarray, zone: np.ndarray) -> np.ndarray:
        """Per point, bit (level − 1) set for each level of a covering zone (0: in no zone)."""
        mask = np.zeros(n, dtype=np.uint8)
        np.bitwise_or.at(mask, pt, (1 << (self.levels[zone] - 1)).astype(np.uint8))
        return mask

    def nearest_zone(self, X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(zone index, distance m) of the nearest zone edge; ties go to the lower level."""
        return self._edges.nearest(X, Y, rank=self.levels)

    def depth(self, X: np.ndarray, Y: np.ndarray, pt: np.ndarray, zone: np.ndarray) -> np.ndarray:
        """Per pair (pt, zone): distance from the point to that zone's edge."""
        out = np.zeros(len(pt))
        for z in np.unique(zone):
            sel = zone == z
            out[sel] = shapely.distance(shapely.boundary(self.geoms[z]), shapely.points(X[pt[sel]], Y[pt[sel]]))
        return out

    def inside_county(self, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """True where the county boundary polygon covers the point (True everywhere if there is no boundary)."""
        if self.county is None:
            return np.isfinite(X)
        return shapely.intersects_xy(self.county, X, Y)

    def county_distance(self, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """Distance (m) to the county boundary line (NaN without a boundary layer)."""
        if self._county_edges is None:
            return np.full(len(X), np.nan)
        return self._county_edges.nearest(X, Y)[1]

    def township(self, X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(township name or None, approximate flag) of the first township area covering each point."""
        names = np.full(len(X), None, dtype=object)
        approx = np.zeros(len(X), dtype=bool)
        todo = np.isfinite(X)
        for t, (x0, y0, x1, y1) in enumerate(self._tship_bounds):
            with np.errstate(invalid="ignore"):
                cand = np.flatnonzero(todo & (X >= x0) & (X <= x1) & (Y >= y0) & (Y <= y1))
            if len(cand):
                hit = cand[shapely.intersects_xy(self.township_geoms[t], X[cand], Y[cand])]
                names[hit] = self.township_names[t]
                approx[hit] = self.township_approximate[t]
                todo[hit] = False
        return names, approx


@functools.lru_cache(maxsize=4)
def _cached_index(path: str, mtime_ns: int, size: int) -> ZoneIndex:
    return ZoneIndex.load(path)


def load_index(zones_path: str | os.PathLike[str] | None = None, *, county: str | None = None) -> ZoneIndex:
    """The :class:`ZoneIndex` of ``zones_path`` (default ``out/<county>/zones.gpkg``), cached while the file is unchanged."""
    path = Path(zones_path) if zones_path else settings.zones_path(county or settings.default_county)
    if not path.exists():
        raise ZonesNotBuiltError(f"{path} does not exist; run `zoning build --county {county or settings.default_county}` first or pass --zones PATH")
    st = path.stat()
    return _cached_index(str(path.resolve()), st.st_mtime_ns, st.st_size)


# --- vectorised core --------------------------------------------------------------------------------------
def assess(index: ZoneIndex, X: np.ndarray, Y: np.ndarray, *, pig_equivalents: np.ndarray | None = None,
           discharge: bool | np.ndarray = True, distances: bool = True, context: bool = True,
           county: str | None = None) -> pd.DataFrame:
    """Answer many points already in the zones' CRS; one row per point.

    Columns: ``in_zone``, ``level`` (strictest, 0 = none), ``zone_ids``, ``codes``, ``size_class``, ``allowed`` (True/False/NA), ``clause``; with ``distances`` also ``depth_m``
    (inside), ``nearest_zone_id``, ``nearest_level``, ``nearest_distance_m`` (outside); with ``context``
    ``inside_county``, ``township``, ``township_approximate`` (and ``county_distance_m`` outside the county, with
    ``distances``). NaN coordinates give empty answers.
    """
    X = np.asarray(X, dtype="float64")
    Y = np.asarray(Y, dtype="float64")
    n = len(X)
    pt, zone = index.attribute(X, Y)
    mask = index.level_mask(n, pt, zone)
    out: dict[str, Any] = {}
    out["in_zone"] = mask > 0
    out["level"] = np.where(mask & 1, 1, np.where(mask & 2, 2, 0)).astype(np.int8)
    ids = np.full(n, "", dtype=object)
    codes = np.full(n, "", dtype=object)
    if len(pt):
        # one membership bit-row per point in a zone; strings are built once per distinct combination
        words = (len(index.geoms) + 63) // 64
        members, pos = np.unique(pt, return_inverse=True)
        bits = np.zeros((len(members), words), dtype=np.uint64)
        np.bitwise_or.at(bits, (pos, zone // 64), np.left_shift(np.uint64(1), (zone % 64).astype(np.uint64)))
        combos, which = np.unique(bits, axis=0, return_inverse=True)
        zid = index.table["zone_id"].to_numpy()
        zcode = index.table["code"].to_numpy()
        c_ids, c_codes = [], []
        for row in combos:
            zs = [w * 64 + b for w in range(words) for b in range(64) if int(row[w]) >> b & 1]
            c_ids.append(";".join(zid[zs]))
            c_codes.append(";".join(dict.fromkeys(zcode[zs])))
        ids[members] = np.asarray(c_ids, dtype=object)[which.ravel()]
        codes[members] = np.asarray(c_codes, dtype=object)[which.ravel()]
    out["zone_ids"] = ids
    out["codes"] = codes
    valid = np.isfinite(X) & np.isfinite(Y)
    if context:
        inside = index.inside_county(X, Y) & valid
        out["inside_county"] = inside
    if distances:
        depth = np.full(n, np.nan)
        if len(pt):
            d = index.depth(X, Y, pt, zone)
            np.fmin.at(depth, pt, d)
        out["depth_m"] = depth
        outside = valid & (mask == 0)
        nz, nd = index.nearest_zone(X[outside], Y[outside])
        near_id = np.full(n, "", dtype=object)
        near_lv = np.zeros(n, dtype=np.int8)
        near_d = np.full(n, np.nan)
        if outside.any():
            near_id[outside] = index.table["zone_id"].to_numpy()[nz]
            near_lv[outside] = index.levels[nz]
            near_d[outside] = nd
        out["nearest_zone_id"], out["nearest_level"], out["nearest_distance_m"] = near_id, near_lv, near_d
    if context:
        if distances:
            cd = np.full(n, np.nan)
            off = valid & ~inside
            if off.any():
                cd[off] = index.county_distance(X[off], Y[off])
            out["county_distance_m"] = cd
        out["township"], out["township_approximate"] = index.township(X, Y)
    rules = lv.load_rules(county)
    class_keys = [c.key for c in rules.size_classes]
    if pig_equivalents is not None:
        pe = np.asarray(pig_equivalents, dtype="float64")
        out["pig_equivalents"] = pe
        ccode = lv.size_class_codes(pe, county=county)  # index into class_keys, -1 unknown
    else:
        ccode = np.full(n, -1, dtype=np.int8)
    out["size_class"] = np.asarray(class_keys + [""], dtype=object)[ccode]
    # the verdict depends only on (level mask, class, discharge): judge each combination once, then look up
    dis = np.broadcast_to(np.asarray(discharge, dtype=bool), (n,)).astype(np.int64)
    ncls = len(class_keys) + 1
    key = (mask.astype(np.int64) * ncls + (ccode.astype(np.int64) + 1)) * 2 + dis
    allowed_tab = np.empty(4 * ncls * 2, dtype=object)
    clause_tab = np.empty(4 * ncls * 2, dtype=object)
    for k in np.flatnonzero(np.bincount(key, minlength=len(allowed_tab))):
        m, rest = divmod(int(k), ncls * 2)
        c, d = divmod(rest, 2)
        v = lv.judge([lvl for lvl in (1, 2) if m & (1 << (lvl - 1))], class_keys[c - 1] if c else None, bool(d), county=county)
        allowed_tab[k], clause_tab[k] = v.allowed, v.clause_text()
    allowed = allowed_tab[key]
    clause = clause_tab[key]
    allowed[~valid] = None
    clause[~valid] = ""
    if context:  # outside the county and in no zone: the county's plan does not apply there at all
        beyond = valid & ~out["inside_county"] & (mask == 0)
        allowed[beyond] = None
        clause[beyond] = OUTSIDE_COUNTY_CLAUSE
    out["allowed"] = pd.array(allowed, dtype="boolean")
    verdict = np.where(allowed == True, "allowed", np.where(allowed == False, "forbidden", "depends on size"))  # noqa: E712
    if context:
        verdict = np.where(beyond, "outside the county", verdict)
    verdict[~valid] = ""
    out["verdict"] = verdict.astype(object)
    out["clause"] = clause
    return pd.DataFrame(out)


# --- one point ------------------------------------------------------------------------------------------
@dataclass
class SiteResult:
    """The answer for one site. ``to_text('zh'|'en'|'both')`` for people, ``to_dict()`` for JSON."""

    input: dict[str, Any]
    lon_wgs84: float
    lat_wgs84: float
    x: float
    y: float
    working_crs: str
    swapped: bool
    zones: list[dict[str, Any]]
    inside_county: bool
    county_distance_m: float | None
    county_direction: tuple[str, str] | None
    township: str | None
    township_approximate: bool
    nearest: dict[str, Any] | None
    depth_m: float | None
    livestock: dict[str, float] | None
    pig_equivalents: float | None
    size_class: str | None
    discharge: bool
    allowed: bool | None
    verdict: str
    clause: str
    clause_en: str
    zones_path: str
    zones_sha256: str
    zones_built_at: str | None
    semantics: str = "covers: a point on a zone's edge is inside the zone"
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return asdict(self)

    def to_text(self, lang: str = "both") -> str:
        """Plain-language answer in Chinese ('zh'), English ('en') or both."""
        parts = []
        if lang in ("zh", "both"):
            parts.append(_text_zh(self))
        if lang in ("en", "both"):
            parts.append(_text_en(self))
        return "\n\n".join(parts)


def _direction(dx: float, dy: float) -> tuple[str, str]:
    bearing = math.degrees(math.atan2(dx, dy)) % 360
    return _DIRECTIONS[int((bearing + 22.5) // 45) % 8]


def _m(v: float | None) -> str:
    return "—" if v is None or not math.isfinite(v) else (f"{v / 1000:.2f} km" if v >= 10_000 else f"{v:.0f} m")


def _label(category: str, lang: int) -> str:
    """A category's Chinese (0) or English (1) name; the raw key if unknown."""
    return CATEGORY_LABELS.get(category, (category, category))[lang]


#: Verdict text for a site outside the county and all its zones: the plan does not cover it.
OUTSIDE_COUNTY_CLAUSE = "outside the county: this plan does not apply there (check the plan of the county it lies in)"

_CLASS_EN = {"scale": "scale farm", "household": "specialised household", "below": "below household size"}


def _text_zh(r: SiteResult) -> str:
    lines = [f"位置：经度 {r.lon_wgs84:.6f}，纬度 {r.lat_wgs84:.6f}（WGS84）；{r.working_crs} 坐标 X={r.x:.1f}，Y={r.y:.1f}"]
    lines += [f"注意：{n_zh}" for n_zh, _ in _notes(r)]
    if not r.inside_county:
        d = r.county_direction
        lines.append(f"该点不在本县境内：位于县界{d[0] if d else ''}方向约 {_m(r.county_distance_m)}。")
    if r.zones:
        lines.append("所在禁养区（落在边界上也算在区内）：")
        for z in r.zones:
            lines.append(f"  - {z['zone_id']} {z['name']}（{_label(z['category'], 0)}，{z['level']}级禁养区），距该区边界 {_m(z['depth_m'])}")
        lines.append(f"距最近的所在区边界：{_m(r.depth_m)}（在区内）")
    elif r.nearest:
        n = r.nearest
        lines.append(f"不在任何禁养区内。最近的禁养区：{n['zone_id']} {n['name']}（{n['level']}级），距其边界 {_m(n['distance_m'])}。")
    if r.township:
        lines.append(f"所属乡镇：{r.township}" + ("（近似乡镇范围，仅供参考）" if r.township_approximate else ""))
    if r.pig_equivalents is not None:
        cls = lv.load_rules().size_class(r.size_class).name_zh if r.size_class else ""
        lines.append(f"养殖规模：{r.pig_equivalents:g} 头猪当量 —— {cls}")
    if r.verdict == "outside the county":
        lines.append("结论：不适用——该点在本县境外，本方案不管辖（请查该点所在县的禁养区方案）。")
    else:
        v = {True: "允许（本方案不禁止）", False: "禁止", None: "取决于养殖规模（请用 --livestock 给出存栏）"}[r.allowed]
        lines.append(f"结论：{v}。依据《方案》{r.clause}")
    if r.allowed is not None and r.zones and r.size_class == "scale":
        lines.append("（已按" + ("有" if r.discharge else "无") + "污染物排放判断）")
    lines.append(f"禁养区数据：{r.zones_path}，SHA-256 {r.zones_sha256[:16]}…，生成时间 {r.zones_built_at or '未知（无 manifest.json）'}")
    return "\n".join(lines)


def _text_en(r: SiteResult) -> str:
    lines = [f"Site: lon {r.lon_wgs84:.6f}, lat {r.lat_wgs84:.6f} (WGS84); {r.working_crs} X={r.x:.1f}, Y={r.y:.1f}"]
    lines += [f"Note: {n_en}" for _, n_en in _notes(r)]
    if not r.inside_county:
        d = r.county_direction
        lines.append(f"This site is outside the county: about {_m(r.county_distance_m)} {d[1] if d else ''} of its boundary.")
    if r.zones:
        lines.append("In exclusion zone(s) (a point on an edge counts as inside):")
        for z in r.zones:
            lines.append(f"  - {z['zone_id']} {z['name']} ({_label(z['category'], 1)}, level {z['level']}), {_m(z['depth_m'])} inside its edge")
        lines.append(f"Distance to the nearest edge of a zone it is in: {_m(r.depth_m)}")
    elif r.nearest:
        n = r.nearest
        lines.append(f"In no exclusion zone. Nearest zone: {n['zone_id']} {n['name']} (level {n['level']}), {_m(n['distance_m'])} from its edge.")
    if r.township:
        lines.append(f"Township: {r.township}" + (" (approximate township area)" if r.township_approximate else ""))
    if r.pig_equivalents is not None:
        lines.append(f"Farm size: {r.pig_equivalents:g} pig equivalents — {_CLASS_EN.get(r.size_class, r.size_class)}")
    if r.verdict == "outside the county":
        lines.append("Verdict: NOT COVERED — the site is outside the county; this plan does not apply there "
                     "(check the plan of the county it lies in).")
    else:
        v = {True: "ALLOWED (this plan does not forbid it)", False: "FORBIDDEN", None: "DEPENDS on the farm's size (give --livestock)"}[r.allowed]
        lines.append(f"Verdict: {v}. {r.clause_en} [plan clause {r.clause.split('：')[0]}]")
    if r.allowed is not None and r.zones and r.size_class == "scale":
        lines.append(f"(judged as a farm that {'discharges' if r.discharge else 'does not discharge'} pollutants)")
    lines.append(f"Zone layer: {r.zones_path}, SHA-256 {r.zones_sha256[:16]}…, built {r.zones_built_at or 'unknown (no manifest.json)'}")
    return "\n".join(lines)


def _notes(r: SiteResult) -> list[tuple[str, str]]:
    out = []
    if r.swapped:
        out.append((f"输入的经纬度似乎写反了，已按 经度={r.input['y']}，纬度={r.input['x']} 处理。",
                    f"longitude and latitude looked swapped; read as x={r.input['y']}, y={r.input['x']}."))
    return out


def check_point(lon: float | str, lat: float | str, *, county: str | None = None, crs: Any = "wgs84",
                zones_path: str | os.PathLike[str] | None = None, livestock: dict[str, float] | None = None,
                discharge: bool = True, index: ZoneIndex | None = None) -> SiteResult:
    """May a farm be at (``lon``, ``lat``)? Coordinates in ``crs`` (degrees or DMS strings, or metres for a projected CRS).

    ``livestock`` maps species (keys or Chinese names) to head counts; None leaves the verdict to the farm's size.
    ``discharge`` False means manure and wastewater are treated and returned to fields (not discharge, plan 七).
    """
    from zoning.crs import parse_angle

    pcrs = parse_point_crs(crs)
    geographic = point_crs_is_geographic(pcrs)
    try:
        vx = parse_angle(lon, axis="lon") if geographic else float(lon)
        vy = parse_angle(lat, axis="lat") if geographic else float(lat)
    except ValueError as exc:
        if isinstance(exc, CoordinateError):
            raise
        raise CoordinateError(f"cannot read coordinates ({lon!r}, {lat!r}) as numbers in {crs}") from exc
    if not (math.isfinite(vx) and math.isfinite(vy)):
        raise CoordinateError(f"coordinates ({lon!r}, {lat!r}) are not finite numbers")
    index = index or load_index(zones_path, county=county)
    X, Y, sw = index.resolve([vx], [vy], crs)
    if not np.isfinite(X[0]):
        hint = " (these look like metres: pass --crs EPSG:4547)" if geographic and max(abs(vx), abs(vy)) > 1000 else ""
        raise CoordinateError(f"({lon}, {lat}) is not a valid position in {crs}{hint}: longitude must be within ±180, latitude within ±90")
    x, y = float(X[0]), float(Y[0])
    pe = None
    if livestock is not None:
        pe = lv.pig_equivalents(livestock, county=county)
    row = assess(index, X, Y, pig_equivalents=None if pe is None else np.array([pe]), discharge=discharge,
                 county=county).iloc[0]
    pt = shapely.Point(x, y)
    pairs_p, pairs_z = index.attribute(X, Y)
    zones = []
    for z in pairs_z:
        rec = {k: (v.item() if hasattr(v, "item") else v) for k, v in index.table.iloc[z].items()}
        rec["depth_m"] = float(shapely.distance(shapely.boundary(index.geoms[z]), pt))
        zones.append(rec)
    nearest = None
    if not zones:
        nz, nd = index.nearest_zone(X, Y)
        t = index.table.iloc[nz[0]]
        nearest = {"zone_id": t["zone_id"], "code": t["code"], "name": t["name"], "level": int(t["level"]),
                   "distance_m": float(nd[0])}
    inside = bool(row["inside_county"])
    direction = None
    cdist = None
    if not inside and index.county is not None:
        near_pt = shapely.shortest_line(index.county, pt).coords[0]
        direction = _direction(x - near_pt[0], y - near_pt[1])
        cdist = float(row["county_distance_m"])
    size = row["size_class"] or None
    v = lv.judge([z["level"] for z in zones], size, discharge, county=county)
    beyond = not inside and not zones
    lon84, lat84 = points_to_wgs84(*_unswap(vx, vy, bool(sw[0])), pcrs)
    return SiteResult(
        input={"x": lon, "y": lat, "crs": str(crs)}, lon_wgs84=float(lon84[0]), lat_wgs84=float(lat84[0]),
        x=x, y=y, working_crs=describe_crs(index.crs).split(" ")[0], swapped=bool(sw[0]), zones=zones,
        inside_county=inside, county_distance_m=cdist, county_direction=direction,
        township=row["township"], township_approximate=bool(row["township_approximate"]) if row["township"] else False,
        nearest=nearest, depth_m=min((z["depth_m"] for z in zones), default=None),
        livestock=dict(livestock) if livestock is not None else None, pig_equivalents=pe, size_class=size,
        discharge=discharge, allowed=None if beyond else v.allowed,
        verdict="outside the county" if beyond else {True: "allowed", False: "forbidden", None: "depends on size"}[v.allowed],
        clause=OUTSIDE_COUNTY_CLAUSE if beyond else v.clause_text(), clause_en="" if beyond else v.text_en, zones_path=str(index.path), zones_sha256=index.sha256,
        zones_built_at=index.built_at,
    )


def _unswap(vx: float, vy: float, swapped: bool) -> tuple[list[float], list[float]]:
    return ([vy], [vx]) if swapped else ([vx], [vy])
