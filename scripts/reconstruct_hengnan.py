#!/usr/bin/env python
"""Regenerate Hengnan's *demonstration* zone layer data/hengnan/zones/zones.gpkg (layer ``zones``, EPSG:4547).

The county's surveyed zone polygons are not public. This script builds zones that follow the plan's rules and
reproduce its table from geometry, each marked ``reconstructed`` with its method and fitted parameters:

1. J17 (computed by the pipeline, not stored here): fit the Xiang reach the plan counts so the strip's land inside
   the county is 47.35 km²; write ``reach_from_m``/``reach_to_m`` into scheme.toml, then take the strip exactly as
   ``zoning.pipeline.compute_strips`` builds it.
2. J18 nature reserve: a corridor along the Lei inside the plan's DMS box; corridor and water width fitted.
3. J01-J16 water sources (HJ 338-2018 shapes, see data/hengnan/delineation.toml), one size fitted per level.
4. J19-J40 towns: discs around the seats; J20/J24/J31/J37 ellipses whose offset from the Xiang is fitted so their
   overlap with J17 equals the table's.

Every zone is cut by the zones placed before it (and by the modelled river water), then fitted, so no two zones
overlap except the four (town, J17) pairs the table lists. Deterministic: no randomness, fixed order.
Run: ``make reconstruct`` (or ``.venv/bin/python scripts/reconstruct_hengnan.py``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import math
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
import numpy as np
import shapely
from pyproj import Transformer
from shapely import affinity
from shapely.geometry.base import BaseGeometry

from zoning import delineate as dl
from zoning import geoprocess, pipeline
from zoning._io import atomic_path, write_text
from zoning.crs import area_km2, parse_angle
from zoning.layers import LINEAR, PUNTAL, read_layer
from zoning.scheme import Scheme, load_scheme

log = logging.getLogger("reconstruct_hengnan")

COUNTY = "hengnan"
OVERLAP_TOWNS = ("J20", "J24", "J31", "J37")


# ------------------------------------------------------------------------------------------------ context


@dataclass
class Context:
    """Everything the builders share: scheme, settings, base layers and the zones placed so far."""

    scheme: Scheme
    cfg: dict[str, Any]
    std: dl.Standard
    boundary: BaseGeometry
    rivers: gpd.GeoDataFrame
    seats: gpd.GeoDataFrame
    water: BaseGeometry = field(default_factory=shapely.Polygon)  # all modelled river water (never a zone)
    strip: BaseGeometry = field(default_factory=shapely.Polygon)
    placed: list[BaseGeometry] = field(default_factory=list)       # zones placed so far, J17 excluded
    features: list[dict[str, Any]] = field(default_factory=list)
    summary: list[dict[str, Any]] = field(default_factory=list)

    @property
    def crs(self):
        return self.scheme.working_crs

    @property
    def method(self) -> str:
        return self.scheme.area_method

    @property
    def q(self) -> int:
        return self.scheme.quad_segs

    @property
    def tol(self) -> float:
        return float(self.cfg["tolerance_km2"])

    @property
    def inner_tol(self) -> float:
        return float(self.cfg["inner_tolerance_km2"])

    def area(self, geom: BaseGeometry) -> float:
        return float(area_km2(np.array([geom], dtype=object), self.crs, self.method)[0])

    def free(self, geom: BaseGeometry, *, avoid_strip: bool = True, near: BaseGeometry | None = None) -> BaseGeometry:
        """``geom`` inside the county, minus river water, placed zones and (by default) the J17 strip."""
        region = geom.envelope.buffer(1.0) if near is None else near
        cut = [g for g in [self.water, *self.placed] if not g.is_empty and g.intersects(region)]
        if avoid_strip and self.strip.intersects(region):
            cut.append(self.strip)
        out = geom.intersection(self.boundary)
        if cut:
            out = out.difference(shapely.union_all([c.intersection(region) for c in cut]))
        return geoprocess.make_valid_polygonal(out)

    def table(self, code: str, level: int) -> float:
        printed = self.scheme.published.zone(code).printed(level)
        if printed is None:
            raise ValueError(f"{code}: the table prints no level-{level} area")
        return printed.value

    def add(self, code: str, level: int, category: str, geom: BaseGeometry, *, method: str, params: dict[str, Any],
            source: str, fitted: str, within: bool | None) -> None:
        row = self.scheme.published.zone(code)
        self.features.append({"code": code, "level": level, "name": row.name, "category": category,
                              "reconstructed": True, "method": method,
                              "params": json.dumps(params, ensure_ascii=False, default=float), "source": source,
                              "geometry": geom})
        self.placed.append(geom)
        target = self.table(code, level)
        self.summary.append({"code": code, "level": level, "target": target, "got": self.area(geom),
                             "fitted": fitted, "within_standard": within})


def seat(ctx: Context, name: str) -> tuple[BaseGeometry, dict[str, Any]]:
    """Seat point of a town by name_zh or alias, with its position quality."""
    for _, row in ctx.seats.iterrows():
        aliases = row.get("aliases") or []
        if isinstance(aliases, str):
            aliases = [a for a in re.split(r"[,;、|/\s]+", aliases) if a]
        if name == row["name_zh"] or name in list(aliases):
            info = {"seat": row["name_zh"], "seat_position": row.get("position"),
                    "seat_uncertainty_m": _num(row.get("uncertainty_m"))}
            return row.geometry, info
    raise SystemExit(f"township_seats: no seat named {name!r} (name_zh or aliases); add it to base/township_seats.geojson")


def _num(v: Any) -> float | None:
    try:
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)
    except (TypeError, ValueError):
        return None


def lonlat(ctx: Context, pt: BaseGeometry) -> list[float]:
    lon, lat = Transformer.from_crs(ctx.crs, "EPSG:4326", always_xy=True).transform(pt.x, pt.y)
    return [round(lon, 6), round(lat, 6)]


def bearing_point(origin: BaseGeometry, distance_m: float, bearing_deg: float) -> BaseGeometry:
    """The point ``distance_m`` from ``origin`` at a grid bearing (degrees clockwise from north)."""
    b = math.radians(bearing_deg)
    return shapely.Point(origin.x + distance_m * math.sin(b), origin.y + distance_m * math.cos(b))


def river(ctx: Context, name: str) -> BaseGeometry:
    line = pipeline.river_line(ctx.rivers, name, name_field=ctx.scheme.layer("rivers").options.get("name_field", "name_zh"))
    return line


# ------------------------------------------------------------------------------------------------ J17


def fit_xiang_reach(ctx: Context) -> dict[str, Any]:
    """Fit the counted reach of the Xiang so the strip's land in the county equals the table's J17 area."""
    rule = next(r for r in ctx.scheme.strips if r.code == "J17")
    line = river(ctx, rule.river)
    xcfg = ctx.cfg["xiang"]
    which = xcfg["fit"]  # 'reach_to_m' (downstream end; counted from the first vertex) or 'reach_from_m'

    def build(x: float) -> BaseGeometry:
        reach = {"reach_from_m": 0.0, "reach_to_m": x} if which == "reach_to_m" else \
                {"reach_from_m": line.length - x, "reach_to_m": None}
        return pipeline.strip_geometry(dataclasses.replace(rule, **reach), line, ctx.boundary, quad_segs=ctx.q)

    whole = ctx.area(pipeline.strip_geometry(rule, line, ctx.boundary, quad_segs=ctx.q, calibrated=False))
    target = ctx.table("J17", 1)
    fit, _ = dl.fit_size(build, target, crs=ctx.crs, method=ctx.method, parameter=which, lo=1.0,
                         hi=float(line.length), tol_km2=ctx.inner_tol)
    if which == "reach_to_m":
        reach_from, reach_to = 0.0, fit.value
    else:
        reach_from, reach_to = line.length - fit.value, None
    log.info("J17: whole-river strip %.6f km²; fitted %s -> %.3f km²", whole, which, fit.area_km2)
    return {"uncalibrated_km2": whole, "reach_from_m": reach_from, "reach_to_m": reach_to, "line_length_m": line.length,
            "fit": fit.as_params()}


def write_reach(scheme: Scheme, res: dict[str, Any]) -> None:
    """Write the fitted reach into the J17 [[strips]] entry of scheme.toml (values and a comment only)."""
    text = scheme.path.read_text(encoding="utf-8")
    block = re.search(r"\[\[strips\]\][^\[]*?code = \"J17\".*?(?=\n\[|\Z)", text, flags=re.S)
    if not block:
        raise SystemExit(f"{scheme.path}: no [[strips]] entry with code = \"J17\"")
    body = block.group(0)
    # full precision (repr round-trips through TOML): a millimetre of reach is ~1 m² of strip
    to_val = "1.0e9" if res["reach_to_m"] is None else repr(float(res["reach_to_m"]))
    comment = (f"# Fitted by scripts/reconstruct_hengnan.py (bisection on the strip's {res['fit']['parameter']}) so the strip's land\n"
               f"# inside the county is the table's 47.35 km² ({res['fit']['area_km2']:.9f}); the whole river gives "
               f"{res['uncalibrated_km2']:.4f} km².\n")
    body = re.sub(r"(?m)^# Fitted by scripts/reconstruct_hengnan\.py.*\n(?:# .*\n)?", "", body)
    body = re.sub(r"(?m)^reach_from_m = .*$", lambda m: f"{comment}reach_from_m = {float(res['reach_from_m'])!r}", body, count=1)
    body = re.sub(r"(?m)^reach_to_m = .*$", lambda m: f"reach_to_m = {to_val}", body, count=1)
    new = text[: block.start()] + body + text[block.end():]
    if new != text:
        write_text(scheme.path, new)


# ------------------------------------------------------------------------------------------------ water bands


def model_water(ctx: Context) -> None:
    """Union of the modelled river water: the Xiang band (scheme) and the other rivers' bands (delineation.toml)."""
    rule = next(r for r in ctx.scheme.strips if r.code == "J17")
    bands = [dl.river_water(river(ctx, rule.river), rule.half_width_m, quad_segs=ctx.q)]
    for name, hw in ctx.cfg["river_half_width_m"].items():
        bands.append(dl.river_water(river(ctx, name), float(hw), quad_segs=ctx.q))
    ctx.water = shapely.union_all(bands)


