"""`zoning rules at|verify`, `zoning health-grade`, `zoning enterprise-relief`: printing only."""

from __future__ import annotations

import datetime as dt
import json

import click

from zoning.cli.options import county_opt
from zoning.rules import at_location, citations, enterprise, health


@click.group("rules")
def rules_group() -> None:
    """The county's other rules (epidemic, health, enterprise, logistics) by place and date."""


@rules_group.command("at")
@click.argument("lon")
@click.argument("lat")
@click.option("--date", "on", default=None, metavar="YYYY-MM-DD", help="Date asked about (default: today).")
@click.option("--crs", default=None, metavar="CRS", help="CRS of LON LAT (default: WGS84 degrees, decimal or DMS).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON with every applicable row.")
@county_opt
def rules_at(lon: str, lat: str, on: str | None, crs: str | None, as_json: bool, county: str | None) -> None:
    """Township, zone status and every rule that applies at LON LAT on a date, grouped by document."""
    result = at_location.rules_at(lon, lat, on=dt.date.today() if on is None else on, county=county, crs=crs)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2, default=str))
        return
    approx = " (approximate)" if result.township_approximate else ""
    click.echo(f"point {result.lon}, {result.lat} on {result.date.isoformat()}")
    for note in result.notes:
        click.echo(f"note: {note}")
    click.echo(f"township: {result.township or 'unknown'}{approx}; inside county: {'yes' if result.inside_county else 'no'}")
    zones = ", ".join(f"{z.get('code')} {z.get('name')} (level {z.get('level')})" for z in result.zones) or "none"
    click.echo(f"zones: {zones}")
    if result.zone_status:
        click.echo(f"zone status: {result.zone_status}")
    if result.verdict is not None:
        click.echo(f"verdict: {result.verdict}")
    if not result.groups:
        click.echo("no rule of the document batch applies here on this date")
    for document, rules in result.groups.items():
        click.echo(f"\n{document}")
        summarised: dict[str, int] = {}
        for rule in rules:
            if result.listing.get(rule.table) == "summary":
                summarised[rule.table] = summarised.get(rule.table, 0) + 1
                continue
            click.echo(f"  [{rule.clause}] {rule.text}  ({rule.applies})")
        for table, n in summarised.items():
            click.echo(f"  {table}: {n} county-wide rows (use --json to list them)")


@rules_group.command("verify")
@county_opt
def rules_verify(county: str | None) -> None:
    """Check that every rule row's quote occurs in its document in the source text."""
    n = citations.check_citations(county)
    click.echo(f"{n} citations resolve")


@click.command("health-grade")
@click.option("--event", required=True, help="Event type: Chinese term (霍乱, 食物中毒…) or key (cholera, food_poisoning…).")
@click.option("--cases", type=click.IntRange(min=0), default=0, show_default=True,
              help="Cases (people poisoned for poisoning events) within the line's window.")
@click.option("--deaths", type=click.IntRange(min=0), default=0, show_default=True, help="Deaths.")
@click.option("--scope", default="county", show_default=True,
              help="Extent: county, multi_county, multi_city, multi_province.")
@click.option("--excess", type=float, default=None, help="乙、丙类: incidence above the 5-year mean, as a multiple of it.")
@click.option("--flag", "flags", multiple=True, help="A fact that holds: spreading, first_in_city_urban_area, in_large_city.")
@click.option("--authority", default=None, help="Who designated the event: county, city, province, state.")
@county_opt
def health_grade(event: str, cases: int, deaths: int, scope: str, excess: float | None, flags: tuple[str, ...],
                 authority: str | None, county: str | None) -> None:
    """Grade a public-health event by 附件3 of 清政办发[2020]2号 and show the deciding line."""
    r = health.grade_event(event, cases=cases, deaths=deaths, scope=scope, excess=excess, flags=flags,
                           authority=authority, county=county)
    if r.grade is None:
        click.echo(f"{r.event}: no grade. {r.note}")
        return
    window = f", window {r.window}" if r.window else ""
    click.echo(f"{r.event}: {r.grade_zh}（{r.grade}级）by {r.line_id}{window}")
    click.echo(f"  {r.document} {r.clause}: {r.quote}")
    if len(r.matched_lines) > 1:
        click.echo(f"  lines met: {', '.join(r.matched_lines)} (the highest grade decides)")


@click.command("enterprise-relief")
@click.option("--premises", required=True, help="state (国有资产类经营用房) or other (其他经营用房).")
@click.option("--month", required=True, metavar="YYYY-MM", help="Month asked about.")
@click.option("--sector", required=True, help="manufacturing, epidemic_supply or other.")
@county_opt
def enterprise_relief(premises: str, month: str, sector: str, county: str | None) -> None:
    """Which measures of 清政发[2020]1号 apply to an enterprise in a month, and what rent reduction."""
    r = enterprise.relief(premises=premises, month=month, sector=sector, county=county)
    if r.rent_reduction is None:
        rent = "no set amount (landlords are encouraged to reduce rent)"
    else:
        rent = {1.0: "rent waived (100 %)", 0.5: "rent halved (50 %)", 0.0: "none"}.get(
            r.rent_reduction, f"{r.rent_reduction:.0%}")
    click.echo(f"{r.sector}, {r.premises} premises, {r.month}: rent reduction: {rent} — {r.rent_text}")
    if not r.eligible:
        click.echo("  not a support object of 清政发[2020]1号: no measure applies")
    for m in r.measures:
        click.echo(f"  [{m.document} {m.clause}] {m.text}")
    for n in r.notes:
        if n.details.get("sectors") == "*":
            click.echo(f"  note [{n.clause}] {n.text}")


commands = [rules_group, health_grade, enterprise_relief]
