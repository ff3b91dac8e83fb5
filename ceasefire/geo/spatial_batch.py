"""Batch spatial evaluation: control version and active zones for many incidents at once.

A monitoring aid: for each recorded incident position and day it says which control version
held there (see :class:`~ceasefire.geo.control.ControlMap`) and which agreement zones, active on
that day, cover the position. It never designates any place as open to attack.

Everything is vectorised: one STRtree per layer (control areas, zones) queried with the
``"covered_by"`` predicate (point in polygon, boundary included) and numpy for the time
filtering; there is no Python loop per point. Results are deterministic: zone pairs are sorted by
point index, then zone index.

Zones are ``(name, geometry, start_day, end_day)`` with days as integers since 1970-01-01, both
ends inclusive. A zone counts for a point only if its geometry covers the point **and** the
point's day lies in the zone's interval.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.strtree import STRtree

from ceasefire.geo.control import ControlMap

__all__ = ["BatchResult", "SpatialBatch", "ZoneSpec", "as_day_numbers"]

ZoneSpec = tuple[
    str, Any, int, int
]  # (name, shapely geometry in WGS84 lon/lat, first day, last day)
_IntArray = NDArray[np.int64]

# Side of the coarse grid used to skip points far from every zone before building geometries.
_GRID_CELLS = 512


def as_day_numbers(days: Any) -> _IntArray:
    """``datetime64`` (any unit) or integer days → int64 days since 1970-01-01."""
    arr = np.asarray(days)
    if arr.dtype.kind == "M":
        arr = arr.astype("datetime64[D]").astype(np.int64)
    return np.asarray(arr, dtype=np.int64)


@dataclass(frozen=True)
class BatchResult:
    """Per-point answers of :meth:`SpatialBatch.evaluate`.

    ``control_version[i]`` is the winning :class:`~ceasefire.geo.control.ControlVersion` number
    for point ``i`` (``ControlMap.versions[n - 1]``) or ``-1`` where control is unknown.
    ``(zone_point_idx[k], zone_idx[k])`` lists every (point, active covering zone) pair, sorted
    by point then zone; ``zone_counts[z]`` is the number of points in zone ``z``.
    """

    control_version: _IntArray
    zone_point_idx: _IntArray
    zone_idx: _IntArray
    zone_counts: _IntArray
    zone_names: tuple[str, ...]

    def zones_of(self, point: int) -> list[int]:
        """Indices of the active zones covering point ``point`` (ascending)."""
        lo, hi = np.searchsorted(self.zone_point_idx, [point, point + 1])
        return [int(z) for z in self.zone_idx[lo:hi]]


PARALLEL_MIN_POINTS = 200_000


class SpatialBatch:
    """Evaluate many (lon, lat, day) positions against a control map and time-limited zones.

    Large batches are cut into one chunk per core (``workers``, default: the process's CPU
    affinity); the answers are the same as in one piece, in the same order."""

    workers: int = max(1, len(os.sched_getaffinity(0)))

    def __init__(self, control: ControlMap, zones: Sequence[ZoneSpec] = ()) -> None:
        self.control = control
        self.zone_names: tuple[str, ...] = tuple(z[0] for z in zones)
        self.zone_geometries: list[Any] = [z[1] for z in zones]
        self.zone_start = np.array([int(z[2]) for z in zones], dtype=np.int64)
        self.zone_end = np.array([int(z[3]) for z in zones], dtype=np.int64)
        bad = [z[0] for z in zones if int(z[3]) < int(z[2])]
        if bad:
            raise ValueError(f"zone(s) {', '.join(bad)}: end_day is before start_day.")
        self._zone_tree = STRtree(self.zone_geometries) if zones else None
        self._grid = _ZoneGrid(self.zone_geometries) if zones else None

    def evaluate(self, lons: Any, lats: Any, days: Any) -> BatchResult:
        """Control version and active zone membership for every point (WGS84 lon/lat, day)."""
        lon = np.asarray(lons, dtype=np.float64)
        lat = np.asarray(lats, dtype=np.float64)
        day = as_day_numbers(days)
        if not lon.shape == lat.shape == day.shape or lon.ndim != 1:
            raise ValueError("lons, lats and days must be 1-D arrays of the same length.")
        workers = self.workers if lon.shape[0] >= PARALLEL_MIN_POINTS else 1
        if workers > 1:
            # shapely releases the GIL in its vectorised calls: chunks run on all cores
            bounds = np.linspace(0, lon.shape[0], workers + 1).astype(np.int64)
            chunks = list(itertools.pairwise(bounds))
            with ThreadPoolExecutor(max_workers=workers) as pool:
                parts = list(
                    pool.map(lambda c: self._chunk(lon, lat, day, int(c[0]), int(c[1])), chunks)
                )
            control_version = np.concatenate([p[0] for p in parts])
            pt = np.concatenate([p[1] for p in parts])
            zone = np.concatenate([p[2] for p in parts])
        else:
            control_version = self.control.at_many(lat, lon, day)
            pt, zone = self._zone_pairs(lon, lat, day)
        counts = np.bincount(zone, minlength=len(self.zone_names)).astype(np.int64)
        return BatchResult(
            control_version=control_version,
            zone_point_idx=pt,
            zone_idx=zone,
            zone_counts=counts,
            zone_names=self.zone_names,
        )

    def _chunk(self, lon: NDArray[np.float64], lat: NDArray[np.float64], day: _IntArray, lo: int,
               hi: int) -> tuple[_IntArray, _IntArray, _IntArray]:  # fmt: skip
        versions = self.control.at_many(lat[lo:hi], lon[lo:hi], day[lo:hi])
        pt, zone = self._zone_pairs(lon[lo:hi], lat[lo:hi], day[lo:hi])
        return versions, pt + lo, zone

    def _zone_pairs(
        self, lon: NDArray[np.float64], lat: NDArray[np.float64], day: _IntArray
    ) -> tuple[_IntArray, _IntArray]:
        empty = np.zeros(0, dtype=np.int64)
        if self._zone_tree is None or self._grid is None or lon.shape[0] == 0:
            return empty, empty.copy()
        # only points whose grid cell touches some zone's bounding box become geometries
        cand = np.flatnonzero(self._grid.candidates(lon, lat))
        if cand.shape[0] == 0:
            return empty, empty.copy()
        hit_pt, hit_zone = self._zone_tree.query(
            shapely.points(lon[cand], lat[cand]), predicate="covered_by"
        )
        pt = cand[hit_pt].astype(np.int64)
        zone = hit_zone.astype(np.int64)
        d = day[pt]
        active = (self.zone_start[zone] <= d) & (d <= self.zone_end[zone])
        pt, zone = pt[active], zone[active]
        order = np.lexsort((zone, pt))
        return pt[order], zone[order]


class _ZoneGrid:
    """A coarse boolean raster over the zones' joint bounds: cells touching any zone's bbox.

    Cells are marked one cell wider than each bounding box on every side, so rounding in the
    cell arithmetic can only add candidates, never drop a point a zone covers.
    """

    def __init__(self, geometries: Sequence[Any]) -> None:
        bounds = shapely.bounds(np.asarray(geometries, dtype=object))  # (n, 4)
        self.x0, self.y0 = float(bounds[:, 0].min()), float(bounds[:, 1].min())
        self.x1, self.y1 = float(bounds[:, 2].max()), float(bounds[:, 3].max())
        self.nx = self.ny = _GRID_CELLS
        self.sx = self.nx / max(self.x1 - self.x0, 1e-12)
        self.sy = self.ny / max(self.y1 - self.y0, 1e-12)
        mask = np.zeros((self.ny, self.nx), dtype=bool)
        for minx, miny, maxx, maxy in bounds:
            i0, i1 = self._cells(minx, maxx, self.x0, self.sx, self.nx)
            j0, j1 = self._cells(miny, maxy, self.y0, self.sy, self.ny)
            mask[j0:j1, i0:i1] = True
        self.mask: NDArray[np.bool_] = mask.ravel()

    @staticmethod
    def _cells(lo: float, hi: float, origin: float, scale: float, n: int) -> tuple[int, int]:
        first = int(np.floor((lo - origin) * scale)) - 1
        last = int(np.floor((hi - origin) * scale)) + 1
        return max(first, 0), min(last, n - 1) + 1

    def candidates(self, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
        inside = (lon >= self.x0) & (lon <= self.x1) & (lat >= self.y0) & (lat <= self.y1)
        with np.errstate(invalid="ignore"):  # NaN coordinates: outside, whatever their cell
            ix = np.clip(((lon - self.x0) * self.sx).astype(np.int64), 0, self.nx - 1)
            iy = np.clip(((lat - self.y0) * self.sy).astype(np.int64), 0, self.ny - 1)
        hit: NDArray[np.bool_] = inside & self.mask[iy * self.nx + ix]
        return hit
