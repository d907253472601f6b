"""Coordinate reference systems, area methods and coordinate notations.

- The *working CRS* (a projected CGCS2000 Gauss–Krüger zone named in the scheme) is where buffers are taken.
- Areas are computed either on the ellipsoid (CGCS2000 / GRS80, the national land-survey convention) or
  planar in the working CRS; :func:`area_km2` does both, vectorised.
- :func:`parse_angle` reads degrees written as decimals or as degrees–minutes–seconds, the way plans and
  people type them (``112°50´23"``, ``26°39′48″N``, ``112 50 23``).
"""

from __future__ import annotations

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
