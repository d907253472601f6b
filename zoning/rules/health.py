"""Public-health event grades (清政办发[2020]2号 附件3), the command's member units (附件1) and on-site groups (附件2).

``rules/health_grades.csv`` holds every line of 附件3 in disjunctive form: a *line* (``line_id``) is met when all
condition rows of any one of its alternatives (``alt``) are met. A condition bounds one measure (``cases``,
``deaths``, ``poisoned``, ``excess_multiple``, ``authority_rank``, ``occurred`` or a yes/no flag) with
``lower``/``upper`` and inclusive flags, and may bound the event's extent with ``scope_min``/``scope_max``.

How the bounds are read (the plan's 说明 row, ``line_id = 说明``): 以上 includes the number, 以下 excludes it;
ranges written ``10-29`` or ``10--99`` include both ends; 未超过N includes N; 超过N excludes N. Read literally,
these leave gaps (cholera 9 cases a week, food poisoning 100 without deaths, occupational poisoning 9 or 100+):
the evaluator then reports no grade and points to the catch-all line (…卫健部门认定的其他…) rather than guess.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from zoning.rules.citations import (
    AppliedRule,
    Place,
    RuleQueryError,
    in_force,
    load_table,
    load_vocabulary,
    resolve_choice,
)

log = logging.getLogger(__name__)

_BOOL = {"true": True, "false": False, "": False}


def vocabulary(county: str | None = None) -> dict[str, Any]:
    """The ``[health]`` part of ``rules/vocabulary.toml``."""
    return load_vocabulary(county)["health"]


def grade_table(county: str | None = None) -> pd.DataFrame:
    """附件3 as condition rows with numeric bounds (NaN = unbounded) and boolean inclusive flags."""
    df = load_table("health_grades", county)
    df = df[df["kind"] != "note"].copy()
    for col in ("lower", "upper"):
        df[col] = pd.to_numeric(df[col].replace("", None), errors="raise").astype(float)
    for col in ("lower_inclusive", "upper_inclusive"):
        df[col] = df[col].str.lower().map(_BOOL)
    df["alt"] = df["alt"].astype(int)
    return df


def bounds_note(county: str | None = None) -> dict[str, str]:
    """The plan's own note on how 以上/以下 are read (the ``说明`` row), with its citation."""
    df = load_table("health_grades", county)
    row = df[df["kind"] == "note"].iloc[0]
    return {"quote": row["quote"], "clause": row["clause"], "document": row["document"], "reading": row["note"]}


def event_key(event: str, county: str | None = None) -> str:
    """Resolve an event name (Chinese term, alias or English key) to its key; unknown → :class:`RuleQueryError`."""
    return resolve_choice("event type", event, vocabulary(county)["events"])


def _ordinal(section_name: str, label: str, value: str, county: str | None) -> int:
    """Rank of ``value`` in an ordered vocabulary section (``scopes``, ``authorities``), 0 = lowest."""
    section = vocabulary(county)[section_name]
    entries = {k: {"name_zh": section.get("names_zh", {}).get(k, ""), "aliases": section.get("aliases", {}).get(k, [])}
               for k in section["order"]}
    return section["order"].index(resolve_choice(label, value, entries))


@dataclass(frozen=True)
class GradeResult:
    """The grade of an event and the line of 附件3 that decided it (``grade`` is ``None`` if no line is met)."""

    event: str
    grade: str | None
    grade_zh: str | None
    line_id: str | None
    clause: str | None
    quote: str | None
    document: str | None
    window: str | None
    measures: dict[str, float]
    matched_lines: tuple[str, ...] = ()
    note: str = ""
    fallback: dict[str, str] = field(default_factory=dict)


def _condition_met(row: pd.Series, measures: dict[str, float], scope_rank: int, scope_order: list[str]) -> bool:
    value = measures.get(row["measure"])
    if value is None:
        return False
    lo, hi = row["lower"], row["upper"]
    if not math.isnan(lo) and not (value >= lo if row["lower_inclusive"] else value > lo):
        return False
    if not math.isnan(hi) and not (value <= hi if row["upper_inclusive"] else value < hi):
        return False
    if row["scope_min"] and scope_rank < scope_order.index(row["scope_min"]):
        return False
    if row["scope_max"] and scope_rank > scope_order.index(row["scope_max"]):
        return False
    return True


