"""Shared plumbing of the county's rule tables: load a table, resolve its citations, parse dates, match places.

Every rule table is a CSV file under ``data/<county>/rules/`` registered in ``index.toml``; every row carries
``document`` (文号), ``clause`` and ``quote``. A quote *resolves* when, after removing all whitespace from both
texts, it occurs in the county's source text between its document's ``anchor`` and the next document's anchor.
Removing (rather than collapsing) whitespace is right for this text: it is Chinese, and the transcription breaks
lines and table cells (tabs) in the middle of sentences.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from zoning import settings
from zoning.errors import RuleQueryError, SchemeError
from zoning.scheme import read_toml

log = logging.getLogger(__name__)

CITATION_COLUMNS = ("document", "clause", "quote")
_WHITESPACE = re.compile(r"\s+")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# ---------------------------------------------------------------- files


def rules_dir(county: str | None = None) -> Path:
    """Folder of a county's rule tables: ``data/<county>/rules/``; an unknown county raises :class:`RuleQueryError`."""
    county = county or settings.default_county
    if not settings.county_dir(county).is_dir():
        known = sorted(p.name for p in settings.data_dir.iterdir() if p.is_dir()) if settings.data_dir.is_dir() else []
        raise RuleQueryError(f"unknown county {county!r}: no {county}/ folder in {settings.data_dir} "
                             f"(counties: {', '.join(known) or 'none'})")
    return settings.county_dir(county) / "rules"


@lru_cache(maxsize=8)
def _read_toml(path: Path) -> dict[str, Any]:
    return read_toml(path)


def load_index(county: str | None = None) -> dict[str, Any]:
    """The county's ``rules/index.toml``: documents (with validity dates and anchors) and tables."""
    return _read_toml(rules_dir(county) / "index.toml")


def load_vocabulary(county: str | None = None) -> dict[str, Any]:
    """The county's ``rules/vocabulary.toml``: accepted choices and their Chinese terms."""
    return _read_toml(rules_dir(county) / "vocabulary.toml")


def table_names(county: str | None = None) -> list[str]:
    """Names of the rule tables registered in ``index.toml``, in file order."""
    return list(load_index(county).get("tables", {}))


def table_spec(name: str, county: str | None = None) -> dict[str, Any]:
    """The ``[tables.<name>]`` entry of ``index.toml``."""
    tables = load_index(county).get("tables", {})
    if name not in tables:
        raise SchemeError(f"rules/index.toml has no table {name!r}; tables: {', '.join(tables)}")
    return tables[name]


@lru_cache(maxsize=32)
def _read_table(path: Path) -> pd.DataFrame:
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except FileNotFoundError as exc:
        raise SchemeError(f"{path}: rule table not found") from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise SchemeError(f"{path}: not a readable UTF-8 CSV ({exc})") from exc
    missing = [c for c in CITATION_COLUMNS if c not in df.columns]
    if missing:
        raise SchemeError(f"{path}: missing citation column(s) {', '.join(missing)}; every row needs document, clause, quote")
    for i, row in df.iterrows():
        empty = [c for c in CITATION_COLUMNS if not row[c].strip()]
        if empty:
            raise SchemeError(f"{path}: row {i + 2} has an empty {', '.join(empty)}; every row needs a citation")
    return df


def load_table(name: str, county: str | None = None) -> pd.DataFrame:
    """Read a registered rule table as strings (blank cells are ``""``) and check its citation columns.

    Returns a copy; callers may convert columns freely.
    """
    spec = table_spec(name, county)
    df = _read_table(rules_dir(county) / spec["file"])
    id_column = spec.get("id_column", "id")
    if id_column not in df.columns:
        raise SchemeError(f"rules/{spec['file']}: id column {id_column!r} missing")
    return df.copy()


# ---------------------------------------------------------------- citations


def normalise(text: str) -> str:
    """Remove every whitespace character (spaces, tabs, line breaks, ideographic space)."""
    return _WHITESPACE.sub("", text)