# ------------------------------------------------------------------------------------------------ J18


def parse_reserve_box(ctx: Context) -> tuple[float, float, float, float, str]:
    """(lon_w, lat_s, lon_e, lat_n) of the reserve from the plan's text '东经A至B，北纬C至D'."""
    text = ctx.scheme.source_text()
    m = re.search(r"东经\s*([^至，,]+?)\s*至\s*([^，,]+?)\s*[，,]\s*北纬\s*([^至，,]+?)\s*至\s*([^，,]+?)\s*[，,]", text)
    if not m:
        raise SystemExit("plan text: cannot find the reserve's '东经…至…，北纬…至…' extent")
    lon1, lon2 = (parse_angle(m.group(i), axis="lon") for i in (1, 2))
    lat1, lat2 = (parse_angle(m.group(i), axis="lat") for i in (3, 4))
    return min(lon1, lon2), min(lat1, lat2), max(lon1, lon2), max(lat1, lat2), m.group(0)


def build_reserve(ctx: Context) -> None:
    """J18: the Lei corridor inside the plan's box; corridor half-width fitted to the total, water width to the land."""
    rcfg = ctx.cfg["reserve"]
    total, land_target = float(rcfg["total_km2"]), ctx.table("J18", 1)
    if rcfg["total_quote"] not in ctx.scheme.source_text():
        raise SystemExit(f"delineation.toml [reconstruction.reserve] total_quote {rcfg['total_quote']!r} is not in the plan text")
    w, s, e, n, quoted = parse_reserve_box(ctx)
    to_work = Transformer.from_crs("EPSG:4326", ctx.crs, always_xy=True)
    box = shapely.Polygon([to_work.transform(x, y) for x, y in
                           shapely.box(w, s, e, n).segmentize(0.0005).exterior.coords])
    lei = river(ctx, rcfg["river"])
    inside = box.intersection(ctx.boundary)

    def reserve(d: float) -> BaseGeometry:
        return geoprocess.make_valid_polygonal(lei.buffer(d, quad_segs=ctx.q).intersection(inside))

    fit_total, whole = dl.fit_size(reserve, total, crs=ctx.crs, method=ctx.method, parameter="corridor_half_width_m",
                                   hi=500.0, tol_km2=ctx.inner_tol)
    water_target = ctx.area(whole) - land_target

    def water(hw: float) -> BaseGeometry:
        return geoprocess.make_valid_polygonal(whole.intersection(lei.buffer(hw, quad_segs=ctx.q)))

    fit_water, wet = dl.fit_size(water, water_target, crs=ctx.crs, method=ctx.method, parameter="water_half_width_m",
                                 hi=fit_total.value, tol_km2=ctx.inner_tol)
    land = geoprocess.make_valid_polygonal(whole.difference(wet))
    params = {"plan_extent_text": quoted, "box_lonlat": [w, s, e, n], "total_km2": total,
              "fit_reserve": fit_total.as_params(), "fit_water": fit_water.as_params(),
              "water_km2": ctx.area(wet), "land_km2": ctx.area(land), "river": rcfg["river"], "quad_segs": ctx.q,
              "area_method": ctx.method,
              "note": "only the land part is the exclusion zone; the water part (Lei channel and the waters between "
                      "its islands, modelled as a band of the fitted half-width) is recorded here. Along this border "
                      "reach the open Lei line runs 0-700 m outside the county polygon (positional error of "
                      "small-scale data), so the fitted half-widths include that offset"}
    ctx.add("J18", 1, "nature_reserve", land,
            method="corridor along the Lei inside the plan's extent box, clipped to the county; corridor half-width "
                   "fitted to the reserve's 2.354 km², water band half-width fitted so the land part is 1.494 km²",
            params=params, fitted=f"corridor {fit_total.value:.2f} m, water {fit_water.value:.2f} m", within=None,
            source="plan 六(三) extent (DMS, parsed from the plan text) and areas; Lei centerline of base/rivers.geojson")
    # the reserve's water is no zone, but nothing else may claim it either
    ctx.placed.append(wet)


