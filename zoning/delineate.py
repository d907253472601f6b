"""Draft drinking-water-source protection zones (HJ 338-2018) and fit their sizes to target areas.

Geometry is taken in a projected CRS (metres). River lines are oriented **upstream → downstream** (first vertex
upstream); positions on them are chainages in metres from the first vertex. The water of a river is the band of
``half_width_m`` either side of its *whole* centerline, and protection zones are LAND only (the band is removed):

- river source: level 1 = land within ``depth_m`` of the water along the reach from ``upstream_m`` above the
  intake to ``downstream_m`` below it (flat ends, square to the river); level 2 = the same built with the level-2
  reach and depth, minus level 1 (a ring that touches level 1);
- groundwater source: level 1 = a circle of ``radius_m`` around the well;
- reservoir source: level 1 = land within ``depth_m`` of the reservoir; level 2 = land within a further
  ``depth_m`` beyond level 1.

The standard's bounds live in a TOML file (:func:`load_standard`), not here. :func:`fit_size` finds one size
parameter by bisection so that a zone's area (by the scheme's area method, :func:`zoning.crs.area_km2`) equals a
target, and reports whether the fitted size is within the standard's bounds.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from zoning.crs import AreaMethod, area_km2
from zoning.errors import SchemeError
from zoning.geoprocess import make_valid_polygonal, river_reach
from zoning.scheme import read_toml

log = logging.getLogger(__name__)

__all__ = [
    "Bound",
    "Standard",
    "load_standard",
    "Fit",
    "fit_size",
    "river_water",
    "river_land_zone",
    "river_source_zones",
    "well_zone",
    "reservoir_zones",
    "polygon_circle_area",
]


# --------------------------------------------------------------------------------------------- the standard


@dataclass(frozen=True)
class Bound:
    """The standard's allowed range for one size (metres); ``None`` = no bound on that side."""

    key: str
    min_m: float | None
    max_m: float | None
    clause: str
    text: str = ""
    note: str = ""

    def check(self, value: float) -> tuple[bool, str]:
        """(within the bound, a one-line note saying which side is violated)."""
        if self.min_m is not None and value < self.min_m:
            return False, f"{self.key} = {value:.3f} m is below the standard's minimum {self.min_m:g} m ({self.clause})"
        if self.max_m is not None and value > self.max_m:
            return False, f"{self.key} = {value:.3f} m is above the standard's maximum {self.max_m:g} m ({self.clause})"
        return True, f"{self.key} = {value:.3f} m is within the standard ({self.clause})"


@dataclass(frozen=True)
class Standard:
    """The bounds of a protection-zone standard, keyed like ``'river.level1.depth_m'``."""

    id: str
    title: str
    verified_against_text: bool
    bounds: dict[str, Bound]
    path: Path | None = None

    def bound(self, key: str) -> Bound:
        """The bound of a size; SchemeError naming the file if it is not declared."""
        try:
            return self.bounds[key]
        except KeyError:
            raise SchemeError(f"{self.path}: no bound [{key}] declared; add it with min_m/max_m and clause") from None


def _collect_bounds(table: dict[str, Any], prefix: str, out: dict[str, Bound]) -> None:
    for key, value in table.items():
        if not isinstance(value, dict):
            continue
        name = f"{prefix}.{key}" if prefix else key
        if "clause" in value and ("min_m" in value or "max_m" in value):
            out[name] = Bound(
                key=name,
                min_m=float(value["min_m"]) if "min_m" in value else None,
                max_m=float(value["max_m"]) if "max_m" in value else None,
                clause=str(value["clause"]),
                text=str(value.get("text", "")),
                note=str(value.get("note", "")),
            )
        else:
            _collect_bounds(value, name, out)


def load_standard(path: str | Path) -> Standard:
    """Read the standard's bounds from a TOML file (sections ``[river.level1.depth_m]`` with min_m/max_m/clause)."""
    path = Path(path)
    raw = read_toml(path, what="standard parameters file")
    head = raw.get("standard", {})
    bounds: dict[str, Bound] = {}
    _collect_bounds({k: v for k, v in raw.items() if k not in ("standard", "reconstruction")}, "", bounds)
    if not bounds:
        raise SchemeError(f"{path}: no bounds found; declare e.g. [river.level1.depth_m] min_m = 50.0, clause = '...'")
    return Standard(
        id=str(head.get("id", "")), title=str(head.get("title", "")),
        verified_against_text=bool(head.get("verified_against_text", False)), bounds=bounds, path=path,
    )


