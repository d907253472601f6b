"""``build``: a county's scheme and layers -> the zones GeoPackage, an area table and a manifest.

Steps: read and validate the input layers; bring them to the working CRS; compute the river strips; assign levels;
measure every zone in both area methods; form the level unions, every pairwise overlap and the whole union; write
``zones.gpkg``, ``areas.csv``, ``areas.json`` and ``manifest.json`` atomically.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely
import shapely.errors

from zoning import _io, geoprocess, settings
from zoning.crs import area_km2, describe_crs
from zoning.errors import LayerError, OutputError, SchemeError
from zoning.layers import LINEAR, POLYGONAL, PUNTAL, RepairLog, read_layer
from zoning.scheme import CATEGORIES, Scheme, StripRule

log = logging.getLogger(__name__)

ZONE_COLUMNS = ("code", "level", "name", "category")
PROVENANCE_COLUMNS = ("reconstructed", "method", "params", "source")
CONTEXT_LAYERS = {"rivers": LINEAR, "township_seats": PUNTAL, "townships": POLYGONAL}


@dataclass
class Inputs:
    """Validated inputs in the working CRS."""

    boundary: shapely.Geometry
    boundary_gdf: gpd.GeoDataFrame
    rivers: gpd.GeoDataFrame | None
    zones: gpd.GeoDataFrame
    context: dict[str, gpd.GeoDataFrame]
    repairs: RepairLog


@dataclass
class BuildResult:
    """What a build wrote and its headline numbers."""

    zones_gpkg: Path
    areas_csv: Path
    areas_json: Path
    manifest_json: Path
    summary: dict[str, Any] = field(default_factory=dict)


def measure(geoms: np.ndarray | gpd.GeoSeries, scheme: Scheme) -> dict[str, np.ndarray]:
    """Areas (km²) in both methods plus ``area_km2`` in the scheme's method."""
    arr = np.asarray(geoms, dtype=object)
    ell = area_km2(arr, scheme.working_crs, "ellipsoidal")
    pla = area_km2(arr, scheme.working_crs, "planar")
    return {"area_km2": ell if scheme.area_method == "ellipsoidal" else pla,
            "area_ellipsoidal_km2": ell, "area_planar_km2": pla}


#: Largest areal distortion of the working CRS accepted at the county (GK 3-degree zones stay near 0.05 %).
MAX_AREAL_DISTORTION = 0.002


def check_working_crs(scheme: Scheme, boundary: shapely.Geometry) -> None:
    """The working CRS must cover the county and keep areas within 0.2 % there (buffers are taken in it)."""
    crs = scheme.working_crs
    to_geo = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    c = boundary.centroid
    lon, lat = to_geo.transform(c.x, c.y)
    aou = crs.area_of_use
    if aou is not None and not (aou.west - 1 <= lon <= aou.east + 1 and aou.south - 1 <= lat <= aou.north + 1):
        raise SchemeError(f"{scheme.path}: working CRS {describe_crs(crs)} is meant for {aou.name}, not for the county "
                          f"at {lon:.2f}E {lat:.2f}N; use the county's Gauss–Krüger zone")
    areal = pyproj.Proj(crs).get_factors(lon, lat).areal_scale
    if not np.isfinite(areal) or abs(areal - 1) > MAX_AREAL_DISTORTION:
        raise SchemeError(f"{scheme.path}: working CRS {describe_crs(crs)} distorts areas by {100 * (areal - 1):+.2f} % at "
                          f"the county; buffers and planar areas would be wrong — use the county's Gauss–Krüger zone "
                          "(e.g. EPSG:4546 or EPSG:4547 for CGCS2000 3-degree zones near 111E/114E)")


def _layer_kwargs(scheme: Scheme, name: str) -> dict[str, Any]:
    spec = scheme.layer(name)
    encoding = spec.options.get("encoding")
    if encoding is not None and not isinstance(encoding, str):
        raise SchemeError(f"{scheme.path} [layers.{name}]: encoding = {encoding!r} must be a name such as \"gbk\"")
    return {"layer": spec.layer, "encoding": encoding}