# ------------------------------------------------------------------------------------------------ water sources


def _stand_in_line(anchor: BaseGeometry, si: dict[str, Any]) -> tuple[BaseGeometry, BaseGeometry]:
    mid = bearing_point(anchor, float(si["offset_m"]), float(si["offset_bearing_deg"]))
    half = 0.5 * float(si["length_m"])
    up, down = bearing_point(mid, -half, float(si["flow_bearing_deg"])), bearing_point(mid, half, float(si["flow_bearing_deg"]))
    return shapely.LineString([up.coords[0], down.coords[0]]), mid


def build_river_source(ctx: Context, src: dict[str, Any]) -> None:
    code, name = src["code"], src["river"]
    anchor, seat_info = seat(ctx, src["anchor"])
    stand_in = "stand_in" in src
    if stand_in:
        line, _ = _stand_in_line(anchor, src["stand_in"])
        hw = float(src["stand_in"]["half_width_m"])
        water = dl.river_water(line, hw, quad_segs=ctx.q)
        ctx.water = ctx.water.union(water)
    else:
        line = river(ctx, name)
        hw = float(ctx.cfg["river_half_width_m"][name])
        water = None
    if "intake_chainage_m" in src:
        intake_m = float(src["intake_chainage_m"])
    else:
        intake_m = float(line.project(anchor)) + float(src.get("shift_m", 0.0))
    intake = line.interpolate(intake_m)
    fx = ctx.cfg["river_fixed"]
    up1, down1 = float(fx["level1_upstream_m"]), float(fx["level1_downstream_m"])
    up2, down2 = float(fx["level2_upstream_m"]), float(fx["level2_downstream_m"])
    kw = dict(half_width_m=hw, quad_segs=ctx.q, water=water)
    near = intake.buffer(up1 + up2 + down1 + down2 + 3000.0)

    def level1(d: float) -> BaseGeometry:
        return ctx.free(dl.river_land_zone(line, intake_m, upstream_m=up1, downstream_m=down1, depth_m=d, **kw), near=near)

    f1, g1 = dl.fit_size(level1, ctx.table(code, 1), crs=ctx.crs, method=ctx.method, parameter="level1_depth_m",
                         tol_km2=ctx.tol, bound=ctx.std.bound("river.level1.depth_m"))
    common = {"river": name, "stand_in": stand_in, "water_half_width_m": hw, "intake_xy": [intake.x, intake.y],
              "intake_lonlat": lonlat(ctx, intake), "intake_chainage_m": intake_m, **seat_info,
              "standard": ctx.std.id, "standard_verified_against_text": ctx.std.verified_against_text,
              "quad_segs": ctx.q, "area_method": ctx.method, "note": src.get("note", "")}
    if stand_in:
        common["stand_in_line"] = {k: v for k, v in src["stand_in"].items()}
    src_text = (f"stand-in straight line for the {name} (no open geometry) near the {seat_info['seat']} seat"
                if stand_in else f"{name} centerline of base/rivers.geojson") + f"; seat {seat_info['seat']} of base/township_seats.geojson"
    p1 = {**common, "fit": f1.as_params(), "fixed": {"upstream_m": up1, "downstream_m": down1}}
    ctx.add(code, 1, "water_source", g1,
            method="HJ 338-2018 river source, level-1 land: reach 1000 m up / 100 m down of the intake, flat ends, "
                   "land within the fitted depth of the water band, minus other zones, clipped to the county",
            params=p1, source=src_text, fitted=f"depth {f1.value:.3f} m", within=f1.within_standard)
    if ctx.scheme.published.zone(code).level2 is None:
        return

    def level2(d: float) -> BaseGeometry:
        outer = dl.river_land_zone(line, intake_m, upstream_m=up1 + up2, downstream_m=down1 + down2, depth_m=d, **kw)
        return ctx.free(outer, near=near)  # level 1 is already placed, so the ring excludes it

    f2, g2 = dl.fit_size(level2, ctx.table(code, 2), crs=ctx.crs, method=ctx.method, parameter="level2_depth_m",
                         tol_km2=ctx.tol, bound=ctx.std.bound("river.level2.depth_m"))
    p2 = {**common, "fit": f2.as_params(), "fixed": {"upstream_beyond_level1_m": up2, "downstream_beyond_level1_m": down2}}
    ctx.add(code, 2, "water_source", g2,
            method="HJ 338-2018 river source, level-2 land ring: reach 2000 m beyond level 1 upstream / 200 m "
                   "downstream, land within the fitted depth of the water band, minus level 1 and other zones",
            params=p2, source=src_text, fitted=f"depth {f2.value:.3f} m", within=f2.within_standard)


