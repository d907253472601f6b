"""Coordinate reference systems, area methods and coordinate notations.

- The *working CRS* (a projected CGCS2000 Gauss–Krüger zone named in the scheme) is where buffers are taken.
- Areas are computed either on the ellipsoid (CGCS2000 / GRS80, the national land-survey convention) or
  planar in the working CRS; :func:`area_km2` does both, vectorised.
- :func:`parse_angle` reads degrees written as decimals or as degrees–minutes–seconds, the way plans and
  people type them (``112°50´23"``, ``26°39′48″N``, ``112 50 23``).
"""

from __future__ import annotations

import functools
import re
from typing import Literal

import numpy as np
import pyproj
import shapely
from pyproj import CRS, Geod, Transformer

from zoning.errors import CoordinateError, CRSError

AreaMethod = Literal["ellipsoidal", "planar"]
AREA_METHODS: tuple[str, ...] = ("ellipsoidal", "planar")

#: CGCS2000 geographic; its ellipsoid (GRS80) is the one ellipsoidal areas are taken on.
CGCS2000 = "EPSG:4490"
_GRS80 = Geod(ellps="GRS80")


def as_crs(value: str | int | CRS, *, what: str = "CRS") -> CRS:
    """Parse a CRS given as 'EPSG:4547', 4547 or a pyproj CRS; raise :class:`CRSError` naming ``what``."""
    try:
        return CRS.from_user_input(value)
    except pyproj.exceptions.CRSError as exc:
        raise CRSError(f"{what}: cannot understand CRS {value!r}; give an EPSG code such as EPSG:4547") from exc


def describe_crs(crs: CRS) -> str:
    """Short human description, e.g. 'EPSG:4547 (CGCS2000 / 3-degree Gauss-Kruger CM 114E)'."""
    code = crs.to_epsg()
    return f"EPSG:{code} ({crs.name})" if code else crs.name


def check_area_method(method: str) -> AreaMethod:
    """Validate an area-method name; the error lists the valid choices."""
    if method not in AREA_METHODS:
        raise CRSError(f"unknown area method {method!r}; choose one of: {', '.join(AREA_METHODS)}")
    return method  # type: ignore[return-value]


def ellipsoidal_area_m2(geoms: np.ndarray, crs: CRS) -> np.ndarray:
    """Geodesic area (m²) on the GRS80 ellipsoid of each geometry, given in ``crs``.

    Geometries are transformed to CGCS2000 longitude/latitude (densified by the transformation of each vertex;
    edges are short at zone scale) and measured with :meth:`pyproj.Geod.geometry_area_perimeter`.
    """
    geoms = np.asarray(geoms, dtype=object)
    to_geo = Transformer.from_crs(crs, CGCS2000, always_xy=True)
    lonlat = shapely.transform(geoms, lambda xy: np.column_stack(to_geo.transform(xy[:, 0], xy[:, 1])))
    out = np.zeros(len(geoms), dtype="float64")
    for i, g in enumerate(lonlat):
        if g is not None and not g.is_empty:
            out[i] = abs(_GRS80.geometry_area_perimeter(g)[0])
    return out


def area_km2(geoms: np.ndarray, crs: CRS, method: AreaMethod) -> np.ndarray:
    """Area in km² of each geometry by ``method``: 'ellipsoidal' (GRS80) or 'planar' (in ``crs``, which must be projected)."""
    check_area_method(method)
    geoms = np.asarray(geoms, dtype=object)
    if method == "planar":
        if not crs.is_projected:
            raise CRSError(f"planar area needs a projected CRS, got {describe_crs(crs)}")
        return shapely.area(geoms) / 1e6
    return ellipsoidal_area_m2(geoms, crs) / 1e6


_DMS_RE = re.compile(
    r"""^\s*(?P<hemi1>[NSEW东西南北])?\s*
    (?P<deg>[+-]?\d+(?:\.\d+)?)\s*(?:°|º|˚|度|d|\s)?\s*
    (?:(?P<min>\d+(?:\.\d+)?)\s*(?:['′´’‘`ʹ]|分|m|\s)?\s*)?
    (?:(?P<sec>\d+(?:\.\d+)?)\s*(?:"|″|''|′′|´´|”|“|ʺ|〃|秒|s)?\s*)?
    (?P<hemi2>[NSEW东西南北])?\s*$""",
    re.VERBOSE | re.IGNORECASE,
)
_HEMI_SIGN = {"N": 1, "E": 1, "S": -1, "W": -1, "北": 1, "东": 1, "南": -1, "西": -1}
_HEMI_AXIS = {"N": "lat", "S": "lat", "北": "lat", "南": "lat", "E": "lon", "W": "lon", "东": "lon", "西": "lon"}


