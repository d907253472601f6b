"""Benchmark the site check: N seeded random sites over the county, timed and memory-measured.

Stages, all on the same sites in the same run:
  (a) zone attribution + verdict          (zoning.sitecheck.assess, distances=False)
  (b) (a) + depth / nearest-zone distance  (assess, distances=True)
  naive  per-point loop over the zones (unprepared ``covers``), timed on a subsample and EXTRAPOLATED to N
  sjoin  plain geopandas.sjoin(points, zones, predicate="intersects"), points GeoDataFrame built inside the timing
  csv    a --csv-rows register streamed through check_register in a child process; its peak RSS is reported

Without --zones a synthetic zones.gpkg shaped like Hengnan's is generated (seeded): a ~2600 km² county, 40 zone parts
(~100 km², a few thousand vertices: one long 500 m river strip and 39 irregular discs) and 24 township cells.

    .venv/bin/python scripts/bench_sitecheck.py --county hengnan [--zones PATH] [--n 1000000] [--csv-rows 10000000]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psutil
import shapely

from zoning import settings


class PeakRSS:
    """Peak resident memory of this process while the block runs (sampled every 5 ms)."""

    def __enter__(self):
        self.proc = psutil.Process()
        self.start = self.peak = self.proc.memory_info().rss
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        return self

    def _run(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self.proc.memory_info().rss)

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)
        return False


def synthetic_zones(folder: Path, seed: int = 20200228) -> Path:
    """Write a Hengnan-shaped synthetic zones.gpkg (EPSG:4547) into ``folder``."""
    import geopandas as gpd

    rng = np.random.default_rng(seed)
    cx, cy = 430_000.0, 2_960_000.0
    ang = np.linspace(0, 2 * np.pi, 600, endpoint=False)
    r = 28_800 * (1 + 0.08 * np.sin(3 * ang) + 0.05 * np.cos(7 * ang))
    county = shapely.Polygon(np.c_[cx + r * np.cos(ang), cy + r * np.sin(ang)])
    county = shapely.affinity.scale(county, 2600e6 / county.area, 1.0) if abs(county.area - 2600e6) > 1e6 else county
    t = np.linspace(-1, 1, 400)
    river = shapely.LineString(np.c_[cx + 22_000 * t, cy + 6_000 * np.sin(3 * t) + 2_000 * np.sin(11 * t)])
    strip = shapely.intersection(river.buffer(750, quad_segs=16).difference(river.buffer(250, quad_segs=16)), county)
    geoms, levels, cats = [strip], [1], ["xiang_strip"]
    minx, miny, maxx, maxy = county.bounds
    while len(geoms) < 40:
        px, py = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if not county.contains(shapely.Point(px, py)):
            continue
        a = np.linspace(0, 2 * np.pi, 80, endpoint=False)
        rad = rng.uniform(400, 900) * (1 + 0.25 * np.sin(rng.integers(2, 6) * a + rng.uniform(0, 6)))
        geoms.append(shapely.Polygon(np.c_[px + rad * np.cos(a), py + rad * np.sin(a)]))
        levels.append(int(rng.choice([1, 2], p=[0.7, 0.3])))
        cats.append(str(rng.choice(["water_source", "town_builtup", "nature_reserve"])))
    n = len(geoms)
    zones = gpd.GeoDataFrame({"zone_id": [f"S{i:02d}-{lv}" for i, lv in enumerate(levels)], "code": [f"S{i:02d}" for i in range(n)],
                              "level": levels, "name": [f"synthetic {i}" for i in range(n)], "category": cats},
                             geometry=geoms, crs="EPSG:4547")
    seeds = shapely.multipoints(np.c_[rng.uniform(minx, maxx, 24), rng.uniform(miny, maxy, 24)])
    cells = shapely.intersection(np.asarray(shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=county))), county)
    path = folder / "zones.gpkg"
    zones.to_file(path, layer="zones", driver="GPKG")
    gpd.GeoDataFrame({"name_zh": ["synthetic county"]}, geometry=[county], crs="EPSG:4547").to_file(path, layer="boundary", driver="GPKG")
    gpd.GeoDataFrame({"name_zh": [f"T{i:02d}" for i in range(len(cells))], "approximate": True}, geometry=cells,
                     crs="EPSG:4547").to_file(path, layer="townships", driver="GPKG")
    print(f"synthetic zones: {n} parts, {zones.area.sum() / 1e6:.1f} km², "
          f"{shapely.get_num_coordinates(np.asarray(geoms)).sum()} vertices, county {county.area / 1e6:.0f} km²")
    return path


def random_sites(index, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` seeded uniform random points inside the county (rejection sampling over its bounding box)."""
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = index.county.bounds
    xs, ys, have = [], [], 0
    while have < n:
        x = rng.uniform(x0, x1, n)
        y = rng.uniform(y0, y1, n)
        ok = shapely.intersects_xy(index.county, x, y)
        xs.append(x[ok])
        ys.append(y[ok])
        have += int(ok.sum())
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def _timed(label: str, n: int, fn):
    with PeakRSS() as mem:
        t0 = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t0
    print(f"{label:<44} {dt:8.3f} s  {n / dt:12,.0f} sites/s  peak RSS {mem.peak / 2**20:7.0f} MiB (+{(mem.peak - mem.start) / 2**20:.0f})")
    return out, dt