def build_well(ctx: Context, src: dict[str, Any]) -> None:
    code = src["code"]
    anchor, seat_info = seat(ctx, src["anchor"])
    well = bearing_point(anchor, float(src["offset_m"]), float(src["offset_bearing_deg"]))
    f, g = dl.fit_size(lambda r: ctx.free(dl.well_zone(well, r, quad_segs=ctx.q)), ctx.table(code, 1), crs=ctx.crs,
                       method=ctx.method, parameter="radius_m", tol_km2=ctx.tol, bound=ctx.std.bound("well.level1.radius_m"))
    params = {"fit": f.as_params(), "stand_in": True, "well_xy": [well.x, well.y], "well_lonlat": lonlat(ctx, well),
              **seat_info, "well_offset_m": src["offset_m"], "well_offset_bearing_deg": src["offset_bearing_deg"],
              "standard": ctx.std.id, "quad_segs": ctx.q, "area_method": ctx.method, "note": src.get("note", "")}
    ctx.add(code, 1, "water_source", g,
            method="HJ 338-2018 groundwater source, level 1: circle of fitted radius around the well, minus other zones",
            params=params, fitted=f"radius {f.value:.3f} m", within=f.within_standard,
            source=f"stand-in well position {src['offset_m']} m from the {seat_info['seat']} seat (no open position)")


