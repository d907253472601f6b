"""Pure, vectorised geometry for exclusion zones.

Everything here takes geometries in a *projected* CRS (metres) and returns new geometries or numbers; nothing
reads files, nothing knows a county. Buffers use a fixed ``quad_segs`` (segments per quarter circle) that the
caller passes in and every report prints.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring

__all__ = [
    "make_valid_polygonal",
    "merge_lines",
    "river_reach",
    "land_strip",
    "river_land_strip",
    "union",
    "pairwise_overlaps",
    "Overlap",
]


def make_valid_polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Repair an invalid polygon and keep only its polygonal parts (a repair can yield stray lines or points)."""
    fixed = shapely.make_valid(geom)
    if fixed.geom_type in ("Polygon", "MultiPolygon"):
        return fixed
    parts = [g for g in shapely.get_parts(fixed) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def merge_lines(lines: np.ndarray | list[BaseGeometry]) -> BaseGeometry:
    """Merge line pieces of one river into as few LineStrings as their end points allow."""
    merged = shapely.line_merge(shapely.union_all(np.asarray(lines, dtype=object)))
    return merged


def river_reach(line: BaseGeometry, *, from_m: float | None = None, to_m: float | None = None) -> BaseGeometry:
    """The part of a river line between two chainages (metres along the line from its first vertex).

    ``None`` means the line's start or end. A MultiLineString is measured part by part in its stored order,
    as if the parts were laid end to end.
    """
    if from_m is None and to_m is None:
        return line
    parts = list(shapely.get_parts(line))
    start = 0.0 if from_m is None else float(from_m)
    stop = sum(p.length for p in parts) if to_m is None else float(to_m)
    if stop <= start:
        raise ValueError(f"river reach: to_m ({stop}) must be greater than from_m ({start})")
    pieces, offset = [], 0.0
    for part in parts:
        a, b = max(start - offset, 0.0), min(stop - offset, part.length)
        if b > a:
            pieces.append(substring(part, a, b))
        offset += part.length
    return shapely.multilinestrings(pieces) if len(pieces) > 1 else (pieces[0] if pieces else shapely.LineString())


def land_strip(
    centerline: BaseGeometry,
    distance_m: float,
    *,
    half_width_m: float = 0.0,
    water: BaseGeometry | None = None,
    clip: BaseGeometry | None = None,
    quad_segs: int = 16,
) -> BaseGeometry:
    """Land within ``distance_m`` of a river's water, optionally clipped (to the county).

    The water is ``water`` when a water-area polygon is given; otherwise it is modelled as the band of
    ``half_width_m`` either side of the centerline (``half_width_m = 0`` measures from the centerline itself).
    The strip is the buffer of the water by ``distance_m`` minus the water: land only.
    """
    if distance_m <= 0:
        raise ValueError("land_strip: distance_m must be positive")
    if water is None:
        water = centerline.buffer(half_width_m, quad_segs=quad_segs) if half_width_m > 0 else shapely.Polygon()
        reach = centerline.buffer(half_width_m + distance_m, quad_segs=quad_segs)
    else:
        reach = water.buffer(distance_m, quad_segs=quad_segs)
    strip = reach.difference(water) if not water.is_empty else reach
    if clip is not None:
        strip = strip.intersection(clip)
    return make_valid_polygonal(strip)


def river_land_strip(
    centerline: BaseGeometry,
    distance_m: float,
    *,
    half_width_m: float = 0.0,
    reach_from_m: float | None = None,
    reach_to_m: float | None = None,
    clip: BaseGeometry | None = None,
    quad_segs: int = 16,
) -> BaseGeometry:
    """Land within ``distance_m`` of the water along a reach of a river, clipped.

    The water is the band of ``half_width_m`` either side of the *whole* centerline (so the strip of a reach never
    claims water beyond it); the strip is taken around the reach between the chainages ``reach_from_m`` and
    ``reach_to_m`` (metres from the line's first vertex; ``None`` = line end), minus the water, inside ``clip``.
    """
    reach = river_reach(centerline, from_m=reach_from_m, to_m=reach_to_m)
    water = centerline.buffer(half_width_m, quad_segs=quad_segs) if half_width_m > 0 else None
    if water is None:
        return land_strip(reach, distance_m, clip=clip, quad_segs=quad_segs)
    around = reach.buffer(half_width_m + distance_m, quad_segs=quad_segs)
    strip = around.difference(water)
    if clip is not None:
        strip = strip.intersection(clip)
    return make_valid_polygonal(strip)


def union(geoms: np.ndarray | list[BaseGeometry], *, grid_size: float | None = None) -> BaseGeometry:
    """Union of polygons (empty polygon for no input)."""
    arr = np.asarray(geoms, dtype=object)
    if len(arr) == 0:
        return shapely.Polygon()
    return make_valid_polygonal(shapely.union_all(arr, grid_size=grid_size))


@dataclass(frozen=True)
class Overlap:
    """Intersection of two zones (indices into the input array) with a positive area."""

    i: int
    j: int
    geometry: BaseGeometry


def pairwise_overlaps(geoms: np.ndarray | list[BaseGeometry], *, min_area_m2: float = 0.0) -> list[Overlap]:
    """Every pair of geometries whose interiors overlap, with the overlap geometry.

    Candidate pairs come from an STRtree query with the 'overlaps'/'contains'/'within' family collapsed into
    ``intersects``; pairs that only touch (zero-area intersection) are dropped, so adjacent level-1 and level-2
    rings sharing an edge are not reported. ``min_area_m2`` drops slivers below that area.
    """
    arr = np.asarray(geoms, dtype=object)
    if len(arr) < 2:
        return []
    tree = shapely.STRtree(arr)
    left, right = tree.query(arr, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    inter = shapely.intersection(arr[left], arr[right])
    areas = shapely.area(inter)
    out = []
    for i, j, g, a in zip(left, right, inter, areas):
        if a > min_area_m2:
            out.append(Overlap(int(i), int(j), make_valid_polygonal(g)))
    return out
