"""Livestock rules: pig equivalents, farm size classes and what each exclusion level forbids.

Everything county-specific is read from ``data/<county>/rules/livestock.toml`` (each row quotes the plan clause
it encodes). Size classes compare the *unrounded* pig equivalents with inclusive thresholds (the plan's 含):
499.5 pig equivalents is a specialised household, 500 is a scale farm. Float noise from the fractional factors
(1/30, 1/15, ...) is removed by rounding to 1e-9 pig equivalents before comparing.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from zoning import settings
from zoning.errors import InputFileError, SchemeError
from zoning.scheme import read_toml

log = logging.getLogger(__name__)

#: Rounding applied to pig equivalents before class thresholds are compared (removes 1/30-style float noise).
PE_DECIMALS = 9


@dataclass(frozen=True)
class Species:
    """One livestock species: ``heads`` animals count as ``pigs`` pigs."""

    key: str
    names: tuple[str, ...]
    name_zh: str
    name_en: str
    heads: float
    pigs: float
    clause: str
    quote: str

    @property
    def factor(self) -> float:
        """Pig equivalents per animal."""
        return self.pigs / self.heads


@dataclass(frozen=True)
class SizeClass:
    """A farm size class: from ``min_pe`` pig equivalents (inclusive) up to the next class."""

    key: str
    min_pe: float
    name_zh: str
    name_en: str
    clause: str
    quote: str


@dataclass(frozen=True)
class Restriction:
    """What one exclusion level forbids."""

    level: int
    classes: tuple[str, ...]
    only_if_discharge: bool
    clause: str
    quote: str
    text_en: str


@dataclass(frozen=True)
class Verdict:
    """The plan's answer for one farm: ``allowed`` is None when no livestock numbers were given."""

    allowed: bool | None
    clause: str
    quote: str
    text_en: str
    level: int | None = None

    def clause_text(self) -> str:
        """'七：<quote>' — the clause number and the plan's words."""
        return f"{self.clause}：{self.quote}"


@dataclass(frozen=True)
class LivestockRules:
    """The livestock rule table of one county."""

    county: str
    species: tuple[Species, ...]
    size_classes: tuple[SizeClass, ...]  # largest first
    restrictions: tuple[Restriction, ...]
    allowed: Mapping[str, Mapping[str, str]]
    undecided: Mapping[str, str]
    _alias: dict[str, str] = field(default_factory=dict, repr=False)

    def species_key(self, name: str) -> str | None:
        """The species key for a column name or word ('蛋鸡', 'Laying_Hens', 'pig'), or None."""
        return self._alias.get(_norm(name))

    def size_class(self, key: str) -> SizeClass:
        """The size class called ``key``."""
        for c in self.size_classes:
            if c.key == key:
                return c
        raise KeyError(key)


def _norm(name: str) -> str:
    return str(name).strip().lower().replace(" ", "_").replace("-", "_")


def _req(row: Mapping, key: str, where: str):
    if key not in row:
        raise SchemeError(f"{where}: missing '{key}'; see data/hengnan/rules/livestock.toml for the layout")
    return row[key]