def build_reservoir(ctx: Context, src: dict[str, Any]) -> None:
    code = src["code"]
    anchor, seat_info = seat(ctx, src["anchor"])
    centre = bearing_point(anchor, float(src["offset_m"]), float(src["offset_bearing_deg"]))
    radius = math.sqrt(float(src["stand_in"]["water_km2"]) * 1e6 / math.pi)
    lake = centre.buffer(radius, quad_segs=ctx.q)
    ctx.water = ctx.water.union(lake)
    f1, g1 = dl.fit_size(lambda d: ctx.free(dl.reservoir_zones(lake, d, None, quad_segs=ctx.q)[0]),
                         ctx.table(code, 1), crs=ctx.crs, method=ctx.method, parameter="level1_depth_m",
                         tol_km2=ctx.tol, bound=ctx.std.bound("reservoir.level1.depth_m"))
    common = {"stand_in": True, "reservoir_centre_xy": [centre.x, centre.y], "reservoir_lonlat": lonlat(ctx, centre),
              "reservoir_water_km2": ctx.area(lake), **seat_info, "standard": ctx.std.id, "quad_segs": ctx.q,
              "area_method": ctx.method, "note": src.get("note", "")}
    source = (f"stand-in circular reservoir {src['stand_in']['water_km2']} km² placed {src['offset_m']} m from the "
              f"{seat_info['seat']} seat (双板桥水库 has no open geometry)")
    ctx.add(code, 1, "water_source", g1,
            method="HJ 338-2018 reservoir source, level-1 land ring of fitted depth around the stand-in reservoir",
            params={**common, "fit": f1.as_params()}, source=source, fitted=f"depth {f1.value:.3f} m",
            within=f1.within_standard)
    f2, g2 = dl.fit_size(lambda d: ctx.free(dl.reservoir_zones(lake, f1.value, d, quad_segs=ctx.q)[1]),
                         ctx.table(code, 2), crs=ctx.crs, method=ctx.method, parameter="level2_depth_beyond_level1_m",
                         tol_km2=ctx.tol, bound=ctx.std.bound("reservoir.level2.depth_m"))
    ctx.add(code, 2, "water_source", g2,
            method="HJ 338-2018 reservoir source, level-2 land ring of fitted depth beyond level 1",
            params={**common, "fit": f2.as_params(), "level1_depth_m": f1.value}, source=source,
            fitted=f"depth {f2.value:.3f} m", within=f2.within_standard)


