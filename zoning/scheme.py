"""A county's scheme: the scheme file, the plan's published table and the facts its text declares.

Everything county-specific the code needs is loaded here from ``data/<county>/`` into plain dataclasses and validated,
with errors that name the file, the key or row, and the fix.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import math
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pyproj import CRS

from zoning import settings
from zoning.crs import AREA_METHODS, as_crs
from zoning.errors import SchemeError

log = logging.getLogger(__name__)

CATEGORIES: tuple[str, ...] = ("water_source", "xiang_strip", "nature_reserve", "town_builtup")
#: How each category reads in Chinese and English (reports, site checks, map legends).
CATEGORY_LABELS: dict[str, tuple[str, str]] = {
    "water_source": ("饮用水水源保护区", "drinking-water source protection area"),
    "xiang_strip": ("湘江干流沿岸500米", "500 m land strip along the Xiang main stem"),
    "nature_reserve": ("自然保护区", "nature reserve"),
    "town_builtup": ("城镇建成区", "town built-up area"),
}
PUBLISHED_COLUMNS: tuple[str, ...] = (
    "row_type", "category", "category_printed", "seq", "code", "name", "level1_km2", "level2_km2",
    "overlap_with", "overlap_km2", "overlap_unit_printed", "overlap_note", "net_km2",
)


@dataclass(frozen=True)
class Printed:
    """A number as the table prints it: its value and its number of decimals (the precision it is compared at)."""

    text: str
    value: float
    decimals: int

    @classmethod
    def parse(cls, text: str, *, where: str) -> "Printed":
        """Read a printed decimal; ``where`` names the file, row and column for the error."""
        try:
            if "_" in text:
                raise InvalidOperation
            dec = Decimal(text.strip())
        except InvalidOperation as exc:
            raise SchemeError(f"{where}: {text!r} is not a number; write it as printed, e.g. 0.131") from exc
        if not dec.is_finite() or dec < 0:
            raise SchemeError(f"{where}: {text!r} is not an area; areas are finite and not negative, e.g. 0.131")
        exponent = dec.as_tuple().exponent
        decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        return cls(text.strip(), float(dec), decimals)

    @property
    def half_unit(self) -> float:
        """Half a unit in the last printed place: the largest rounding error the printed figure can hide."""
        return 0.5 * 10.0 ** (-self.decimals)

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class PublishedZone:
    """One zone row of the published table."""

    line: int
    code: str
    seq: str
    name: str
    category: str
    category_printed: str
    level1: Printed | None
    level2: Printed | None
    overlap_with: str | None
    overlap: Printed | None
    overlap_unit_printed: str
    overlap_note: str

    def printed(self, level: int) -> Printed | None:
        """The printed area of this zone's level-1 or level-2 part (None where the table prints '/')."""
        return self.level1 if level == 1 else self.level2


@dataclass(frozen=True)
class PublishedTable:
    """The plan's table: zone rows and the printed subtotal and total lines."""

    path: Path
    zones: tuple[PublishedZone, ...]
    subtotal_level1: Printed
    subtotal_level2: Printed
    subtotal_overlap: Printed
    net: Printed

    def zone(self, code: str) -> PublishedZone:
        """Row of a zone code; SchemeError if the table has none."""
        for z in self.zones:
            if z.code == code:
                return z
        raise SchemeError(f"{self.path.name}: no row for zone code {code!r}")

    @property
    def deducted_pairs(self) -> list[tuple[str, str, Printed]]:
        """(code, other code, printed km²) for every overlap the table lists."""
        return [(z.code, z.overlap_with, z.overlap) for z in self.zones if z.overlap_with and z.overlap]


@dataclass(frozen=True)
class LayerSpec:
    """Where a named input layer is: a file and, for multi-layer files, a layer name."""

    name: str
    path: Path
    layer: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StripRule:
    """A land strip along a river: land within ``distance_m`` of the water, inside the clip layer."""

    code: str
    name: str
    category: str
    level: int
    river: str
    distance_m: float
    half_width_m: float
    reach_from_m: float | None
    reach_to_m: float | None
    clip_to: str | None
    reconstructed: bool = False
    note: str = ""

    @property
    def has_reach(self) -> bool:
        """Whether the rule counts only part of the river (a calibrated reach)."""
        return self.reach_from_m is not None or self.reach_to_m is not None


