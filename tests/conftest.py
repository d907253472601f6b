"""Shared fixtures: the synthetic county (analytic answers) and the bundled Hengnan scheme."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.county import write_county
from zoning.scheme import load_scheme

REPO = Path(__file__).resolve().parent.parent
HENGNAN = REPO / "data" / "hengnan"


@pytest.fixture
def county_dir(tmp_path: Path) -> Path:
    """A fresh synthetic county folder (planar area method)."""
    write_county(tmp_path / "testland")
    return tmp_path / "testland"


@pytest.fixture
def county_scheme(county_dir: Path):
    return load_scheme(county_dir)


@pytest.fixture(scope="session")
def hengnan_scheme():
    return load_scheme(HENGNAN)


@pytest.fixture(scope="session")
def hengnan_build(hengnan_scheme, tmp_path_factory):
    """The bundled Hengnan data built once per session into a temporary folder, and its reconciliation."""
    from zoning import pipeline, reconcile

    out = tmp_path_factory.mktemp("hengnan")
    result = pipeline.build(hengnan_scheme, out_dir=out)
    return result, reconcile.reconcile(hengnan_scheme, zones_gpkg=result.zones_gpkg)
