"""Area methods against closed-form answers, and angle notation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from pyproj import CRS

from zoning.crs import area_km2, parse_angle
from zoning.errors import CoordinateError, CRSError

GRS80_A = 6378137.0
GRS80_F = 1 / 298.257222101


def _ellipsoid_band_area(lat1: float, lat2: float, dlon: float) -> float:
    """Closed-form area (m²) of the ellipsoid between two parallels over ``dlon`` degrees of longitude."""
    e = math.sqrt(GRS80_F * (2 - GRS80_F))
    b2 = (GRS80_A * (1 - GRS80_F)) ** 2

    def s(phi: float) -> float:
        x = math.sin(math.radians(phi))
        return x / (1 - (e * x) ** 2) + math.log((1 + e * x) / (1 - e * x)) / (2 * e)

    return math.radians(dlon) * b2 / 2 * (s(lat2) - s(lat1))


def _lonlat_box(lon1, lat1, lon2, lat2, n=2000):
    t = np.linspace(0, 1, n)
    xs = np.concatenate([lon1 + (lon2 - lon1) * t, np.full(n, lon2), lon2 - (lon2 - lon1) * t, np.full(n, lon1)])
    ys = np.concatenate([np.full(n, lat1), lat1 + (lat2 - lat1) * t, np.full(n, lat2), lat2 - (lat2 - lat1) * t])
    return shapely.Polygon(np.column_stack([xs, ys]))


def test_ellipsoidal_area_matches_the_closed_form():
    box = _lonlat_box(112.6, 26.8, 112.7, 26.9)
    expected = _ellipsoid_band_area(26.8, 26.9, 0.1) / 1e6
    got = area_km2(np.array([box]), CRS("EPSG:4490"), "ellipsoidal")[0]
    assert got == pytest.approx(expected, rel=1e-7)
    assert 110.0 < expected < 111.0  # about 11.1 km × 9.9 km


def test_ellipsoidal_area_is_independent_of_the_projection_it_is_given_in():
    box = _lonlat_box(112.6, 26.8, 112.7, 26.9, n=200)
    from pyproj import Transformer

    t = Transformer.from_crs("EPSG:4490", "EPSG:4547", always_xy=True)
    projected = shapely.transform(box, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))
    a_geo = area_km2(np.array([box]), CRS("EPSG:4490"), "ellipsoidal")[0]
    a_gk = area_km2(np.array([projected]), CRS("EPSG:4547"), "ellipsoidal")[0]
    planar = area_km2(np.array([projected]), CRS("EPSG:4547"), "planar")[0]
    assert a_gk == pytest.approx(a_geo, rel=1e-9)
    # Gauss-Krüger enlarges areas away from the central meridian (114E): k ≈ 1 + x²/2R², x ≈ 136 km here
    assert planar / a_geo - 1 == pytest.approx(2 * (136e3**2) / (2 * 6371e3**2), rel=0.1)


def test_planar_area_needs_a_projected_crs():
    with pytest.raises(CRSError, match="projected"):
        area_km2(np.array([shapely.box(0, 0, 1, 1)]), CRS("EPSG:4326"), "planar")
    with pytest.raises(CRSError, match="choose one of"):
        area_km2(np.array([shapely.box(0, 0, 1, 1)]), CRS("EPSG:4547"), "geodesic")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('112°50´23"', 112 + 50 / 60 + 23 / 3600),
        ("112°50′23″E", 112 + 50 / 60 + 23 / 3600),
        ('东经112°52´11"', 112 + 52 / 60 + 11 / 3600),
        ("26°39'48\"N", 26 + 39 / 60 + 48 / 3600),
        ("26°41’13”", 26 + 41 / 60 + 13 / 3600),
        ("112度50分23秒", 112 + 50 / 60 + 23 / 3600),
        ("112 50 23", 112 + 50 / 60 + 23 / 3600),
        ("26.6632", 26.6632),
        ("26°39.8'", 26 + 39.8 / 60),
        ("33°S", -33.0),
    ],
)
def test_parse_angle_reads_the_notations_people_type(text, expected):
    assert parse_angle(text) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("text", ["abc", "112°75′00″", "112.5°30′", "N112°E", ""])
def test_parse_angle_rejects_nonsense(text):
    with pytest.raises(CoordinateError):
        parse_angle(text)


def test_parse_angle_checks_the_axis():
    with pytest.raises(CoordinateError, match="latitude"):
        parse_angle("112°50′23″E", axis="lat")