def parse_angle(text: str | float, *, axis: Literal["lon", "lat"] | None = None) -> float:
    """Decimal degrees from a decimal or degrees–minutes–seconds string.

    Accepts the prime and accent characters people type (′ ´ ' ’ for minutes, ″ " ´´ for seconds), Chinese
    度分秒, and a hemisphere letter (N/S/E/W or 北/南/东/西) before or after. The plan writes
    ``东经112°50´23"``; ``东经``/``北纬`` prefixes are understood too.
    """
    if isinstance(text, (int, float, np.floating)):
        return float(text)
    raw = str(text)
    s = raw.strip().replace("东经", "E").replace("北纬", "N").replace("西经", "W").replace("南纬", "S")
    m = _DMS_RE.match(s)
    if not m or (m.group("hemi1") and m.group("hemi2")):
        raise CoordinateError(f"cannot read angle {raw!r}; write decimal degrees (112.8397) or D°M′S″ (112°50′23″E)")
    deg = float(m.group("deg"))
    minutes = float(m.group("min") or 0)
    seconds = float(m.group("sec") or 0)
    if minutes >= 60 or seconds >= 60:
        raise CoordinateError(f"angle {raw!r}: minutes and seconds must be below 60")
    if (m.group("min") or m.group("sec")) and not deg.is_integer():
        raise CoordinateError(f"angle {raw!r}: degrees must be whole when minutes or seconds follow")
    value = abs(deg) + minutes / 60 + seconds / 3600
    sign = -1 if deg < 0 or raw.strip().startswith("-") else 1
    hemi = (m.group("hemi1") or m.group("hemi2") or "").upper() or None
    if hemi:
        sign *= _HEMI_SIGN[hemi]
        if axis and _HEMI_AXIS[hemi] != axis:
            raise CoordinateError(f"angle {raw!r} is marked {hemi} but a {'longitude' if axis == 'lon' else 'latitude'} is expected here")
    return sign * value


# --- point coordinates as people give them: WGS84, CGCS2000, GCJ-02 (Amap/Tencent), BD-09 (Baidu), any EPSG ---

#: Names accepted for point input, besides any EPSG code. GCJ-02 and BD-09 are not CRSs PROJ knows: they are
#: obfuscated WGS84 and are undone with :mod:`prcoords`.
POINT_CRS_NAMES: dict[str, str] = {
    "wgs84": "EPSG:4326",
    "wgs-84": "EPSG:4326",
    "gps": "EPSG:4326",
    "cgcs2000": CGCS2000,
    "gcj02": "gcj02",
    "gcj-02": "gcj02",
    "amap": "gcj02",
    "gaode": "gcj02",
    "tencent": "gcj02",
    "bd09": "bd09",
    "bd-09": "bd09",
    "baidu": "bd09",
}


def parse_point_crs(value: str | int | CRS) -> str | CRS:
    """The CRS of input points: ``'gcj02'``, ``'bd09'`` or a pyproj :class:`CRS`.

    Accepts wgs84 (default for GPS), cgcs2000, gcj02/amap/tencent, bd09/baidu, ``EPSG:4547`` or a bare EPSG number.
    """
    if isinstance(value, CRS):
        return value
    return _parse_point_crs(str(value))


@functools.lru_cache(maxsize=64)
def _parse_point_crs(value: str) -> str | CRS:
    key = str(value).strip().lower()
    target = POINT_CRS_NAMES.get(key, str(value).strip())
    if target in ("gcj02", "bd09"):
        return target
    try:
        return CRS.from_user_input(int(target) if target.isdigit() else target)
    except pyproj.exceptions.CRSError as exc:
        names = ", ".join(sorted({k for k in POINT_CRS_NAMES if "-" not in k}))
        raise CRSError(f"unknown point CRS {value!r}; use one of {names} or an EPSG code such as EPSG:4547") from exc


def point_crs_is_geographic(crs: str | CRS) -> bool:
    """True when coordinates in ``crs`` are longitude/latitude degrees (GCJ-02 and BD-09 are)."""
    return isinstance(crs, str) or crs.is_geographic


