"""Enterprise support during the epidemic (清政发[2020]1号, issued 2020-02-06, in force to 2020-06-30).

``rules/enterprise.csv`` has one row per measure: who qualifies (``sectors``: keys of ``vocabulary.toml
[enterprise.sectors]`` joined by ``;``), and where set the premises, rent months and reduction (1.0 = free,
0.5 = halved), the interest-subsidy cap, term, minimum rate discount, extension and loan due-date.

Reading of dates: a measure applies in a month when the month overlaps the document's period
(2020-02-06 … 2020-06-30), except rent rows, which name their own rent months (January–March free,
April–June halved) and so also cover January, before the document was issued. Sectors outside the support
objects (row R00) get no measure. The no-stacking row (R02, 就高不就低) is returned with every answer.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from dataclasses import dataclass

import pandas as pd

from zoning.rules.citations import (
    AppliedRule,
    Place,
    document_window,
    in_force,
    load_table,
    load_vocabulary,
    parse_date,
    parse_month,
    resolve_choice,
)

log = logging.getLogger(__name__)


def measures_table(county: str | None = None) -> pd.DataFrame:
    """The enterprise-support rows (strings; blank cells ``""``)."""
    return load_table("enterprise", county)


def _sector_ok(row: dict[str, str], sector: str, eligible: set[str]) -> bool:
    if sector not in eligible:
        return False
    return row["sectors"] == "*" or sector in row["sectors"].split(";")


def _month_in(month: tuple[int, int], first: str, last: str) -> bool:
    return parse_month(first) <= month <= parse_month(last)


@dataclass(frozen=True)
class Relief:
    """What 清政发[2020]1号 gives an enterprise in one month.

    ``rent_reduction`` is the share of rent waived (1.0 free, 0.5 halved, 0.0 none) or ``None`` where the
    document only *encourages* landlords (other premises) and sets no amount.
    """

    sector: str
    premises: str
    month: str
    eligible: bool
    rent_reduction: float | None
    rent_text: str
    measures: tuple[AppliedRule, ...]
    notes: tuple[AppliedRule, ...]


def _rule(row: dict[str, str], applies: str = "county") -> AppliedRule:
    details = {k: row[k] for k in ("sectors", "premises", "rent_from", "rent_to", "rent_reduction",
                                   "max_interest_subsidy_pct", "max_term_years", "min_rate_discount_pct",
                                   "extension_years", "loans_due_before") if row.get(k)}
    details["measure_en"] = row["measure_en"]
    return AppliedRule("enterprise", row["id"], row["document"], row["clause"], row["quote"], row["measure_zh"],
                       applies, details)


def relief(*, premises: str, month: str, sector: str, county: str | None = None) -> Relief:
    """Which measures apply to an enterprise in ``month`` (``YYYY-MM``), and what rent reduction.

    Parameters
    ----------
    premises : ``state`` (国有资产类经营用房) or ``other`` (or their Chinese terms).
    month : the month asked about, ``YYYY-MM``.
    sector : ``manufacturing``, ``epidemic_supply`` or ``other`` (or their Chinese terms).
    """
    voc = load_vocabulary(county)["enterprise"]
    sector = resolve_choice("sector", sector, voc["sectors"])
    premises = resolve_choice("premises", premises, voc["premises"])
    ym = parse_month(month)
    table = measures_table(county)
    eligibility = table[table["kind"] == "eligibility"].iloc[0]
    eligible_sectors = set(eligibility["sectors"].split(";"))
    eligible = sector in eligible_sectors
    doc_from, doc_to = document_window(eligibility["document"], county)
    month_first = dt.date(*ym, 1)
    month_last = dt.date(*ym, calendar.monthrange(*ym)[1])
    doc_overlaps = (doc_to is None or month_first <= doc_to) and (doc_from is None or doc_from <= month_last)

    measures: list[AppliedRule] = []
    notes = [_rule(r) for r in table.to_dict("records") if r["kind"] in ("eligibility", "validity", "no_stacking")]
    rent_reduction: float | None = 0.0
    rent_text = "本办法不减免该月房租"
    for row in table.to_dict("records"):
        if row["kind"] in ("eligibility", "validity", "no_stacking") or not _sector_ok(row, sector, eligible_sectors):
            continue
        if row["kind"] == "rent":
            if row["premises"] != premises:
                continue
            if row["rent_from"]:
                if not _month_in(ym, row["rent_from"], row["rent_to"]):
                    continue
                rent_reduction = float(row["rent_reduction"])
            elif not doc_overlaps:
                continue
            else:
                rent_reduction = None
            rent_text = row["measure_zh"]
            measures.append(_rule(row))
        elif doc_overlaps:
            measures.append(_rule(row))
    if not eligible:
        rent_text = f"{voc['sectors'][sector]['name_zh']}不是本办法的支持对象"
    log.debug("relief %s %s %s -> %d measures, rent %s", sector, premises, month, len(measures), rent_reduction)
    return Relief(sector, premises, f"{ym[0]:04d}-{ym[1]:02d}", eligible, rent_reduction, rent_text,
                  tuple(measures), tuple(notes))


def applicable(place: Place, on: dt.date | str, *, county: str | None = None) -> list[AppliedRule]:
    """Every enterprise-support row in force on ``on`` (county-wide) for a place in the county.

    Rent rows count only in their own rent months (on 2020-02-20 the January–March waiver, not the April–June halving).
    """
    on = parse_date(on)
    if not place.inside_county:
        return []
    month = (on.year, on.month)
    return [_rule(r) for r in measures_table(county).to_dict("records")
            if in_force(r, on, county) and (not r["rent_from"] or _month_in(month, r["rent_from"], r["rent_to"]))]