def grade_event(
    event: str,
    *,
    cases: float = 0,
    deaths: float = 0,
    scope: str = "county",
    excess: float | None = None,
    flags: Iterable[str] = (),
    authority: str | None = None,
    county: str | None = None,
) -> GradeResult:
    """Grade a public-health event by 附件3: the highest grade any of whose lines is met.

    Parameters
    ----------
    event : Chinese term, alias or key (``vocabulary.toml [health.events]``), e.g. ``食物中毒`` or ``food_poisoning``.
    cases : the count the event's lines use within their window (cases; people poisoned for poisoning events).
    deaths : deaths.
    scope : extent: ``county``, ``multi_county``, ``multi_city`` or ``multi_province`` (or their Chinese terms).
    excess : for 乙、丙类传染病, incidence above the 5-year mean as a multiple of that mean.
    flags : yes/no facts that hold, e.g. ``spreading`` (有扩散趋势).
    authority : who designated the event (``county``/``city``/``province``/``state``), for the 其他 lines.

    Returns
    -------
    GradeResult with the deciding line's clause and quote; ``grade`` None plus a note when no line is met.
    """
    voc = vocabulary(county)
    key = event_key(event, county)
    table = grade_table(county)
    rows = table[table["event"] == key]
    _check_numbers(key, cases, deaths, excess, table, voc)
    scope_order = voc["scopes"]["order"]
    scope_rank = _ordinal("scopes", "scope", scope, county)
    flag_choices = {k: {"name_zh": v} for k, v in voc["flags"].items()}
    raised = {resolve_choice("flag", f, flag_choices) for f in flags}
    count_measure = voc["events"][key].get("count_measure", "cases")
    measures: dict[str, float] = {count_measure: float(cases), "deaths": float(deaths), "occurred": 1.0}
    measures.update({f: float(f in raised) for f in voc["flags"]})
    if excess is not None:
        measures["excess_multiple"] = float(excess)
    if authority is not None:
        measures["authority_rank"] = float(_ordinal("authorities", "authority", authority, county) + 1)

    met: list[str] = []
    for (line_id, _alt), conds in rows.groupby(["line_id", "alt"], sort=False):
        if line_id not in met and all(_condition_met(r, measures, scope_rank, scope_order) for _, r in conds.iterrows()):
            met.append(line_id)
    grade_order = voc["grades"]["order"]
    names_zh = voc["grades"]["names_zh"]
    if not met:
        return _no_grade(key, measures, table, grade_order, county)
    line_grade = {lid: table.loc[table["line_id"] == lid, "grade"].iloc[0] for lid in met}
    best = max(met, key=lambda lid: (grade_order.index(line_grade[lid]), -met.index(lid)))
    first = table[table["line_id"] == best].iloc[0]
    windows = rows.loc[rows["line_id"] == best, "window"]
    window = next((w for w in windows if w), "")
    log.debug("event %s measures %s met lines %s -> %s", key, measures, met, best)
    return GradeResult(
        event=key, grade=first["grade"], grade_zh=names_zh[first["grade"]], line_id=best, clause=first["clause"],
        quote=first["quote"], document=first["document"], window=voc["windows"].get(window, window) or None,
        measures=measures, matched_lines=tuple(met),
    )


def _check_numbers(key: str, cases: float, deaths: float, excess: float | None, table: pd.DataFrame,
                   voc: dict[str, Any]) -> None:
    """Refuse numbers no event can have: non-finite or negative, more deaths than cases, an excess the event ignores."""
    used = set(table.loc[table["event"] == key, "measure"])
    for name, value in (("cases", cases), ("deaths", deaths), ("excess", excess)):
        if value is not None and not (math.isfinite(value) and value >= 0):
            raise RuleQueryError(f"{name} {value:g} must be a finite number ≥ 0")
    count = voc["events"][key].get("count_measure", "cases")
    if count in used and voc["events"][key].get("deaths_among_count", True) and deaths > cases:
        what = "people poisoned" if count == "poisoned" else "cases"
        raise RuleQueryError(f"deaths ({deaths:g}) exceed {what} ({cases:g}): the dead are among the {what}; "
                             f"give cases of at least {deaths:g}")
    if excess is not None and "excess_multiple" not in used:
        takers = sorted(set(table.loc[table["measure"] == "excess_multiple", "event"]))
        names = ", ".join(f"{k} ({voc['events'][k]['name_zh']})" for k in takers) or "no event"
        raise RuleQueryError(f"excess applies only to {names}, not to {key}; leave it out")


def _no_grade(key: str, measures: dict[str, float], table: pd.DataFrame, grade_order: list[str],
              county: str | None) -> GradeResult:
    catch_all = table[table["event"] == "designated_other"]
    lowest = catch_all[catch_all["grade"] == grade_order[0]].iloc[0] if not catch_all.empty else None
    fallback = {} if lowest is None else {
        "line_id": lowest["line_id"], "clause": lowest["clause"], "quote": lowest["quote"], "document": lowest["document"],
    }
    note = ("no line of 附件3 is met by these numbers read literally (以上 includes, 以下 excludes the bound); "
            "the plan leaves other events to the health authority")
    if fallback:
        note += f" ({fallback['clause']}: {fallback['quote']})"
    return GradeResult(event=key, grade=None, grade_zh=None, line_id=None, clause=None, quote=None, document=None,
                       window=None, measures=measures, note=note, fallback=fallback)


def command_units(county: str | None = None) -> pd.DataFrame:
    """Member units of the county health-emergency command and their duties (预案 2.1 and 附件1)."""
    return load_table("health_units", county)


def working_groups(county: str | None = None) -> pd.DataFrame:
    """The on-site command's working groups: lead, members, duties (附件2)."""
    return load_table("health_groups", county)


def applicable(place: Place, on: Any, *, county: str | None = None) -> list[AppliedRule]:
    """County-wide rows of the health plan in force on ``on`` (grades, units, groups) for a place in the county."""
    if not place.inside_county:
        return []
    out: list[AppliedRule] = []
    sources = (
        ("health_grades", "row_id", lambda r: f"{r['clause']}: {r['quote']}"),
        ("health_units", "id", lambda r: f"{r['unit_zh']}: {r['duties_zh']}"),
        ("health_groups", "id", lambda r: f"{r['group_zh']} ({r['lead_zh']}牵头): {r['duties_zh']}"),
    )
    for table, id_col, text in sources:
        seen: set[str] = set()
        for row in load_table(table, county).to_dict("records"):
            if table == "health_grades":  # one entry per line of 附件3, not per condition
                if row["kind"] == "note" or row["line_id"] in seen:
                    continue
                seen.add(row["line_id"])
                id_col = "line_id"
            if in_force(row, on, county):
                out.append(AppliedRule(table, row[id_col], row["document"], row["clause"], row["quote"], text(row),
                                       "county"))
    return out