# --------------------------------------------------------------------------------------------- geometry


def river_water(centerline: BaseGeometry, half_width_m: float, *, quad_segs: int = 16) -> BaseGeometry:
    """The modelled water of a river: the band of ``half_width_m`` either side of its whole centerline."""
    if half_width_m <= 0:
        return shapely.Polygon()
    return centerline.buffer(half_width_m, quad_segs=quad_segs)


def _reach(centerline: BaseGeometry, from_m: float, to_m: float) -> BaseGeometry:
    total = float(centerline.length)
    a, b = max(from_m, 0.0), min(to_m, total)
    if b <= a:
        raise ValueError(f"reach {from_m:.1f}..{to_m:.1f} m lies outside the river line (length {total:.1f} m)")
    return river_reach(centerline, from_m=a, to_m=b)


def river_land_zone(
    centerline: BaseGeometry,
    intake_m: float,
    *,
    upstream_m: float,
    downstream_m: float,
    depth_m: float,
    half_width_m: float,
    quad_segs: int = 16,
    water: BaseGeometry | None = None,
) -> BaseGeometry:
    """Land within ``depth_m`` of the water along the reach [intake − upstream, intake + downstream].

    The reach is buffered by ``half_width_m + depth_m`` with flat ends (square to the river, so a straight reach
    of length L gives exactly 2·L·depth of land) and the water (``water``, or the band of the whole centerline)
    is removed. A reach running past an end of the line is cut at that end.
    """
    if depth_m <= 0:
        return shapely.Polygon()
    reach = _reach(centerline, intake_m - upstream_m, intake_m + downstream_m)
    around = reach.buffer(half_width_m + depth_m, quad_segs=quad_segs, cap_style="flat")
    if water is None:
        water = river_water(centerline, half_width_m, quad_segs=quad_segs)
    land = around.difference(water) if not water.is_empty else around
    return make_valid_polygonal(land)


def river_source_zones(
    centerline: BaseGeometry,
    intake_m: float,
    *,
    level1: dict[str, float],
    level2: dict[str, float] | None,
    half_width_m: float,
    quad_segs: int = 16,
    water: BaseGeometry | None = None,
) -> tuple[BaseGeometry, BaseGeometry | None]:
    """Level-1 land and level-2 land ring of a river source.

    ``level1`` has ``upstream_m``, ``downstream_m``, ``depth_m``; ``level2`` the same, with its upstream and
    downstream lengths measured *beyond the level-1 edges* (HJ 338-2018 6.2.1.1) and its depth from the water.
    Level 2 is its outer zone minus level 1, so the two touch and do not overlap.
    """
    if water is None:
        water = river_water(centerline, half_width_m, quad_segs=quad_segs)
    one = river_land_zone(centerline, intake_m, half_width_m=half_width_m, quad_segs=quad_segs, water=water, **level1)
    if level2 is None:
        return one, None
    outer = river_land_zone(
        centerline, intake_m, upstream_m=level1["upstream_m"] + level2["upstream_m"],
        downstream_m=level1["downstream_m"] + level2["downstream_m"], depth_m=level2["depth_m"],
        half_width_m=half_width_m, quad_segs=quad_segs, water=water,
    )
    return one, make_valid_polygonal(outer.difference(one))


def well_zone(well: BaseGeometry, radius_m: float, *, quad_segs: int = 16) -> BaseGeometry:
    """Circle (polygon of 4·quad_segs sides) of ``radius_m`` around a well."""
    if radius_m <= 0:
        return shapely.Polygon()
    return well.buffer(radius_m, quad_segs=quad_segs)


def reservoir_zones(
    reservoir: BaseGeometry, depth1_m: float, depth2_m: float | None, *, quad_segs: int = 16
) -> tuple[BaseGeometry, BaseGeometry | None]:
    """Level-1 land ring of ``depth1_m`` around a reservoir and the level-2 ring ``depth2_m`` beyond it."""
    inner = reservoir.buffer(depth1_m, quad_segs=quad_segs) if depth1_m > 0 else reservoir
    one = make_valid_polygonal(inner.difference(reservoir))
    if depth2_m is None:
        return one, None
    outer = reservoir.buffer(depth1_m + depth2_m, quad_segs=quad_segs)
    return one, make_valid_polygonal(outer.difference(inner))


