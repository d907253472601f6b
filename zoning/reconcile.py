"""Reconciliation: the published table against itself, against the plan's text, and against geometry.

Three parts, each a list of :class:`Line` an auditor can follow back to a table row or a quoted sentence:

1. *Table arithmetic* — do the rows add up to the printed subtotals and to the net total?
2. *Text vs table* — do the counts, lists, widths and units the text declares match the table's rows?
3. *Geometry* (when a zones GeoPackage exists) — every zone and every total, published vs computed at the precision
   the table prints, in the scheme's area method, with the other method shown beside it; the net two ways (the plan's
   accounting and the true union), with any overlap the plan did not deduct listed by pair.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import geopandas as gpd

from zoning import _io, settings
from zoning.scheme import Printed, Scheme
from zoning.zonesfile import read_zones_layer

log = logging.getLogger(__name__)

#: Relative slack on top of half a printed unit, for float noise only.
_EPS = 1e-9


@dataclass
class Line:
    """One reconciliation check."""

    section: str
    item: str
    status: str  # pass | fail | finding | info
    published: str | None = None
    computed: float | None = None
    other_method: float | None = None
    abs_diff: float | None = None
    rel_diff: float | None = None
    tolerance: float | None = None
    note: str = ""
    ref: str = ""


@dataclass
class Reconciliation:
    """All lines of a reconciliation and the context needed to re-run and compare it."""

    county: str
    plan: str
    area_method: str
    other_method: str
    lines: list[Line] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def failures(self) -> list[Line]:
        return [ln for ln in self.lines if ln.status == "fail"]

    @property
    def findings(self) -> list[Line]:
        return [ln for ln in self.lines if ln.status == "finding"]

    def section(self, name: str) -> list[Line]:
        return [ln for ln in self.lines if ln.section == name]

    def to_dict(self) -> dict[str, Any]:
        return {"county": self.county, "plan": self.plan, "area_method": self.area_method,
                "other_method": self.other_method, "context": self.context,
                "counts": dict(Counter(ln.status for ln in self.lines)), "lines": [asdict(ln) for ln in self.lines]}


def compare(section: str, item: str, printed: Printed, computed: float, *, other: float | None = None,
            ref: str = "", note: str = "") -> Line:
    """A published figure against a computed one, at the precision the figure is printed with."""
    diff = computed - printed.value
    tol = printed.half_unit
    ok = abs(diff) <= tol * (1 + _EPS) + 1e-12
    return Line(section, item, "pass" if ok else "fail", printed.text, computed, other, diff,
                diff / printed.value if printed.value else None, tol, note, ref)


def _sum_printed(values: list[Printed]) -> Decimal:
    return sum((Decimal(v.text) for v in values), Decimal(0))


# --- 1. the table's own arithmetic -------------------------------------------------------------------------------

def check_arithmetic(scheme: Scheme) -> list[Line]:
    """Do the table's rows add up to its printed subtotals and its net total (exact decimal arithmetic)?"""
    t = scheme.published
    name = t.path.name
    l1 = _sum_printed([z.level1 for z in t.zones if z.level1])
    l2 = _sum_printed([z.level2 for z in t.zones if z.level2])
    ov = _sum_printed([z.overlap for z in t.zones if z.overlap])
    lines = []
    for item, total, printed in (("sum of level-1 rows = 一级累计", l1, t.subtotal_level1),
                                 ("sum of level-2 rows = 二级累计", l2, t.subtotal_level2),
                                 ("sum of overlap notes = 重叠面积累计", ov, t.subtotal_overlap)):
        lines.append(compare("table arithmetic", item, printed, float(total), ref=f"{name}: subtotal row (小计)",
                             note=f"rows add up to {total} exactly"))
    net = Decimal(t.subtotal_level1.text) + Decimal(t.subtotal_level2.text) - Decimal(t.subtotal_overlap.text)
    lines.append(compare("table arithmetic", "一级累计 + 二级累计 − 重叠面积累计 = 合计", t.net, float(net),
                         ref=f"{name}: total row (合计)", note=f"{t.subtotal_level1} + {t.subtotal_level2} − {t.subtotal_overlap} = {net}"))
    return lines


