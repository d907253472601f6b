"""`zoning build`: scheme + layers -> zones GeoPackage, area table and manifest."""

from __future__ import annotations

import click

from zoning import pipeline
from zoning.cli.options import county_opt, overwrite_opt
from zoning.scheme import load_scheme


@click.command("build")
@county_opt
@click.option("--scheme", "scheme_file", type=click.Path(dir_okay=False), default=None,
              help="Scheme file (default: data/<county>/scheme.toml).")
@click.option("--out-dir", type=click.Path(file_okay=False), default=None, help="Output folder (default: out/<county>/).")
@click.option("--repair", is_flag=True, help="Repair invalid input geometries with make_valid (logged per feature) instead of stopping.")
@overwrite_opt
def command(county: str | None, scheme_file: str | None, out_dir: str | None, repair: bool, overwrite: bool) -> None:
    """Build the zones of a county: strips, levels, areas, overlaps, unions."""
    scheme = load_scheme(scheme_file or county)
    result = pipeline.build(scheme, out_dir=out_dir, repair=repair, overwrite=overwrite)
    s = result.summary["area_km2"]
    click.echo(f"zones: {result.zones_gpkg}")
    click.echo(f"areas ({scheme.area_method}): level 1 {s['level1_sum']:.4f} km², level 2 {s['level2_sum']:.4f} km², "
               f"overlaps deducted {s['overlap_deducted']:.4f} km², net {s['net_by_policy']:.4f} km², union {s['union']:.4f} km²")