# ------------------------------------------------------------------------------------------------ towns


def ellipse(centre: BaseGeometry, semi_minor: float, aspect: float, angle_deg: float, q: int) -> BaseGeometry:
    """Ellipse polygon: semi-axes aspect·a along ``angle_deg`` (from the x axis) and a across."""
    unit = shapely.Point(0.0, 0.0).buffer(1.0, quad_segs=q)
    g = affinity.scale(unit, aspect * semi_minor, semi_minor, origin=(0, 0))
    g = affinity.rotate(g, angle_deg, origin=(0, 0))
    return affinity.translate(g, centre.x, centre.y)


def build_town(ctx: Context, code: str) -> None:
    row = ctx.scheme.published.zone(code)
    anchor, seat_info = seat(ctx, row.name)
    target = ctx.table(code, 1)
    tcfg = ctx.cfg.get("towns", {}).get(code, {})
    base = {**seat_info, "seat_lonlat": lonlat(ctx, anchor), "quad_segs": ctx.q, "area_method": ctx.method,
            "note": tcfg.get("note", "")}
    source = f"seat {seat_info['seat']} of base/township_seats.geojson; area from the plan's table"
    if code not in OVERLAP_TOWNS:
        near = anchor.buffer(10 * math.sqrt(target * 1e6))
        f, g = dl.fit_size(lambda r: ctx.free(anchor.buffer(r, quad_segs=ctx.q), near=near), target, crs=ctx.crs,
                           method=ctx.method, parameter="radius_m", hi=500.0, tol_km2=ctx.tol)
        ctx.add(code, 1, "town_builtup", g,
                method="disc around the town seat, minus river water, other zones and the J17 strip, clipped to the "
                       "county; radius fitted to the table's area", params={**base, "fit": f.as_params()},
                source=source, fitted=f"radius {f.value:.2f} m", within=None)
        return
    build_overlap_town(ctx, code, anchor, target, tcfg, base, source)


