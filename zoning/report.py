"""Writers for the reconciliation: a Markdown report an auditor reads and a JSON twin for machines."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from zoning import _io
from zoning.reconcile import Line, Reconciliation

_MARK = {"pass": "✅ pass", "fail": "❌ FAIL", "finding": "⚠️ finding", "info": "ℹ️ info"}
_SECTIONS = (
    ("table arithmetic", "1. The table's own arithmetic", "Exact decimal sums of the printed rows against the printed subtotal and total lines."),
    ("text vs table", "2. The plan's text against its table", "Each line quotes the sentence it checks (verified against the source text)."),
    ("zones", "3. Every zone: published vs computed", "Compared at the precision the table prints (pass = |difference| ≤ half a unit in the last printed place)."),
    ("overlaps", "4. Overlaps", "Every pair of zones whose interiors overlap; the plan deducts only the pairs its table lists."),
    ("totals", "5. Totals and the net area, two ways", "The plan's accounting (L1 + L2 − deducted overlaps) and the true geometric union."),
    ("open-data strip", "6. River strips: the fitted reach and the uncalibrated open-data figure",
     "The strip as built (its one fitted parameter, the reach the plan counts) and, as an independent check, the strip the "
     "open river line gives for the whole river inside the county before the reach is fitted."),
    ("standard", "7. Delineation outside the standard's bounds", "Zones whose fitted size falls outside HJ 338-2018 bounds (the table's area is smaller or larger than the standard allows)."),
)


def _fmt(value: float | None, digits: int = 7) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _esc(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def _table(lines: list[Line], main: str, other: str, *, areas: bool) -> str:
    """Markdown table of lines; ``areas`` adds the area-method columns (geometry sections only)."""
    value_cols = f"computed ({main}) | {other}" if areas else "computed"
    head = f"| check | published | {value_cols} | difference | rel. | tolerance | result | note | source |\n"
    head += "|---|---:|---:|" + ("---:|" if areas else "") + "---:|---:|---:|---|---|---|\n"
    rows = []
    for ln in lines:
        rel = "" if ln.rel_diff is None else f"{ln.rel_diff:+.2e}"
        values = f"{_fmt(ln.computed)} | {_fmt(ln.other_method)}" if areas else _fmt(ln.computed)
        rows.append(f"| {_esc(ln.item)} | {_esc(ln.published)} | {values} | "
                    f"{'' if ln.abs_diff is None else f'{ln.abs_diff:+.7f}'} | {rel} | {_fmt(ln.tolerance, 5)} | "
                    f"{_MARK[ln.status]} | {_esc(ln.note)} | {_esc(ln.ref)} |")
    return head + "\n".join(rows) + "\n"


def to_markdown(rec: Reconciliation) -> str:
    """The auditor's report."""
    ctx = rec.context
    counts = Counter(ln.status for ln in rec.lines)
    out = [f"# Area reconciliation — {rec.plan}", ""]
    verdict = "all checks pass" if not rec.failures else f"{len(rec.failures)} check(s) FAIL"
    out += [f"**Result:** {verdict}; {counts.get('pass', 0)} pass, {counts.get('fail', 0)} fail, "
            f"{counts.get('finding', 0)} findings (inconsistencies in the plan itself or outside a standard), "
            f"{counts.get('info', 0)} informational.", ""]
    manifest = ctx.get("build_manifest", {})
    out += ["## How this was computed", "",
            f"- Area method compared with the table: **{rec.area_method}**"
            + (f" — {manifest.get('area_method_note')}" if manifest.get("area_method_note") else "")
            + f"; the other method (**{rec.other_method}**) is shown beside every figure.",
            f"- Working CRS (buffers, planar areas): {manifest.get('working_crs', ctx.get('working_crs'))}.",
            f"- Buffer segmentation: {ctx.get('buffer_quad_segs')} segments per quarter circle; overlaps under "
            f"{manifest.get('min_overlap_m2', '—')} m² count as touching.",
            f"- Scheme `{ctx.get('scheme')}` sha256 `{ctx.get('scheme_sha256')}`; published table `{ctx.get('published_table')}` "
            f"sha256 `{ctx.get('published_sha256')}`.",
            f"- Reconciled at {ctx.get('reconciled_at')}" + (f"; zones built at {manifest.get('built_at')}" if manifest else "")
            + (f"; zones.gpkg sha256 `{ctx.get('zones_gpkg_sha256')}`." if ctx.get("zones_gpkg_sha256") else "."),
            "- Packages: " + ", ".join(f"{k} {v}" for k, v in ctx.get("packages", {}).items()) + ".", ""]
    if manifest.get("inputs"):
        out += ["Input files (sha256):", ""] + [f"- `{k}` `{v}`" for k, v in manifest["inputs"].items()] + [""]
    if manifest.get("repairs"):
        out += ["Geometry repairs made while reading:", ""] + [f"- {n}" for n in manifest["repairs"]] + [""]
    if ctx.get("table_only"):
        out += ["*Table-only run: no geometry was read; sections 3–7 are not computed.*", ""]
    for key, title, blurb in _SECTIONS:
        lines = rec.section(key)
        if not lines:
            continue
        areas = key not in ("table arithmetic", "text vs table")
        out += [f"## {title}", "", blurb, "", _table(lines, rec.area_method, rec.other_method, areas=areas)]
    cross = ctx.get("raster_crosscheck")
    if cross:
        from zoning.raster import format_crosscheck

        out += ["## 8. Raster cross-check", "",
                "Cell-count areas of the rasterised zones against the vector areas, per cell size. Cells are counted by "
                "their centre (no bias: cut cells fall in or out about equally; 'all touched' would overstate every level "
                "by about perimeter × cell / 2). Cell areas are planar, so they are compared with the planar vector areas. "
                "The bound is perimeter × cell / 2; it halves as the cell halves.", "", format_crosscheck(cross), ""]
    findings = rec.findings
    if findings:
        out += ["## Findings in one list", ""] + [f"- **{_esc(f.item)}** — {_esc(f.note)} ({_esc(f.ref)})" for f in findings] + [""]
    return "\n".join(out)


def write_reports(rec: Reconciliation, out_dir: str | Path, *, stem: str = "reconciliation") -> tuple[Path, Path]:
    """Write ``<stem>.md`` and ``<stem>.json`` atomically; return their paths."""
    out = Path(out_dir)
    md = _io.write_text(out / f"{stem}.md", to_markdown(rec))
    js = _io.write_json(out / f"{stem}.json", rec.to_dict())
    return Path(md), Path(js)
