/* zoning web-map helpers (MIT, part of the zoning package).
 * HTML escaping, point-in-polygon with the edge counting as inside (as `zoning check`), GCJ-02 -> WGS84,
 * the "check this point" popup, zone tooltips and a search box over zone codes and names.
 * Configuration comes from window.ZONING_CONFIG, written by zoning.maps.
 */
(function () {
  "use strict";
  var Z = (window.zoning = window.zoning || {});
  var ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

  Z.esc = function (v) {
    if (v === null || v === undefined) return "";
    return String(v).replace(/[&<>"']/g, function (c) { return ESC[c]; });
  };

  // --- point in polygon -----------------------------------------------------------------------------------
  var EPS = 1e-9; // degrees (~0.1 mm): a point this close to an edge is on it
  function onSegment(x, y, ax, ay, bx, by) {
    var dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
    var t = len2 > 0 ? ((x - ax) * dx + (y - ay) * dy) / len2 : 0;
    t = Math.max(0, Math.min(1, t));
    var px = ax + t * dx - x, py = ay + t * dy - y;
    return px * px + py * py <= EPS * EPS;
  }
  /** Does a GeoJSON Polygon/MultiPolygon (lon, lat) cover the point? Edges and vertices count as inside. */
  Z.covers = function (geom, x, y) {
    if (!geom) return false;
    var polys = geom.type === "Polygon" ? [geom.coordinates] : geom.type === "MultiPolygon" ? geom.coordinates : [];
    for (var p = 0; p < polys.length; p++) {
      var inside = false;
      for (var r = 0; r < polys[p].length; r++) {
        var ring = polys[p][r];
        for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
          var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
          if (onSegment(x, y, xj, yj, xi, yi)) return true;
          if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
        }
      }
      if (inside) return true; // even-odd over all rings handles holes
    }
    return false;
  };

  // --- GCJ-02 (same formulas and constants as the prcoords package used to shift the overlays) ---------------
  Z.wgs2gcj = function (lat, lon) {
    var A = Z.cfg.gcj_a, EE = Z.cfg.gcj_ee, PI = Math.PI;
    var x = lon - 105, y = lat - 35;
    var dLat = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x)) +
      (2 * Math.sin(x * 6 * PI) + 2 * Math.sin(x * 2 * PI) + 2 * Math.sin(y * PI) + 4 * Math.sin((y / 3) * PI) +
        16 * Math.sin((y / 12) * PI) + 32 * Math.sin((y / 30) * PI)) * 20 / 3;
    var dLon = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x)) +
      (2 * Math.sin(x * 6 * PI) + 2 * Math.sin(x * 2 * PI) + 2 * Math.sin(x * PI) + 4 * Math.sin((x / 3) * PI) +
        15 * Math.sin((x / 12) * PI) + 30 * Math.sin((x / 30) * PI)) * 20 / 3;
    var radLat = lat * PI / 180, magic = 1 - EE * Math.pow(Math.sin(radLat), 2);
    var latLen = (A * (1 - EE)) / Math.pow(magic, 1.5) * PI / 180;
    var lonLen = (A * Math.cos(radLat)) / Math.sqrt(magic) * PI / 180;
    return [lat + dLat / latLen, lon + dLon / lonLen];
  };
  /** Inverse of wgs2gcj by fixed-point iteration (converges to < 1e-9 degrees in a few steps). */
  Z.gcj2wgs = function (lat, lon) {
    var w = [lat, lon];
    for (var k = 0; k < 10; k++) {
      var g = Z.wgs2gcj(w[0], w[1]);
      var dlat = lat - g[0], dlon = lon - g[1];
      w = [w[0] + dlat, w[1] + dlon];
      if (Math.abs(dlat) < 1e-10 && Math.abs(dlon) < 1e-10) break;
    }
    return w;
  };

  // --- formatting -----------------------------------------------------------------------------------------
  function km2(v, signed) {
    if (v === null || v === undefined || Number.isNaN(Number(v))) return "—";
    var s = Number(v).toFixed(4);
    return (signed && v > 0 ? "+" : "") + s + " km²";
  }
  function paramsHtml(text) {
    var obj;
    try { obj = typeof text === "string" ? JSON.parse(text) : text; } catch (e) { return Z.esc(text); }
    if (!obj || typeof obj !== "object") return Z.esc(text);
    var keys = Object.keys(obj);
    if (!keys.length) return "—";
    return keys.map(function (k) { return Z.esc(k) + ": " + Z.esc(JSON.stringify(obj[k])); }).join("<br>");
  }
  Z.zoneHtml = function (p) {
    var cat = (Z.cfg.categories[p.category] || {}).label || p.category;
    var rows = [
      ["Category 类别", Z.esc(cat)],
      ["Level 级别", Z.esc(p.level)],
      ["Published 公布面积", km2(p.published_km2)],
      ["Computed 计算面积 (" + Z.esc(Z.cfg.area_method) + ")", km2(p.area_km2)],
      ["Difference 差值", km2(p.diff_km2, true)],
      ["Provenance 来源", p.reconstructed ? "reconstructed (demonstration, not surveyed)" : "surveyed"],
      ["Method 方法", Z.esc(p.method)],
      ["Parameters 参数", paramsHtml(p.params)],
      ["Source 出处", Z.esc(p.source)],
    ];
    return '<div class="zoning-zone"><b>' + Z.esc(p.zone_id) + " " + Z.esc(p.name) + "</b><table>" +
      rows.map(function (r) { return "<tr><th>" + r[0] + "</th><td>" + r[1] + "</td></tr>"; }).join("") + "</table></div>";
  };

  // --- check this point -----------------------------------------------------------------------------------
  function each(list, fn) {
    list.forEach(function (entry) { entry.layer.eachLayer(function (l) { if (l.feature) fn(l, entry); }); });
  }
  /** Properties of every zone part covering a display (lat, lng), shown or hidden, level 1 first. */
  Z.zonesAt = function (lat, lng) {
    var hits = [];
    each(Z.zoneLayers, function (l) { if (Z.covers(l.feature.geometry, lng, lat)) hits.push(l.feature.properties); });
    hits.sort(function (a, b) { return a.level - b.level || String(a.zone_id).localeCompare(String(b.zone_id)); });
    return hits;
  };
  Z.checkHtml = function (lat, lng) {
    var hits = Z.zonesAt(lat, lng), wgs = Z.cfg.gcj ? Z.gcj2wgs(lat, lng) : [lat, lng];
    var town = [];
    each(Z.townshipLayers, function (l) { if (Z.covers(l.feature.geometry, lng, lat)) town.push(l.feature.properties.name_zh); });
    var h = '<div class="zoning-check"><b>Check this point 点位核查</b><br>' +
      "WGS84 lon " + wgs[1].toFixed(6) + ", lat " + wgs[0].toFixed(6) +
      (Z.cfg.gcj ? '<br><span class="zoning-note">(map shown in GCJ-02 for Amap; converted back to WGS84)</span>' : "") + "<br>";
    if (hits.length) {
      var lv = Math.min.apply(null, hits.map(function (p) { return p.level; }));
      h += '<div class="zoning-verdict zoning-in">Inside ' + hits.length + " zone part(s); strictest: level " + lv +
        " 禁养区</div>" + hits.map(Z.zoneHtml).join("");
    } else {
      h += '<div class="zoning-verdict zoning-out">Not inside any exclusion zone 不在禁养区内</div>';
    }
    if (town.length) h += "Township (approximate area) 乡镇（近似）: " + town.map(Z.esc).join(", ") + "<br>";
    h += '<div class="zoning-note">Computed in this page over all zone layers (shown or hidden) on display geometry ' +
      "simplified with a " + Z.esc(Z.cfg.simplify_m) + " m tolerance in " + Z.esc(Z.cfg.crs) +
      " and rounded to 6 decimals; a point on an edge counts as inside, as in <code>zoning check</code>. " +
      "Within " + Z.esc(Z.cfg.simplify_m) + " m of an edge, use <code>zoning check " + wgs[1].toFixed(6) + " " +
      wgs[0].toFixed(6) + "</code> for the authoritative answer.</div></div>";
    return h;
  };

  // --- tooltips -------------------------------------------------------------------------------------------
  Z.zoneTooltip = function (feature, layer) {
    var p = feature.properties;
    layer.bindTooltip(Z.esc(p.zone_id) + " " + Z.esc(p.name), { sticky: true });
  };
  Z.overlapTooltip = function (feature, layer) {
    var p = feature.properties;
    layer.bindTooltip("Overlap 重叠 " + Z.esc(p.zone_id_a) + " × " + Z.esc(p.zone_id_b) + ": " + km2(p.area_km2) +
      (p.deducted ? " — deducted by the plan 方案已扣除" : " — not deducted"), { sticky: true });
  };
  Z.seatTooltip = function (feature, layer) {
    var p = feature.properties, exact = p.position === "exact";
    layer.bindTooltip(Z.esc(p.name_zh) + " " + Z.esc(p.name_pinyin) + "<br>" +
      (exact ? "seat position exact" : "schematic position, uncertainty ± " + Z.esc(p.uncertainty_m) + " m"));
  };
  Z.nameTooltip = function (feature, layer) {
    var p = feature.properties;
    var t = Z.esc(p.name_zh || p.name || "") + (p.name_en ? " " + Z.esc(p.name_en) : "") +
      (p.name_pinyin ? " " + Z.esc(p.name_pinyin) : "") + (p.approximate ? " (approximate area 近似范围)" : "");
    if (t) layer.bindTooltip(t, { sticky: true });
  };

  // --- search ---------------------------------------------------------------------------------------------
  Z.search = function (text) {
    var q = String(text || "").trim().toLowerCase();
    if (!q) return 0;
    var code = q.split(/\s+/)[0], bounds = L.latLngBounds([]), found = [];
    each(Z.zoneLayers, function (l, entry) {
      var p = l.feature.properties, name = String(p.name || "").toLowerCase();
      if (String(p.code).toLowerCase() === code || String(p.zone_id).toLowerCase() === q ||
          (name && (name.indexOf(q) >= 0 || q.indexOf(name) >= 0))) {
        if (!Z.map.hasLayer(entry.group)) Z.map.addLayer(entry.group);
        bounds.extend(l.getBounds());
        found.push(l);
      }
    });
    if (found.length) {
      Z.map.fitBounds(bounds, { maxZoom: 15, padding: [20, 20] });
      found[0].openTooltip(found[0].getBounds().getCenter());
    }
    return found.length;
  };
  function addSearch(map) {
    var ctl = L.control({ position: "topleft" });
    ctl.onAdd = function () {
      var div = L.DomUtil.create("div", "zoning-search leaflet-bar");
      var input = L.DomUtil.create("input", "", div);
      input.type = "search";
      input.placeholder = "Zone code or name 编号或名称";
      input.setAttribute("list", "zoning-search-list");
      input.setAttribute("aria-label", "search zones by code or name");
      var dl = L.DomUtil.create("datalist", "", div);
      dl.id = "zoning-search-list";
      var seen = {};
      each(Z.zoneLayers, function (l) {
        var p = l.feature.properties, v = p.code + " " + p.name;
        if (!seen[v]) { seen[v] = 1; var o = document.createElement("option"); o.value = v; dl.appendChild(o); }
      });
      var status = L.DomUtil.create("span", "zoning-search-status", div);
      function go() { var n = Z.search(input.value); status.textContent = input.value ? (n ? n + " found" : "no match") : ""; }
      input.addEventListener("change", go);
      input.addEventListener("keydown", function (e) { if (e.key === "Enter") go(); });
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    };
    ctl.addTo(map);
  }

  /** Wire everything to the folium map. zoneLayers/townshipLayers: [{layer: L.GeoJSON, group: L.FeatureGroup}]. */
  Z.init = function (map, zoneLayers, townshipLayers) {
    Z.cfg = window.ZONING_CONFIG;
    Z.map = map;
    Z.zoneLayers = zoneLayers;
    Z.townshipLayers = townshipLayers;
    map.on("click", function (e) {
      L.popup({ maxWidth: 460, maxHeight: 420, className: "zoning-check-popup" })
        .setLatLng(e.latlng).setContent(Z.checkHtml(e.latlng.lat, e.latlng.lng)).openOn(map);
    });
    L.control.scale({ imperial: false, maxWidth: 150 }).addTo(map);
    addSearch(map);
  };
})();