@dataclass(frozen=True)
class Scheme:
    """A county's scheme, validated."""

    county: str
    dir: Path
    path: Path
    sha256: str
    info: dict[str, Any]
    plan: dict[str, Any]
    working_crs: CRS
    area_method: str
    quad_segs: int
    min_overlap_m2: float
    layers: dict[str, LayerSpec]
    levels: dict[str, Any]
    strips: tuple[StripRule, ...]
    deduct: str
    published: PublishedTable
    facts: dict[str, Any]
    source_text_path: Path | None

    def layer_path(self, name: str) -> Path:
        """Path of a named input layer (``boundary``, ``rivers``, ``zones`` …)."""
        return self.layer(name).path

    def layer(self, name: str) -> LayerSpec:
        """Spec of a named input layer; SchemeError naming the scheme file if it is not declared."""
        try:
            return self.layers[name]
        except KeyError:
            raise SchemeError(
                f"{self.path}: no [layers.{name}] section; declare it with a path relative to {self.dir}"
            ) from None

    def level_for(self, category: str) -> int | None:
        """Level a category's zones take, or None when each feature's own level decides ('feature')."""
        rule = self.levels.get(category)
        if rule is None:
            raise SchemeError(f"{self.path}: [levels] has no rule for category {category!r}")
        return None if rule == "feature" else int(rule)

    def source_text(self) -> str:
        """The plan's source text (for citation checks); empty if the scheme names none."""
        if self.source_text_path is None:
            return ""
        return self.source_text_path.read_text(encoding="utf-8")

    def input_files(self) -> list[Path]:
        """Every file this scheme reads, for the manifest's hashes."""
        files = [self.path, self.published.path]
        if self.facts:
            files.append(self.dir / self.plan.get("facts", "plan_facts.toml"))
        files += [spec.path for spec in self.layers.values() if spec.path.exists()]
        return files


def _require(table: dict[str, Any], key: str, *, where: str) -> Any:
    if key not in table:
        raise SchemeError(f"{where}: missing key {key!r}")
    return table[key]


def _table(raw: dict[str, Any], key: str, *, where: str, required: bool = True) -> dict[str, Any]:
    """A TOML table (section) of the scheme; SchemeError if it is missing or not a table."""
    if key not in raw:
        if required:
            raise SchemeError(f"{where}: missing section [{key}]")
        return {}
    value = raw[key]
    if not isinstance(value, dict):
        raise SchemeError(f"{where}: [{key}] must be a table (a [{key}] section with keys), got {value!r}")
    return value


def _number(table: dict[str, Any], key: str, *, where: str, default: float | None = None, minimum: float | None = None,
            positive: bool = False, optional: bool = False) -> float | None:
    """A finite number from the scheme (ints and floats; not strings or booleans)."""
    if key not in table:
        if optional or default is not None:
            return default
        raise SchemeError(f"{where}: missing key {key!r}")
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise SchemeError(f"{where}: {key} = {value!r} must be a finite number, e.g. {key} = 500.0")
    if positive and value <= 0:
        raise SchemeError(f"{where}: {key} = {value!r} must be greater than 0")
    if minimum is not None and value < minimum:
        raise SchemeError(f"{where}: {key} = {value!r} must be at least {minimum:g}")
    return float(value)


def _integer(table: dict[str, Any], key: str, *, where: str, default: int, allowed: tuple[int, ...] | None = None,
             minimum: int | None = None) -> int:
    """A whole number from the scheme (not a float, string or boolean)."""
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise SchemeError(f"{where}: {key} = {value!r} must be a whole number, e.g. {key} = {default}")
    if (allowed is not None and value not in allowed) or (minimum is not None and value < minimum):
        rule = f"one of {', '.join(map(str, allowed))}" if allowed is not None else f">= {minimum}"
        raise SchemeError(f"{where}: {key} = {value!r} must be {rule}")
    return value


def _text(table: dict[str, Any], key: str, *, where: str, default: str | None = None) -> str:
    value = table.get(key, default)
    if value is None:
        raise SchemeError(f"{where}: missing key {key!r}")
    if not isinstance(value, str) or not value.strip():
        raise SchemeError(f"{where}: {key} = {value!r} must be a non-empty text in quotes")
    return value