# --- 2. text against table ---------------------------------------------------------------------------------------

def _strip_suffix(name: str) -> str:
    return re.sub(r"(建成区|街道|镇|乡)$", "", name)


def _area_in_text_vs_table(t, code: str, text_km2: str, item: str, *, ref: str, note: str = "") -> Line:
    """An area the text prints against the level-1 figure of the zone's table row (exact decimal comparison)."""
    row = t.zone(code)
    same = row.level1 is not None and Decimal(row.level1.text) == Decimal(text_km2)
    return Line("text vs table", item, "pass" if same else "finding", text_km2,
                row.level1.value if row.level1 else None, note=note, ref=ref)


def check_text(scheme: Scheme) -> list[Line]:
    """Do the counts, lists, widths, areas and units the plan's text declares match its table?"""
    facts, t = scheme.facts, scheme.published
    if not facts:
        return [Line("text vs table", "plan facts", "info", note="no plan_facts file; text checks skipped")]
    lines: list[Line] = []
    source = re.sub(r"\s+", "", scheme.source_text())

    def cite(clause: str, quote: str) -> str:
        if source and re.sub(r"\s+", "", quote) not in source:
            lines.append(Line("text vs table", f"quote of {clause}", "fail", note=f"“{quote}” is not in the source text "
                              f"({scheme.source_text_path.name if scheme.source_text_path else 'none'}); fix plan_facts.toml"))
        return f"{clause}: “{quote}”"

    for c in facts.get("counts", []):
        rows = [z for z in t.zones if c["category"] in ("all", z.category)]
        if "level" in c:
            rows = [z for z in rows if z.printed(int(c["level"])) is not None]
        n = len(rows)
        lines.append(Line("text vs table", f"count of {c['what']}", "pass" if n == c["count"] else "finding",
                          str(c["count"]), n, note=f"table has {n} row(s)", ref=cite(c["clause"], c["quote"])))
    ws = facts.get("water_sources")
    if ws:
        n = sum(z.category == "water_source" for z in t.zones)
        ok = n == ws["declared_count"]
        lines.append(Line("text vs table", "water-source protection areas declared in the text vs table rows",
                          "pass" if ok else "finding", str(ws["declared_count"]), n,
                          note="" if ok else f"the text declares {ws['declared_count']} protection areas "
                          f"(county + township level); the table lists {n}", ref=cite(ws["clause"], ws["quote"])))
    tb = facts.get("town_builtup")
    if tb:
        table_names = {_strip_suffix(z.name) for z in t.zones if z.category == "town_builtup"}
        text_names = {_strip_suffix(n) for n in tb["names"]}
        only_text, only_table = sorted(text_names - table_names), sorted(table_names - text_names)
        ok = not only_text and not only_table
        note = "; ".join(filter(None, [
            f"named in the text but no table row: {', '.join(only_text)}" if only_text else "",
            f"table row not named in the text: {', '.join(only_table)}" if only_table else ""]))
        lines.append(Line("text vs table", "town built-up areas listed in the text vs table rows",
                          "pass" if ok else "finding", str(len(tb["names"])), len(table_names), note=note,
                          ref=cite(tb["clause"], tb["quote"])))
    xs = facts.get("xiang_strip")
    if xs:
        lines.append(_area_in_text_vs_table(t, xs["code"], xs["area_km2"], "Xiang strip area in the text vs table",
                                            ref=cite(xs["area_clause"], xs["area_quote"])))
        overlapping = sorted(_strip_suffix(z.name) for z in t.zones if z.overlap_with == xs["code"])
        touched = sorted(_strip_suffix(n) for n in xs["townships"])
        ok = overlapping == touched
        lines.append(Line(
            "text vs table", "townships the Xiang touches (text) vs town rows overlapping the strip (table)",
            "pass" if ok else "finding", ", ".join(xs["townships"]), None,
            note="" if ok else (f"table deducts overlaps with {', '.join(overlapping)}; the text says the Xiang main stem "
                                f"touches {', '.join(touched)} — not named in the text: "
                                f"{', '.join(sorted(set(overlapping) - set(touched))) or 'none'}; named but no overlap row: "
                                f"{', '.join(sorted(set(touched) - set(overlapping))) or 'none'}"),
            ref=cite(xs["area_clause"], xs["townships_quote"])))
        listed = [n for n in xs["overlapping_water_sources"] if any(n == z.name for z in t.zones)]
        water_deducted = [z for z in t.zones if z.category == "water_source" and z.overlap_with]
        ok = len(listed) == xs["overlapping_water_source_count"] and len(water_deducted) == len(listed)
        lines.append(Line(
            "text vs table", "water-source zones overlapping the Xiang strip (text) vs table",
            "pass" if ok else "finding", str(xs["overlapping_water_source_count"]), len(listed),
            note="" if ok else (f"the text names {xs['overlapping_water_source_count']} Xiang water-source areas overlapping "
                                f"the strip ({', '.join(xs['overlapping_water_sources'])}); {len(listed)} of them are table rows "
                                f"and the table deducts {len(water_deducted)} water-source overlaps"),
            ref=cite(xs["area_clause"], xs["overlapping_water_sources_quote"])))
        strip = next((s for s in scheme.strips if s.code == xs["code"]), None)
        if strip is not None:
            ok = float(strip.distance_m) == float(xs["distance_m"])
            lines.append(Line("text vs table", "strip width in the scheme vs the text", "pass" if ok else "fail",
                              f"{xs['distance_m']} m", strip.distance_m, ref=cite(xs["distance_clause"], xs["distance_quote"])))
    nr = facts.get("nature_reserve")
    if nr:
        lines.append(_area_in_text_vs_table(
            t, nr["code"], nr["land_area_km2"], "nature reserve land area in the text vs table", ref=cite(nr["clause"], nr["quote"]),
            note=f"reserve total {nr['total_area_km2']} km², of which land {nr['land_area_km2']} km² is the zone"))
    odd_units = [z for z in t.zones if z.overlap and z.overlap_unit_printed not in ("Km²", "km²", "k㎡")]
    lines.append(Line("text vs table", "units of the overlap notes", "pass" if not odd_units else "finding",
                      note="" if not odd_units else "printed as a length unit (Km, no square) in rows "
                      + ", ".join(f"{z.code} ({z.overlap_note})" for z in odd_units) + "; read as km² (the column is km²)",
                      ref=f"{t.path.name}: overlap notes"))
    lv = facts.get("levels")
    if lv:
        wrong = [z.code for z in t.zones if z.level2 is not None and z.category not in lv["level2"]]
        lines.append(Line("text vs table", "only the categories the text puts in level 2 have level-2 areas",
                          "pass" if not wrong else "finding", note=", ".join(wrong), ref=cite(lv["clause"], lv["quote"])))
    return lines


