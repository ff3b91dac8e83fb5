"""Benchmark: full spatial evaluation of many incidents (control version + active zones).

Everything here is synthetic and labelled so: ~300 control areas are a Voronoi tessellation of
seeded random points clipped to Syria's bbox (lon 35.6–42.4, lat 32.3–37.4), each with 1–7
versions over 2016 (sources ``BENCH-synthetic``; they are not control facts), and ~20 zones are
2–20 km buffers of random points and lines or one-sided bands along random lines, each active
over a random interval of 2016. Points: random in the bbox with random days of 2016.

Compared in the same run (best of two, alternating):

(a) bare ``STRtree(areas + zones).query(points, predicate="covered_by")``: point in polygon
    only, with no time versions, no most-specific-area rule and no zone intervals;
(full) :meth:`ceasefire.geo.spatial_batch.SpatialBatch.evaluate`;
(b) geopandas ``sjoin(points, areas, predicate="within")`` plus the same for zones, only if
    geopandas can be imported (not a project dependency; otherwise ``skipped``).

Point geometries are built inside every timing; the polygon geometries are prepared once,
outside the timings, and shared by (a) and (full).

Correctness: for 1,000 of the benchmark points, and 1,000 more drawn inside the zones' bounding
boxes, the batch answers are compared with :meth:`ControlMap.at` and shapely ``covers`` per
point; the agreement must be 100 %.

Run: ``.venv/bin/python -m bench.bench_spatial [--points N]`` (default 1,000,000).
"""

from __future__ import annotations

import argparse
import importlib
import resource
import time
from datetime import date, timedelta
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import LineString, MultiPoint, Point, box
from shapely.strtree import STRtree

from ceasefire.geo.control import ControlMap, ControlVersion
from ceasefire.geo.spatial_batch import BatchResult, SpatialBatch, ZoneSpec
from ceasefire.geo.zones import buffer_zone, side_band

BBOX = (35.6, 32.3, 42.4, 37.4)  # lon/lat
EPOCH = date(1970, 1, 1)
DAY0 = (date(2016, 1, 1) - EPOCH).days
N_DAYS = 366  # 2016
N_AREAS = 300
N_ZONES = 20


def build_control(rng: np.random.Generator) -> ControlMap:
    """~300 synthetic Voronoi areas with 1–7 random versions each (gaps and overlaps included)."""
    seeds = MultiPoint(
        np.column_stack(
            [rng.uniform(BBOX[0], BBOX[2], N_AREAS), rng.uniform(BBOX[1], BBOX[3], N_AREAS)]
        )
    )
    frame = box(*BBOX)
    cells = shapely.voronoi_polygons(seeds, extend_to=frame, ordered=True)
    control = ControlMap()
    for i, cell in enumerate(cells.geoms):
        geom = cell.intersection(frame)
        n_versions = int(rng.integers(1, 8))
        starts = np.sort(rng.choice(N_DAYS, n_versions, replace=False))
        for k, first in enumerate(starts.tolist()):
            nxt = int(starts[k + 1]) if k + 1 < n_versions else N_DAYS
            # mostly back to back; sometimes a gap (unknown days) or an overlap (supersedes)
            last = nxt - 1 + int(rng.choice([0, 0, 0, -5, 5]))
            last = min(max(last, first), N_DAYS - 1)
            control.add(
                ControlVersion(
                    area_id=f"SYN{i:03d}",
                    kind="geojson",
                    name=f"synthetic area {i}",
                    geometry=geom,
                    actors=(f"SYNTH_{int(rng.integers(0, 4))}",),
                    status=str(rng.choice(["held", "contested", "mixed", "unknown"])),
                    valid_from=date(2016, 1, 1) + timedelta(days=first),
                    valid_to=date(2016, 1, 1) + timedelta(days=last),
                    sources=("BENCH-synthetic",),
                    confidence="low",
                    recorded_by="bench",
                )
            )
    return control


def _random_line(rng: np.random.Generator, east_west: bool) -> LineString:
    lon = rng.uniform(BBOX[0] + 0.5, BBOX[2] - 0.5)
    lat = rng.uniform(BBOX[1] + 0.5, BBOX[3] - 0.5)
    length = rng.uniform(0.1, 0.4)
    wiggle = rng.uniform(-0.05, 0.05, 3)
    if east_west:
        xs = lon + np.linspace(0.0, length, 3)
        return LineString(np.column_stack([xs, lat + wiggle]))
    ys = lat + np.linspace(0.0, length, 3)
    return LineString(np.column_stack([lon + wiggle, ys]))