def _to_working(gdf: gpd.GeoDataFrame, scheme: Scheme, what: str, *, repair: bool, repairs: RepairLog) -> gpd.GeoDataFrame:
    """Reproject to the working CRS; a polygon that reprojection makes invalid is named (or repaired on request)."""
    out = gdf.to_crs(scheme.working_crs)
    if gdf.crs == out.crs:
        return out
    geoms = out.geometry.values
    polygonal = shapely.get_type_id(geoms) >= 3
    broken = np.flatnonzero(polygonal & ~shapely.is_valid(geoms))
    if len(broken) and not repair:
        i = int(broken[0])
        raise LayerError(f"{what}: feature #{i + 1} becomes invalid when reprojected from {describe_crs(gdf.crs)} to the "
                         f"working CRS ({shapely.is_valid_reason(geoms[i])}); store the layer in "
                         f"{describe_crs(scheme.working_crs)}, or rerun with --repair")
    if len(broken):
        fixed = list(geoms)
        for i in broken:
            fixed[i] = geoprocess.make_valid_polygonal(geoms[i])
            repairs.add(f"{what}: feature #{int(i) + 1} invalid after reprojection -> repaired with make_valid")
        out = out.set_geometry(gpd.GeoSeries(fixed, index=out.index, crs=out.crs))
    return out


def read_inputs(scheme: Scheme, *, repair: bool = False) -> Inputs:
    """Read and validate the scheme's layers and bring them to the working CRS."""
    repairs = RepairLog()
    crs = scheme.working_crs
    bspec = scheme.layer("boundary")
    boundary_gdf = _to_working(read_layer(bspec.path, what="boundary layer", repair=repair, repairs=repairs,
                                          **_layer_kwargs(scheme, "boundary")), scheme, f"boundary layer {bspec.path}",
                               repair=repair, repairs=repairs)
    boundary = geoprocess.union(boundary_gdf.geometry.values)
    check_working_crs(scheme, boundary)
    rivers = None
    if "rivers" in scheme.layers:
        rspec = scheme.layer("rivers")
        name_field = rspec.options.get("name_field", "name")
        rivers = read_layer(rspec.path, what="rivers layer", geom_types=LINEAR, required_columns=[name_field],
                            **_layer_kwargs(scheme, "rivers")).to_crs(crs)
    elif scheme.strips:
        raise SchemeError(f"{scheme.path}: [[strips]] need a [layers.rivers] section")
    zspec = scheme.layer("zones")
    zones = _to_working(read_layer(zspec.path, what="zones layer", required_columns=ZONE_COLUMNS,
                                   code_columns=("code", "level"), repair=repair, repairs=repairs,
                                   **_layer_kwargs(scheme, "zones")), scheme, f"zones layer {zspec.path}",
                        repair=repair, repairs=repairs)
    context = {}
    for name, types in CONTEXT_LAYERS.items():
        if name in scheme.layers and scheme.layer(name).path.exists():
            spec = scheme.layer(name)
            context[name] = read_layer(spec.path, what=f"{name} layer", geom_types=types,
                                       **_layer_kwargs(scheme, name)).to_crs(crs)
    return Inputs(boundary, boundary_gdf, rivers, zones, context, repairs)


def river_line(rivers: gpd.GeoDataFrame, river: str, *, name_field: str) -> shapely.Geometry:
    """The merged centerline of a named river; SchemeError if the layer has no such river."""
    sel = rivers[rivers[name_field] == river]
    if sel.empty:
        names = sorted(set(rivers[name_field].dropna().astype(str)))
        raise SchemeError(f"strip rule: river {river!r} is not in the rivers layer; it has {', '.join(names)}")
    return geoprocess.merge_lines(sel.geometry.values)


def strip_geometry(rule: StripRule, centerline: shapely.Geometry, clip: shapely.Geometry | None, *,
                   quad_segs: int, calibrated: bool = True) -> shapely.Geometry:
    """One strip rule's land strip; ``calibrated=False`` ignores the rule's reach (the whole river)."""
    return geoprocess.river_land_strip(
        centerline, rule.distance_m, half_width_m=rule.half_width_m,
        reach_from_m=rule.reach_from_m if calibrated else None,
        reach_to_m=rule.reach_to_m if calibrated else None,
        clip=clip, quad_segs=quad_segs,
    )


