"""The same site given in every supported CRS gives the same answer; GCJ-02/BD-09 checked against eviltransform."""

from __future__ import annotations

import eviltransform
import numpy as np
import pytest
from pyproj import Transformer

from tests.fixtures.sitecheck_fixture import OX, OY, write_fixture
from zoning.crs import parse_point_crs, points_to_wgs84
from zoning.errors import CRSError
from zoning.sitecheck import ZoneIndex, check_point


@pytest.mark.parametrize(("lon", "lat"), [(112.6, 26.9), (112.84, 26.66), (113.05, 27.05)])
def test_gcj_bd_inverse_matches_independent_reference(lon, lat):
    # forward obfuscation by eviltransform (independent implementation); our inverse (prcoords) must recover WGS84
    glat, glon = eviltransform.wgs2gcj(lat, lon)
    blat, blon = eviltransform.wgs2bd(lat, lon)
    assert abs(glon - lon) > 1e-3  # the offset is real (hundreds of metres)
    for crs, (x, y) in (("gcj02", (glon, glat)), ("bd09", (blon, blat))):
        rlon, rlat = points_to_wgs84([x], [y], crs)
        assert rlon[0] == pytest.approx(lon, abs=1e-6) and rlat[0] == pytest.approx(lat, abs=1e-6)


def test_same_site_every_crs(tmp_path):
    index = ZoneIndex.load(write_fixture(tmp_path))
    X, Y = OX + 12500, OY + 15500  # centre of B01-1 (500 m from every edge)
    lon, lat = Transformer.from_crs("EPSG:4547", "EPSG:4326", always_xy=True).transform(X, Y)
    x46, y46 = Transformer.from_crs("EPSG:4547", "EPSG:4546", always_xy=True).transform(X, Y)
    glat, glon = eviltransform.wgs2gcj(lat, lon)
    blat, blon = eviltransform.wgs2bd(lat, lon)
    cases = {"wgs84": (lon, lat), "cgcs2000": (lon, lat), "EPSG:4490": (lon, lat), "EPSG:4547": (X, Y),
             "4547": (X, Y), "EPSG:4546": (x46, y46), "gcj02": (glon, glat), "amap": (glon, glat),
             "bd09": (blon, blat), "baidu": (blon, blat)}
    for crs, (x, y) in cases.items():
        r = check_point(x, y, crs=crs, index=index)
        assert [z["zone_id"] for z in r.zones] == ["B01-1"], crs
        assert np.hypot(r.x - X, r.y - Y) < 1.0, crs
        assert r.depth_m == pytest.approx(500, abs=1.0), crs


def test_unknown_crs():
    with pytest.raises(CRSError, match="gcj02"):
        parse_point_crs("mars")
