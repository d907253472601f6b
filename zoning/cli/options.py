"""Shared click options, so every command spells them the same way."""

from __future__ import annotations

import math
import os
from pathlib import Path

import click

from zoning import settings
from zoning.errors import OutputError

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


def county_name(value: str | None) -> str:
    """The county a ``--county`` value names: a name (``hengnan``), or a county folder whose scheme gives its id
    (``data/hengnan``; a folder without a scheme is named by its last part). Outputs go to ``out/<name>/``."""
    if not value:
        return settings.default_county
    path = Path(value)
    if os.sep in value or "/" in value or value in (".", ".."):
        if (path / "scheme.toml").is_file():
            from zoning.scheme import load_scheme

            return load_scheme(path).county
        return path.resolve().name
    return value


def resolve_paths(county: str | None, zones_path: str | None, out_path: str | None, default_name: str, *,
                  overwrite: bool) -> tuple[str, Path, Path]:
    """County name, zones GeoPackage and output path of a command that reads the zones and writes one file.

    An existing output is kept unless ``overwrite`` (outputs are replaced atomically, never clobbered by accident).
    """
    county = county_name(county)
    zones = Path(zones_path) if zones_path else settings.zones_path(county)
    out = Path(out_path) if out_path else settings.county_out_dir(county) / default_name
    if out.exists() and not overwrite:
        raise OutputError(f"{out} exists; pass --overwrite to replace it")
    return county, zones, out


def finite_metres(ctx: click.Context, param: click.Parameter, value: float) -> float:
    """Click callback: a distance option must be a finite number of metres (click's FloatRange lets nan/inf through)."""
    if not math.isfinite(value):
        raise click.BadParameter(f"{value} is not a finite number of metres; use e.g. 10")
    return value
