"""`zoning raster`: GeoTIFF of exclusion levels (out/<county>/zones.tif) and the raster/vector area cross-check."""

from __future__ import annotations

from pathlib import Path

import click

from zoning import settings
from zoning.cli.options import county_opt, out_opt, overwrite_opt, zones_opt
from zoning.errors import OutputError


@click.command("raster")
@county_opt
@zones_opt
@out_opt
@click.option("--cell-size", type=click.FloatRange(min=0, min_open=True), default=10.0, show_default=True,
              help="Cell size in metres of the working CRS.")
@click.option("--crosscheck/--no-crosscheck", default=False,
              help="Also print cell-count areas against vector areas at 40, 20 and 10 m.")
@overwrite_opt
def command(county: str | None, zones_path: str | None, out_path: str | None, cell_size: float, crosscheck: bool,
            overwrite: bool) -> None:
    """Write a cloud-optimised GeoTIFF: 0 outside zones, 1 level 1, 2 level 2, 255 outside the county."""
    from zoning import raster  # heavy imports only when the command runs

    county = county or settings.default_county
    zones = Path(zones_path) if zones_path else settings.zones_path(county)
    out = Path(out_path) if out_path else settings.county_out_dir(county) / "zones.tif"
    if out.exists() and not overwrite:
        raise OutputError(f"{out} exists; pass --overwrite to replace it")
    raster.rasterize_zones(zones, out, cell_size=cell_size)
    click.echo(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB, {cell_size:g} m cells)")
    if crosscheck:
        click.echo(raster.format_crosscheck(raster.crosscheck(zones)))
