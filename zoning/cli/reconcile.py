"""`zoning reconcile`: published vs computed areas, plan arithmetic and text/table consistency."""

from __future__ import annotations

from pathlib import Path

import click

from zoning import reconcile, report, settings
from zoning.cli.options import county_opt, overwrite_opt, zones_opt
from zoning.errors import OutputError
from zoning.scheme import load_scheme


@click.command("reconcile")
@county_opt
@zones_opt
@click.option("--table-only", is_flag=True, help="Check the table's arithmetic and text/table consistency only (no geometry).")
@click.option("--out-dir", type=click.Path(file_okay=False), default=None, help="Report folder (default: out/<county>/).")
@click.option("--raster-cells", default="40,20,10", show_default=True,
              help="Cell sizes (m) of the raster cross-check; empty to skip.")
@click.option("--strict", is_flag=True, help="Exit with status 3 when any check fails (findings do not count).")
@overwrite_opt
def command(county: str | None, zones_path: str | None, table_only: bool, out_dir: str | None, raster_cells: str,
            strict: bool, overwrite: bool) -> None:
    """Reconcile the published table with its text and with the built zones; write Markdown and JSON reports."""
    scheme = load_scheme(county)
    try:
        cells = tuple(float(c) for c in raster_cells.split(",") if c.strip())
    except ValueError:
        raise click.BadParameter("give cell sizes in metres separated by commas, e.g. 40,20,10", param_hint="--raster-cells")
    folder = Path(out_dir) if out_dir else settings.county_out_dir(scheme.county)
    stem = "reconciliation-table" if table_only else "reconciliation"
    existing = [p.name for p in (folder / f"{stem}.md", folder / f"{stem}.json") if p.exists()]
    if existing and not overwrite:
        raise OutputError(f"{folder}: {', '.join(existing)} exist(s); pass --overwrite to replace the report")
    rec = reconcile.reconcile(scheme, zones_gpkg=zones_path, table_only=table_only,
                              raster_cell_sizes=() if table_only else cells)
    md, js = report.write_reports(rec, folder, stem=stem)
    counts = rec.to_dict()["counts"]
    click.echo(f"report: {md}\n        {js}")
    click.echo(", ".join(f"{counts.get(k, 0)} {k}" for k in ("pass", "fail", "finding", "info")))
    if strict and rec.failures:
        raise SystemExit(3)
