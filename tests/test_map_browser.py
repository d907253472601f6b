"""The generated map in headless Chromium (file:// URL, no base map, so no network is needed).

Checks: no console errors, the layer control, the check-this-point popup on real clicks (inside a zone, in the
deducted overlap, outside every zone, on a zone named with markup), search, the in-page point-in-polygon on edges,
no network requests, and a non-blank screenshot saved to out/test-artifacts/map.png.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
import rasterio
from pyproj import Transformer

from tests.fixtures.zones_fixture import J01_CENTRE, J02_CENTRE, X0, Y0, write_zones_fixture
from zoning import settings
from zoning.maps import LAYER_NAMES, build_map

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
XSS = "<script>alert(1)</script>"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent (run `make browser` to install it)"),
]
_TO_WGS = Transformer.from_crs("EPSG:4547", "EPSG:4326", always_xy=True)


def _latlng(x: float, y: float) -> list[float]:
    lon, lat = _TO_WGS.transform(x, y)
    return [lat, lon]


@pytest.fixture(scope="module")
def browser_page(tmp_path_factory: pytest.TempPathFactory):
    sync_api = pytest.importorskip("playwright.sync_api")
    folder = tmp_path_factory.mktemp("browser")
    gpkg = write_zones_fixture(folder / "zones", names={"C01": XSS})
    title = {"county": "衡南县", "title": "衡南县畜禽养殖禁养区划定方案", "document": "清政发[2020]2号 (HNDR-2020-00001)"}
    html = build_map(gpkg, folder / "map.html", basemap="none", title_info=title)  # as `zoning map` titles Hengnan
    events: dict[str, list] = {"console": [], "requests": [], "dialogs": []}
    with sync_api.sync_playwright() as p, tempfile.TemporaryDirectory() as user_data:
        ctx = p.chromium.launch_persistent_context(
            user_data, executable_path=str(CHROMIUM), args=ARGS, headless=True, viewport={"width": 1280, "height": 900}
        )
        page = ctx.new_page()
        page.on("console", lambda m: events["console"].append((m.type, m.text)))
        page.on("pageerror", lambda e: events["console"].append(("pageerror", str(e))))
        page.on("request", lambda r: events["requests"].append(r.url))
        page.on("dialog", lambda d: (events["dialogs"].append(d.message), d.dismiss()))
        page.goto(html.as_uri())
        page.wait_for_function("window.zoningMap !== undefined && window.zoning.map !== undefined")
        page.wait_for_function("!zoningMap._animatingZoom")  # Leaflet ignores setView during the opening fitBounds zoom
        yield page, events
        ctx.close()


def _click_at(page, latlng: list[float]) -> str:
    """Centre the map on latlng at zoom 15, click the map there with the mouse, return the popup text."""
    page.evaluate("ll => { zoningMap.closePopup(); zoningMap.setView(ll, 15, {animate: false}); }", latlng)
    page.wait_for_function("document.querySelectorAll('.zoning-check').length === 0")  # closed popups fade out
    box = page.locator(".leaflet-container").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    popup = page.locator(".zoning-check")
    popup.wait_for(timeout=5000)
    return popup.inner_text()


def test_layer_control_lists_the_layers(browser_page) -> None:
    page, events = browser_page
    labels = [t.strip() for t in page.locator(".leaflet-control-layers-overlays label").all_inner_texts()]
    assert sorted(labels) == sorted(LAYER_NAMES.values())


def test_title_clear_of_the_controls_and_search_placeholder_whole(browser_page) -> None:
    page, _ = browser_page  # 1280 px wide
    boxes = page.evaluate("""() => Object.fromEntries(['.zoning-title', '.leaflet-control-layers', '.leaflet-top.leaflet-left']
        .map(s => { const r = document.querySelector(s).getBoundingClientRect(); return [s, [r.left, r.top, r.right, r.bottom]]; }))""")
    title = boxes[".zoning-title"]
    for other in (".leaflet-control-layers", ".leaflet-top.leaflet-left"):
        left, top, right, bottom = boxes[other]
        assert right <= title[0] or left >= title[2] or bottom <= title[1] or top >= title[3], (other, boxes)
    # the placeholder, typed in, fits the box without scrolling
    scroll_px, box_px = page.evaluate("""() => {
        const input = document.querySelector('.zoning-search input');
        input.value = input.placeholder;
        const size = [input.scrollWidth, input.clientWidth];
        input.value = '';
        return size;
    }""")
    assert scroll_px <= box_px, (scroll_px, box_px)


def test_click_inside_level1_square_reports_that_zone(browser_page) -> None:
    page, _ = browser_page
    text = _click_at(page, _latlng(*J01_CENTRE))
    assert "J01-1" in text and "J01-2" not in text
    assert "Inside 1 zone part(s); strictest: level 1" in text
    assert "reconstructed" in text and "half_side_m: 500" in text and "1.0000 km²" in text
    assert "10 m tolerance" in text


def test_click_in_ring_and_in_deducted_overlap(browser_page) -> None:
    page, _ = browser_page
    text = _click_at(page, _latlng(J01_CENTRE[0] + 750, J01_CENTRE[1]))
    assert "J01-2" in text and "J01-1" not in text
    text = _click_at(page, _latlng(J02_CENTRE[0] + 1200, J02_CENTRE[1]))
    assert "B01-1" in text and "J02-2" in text and "Inside 2 zone part(s)" in text


def test_click_outside_zones(browser_page) -> None:
    page, _ = browser_page
    text = _click_at(page, _latlng(X0 + 1000, Y0 + 1000))
    assert "Not inside any exclusion zone" in text and "西乡" in text


def test_markup_in_a_name_shows_as_text(browser_page) -> None:
    page, events = browser_page
    text = _click_at(page, _latlng(X0 + 4500, Y0 + 7000))  # C01, named with a script tag
    assert "C01-1 " + XSS in text
    assert page.locator(".zoning-check script").count() == 0
    assert events["dialogs"] == []


def test_point_in_polygon_counts_edges_as_inside(browser_page) -> None:
    page, _ = browser_page
    res = page.evaluate("""() => {
        const sq = {type: 'Polygon', coordinates: [[[0,0],[2,0],[2,2],[0,2],[0,0]], [[0.5,0.5],[1,0.5],[1,1],[0.5,1],[0.5,0.5]]]};
        return [zoning.covers(sq, 1.5, 1.5), zoning.covers(sq, 2, 1), zoning.covers(sq, 0, 0),
                zoning.covers(sq, 0.75, 0.75), zoning.covers(sq, 1, 0.75), zoning.covers(sq, 2.0001, 1)];
    }""")
    assert res == [True, True, True, False, True, False]  # inside, edge, vertex, hole, hole edge, outside


def test_search_and_gcj_inverse(browser_page) -> None:
    page, _ = browser_page
    assert page.evaluate("zoning.search('J02')") == 2  # both parts
    assert page.evaluate("zoning.search('东湖水库')") == 2
    assert page.evaluate("zoning.search('no such zone')") == 0
    back = page.evaluate("(() => { const g = zoning.wgs2gcj(26.9, 112.6); return zoning.gcj2wgs(g[0], g[1]); })()")
    assert back == pytest.approx([26.9, 112.6], abs=1e-9)


def test_no_errors_no_network_and_screenshot(browser_page) -> None:
    page, events = browser_page
    page.reload()  # the view a planner gets on opening the file
    page.wait_for_function("window.zoningMap !== undefined && window.zoning.map !== undefined")
    page.wait_for_timeout(500)
    errors = [c for c in events["console"] if c[0] in ("error", "pageerror")]
    assert errors == []
    remote = [u for u in events["requests"] if not u.startswith(("file:", "data:", "blob:"))]
    assert remote == []
    out = settings.out_dir / "test-artifacts" / "map.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        ds = rasterio.open(out)
    with ds:
        rgb = ds.read([1, 2, 3]).astype(int)
    assert rgb.shape[1:] == (900, 1280)
    colours = np.unique(rgb.reshape(3, -1).T, axis=0)
    assert len(colours) > 50 and rgb.std() > 10  # not blank: zones, legend, controls
