"""May a farm be here? Points → zones, distances, township and the livestock verdict.

Semantics, stated once:

- **covers**: a point on a zone's edge is inside that zone (DESIGN.md); every zone covering the point is listed.
- **depth_m**: for a point in one or more zones, the distance to the nearest edge of a zone that covers it.
- **nearest**: for a point in no zone, the zone whose edge is nearest and that distance (ties: the lower level).
- Distances are planar metres in the zones' CRS (EPSG:4547 for Hengnan; grid scale ~1.0002 there), except for
  points more than :data:`FAR_M` (200 km) from the county: their county distance is geodesic (WGS84 ellipsoid, to
  the nearest boundary vertex) and they get no nearest zone, since planar metres far outside the projection's area
  of use mean nothing.
- A point is refused (:class:`~zoning.errors.CoordinateError`; an error row in a register) when its WGS84 longitude
  or latitude is not finite or not within ±180/±90, in any input CRS; vertical and geocentric CRSs are refused.
- **swapped coordinates**: when a point lies more than :data:`SWAP_NEAR_M` outside the county's bounding box and
  the same numbers read the other way round fall within :data:`SWAP_NEAR_M` of the county, the numbers are read
  swapped and a note says so (the answer states the coordinates it used).
- **sign errors** are only pointed out, never corrected: a far point whose longitude or latitude, sign flipped,
  lands in or near the county gets a note; so do degrees given with a metre CRS.
- The zones GeoPackage is read through :mod:`zoning.zonesfile`, so a missing, corrupt or foreign file gets the same
  one-line message as in map, raster and reconcile.

:class:`ZoneIndex` loads ``zones.gpkg`` once and answers many points with vectorised shapely calls
(``intersects_xy`` on prepared polygons behind a bounding-box filter; an STRtree of edge segments for distances).
"""

from __future__ import annotations

import functools
import logging
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Geod

from zoning import settings
from zoning._io import sha256 as file_sha256
from zoning.crs import (
    describe_crs,
    horizontal_point_crs,
    parse_point_crs,
    point_crs_is_geographic,
    points_to_crs,
    points_to_wgs84,
)
from zoning.errors import CoordinateError, LayerError, ZonesNotBuiltError
from zoning.rules import livestock as lv
from zoning.scheme import CATEGORY_LABELS
from zoning.zonesfile import MAKE_HINT, layer_names, read_manifest, read_zones_layer

log = logging.getLogger(__name__)

