"""``rules at``: what applies at a point on a date — its township, zone status and every applicable rule row.

The location lookup is injected: ``lookup(lon, lat, county=..., crs=...)`` must return an object with
``township``, ``township_approximate``, ``zones``, ``inside_county``, ``verdict`` and optionally ``swapped`` (as
:func:`zoning.sitecheck.check_point` does, the default). The zone status holds only while the zones' document
(``[zones] document`` of ``index.toml``) is in force; on other dates the verdict is ``None`` and
``zone_status`` says why. Township former names (``aliases`` of
``base/township_seats.geojson``, e.g. 鸡笼镇 within a merged township) let rules written with old names apply.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from zoning import settings
from zoning.errors import SchemeError
from zoning.rules import enterprise, epidemic, health, logistics
from zoning.rules.citations import (
    AppliedRule,
    document_window,
    load_index,
    make_place,
    parse_date,
    rules_dir,
)
from zoning.scheme import read_toml

log = logging.getLogger(__name__)

Lookup = Callable[..., Any]
#: Evaluators asked in turn; each returns the AppliedRule rows of its tables for a place and date.
EVALUATORS: tuple[Callable[..., list[AppliedRule]], ...] = (
    epidemic.applicable, enterprise.applicable, logistics.applicable, health.applicable,
)


def township_aliases(county: str | None = None) -> dict[str, list[str]]:
    """``{name_zh: [former names]}`` from the county's township-seat layer; empty if the layer is absent."""
    county_dir = settings.county_dir(county or settings.default_county)
    try:
        rel = read_toml(county_dir / "scheme.toml")["layers"]["township_seats"]["path"]
        with open(county_dir / rel, encoding="utf-8") as f:
            features = json.load(f).get("features", [])
    except (SchemeError, FileNotFoundError, KeyError, json.JSONDecodeError) as exc:
        log.info("no township aliases (%s); matching on names only", exc)
        return {}
    out: dict[str, list[str]] = {}
    for feat in features:
        props = feat.get("properties") or {}
        aliases = props.get("aliases") or []
        if isinstance(aliases, str):  # tolerate "a;b" or "a、b" or a JSON-encoded list
            try:
                aliases = json.loads(aliases)
            except json.JSONDecodeError:
                aliases = [a for a in aliases.replace("、", ";").replace(",", ";").split(";") if a.strip()]
        if props.get("name_zh"):
            out[props["name_zh"]] = [str(a).strip() for a in aliases]
    return out


@dataclass(frozen=True)
class RulesAt:
    """Everything that applies at a point on a date, grouped by document (in the order of ``index.toml``)."""

    lon: float | str
    lat: float | str
    date: dt.date
    township: str | None
    township_approximate: bool | None
    inside_county: bool
    zones: list[dict[str, Any]]
    verdict: Any
    groups: dict[str, list[AppliedRule]]
    listing: dict[str, str]
    zone_status: str = ""
    swapped: bool = False
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (dates as ISO strings, rules as dicts)."""
        return {
            "lon": self.lon, "lat": self.lat, "date": self.date.isoformat(), "township": self.township,
            "township_approximate": self.township_approximate, "inside_county": self.inside_county,
            "zones": self.zones, "verdict": self.verdict if isinstance(self.verdict, (str, type(None))) else str(self.verdict),
            "zone_status": self.zone_status, "swapped": self.swapped, "notes": list(self.notes),
            "documents": {doc: [dataclasses.asdict(r) for r in rules] for doc, rules in self.groups.items()},
        }


def zone_status(on: dt.date, county: str | None = None) -> tuple[bool, str]:
    """Whether the zones' document (``[zones] document`` of ``index.toml``) is in force on ``on``, and a sentence."""
    doc = load_index(county).get("zones", {}).get("document")
    if doc is None:
        return True, ""
    start, end = document_window(doc, county)
    if start is not None and on < start:
        return False, f"not yet in force: {doc} applies from {start.isoformat()}; no zone ban applies on {on.isoformat()}"
    if end is not None and on > end:
        return False, f"no longer in force: {doc} applied until {end.isoformat()}"
    return True, f"in force ({doc}, from {start.isoformat() if start else 'its issue'})"


def rules_at(
    lon: float | str,
    lat: float | str,
    *,
    on: dt.date | str,
    county: str | None = None,
    crs: str | None = None,
    lookup: Lookup | None = None,
    aliases: Mapping[str, Sequence[str]] | None = None,
) -> RulesAt:
    """The township, zone status and every rule row that applies at ``(lon, lat)`` on ``on``.

    Parameters
    ----------
    lon, lat : the point, in ``crs`` (default: the lookup's default, WGS84); numbers or DMS strings.
    on : the date asked about (``YYYY-MM-DD`` or a date).
    county : county folder (default ``settings.default_county``).
    lookup : location lookup (default :func:`zoning.sitecheck.check_point`).
    aliases : ``{township: [former names]}`` (default: read from ``base/township_seats.geojson``).
    """
    on = parse_date(on)
    county = county or settings.default_county
    rules_dir(county)  # an unknown county fails here, before the zones are looked up
    if lookup is None:
        from zoning.sitecheck import (
            check_point as lookup,  # imported late: only the real lookup needs the zones
        )
    site = lookup(lon, lat, county=county, **({"crs": crs} if crs else {}))
    township = getattr(site, "township", None)
    inside = bool(getattr(site, "inside_county", township is not None))
    alias_map = township_aliases(county) if aliases is None else aliases
    place = make_place(township, aliases=alias_map.get(township, ()) if township else (), inside_county=inside,
                       county=county)
    index = load_index(county)
    groups: dict[str, list[AppliedRule]] = {doc["id"]: [] for doc in index.get("documents", [])}
    for evaluate in EVALUATORS:
        for rule in evaluate(place, on, county=county):
            groups.setdefault(rule.document, []).append(rule)
    groups = {doc: rules for doc, rules in groups.items() if rules}
    listing = {name: spec.get("listing", "rows") for name, spec in index.get("tables", {}).items()}
    in_force, status = zone_status(on, county)
    swapped = bool(getattr(site, "swapped", False))
    notes = (f"longitude and latitude looked swapped; read as lon={lat}, lat={lon}",) if swapped else ()
    log.info("rules at %s,%s on %s: township %s, %d rows", lon, lat, on, township, sum(map(len, groups.values())))
    return RulesAt(lon, lat, on, township, getattr(site, "township_approximate", None), inside,
                   list(getattr(site, "zones", []) or []), getattr(site, "verdict", None) if in_force else None,
                   groups, listing, status, swapped, notes)