def register_child(csv_path: str, zones: str, chunk: int) -> None:
    """Run in a child process: stream ``csv_path`` through check_register and print its peak RSS."""
    from zoning.register import check_register

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        res = check_register(csv_path, out=Path(d) / "out.csv", zones_path=zones, chunk_size=chunk, progress=False)
    dt = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'csv register ' + f'{res.rows:,} rows':<44} {dt:8.3f} s  {res.rows / dt:12,.0f} rows/s   peak RSS {peak:7.0f} MiB "
          f"({res.errors} error rows, {res.in_zone} in a zone)")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--county", default=settings.default_county)
    ap.add_argument("--zones", default=None, help="zones.gpkg to use (default: a synthetic Hengnan-shaped one)")
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--naive-sample", type=int, default=20_000)
    ap.add_argument("--csv-rows", type=int, default=200_000, help="rows of the streamed CSV (0 to skip; 10000000 for the 10M test)")
    ap.add_argument("--chunk-size", type=int, default=200_000)
    ap.add_argument("--no-sjoin", action="store_true")
    ap.add_argument("--_register-child", nargs=2, metavar=("CSV", "ZONES"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args._register_child:
        register_child(*args._register_child, args.chunk_size)
        return

    from zoning.sitecheck import ZoneIndex, assess

    tmp = tempfile.TemporaryDirectory()
    zones = Path(args.zones) if args.zones else synthetic_zones(Path(tmp.name))
    index = ZoneIndex.load(zones)
    print(f"zones: {zones} ({len(index.geoms)} parts, {shapely.get_num_coordinates(index.geoms).sum()} vertices); "
          f"{os.cpu_count()} CPUs; N = {args.n:,}, seed {args.seed}")
    X, Y = random_sites(index, args.n, args.seed)
    rng = np.random.default_rng(args.seed + 1)
    pe = rng.choice([10.0, 120.0, 499.5, 500.0, 2000.0], size=args.n)

    ra, ta = _timed("(a) attribution + verdict", args.n,
                    lambda: assess(index, X, Y, pig_equivalents=pe, distances=False, context=False))
    rb, tb = _timed("(b) (a) + distance to nearest edge", args.n,
                    lambda: assess(index, X, Y, pig_equivalents=pe, distances=True, context=False))
    _timed("(c) (b) + township + inside-county", args.n, lambda: assess(index, X, Y, pig_equivalents=pe))
    print(f"    in a zone: {int(ra['in_zone'].sum()):,} ({ra['in_zone'].mean():.2%}); forbidden: {int((ra['allowed'] == False).sum()):,}")  # noqa: E712

    k = min(args.naive_sample, args.n)
    plain = [shapely.from_wkb(shapely.to_wkb(g)) for g in index.geoms]  # unprepared copies

    def naive():
        hits = 0
        for x, y in zip(X[:k], Y[:k]):
            p = shapely.Point(x, y)
            for g in plain:
                if g.covers(p):
                    hits += 1
        return hits

    hits, tn = _timed(f"naive loop on {k:,} sites", k, naive)
    tn_full = tn * args.n / k
    pairs = index.attribute(X[:k], Y[:k])[0]
    assert hits == len(pairs), f"naive loop found {hits} pairs, vectorised {len(pairs)}"
    print(f"    naive extrapolated to {args.n:,} sites: {tn_full:.1f} s (= {tn_full / ta:.0f}x (a)); same {hits} pairs on the subsample")

    if not args.no_sjoin:
        import geopandas as gpd

        zgdf = gpd.GeoDataFrame({"zone_id": index.table["zone_id"]}, geometry=index.geoms, crs=index.crs)

        def sj():
            pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(X, Y), crs=index.crs)
            return gpd.sjoin(pts, zgdf, predicate="intersects", how="inner")

        j, ts = _timed("geopandas.sjoin (points built inside)", args.n, sj)
        p, _ = index.attribute(X, Y)
        assert len(j) == len(p), f"sjoin found {len(j)} pairs, vectorised {len(p)}"
        print(f"    sjoin / (a) = {ts / ta:.1f}x; same {len(j):,} point-zone pairs")

    if args.csv_rows:
        import pandas as pd

        with tempfile.TemporaryDirectory() as d:
            csv = Path(d) / "register.csv"
            t0 = time.perf_counter()
            rx, ry = random_sites(index, min(args.csv_rows, 1_000_000), args.seed + 2)
            from pyproj import Transformer

            lon, lat = Transformer.from_crs(index.crs, "EPSG:4326", always_xy=True).transform(rx, ry)
            block = pd.DataFrame({"id": np.arange(len(rx)), "lon": np.round(lon, 6), "lat": np.round(lat, 6),
                                  "pig": rng.integers(0, 2000, len(rx)), "蛋鸡": rng.integers(0, 3000, len(rx))})
            written = 0
            with open(csv, "w", encoding="utf-8") as f:
                while written < args.csv_rows:
                    part = block.iloc[: args.csv_rows - written]
                    part.to_csv(f, header=(written == 0), index=False)
                    written += len(part)
            print(f"wrote {written:,}-row CSV ({csv.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - t0:.1f} s")
            subprocess.run([sys.executable, __file__, "--_register-child", str(csv), str(zones),
                            "--chunk-size", str(args.chunk_size)], check=True)
    tmp.cleanup()


if __name__ == "__main__":
    main()
