"""Territorial control over time: who held an area on a given day, and on what evidence.

The control map is a monitoring aid. It records which side held an area during which interval so
that incidents can be attributed and verified; it never marks any place as open to attack.

A :class:`ControlMap` is an append-only log of :class:`ControlVersion` records. Each version says
that an area (an OCHA governorate, an Aleppo neighbourhood, an analyst polygon or a point) had a
status and controlling actors from ``valid_from`` to ``valid_to`` (both inclusive; ``None`` means
open-ended), with its sources and confidence. Rules:

* :meth:`ControlMap.add` never overwrites. A version that overlaps an earlier version of the same
  area gets ``supersedes`` pointing to the latest such version; the old one stays in
  :meth:`ControlMap.history`.
* When several versions of an area cover a day, the latest recorded (highest ``version``) wins.
* When a point lies in several areas (a neighbourhood inside a governorate), the smallest area
  with a version on that day answers: the most specific record wins.
* An area's shape is the shape of its latest recorded version; a change of shape is a new area.
* Point areas (``kind == "point"``) answer only for their own coordinates (within
  :data:`POINT_TOLERANCE_DEG`), e.g. a town geocoded from the gazetteer.

Nothing here guesses: a point outside every area, or a day no version covers, gets status
``"unknown"`` with the reason.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import warnings
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cache
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, mapping, shape
from shapely.geometry.polygon import orient
from shapely.strtree import STRtree

from ceasefire.errors import IntakeError, NotFoundError, Problem
from ceasefire.model.geojson import vertex_count

__all__ = [
    "KINDS",
    "MAX_AREA_VERTICES",
    "MAX_CONTROL_BYTES",
    "MAX_CONTROL_ROWS",
    "POINT_TOLERANCE_DEG",
    "STATUSES",
    "ControlAnswer",
    "ControlImport",
    "ControlMap",
    "ControlVersion",
    "apply_incident_change",
    "import_csv",
    "import_geojson",
    "json_document",
    "load_aleppo_2016",
    "packaged_areas",
]

KINDS = ("admin1", "neighbourhood", "geojson", "point")
# an analyst file is read within these bounds (a larger one is refused with its reason): bytes
# read, after decompression for .gz (a gzip bomb stops there); vertices of one area (as the
# agreement loader's zones); features or rows of one file
MAX_CONTROL_BYTES = 20_000_000
MAX_AREA_VERTICES = 200_000
MAX_CONTROL_ROWS = 100_000
STATUSES = ("held", "contested", "mixed", "unknown")
POINT_TOLERANCE_DEG = 1e-6
_EPOCH = date(1970, 1, 1)
_OPEN_END = np.int64(2**40)  # day number standing for "no end date"

# Labels of the hand-labelled Aleppo CSV → (status, actors).
_ALEPPO_LABELS: dict[str, tuple[str, tuple[str, ...]]] = {
    "government": ("held", ("SYR_GOV",)),
    "opposition": ("held", ("SYR_INSURGENTS",)),
    "kurdish": ("held", ("YPG",)),
    "contested": ("contested", ()),
    "unknown": ("unknown", ()),
}
# (CSV column, first day, last day) of the four labelled dates; see load_aleppo_2016.
_ALEPPO_INTERVALS = (
    ("control_2016_09_12", date(2016, 9, 12), date(2016, 9, 18)),
    ("control_2016_09_19", date(2016, 9, 19), date(2016, 11, 14)),
    ("control_2016_11_15", date(2016, 11, 15), date(2016, 12, 14)),
    ("control_2016_12_15", date(2016, 12, 15), date(2016, 12, 31)),
)
_ALEPPO_CSV = "aleppo_neighbourhood_control_2016.csv"


@dataclass(frozen=True)
class ControlVersion:
    """One recorded statement: ``area_id`` had ``status``/``actors`` over an interval."""

    area_id: str
    kind: str
    name: str
    geometry: Any  # a shapely Polygon, MultiPolygon or Point (WGS84 lon/lat)
    actors: tuple[str, ...]
    status: str
    valid_from: date
    valid_to: date | None
    sources: tuple[str, ...]
    confidence: str
    recorded_by: str
    supersedes: int | None = None
    version: int = 0

    def covers(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)

    def overlaps(self, other: ControlVersion) -> bool:
        a_end = self.valid_to or date.max
        b_end = other.valid_to or date.max
        return self.valid_from <= b_end and other.valid_from <= a_end


@dataclass(frozen=True)
class ControlAnswer:
    """The answer to "who held this place on this day"; ``status == "unknown"`` says why."""

    status: str
    actors: tuple[str, ...] = ()
    area_id: str | None = None
    area_name: str | None = None
    version: int | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    sources: tuple[str, ...] = ()
    confidence: str | None = None
    reason: str = ""

    @classmethod
    def of(cls, v: ControlVersion) -> ControlAnswer:
        return cls(
            status=v.status,
            actors=v.actors,
            area_id=v.area_id,
            area_name=v.name,
            version=v.version,
            valid_from=v.valid_from,
            valid_to=v.valid_to,
            sources=v.sources,
            confidence=v.confidence,
            reason="" if v.status != "unknown" else "the recorded status is unknown",
        )


@dataclass
class _Index:
    area_ids: list[str]
    tree: Any  # STRtree over the indexed area geometries
    rank: np.ndarray  # area index → rank by size (0 = smallest, most specific)
    seg_key: np.ndarray  # area index * 2**41 + first day of each resolved segment, sorted
    seg_end: np.ndarray  # last day of each segment (inclusive)
    seg_version: np.ndarray  # winning version number of each segment
    grid: _CellGrid | None = None  # cells inside exactly one area; built for large batches only
    geoms: list[Any] | None = None


GRID_CELLS = 512
GRID_MIN_POINTS = 100_000  # a batch this large repays building the cell grid (~0.5 s)


@dataclass(frozen=True)
class _CellGrid:
    """A regular grid over the areas' bounds: ``owner[cell]`` is the only area a cell touches
    when that area contains the whole cell, else -1 (the point then goes to the tree)."""

    x0: float
    y0: float
    dx: float
    dy: float
    n: int
    owner: np.ndarray

    @classmethod
    def build(cls, tree: Any, geoms: list[Any], n: int = GRID_CELLS) -> _CellGrid | None:
        if not geoms:
            return None
        bounds = shapely.total_bounds(np.asarray(geoms, dtype=object))
        x0, y0, x1, y1 = (float(b) for b in bounds)
        if not (x1 > x0 and y1 > y0):
            return None
        dx, dy = (x1 - x0) / n, (y1 - y0) / n
        ii, jj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
        cells = shapely.box(x0 + ii.ravel() * dx, y0 + jj.ravel() * dy, x0 + (ii.ravel() + 1) * dx,
                            y0 + (jj.ravel() + 1) * dy)  # fmt: skip
        touch_cell, _ = tree.query(cells, predicate="intersects")
        touches = np.bincount(touch_cell, minlength=n * n)
        inside_cell, inside_area = tree.query(cells, predicate="within")
        owner = np.full(n * n, -1, dtype=np.int64)
        single = touches[inside_cell] == 1
        owner[inside_cell[single]] = inside_area[single]
        return cls(x0, y0, dx, dy, n, owner)

    def lookup(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """The owning area per point, -1 where the point must be tested against geometries."""
        finite = np.isfinite(lon) & np.isfinite(lat)
        fx = np.where(finite, (lon - self.x0) / self.dx, -1.0)
        fy = np.where(finite, (lat - self.y0) / self.dy, -1.0)
        i = np.floor(fx).astype(np.int64)
        j = np.floor(fy).astype(np.int64)
        ok = finite & (i >= 0) & (i < self.n) & (j >= 0) & (j < self.n)
        out = np.full(lon.shape[0], -1, dtype=np.int64)
        out[ok] = self.owner[i[ok] * self.n + j[ok]]
        return out


def _day(d: date) -> int:
    return (d - _EPOCH).days


class ControlMap:
    """An append-only, time-aware map of territorial control. Construction does no I/O."""

    def __init__(self, versions: Iterable[ControlVersion] = ()) -> None:
        self._versions: list[ControlVersion] = []
        self._by_area: dict[str, list[ControlVersion]] = {}
        self._index: _Index | None = None
        self.extend(versions)

    # -- recording --------------------------------------------------------------------------
    def add(self, version: ControlVersion) -> ControlVersion:
        """Record ``version``; returns it with its ``version`` number and ``supersedes`` set."""
        if version.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {version.status!r}.")
        if version.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {version.kind!r}.")
        if version.valid_to is not None and version.valid_to < version.valid_from:
            raise ValueError(f"{version.area_id}: valid_to is before valid_from.")
        earlier = [v for v in self._by_area.get(version.area_id, []) if v.overlaps(version)]
        stored = replace(
            version,
            version=len(self._versions) + 1,
            supersedes=max(v.version for v in earlier) if earlier else None,
        )
        self._versions.append(stored)
        self._by_area.setdefault(stored.area_id, []).append(stored)
        self._index = None
        return stored

    def extend(self, versions: Iterable[ControlVersion]) -> list[ControlVersion]:
        return [self.add(v) for v in versions]

    # -- questions --------------------------------------------------------------------------
    @property
    def versions(self) -> tuple[ControlVersion, ...]:
        """Every recorded version in recording order (``versions[n - 1].version == n``)."""
        return tuple(self._versions)

    def area_ids(self) -> list[str]:
        return sorted(self._by_area)

    def history(self, area_id: str) -> list[ControlVersion]:
        """Every version of ``area_id`` in recording order, superseded ones included."""
        return list(self._by_area.get(area_id, []))

    def area_at(self, area_id: str, on: date) -> ControlVersion | None:
        """The winning version of ``area_id`` on ``on`` (latest recorded that covers it)."""
        covering = [v for v in self._by_area.get(area_id, []) if v.covers(on)]
        return max(covering, key=lambda v: v.version) if covering else None

    def snapshot(self, on: date) -> list[ControlVersion]:
        """The winning version of every area on ``on``, sorted by area id."""
        found = (self.area_at(a, on) for a in self.area_ids())
        return [v for v in found if v is not None]

    def at(self, lat: float, lon: float, on: date) -> ControlAnswer:
        """Who held the point (WGS84) on ``on``; ``"unknown"`` with a reason if nobody knows."""
        index = self._ensure_index()
        if index is None:
            return ControlAnswer(status="unknown", reason="the control map has no areas")
        hits = index.tree.query(Point(lon, lat), predicate="intersects")
        if len(hits) == 0:
            return ControlAnswer(
                status="unknown", reason=f"no mapped area contains ({lat:.6f}, {lon:.6f})"
            )
        for i in sorted(hits.tolist(), key=lambda i: int(index.rank[i])):
            found = self.area_at(index.area_ids[i], on)
            if found is not None:
                return ControlAnswer.of(found)
        names = ", ".join(sorted(index.area_ids[i] for i in hits.tolist()))
        return ControlAnswer(
            status="unknown",
            reason=f"no version of area(s) {names} covers {on.isoformat()}",
        )

    def at_many(self, lats: Any, lons: Any, days: Any) -> np.ndarray:
        """Vectorised :meth:`at`: the winning version number per point, ``-1`` where unknown.

        ``days`` is an array of ``datetime64[D]`` (or integer days since 1970-01-01). Look the
        numbers up in :attr:`versions` (``versions[n - 1]``).
        """
        lat = np.asarray(lats, dtype=float)
        lon = np.asarray(lons, dtype=float)
        day = np.asarray(days)
        day = day.astype("datetime64[D]").astype(np.int64) if day.dtype.kind == "M" else day
        day = day.astype(np.int64)
        out = np.full(lat.shape[0], -1, dtype=np.int64)
        index = self._ensure_index()
        if index is None or lat.shape[0] == 0:
            return out
        # cells inside one area answer without a geometry test; the rest go to the tree
        # ("covered_by" equals "intersects" for points, boundary included, and is ~1.9x faster)
        if index.grid is None and index.geoms and lat.shape[0] >= GRID_MIN_POINTS:
            index.grid = _CellGrid.build(index.tree, index.geoms)
        owner = index.grid.lookup(lon, lat) if index.grid is not None else np.full(lat.shape[0], -1)
        fast = np.flatnonzero(owner >= 0)
        slow = np.flatnonzero(owner < 0)
        hit_pt, hit_area = index.tree.query(
            shapely.points(lon[slow], lat[slow]), predicate="covered_by"
        )
        pt_idx = np.concatenate([fast, slow[hit_pt]]).astype(np.int64)
        area_idx = np.concatenate([owner[fast], hit_area]).astype(np.int64)
        if len(pt_idx) == 0:
            return out
        key = area_idx.astype(np.int64) * np.int64(2**41) + day[pt_idx]
        seg = np.searchsorted(index.seg_key, key, side="right") - 1
        seg_ok = seg >= 0
        seg = np.where(seg_ok, seg, 0)
        same_area = (index.seg_key[seg] >> np.int64(41)) == area_idx
        valid = seg_ok & same_area & (day[pt_idx] <= index.seg_end[seg])
        pt_idx, area_idx, seg = pt_idx[valid], area_idx[valid], seg[valid]
        # most specific area first: sort by point, then by size rank; keep the first per point
        order = np.lexsort((index.rank[area_idx], pt_idx))
        pt_sorted = pt_idx[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = pt_sorted[1:] != pt_sorted[:-1]
        out[pt_sorted[first]] = index.seg_version[seg[order][first]]
        return out

    def to_geojson(self, on: date) -> dict[str, Any]:
        """RFC 7946 FeatureCollection of the snapshot on ``on`` (deterministic, CCW exteriors)."""
        features = [
            {
                "type": "Feature",
                "id": v.area_id,
                "geometry": _geojson_geometry(v.geometry),
                "properties": {
                    "area_id": v.area_id,
                    "kind": v.kind,
                    "name": v.name,
                    "status": v.status,
                    "actors": list(v.actors),
                    "valid_from": v.valid_from.isoformat(),
                    "valid_to": v.valid_to.isoformat() if v.valid_to else None,
                    "sources": list(v.sources),
                    "confidence": v.confidence,
                    "version": v.version,
                },
            }
            for v in self.snapshot(on)
        ]
        return {"type": "FeatureCollection", "features": features}

    # -- index ------------------------------------------------------------------------------
    def _ensure_index(self) -> _Index | None:
        if self._index is None and self._by_area:
            self._index = self._build_index()
        return self._index

    def _build_index(self) -> _Index:
        area_ids = self.area_ids()
        geoms = []
        for a in area_ids:
            g = self._by_area[a][-1].geometry
            geoms.append(g.buffer(POINT_TOLERANCE_DEG) if g.geom_type == "Point" else g)
        sizes = np.array([g.area for g in geoms])
        rank = np.empty(len(area_ids), dtype=np.int64)
        rank[np.lexsort((np.arange(len(area_ids)), sizes))] = np.arange(len(area_ids))
        keys: list[int] = []
        ends: list[int] = []
        winners: list[int] = []
        for i, a in enumerate(area_ids):
            for start, end, won in _resolve(self._by_area[a]):
                keys.append(i * 2**41 + start)
                ends.append(end)
                winners.append(won)
        tree = STRtree(geoms)
        return _Index(
            area_ids=area_ids,
            tree=tree,
            geoms=geoms,
            rank=rank,
            seg_key=np.array(keys, dtype=np.int64),
            seg_end=np.array(ends, dtype=np.int64),
            seg_version=np.array(winners, dtype=np.int64),
        )


def _resolve(versions: Sequence[ControlVersion]) -> list[tuple[int, int, int]]:
    """Split the day axis into segments ``(first, last, winning version)`` for one area."""
    spans = [
        (_day(v.valid_from), _day(v.valid_to) if v.valid_to else int(_OPEN_END), v.version)
        for v in versions
    ]
    cuts = sorted({s for s, _, _ in spans} | {e + 1 for _, e, _ in spans})
    out: list[tuple[int, int, int]] = []
    for start, nxt in pairwise(cuts):
        won = max((n for s, e, n in spans if s <= start and nxt - 1 <= e), default=None)
        if won is None:
            continue
        if out and out[-1][2] == won and out[-1][1] == start - 1:
            out[-1] = (out[-1][0], nxt - 1, won)
        else:
            out.append((start, nxt - 1, won))
    return out


def _rounded(coords: Any) -> Any:
    if isinstance(coords, float | int):
        return round(float(coords), 6)
    return [_rounded(c) for c in coords]


def _geojson_geometry(geom: Any) -> dict[str, Any]:
    if isinstance(geom, Polygon):
        geom = orient(geom, 1.0)
    elif isinstance(geom, MultiPolygon):
        geom = MultiPolygon([orient(p, 1.0) for p in geom.geoms])
    gj = mapping(geom)
    return {"type": gj["type"], "coordinates": _rounded(gj["coordinates"])}


def _polygonal(geom: Any) -> Any:
    """The polygonal parts of ``geom`` (after ``make_valid``) as one (Multi)Polygon."""
    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    parts = [p for p in getattr(geom, "geoms", []) if isinstance(p, Polygon | MultiPolygon)]
    flat = [q for p in parts for q in (p.geoms if isinstance(p, MultiPolygon) else [p])]
    return flat[0] if len(flat) == 1 else MultiPolygon(flat)


# -- packaged data ------------------------------------------------------------------------------
def _data_path(*parts: str) -> Path:
    return Path(str(resources.files("ceasefire").joinpath("data", *parts)))


_LAYERS = {"admin1": "admin1.geojson.gz", "neighbourhood": "aleppo_neighbourhoods.geojson.gz"}


def packaged_areas(layer: str) -> dict[str, tuple[str, Any]]:
    """``{area_id: (name, geometry)}`` of a packaged OCHA COD-AB layer.

    ``layer`` is ``"admin1"`` (14 governorates, keyed by P-code SY01…SY14) or
    ``"neighbourhood"`` (the 109 Aleppo-city neighbourhoods, keyed by code N0119…N0227).
    """
    if layer not in _LAYERS:
        raise ValueError(f"layer must be one of {sorted(_LAYERS)}, not {layer!r}.")
    return dict(_packaged(layer))  # a copy: the caller may change its dictionary


@cache
def _packaged(layer: str) -> dict[str, tuple[str, Any]]:
    """Read once per process (two layers, 123 areas): every request's control map starts from
    them, and shapely geometries are immutable."""
    with gzip.open(_data_path("boundaries", _LAYERS[layer]), "rt", encoding="utf-8") as fh:
        doc = json.load(fh)
    return {
        f["properties"]["area_id"]: (f["properties"]["name"], shape(f["geometry"]))
        for f in doc["features"]
    }


def load_aleppo_2016() -> ControlMap:
    """The hand-labelled control of the 109 Aleppo neighbourhoods in late 2016.

    Built from the packaged ``control/aleppo_neighbourhood_control_2016.csv`` (labels for
    12 Sep, 19 Sep, 15 Nov and 15 Dec 2016 with source keys) and the OCHA neighbourhood polygons.
    Each label becomes an interval: 12 Sep holds 12–18 Sep, 19 Sep holds 19 Sep–14 Nov, 15 Nov
    holds 15 Nov–14 Dec, 15 Dec holds 15–31 Dec 2016. Between labelled dates the label is
    carried forward: this is an assumption, not an observation, and changes inside an interval
    (most of the Sep–Dec offensives) are not dated here. Labels map to status and actors:
    government → held by ``SYR_GOV``, opposition → held by ``SYR_INSURGENTS``, kurdish → held
    by ``YPG``; contested → ``contested`` with no actors (the note column names the sides);
    unknown → status ``unknown``. Days before 12 Sep or after 31 Dec 2016 are not covered.
    """
    areas = packaged_areas("neighbourhood")
    path = _data_path("control", _ALEPPO_CSV)
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    versions = []
    for column, first, last in _ALEPPO_INTERVALS:
        for row in rows:
            name, geometry = areas[row["pcode"]]
            status, actors = _ALEPPO_LABELS[row[column]]
            versions.append(
                ControlVersion(
                    area_id=row["pcode"],
                    kind="neighbourhood",
                    name=name,
                    geometry=geometry,
                    actors=actors,
                    status=status,
                    valid_from=first,
                    valid_to=last,
                    sources=tuple(s for s in row["sources"].split(";") if s),
                    confidence=row["confidence"],
                    recorded_by=f"ceasefire/data/control/{_ALEPPO_CSV}:{column} (hand-labelled)",
                )
            )
    return ControlMap(versions)


def apply_incident_change(
    control_map: ControlMap,
    area_id: str,
    actors: Sequence[str],
    on: date,
    source: str,
    *,
    status: str = "held",
    confidence: str = "medium",
    recorded_by: str = "incident",
) -> ControlVersion:
    """Record a change of control reported by an incident (e.g. ACLED "Government regains
    territory") as a new sourced version of ``area_id`` from ``on``.

    The new version runs until the day before the next version of the area that starts after
    ``on`` (so later records keep their say), or stays open-ended.
    """
    history = control_map.history(area_id)
    if not history:
        raise NotFoundError(
            f"Area {area_id!r} is not on the control map; add its geometry with a first version."
        )
    base = history[-1]
    later = [v.valid_from for v in history if v.valid_from > on]
    return control_map.add(
        ControlVersion(
            area_id=area_id,
            kind=base.kind,
            name=base.name,
            geometry=base.geometry,
            actors=tuple(actors),
            status=status,
            valid_from=on,
            valid_to=min(later) - timedelta(days=1) if later else None,
            sources=(source,),
            confidence=confidence,
            recorded_by=recorded_by,
        )
    )


# -- analyst layers -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ControlImport:
    """Versions read from an analyst file, and the located problems of the rows left out."""

    versions: tuple[ControlVersion, ...] = ()
    problems: tuple[Problem, ...] = field(default_factory=tuple)

    def into(self, control_map: ControlMap) -> list[ControlVersion]:
        return control_map.extend(self.versions)


def _in_range(geom: Any) -> bool:
    """Every coordinate a finite longitude and latitude in degrees (GEOS fails on NaN/inf)."""
    coords = shapely.get_coordinates(geom)
    if coords.size == 0:
        return True
    finite = bool(np.isfinite(coords).all())
    return finite and bool(
        (np.abs(coords[:, 0]) <= 180).all() and (np.abs(coords[:, 1]) <= 90).all()
    )


def _read_bounded(p: Path, what: str) -> bytes:
    """The bytes of an analyst file (decompressed for ``.gz``), at most ``MAX_CONTROL_BYTES``."""
    try:
        if p.suffix == ".gz":
            with gzip.open(p, "rb") as fh:
                data = fh.read(MAX_CONTROL_BYTES + 1)
        else:
            with p.open("rb") as fh:
                data = fh.read(MAX_CONTROL_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        raise IntakeError(f"Cannot read {what} {p}: {exc}. Check the path (and the gzip).") from exc
    if len(data) > MAX_CONTROL_BYTES:
        unpacked = " once decompressed" if p.suffix == ".gz" else ""
        raise IntakeError(f"{p}:1: the {what} is larger than {MAX_CONTROL_BYTES:,} bytes"
                          f"{unpacked}; split it.")  # fmt: skip
    return data


def json_document(data: bytes, p: Path, what: str) -> Any:
    """``data`` read as JSON; :class:`IntakeError` with the line and column of what is wrong."""
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise IntakeError(f"{p}: the {what} is not UTF-8 text ({exc.reason}).") from exc
    except json.JSONDecodeError as exc:
        raise IntakeError(f"{p}:{exc.lineno}:{exc.colno}: the {what} is not valid JSON "
                          f"({exc.msg}).") from exc  # fmt: skip
    except RecursionError as exc:
        raise IntakeError(f"{p}: the {what} is nested too deeply to read.") from exc
    except ValueError as exc:  # an integer of thousands of digits (Python's conversion limit)
        raise IntakeError(f"{p}: the {what} holds a number that cannot be read ({exc}).") from exc


def _split(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return tuple(s.strip() for s in str(value).split(";") if s.strip())


def _fields(
    props: dict[str, Any], file: str, line: int, prefix: str, problems: list[Problem]
) -> dict[str, Any] | None:
    """Check the shared fields of a GeoJSON feature or CSV row; ``None`` if any is bad."""
    found: list[Problem] = []

    def bad(name: str, message: str) -> None:
        found.append(Problem(file, line, f"{prefix}{name}", message))

    area_id = str(props.get("area_id") or props.get("pcode") or "").strip()
    if not area_id:
        bad("area_id", "is missing; give the area an id (or a pcode).")
    status = str(props.get("status") or "").strip()
    if status not in STATUSES:
        bad("status", f"must be one of {', '.join(STATUSES)}, not {status!r}.")
    dates: dict[str, date | None] = {}
    for name in ("valid_from", "valid_to"):
        raw = str(props.get(name) or "").strip()
        if not raw:
            dates[name] = None
            if name == "valid_from":
                bad(name, "is missing; give the first day as YYYY-MM-DD.")
            continue
        try:
            dates[name] = date.fromisoformat(raw)
        except ValueError:
            bad(name, f"is not a YYYY-MM-DD date: {raw!r}.")
    start, end = dates.get("valid_from"), dates.get("valid_to")
    if start and end and end < start:
        bad("valid_to", f"{end} is before valid_from {start}.")
    sources = _split(props.get("sources"))
    if not sources:
        bad("sources", "is empty; every control statement needs at least one source key.")
    problems.extend(found)
    if found:
        return None
    return {
        "area_id": area_id,
        "status": status,
        "actors": _split(props.get("actors")),
        "valid_from": start,
        "valid_to": end,
        "sources": sources,
        "name": str(props.get("name") or area_id),
        "confidence": str(props.get("confidence") or "unstated"),
    }


def import_geojson(path: str | Path, *, recorded_by: str | None = None) -> ControlImport:
    """Read an analyst GeoJSON layer of control statements.

    Each Feature has a Polygon, MultiPolygon or Point geometry and properties ``area_id``,
    ``status``, ``actors`` (list or ``;``-joined), ``valid_from``, ``valid_to`` (optional),
    ``sources`` (list or ``;``-joined), and optionally ``name`` and ``confidence``. Invalid
    polygons are repaired with ``make_valid`` and reported as warnings. Raises
    :class:`IntakeError` if the file cannot be read as a FeatureCollection.
    """
    p = Path(path)
    doc = json_document(_read_bounded(p, "control layer"), p, "control layer")
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise IntakeError(f"{p} is not a GeoJSON FeatureCollection; wrap features in one.")
    file = str(p)
    problems: list[Problem] = []
    versions: list[ControlVersion] = []
    features = doc.get("features") or []
    if not isinstance(features, list):
        raise IntakeError(f"{p}: 'features' must be a list of GeoJSON Features.")
    if len(features) > MAX_CONTROL_ROWS:
        raise IntakeError(f"{p} has {len(features):,} features; at most {MAX_CONTROL_ROWS:,} are "
                          "read from one file: split it.")  # fmt: skip
    for i, feat in enumerate(features):
        prefix = f"features[{i}]."
        props = (feat.get("properties") or {}) if isinstance(feat, dict) else {}
        if not isinstance(props, dict):
            props = {}
        fields = _fields(props, file, i, prefix + "properties.", problems)
        raw = feat.get("geometry") if isinstance(feat, dict) else None
        vertices = vertex_count(raw.get("coordinates") if isinstance(raw, dict) else None)
        if vertices > MAX_AREA_VERTICES:
            problems.append(Problem(file, i, prefix + "geometry", f"has more than "
                                    f"{MAX_AREA_VERTICES:,} vertices; simplify it."))  # fmt: skip
            continue
        try:
            with warnings.catch_warnings():  # NaN or inf: refused just below
                warnings.simplefilter("ignore", RuntimeWarning)
                geom = shape(raw)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError,
                shapely.errors.ShapelyError):  # fmt: skip
            problems.append(Problem(file, i, prefix + "geometry", "is missing or not GeoJSON."))
            continue
        if not _in_range(geom):
            problems.append(Problem(file, i, prefix + "geometry", "has a coordinate that is not "
                                    "a longitude/latitude in degrees (finite, within ±180/±90)."))  # fmt: skip
            continue
        if geom.geom_type not in ("Polygon", "MultiPolygon", "Point") or geom.is_empty:
            problems.append(
                Problem(
                    file,
                    i,
                    prefix + "geometry",
                    f"must be a (Multi)Polygon or Point, not {geom.geom_type}.",
                )
            )
            continue
        if not geom.is_valid:
            geom = _polygonal(shapely.make_valid(geom))
            if geom.is_empty:
                problems.append(Problem(file, i, prefix + "geometry",
                                        "is invalid and has no area once repaired."))  # fmt: skip
                continue
            problems.append(
                Problem(
                    file,
                    i,
                    prefix + "geometry",
                    "was invalid and was repaired with make_valid.",
                    "warning",
                )
            )
        if fields is None:
            continue
        kind = "point" if geom.geom_type == "Point" else "geojson"
        versions.append(
            ControlVersion(geometry=geom, kind=kind, recorded_by=recorded_by or file, **fields)
        )
    return ControlImport(tuple(versions), tuple(problems))


def import_csv(
    path: str | Path, *, known: ControlMap | None = None, recorded_by: str | None = None
) -> ControlImport:
    """Read analyst control statements from a CSV file.

    Columns: ``area_id`` (or ``pcode``), ``status``, ``actors`` and ``sources`` (``;``-joined),
    ``valid_from``, ``valid_to`` (optional), and optionally ``name``, ``confidence``, and
    ``lat``/``lon`` for a point area. Without lat/lon the area must already be on ``known`` or
    be a packaged OCHA area (governorate P-code SY01…SY14 or Aleppo neighbourhood code N####).
    Line numbers count the header as line 1. Raises :class:`IntakeError` if unreadable.
    """
    p = Path(path)
    data = _read_bounded(p, "control table")
    try:
        rows = []
        for row in csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")):
            rows.append(row)
            if len(rows) > MAX_CONTROL_ROWS:
                raise IntakeError(f"{p}:{len(rows) + 1}: more than {MAX_CONTROL_ROWS:,} rows; "
                                  "split the table.")  # fmt: skip
    except (UnicodeDecodeError, csv.Error) as exc:
        raise IntakeError(
            f"Cannot read control table {p}: {exc}. Check the path and encoding."
        ) from exc
    file = str(p)
    problems: list[Problem] = []
    versions: list[ControlVersion] = []
    packaged: dict[str, tuple[str, str, Any]] = {}
    for line, row in enumerate(rows, start=2):
        fields = _fields(row, file, line, "", problems)
        lat, lon = (row.get("lat") or "").strip(), (row.get("lon") or "").strip()
        if fields is None:
            continue
        if lat or lon:
            try:
                geom, kind = Point(float(lon), float(lat)), "point"
            except ValueError:
                problems.append(
                    Problem(file, line, "lat/lon", f"are not numbers: {lat!r}, {lon!r}.")
                )
                continue
            if not _in_range(geom):
                problems.append(Problem(file, line, "lat/lon", f"{lat!r}, {lon!r} are not a "
                                        "latitude and longitude in degrees."))  # fmt: skip
                continue
        else:
            area = fields["area_id"]
            history = known.history(area) if known is not None else []
            if history:
                geom, kind, fields["name"] = (
                    history[-1].geometry,
                    history[-1].kind,
                    history[-1].name,
                )
            else:
                if not packaged:
                    for layer in ("admin1", "neighbourhood"):
                        for a, (n, g) in packaged_areas(layer).items():
                            packaged[a] = (n, layer, g)
                if area not in packaged:
                    problems.append(
                        Problem(
                            file,
                            line,
                            "area_id",
                            f"{area!r} is not a known area; give lat/lon or an OCHA code.",
                        )
                    )
                    continue
                fields["name"], kind, geom = packaged[area]
        versions.append(
            ControlVersion(geometry=geom, kind=kind, recorded_by=recorded_by or file, **fields)
        )
    return ControlImport(tuple(versions), tuple(problems))