def build_zones(rng: np.random.Generator) -> list[ZoneSpec]:
    """~20 synthetic zones: point buffers, line buffers and one-sided bands, 2–20 km wide."""
    zones: list[ZoneSpec] = []
    for z in range(N_ZONES):
        width = float(rng.uniform(2_000.0, 20_000.0))
        kind = z % 4
        if kind in (0, 1):
            where = Point(rng.uniform(BBOX[0], BBOX[2]), rng.uniform(BBOX[1], BBOX[3]))
            geom = buffer_zone(where, width)
        elif kind == 2:
            geom = buffer_zone(_random_line(rng, bool(rng.integers(0, 2))), width)
        else:
            geom = side_band(_random_line(rng, east_west=True), "north", width)
        first = int(rng.integers(0, N_DAYS))
        last = int(rng.integers(first, N_DAYS))
        zones.append((f"synthetic zone {z}", geom, DAY0 + first, DAY0 + last))
    # two deliberately overlapping zones (same centre, different radii and intervals)
    centre = Point(38.0, 35.0)
    zones.append(("synthetic zone overlap A", buffer_zone(centre, 15_000.0), DAY0, DAY0 + 250))
    zones.append(("synthetic zone overlap B", buffer_zone(centre, 8_000.0), DAY0 + 100, DAY0 + 365))
    return zones


def random_points(
    rng: np.random.Generator, n: int, bounds: tuple[float, float, float, float] = BBOX
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    lons = rng.uniform(bounds[0], bounds[2], n)
    lats = rng.uniform(bounds[1], bounds[3], n)
    days = DAY0 + rng.integers(0, N_DAYS, n).astype(np.int64)
    return lons, lats, days


def check(
    control: ControlMap,
    zones: list[ZoneSpec],
    result: BatchResult,
    lons: NDArray[np.float64],
    lats: NDArray[np.float64],
    days: NDArray[np.int64],
    n: int,
) -> tuple[int, int, int]:
    """Per-point reference answers for the first ``n`` points: (control agree, zone agree, in zones)."""
    control_ok = zones_ok = in_zones = 0
    for i in range(n):
        on = EPOCH + timedelta(days=int(days[i]))
        answer = control.at(float(lats[i]), float(lons[i]), on)
        expected = answer.version if answer.version is not None else -1
        control_ok += int(result.control_version[i]) == expected
        p = Point(float(lons[i]), float(lats[i]))
        want = [z for z, (_, g, s, e) in enumerate(zones) if s <= days[i] <= e and g.covers(p)]
        zones_ok += result.zones_of(i) == want
        in_zones += bool(want)
    return control_ok, zones_ok, in_zones


def sjoin_seconds(
    lons: Any, lats: Any, areas: list[Any], zones: list[Any]
) -> tuple[float, int] | None:
    """Best of two geopandas ``sjoin`` runs (areas, then zones) and its pair count."""
    try:
        gpd = importlib.import_module("geopandas")
    except ImportError:
        return None
    areas_gdf = gpd.GeoDataFrame({"area": range(len(areas))}, geometry=areas, crs="EPSG:4326")
    zones_gdf = gpd.GeoDataFrame({"zone": range(len(zones))}, geometry=zones, crs="EPSG:4326")
    best, pairs = float("inf"), 0
    for _ in range(2):
        t0 = time.perf_counter()
        points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lons, lats), crs="EPSG:4326")
        in_areas = gpd.sjoin(points, areas_gdf, how="inner", predicate="within")
        in_zones = gpd.sjoin(points, zones_gdf, how="inner", predicate="within")
        best = min(best, time.perf_counter() - t0)
        pairs = len(in_areas) + len(in_zones)
    return best, pairs


