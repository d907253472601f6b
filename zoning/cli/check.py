"""`zoning check`: may a farm be here? One site (LON LAT) or a whole register (--csv)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from zoning import settings
from zoning.cli.options import county_name, county_opt, overwrite_opt, zones_opt
from zoning.errors import InputFileError, OutputError


@click.command("check", context_settings={"ignore_unknown_options": True})
@click.argument("lon", required=False)
@click.argument("lat", required=False)
@click.option("--crs", default="wgs84", show_default=True, metavar="CRS",
              help="Input coordinates: wgs84, cgcs2000, gcj02 (Amap/Tencent), bd09 (Baidu), or EPSG:4547/4546/any EPSG (metres).")
@click.option("--livestock", default=None, metavar="SPECIES=N,…",
              help="Head counts, e.g. pig=600,beef_cattle=20 or 蛋鸡=3000 (species: pig laying_hen duck goose broiler rabbit sheep dairy_cow beef_cattle).")
@click.option("--no-discharge", is_flag=True,
              help="Manure/wastewater is treated and returned to fields (not discharge under plan 七).")
@county_opt
@zones_opt
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@click.option("--lang", type=click.Choice(["both", "zh", "en"]), default="both", show_default=True)
@click.option("--csv", "register", type=click.Path(dir_okay=False), default=None,
              help="Check every row of a farm register (.csv, .xlsx or .xls) instead of one site.")
@click.option("--sheet", default=None, metavar="NAME", help="Worksheet of an Excel register (default: the first).")
@click.option("--out", "out_path", type=click.Path(dir_okay=False), default=None,
              help="Register result (.csv, .xlsx or .gpkg); default out/<county>/checks/<name>.checked.csv.")
@click.option("--chunk-size", default=100_000, show_default=True, type=click.IntRange(min=1))
@overwrite_opt
def command(lon, lat, crs, livestock, no_discharge, county, zones_path, as_json, lang, register, sheet, out_path,
            chunk_size, overwrite):
    """May a farm be at LON LAT? Lists the zones the site is in (an edge counts as inside), distances, township
    and the verdict under the plan's management rules (七), quoting the clause.

    Coordinates may be decimal degrees or D°M′S″ (e.g. 112°50′23″E). Longitude and latitude given the wrong way round
    are read swapped when that is unambiguous, and the answer says so.
    """
    county = county_name(county)
    if register:
        if lon is not None:
            raise click.UsageError("give either LON LAT or --csv FILE, not both")
        from zoning.register import check_register

        src = Path(register)
        out = Path(out_path) if out_path else settings.county_out_dir(county) / "checks" / f"{src.stem}.checked.csv"
        if out.exists() and not overwrite:
            raise OutputError(f"{out} exists; pass --overwrite to replace it")
        res = check_register(src, out=out, county=county, crs=crs, zones_path=zones_path, chunk_size=chunk_size,
                             discharge=not no_discharge, sheet=sheet)
        for note in res.notes:
            click.echo(f"note: {note}", err=True)
        click.echo(f"{res.rows} rows checked (row numbers count data rows from 1): {res.in_zone} in a zone, "
                   f"{res.forbidden} forbidden, {res.errors} with errors, {res.swapped} with swapped coordinates -> {res.out}")
        return
    if lon is None or lat is None:
        raise click.UsageError("give LON LAT (or --csv FILE)")
    if sheet is not None:
        raise click.UsageError("--sheet goes with --csv FILE (an Excel register)")
    from zoning.rules.livestock import parse_counts
    from zoning.sitecheck import check_point

    counts = parse_counts(livestock, county=county) if livestock else None
    if livestock is not None and not counts:
        raise InputFileError("--livestock is empty; write e.g. pig=600,beef_cattle=20")
    result = check_point(lon, lat, county=county, crs=crs, zones_path=zones_path, livestock=counts,
                         discharge=not no_discharge)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(result.to_text(lang))
