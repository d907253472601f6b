"""Shared click options, so every command spells them the same way."""

from __future__ import annotations

import click

county_opt = click.option(
    "--county",
    default=None,
    metavar="NAME",
    help="County folder under data/ (default: hengnan).",
)
overwrite_opt = click.option(
    "--overwrite/--no-overwrite",
    default=False,
    help="Replace existing outputs (they are replaced atomically; a failed run keeps the old file).",
)
out_opt = click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Output file (default: under out/<county>/).",
)
zones_opt = click.option(
    "--zones",
    "zones_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Zones GeoPackage to read (default: out/<county>/zones.gpkg).",
)