@functools.cache
def load_rules(county: str | None = None) -> LivestockRules:
    """Read and validate ``data/<county>/rules/livestock.toml`` (cached per county)."""
    county = county or settings.default_county
    path = settings.county_dir(county) / "rules" / "livestock.toml"
    if not path.exists():
        raise SchemeError(f"{path} not found: county {county!r} has no livestock rule table")
    data = read_toml(path)
    species = []
    alias: dict[str, str] = {}
    for i, row in enumerate(data.get("species", []), 1):
        where = f"{path} [[species]] #{i}"
        sp = Species(
            key=_req(row, "key", where), names=tuple(_req(row, "names", where)), name_zh=_req(row, "name_zh", where),
            name_en=_req(row, "name_en", where), heads=float(_req(row, "heads", where)),
            pigs=float(_req(row, "pigs", where)), clause=_req(row, "clause", where), quote=_req(row, "quote", where),
        )
        if sp.heads <= 0 or sp.pigs <= 0:
            raise SchemeError(f"{where} ({sp.key}): heads and pigs must be positive")
        for n in (sp.key, *sp.names):
            if alias.setdefault(_norm(n), sp.key) != sp.key:
                raise SchemeError(f"{where}: name {n!r} is used by two species")
        species.append(sp)
    classes = sorted(
        (SizeClass(key=_req(r, "key", f"{path} [[size_class]]"), min_pe=float(_req(r, "min_pe", f"{path} [[size_class]]")),
                   name_zh=r.get("name_zh", ""), name_en=r.get("name_en", ""), clause=r.get("clause", ""),
                   quote=r.get("quote", "")) for r in data.get("size_class", [])),
        key=lambda c: -c.min_pe,
    )
    if not species or not classes or classes[-1].min_pe != 0:
        raise SchemeError(f"{path}: needs [[species]] rows and [[size_class]] rows down to min_pe = 0")
    restrictions = tuple(
        Restriction(level=int(_req(r, "level", f"{path} [[restriction]]")), classes=tuple(r.get("classes", [])),
                    only_if_discharge=bool(r.get("only_if_discharge", False)), clause=r.get("clause", ""),
                    quote=r.get("quote", ""), text_en=r.get("text_en", ""))
        for r in data.get("restriction", [])
    )
    known = {c.key for c in classes}
    for r in restrictions:
        if not set(r.classes) <= known:
            raise SchemeError(f"{path}: restriction for level {r.level} names unknown size classes {set(r.classes) - known}")
    for k in ("outside", "not_scale", "no_discharge"):
        if k not in data.get("allowed", {}):
            raise SchemeError(f"{path}: missing [allowed.{k}] (the clause quoted when nothing is forbidden)")
    return LivestockRules(county=county, species=tuple(species), size_classes=tuple(classes),
                          restrictions=tuple(sorted(restrictions, key=lambda r: r.level)),
                          allowed=data["allowed"], undecided=data.get("undecided", {}), _alias=alias)


def _head_count(n: float, what: str) -> float:
    """Check one head count: a whole number ≥ 0 (the plan counts animals: 头, 羽, 只)."""
    if math.isnan(n) or n < 0:
        raise InputFileError(f"{what}: the count must be a number ≥ 0")
    if math.isinf(n):
        raise InputFileError(f"{what}: the count is too large")
    if not float(n).is_integer():
        raise InputFileError(f"{what}: {n:g} is not a whole number; head counts are whole animals")
    return float(n)


def parse_counts(text: str, *, county: str | None = None) -> dict[str, float]:
    """Read ``'pig=600,beef_cattle=20'`` (or ``'蛋鸡=3000，鸭=30'``) into {species key: count}; each species once."""
    rules = load_rules(county)
    counts: dict[str, float] = {}
    given: dict[str, str] = {}
    for part in str(text).replace("，", ",").split(","):
        if not part.strip():
            continue
        name, sep, value = part.replace("＝", "=").partition("=")
        key = rules.species_key(name)
        if not sep or key is None:
            names = ", ".join(s.key for s in rules.species)
            raise InputFileError(f"livestock {part.strip()!r}: write species=count, species one of: {names} (or 猪, 蛋鸡, 鸭, 鹅, 肉鸡, 兔, 羊, 奶牛, 肉牛)")
        if key in given:
            raise InputFileError(f"livestock: duplicate species {key} ({given[key]!r} and {part.strip()!r}); "
                                 "give each species once")
        try:
            n = float(value)
        except ValueError:
            raise InputFileError(f"livestock {part.strip()!r}: {value.strip()!r} is not a number") from None
        counts[key] = _head_count(n, f"livestock {part.strip()!r}")
        given[key] = part.strip()
    return counts