def compute_strips(scheme: Scheme, rivers: gpd.GeoDataFrame, boundary: shapely.Geometry, *,
                   calibrated: bool = True) -> gpd.GeoDataFrame:
    """The scheme's river strips as zone features (working CRS), exactly as ``build`` computes them."""
    name_field = scheme.layer("rivers").options.get("name_field", "name")
    rows = []
    for rule in scheme.strips:
        line = river_line(rivers, rule.river, name_field=name_field)
        clip = boundary if rule.clip_to == "boundary" else None
        if calibrated and rule.reach_to_m is not None and rule.reach_to_m > line.length + 1.0:
            log.warning("strip %s: reach_to_m %.0f m is beyond the %.0f m of the %s line; the strip runs to its end",
                        rule.code, rule.reach_to_m, line.length, rule.river)
        geom = strip_geometry(rule, line, clip, quad_segs=scheme.quad_segs, calibrated=calibrated)
        if geom.is_empty or geom.area < scheme.min_overlap_m2:
            raise SchemeError(f"{scheme.path} [[strips]] {rule.code}: the strip along {rule.river} has no land area "
                              f"({geom.area:.3g} m²); check distance_m, half_width_m, the reach and clip_to")
        params = {"river": rule.river, "distance_m": rule.distance_m, "half_width_m": rule.half_width_m,
                  "reach_from_m": rule.reach_from_m if calibrated else None,
                  "reach_to_m": rule.reach_to_m if calibrated else None,
                  "measured_from": "water band of half_width_m either side of the centerline" if rule.half_width_m else "centerline",
                  "land_only": True, "clip_to": rule.clip_to, "quad_segs": scheme.quad_segs}
        sources = rivers.loc[rivers[name_field] == rule.river, "source"] if "source" in rivers.columns else []
        rows.append({
            "code": rule.code, "level": rule.level, "name": rule.name, "category": rule.category,
            "reconstructed": bool(rule.reconstructed and calibrated),
            "method": ("land within distance_m of the river water, clipped to the county"
                       + ("; reach fitted: " + rule.note if rule.note and calibrated else "")),
            "params": json.dumps(params, ensure_ascii=False),
            "source": "; ".join(sorted(set(map(str, sources)))) or "rivers layer",
            "geometry": geom,
        })
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=scheme.working_crs)


def _assign_levels(zones: gpd.GeoDataFrame, scheme: Scheme, label: str) -> gpd.GeoDataFrame:
    zones = zones.copy()
    for i, row in zones.iterrows():
        if row["category"] not in CATEGORIES:
            raise LayerError(f"{label}: zone {row['code']!r} has category {row['category']!r}; use one of {', '.join(CATEGORIES)}")
        fixed = scheme.level_for(row["category"])
        raw_level = row["level"]
        try:
            level = int(float(raw_level))
            whole = float(raw_level) == level
        except (TypeError, ValueError):
            whole = False
        if not whole:
            raise LayerError(f"{label}: zone {row['code']!r} has level {raw_level!r}; use 1 or 2")
        if level not in (1, 2) or (fixed is not None and level != fixed):
            expected = "1 or 2" if fixed is None else str(fixed)
            raise LayerError(f"{label}: zone {row['code']!r} ({row['category']}) has level {level}; the scheme says {expected}")
        zones.at[i, "level"] = level
    zones["level"] = zones["level"].astype(int)
    return zones


def assemble_zones(scheme: Scheme, inputs: Inputs) -> gpd.GeoDataFrame:
    """Zones layer + computed strips, with levels checked, provenance filled and areas measured."""
    label = f"zones layer {scheme.layer_path('zones')}"
    zones = inputs.zones.copy()
    for col, default in (("reconstructed", False), ("method", ""), ("params", "{}"), ("source", "")):
        if col not in zones.columns:
            zones[col] = default
    strip_codes = {r.code for r in scheme.strips}
    clash = sorted(strip_codes & set(zones["code"]))
    if clash:
        raise LayerError(f"{label}: has zone(s) {', '.join(clash)}, which the scheme computes as strips; remove them from the layer")
    parts = [zones[["code", "level", "name", "category", *PROVENANCE_COLUMNS, "geometry"]]]
    if scheme.strips:
        parts.append(compute_strips(scheme, inputs.rivers, inputs.boundary))
    allz = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=scheme.working_crs)
    allz = _assign_levels(allz, scheme, label)
    allz["code"] = allz["code"].astype(str)
    table = {z.code: z for z in scheme.published.zones}
    for r in allz.itertuples():
        row = table.get(r.code)
        if row is None:
            log.warning("%s: zone %s-%s has no row in %s; the reconciliation will fail it", label, r.code, r.level,
                        scheme.published.path.name)
        elif row.category != r.category:
            raise LayerError(f"{label}: zone {r.code} has category {r.category!r} but {scheme.published.path.name} line "
                             f"{row.line} says {row.category!r}; correct the layer or the table")
    allz["reconstructed"] = allz["reconstructed"].fillna(False).astype(bool)
    allz.insert(0, "zone_id", allz["code"] + "-" + allz["level"].astype(str))
    printed = [table[c].printed(lv) if c in table else None for c, lv in zip(allz["code"], allz["level"])]
    allz["published_km2"] = [np.nan if p is None else p.value for p in printed]
    for key, values in measure(allz.geometry.values, scheme).items():
        allz[key] = values
    allz["diff_km2"] = allz["area_km2"] - allz["published_km2"]
    outside = allz.geometry.difference(inputs.boundary)
    allz["outside_county_km2"] = measure(outside.values, scheme)["area_km2"]
    mostly_out = allz[allz["outside_county_km2"] > 0.5 * allz["area_km2"]]
    if len(mostly_out):
        r = mostly_out.iloc[0]
        where = (f"{scheme.path.name} [[strips]] {r['code']}" if r["code"] in strip_codes else label)
        raise LayerError(
            f"{where}: zone {r['zone_id']} lies {100 * r['outside_county_km2'] / r['area_km2']:.0f} % outside the county "
            f"boundary ({len(mostly_out)} zone part(s) in all); is the layer's CRS label right, and is it this county's layer?")
    order = ["zone_id", "code", "level", "name", "category", "published_km2", "area_km2", "area_ellipsoidal_km2",
             "area_planar_km2", "diff_km2", "outside_county_km2", *PROVENANCE_COLUMNS, "geometry"]
    return allz[order].sort_values(["code", "level"]).reset_index(drop=True)