def build_overlap_town(ctx: Context, code: str, anchor: BaseGeometry, target: float, tcfg: dict[str, Any],
                       base: dict[str, Any], source: str) -> None:
    """Ellipse along the Xiang, centre offset s from it towards the seat; size fitted to the area, s to the overlap."""
    overlap_target = ctx.scheme.published.zone(code).overlap.value
    xiang = river(ctx, next(r for r in ctx.scheme.strips if r.code == "J17").river)
    s0 = float(xiang.project(anchor))
    foot = xiang.interpolate(s0)
    ahead = xiang.interpolate(min(s0 + 200.0, xiang.length))
    behind = xiang.interpolate(max(s0 - 200.0, 0.0))
    angle = math.degrees(math.atan2(ahead.y - behind.y, ahead.x - behind.x))
    d0 = anchor.distance(foot)
    nx, ny = ((anchor.x - foot.x) / d0, (anchor.y - foot.y) / d0) if d0 > 1.0 else (-math.sin(math.radians(angle)), math.cos(math.radians(angle)))
    aspect = float(tcfg.get("aspect", 1.0))
    near = foot.buffer(20 * math.sqrt(target * 1e6 / aspect) + 5000.0)
    strip_near = ctx.strip.intersection(near)

    def shape(s: float, a: float) -> BaseGeometry:
        c = shapely.Point(foot.x + s * nx, foot.y + s * ny)
        return ctx.free(ellipse(c, a, aspect, angle, ctx.q), avoid_strip=False, near=near)

    def sized(s: float) -> tuple[dl.Fit, BaseGeometry]:
        return dl.fit_size(lambda a: shape(s, a), target, crs=ctx.crs, method=ctx.method, parameter="semi_minor_m",
                           hi=500.0, tol_km2=ctx.inner_tol)

    def overlap(s: float) -> tuple[float, dl.Fit, BaseGeometry]:
        f, g = sized(s)
        return ctx.area(g.intersection(strip_near)), f, g

    lo, hi = float(tcfg.get("offset_min_m", 0.0)), float(tcfg.get("offset_max_m", 15000.0))
    o_lo, _, _ = overlap(lo)
    o_hi, _, _ = overlap(hi)
    if not (o_hi - ctx.tol <= overlap_target <= o_lo + ctx.tol):
        raise SystemExit(f"{code}: the J17 overlap {overlap_target} km² is not bracketed by offsets {lo}..{hi} m "
                         f"({o_lo:.6f}..{o_hi:.6f} km²); change aspect/offset range in delineation.toml [reconstruction.towns.{code}]")
    for it in range(200):
        s = 0.5 * (lo + hi)
        o, f, g = overlap(s)
        if abs(o - overlap_target) <= ctx.tol:
            break
        lo, hi = (s, hi) if o > overlap_target else (lo, s)
    else:
        raise SystemExit(f"{code}: overlap fit did not converge")
    params = {**base, "fit": f.as_params(), "aspect": aspect, "axis_angle_deg": angle,
              "offset_from_xiang_m": s, "seat_distance_from_xiang_m": d0, "overlap_target_km2": overlap_target,
              "overlap_km2": o, "overlap_error_km2": o - overlap_target, "overlap_iterations": it + 1,
              "centre_xy": [foot.x + s * nx, foot.y + s * ny]}
    ctx.add(code, 1, "town_builtup", g,
            method="ellipse (fixed aspect, long axis along the Xiang) centred on the normal from the Xiang through the "
                   "seat, minus river water and other zones, clipped to the county; size fitted to the table's area "
                   "and centre offset fitted so the overlap with J17 equals the table's",
            params=params, source=source + "; J17 overlap from the table", fitted=f"a {f.value:.2f} m, s {s:.2f} m",
            within=None)


# ------------------------------------------------------------------------------------------------ main


def load_context(scheme: Scheme, cfg_path: Path) -> Context:
    raw = tomllib.loads(cfg_path.read_text(encoding="utf-8"))
    crs = scheme.working_crs
    bspec = scheme.layer("boundary")
    boundary = geoprocess.union(read_layer(bspec.path, layer=bspec.layer, what="boundary layer").to_crs(crs).geometry.values)
    rspec = scheme.layer("rivers")
    rivers = read_layer(rspec.path, layer=rspec.layer, what="rivers layer", geom_types=LINEAR,
                        required_columns=[rspec.options.get("name_field", "name")]).to_crs(crs)
    sspec = scheme.layer("township_seats")
    seats = read_layer(sspec.path, layer=sspec.layer, what="township seats", geom_types=PUNTAL,
                       required_columns=["name_zh"]).to_crs(crs)
    return Context(scheme, raw["reconstruction"], dl.load_standard(cfg_path), boundary, rivers, seats)


