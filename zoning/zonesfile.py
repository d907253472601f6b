"""The zones GeoPackage that `zoning build` writes: one checked reader for every consumer.

Consumers (reconcile, site check, map, raster) read ``out/<county>/zones.gpkg`` only through these functions, so a
missing, corrupt or foreign file gets the same clear message everywhere.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio

from zoning.crs import describe_crs
from zoning.errors import CRSError, LayerError, ZonesNotBuiltError

MAKE_HINT = "run `make zones` (zoning build) to create it"


def read_zones_layer(zones_gpkg: str | os.PathLike[str], layer: str, columns: tuple[str, ...] = ()) -> gpd.GeoDataFrame:
    """Read one layer of the zones GeoPackage, checking it exists, has ``columns`` and a projected CRS.

    Raises
    ------
    ZonesNotBuiltError
        The GeoPackage does not exist.
    LayerError
        The layer or a column is missing, or the file is not a readable GeoPackage.
    """
    path = Path(zones_gpkg)
    names = layer_names(path)
    if layer not in names:
        raise LayerError(f"{path}: layer {layer!r} is missing (found: {', '.join(names) or 'none'}); {MAKE_HINT} again")
    try:
        gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as exc:  # a damaged page or geometry blob surfaces as pyogrio/GEOS errors of several kinds
        raise LayerError(f"{path}: layer {layer!r} cannot be read ({type(exc).__name__}: {exc}); {MAKE_HINT} again") from exc
    missing = [c for c in columns if c not in gdf.columns]
    if missing:
        raise LayerError(f"{path}: layer {layer!r} lacks column(s) {', '.join(missing)}; {MAKE_HINT} again")
    if gdf.crs is None:
        raise LayerError(f"{path}: layer {layer!r} has no CRS; {MAKE_HINT} again")
    if not gdf.crs.is_projected:
        raise CRSError(f"{path}: layer {layer!r} is in {describe_crs(gdf.crs)}, expected the projected working CRS")
    return gdf



def layer_names(zones_gpkg: str | os.PathLike[str]) -> list[str]:
    """Layer names of the zones GeoPackage (checked to exist and be readable)."""
    path = Path(zones_gpkg)
    if not path.is_file():
        raise ZonesNotBuiltError(f"zones GeoPackage {path} does not exist; {MAKE_HINT}")
    try:
        return [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise LayerError(f"{path}: not a readable GeoPackage ({exc}); {MAKE_HINT}") from exc


def read_manifest(zones_gpkg: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``manifest.json`` written next to the zones GeoPackage (empty if absent or unreadable)."""
    path = Path(zones_gpkg).with_name("manifest.json")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
