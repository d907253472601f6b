"""`zoning raster`: GeoTIFF of exclusion levels (out/<county>/zones.tif) and the raster/vector area cross-check."""

from __future__ import annotations

import click

from zoning.cli.options import (
    county_opt,
    finite_metres,
    out_opt,
    overwrite_opt,
    resolve_paths,
    zones_opt,
)


@click.command("raster")
@county_opt
@zones_opt
@out_opt
@click.option("--cell-size", type=click.FloatRange(min=0, min_open=True), default=10.0, show_default=True,
              callback=finite_metres, help="Cell size in metres of the working CRS.")
@click.option("--crosscheck/--no-crosscheck", default=False,
              help="Also print cell-count areas against vector areas at 4×, 2× and 1× the cell size.")
@overwrite_opt
def command(county: str | None, zones_path: str | None, out_path: str | None, cell_size: float, crosscheck: bool,
            overwrite: bool) -> None:
    """Write a cloud-optimised GeoTIFF: 0 outside zones, 1 level 1, 2 level 2, 255 outside the county."""
    from zoning import raster  # heavy imports only when the command runs

    county, zones, out = resolve_paths(county, zones_path, out_path, "zones.tif", overwrite=overwrite)
    raster.rasterize_zones(zones, out, cell_size=cell_size)
    click.echo(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB, {cell_size:g} m cells)")
    if crosscheck:
        click.echo(raster.format_crosscheck(raster.crosscheck(zones, cell_sizes=(4 * cell_size, 2 * cell_size, cell_size))))
