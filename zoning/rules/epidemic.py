"""Epidemic measures by township as of the 2020-02-20 speech (两线作战调度会), and the enrolment figure it gives.

``rules/epidemic.csv`` rows say whom they address in ``applies_to``:

- ``named``: the township in the ``township`` column (matched on name or former name, suffix-tolerant);
- ``all``: every place in the county;
- ``others_than:<group>``: every township not named by a row of ``<group>`` (the speech's 其他乡镇（街道）).

``rules/medical_insurance.csv`` holds the county's enrolment rate against its target.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import pandas as pd

from zoning.errors import SchemeError
from zoning.rules.citations import AppliedRule, Place, in_force, load_table, parse_date

log = logging.getLogger(__name__)


def measures_table(county: str | None = None) -> pd.DataFrame:
    """The epidemic-measure rows (strings; blank cells ``""``)."""
    return load_table("epidemic", county)


def _addresses(row: dict[str, str], place: Place, table: pd.DataFrame) -> str | None:
    """How a row reaches ``place`` (``township``/``county``) or ``None`` if it does not."""
    target = row["applies_to"]
    if target == "all":
        return "county"
    if target == "named":
        return "township" if place.is_named(row["township"]) else None
    if target.startswith("others_than:"):
        group = target.split(":", 1)[1]
        if place.township is None:  # not known which township: cannot tell whether it is one of the "others"
            return None
        named = table.loc[table["group"] == group, "township"]
        return None if any(place.is_named(n) for n in named) else "township"
    raise SchemeError(f"rules/epidemic.csv row {row['id']}: unknown applies_to {target!r}; "
                      "use named, all or others_than:<group>")


def measures_for(place: Place, on: dt.date | str, *, county: str | None = None) -> list[AppliedRule]:
    """Epidemic measures that apply at ``place`` on ``on`` (the speech's date onwards; it sets no end)."""
    on = parse_date(on)
    if not place.inside_county:
        return []
    table = measures_table(county)
    out = []
    for row in table.to_dict("records"):
        how = _addresses(row, place, table)
        if how and in_force(row, on, county):
            text = row["measure_zh"] + (f"（{row['risk_level']}）" if row["risk_level"] and row["risk_level"] not in row["measure_zh"] else "")
            out.append(AppliedRule("epidemic", row["id"], row["document"], row["clause"], row["quote"], text, how,
                                   {"group": row["group"], "risk_level": row["risk_level"] or None,
                                    "measure_en": row["measure_en"]}))
    return out


@dataclass(frozen=True)
class Enrolment:
    """An enrolment rate against its target, in percent; ``gap_pp`` = target − value (percentage points)."""

    indicator_zh: str
    value_pct: float
    as_of: dt.date
    target_pct: float
    target_inclusive: bool
    gap_pp: float
    rule: AppliedRule

    @property
    def target_met(self) -> bool:
        """Whether the rate reaches the target (95%以上 includes 95)."""
        return self.value_pct >= self.target_pct if self.target_inclusive else self.value_pct > self.target_pct


def _enrolment(row: dict[str, str]) -> Enrolment:
    value, target = float(row["value_pct"]), float(row["target_pct"])
    rule = AppliedRule("medical_insurance", row["id"], row["document"], row["clause"], row["quote"],
                       f"{row['indicator_zh']} {value:g}%（{row['as_of']}），目标{target:g}%以上", "county")
    return Enrolment(row["indicator_zh"], value, dt.date.fromisoformat(row["as_of"]), target,
                     row["target_inclusive"].lower() == "true", round(target - value, 6), rule)


def enrolment(*, county: str | None = None) -> Enrolment:
    """The medical-insurance enrolment rate the speech reports (58.44 % on 2020-02-19, target 95 %以上)."""
    return _enrolment(load_table("medical_insurance", county).iloc[0].to_dict())


def enrolment_for(place: Place, on: dt.date | str, *, county: str | None = None) -> list[AppliedRule]:
    """The enrolment figure as a county-wide rule row, for places in the county on or after the speech."""
    on = parse_date(on)
    if not place.inside_county:
        return []
    out = []
    for row in load_table("medical_insurance", county).to_dict("records"):
        if row["applies_to"] == "all" and in_force(row, on, county):
            e = _enrolment(row)
            out.append(AppliedRule("medical_insurance", row["id"], row["document"], row["clause"], row["quote"],
                                   e.rule.text + f"，差距{e.gap_pp:.2f}个百分点", "county",
                                   {"value_pct": e.value_pct, "target_pct": e.target_pct, "gap_pp": e.gap_pp}))
    return out


def applicable(place: Place, on: dt.date | str, *, county: str | None = None) -> list[AppliedRule]:
    """Every row of the speech's tables that applies at ``place`` on ``on``."""
    return measures_for(place, on, county=county) + enrolment_for(place, on, county=county)
