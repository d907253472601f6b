"""Planners' web map (folium) from ``zones.gpkg``: one self-contained HTML file.

- Layers: level-1 zones by category, level-2 zones, overlaps (the ones the plan deducts highlighted), county
  boundary, rivers, township seats (schematic ones dashed, uncertainty in the tooltip and drawn as a circle) and
  approximate township areas; legend; title with plan, data version and a "reconstructed" warning.
- Tools: scale bar, measure (leaflet-measure), fullscreen, search by zone code or name, and a click popup that
  gives the WGS84 coordinates and every zone covering the point (point-in-polygon in the page, edge = inside).
- Offline: Leaflet and plugins are inlined from ``zoning/static`` (see SOURCES.md); only base tiles need internet.
- Geometry is simplified in the working CRS (``simplify_m``) before going to WGS84 and rounded to 6 decimals.
  With ``basemap="amap"`` every vertex is shifted WGS84 → GCJ-02 (prcoords) to line up with Amap tiles.

All attribute text reaches the page as JSON data and is HTML-escaped in the page before display.
"""

from __future__ import annotations

import base64
import functools
import html
import json
import logging
import math
import mimetypes
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import prcoords
import shapely
from branca.element import Element, MacroElement
from folium.template import Template
from pyproj import CRS, Transformer

from zoning._io import atomic_path, sha256
from zoning.crs import describe_crs, wgs84_to_gcj02
from zoning.errors import LayerError, OutputError
from zoning.scheme import CATEGORY_LABELS
from zoning.zonesfile import read_zones_layer

log = logging.getLogger(__name__)

Basemap = Literal["osm", "amap", "none"]
BASEMAPS: tuple[str, ...] = ("osm", "amap", "none")
STATIC = Path(__file__).resolve().parent / "static"
WGS84 = "EPSG:4326"
DECIMALS = 6

#: Zone categories of the contract: label (zh + en) and colour.
CATEGORY_COLORS = {"water_source": "#1f78b4", "xiang_strip": "#6a3d9a", "nature_reserve": "#33a02c",
                   "town_builtup": "#e31a1c"}
CATEGORIES: dict[str, dict[str, str]] = {
    cat: {"label": f"{zh} {en}", "color": CATEGORY_COLORS[cat]} for cat, (zh, en) in CATEGORY_LABELS.items()
}
LEVEL2_COLOR = "#ff7f00"
OVERLAP_COLOR = "#ffe600"
BOUNDARY_COLOR = "#222222"
RIVER_COLOR = "#2b8cbe"
TOWNSHIP_COLOR = "#888888"

#: Layer names in the layer control (tests and documentation refer to these).
LAYER_NAMES = {
    **{cat: f"一级 Level 1 · {c['label']}" for cat, c in CATEGORIES.items()},
    "level2": "二级 Level 2 zones",
    "overlaps_deducted": "方案扣除的重叠 Overlaps deducted by the plan",
    "overlaps_other": "其他重叠 Other overlaps (not deducted)",
    "boundary": "县界 County boundary",
    "rivers": "河流 Rivers",
    "seats": "乡镇驻地 Township seats",
    "townships": "乡镇范围（近似）Township areas (approximate)",
}

AMAP_TILES = "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"

#: folium/plugin CDN URL -> vendored file under zoning/static (inlined into the page).
VENDORED: dict[str, str] = {
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js": "leaflet/leaflet.js",
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css": "leaflet/leaflet.css",
    "https://cdn.jsdelivr.net/gh/ljagis/leaflet-measure@2.1.7/dist/leaflet-measure.min.js": "leaflet-measure/leaflet-measure.min.js",
    "https://cdn.jsdelivr.net/gh/ljagis/leaflet-measure@2.1.7/dist/leaflet-measure.min.css": "leaflet-measure/leaflet-measure.css",
    "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.min.js": "leaflet.fullscreen/Control.FullScreen.js",
    "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.css": "leaflet.fullscreen/Control.FullScreen.css",
}

_ZONE_PROPS = ("zone_id", "code", "level", "name", "category", "published_km2", "area_km2", "area_ellipsoidal_km2",
               "area_planar_km2", "diff_km2", "reconstructed", "method", "params", "source")
_OVERLAP_PROPS = ("zone_id_a", "zone_id_b", "code_a", "code_b", "area_km2", "deducted", "published_km2")


# --- geometry for display ----------------------------------------------------------------------------------
@functools.lru_cache(maxsize=8)
def _to_wgs84(crs_wkt: str) -> Transformer:
    return Transformer.from_crs(CRS.from_wkt(crs_wkt), WGS84, always_xy=True)  # slow to build: cache