def overlaps_table(zones: gpd.GeoDataFrame, scheme: Scheme) -> gpd.GeoDataFrame:
    """Every overlapping pair of zones with its area and whether the plan's accounting deducts it."""
    found = geoprocess.pairwise_overlaps(zones.geometry.values, min_area_m2=scheme.min_overlap_m2)
    pairs = {frozenset((a, b)): printed for a, b, printed in scheme.published.deducted_pairs}
    rows = []
    for ov in found:
        a, b = zones.iloc[ov.i], zones.iloc[ov.j]
        printed = pairs.get(frozenset((a["code"], b["code"])))
        deducted = {"published": printed is not None, "all": True, "none": False}[scheme.deduct]
        rows.append({"zone_id_a": a["zone_id"], "zone_id_b": b["zone_id"], "code_a": a["code"], "code_b": b["code"],
                     "deducted": deducted, "published_km2": np.nan if printed is None else printed.value,
                     "geometry": ov.geometry})
    cols = ["zone_id_a", "zone_id_b", "code_a", "code_b", "deducted", "published_km2", "geometry"]
    table = gpd.GeoDataFrame(rows, columns=cols, geometry="geometry", crs=scheme.working_crs)
    for key, values in measure(table.geometry.values, scheme).items():
        table[key] = values
    return table


def summarise(scheme: Scheme, zones: gpd.GeoDataFrame, overlaps: gpd.GeoDataFrame,
              level_union: gpd.GeoDataFrame, whole: gpd.GeoDataFrame) -> dict[str, Any]:
    """Headline totals in both area methods: the plan's accounting and the true union."""
    out: dict[str, Any] = {}
    for method in ("area_km2", "area_ellipsoidal_km2", "area_planar_km2"):
        l1 = float(zones.loc[zones["level"] == 1, method].sum())
        l2 = float(zones.loc[zones["level"] == 2, method].sum())
        ded = float(overlaps.loc[overlaps["deducted"], method].sum()) if len(overlaps) else 0.0
        out[method] = {"level1_sum": l1, "level2_sum": l2, "overlap_deducted": ded, "net_by_policy": l1 + l2 - ded,
                       "union": float(whole[method].iloc[0]),
                       "level1_union": float(level_union.loc[level_union["level"] == 1, method].sum()),
                       "level2_union": float(level_union.loc[level_union["level"] == 2, method].sum()),
                       "overlap_all": float(overlaps[method].sum()) if len(overlaps) else 0.0}
    return out


def _write_gpkg(path: Path, layers: dict[str, gpd.GeoDataFrame]) -> None:
    for name, gdf in layers.items():
        pyogrio.write_dataframe(gdf, path, layer=name, driver="GPKG", append=path.exists())


