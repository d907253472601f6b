"""Geometry on small fixtures with analytic answers."""

from __future__ import annotations

import math

import pytest
import shapely
from shapely.geometry import LineString, box

from zoning import geoprocess


def test_strip_along_a_straight_river_is_exactly_two_bands():
    county = box(0, -5000, 10000, 5000)
    river = LineString([(-3000, 0), (13000, 0)])
    strip = geoprocess.river_land_strip(river, 500, half_width_m=100, clip=county, quad_segs=16)
    assert strip.area == pytest.approx(2 * 500 * 10000, rel=1e-12)
    assert not strip.intersects(box(0, -99.9, 10000, 99.9))  # the water is not land
    assert strip.covers(shapely.Point(5000, 600)) and not strip.covers(shapely.Point(5000, 600.5))


def test_strip_from_the_centerline_without_water():
    county = box(0, -5000, 10000, 5000)
    river = LineString([(-3000, 0), (13000, 0)])
    strip = geoprocess.river_land_strip(river, 500, clip=county)
    assert strip.area == pytest.approx(1000 * 10000, rel=1e-12)


def test_reach_limits_the_strip_and_its_round_ends():
    river = LineString([(0, 0), (10000, 0)])
    strip = geoprocess.river_land_strip(river, 500, reach_from_m=2000, reach_to_m=5000, quad_segs=64)
    # a 3 km stadium of radius 500 m, round ends approximated by 64 segments per quarter circle
    polygon_circle = 0.5 * (4 * 64) * 500**2 * math.sin(2 * math.pi / (4 * 64))
    assert strip.area == pytest.approx(3000 * 1000 + polygon_circle, rel=1e-12)


def test_reach_with_water_band_keeps_water_out_beyond_the_reach():
    river = LineString([(0, 0), (10000, 0)])
    strip = geoprocess.river_land_strip(river, 500, half_width_m=200, reach_from_m=4000, reach_to_m=6000)
    assert not strip.intersects(box(3000, -199, 7000, 199))
    # the round end's tip lies in the water; the land reaches to where the 700 m circle meets the bank (|y| = 200)
    reach = math.sqrt(700**2 - 200**2)
    assert strip.bounds[0] == pytest.approx(4000 - reach, abs=1.0) and strip.bounds[2] == pytest.approx(6000 + reach, abs=1.0)


def test_river_reach_measures_multilines_end_to_end():
    line = shapely.MultiLineString([[(0, 0), (1000, 0)], [(1000, 100), (3000, 100)]])
    reach = geoprocess.river_reach(line, from_m=500, to_m=2000)
    assert reach.length == pytest.approx(1500)
    with pytest.raises(ValueError, match="greater"):
        geoprocess.river_reach(line, from_m=2000, to_m=100)


def test_pairwise_overlaps_ignores_touching_rings():
    inner = box(0, 0, 1000, 1000)
    ring = box(-500, -500, 1500, 1500).difference(inner)
    other = box(900, 900, 2000, 2000)
    found = geoprocess.pairwise_overlaps([inner, ring, other], min_area_m2=1.0)
    pairs = {(o.i, o.j): o.geometry.area for o in found}
    assert set(pairs) == {(0, 2), (1, 2)}
    assert pairs[(0, 2)] == pytest.approx(100 * 100)
    assert pairs[(1, 2)] == pytest.approx(600 * 600 - 100 * 100)


def test_union_and_repair():
    bowtie = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    fixed = geoprocess.make_valid_polygonal(bowtie)
    assert fixed.is_valid and fixed.area == pytest.approx(2.0)
    assert geoprocess.union([box(0, 0, 2, 2), box(1, 1, 3, 3)]).area == pytest.approx(7.0)
    assert geoprocess.union([]).is_empty