def duckdb_seconds(
    lons: Any, lats: Any, areas: list[Any], zones: list[Any]
) -> tuple[float, int] | None:
    """Best of two DuckDB spatial joins (points within areas, then zones), points loaded first.

    Needs the ``bench`` extra (duckdb + duckdb-extension-spatial, a wheel that carries the
    extension: nothing is downloaded)."""
    try:
        duckdb = importlib.import_module("duckdb")
        ext = importlib.import_module("duckdb_extension_spatial")
    except ImportError:
        return None
    import glob
    import os

    (path,) = glob.glob(
        os.path.join(
            os.path.dirname(str(ext.__file__)), "extensions", "*", "spatial.duckdb_extension"
        )
    )
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute(f"LOAD '{path}'")
    con.execute("CREATE TABLE areas (id INTEGER, geom GEOMETRY)")
    con.executemany("INSERT INTO areas VALUES (?, ST_GeomFromWKB(?))",
                    [(i, shapely.to_wkb(g)) for i, g in enumerate(areas)])  # fmt: skip
    con.execute("CREATE TABLE zones (id INTEGER, geom GEOMETRY)")
    con.executemany("INSERT INTO zones VALUES (?, ST_GeomFromWKB(?))",
                    [(i, shapely.to_wkb(g)) for i, g in enumerate(zones)])  # fmt: skip
    lon_arr, lat_arr = np.asarray(lons, dtype=float), np.asarray(lats, dtype=float)
    con.execute(
        "CREATE TABLE pts AS SELECT unnest($1) AS lon, unnest($2) AS lat",
        [lon_arr.tolist(), lat_arr.tolist()],
    )
    best, pairs = float("inf"), 0
    for _ in range(2):
        t0 = time.perf_counter()
        (a,) = con.execute(
            "SELECT count(*) FROM pts JOIN areas ON ST_Within(ST_Point(pts.lon, pts.lat), areas.geom)"
        ).fetchone()
        (z,) = con.execute(
            "SELECT count(*) FROM pts JOIN zones ON ST_Within(ST_Point(pts.lon, pts.lat), zones.geom)"
        ).fetchone()
        best = min(best, time.perf_counter() - t0)
        pairs = int(a) + int(z)
    con.close()
    return best, pairs


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=1_000_000)
    args = parser.parse_args()
    n = args.points
    rng = np.random.default_rng(2016)
    control = build_control(rng)
    zones = build_zones(rng)
    lons, lats, days = random_points(rng, n)

    batch = SpatialBatch(control, zones)
    batch.evaluate(lons[:10], lats[:10], days[:10])  # build the indexes outside the timing
    area_geoms = [control.history(a)[-1].geometry for a in control.area_ids()]
    zone_geoms = [g for _, g, _, _ in zones]
    shapely.prepare(area_geoms + zone_geoms)  # shared objects: prepare once, outside timings
    tree = STRtree(area_geoms + zone_geoms)

    t0 = time.perf_counter()
    batch.evaluate(lons, lats, days)  # first full run: also builds the control layer's cell grid
    cold = time.perf_counter() - t0
    bare = full = float("inf")
    for _ in range(2):  # best of two, alternating
        t0 = time.perf_counter()
        pairs = tree.query(shapely.points(lons, lats), predicate="covered_by")
        bare = min(bare, time.perf_counter() - t0)
        t0 = time.perf_counter()
        result = batch.evaluate(lons, lats, days)
        full = min(full, time.perf_counter() - t0)
    del pairs
    mem_ours = peak_mb()

    print(
        f"points: {n:,}; synthetic areas: {len(area_geoms)}; versions: {len(control.versions)};"
        f" synthetic zones: {len(zones)}"
    )
    print(f"(a) bare STRtree.query covered_by: {bare:.3f} s")
    print(
        f"(full) SpatialBatch.evaluate:     {full:.3f} s"
        f" ({int((result.control_version > 0).sum()):,} points with control,"
        f" {len(result.zone_idx):,} point-zone pairs active)"
    )
    print(f"(full, first run, incl. building the cell grid once per map): {cold:.3f} s")
    print(f"ratio full / (a): {full / bare:.2f} (goal ≤ 1.5)")
    print(f"peak memory after (a) and (full): {mem_ours:,.0f} MB")

    sjoin = sjoin_seconds(lons, lats, area_geoms, zone_geoms)
    if sjoin is None:
        print("(b) geopandas not installed: skipped")
    else:
        secs, n_pairs = sjoin
        print(f"(b) geopandas sjoin within (areas + zones): {secs:.3f} s ({n_pairs:,} pairs)")
        print(f"ratio full / (b): {full / secs:.2f} (goal < 1)")
        print(f"peak memory after (b): {peak_mb():,.0f} MB")

    ddb = duckdb_seconds(lons, lats, area_geoms, zone_geoms)
    if ddb is None:
        print("(c) duckdb spatial not installed: skipped")
    else:
        secs, n_pairs = ddb
        print(
            f"(c) duckdb spatial ST_Within join (areas + zones, points preloaded): {secs:.3f} s ({n_pairs:,} pairs)"
        )
        print(f"ratio full / (c): {full / secs:.2f} (goal < 1)")

    k = min(1_000, n)
    c_ok, z_ok, z_in = check(control, zones, result, lons, lats, days, k)
    extra = np.random.default_rng(7)
    zb = shapely.bounds(np.asarray(zone_geoms, dtype=object))
    pick = extra.integers(0, len(zones), 1_000)
    u, v = extra.uniform(0.0, 1.0, 1_000), extra.uniform(0.0, 1.0, 1_000)
    zl = zb[pick, 0] + u * (zb[pick, 2] - zb[pick, 0])
    za = zb[pick, 1] + v * (zb[pick, 3] - zb[pick, 1])
    zd = DAY0 + extra.integers(0, N_DAYS, 1_000).astype(np.int64)
    near = batch.evaluate(zl, za, zd)
    c2, z2, in2 = check(control, zones, near, zl, za, zd, 1_000)
    print(
        f"agreement on {k:,} bench points: control {100 * c_ok / k:.1f} %,"
        f" zones {100 * z_ok / k:.1f} % ({z_in} in an active zone)"
    )
    print(
        f"agreement on 1,000 points near zones: control {100 * c2 / 1_000:.1f} %,"
        f" zones {100 * z2 / 1_000:.1f} % ({in2} in an active zone)"
    )
    if (c_ok, z_ok, c2, z2) != (k, k, 1_000, 1_000):
        raise SystemExit("agreement below 100 %")


if __name__ == "__main__":
    main()