# --- 3. geometry -------------------------------------------------------------------------------------------------

def _read_outputs(zones_gpkg: Path) -> dict[str, gpd.GeoDataFrame]:
    columns = {"zones": ("zone_id", "code", "level", "name", "params", "reconstructed", "outside_county_km2",
                         "area_ellipsoidal_km2", "area_planar_km2"),
               "overlaps": ("zone_id_a", "zone_id_b", "code_a", "code_b", "deducted", "area_ellipsoidal_km2",
                            "area_planar_km2"),
               "level_union": ("level",), "union": ("area_ellipsoidal_km2", "area_planar_km2")}
    return {name: read_zones_layer(zones_gpkg, name, cols) for name, cols in columns.items()}


def check_geometry(scheme: Scheme, zones_gpkg: Path, summary: dict[str, Any] | None = None) -> list[Line]:
    """Published vs computed for every zone part, every overlap and every total."""
    layers = _read_outputs(zones_gpkg)
    zones, overlaps, whole = layers["zones"], layers["overlaps"], layers["union"]
    main, other = ("area_ellipsoidal_km2", "area_planar_km2") if scheme.area_method == "ellipsoidal" else ("area_planar_km2", "area_ellipsoidal_km2")
    t = scheme.published
    lines: list[Line] = []
    by_part = {(r.code, int(r.level)): r for r in zones.itertuples()}
    for z in t.zones:
        for level in (1, 2):
            printed = z.printed(level)
            part = by_part.get((z.code, level))
            item = f"{z.code} L{level} {z.name}"
            ref = f"{t.path.name} line {z.line}"
            if printed is None and part is None:
                continue
            if part is None:
                lines.append(Line("zones", item, "fail", printed.text, note="no geometry for this zone part", ref=ref))
            elif printed is None:
                lines.append(Line("zones", item, "fail", "/", getattr(part, main),
                                  note="geometry exists but the table prints '/'", ref=ref))
            else:
                lines.append(compare("zones", item, printed, getattr(part, main), other=getattr(part, other), ref=ref,
                                     note="reconstructed" if part.reconstructed else "surveyed"))
    extra = sorted({r.zone_id for r in zones.itertuples() if not any(r.code == z.code for z in t.zones)})
    if extra:
        lines.append(Line("zones", "zone parts with no table row", "fail", note=", ".join(extra)
                          + ": geometry the published table does not account for"))
    outside = zones[zones["outside_county_km2"] > 1e-6]
    if len(outside):
        lines.append(Line("zones", "zone area outside the county boundary", "finding",
                          note=", ".join(f"{r.zone_id} {r.outside_county_km2:.6f} km²" for r in outside.itertuples())))
    # standard-compliance flags recorded by the delineation (params["fit"], or top level for hand-made layers)
    unverified: set[str] = set()
    for r in zones.itertuples():
        try:
            params = json.loads(r.params or "{}")
        except json.JSONDecodeError:
            lines.append(Line("zones", f"{r.zone_id} params", "finding", note="params is not valid JSON"))
            continue
        fit = params.get("fit") if isinstance(params.get("fit"), dict) else params
        if fit.get("within_standard") is False:
            lines.append(Line("standard", f"{r.zone_id} {r.name}", "finding", note=fit.get("note")
                              or f"fitted {fit.get('parameter')} = {fit.get('value')} is outside the standard's bounds",
                              ref=str(fit.get("clause") or params.get("standard", ""))))
            if params.get("standard_verified_against_text") is False:
                unverified.add(str(params.get("standard", "the standard")))
    for std in sorted(unverified):
        lines.append(Line("standard", f"{std}: clause numbers and bounds used", "info",
                          note="the delineation parameters cite clauses that were not verified against a copy of the "
                          "standard's text (see delineation.toml); check them before relying on these findings"))
    # overlaps: deducted (published) and not deducted
    pairs = {frozenset((a, b)): (a, b, p) for a, b, p in t.deducted_pairs}
    seen = set()
    for r in overlaps.itertuples():
        key = frozenset((r.code_a, r.code_b))
        if key in pairs:
            seen.add(key)
            a, b, printed = pairs[key]
            lines.append(compare("overlaps", f"{a} ∩ {b} (deducted by the plan)", printed, getattr(r, main),
                                 other=getattr(r, other), ref=f"{t.path.name}: overlap note of {a}"))
        else:
            lines.append(Line("overlaps", f"{r.zone_id_a} ∩ {r.zone_id_b} (not deducted by the plan)", "finding", None,
                              getattr(r, main), getattr(r, other),
                              note="the true union is smaller than the plan's net by this area"))
    for key, (a, b, printed) in pairs.items():
        if key not in seen:
            lines.append(Line("overlaps", f"{a} ∩ {b} (deducted by the plan)", "fail", printed.text, 0.0,
                              note="the plan deducts this overlap but the geometries do not overlap"))
    # totals
    s = {m: {"l1": float(zones.loc[zones.level == 1, m].sum()), "l2": float(zones.loc[zones.level == 2, m].sum()),
             "ded": float(overlaps.loc[overlaps.deducted.astype(bool), m].sum()) if len(overlaps) else 0.0,
             "union": float(whole[m].iloc[0])} for m in (main, other)}
    ref = f"{t.path.name}: 小计 / 合计"
    lines.append(compare("totals", "level 1 (一级累计)", t.subtotal_level1, s[main]["l1"], other=s[other]["l1"], ref=ref))
    lines.append(compare("totals", "level 2 (二级累计)", t.subtotal_level2, s[main]["l2"], other=s[other]["l2"], ref=ref))
    lines.append(compare("totals", "overlap deduction (重叠面积累计)", t.subtotal_overlap, s[main]["ded"], other=s[other]["ded"], ref=ref))
    net_policy = {m: s[m]["l1"] + s[m]["l2"] - s[m]["ded"] for m in (main, other)}
    lines.append(compare("totals", "net by the plan's accounting (L1 + L2 − deducted overlaps)", t.net, net_policy[main],
                         other=net_policy[other], ref=ref))
    lines.append(compare("totals", "net as the true geometric union", t.net, s[main]["union"], other=s[other]["union"], ref=ref,
                         note=f"union − accounting net = {s[main]['union'] - net_policy[main]:+.7f} km²"))
    for rule in scheme.strips:
        part = by_part.get((rule.code, rule.level))
        if part is not None and rule.has_reach:
            lines.append(Line(
                "open-data strip", f"{rule.code} as built: the counted reach (the one fitted parameter)", "info",
                t.zone(rule.code).level1.text if t.zone(rule.code).level1 else None, getattr(part, main), getattr(part, other),
                note=(f"reach {(rule.reach_from_m or 0) / 1000:.3f}–{(rule.reach_to_m or 0) / 1000:.3f} km along the {rule.river} "
                      f"centerline from its upstream end; land within {rule.distance_m:g} m of a water band of "
                      f"±{rule.half_width_m:g} m, clipped to the county" + (f"; {rule.note}" if rule.note else "")),
                ref=f"{scheme.path.name} [[strips]] {rule.code}"))
    if summary:
        for strip in summary.get("strips_uncalibrated", []):
            row = t.zone(strip["code"])
            lines.append(Line("open-data strip", f"{strip['code']} from open data, {strip['reach']} (uncalibrated)", "info",
                              row.level1.text if row.level1 else None, strip[main], strip[other],
                              strip[main] - row.level1.value if row.level1 else None,
                              (strip[main] - row.level1.value) / row.level1.value if row.level1 else None,
                              note="independent check: the strip the open river line gives before the reach is fitted"))
    return lines


