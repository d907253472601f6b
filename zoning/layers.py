"""Read vector inputs and check them before any geometry is trusted.

Checks, each failing with a :class:`~zoning.errors.LayerError` that names the file (and the feature) and the fix:
the file exists and is readable; it has features; it declares a CRS whose axis ranges fit the coordinates; required
columns exist; no geometry is missing, empty or of the wrong type; no code is empty or repeated; geometries are valid
— or, with ``repair=True``, repaired by ``make_valid`` with one logged note per feature.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS, Transformer

from zoning.errors import LayerError
from zoning.geoprocess import make_valid_polygonal

log = logging.getLogger(__name__)

POLYGONAL = ("Polygon", "MultiPolygon")
LINEAR = ("LineString", "MultiLineString")
PUNTAL = ("Point", "MultiPoint")


@dataclass
class RepairLog:
    """Notes on features repaired while reading (kept for the manifest and the report)."""

    notes: list[str] = field(default_factory=list)

    def add(self, note: str) -> None:
        log.warning("repaired: %s", note)
        self.notes.append(note)


def _plain(value: object) -> object:
    """A numpy scalar as the Python value it holds (so messages read `level=1`, not `np.int64(1)`)."""
    return value.item() if hasattr(value, "item") else value


def _feature_label(gdf: gpd.GeoDataFrame, idx: int, id_columns: Iterable[str]) -> str:
    parts = [f"feature #{idx + 1}"]
    for col in id_columns:
        if col in gdf.columns:
            parts.append(f"{col}={_plain(gdf.iloc[idx][col])!r}")
    return " ".join(parts)


def _check_crs_plausible(gdf: gpd.GeoDataFrame, path: Path) -> None:
    crs: CRS = gdf.crs
    minx, miny, maxx, maxy = gdf.total_bounds
    if crs.is_geographic:
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            raise LayerError(
                f"{path}: declares geographic CRS {crs.to_string()} but coordinates reach "
                f"x {minx:.0f}..{maxx:.0f}, y {miny:.0f}..{maxy:.0f} (metres?); declare the projected CRS the data is in"
            )
        return
    aou = crs.area_of_use
    if aou is None:
        return
    to_geo = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    lon, lat = to_geo.transform(np.array([minx, maxx, minx, maxx]), np.array([miny, miny, maxy, maxy]))
    margin = 5.0
    if not (
        np.all(np.isfinite(lon)) and np.all(np.isfinite(lat))
        and aou.west - margin <= np.min(lon) and np.max(lon) <= aou.east + margin
        and aou.south - margin <= np.min(lat) and np.max(lat) <= aou.north + margin
    ):
        raise LayerError(
            f"{path}: coordinates (x {minx:.1f}..{maxx:.1f}, y {miny:.1f}..{maxy:.1f}) fall outside the area of use of "
            f"its declared CRS {crs.to_string()} ({aou.name}); the CRS label is probably wrong — declare the CRS the data is in"
        )


def read_layer(
    path: str | Path,
    *,
    layer: str | None = None,
    what: str = "layer",
    geom_types: tuple[str, ...] = POLYGONAL,
    required_columns: Iterable[str] = (),
    code_columns: tuple[str, ...] = (),
    repair: bool = False,
    repairs: RepairLog | None = None,
    encoding: str | None = None,
) -> gpd.GeoDataFrame:
    """Read one vector layer and validate it.

    Parameters
    ----------
    path, layer
        File (GeoPackage, GeoJSON, Shapefile …) and layer name for multi-layer files.
    what
        What the layer is, for messages ("zones layer").
    geom_types
        Allowed geometry types.
    required_columns
        Attribute columns that must exist (and be non-empty for ``code_columns``).
    code_columns
        Columns that together identify a feature: each must be non-empty and the combination unique.
    repair
        Repair invalid geometries with ``make_valid`` (logged per feature) instead of failing.
    """
    path = Path(path)
    label = f"{what} {path}" + (f" (layer {layer!r})" if layer else "")
    if not path.exists():
        raise LayerError(f"{label}: file not found; check the path in the scheme file")
    if path.is_file() and path.stat().st_size == 0:
        raise LayerError(f"{label}: file is empty (0 bytes); regenerate or replace it")
    try:
        if layer is not None and layer not in [name for name, _ in pyogrio.list_layers(path)]:
            raise LayerError(f"{label}: no layer named {layer!r}; the file has {[n for n, _ in pyogrio.list_layers(path)]}")
        gdf = gpd.read_file(path, layer=layer, engine="pyogrio", encoding=encoding)
    except LayerError:
        raise
    except Exception as exc:  # pyogrio raises several DataSource/Field errors; all mean "unreadable"
        raise LayerError(f"{label}: cannot be read as vector data ({type(exc).__name__}: {exc}); check the file format") from exc
    if len(gdf) == 0:
        raise LayerError(f"{label}: has no features; it must contain at least one")
    if path.suffix.lower() == ".shp" and encoding is None and not path.with_suffix(".cpg").exists():
        text_cols = [c for c in gdf.columns if c != "geometry" and pd.api.types.is_string_dtype(gdf[c].dtype)]
        if any(gdf[c].dropna().astype(str).str.contains(r"[^\x00-\x7f]").any() for c in text_cols):
            raise LayerError(f"{label}: a Shapefile without a .cpg file has non-ASCII text, so its encoding is unknown "
                             "(names would be garbled); add a .cpg file (e.g. containing GBK) or set encoding = \"gbk\" "
                             "in the scheme's [layers.…] section")
    if gdf.crs is None:
        raise LayerError(
            f"{label}: has no CRS; declare one (GeoPackage/GeoJSON with a CRS, or a .prj next to a Shapefile), "
            "e.g. `ogr2ogr -a_srs EPSG:4326 fixed.gpkg input`"
        )
    required = list(dict.fromkeys([*required_columns, *code_columns]))
    missing = [c for c in required if c not in gdf.columns]
    if missing:
        present = [c for c in gdf.columns if c != "geometry"]
        raise LayerError(f"{label}: missing column(s) {', '.join(missing)}; present: {', '.join(present) or 'none'}")
    geoms = gdf.geometry.values
    missing_geom = np.flatnonzero(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if len(missing_geom):
        raise LayerError(f"{label}: {_feature_label(gdf, int(missing_geom[0]), code_columns)} has no geometry; remove it or draw it")
    bad_type = np.flatnonzero(~np.isin(gdf.geom_type.values, geom_types))
    if len(bad_type):
        i = int(bad_type[0])
        raise LayerError(f"{label}: {_feature_label(gdf, i, code_columns)} is a {gdf.geom_type.iloc[i]}; expected {' or '.join(geom_types)}")
    _check_crs_plausible(gdf, path)
    for col in code_columns:
        empty = np.flatnonzero(gdf[col].isna().values | (gdf[col].astype(str).str.strip() == "").values)
        if len(empty):
            raise LayerError(f"{label}: {_feature_label(gdf, int(empty[0]), code_columns)} has an empty {col}; every feature needs one")
    if code_columns:
        dup = gdf.duplicated(subset=list(code_columns), keep=False)
        if dup.any():
            key = ", ".join(f"{c}={_plain(gdf.loc[dup, c].iloc[0])!r}" for c in code_columns)
            rows = ", ".join(f"#{i + 1}" for i in np.flatnonzero(dup.values))
            raise LayerError(f"{label}: duplicate {key} in features {rows}; each must be unique")
    invalid = np.flatnonzero(~shapely.is_valid(geoms))
    if len(invalid):
        if not repair:
            i = int(invalid[0])
            raise LayerError(
                f"{label}: {_feature_label(gdf, i, code_columns)} has invalid geometry "
                f"({shapely.is_valid_reason(geoms[i])}); fix it, or rerun with --repair to repair it with make_valid"
                + (f" ({len(invalid)} invalid features in all)" if len(invalid) > 1 else "")
            )
        fixed = list(geoms)
        for i in invalid:
            reason = shapely.is_valid_reason(geoms[i])
            fixed[i] = make_valid_polygonal(geoms[i]) if geom_types == POLYGONAL else shapely.make_valid(geoms[i])
            note = f"{path.name}: {_feature_label(gdf, int(i), code_columns)}: {reason} -> repaired with make_valid"
            (repairs or RepairLog()).add(note)
        gdf = gdf.set_geometry(gpd.GeoSeries(fixed, index=gdf.index, crs=gdf.crs))
    return gdf