def write_zones(ctx: Context, dest: Path) -> None:
    gdf = gpd.GeoDataFrame(ctx.features, geometry="geometry", crs=ctx.crs)
    gdf = gdf.sort_values(["code", "level"]).reset_index(drop=True)
    # GeoPackages stamp the write time into gpkg_contents; a fixed stamp makes the file byte-for-byte reproducible
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2020-02-28T00:00:00.000Z"})
    try:
        with atomic_path(dest) as tmp:
            gdf.to_file(tmp, layer="zones", driver="GPKG", engine="pyogrio")
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})


def print_summary(ctx: Context, xiang: dict[str, Any]) -> None:
    rows = sorted(ctx.summary, key=lambda r: (r["code"], r["level"]))
    print(f"{'code':5} {'lvl':>3} {'target':>10} {'got':>14} {'error':>10}  {'fitted':34} within_standard")
    for r in rows:
        print(f"{r['code']:5} {r['level']:>3} {r['target']:>10.4f} {r['got']:>14.9f} {r['got'] - r['target']:>10.1e}  "
              f"{r['fitted']:34} {r['within_standard']}")
    j17 = ctx.area(ctx.strip)  # as zoning.pipeline.compute_strips builds it from the updated scheme
    l1 = sum(r["got"] for r in rows if r["level"] == 1) + j17
    l2 = sum(r["got"] for r in rows if r["level"] == 2)
    geoms = [f["geometry"] for f in ctx.features]
    overlaps = sum(ctx.area(g.intersection(ctx.strip)) for g in geoms)
    union = ctx.area(shapely.union_all([*geoms, ctx.strip]))
    print(f"J17   strip {j17:.9f} km², error {j17 - ctx.table('J17', 1):.1e} (reach {xiang['reach_from_m']:.1f}..{xiang['reach_to_m']} m; whole river "
          f"{xiang['uncalibrated_km2']:.6f} km²)")
    pub = ctx.scheme.published
    for label, got, printed in (("level 1 sum", l1, pub.subtotal_level1), ("level 2 sum", l2, pub.subtotal_level2),
                                ("overlaps", overlaps, pub.subtotal_overlap), ("union", union, pub.net)):
        ok = round(got, 4) == round(printed.value, 4)
        print(f"{label:12} {got:14.7f}  table {printed.text:>9}  {'OK' if ok else 'MISMATCH'}")
    outside = [r for r in rows if r["within_standard"] is False]
    names = ", ".join(f"{r['code']}-{r['level']}" for r in outside) or "none"
    print(f"outside the standard's bounds: {names}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-write-scheme", action="store_true", help="do not update reach_*_m in scheme.toml")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(name)s: %(message)s")
    scheme = load_scheme(COUNTY)
    cfg_path = scheme.dir / "delineation.toml"
    ctx = load_context(scheme, cfg_path)
    xiang = fit_xiang_reach(ctx)
    if not args.no_write_scheme:
        write_reach(scheme, xiang)
        scheme = load_scheme(COUNTY)
        ctx.scheme = scheme
    strips = pipeline.compute_strips(scheme, ctx.rivers, ctx.boundary)
    ctx.strip = strips.loc[strips["code"] == "J17"].geometry.iloc[0]
    log.info("J17 as the pipeline computes it: %.9f km²", ctx.area(ctx.strip))
    model_water(ctx)
    build_reserve(ctx)
    for src in ctx.cfg["sources"]:
        {"river": build_river_source, "well": build_well, "reservoir": build_reservoir}[src["kind"]](ctx, src)
    towns = [z.code for z in scheme.published.zones if z.category == "town_builtup"]
    for code in [*[c for c in towns if c in OVERLAP_TOWNS], *[c for c in towns if c not in OVERLAP_TOWNS]]:
        build_town(ctx, code)
    write_zones(ctx, scheme.layer_path("zones"))
    print_summary(ctx, xiang)
    return 0


if __name__ == "__main__":
    sys.exit(main())