def polygon_circle_area(radius_m: float, quad_segs: int) -> float:
    """Planar area (m²) of the regular polygon shapely uses for a circle: n = 4·quad_segs vertices on the circle."""
    n = 4 * quad_segs
    return 0.5 * n * radius_m**2 * math.sin(2.0 * math.pi / n)


# --------------------------------------------------------------------------------------------- fitting


@dataclass(frozen=True)
class Fit:
    """Result of fitting one size so that an area equals a target."""

    parameter: str
    value: float
    target_km2: float
    area_km2: float
    error_km2: float
    iterations: int
    bound_min_m: float | None
    bound_max_m: float | None
    within_standard: bool | None
    clause: str
    note: str

    def as_params(self) -> dict[str, Any]:
        """JSON-ready dict (for a feature's ``params``)."""
        return asdict(self)


def _area(geom: BaseGeometry, crs: CRS, method: AreaMethod) -> float:
    return float(area_km2(np.array([geom], dtype=object), crs, method)[0])


def fit_size(
    build: Callable[[float], BaseGeometry],
    target_km2: float,
    *,
    crs: CRS,
    method: AreaMethod,
    parameter: str,
    lo: float = 0.0,
    hi: float = 100.0,
    tol_km2: float = 1e-7,
    bound: Bound | None = None,
    max_iter: int = 200,
    max_expand: int = 40,
) -> tuple[Fit, BaseGeometry]:
    """Find ``x`` in [lo, ∞) with ``area(build(x)) = target_km2`` (± ``tol_km2``) by bisection.

    ``build`` must give an area that does not decrease with ``x``. ``hi`` is doubled until it brackets the target.
    The fit is flagged against ``bound`` (the standard's range for this size): a target smaller than the
    smallest zone the standard allows is still fitted, with ``within_standard=False`` and a note.
    Returns the :class:`Fit` and the geometry at the fitted value.
    """
    if target_km2 <= 0:
        raise ValueError(f"fit {parameter}: target area must be positive, got {target_km2}")
    a_lo = _area(build(lo), crs, method)
    if a_lo > target_km2 + tol_km2:
        raise ValueError(f"fit {parameter}: already {a_lo:.7f} km² at {parameter}={lo}, above the target {target_km2}")
    a_hi, n_exp = _area(build(hi), crs, method), 0
    while a_hi < target_km2 - tol_km2:
        lo, a_lo, hi, n_exp = hi, a_hi, hi * 2.0, n_exp + 1
        if n_exp > max_expand:
            raise ValueError(f"fit {parameter}: cannot reach {target_km2} km² (got {a_hi:.7f} at {lo})")
        a_hi = _area(build(hi), crs, method)
    geom, area, x = None, math.nan, hi
    for it in range(1, max_iter + 1):
        x = 0.5 * (lo + hi)
        geom = build(x)
        area = _area(geom, crs, method)
        if abs(area - target_km2) <= tol_km2:
            break
        lo, hi = (x, hi) if area < target_km2 else (lo, x)
        if hi - lo <= 1e-12 * max(1.0, abs(hi)):
            raise ValueError(
                f"fit {parameter}: area jumps across the target {target_km2} km² near {x:.6f} "
                f"({area:.9f} km²); the build function is not continuous there"
            )
    else:
        raise ValueError(f"fit {parameter}: no convergence in {max_iter} iterations (last {area:.9f} km²)")
    within, note = (None, "no bound declared") if bound is None else bound.check(x)
    fit = Fit(
        parameter=parameter, value=x, target_km2=target_km2, area_km2=area, error_km2=area - target_km2,
        iterations=it + n_exp, bound_min_m=None if bound is None else bound.min_m,
        bound_max_m=None if bound is None else bound.max_m, within_standard=within,
        clause="" if bound is None else bound.clause, note=note,
    )
    log.debug("fitted %s = %.6f for %.7f km² (error %.2e) in %d iterations", parameter, x, target_km2, fit.error_km2, it)
    return fit, geom
