"""Atomic output writing, file hashes and run manifests.

Every output is written to a temporary file in the destination folder and renamed into place, so a
failed run never leaves a half-written file and an existing good output survives a failed re-run.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import os
import platform
import tempfile
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from zoning.errors import OutputError

_VERSIONED_PACKAGES = ("zoning", "geopandas", "shapely", "pyproj", "pyogrio", "rasterio", "folium", "numpy", "pandas")


def _temp_beside(dest: Path) -> Path:
    """A fresh temporary name in ``dest``'s folder (same file system, so the final rename is atomic)."""
    if dest.is_dir():
        raise OutputError(f"cannot write {dest}: a folder of that name exists; remove it or choose another output path")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=dest.suffix, dir=dest.parent)
    except OSError as exc:
        raise OutputError(f"cannot write to {dest.parent}: {exc.strerror or exc}; choose a writable output folder") from exc
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # writers such as GDAL want to create the file themselves
    return tmp


@contextlib.contextmanager
def atomic_paths(*destinations: str | os.PathLike[str], protect: tuple[Path, ...] = ()) -> Iterator[list[Path]]:
    """Yield temporary paths next to ``destinations``; rename them all into place only if the block succeeds.

    A set of outputs that belong together (a GeoPackage and its manifest) is replaced together: if anything fails,
    none of them is touched. ``protect`` lists input files that may never be written over.
    """
    dests = [Path(d).resolve() for d in destinations]
    for dest in dests:
        for p in protect:
            if Path(p).resolve() == dest:
                raise OutputError(f"refusing to write {dest}: it is an input file; choose another output path")
    temps: list[Path] = []
    try:
        for dest in dests:
            temps.append(_temp_beside(dest))
        yield temps
        for tmp, dest in zip(temps, dests):
            if not tmp.exists():
                raise OutputError(f"internal: nothing was written for {dest}")
        for tmp, dest in zip(temps, dests):
            os.replace(tmp, dest)
    finally:
        for tmp in temps:
            if tmp.exists():
                tmp.unlink()


@contextlib.contextmanager
def atomic_path(destination: str | os.PathLike[str], *, protect: tuple[Path, ...] = ()) -> Iterator[Path]:
    """Yield a temporary path next to ``destination``; rename it into place only if the block succeeds.

    ``protect`` lists input files: writing over one of them is refused (inputs are never modified).
    """
    with atomic_paths(destination, protect=protect) as (tmp,):
        yield tmp


def write_text(destination: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 text atomically."""
    with atomic_path(destination) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(destination)


def write_json(destination: str | os.PathLike[str], data: Any) -> Path:
    """Write JSON (UTF-8, not ASCII-escaped, indented) atomically."""
    return write_text(destination, json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def sha256(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def package_versions() -> dict[str, str]:
    """Versions of the packages whose behaviour decides the numbers."""
    versions = {"python": platform.python_version()}
    for name in _VERSIONED_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    try:
        import pyproj

        versions["PROJ"] = pyproj.proj_version_str
    except ImportError:  # pragma: no cover
        pass
    try:
        import pyogrio

        versions["GDAL"] = pyogrio.__gdal_version_string__
    except ImportError:  # pragma: no cover
        pass
    return versions


def utc_now() -> str:
    """Current time, UTC, ISO 8601 to the second."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()