def reconcile(scheme: Scheme, *, zones_gpkg: str | Path | None = None, table_only: bool = False,
              raster_cell_sizes: tuple[float, ...] = ()) -> Reconciliation:
    """Reconcile a scheme's published table with its text and (unless ``table_only``) with the built zones.

    ``raster_cell_sizes`` adds a raster cross-check (cell-count areas per level at each cell size) when the raster
    module is available.
    """
    other = "planar" if scheme.area_method == "ellipsoidal" else "ellipsoidal"
    rec = Reconciliation(scheme.county, f"{scheme.plan.get('title', '')} ({scheme.plan.get('document', '')})",
                         scheme.area_method, other)
    rec.lines += check_arithmetic(scheme)
    rec.lines += check_text(scheme)
    rec.context = {"scheme": scheme.path.name, "scheme_sha256": scheme.sha256,
                   "published_table": scheme.published.path.name, "published_sha256": _io.sha256(scheme.published.path),
                   "working_crs": scheme.working_crs.to_string(), "buffer_quad_segs": scheme.quad_segs,
                   "reconciled_at": _io.utc_now(), "packages": _io.package_versions(), "table_only": table_only}
    if table_only:
        return rec
    gpkg = Path(zones_gpkg) if zones_gpkg else settings.zones_path(scheme.county)
    areas_json = gpkg.with_name("areas.json")
    summary = json.loads(areas_json.read_text(encoding="utf-8")).get("summary") if areas_json.exists() else None
    manifest_path = gpkg.with_name("manifest.json")
    if manifest_path.exists():
        rec.context["build_manifest"] = json.loads(manifest_path.read_text(encoding="utf-8"))
    rec.context["zones_gpkg_sha256"] = _io.sha256(gpkg) if gpkg.exists() else None
    rec.lines += check_geometry(scheme, gpkg, summary)
    if raster_cell_sizes:
        try:
            from zoning import raster
        except ImportError:  # pragma: no cover - raster is part of the package
            raster = None
        if raster is not None and hasattr(raster, "crosscheck"):
            rec.context["raster_crosscheck"] = raster.crosscheck(gpkg, cell_sizes=raster_cell_sizes)
    return rec