def display_geometries(geoms: np.ndarray, crs: Any, *, simplify_m: float, gcj: bool) -> np.ndarray:
    """Simplify in the working CRS, reproject to WGS84 (optionally shift to GCJ-02), round to 6 decimals."""
    geoms = np.asarray(geoms, dtype=object)
    if simplify_m > 0:
        geoms = shapely.simplify(geoms, simplify_m, preserve_topology=True)
    to_wgs = _to_wgs84(CRS.from_user_input(crs).to_wkt())

    def _xy(xy: np.ndarray) -> np.ndarray:
        lon, lat = to_wgs.transform(xy[:, 0], xy[:, 1])
        if gcj:
            lon, lat = wgs84_to_gcj02(lon, lat)
        return np.round(np.column_stack([lon, lat]), DECIMALS)

    return shapely.transform(geoms, _xy)


def _plain(value: Any) -> Any:
    """JSON-ready scalar: numpy types to Python, NaN to None."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def feature_collection(gdf: gpd.GeoDataFrame, props: tuple[str, ...], geoms: np.ndarray) -> dict:
    """GeoJSON FeatureCollection of ``geoms`` with the ``props`` columns present in ``gdf``."""
    cols = [c for c in props if c in gdf.columns]
    feats = []
    for i, g in enumerate(geoms):
        if g is None or g.is_empty:
            continue
        feats.append({
            "type": "Feature",
            "id": str(i),
            "properties": {c: _plain(gdf[c].iloc[i]) for c in cols},
            "geometry": shapely.geometry.mapping(g),
        })
    return {"type": "FeatureCollection", "features": feats}


# --- assets --------------------------------------------------------------------------------------------------
def _read_static(rel: str) -> str:
    return (STATIC / rel).read_text(encoding="utf-8")


def _inline_css_urls(css: str, base: Path) -> str:
    """Replace ``url(relative)`` in vendored CSS by data: URIs."""

    def repl(m: re.Match) -> str:
        ref = m.group(1).strip("'\"")
        if ref.startswith(("data:", "#", "http:", "https:")):
            return m.group(0)
        f = (base / ref).resolve()
        mime = mimetypes.guess_type(f.name)[0] or "application/octet-stream"
        return f"url(data:{mime};base64,{base64.b64encode(f.read_bytes()).decode()})"

    return re.sub(r"url\(([^)]+)\)", repl, css)


def _script(js: str, label: str) -> str:
    safe = re.sub(r"^//# sourceMappingURL=.*$", "", js, flags=re.M).replace("</script", "<\\/script")
    return f"<script>/* {label} */\n{safe}\n</script>"


def _style(css: str, label: str) -> str:
    return f"<style>/* {label} */\n{css}\n</style>"


def inline_assets(page: str) -> str:
    """Replace every CDN ``<script src>``/``<link>`` folium wrote by the vendored file's content.

    Raises ``RuntimeError`` if a remote script or stylesheet would remain (the map must open offline).
    """
    for url, rel in VENDORED.items():
        tag_js = f'<script src="{url}"></script>'
        tag_css = f'<link rel="stylesheet" href="{url}"/>'
        if tag_js in page:
            page = page.replace(tag_js, _script(_read_static(rel), f"vendored {rel}; see zoning/static/SOURCES.md"))
        if tag_css in page:
            css = _inline_css_urls(_read_static(rel), (STATIC / rel).parent)
            page = page.replace(tag_css, _style(css, f"vendored {rel}; see zoning/static/SOURCES.md"))
    remote = re.findall(r'<script[^>]*\ssrc="[^"]*"|<link[^>]*\shref="https?:[^"]*"', page)
    if remote:
        raise RuntimeError(f"internal: the map still loads remote assets {remote}; vendor them in zoning/static")
    return page


# --- page furniture --------------------------------------------------------------------------------------------
def _legend_html(has_deducted: bool) -> str:
    e = html.escape
    rows = [f'<div><span class="sw" style="background:{c["color"]}88;border-color:{c["color"]}"></span>一级 {e(c["label"])}</div>'
            for c in CATEGORIES.values()]
    rows.append(f'<div><span class="sw" style="background:{LEVEL2_COLOR}55;border-color:{LEVEL2_COLOR};border-style:dashed">'
                f"</span>{e(LAYER_NAMES['level2'])}</div>")
    if has_deducted:
        rows.append(f'<div><span class="sw" style="background:{OVERLAP_COLOR}cc;border-color:#000"></span>'
                    f"{e(LAYER_NAMES['overlaps_deducted'])}</div>")
    rows += [
        f'<div><span class="ln" style="border-color:{BOUNDARY_COLOR}"></span>{e(LAYER_NAMES["boundary"])}</div>',
        f'<div><span class="ln" style="border-color:{RIVER_COLOR}"></span>{e(LAYER_NAMES["rivers"])}</div>',
        '<div><span class="pt" style="background:#222"></span>乡镇驻地 township seat (exact)</div>',
        '<div><span class="pt" style="background:#fff;border-style:dashed"></span>schematic seat (± uncertainty)</div>',
        f'<div><span class="sw" style="background:transparent;border-color:{TOWNSHIP_COLOR};border-style:dotted"></span>'
        f"{e(LAYER_NAMES['townships'])}</div>",
    ]
    return '<div class="zoning-legend"><b>图例 Legend</b>' + "".join(rows) + "</div>"


def _title_html(title_info: Mapping[str, str], version: str, reconstructed: bool, simplify_m: float, basemap: str) -> str:
    e = html.escape
    plan = " ".join(x for x in (title_info.get("county", ""), title_info.get("title", "")) if x) or "畜禽养殖禁养区"
    lines = [f"<h1>{e(plan)}</h1>"]
    if title_info.get("document"):
        lines.append(f"<div>{e(title_info['document'])}</div>")
    lines.append(f"<div>Data version 数据版本: {e(version)}</div>")
    if reconstructed:
        lines.append('<div class="zoning-warning">Demonstration geometry, reconstructed — not the county\'s surveyed '
                     "boundaries 示意：重建的演示几何，非官方测绘范围</div>")
    note = f"display geometry simplified {simplify_m:g} m"
    if basemap == "amap":
        note += "; overlays shifted to GCJ-02 to match Amap tiles"
    lines.append(f'<div class="zoning-note">{e(note)}</div>')
    return '<div class="zoning-title">' + "".join(lines) + "</div>"


class _Init(MacroElement):
    """Script that passes the configuration and layer handles to ``zoning.init`` (zoning-map.js)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        window.ZONING_CONFIG = {{ this.config|tojson }};
        window.zoningMap = {{ this.map.get_name() }};
        zoning.init({{ this.map.get_name() }},
            [{% for gj, fg in this.zones %}{layer: {{ gj.get_name() }}, group: {{ fg.get_name() }}},{% endfor %}],
            [{% for gj, fg in this.townships %}{layer: {{ gj.get_name() }}, group: {{ fg.get_name() }}},{% endfor %}]);
        {% endmacro %}
        """
    )

    def __init__(self, m: folium.Map, config: dict, zones: list, townships: list) -> None:
        super().__init__()
        self._name = "ZoningInit"
        self.map, self.config, self.zones, self.townships = m, config, zones, townships


# --- the map ---------------------------------------------------------------------------------------------------------
def _manifest(zones_gpkg: Path) -> dict:
    try:
        return json.loads((zones_gpkg.parent / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _base_layers(m: folium.Map, basemap: str) -> None:
    if basemap == "osm":
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap", control=True).add_to(m)
    elif basemap == "amap":
        folium.TileLayer(AMAP_TILES, attr="© 高德地图 AutoNavi (GCJ-02)", name="高德 Amap", subdomains="1234",
                         max_zoom=18).add_to(m)
    if basemap != "none":
        folium.FeatureGroup(name="无底图 No base map", overlay=False, show=False).add_to(m)


def _geojson(fc: dict, name: str, style: dict, tooltip_fn: str, **kw: Any) -> folium.GeoJson:
    return folium.GeoJson(fc, name=name, style_function=lambda _f, s=style: s, control=False,
                          on_each_feature=folium.JsCode(f"zoning.{tooltip_fn}"), **kw)


def build_map(
    zones_gpkg: str | os.PathLike[str],
    out_html: str | os.PathLike[str],
    *,
    basemap: Basemap = "osm",
    title_info: Mapping[str, str] | None = None,
    simplify_m: float = 10.0,
) -> Path:
    """Write the planners' web map of ``zones_gpkg`` to ``out_html`` (self-contained but for base tiles).

    Parameters
    ----------
    zones_gpkg
        The zones GeoPackage (DESIGN.md contract); read only.
    out_html
        Output HTML path, written atomically.
    basemap
        'osm' (OpenStreetMap), 'amap' (Gaode tiles; overlays shifted to GCJ-02) or 'none' (offline).
    title_info
        Keys 'county', 'title', 'document' for the title box (from the county's scheme).
    simplify_m
        Display simplification tolerance in metres of the working CRS (0 = none).
    """
    if basemap not in BASEMAPS:
        raise ValueError(f"unknown basemap {basemap!r}; choose one of {', '.join(BASEMAPS)}")
    if Path(out_html).suffix.lower() not in (".html", ".htm"):
        raise OutputError(f"{out_html}: the map is a web page and needs a .html or .htm name, "
                          f"e.g. {Path(out_html).with_suffix('.html')}")
    if not (math.isfinite(simplify_m) and simplify_m >= 0):
        raise OutputError(f"simplify tolerance {simplify_m!r} is not a finite number ≥ 0 of metres; use e.g. 10 (0 = none)")
    zones_gpkg = Path(zones_gpkg)
    title_info = dict(title_info or {})
    zones = read_zones_layer(zones_gpkg, "zones", ("zone_id", "code", "level", "name", "category", "reconstructed"))
    overlaps = read_zones_layer(zones_gpkg, "overlaps", ("zone_id_a", "zone_id_b", "deducted"))
    ctx = {k: read_zones_layer(zones_gpkg, k) for k in ("boundary", "rivers", "township_seats", "townships")}
    crs = zones.crs
    for name, gdf in {"overlaps": overlaps, **ctx}.items():
        if gdf.crs != crs:
            raise LayerError(f"{zones_gpkg}: layer {name!r} is not in the zones' CRS {describe_crs(crs)}; "
                             "run `make zones` again")
    unknown = sorted(set(zones["category"]) - set(CATEGORIES))
    if unknown:
        raise LayerError(f"{zones_gpkg}: layer 'zones' has unknown categories {unknown}; "
                         f"expected {', '.join(CATEGORIES)}")
    gcj = basemap == "amap"

    def disp(gdf: gpd.GeoDataFrame) -> np.ndarray:
        return display_geometries(gdf.geometry.to_numpy(), crs, simplify_m=simplify_m, gcj=gcj)

    manifest = _manifest(zones_gpkg)
    version = f"built {manifest.get('built_at', 'unknown')} · zones.gpkg sha256 {sha256(zones_gpkg)[:12]}"
    reconstructed = bool(zones["reconstructed"].astype(bool).any())

    bnd_disp = disp(ctx["boundary"])
    xmin, ymin, xmax, ymax = shapely.total_bounds(bnd_disp)
    m = folium.Map(location=[(ymin + ymax) / 2, (xmin + xmax) / 2], zoom_start=10, tiles=None, control_scale=False,
                   prefer_canvas=False)
    m.default_js = [("leaflet", next(u for u in VENDORED if u.endswith("leaflet.js")))]
    m.default_css = [("leaflet_css", next(u for u in VENDORED if u.endswith("leaflet.css")))]
    _base_layers(m, basemap)

    def group(key: str, show: bool = True) -> folium.FeatureGroup:
        return folium.FeatureGroup(name=LAYER_NAMES[key], show=show).add_to(m)

    # context below zones
    fg = group("townships", show=False)
    ts_gj = _geojson(feature_collection(ctx["townships"], ("name_zh", "name_pinyin", "approximate", "method"),
                                        disp(ctx["townships"])),
                     LAYER_NAMES["townships"], {"color": TOWNSHIP_COLOR, "weight": 1, "dashArray": "2 4", "fill": False},
                     "nameTooltip", interactive=False).add_to(fg)
    townships = [(ts_gj, fg)]
    fg = group("boundary")
    _geojson(feature_collection(ctx["boundary"], ("name_zh",), bnd_disp), LAYER_NAMES["boundary"],
             {"color": BOUNDARY_COLOR, "weight": 2.5, "fill": False}, "nameTooltip", interactive=False).add_to(fg)
    fg = group("rivers")
    _geojson(feature_collection(ctx["rivers"], ("name_zh", "name_en", "source"), disp(ctx["rivers"])),
             LAYER_NAMES["rivers"], {"color": RIVER_COLOR, "weight": 2, "opacity": 0.8}, "nameTooltip").add_to(fg)

    zone_layers = []
    lv2 = zones[zones["level"].astype(int) == 2]
    fg = group("level2")
    zone_layers.append((_geojson(feature_collection(lv2, _ZONE_PROPS, disp(lv2)), LAYER_NAMES["level2"],
                                 {"color": LEVEL2_COLOR, "weight": 1.5, "dashArray": "5 4", "fillColor": LEVEL2_COLOR,
                                  "fillOpacity": 0.25}, "zoneTooltip").add_to(fg), fg))
    for cat, c in CATEGORIES.items():
        sub = zones[(zones["level"].astype(int) == 1) & (zones["category"] == cat)]
        fg = group(cat)
        zone_layers.append((_geojson(feature_collection(sub, _ZONE_PROPS, disp(sub)), LAYER_NAMES[cat],
                                     {"color": c["color"], "weight": 1.5, "fillColor": c["color"], "fillOpacity": 0.35},
                                     "zoneTooltip").add_to(fg), fg))

    deducted = overlaps["deducted"].astype(bool)
    for key, sel, style, show in (
        ("overlaps_deducted", deducted, {"color": "#000", "weight": 2, "fillColor": OVERLAP_COLOR, "fillOpacity": 0.8}, True),
        ("overlaps_other", ~deducted, {"color": "#555", "weight": 1, "dashArray": "2 3", "fillColor": OVERLAP_COLOR,
                                       "fillOpacity": 0.3}, False),
    ):
        sub = overlaps[sel]
        fg = group(key, show=show)
        _geojson(feature_collection(sub, _OVERLAP_PROPS, disp(sub)), LAYER_NAMES[key], style, "overlapTooltip").add_to(fg)

    seats = ctx["township_seats"]
    fg = group("seats")
    if "uncertainty_m" in seats.columns:  # schematic positions: draw the uncertainty as a dashed circle
        sch = seats[(seats.get("position") == "schematic") & (seats["uncertainty_m"].fillna(0) > 0)]
        circles = shapely.buffer(sch.geometry.to_numpy(), sch["uncertainty_m"].to_numpy(), quad_segs=16)
        _geojson(feature_collection(sch, ("name_zh", "name_pinyin", "position", "uncertainty_m"),
                                    display_geometries(circles, crs, simplify_m=0, gcj=gcj)),
                 LAYER_NAMES["seats"], {"color": "#444", "weight": 1, "dashArray": "3 3", "fill": False}, "seatTooltip",
                 interactive=False).add_to(fg)
    _seats_layer(seats, disp(seats)).add_to(fg)

    folium.LayerControl(collapsed=False).add_to(m)
    folium.plugins.MeasureControl(position="topleft", primary_length_unit="meters", secondary_length_unit="kilometers",
                                  primary_area_unit="sqmeters", secondary_area_unit="hectares").add_to(m)
    folium.plugins.Fullscreen(position="topleft").add_to(m)
    m.fit_bounds([[ymin, xmin], [ymax, xmax]])

    config = {
        "simplify_m": simplify_m, "crs": describe_crs(crs), "gcj": gcj, "gcj_a": prcoords.GCJ_A,
        "gcj_ee": prcoords.GCJ_EE, "area_method": manifest.get("area_method", "scheme method"),
        "categories": {k: {"label": v["label"]} for k, v in CATEGORIES.items()},
    }
    root = m.get_root()
    root.header.add_child(Element(_style(_read_static("zoning-map.css"), "zoning-map.css")), name="zoning_css")
    root.header.add_child(Element(_script(_read_static("zoning-map.js"), "zoning-map.js")), name="zoning_js")
    root.html.add_child(Element(_title_html(title_info, version, reconstructed, simplify_m, basemap)), name="zoning_title")
    root.html.add_child(Element(_legend_html(bool(deducted.any()))), name="zoning_legend")
    _Init(m, config, zone_layers, townships).add_to(m)

    page = inline_assets(root.render())
    with atomic_path(out_html, protect=(zones_gpkg,)) as tmp:
        tmp.write_text(page, encoding="utf-8")
    log.info("wrote %s (%.2f MB, %d zone parts, simplify %g m, basemap %s)", out_html,
             len(page.encode()) / 1e6, len(zones), simplify_m, basemap)
    return Path(out_html)


def _seats_layer(seats: gpd.GeoDataFrame, geoms: np.ndarray) -> folium.GeoJson:
    """Township seats as circle markers: exact ones filled black, schematic ones white and dashed."""

    def style(feature: dict) -> dict:
        exact = feature["properties"].get("position") == "exact"
        return {"color": "#222", "weight": 2, "fill": True, "fillColor": "#222" if exact else "#fff", "fillOpacity": 1,
                "dashArray": None if exact else "2 2"}

    return folium.GeoJson(
        feature_collection(seats, ("name_zh", "name_pinyin", "position", "uncertainty_m", "source"), geoms),
        name=LAYER_NAMES["seats"], control=False, style_function=style, marker=folium.CircleMarker(radius=5),
        on_each_feature=folium.JsCode("zoning.seatTooltip"),
    )
