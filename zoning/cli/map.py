"""`zoning map`: the planners' web map (out/<county>/map.html) from the zones GeoPackage."""

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
from zoning.scheme import load_scheme, scheme_path


def title_info(county: str) -> dict[str, str]:
    """Plan title, document number and county name from the county's scheme (empty if it has none)."""
    if not scheme_path(county).is_file():
        return {}
    scheme = load_scheme(county)
    return {"county": scheme.info.get("name_zh", ""), "title": scheme.plan.get("title", ""),
            "document": scheme.plan.get("document", "")}


@click.command("map")
@county_opt
@zones_opt
@out_opt
@click.option("--basemap", type=click.Choice(["osm", "amap", "none"]), default="osm", show_default=True,
              help="Base tiles: OpenStreetMap, Amap/Gaode (overlays shifted to GCJ-02), or none (offline).")
@click.option("--simplify", "simplify_m", type=click.FloatRange(min=0), default=10.0, show_default=True,
              callback=finite_metres, help="Display simplification tolerance, metres in the working CRS.")
@overwrite_opt
def command(county: str | None, zones_path: str | None, out_path: str | None, basemap: str, simplify_m: float,
            overwrite: bool) -> None:
    """Write the planners' web map (HTML, opens offline except for base tiles)."""
    from zoning.maps import build_map  # heavy imports only when the command runs

    county, zones, out = resolve_paths(county, zones_path, out_path, "map.html", overwrite=overwrite)
    build_map(zones, out, basemap=basemap, title_info=title_info(county), simplify_m=simplify_m)
    click.echo(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB)")