def _flag(table: dict[str, Any], key: str, *, where: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise SchemeError(f"{where}: {key} = {value!r} must be true or false (no quotes)")
    return value


def read_toml(path: str | Path, *, what: str = "file") -> dict[str, Any]:
    """A county TOML file (scheme, facts, rules, standard bounds); SchemeError naming the file when it is missing,
    not UTF-8 or not valid TOML."""
    path = Path(path)
    if not path.is_file():
        raise SchemeError(f"{path}: {what} not found")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SchemeError(f"{path}: not valid TOML ({exc}); fix the syntax at the position given") from exc
    except UnicodeDecodeError as exc:
        raise SchemeError(f"{path}: not UTF-8 text; save it as UTF-8") from exc


def load_published(path: Path) -> PublishedTable:
    """Read the transcribed published table (CSV, UTF-8; leading '#' lines are notes)."""
    if not path.is_file():
        raise SchemeError(f"{path}: published table not found")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SchemeError(f"{path}: not UTF-8 text; save it as UTF-8") from exc
    lines = text.splitlines(keepends=True)
    skipped = 0
    while skipped < len(lines) and lines[skipped].startswith("#"):
        skipped += 1
    reader = csv.DictReader(io.StringIO("".join(lines[skipped:])))
    missing = [c for c in PUBLISHED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise SchemeError(f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(PUBLISHED_COLUMNS)}")
    zones: list[PublishedZone] = []
    subtotal = total = None
    seen: set[str] = set()
    for offset, row in enumerate(reader):
        line = skipped + 2 + offset  # 1-based file line (header is skipped + 1)
        where = f"{path.name} line {line}"
        if None in row or any(v is None for v in row.values()):
            fields = sum(v is not None for k, v in row.items() if k is not None) + len(row.get(None) or [])
            raise SchemeError(f"{where}: has {fields} fields, the header has {len(reader.fieldnames)}; quote values "
                              "that contain commas (a decimal comma? write 0.131, not 0,131)")
        kind = (row["row_type"] or "").strip()

        def num(col: str) -> Printed | None:
            text = (row[col] or "").strip()
            return Printed.parse(text, where=f"{where} column {col}") if text else None

        if kind == "zone":
            code = row["code"].strip()
            if not code:
                raise SchemeError(f"{where}: zone row without a code")
            if code in seen:
                raise SchemeError(f"{where}: duplicate zone code {code}; each code appears once")
            seen.add(code)
            category = row["category"].strip()
            if category not in CATEGORIES:
                raise SchemeError(f"{where}: category {category!r} unknown; use one of {', '.join(CATEGORIES)}")
            zones.append(
                PublishedZone(
                    line=line, code=code, seq=row["seq"].strip(), name=row["name"].strip(), category=category,
                    category_printed=row["category_printed"].strip(), level1=num("level1_km2"),
                    level2=num("level2_km2"), overlap_with=(row["overlap_with"] or "").strip() or None,
                    overlap=num("overlap_km2"), overlap_unit_printed=(row["overlap_unit_printed"] or "").strip(),
                    overlap_note=(row["overlap_note"] or "").strip(),
                )
            )
        elif kind == "subtotal":
            if subtotal is not None:
                raise SchemeError(f"{where}: a second 'subtotal' row (the first is at {subtotal[3]}); keep exactly one")
            subtotal = (num("level1_km2"), num("level2_km2"), num("overlap_km2"), where)
        elif kind == "total":
            if total is not None:
                raise SchemeError(f"{where}: a second 'total' row (the first is at {total[1]}); keep exactly one")
            total = (num("net_km2"), where)
        else:
            raise SchemeError(f"{where}: row_type {kind!r} unknown; use zone, subtotal or total")
    if not zones:
        raise SchemeError(f"{path}: no zone rows")
    if subtotal is None or None in subtotal[:3]:
        raise SchemeError(f"{path}: needs one 'subtotal' row with level1_km2, level2_km2 and overlap_km2 as printed")
    if total is None or total[0] is None:
        raise SchemeError(f"{path}: needs one 'total' row with net_km2 as printed")
    codes = {z.code for z in zones}
    for z in zones:
        if z.overlap_with and z.overlap_with not in codes:
            raise SchemeError(f"{path.name} line {z.line}: overlap_with {z.overlap_with!r} is not a zone code of the table")
    return PublishedTable(path, tuple(zones), subtotal[0], subtotal[1], subtotal[2], total[0])


SCHEME_SECTIONS = ("county", "plan", "crs", "area", "geometry", "layers", "levels", "strips", "accounting")
STRIP_KEYS = ("code", "name", "category", "level", "river", "distance_m", "half_width_m", "reach_from_m", "reach_to_m",
              "clip_to", "reconstructed", "note")
#: Layers a strip may be clipped to (polygon layers the pipeline reads).
CLIP_LAYERS = ("boundary",)


def _no_unknown_keys(table: dict[str, Any], known: tuple[str, ...], *, where: str) -> None:
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise SchemeError(f"{where}: unknown key(s) {', '.join(unknown)} (a typo?); known keys: {', '.join(known)}")


def _strip_rule(raw: Any, *, where: str, layers: dict[str, "LayerSpec"]) -> StripRule:
    if not isinstance(raw, dict):
        raise SchemeError(f"{where}: each strip must be a [[strips]] table, got {raw!r}")
    _no_unknown_keys(raw, STRIP_KEYS, where=where)
    reach_from = _number(raw, "reach_from_m", where=where, optional=True, minimum=0.0)
    reach_to = _number(raw, "reach_to_m", where=where, optional=True, positive=True)
    if reach_from is not None and reach_to is not None and reach_to <= reach_from:
        raise SchemeError(f"{where}: reach_to_m ({reach_to:g}) must be greater than reach_from_m ({reach_from:g})")
    clip_to = raw.get("clip_to")
    if clip_to is not None and (clip_to not in CLIP_LAYERS or clip_to not in layers):
        raise SchemeError(f"{where}: clip_to = {clip_to!r}: a strip is clipped to the county, write clip_to = \"boundary\" "
                          "(with a [layers.boundary] section) or leave it out")
    category = _text(raw, "category", where=where, default="xiang_strip")
    if category not in CATEGORIES:
        raise SchemeError(f"{where}: category {category!r} unknown; use one of {', '.join(CATEGORIES)}")
    return StripRule(
        code=_text(raw, "code", where=where),
        name=str(raw.get("name", "")),
        category=category,
        level=_integer(raw, "level", where=where, default=1, allowed=(1, 2)),
        river=_text(raw, "river", where=where),
        distance_m=_number(raw, "distance_m", where=where, positive=True),
        half_width_m=_number(raw, "half_width_m", where=where, default=0.0, minimum=0.0),
        reach_from_m=reach_from,
        reach_to_m=reach_to,
        clip_to=clip_to,
        reconstructed=_flag(raw, "reconstructed", where=where, default=False),
        note=str(raw.get("note", "")),
    )


_FACT_KEYS = {
    "counts": {"what": str, "category": str, "count": int, "clause": str, "quote": str},
    "water_sources": {"declared_count": int, "clause": str, "quote": str},
    "xiang_strip": {"code": str, "distance_m": (int, float), "distance_clause": str, "distance_quote": str,
                    "area_km2": str, "area_clause": str, "area_quote": str, "townships": list, "townships_quote": str,
                    "overlapping_water_source_count": int, "overlapping_water_sources": list,
                    "overlapping_water_sources_quote": str},
    "nature_reserve": {"code": str, "total_area_km2": str, "land_area_km2": str, "clause": str, "quote": str},
    "town_builtup": {"clause": str, "quote": str, "names": list},
    "levels": {"clause": str, "quote": str, "level1": list, "level2": list},
}


def _check_facts(facts: dict[str, Any], *, where: str) -> None:
    """The plan-facts file has the keys and types the text checks read (a typo is an input error, not a finding)."""
    for section, keys in _FACT_KEYS.items():
        if section not in facts:
            continue
        entries = facts[section] if section == "counts" else [facts[section]]
        if not isinstance(entries, list):
            raise SchemeError(f"{where}: {section} must be [[{section}]] tables")
        for i, entry in enumerate(entries):
            label = f"{where} [{'[counts]] #' + str(i + 1) if section == 'counts' else section + ']'}"
            if not isinstance(entry, dict):
                raise SchemeError(f"{label}: must be a table")
            for key, kind in keys.items():
                value = entry.get(key)
                if value is None:
                    raise SchemeError(f"{label}: missing key {key!r}")
                if isinstance(value, bool) or not isinstance(value, kind):
                    raise SchemeError(f"{label}: {key} = {value!r} has the wrong type")
                if kind is int and value < 0:
                    raise SchemeError(f"{label}: {key} = {value!r} must not be negative")
            if section == "counts":
                if entry["category"] not in (*CATEGORIES, "all"):
                    raise SchemeError(f"{label}: category {entry['category']!r} unknown; use all or {', '.join(CATEGORIES)}")
                if entry.get("level") not in (None, 1, 2):
                    raise SchemeError(f"{label}: level = {entry.get('level')!r} must be 1 or 2")


def scheme_path(county: str | Path) -> Path:
    """The scheme file of a county name (``data/<county>/scheme.toml``) or of a given folder or file."""
    p = Path(county)
    if p.suffix == ".toml":
        return p
    if p.is_dir():
        return p / "scheme.toml"
    return settings.county_dir(str(county)) / "scheme.toml"


def load_scheme(county: str | Path | None = None) -> Scheme:
    """Load and validate a county's scheme, published table and plan facts.

    ``county`` is a county name under ``data/`` (default: settings.default_county), a county folder, or a scheme file.
    """
    path = scheme_path(county or settings.default_county)
    if not path.is_file():
        raise SchemeError(f"{path}: scheme file not found; a county needs data/<county>/scheme.toml")
    raw = read_toml(path)
    base = path.parent
    where = str(path)
    _no_unknown_keys(raw, SCHEME_SECTIONS, where=where)
    county_tbl = _table(raw, "county", where=where)
    plan = _table(raw, "plan", where=where, required=False)
    crs_tbl = _table(raw, "crs", where=where)
    crs = as_crs(_text(crs_tbl, "working", where=f"{where} [crs]"), what=f"{where} [crs] working")
    if not crs.is_projected:
        raise SchemeError(f"{where}: [crs] working must be a projected CRS (buffers are taken in metres), got {crs.name}")
    method = _text(_table(raw, "area", where=where), "method", where=f"{where} [area]")
    if method not in AREA_METHODS:
        raise SchemeError(f"{where}: [area] method {method!r} unknown; choose one of {', '.join(AREA_METHODS)}")
    geometry = _table(raw, "geometry", where=where, required=False)
    quad_segs = _integer(geometry, "quad_segs", where=f"{where} [geometry]", default=16, minimum=1)
    min_overlap = _number(geometry, "min_overlap_m2", where=f"{where} [geometry]", default=1.0, minimum=0.0)
    layers = {}
    for name, spec in _table(raw, "layers", where=where).items():
        lwhere = f"{where} [layers.{name}]"
        if not isinstance(spec, dict):
            raise SchemeError(f"{lwhere}: must be a table with at least path = \"...\"")
        lpath = base / _text(spec, "path", where=lwhere)
        layer = spec.get("layer")
        if layer is not None and not isinstance(layer, str):
            raise SchemeError(f"{lwhere}: layer = {layer!r} must be a layer name in quotes")
        layers[name] = LayerSpec(name, lpath, layer, {k: v for k, v in spec.items() if k not in ("path", "layer")})
    levels = _table(raw, "levels", where=where)
    for category, rule in levels.items():
        if category not in CATEGORIES or isinstance(rule, bool) or rule not in ("feature", 1, 2):
            raise SchemeError(f"{where}: [levels] {category} = {rule!r}; categories are {', '.join(CATEGORIES)}, levels 1, 2 or 'feature'")
    strips_raw = raw.get("strips", [])
    if not isinstance(strips_raw, list):
        raise SchemeError(f"{where}: strips must be [[strips]] tables (double brackets), got [strips]")
    strips = tuple(_strip_rule(s, where=f"{where} [[strips]] #{i + 1}", layers=layers) for i, s in enumerate(strips_raw))
    deduct = _table(raw, "accounting", where=where, required=False).get("deduct", "published")
    if deduct not in ("published", "none", "all"):
        raise SchemeError(f"{where}: [accounting] deduct = {deduct!r}; choose 'published', 'all' or 'none'")
    published = load_published(base / plan.get("published_table", "published.csv"))
    codes = [r.code for r in strips]
    for i, rule in enumerate(strips):
        swhere = f"{where} [[strips]] #{i + 1} ({rule.code})"
        if codes.count(rule.code) > 1:
            raise SchemeError(f"{swhere}: code {rule.code} is used by more than one strip; each zone code appears once")
        if rule.code not in {z.code for z in published.zones}:
            raise SchemeError(f"{swhere}: no row of {published.path.name} has code {rule.code!r}; use the table's code")
        fixed = levels.get(rule.category)
        if isinstance(fixed, int) and rule.level != fixed:
            raise SchemeError(f"{swhere}: level = {rule.level}, but [levels] puts {rule.category} at level {fixed}")
    facts_path = base / plan.get("facts", "plan_facts.toml")
    facts = read_toml(facts_path) if facts_path.is_file() else {}
    _check_facts(facts, where=str(facts_path))
    source_text = plan.get("source_text")
    scheme = Scheme(
        county=str(county_tbl.get("id", base.name)), dir=base, path=path,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(), info=county_tbl, plan=plan, working_crs=crs,
        area_method=method, quad_segs=quad_segs, min_overlap_m2=min_overlap,
        layers=layers, levels=levels, strips=strips, deduct=deduct, published=published, facts=facts,
        source_text_path=(base / source_text) if source_text else None,
    )
    log.debug("loaded scheme %s: %d published zones, %d strip rules", path, len(published.zones), len(strips))
    return scheme