def _compute(scheme: Scheme, inputs: Inputs):
    """Zones, overlaps, level unions, whole union and the summary, all in memory."""
    zones = assemble_zones(scheme, inputs)
    overlaps = overlaps_table(zones, scheme)
    level_rows = [{"level": lv, "geometry": geoprocess.union(zones.loc[zones["level"] == lv].geometry.values)}
                  for lv in sorted(zones["level"].unique())]
    level_union = gpd.GeoDataFrame(level_rows, geometry="geometry", crs=scheme.working_crs)
    whole = gpd.GeoDataFrame([{"name": "all exclusion zones", "geometry": geoprocess.union(zones.geometry.values)}],
                             geometry="geometry", crs=scheme.working_crs)
    for gdf in (level_union, whole):
        for key, values in measure(gdf.geometry.values, scheme).items():
            gdf[key] = values
    summary = summarise(scheme, zones, overlaps, level_union, whole)
    strips_open = []
    if scheme.strips and inputs.rivers is not None:
        for rule, row in zip(scheme.strips, compute_strips(scheme, inputs.rivers, inputs.boundary, calibrated=False).itertuples()):
            areas = measure(np.array([row.geometry], dtype=object), scheme)
            strips_open.append({"code": rule.code, "river": rule.river, "reach": "whole river inside the county",
                                **{k: float(v[0]) for k, v in areas.items()}})
    summary["strips_uncalibrated"] = strips_open
    return zones, overlaps, level_union, whole, summary


def build(scheme: Scheme, *, out_dir: str | Path | None = None, repair: bool = False,
          overwrite: bool = True) -> BuildResult:
    """Build the zones GeoPackage, area table and manifest for a scheme.

    Parameters
    ----------
    scheme
        A loaded scheme (:func:`zoning.scheme.load_scheme`).
    out_dir
        Output folder (default ``out/<county>/``).
    repair
        Repair invalid input geometries (logged per feature) instead of stopping.
    overwrite
        Replace existing outputs (atomically, all four together). Without it any existing output stops the build.
    """
    out = Path(out_dir) if out_dir else settings.county_out_dir(scheme.county)
    result = BuildResult(out / settings.zones_filename, out / "areas.csv", out / "areas.json", out / "manifest.json")
    outputs = (result.zones_gpkg, result.areas_csv, result.areas_json, result.manifest_json)
    existing = [p.name for p in outputs if p.exists()]
    if existing and not overwrite:
        raise OutputError(f"{out}: {', '.join(existing)} exist(s); pass --overwrite to replace the build outputs")
    inputs = read_inputs(scheme, repair=repair)
    try:
        zones, overlaps, level_union, whole, summary = _compute(scheme, inputs)
    except shapely.errors.GEOSException as exc:
        raise LayerError(f"geometry operation failed ({exc}); check the input layers' CRS labels, or rerun with --repair") from exc
    layers = {"zones": zones, "level_union": level_union, "overlaps": overlaps, "union": whole,
              "boundary": inputs.boundary_gdf, **inputs.context}
    if inputs.rivers is not None:
        layers["rivers"] = inputs.rivers
    table = pd.DataFrame(zones.drop(columns="geometry"))
    manifest = {
        "county": scheme.county, "built_at": _io.utc_now(), "scheme": str(scheme.path.name), "scheme_sha256": scheme.sha256,
        "working_crs": describe_crs(scheme.working_crs), "area_method": scheme.area_method,
        "area_method_note": ("geodesic area on the CGCS2000/GRS80 ellipsoid (pyproj.Geod)" if scheme.area_method == "ellipsoidal"
                             else f"planar area in {describe_crs(scheme.working_crs)}"),
        "buffer_quad_segs": scheme.quad_segs, "min_overlap_m2": scheme.min_overlap_m2, "grid_size": None,
        "inputs": {str(p.relative_to(scheme.dir)): _io.sha256(p) for p in scheme.input_files()},
        "repairs": inputs.repairs.notes, "packages": _io.package_versions(),
    }
    # the four outputs belong together: written to temporary files, then renamed together
    with _io.atomic_paths(*outputs) as (gpkg_tmp, csv_tmp, json_tmp, manifest_tmp):
        _write_gpkg(gpkg_tmp, layers)
        table.to_csv(csv_tmp, index=False, encoding="utf-8")
        manifest["outputs"] = {"zones_gpkg": result.zones_gpkg.name, "zones_gpkg_sha256": _io.sha256(gpkg_tmp)}
        areas = {"manifest": manifest, "summary": summary,
                 "zones": json.loads(table.to_json(orient="records", force_ascii=False)),
                 "overlaps": json.loads(pd.DataFrame(overlaps.drop(columns="geometry")).to_json(orient="records", force_ascii=False))}
        json_tmp.write_text(json.dumps(areas, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
        manifest_tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    result.summary = summary
    log.info("built %d zone parts, %d overlaps -> %s", len(zones), len(overlaps), result.zones_gpkg)
    return result