def _prcoords_array(fn, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Apply a scalar :mod:`prcoords` function (takes and returns (lat, lon)) to arrays; NaN passes through."""
    out_lon = np.full(lon.shape, np.nan)
    out_lat = np.full(lat.shape, np.nan)
    ok = np.isfinite(lon) & np.isfinite(lat)
    for i in np.flatnonzero(ok):
        res = fn((float(lat[i]), float(lon[i])), False)
        out_lat[i], out_lon[i] = res.lat, res.lon
    return out_lon, out_lat


def points_to_wgs84(x, y, crs: str | int | CRS) -> tuple[np.ndarray, np.ndarray]:
    """Longitude/latitude (WGS84) of points given in ``crs`` (see :func:`parse_point_crs`).

    GCJ-02 and BD-09 are inverted with prcoords' iterative ("bored") functions (accuracy well under 1 m);
    an EPSG CRS goes through a pyproj Transformer (CGCS2000 and WGS84 are taken as identical, as PROJ does:
    they differ by centimetres).
    """
    import prcoords

    x = np.atleast_1d(np.asarray(x, dtype="float64"))
    y = np.atleast_1d(np.asarray(y, dtype="float64"))
    pcrs = parse_point_crs(crs)
    if isinstance(pcrs, str) and pcrs == "gcj02":
        return _prcoords_array(prcoords.gcj_wgs_bored, x, y)
    if isinstance(pcrs, str) and pcrs == "bd09":
        return _prcoords_array(prcoords.bd_wgs_bored, x, y)
    tr = _cached_transformer(pcrs.to_wkt(), _parse_point_crs("wgs84").to_wkt())
    lon, lat = tr.transform(x, y)
    return np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64")


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 ("Mars") coordinates of WGS84 points, to draw over Amap/Tencent tiles (prcoords' forward formula)."""
    import prcoords

    lon = np.atleast_1d(np.asarray(lon, dtype="float64"))
    lat = np.atleast_1d(np.asarray(lat, dtype="float64"))
    return _prcoords_array(lambda c, _check: prcoords.wgs_gcj(prcoords.Coords(*c), check_china=False), lon, lat)


def points_to_crs(x, y, crs: str | int | CRS, target: str | int | CRS) -> tuple[np.ndarray, np.ndarray]:
    """Points given in ``crs`` (any point CRS, incl. GCJ-02/BD-09) expressed in ``target`` (e.g. EPSG:4547).

    Points that cannot be transformed (out of the CRS's range) come back as NaN/inf.
    """
    pcrs = parse_point_crs(crs)
    target = target if isinstance(target, CRS) else as_crs(target, what="target CRS")
    x = np.atleast_1d(np.asarray(x, dtype="float64"))
    y = np.atleast_1d(np.asarray(y, dtype="float64"))
    if isinstance(pcrs, str):
        x, y = points_to_wgs84(x, y, pcrs)
        pcrs = _parse_point_crs("wgs84")
    tr = _cached_transformer(pcrs.to_wkt(), target.to_wkt())
    with np.errstate(invalid="ignore"):
        ox, oy = tr.transform(x, y, errcheck=False)
    return np.asarray(ox, dtype="float64"), np.asarray(oy, dtype="float64")


@functools.lru_cache(maxsize=32)
def _cached_transformer(src_wkt: str, dst_wkt: str) -> Transformer:
    """Transformers are slow to create; point queries reuse them (keyed by WKT)."""
    return Transformer.from_crs(CRS.from_wkt(src_wkt), CRS.from_wkt(dst_wkt), always_xy=True)


def horizontal_point_crs(value: str | int | CRS) -> str | CRS:
    """:func:`parse_point_crs`, refusing CRSs that cannot place a point from two numbers (vertical, geocentric, ...).

    Geographic (lon/lat) and projected CRSs are accepted, also as the horizontal part of a compound CRS.
    """
    pcrs = parse_point_crs(value)
    if isinstance(pcrs, CRS) and not (pcrs.is_geographic or pcrs.is_projected):
        raise CRSError(f"point CRS {value!r} is a {pcrs.type_name} ({pcrs.name}), not a horizontal 2-D CRS; "
                       "give longitude/latitude (wgs84, cgcs2000) or projected metres such as EPSG:4547")
    return pcrs