#: A point this close (m) to the county counts as "near" for swapped-coordinate and sign-error detection.
SWAP_NEAR_M = 50_000.0
#: Beyond this distance (m) from the county, distances are geodesic: planar Gauss–Krüger metres mean little there.
FAR_M = 200_000.0
_GEOD = Geod(ellps="WGS84")
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
    _covering: np.ndarray = field(repr=False, default=None)
    _edges: _SegmentIndex = field(repr=False, default=None)
    _county_edges: _SegmentIndex | None = field(repr=False, default=None)
    _tship_bounds: np.ndarray = field(repr=False, default=None)
    _county_lonlat: np.ndarray | None = field(repr=False, default=None)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ZoneIndex:
        """Read ``zones``, ``boundary`` and ``townships`` from a zones GeoPackage; prepare indexes."""
        path = Path(path)
        layers = set(layer_names(path))  # missing, empty, truncated or foreign files: ZonesNotBuiltError/LayerError
        zones = read_zones_layer(path, "zones", ZONE_COLUMNS)
        crs = CRS.from_user_input(zones.crs)
        geoms = np.asarray(zones.geometry.values, dtype=object)
        levels = pd.to_numeric(zones["level"], errors="coerce")
        if len(geoms) == 0 or (shapely.is_missing(geoms) | shapely.is_empty(geoms)).any() or not levels.isin([1, 2]).all():
            raise LayerError(f"{path} layer 'zones': empty layer, empty geometry or a level other than 1 or 2; "
                             f"{MAKE_HINT} again")
        levels = levels.astype(int).to_numpy()
        county = None
        if "boundary" in layers:
            b = read_zones_layer(path, "boundary", ())
            county = shapely.union_all(np.asarray(b.geometry, dtype=object))
            county = None if county is None or county.is_empty else county
        if county is None:
            log.warning("%s has no 'boundary' layer: inside-county and swap checks are skipped", path)
        else:  # the county boundary is an edge too: within the tolerance counts as inside
            county = shapely.buffer(county, settings.edge_tolerance_m, quad_segs=2)
            shapely.prepare(county)
        t_names = np.zeros(0, dtype=object)
        t_geoms = np.zeros(0, dtype=object)
        t_approx = np.zeros(0, dtype=bool)
        if "townships" in layers:
            t = read_zones_layer(path, "townships", ("name_zh",))
            t_names = t["name_zh"].astype(object).to_numpy()
            t_geoms = np.asarray(t.geometry, dtype=object)
            t_approx = t["approximate"].fillna(True).astype(bool).to_numpy() if "approximate" in t else np.ones(len(t), bool)
            shapely.prepare(t_geoms)
        # points within settings.edge_tolerance_m of an edge are on it (inside): test against a hair-thin buffer
        covering = shapely.buffer(geoms, settings.edge_tolerance_m, quad_segs=2)
        shapely.prepare(covering)
        manifest = read_manifest(path)
        built_at = manifest.get("built_at") if isinstance(manifest, dict) else None
        table = zones[list(ZONE_COLUMNS)].reset_index(drop=True).copy()
        table["level"] = levels
        idx = cls(path=path, crs=crs, table=table, geoms=geoms, levels=levels, county=county,
                  township_names=t_names, township_geoms=t_geoms, township_approximate=t_approx,
                  sha256=file_sha256(path), built_at=built_at)
        idx._bounds = shapely.bounds(covering)
        idx._covering = covering
        idx._edges = _SegmentIndex(geoms, np.arange(len(geoms)))
        idx._county_edges = _SegmentIndex(np.array([county], dtype=object), np.array([0])) if county is not None else None
        if county is not None:  # boundary vertices in lon/lat (~500 m apart at most) for geodesic distances far away
            xy = shapely.get_coordinates(shapely.segmentize(shapely.simplify(county.boundary, 100.0), 500.0))
            idx._county_lonlat = np.column_stack(points_to_crs(xy[:, 0], xy[:, 1], crs, "EPSG:4326"))
        idx._tship_bounds = shapely.bounds(t_geoms) if len(t_geoms) else np.zeros((0, 4))
        log.info("loaded %d zone parts from %s (%s)", len(geoms), path, describe_crs(crs))
        return idx

    # --- coordinates ---------------------------------------------------------------------------------------
    def to_working(self, x, y, crs: Any = "wgs84") -> tuple[np.ndarray, np.ndarray]:
        """Points given in ``crs`` in the zones' CRS; NaN where the point is not on Earth (its WGS84 longitude or
        latitude is not finite or not within ±180/±90), e.g. metres read as degrees or 1e20 metres."""
        x = np.atleast_1d(np.asarray(x, dtype="float64")).copy()
        y = np.atleast_1d(np.asarray(y, dtype="float64")).copy()
        pcrs = parse_point_crs(crs)
        # degrees are checked as given (GCJ-02/BD-09 are within 1 km of WGS84); other CRSs through WGS84
        lon, lat = (x, y) if point_crs_is_geographic(pcrs) else points_to_wgs84(x, y, pcrs)
        with np.errstate(invalid="ignore"):
            bad = ~((np.abs(lon) <= 180) & (np.abs(lat) <= 90))
        x[bad] = np.nan
        y[bad] = np.nan
        X, Y = points_to_crs(x, y, pcrs, self.crs)
        ok = np.isfinite(X) & np.isfinite(Y)
        X[~ok] = np.nan
        Y[~ok] = np.nan
        return X, Y

    def _near_county_box(self, X: np.ndarray, Y: np.ndarray, margin: float) -> np.ndarray:
        x0, y0, x1, y1 = self.county.bounds
        with np.errstate(invalid="ignore"):
            return (X >= x0 - margin) & (X <= x1 + margin) & (Y >= y0 - margin) & (Y <= y1 + margin)

    def _near_county(self, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """Inside the county or within :data:`SWAP_NEAR_M` of its boundary."""
        near = self._near_county_box(X, Y, SWAP_NEAR_M)
        if near.any():
            _, d = self._county_edges.nearest(X[near], Y[near])
            near[near] = shapely.intersects_xy(self.county, X[near], Y[near]) | (d <= SWAP_NEAR_M)
        return near

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
            cand = self._near_county(SX, SY)
            where = np.flatnonzero(far)[cand]
            X[where], Y[where] = SX[cand], SY[cand]
            swapped[where] = True
        return X, Y, swapped

    def sign_hints(self, x, y, crs: Any = "wgs84") -> np.ndarray:
        """Per point, the coordinate whose sign looks wrong ('longitude', 'latitude', 'longitude and latitude'):
        the point is far from the county and flipping that sign puts it in or near the county; '' otherwise.
        Only for degrees (a sign error in metres does not mirror a point onto the county)."""
        x = np.atleast_1d(np.asarray(x, dtype="float64"))
        y = np.atleast_1d(np.asarray(y, dtype="float64"))
        out = np.full(len(x), "", dtype=object)
        if self.county is None or not point_crs_is_geographic(parse_point_crs(crs)):
            return out
        X, Y = self.to_working(x, y, crs)
        todo = ~self._near_county_box(X, Y, SWAP_NEAR_M)
        for label, sx, sy in (("longitude", -1, 1), ("latitude", 1, -1), ("longitude and latitude", -1, -1)):
            if todo.any():
                hit = np.flatnonzero(todo)[self._near_county(*self.to_working(sx * x[todo], sy * y[todo], crs))]
                out[hit] = label
                todo[hit] = False
        return out

    def geodesic_county(self, X: np.ndarray, Y: np.ndarray, batch: int = 2_000) -> tuple[np.ndarray, np.ndarray]:
        """(distance m, bearing ° from the county towards the point) on the WGS84 ellipsoid, to the nearest boundary
        vertex (vertices ≤ 500 m apart); for points far from the county, where planar distances are meaningless."""
        lon, lat = points_to_crs(X, Y, self.crs, "EPSG:4326")
        dist = np.full(len(lon), np.nan)
        bearing = np.full(len(lon), np.nan)
        if self._county_lonlat is None:
            return dist, bearing
        blon, blat = self._county_lonlat[:, 0], self._county_lonlat[:, 1]
        for b0 in range(0, len(lon), batch):
            sl = slice(b0, b0 + batch)
            shape = (len(lon[sl]), len(blon))
            grid = [np.ascontiguousarray(np.broadcast_to(a, shape)) for a in (lon[sl, None], lat[sl, None], blon, blat)]
            _, back, d = _GEOD.inv(*grid)  # back: azimuth at the boundary vertex towards the point
            j = np.argmin(d, axis=1)
            dist[sl] = d[np.arange(len(j)), j]
            bearing[sl] = back[np.arange(len(j)), j] % 360
        return dist, bearing

    # --- vectorised queries ------------------------------------------------------------------------------
    def attribute(self, X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(point index, zone index) pairs for every zone covering a point (edges, to within
        ``settings.edge_tolerance_m``, count), sorted by point."""
        pts, zs = [], []
        for z, (x0, y0, x1, y1) in enumerate(self._bounds):
            with np.errstate(invalid="ignore"):
                cand = np.flatnonzero((X >= x0) & (X <= x1) & (Y >= y0) & (Y <= y1))
            if len(cand):
                hit = cand[shapely.intersects_xy(self._covering[z], X[cand], Y[cand])]
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
    ``distances``: geodesic beyond :data:`FAR_M`, where ``nearest_*`` stay empty). NaN coordinates give empty answers:
    ``in_zone``, ``level``, ``inside_county`` and ``township_approximate`` are NA there, so a filter on
    ``in_zone == False`` never picks an unreadable row; ``nearest_level`` is NA for points in a zone.
    """
    X = np.asarray(X, dtype="float64")
    Y = np.asarray(Y, dtype="float64")
    n = len(X)
    valid = np.isfinite(X) & np.isfinite(Y)
    pt, zone = index.attribute(X, Y)
    mask = index.level_mask(n, pt, zone)
    out: dict[str, Any] = {}
    out["in_zone"] = _masked(mask > 0, valid, "boolean")
    out["level"] = _masked(np.where(mask & 1, 1, np.where(mask & 2, 2, 0)), valid, "Int8")
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
    inside = index.inside_county(X, Y) & valid if context else None
    if context:
        out["inside_county"] = _masked(inside, valid, "boolean")
    if distances:
        depth = np.full(n, np.nan)
        if len(pt):
            d = index.depth(X, Y, pt, zone)
            np.fmin.at(depth, pt, d)
        out["depth_m"] = depth
        far = np.zeros(n, dtype=bool)
        if context:
            cd = np.full(n, np.nan)
            off = valid & ~inside
            if off.any():
                cd[off] = index.county_distance(X[off], Y[off])
                far = off & ~(cd <= FAR_M)  # planar metres far outside the projection zone are meaningless
                if far.any():
                    cd[far] = index.geodesic_county(X[far], Y[far])[0]
        outside = valid & (mask == 0) & ~far
        nz, nd = index.nearest_zone(X[outside], Y[outside])
        near_id = np.full(n, "", dtype=object)
        near_lv = np.zeros(n, dtype=np.int8)
        near_d = np.full(n, np.nan)
        if outside.any():
            near_id[outside] = index.table["zone_id"].to_numpy()[nz]
            near_lv[outside] = index.levels[nz]
            near_d[outside] = nd
        out["nearest_zone_id"], out["nearest_level"], out["nearest_distance_m"] = near_id, _masked(near_lv, outside, "Int8"), near_d
    if context:
        if distances:
            out["county_distance_m"] = cd
        out["township"], approx = index.township(X, Y)
        out["township_approximate"] = _masked(approx, valid, "boolean")
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
        beyond = valid & ~inside & (mask == 0)
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


def _masked(values: np.ndarray, keep: np.ndarray, dtype: str) -> Any:
    """A nullable pandas array (``'boolean'``, ``'Int8'``) of ``values``, NA where ``keep`` is False."""
    arr = pd.array(np.asarray(values), dtype=dtype)
    arr[~np.asarray(keep, dtype=bool)] = pd.NA
    return arr


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
    sign_hint: str = ""  # 'longitude' / 'latitude' / 'longitude and latitude': that sign looks wrong
    degrees_hint: bool = False  # metres were asked for but the numbers look like degrees
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


def _direction(bearing: float) -> tuple[str, str]:
    """(Chinese, English) compass direction of a bearing in degrees clockwise from north."""
    return _DIRECTIONS[int((bearing % 360 + 22.5) // 45) % 8]


def _m(v: float | None) -> str:
    return "—" if v is None or not math.isfinite(v) else (f"{v / 1000:.2f} km" if v >= 10_000 else f"{v:.0f} m")


def _label(category: str, lang: int) -> str:
    """A category's Chinese (0) or English (1) name; the raw key if unknown."""
    return CATEGORY_LABELS.get(category, (category, category))[lang]


#: Verdict text for a site outside the county and all its zones: the plan does not cover it.
OUTSIDE_COUNTY_CLAUSE = "outside the county: this plan does not apply there (check the plan of the county it lies in)"

_CLASS_EN = {"scale": "scale farm", "household": "specialised household", "below": "below household size"}


def _text_lines(r: SiteResult) -> list[tuple[str, str]]:
    """The answer as (Chinese, English) line pairs: one place decides what is said, two say it."""
    lines = [(f"位置：经度 {r.lon_wgs84:.6f}，纬度 {r.lat_wgs84:.6f}（WGS84）；{r.working_crs} 坐标 X={r.x:.1f}，Y={r.y:.1f}",
              f"Site: lon {r.lon_wgs84:.6f}, lat {r.lat_wgs84:.6f} (WGS84); {r.working_crs} X={r.x:.1f}, Y={r.y:.1f}")]
    lines += [(f"注意：{zh}", f"Note: {en}") for zh, en in _notes(r)]
    if not r.inside_county:
        d = r.county_direction or ("", "")
        lines.append((f"该点不在本县境内：位于县界{d[0]}方向约 {_m(r.county_distance_m)}。",
                      f"This site is outside the county: about {_m(r.county_distance_m)} {d[1]} of its boundary."))
    if r.zones:
        lines.append(("所在禁养区（落在边界上也算在区内）：", "In exclusion zone(s) (a point on an edge counts as inside):"))
        for z in r.zones:
            lines.append((f"  - {z['zone_id']} {z['name']}（{_label(z['category'], 0)}，{z['level']}级禁养区），距该区边界 {_m(z['depth_m'])}",
                          f"  - {z['zone_id']} {z['name']} ({_label(z['category'], 1)}, level {z['level']}), {_m(z['depth_m'])} inside its edge"))
        lines.append((f"距最近的所在区边界：{_m(r.depth_m)}（在区内）", f"Distance to the nearest edge of a zone it is in: {_m(r.depth_m)}"))
    elif r.nearest:
        n = r.nearest
        lines.append((f"不在任何禁养区内。最近的禁养区：{n['zone_id']} {n['name']}（{n['level']}级），距其边界 {_m(n['distance_m'])}。",
                      f"In no exclusion zone. Nearest zone: {n['zone_id']} {n['name']} (level {n['level']}), {_m(n['distance_m'])} from its edge."))
    if r.township:
        lines.append((f"所属乡镇：{r.township}" + ("（近似乡镇范围，仅供参考）" if r.township_approximate else ""),
                      f"Township: {r.township}" + (" (approximate township area)" if r.township_approximate else "")))
    if r.pig_equivalents is not None:
        cls_zh = lv.load_rules().size_class(r.size_class).name_zh if r.size_class else ""
        lines.append((f"养殖规模：{r.pig_equivalents:g} 头猪当量 —— {cls_zh}",
                      f"Farm size: {r.pig_equivalents:g} pig equivalents — {_CLASS_EN.get(r.size_class, r.size_class)}"))
    if r.verdict == "outside the county":
        lines.append(("结论：不适用——该点在本县境外，本方案不管辖（请查该点所在县的禁养区方案）。",
                      "Verdict: NOT COVERED — the site is outside the county; this plan does not apply there "
                      "(check the plan of the county it lies in)."))
    else:
        zh = {True: "允许（本方案不禁止）", False: "禁止", None: "取决于养殖规模（请用 --livestock 给出存栏）"}[r.allowed]
        en = {True: "ALLOWED (this plan does not forbid it)", False: "FORBIDDEN",
              None: "DEPENDS on the farm's size (give --livestock)"}[r.allowed]
        lines.append((f"结论：{zh}。依据《方案》{r.clause}", f"Verdict: {en}. {r.clause_en} [plan clause {r.clause.split('：')[0]}]"))
    if r.allowed is not None and r.zones and r.size_class == "scale":
        lines.append(("（已按" + ("有" if r.discharge else "无") + "污染物排放判断）",
                      f"(judged as a farm that {'discharges' if r.discharge else 'does not discharge'} pollutants)"))
    lines.append((f"禁养区数据：{r.zones_path}，SHA-256 {r.zones_sha256[:16]}…，生成时间 {r.zones_built_at or '未知（无 manifest.json）'}",
                  f"Zone layer: {r.zones_path}, SHA-256 {r.zones_sha256[:16]}…, built {r.zones_built_at or 'unknown (no manifest.json)'}"))
    return lines


def _text_zh(r: SiteResult) -> str:
    return "\n".join(zh for zh, _ in _text_lines(r))


def _text_en(r: SiteResult) -> str:
    return "\n".join(en for _, en in _text_lines(r))


_SIGN_ZH = {"longitude": "经度", "latitude": "纬度", "longitude and latitude": "经度和纬度"}


def _notes(r: SiteResult) -> list[tuple[str, str]]:
    """(Chinese, English) notes about the input: swapped axes, a likely sign error, degrees given as metres."""
    out = []
    if r.swapped:
        out.append((f"输入的经纬度似乎写反了，已按 经度={r.input['y']}，纬度={r.input['x']} 处理。",
                    f"longitude and latitude looked swapped; read as x={r.input['y']}, y={r.input['x']}."))
    if r.sign_hint:
        out.append((f"{_SIGN_ZH[r.sign_hint]}的正负号可能写错了：改变符号后该点落在本县内或附近。",
                    f"the sign of the {r.sign_hint} may be wrong: with it flipped the site lies in or near the county."))
    if r.degrees_hint:
        out.append(("这些数值像是经纬度（度）而不是米：请用 --crs wgs84。",
                    f"these look like degrees, not metres in {r.input['crs']}; use --crs wgs84."))
    if r.county_distance_m is not None and r.county_distance_m > FAR_M:
        out.append(("该点距本县超过 200 公里；距离按椭球面（大地线）计算。",
                    "the site is more than 200 km from the county; the distance is geodesic (on the ellipsoid)."))
    return out


def check_point(lon: float | str, lat: float | str, *, county: str | None = None, crs: Any = "wgs84",
                zones_path: str | os.PathLike[str] | None = None, livestock: dict[str, float] | None = None,
                discharge: bool = True, index: ZoneIndex | None = None) -> SiteResult:
    """May a farm be at (``lon``, ``lat``)? Coordinates in ``crs`` (degrees or DMS strings, or metres for a projected CRS).

    ``livestock`` maps species (keys or Chinese names) to head counts; None leaves the verdict to the farm's size.
    ``discharge`` False means manure and wastewater are treated and returned to fields (not discharge, plan 七).
    """
    from zoning.crs import parse_angle

    pcrs = horizontal_point_crs(crs)
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
    X, Y, sw = index.resolve([vx], [vy], pcrs)
    if not np.isfinite(X[0]):
        if geographic:
            hint = " (these look like metres: pass --crs EPSG:4547)" if max(abs(vx), abs(vy)) > 1000 else ""
            raise CoordinateError(f"({lon}, {lat}) is not a valid position in {crs}{hint}: "
                                  "longitude must be within ±180, latitude within ±90")
        raise CoordinateError(f"({lon}, {lat}) in {crs} is not a position on Earth (its longitude/latitude would be "
                              "beyond ±180/±90); check the numbers and --crs")
    x, y = float(X[0]), float(Y[0])
    pe = None
    if livestock is not None:
        pe = lv.pig_equivalents(livestock, county=county)
    row = assess(index, X, Y, pig_equivalents=None if pe is None else np.array([pe]), discharge=discharge,
                 county=county).iloc[0]
    pt = shapely.Point(x, y)
    _, pairs_z = index.attribute(X, Y)
    zones = []
    for z in pairs_z:
        rec = {k: (v.item() if hasattr(v, "item") else v) for k, v in index.table.iloc[z].items()}
        rec["depth_m"] = float(shapely.distance(shapely.boundary(index.geoms[z]), pt))
        zones.append(rec)
    nearest = None
    if row["nearest_zone_id"]:
        t = index.table[index.table["zone_id"] == row["nearest_zone_id"]].iloc[0]
        nearest = {"zone_id": t["zone_id"], "code": t["code"], "name": t["name"], "level": int(t["level"]),
                   "distance_m": float(row["nearest_distance_m"])}
    inside = bool(row["inside_county"])
    direction = None
    cdist = None
    if not inside and index.county is not None:
        cdist = float(row["county_distance_m"])
        if cdist > FAR_M:
            bearing = float(index.geodesic_county(X, Y)[1][0])
        else:
            near_pt = shapely.shortest_line(index.county, pt).coords[0]
            bearing = math.degrees(math.atan2(x - near_pt[0], y - near_pt[1]))
        direction = _direction(bearing)
    size = row["size_class"] or None
    v = lv.judge([z["level"] for z in zones], size, discharge, county=county)
    beyond = not inside and not zones
    lon84, lat84 = points_to_wgs84(*_unswap(vx, vy, bool(sw[0])), pcrs)
    res = SiteResult(
        input={"x": lon, "y": lat, "crs": str(crs)}, lon_wgs84=float(lon84[0]), lat_wgs84=float(lat84[0]),
        x=x, y=y, working_crs=describe_crs(index.crs).split(" ")[0], swapped=bool(sw[0]), zones=zones,
        inside_county=inside, county_distance_m=cdist, county_direction=direction,
        township=row["township"], township_approximate=bool(row["township_approximate"]) if row["township"] else False,
        nearest=nearest, depth_m=min((z["depth_m"] for z in zones), default=None),
        livestock=dict(livestock) if livestock is not None else None, pig_equivalents=pe, size_class=size,
        discharge=discharge, allowed=None if beyond else v.allowed,
        verdict="outside the county" if beyond else {True: "allowed", False: "forbidden", None: "depends on size"}[v.allowed],
        clause=OUTSIDE_COUNTY_CLAUSE if beyond else v.clause_text(), clause_en="" if beyond else v.text_en, zones_path=str(index.path), zones_sha256=index.sha256,
        zones_built_at=index.built_at, sign_hint=str(index.sign_hints([vx], [vy], pcrs)[0]),
        degrees_hint=not geographic and abs(vx) <= 180 and abs(vy) <= 90,
    )
    res.notes = [en for _, en in _notes(res)]
    return res


def _unswap(vx: float, vy: float, swapped: bool) -> tuple[list[float], list[float]]:
    return ([vy], [vx]) if swapped else ([vx], [vy])