def pig_equivalents(counts: Mapping[str, float], *, county: str | None = None) -> float:
    """Pig equivalents of a farm from head counts by species (keys or names, e.g. {'pig': 600, '肉牛': 20})."""
    rules = load_rules(county)
    total = []
    for name, n in counts.items():
        key = rules.species_key(name)
        if key is None:
            raise InputFileError(f"unknown livestock species {name!r}; use one of {', '.join(s.key for s in rules.species)}")
        try:
            n = float(n)
        except (TypeError, ValueError):
            raise InputFileError(f"livestock count for {name!r} must be a number ≥ 0, got {n!r}") from None
        n = _head_count(n, f"livestock count for {name!r}")
        sp = next(s for s in rules.species if s.key == key)
        total.append(n * sp.pigs / sp.heads)
    return math.fsum(total)


def size_class(pe: float, *, county: str | None = None) -> str:
    """Size-class key ('scale', 'household', 'below') of a farm with ``pe`` pig equivalents (thresholds inclusive)."""
    if pe is None or not math.isfinite(pe) or pe < 0:
        raise InputFileError(f"pig equivalents must be a number ≥ 0, got {pe!r}")
    pe = round(pe, PE_DECIMALS)
    for c in load_rules(county).size_classes:
        if pe >= c.min_pe:
            return c.key
    raise AssertionError("unreachable: the last class starts at 0")  # pragma: no cover


def size_class_codes(pe: np.ndarray, *, county: str | None = None) -> np.ndarray:
    """Vectorised :func:`size_class` as indexes into ``load_rules().size_classes`` (-1 for NaN or negative)."""
    pe = np.round(np.asarray(pe, dtype="float64"), PE_DECIMALS)
    out = np.full(pe.shape, -1, dtype=np.int8)
    todo = np.isfinite(pe) & (pe >= 0)
    for i, c in enumerate(load_rules(county).size_classes):
        hit = todo & (pe >= c.min_pe)
        out[hit] = i
        todo &= ~hit
    return out


def size_classes_array(pe: np.ndarray, *, county: str | None = None) -> np.ndarray:
    """Vectorised :func:`size_class`; NaN pig equivalents give ''."""
    keys = [c.key for c in load_rules(county).size_classes] + [""]
    return np.asarray(keys, dtype=object)[size_class_codes(pe, county=county)]


def judge(levels: Iterable[int], size_class: str | None, discharge: bool = True, *, county: str | None = None) -> Verdict:
    """The plan's verdict for a farm of ``size_class`` at a place in zones of ``levels`` (empty: outside all zones).

    ``size_class`` None means no livestock numbers were given: ``allowed`` is None where the answer depends on size.
    The strictest applicable restriction (lowest level) is reported.
    """
    rules = load_rules(county)
    levels = sorted({int(v) for v in levels})
    if not levels:
        a = rules.allowed["outside"]
        return Verdict(True, a["clause"], a["quote"], a["text_en"])
    if size_class is None:
        u = rules.undecided
        return Verdict(None, u.get("clause", ""), u.get("quote", ""), u.get("text_en", ""), levels[0])
    rules.size_class(size_class)  # validates the key
    for r in rules.restrictions:
        if r.level in levels and size_class in r.classes and (discharge or not r.only_if_discharge):
            return Verdict(False, r.clause, r.quote, r.text_en, r.level)
    restricting = [r for r in rules.restrictions if r.level in levels]
    if any(size_class in r.classes for r in restricting):
        a = rules.allowed["no_discharge"]  # only discharge-conditional restrictions matched the class
    else:
        a = rules.allowed["not_scale"]
    return Verdict(True, a["clause"], a["quote"], a["text_en"], levels[0])


def verdict(levels: Iterable[int], size_class: str | None, discharge: bool = True, *, county: str | None = None) -> tuple[bool | None, str]:
    """``(allowed, clause)``: :func:`judge` reduced to a flag and '<clause>：<plan text>'."""
    v = judge(levels, size_class, discharge, county=county)
    return v.allowed, v.clause_text()