@lru_cache(maxsize=4)
def _read_source(path: Path) -> str:
    try:
        return normalise(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SchemeError(f"{path}: source text not found (scheme.toml [plan] source_text)") from exc


def source_text(county: str | None = None) -> str:
    """The county's source document batch (``[plan] source_text`` in ``scheme.toml``), whitespace removed."""
    county_dir = settings.county_dir(county or settings.default_county)
    scheme = _read_toml(county_dir / "scheme.toml")
    try:
        rel = scheme["plan"]["source_text"]
    except KeyError as exc:
        raise SchemeError(f"{county_dir / 'scheme.toml'}: [plan] source_text is missing") from exc
    return _read_source(county_dir / rel)


def document_spans(county: str | None = None) -> dict[str, tuple[int, int]]:
    """Where each document of ``index.toml`` lies in the normalised source text: ``{id: (start, end)}``."""
    text = source_text(county)
    starts: list[tuple[int, str]] = []
    for doc in load_index(county).get("documents", []):
        pos = text.find(normalise(doc["anchor"]))
        if pos < 0:
            raise SchemeError(f"rules/index.toml: anchor of {doc['id']} not found in the source text: {doc['anchor']!r}")
        starts.append((pos, doc["id"]))
    starts.sort()
    ends = [s for s, _ in starts[1:]] + [len(text)]
    return {doc_id: (start, end) for (start, doc_id), end in zip(starts, ends)}


def citation_problem(document: str, quote: str, county: str | None = None) -> str | None:
    """Why a citation does not resolve, or ``None`` if its quote lies inside its document's part of the source."""
    spans = document_spans(county)
    if document not in spans:
        return f"unknown document {document!r}; documents: {', '.join(spans)}"
    needle = normalise(quote)
    if not needle:
        return "empty quote"
    start, end = spans[document]
    text = source_text(county)
    if text.find(needle, start, end) >= 0:
        return None
    if needle in text:
        return f"quote found in the source text but outside {document}"
    return "quote not found in the source text"


def citation_rows(county: str | None = None) -> list[tuple[str, str, dict[str, str]]]:
    """Every citable row: ``(table, row_id, row)`` for the documents of ``index.toml`` and each table's rows."""
    out: list[tuple[str, str, dict[str, str]]] = []
    for doc in load_index(county).get("documents", []):
        out.append(("documents", doc["id"], {"document": doc["id"], "clause": doc["clause"], "quote": doc["quote"]}))
    for name in table_names(county):
        id_column = table_spec(name, county).get("id_column", "id")
        for row in load_table(name, county).to_dict("records"):
            out.append((name, row[id_column], row))
    return out


def check_citations(county: str | None = None) -> int:
    """Verify every citation of every rule table; return how many resolved, raise :class:`SchemeError` otherwise."""
    problems = []
    rows = citation_rows(county)
    for table, row_id, row in rows:
        problem = citation_problem(row["document"], row["quote"], county)
        if problem:
            problems.append(f"{table}:{row_id}: {problem}")
    if problems:
        raise SchemeError(f"{len(problems)} citation(s) do not resolve: " + "; ".join(problems))
    log.info("%d citations resolve", len(rows))
    return len(rows)


# ---------------------------------------------------------------- dates and choices


def parse_date(value: str | dt.date) -> dt.date:
    """``YYYY-MM-DD`` (or a date) to a date; anything else raises :class:`RuleQueryError`."""
    if isinstance(value, dt.date):
        return value
    try:
        if _DATE.match(str(value).strip()):
            return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        pass
    raise RuleQueryError(f"bad date {value!r}: write it as YYYY-MM-DD, e.g. 2020-02-20")


def parse_month(value: str) -> tuple[int, int]:
    """``YYYY-MM`` to ``(year, month)``; anything else raises :class:`RuleQueryError`."""
    m = _MONTH.match(str(value).strip())
    if not m or int(m.group(1)) < 1 or not 1 <= int(m.group(2)) <= 12:
        raise RuleQueryError(f"bad month {value!r}: write it as YYYY-MM with a year from 0001 and a month 01-12, "
                             "e.g. 2020-04")
    return int(m.group(1)), int(m.group(2))


def optional_date(value: str) -> dt.date | None:
    """A table cell holding ``YYYY-MM-DD`` or blank."""
    return dt.date.fromisoformat(value) if str(value).strip() else None


def resolve_choice(kind: str, value: str, choices: Mapping[str, Mapping[str, Any] | str]) -> str:
    """Map a user's term to a vocabulary key: the key itself, its ``name_zh`` or one of its ``aliases``.

    Case and surrounding space are ignored. An unknown term raises :class:`RuleQueryError` listing the choices.
    """
    wanted = str(value).strip().casefold()
    for key, entry in choices.items():
        names = [key]
        if isinstance(entry, Mapping):
            names += [entry.get("name_zh", "")] + list(entry.get("aliases", []))
        if wanted in {n.casefold() for n in names if n}:
            return key
    listing = ", ".join(
        f"{k} ({e['name_zh']})" if isinstance(e, Mapping) and e.get("name_zh") else k for k, e in choices.items()
    )
    raise RuleQueryError(f"unknown {kind} {value!r}; choose one of: {listing}")


def document_window(document: str, county: str | None = None) -> tuple[dt.date | None, dt.date | None]:
    """``(valid_from, valid_to)`` of a document in ``index.toml`` (``None`` = open)."""
    for doc in load_index(county).get("documents", []):
        if doc["id"] == document:
            return doc.get("valid_from"), doc.get("valid_to")
    raise SchemeError(f"rules/index.toml: no document {document!r}")


def in_force(row: Mapping[str, str], on: dt.date, county: str | None = None) -> bool:
    """Whether a row applies on ``on``: the row's own ``valid_from``/``valid_to`` if set, else its document's."""
    doc_from, doc_to = document_window(row["document"], county)
    start = optional_date(row.get("valid_from", "")) or doc_from
    end = optional_date(row.get("valid_to", "")) or doc_to
    return (start is None or start <= on) and (end is None or on <= end)


# ---------------------------------------------------------------- places


def township_key(name: str, suffixes: Iterable[str]) -> str:
    """A township name without its 镇/乡/街道/办事处 suffix (longest suffix first), for matching."""
    name = normalise(name)
    for suffix in sorted(suffixes, key=len, reverse=True):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


@dataclass(frozen=True)
class Place:
    """Where a rule query is asked: the (approximate) township, its former names, and whether it is in the county."""

    township: str | None
    aliases: tuple[str, ...] = ()
    inside_county: bool = True
    suffixes: tuple[str, ...] = ("街道办事处", "办事处", "街道", "镇", "乡")

    @property
    def keys(self) -> frozenset[str]:
        """Suffix-free forms of the township's name and aliases."""
        names = ([self.township] if self.township else []) + list(self.aliases)
        return frozenset(township_key(n, self.suffixes) for n in names if n)

    def is_named(self, name: str) -> bool:
        """Whether ``name`` (as a rule table writes it) designates this township or one of its former names."""
        return bool(name) and township_key(name, self.suffixes) in self.keys


def make_place(township: str | None, *, aliases: Iterable[str] = (), inside_county: bool = True,
               county: str | None = None) -> Place:
    """A :class:`Place` using the county's township suffixes from ``index.toml``."""
    suffixes = tuple(load_index(county).get("townships", {}).get("suffixes", Place.suffixes))
    return Place(township, tuple(aliases), inside_county, suffixes)


@dataclass(frozen=True)
class AppliedRule:
    """One rule row that applies at a place and date, with its citation.

    ``applies`` says why: ``township`` (names this township), ``county`` (county-wide), ``all_townships``
    (every township, none named), ``some_townships`` (some townships, which ones the document does not say).
    """

    table: str
    row_id: str
    document: str
    clause: str
    quote: str
    text: str
    applies: str
    details: dict[str, Any] = field(default_factory=dict)
