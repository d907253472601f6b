"""Targets of the county–township–village logistics plan (清政办发[2020]6号, 2019–2021).

``rules/logistics.csv``: one row per target with its value, unit, comparator and year, its ``level``
(county / township / village) and whom it reaches in ``applies_to``: ``county`` (a county total),
``all_townships`` (every township, e.g. a delivery station in each) or ``some_townships`` (a count of townships
the plan does not name, e.g. cold chain in 12). ``township_named`` is ``false`` on every row: the plan names
no township.
"""

from __future__ import annotations

import datetime as dt
import logging

import pandas as pd

from zoning.errors import SchemeError
from zoning.rules.citations import AppliedRule, Place, in_force, load_table, parse_date

log = logging.getLogger(__name__)

_APPLIES = {"county": "county", "all_townships": "all_townships", "some_townships": "some_townships"}


def targets(county: str | None = None) -> pd.DataFrame:
    """The plan's targets with ``value`` as float and ``township_named`` as bool."""
    df = load_table("logistics", county)
    df["value"] = pd.to_numeric(df["value"], errors="raise").astype(float)
    df["township_named"] = df["township_named"].str.lower().eq("true")
    return df


def _text(row: dict) -> str:
    value = f"{row['value']:g}"
    return f"{row['item_zh']} {row['comparator']} {value} {row['unit']}（{row['by_year']}年）"


def applicable(place: Place, on: dt.date | str, *, county: str | None = None) -> list[AppliedRule]:
    """Targets in force on ``on`` that reach ``place`` (county totals, every township, or unnamed townships)."""
    on = parse_date(on)
    if not place.inside_county:
        return []
    out = []
    for row in targets(county).to_dict("records"):
        how = _APPLIES.get(row["applies_to"])
        if how is None:
            raise SchemeError(f"rules/logistics.csv row {row['id']}: unknown applies_to {row['applies_to']!r}; "
                              f"use {', '.join(_APPLIES)}")
        if row["township"] and not place.is_named(row["township"]):
            continue
        if in_force(row, on, county):
            out.append(AppliedRule("logistics", row["id"], row["document"], row["clause"], row["quote"], _text(row),
                                   "township" if row["township"] else how,
                                   {"metric": row["metric"], "value": row["value"], "unit": row["unit"],
                                    "comparator": row["comparator"], "by_year": row["by_year"],
                                    "township_named": row["township_named"], "note": row["note"]}))
    return out
