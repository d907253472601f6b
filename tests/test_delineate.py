"""zoning.delineate on synthetic fixtures with analytic answers (EPSG:4547 metres)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import shapely
from pyproj import CRS, Proj

from zoning import delineate as dl
from zoning.crs import area_km2
from zoning.errors import SchemeError

CRS4547 = CRS.from_epsg(4547)
X0, Y0 = 480_000.0, 2_950_000.0  # near 113.8 E, 26.7 N
STANDARD = Path(__file__).resolve().parents[1] / "data" / "hengnan" / "delineation.toml"


@pytest.fixture()
def straight_river() -> shapely.LineString:
    """A straight river 10 km long flowing east (first vertex upstream)."""
    return shapely.LineString([(X0, Y0), (X0 + 10_000.0, Y0)])


def planar(g) -> float:
    return float(shapely.area(g))


def test_river_land_zone_is_two_length_depth(straight_river):
    g = dl.river_land_zone(straight_river, 5000.0, upstream_m=1000.0, downstream_m=100.0, depth_m=50.0, half_width_m=80.0)
    assert planar(g) == pytest.approx(2 * 1100.0 * 50.0, rel=1e-9)
    # land only: nothing within the 80 m water band
    assert planar(g.intersection(straight_river.buffer(79.9))) < 1e-6
    # the reach starts 1000 m upstream of the intake, ends 100 m downstream
    minx, _, maxx, _ = g.bounds
    assert (minx, maxx) == pytest.approx((X0 + 4000.0, X0 + 5100.0), abs=1e-6)


def test_reach_is_cut_at_the_line_end(straight_river):
    g = dl.river_land_zone(straight_river, 500.0, upstream_m=1000.0, downstream_m=100.0, depth_m=40.0, half_width_m=0.0)
    assert planar(g) == pytest.approx(2 * 600.0 * 40.0, rel=1e-9)


def test_level2_ring_touches_level1(straight_river):
    l1 = dict(upstream_m=1000.0, downstream_m=100.0, depth_m=50.0)
    l2 = dict(upstream_m=2000.0, downstream_m=200.0, depth_m=1000.0)
    one, two = dl.river_source_zones(straight_river, 6000.0, level1=l1, level2=l2, half_width_m=100.0)
    assert planar(two) == pytest.approx(2 * (3300.0 * 1000.0 - 1100.0 * 50.0), rel=1e-9)
    assert planar(one.intersection(two)) < 1e-6
    assert one.touches(two) or one.intersection(two).area < 1e-6
    assert planar(one.union(two)) == pytest.approx(2 * 3300.0 * 1000.0, rel=1e-9)


def test_well_zone_polygon_area():
    for q in (4, 16):
        g = dl.well_zone(shapely.Point(X0, Y0), 47.0, quad_segs=q)
        n = 4 * q
        assert planar(g) == pytest.approx(0.5 * n * 47.0**2 * math.sin(2 * math.pi / n), rel=1e-9)
        assert planar(g) == pytest.approx(dl.polygon_circle_area(47.0, q), rel=1e-9)
    # 16 segments per quarter: the polygon is short of the circle by the known relative amount
    assert planar(dl.well_zone(shapely.Point(X0, Y0), 100.0)) / (math.pi * 100.0**2) == pytest.approx(
        64 * math.sin(2 * math.pi / 64) / (2 * math.pi), rel=1e-9
    )


def test_reservoir_rings_on_a_square():
    a, d1, d2, q = 400.0, 120.0, 300.0, 16
    square = shapely.box(X0, Y0, X0 + a, Y0 + a)
    one, two = dl.reservoir_zones(square, d1, d2, quad_segs=q)

    def grown(d: float) -> float:  # square buffered with round joins of 4 corners of q segments each
        return a * a + 4 * a * d + dl.polygon_circle_area(d, q)

    assert planar(one) == pytest.approx(grown(d1) - a * a, rel=1e-9)
    assert planar(two) == pytest.approx(grown(d1 + d2) - grown(d1), rel=1e-9)
    assert planar(one.intersection(two)) < 1e-6


def test_fit_depth_planar_matches_analytic(straight_river):
    target = 0.131  # km²; straight reach of 1100 m -> depth = A / (2 L)
    fit, g = dl.fit_size(
        lambda d: dl.river_land_zone(straight_river, 5000.0, upstream_m=1000.0, downstream_m=100.0, depth_m=d, half_width_m=100.0),
        target, crs=CRS4547, method="planar", parameter="depth_m", tol_km2=1e-9,
    )
    assert fit.value == pytest.approx(target * 1e6 / 2200.0, abs=1e-4)
    assert abs(fit.error_km2) <= 1e-9
    assert planar(g) / 1e6 == pytest.approx(target, abs=1e-9)


def test_fit_radius_ellipsoidal_against_scale_factor():
    """Ellipsoidal area = planar area / areal scale factor of the projection at that place (independent check)."""
    well = shapely.Point(X0, Y0)
    fit, g = dl.fit_size(lambda r: dl.well_zone(well, r), 0.007, crs=CRS4547, method="ellipsoidal", parameter="radius_m", tol_km2=1e-11)
    assert abs(fit.error_km2) <= 1e-11
    lon, lat = Proj(CRS4547)(X0, Y0, inverse=True)
    k2 = Proj(CRS4547).get_factors(lon, lat).areal_scale
    r_expected = math.sqrt(0.007e6 * k2 / (0.5 * 64 * math.sin(2 * math.pi / 64)))
    assert fit.value == pytest.approx(r_expected, rel=2e-6)
    assert float(area_km2(np.array([g]), CRS4547, "ellipsoidal")[0]) == pytest.approx(0.007, abs=1e-7)


def test_fit_flags_the_standard_bound(straight_river):
    std = dl.load_standard(STANDARD)
    bound = std.bound("river.level1.depth_m")
    assert bound.min_m == 50.0 and "HJ 338-2018" in bound.clause
    build = lambda d: dl.river_land_zone(straight_river, 5000.0, upstream_m=1000.0, downstream_m=100.0, depth_m=d, half_width_m=0.0)  # noqa: E731
    small, _ = dl.fit_size(build, 0.005, crs=CRS4547, method="planar", parameter="depth_m", bound=bound)
    assert small.within_standard is False and small.value == pytest.approx(5000.0 / 2200.0, abs=1e-3)
    assert "below" in small.note
    big, _ = dl.fit_size(build, 0.131, crs=CRS4547, method="planar", parameter="depth_m", bound=bound)
    assert big.within_standard is True and big.value == pytest.approx(131000.0 / 2200.0, abs=1e-3)


def test_standard_bounds_loaded():
    std = dl.load_standard(STANDARD)
    assert std.bound("river.level2.upstream_m").min_m == 2000.0
    assert std.bound("river.level2.depth_m").min_m == 1000.0
    assert std.bound("well.level1.radius_m").max_m == 50.0
    with pytest.raises(SchemeError):
        std.bound("river.level3.depth_m")


def test_fit_rejects_unreachable_target(straight_river):
    # the zone cannot grow beyond the clip box, so a bigger target can never be reached
    clip = shapely.box(X0, Y0 - 10, X0 + 100, Y0 + 10)
    with pytest.raises(ValueError):
        dl.fit_size(lambda r: dl.well_zone(shapely.Point(X0, Y0), r).intersection(clip), 0.01,
                    crs=CRS4547, method="planar", parameter="radius_m", max_expand=8)
