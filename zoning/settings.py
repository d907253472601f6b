"""Process-wide defaults, in one place.

County-specific facts never live here: they belong to ``data/<county>/scheme.toml``.
These are knobs that apply to every county and every run.

- ``data_dir``: where county folders live (``data/<county>/``).
- ``out_dir``: where generated outputs go (``out/<county>/``).
- ``default_county``: county used when a command is not told one.
- ``zones_filename``: the one GeoPackage every consumer reads.
- ``wgs84``: the CRS of point input by default (phone GPS).
- ``area_tolerance_km2``: absolute tolerance used when no printed precision applies.
- ``edge_tolerance_m``: a point this close to a zone's edge is on the edge, hence inside. Coordinates that went
  through a CRS transformation come back a few nanometres off; 1 mm is far below any survey's precision.
"""

from __future__ import annotations

import os
from pathlib import Path

_REPO_ROOT = Path(__file__).resolve().parent.parent

data_dir: Path = Path(os.environ.get("ZONING_DATA_DIR", _REPO_ROOT / "data"))
out_dir: Path = Path(os.environ.get("ZONING_OUT_DIR", _REPO_ROOT / "out"))
default_county: str = "hengnan"
zones_filename: str = "zones.gpkg"
wgs84: str = "EPSG:4326"
area_tolerance_km2: float = 1e-6
edge_tolerance_m: float = 0.001


def county_dir(county: str) -> Path:
    """Folder of a county's inputs: ``data/<county>/``."""
    return data_dir / county


def county_out_dir(county: str) -> Path:
    """Folder of a county's generated outputs: ``out/<county>/``."""
    return out_dir / county


def zones_path(county: str) -> Path:
    """The zones GeoPackage that ``zoning build`` writes and every consumer reads."""
    return county_out_dir(county) / zones_filename
