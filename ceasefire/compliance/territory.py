"""Who held the ground where and when an incident happened, within the place's precision.

The incident's point is widened to its uncertainty disc (a stated radius, or UCDP's
``where_prec``); every mapped area with a version on the day that the disc touches is asked.  One
answer only when all agree and the disc lies inside mapped ground; otherwise "uncertain" (areas
disagree: the event coded to Aleppo's centre point spans neighbourhoods held by different sides)
or "unknown" (no mapped area, no version that day).  Never guessed.
"""

from __future__ import annotations

import math
import weakref
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray
from shapely import STRtree
from shapely.geometry import Point
from shapely.ops import unary_union

from ceasefire.geo.areas import disc_misses, discs_miss
from ceasefire.geo.control import ControlMap, ControlVersion
from ceasefire.geo.zones import LocalFrame, precision_radius_m
from ceasefire.model.incidents import Incident

__all__ = ["GroundControl", "control_at_incident", "far_from_map"]


@dataclass(frozen=True)
class GroundControl:
    status: str  # held | contested | mixed | unknown | uncertain
    actors: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    reason: str = ""
    # the answer at the coded point itself, shown beside the answer over the precision disc
    at_point: tuple[str, tuple[str, ...], str] | None = None  # (status, actors, area id)

    @cached_property
    def json(self) -> dict[str, Any]:
        """``to_json`` made once (findings share it; nobody changes it)."""
        return self.to_json()

    def to_json(self) -> dict[str, Any]:
        return {
            "at_coded_point": None
            if self.at_point is None
            else {
                "status": self.at_point[0],
                "actors": list(self.at_point[1]),
                "area": self.at_point[2],
            },
            "status": self.status,
            "actors": list(self.actors),
            "areas": list(self.areas),
            "sources": list(self.sources),
            "reason": self.reason,
        }


@dataclass
class _Day:
    """The versions in force on one day, with a tree over their geometries and their bounds."""

    versions: list[ControlVersion]
    tree: STRtree
    bounds: tuple[float, float, float, float]  # min lon, min lat, max lon, max lat
    # answers already given for a (lon, lat, radius) on this day: many incidents share a place
    answers: dict[tuple[float, float, float], GroundControl] = field(default_factory=dict)


_MAX_ANSWERS = 100_000  # per day; beyond it the day's answers start afresh


@dataclass
class _Snapshots:
    """What is known of one control map's days.  It never refers to the map itself: the map is
    the key of a weak dictionary (``_SNAPSHOTS``), and a value that held its key would keep the
    entry, and every map ever asked about, alive for good."""

    by_day: dict[tuple[int, int], _Day | None] = field(default_factory=dict)
    _span: tuple[date, date | None, tuple[float, float, float, float]] | None = None
    _span_key: int = -1
    _changes: list[date] = field(default_factory=list)
    _changes_key: int = -1

    def span(
        self, control: ControlMap
    ) -> tuple[date, date | None, tuple[float, float, float, float]] | None:
        """The first and last day any version covers (None: open) and the bounds of all areas,
        so an incident far from the map in time or space is answered at once."""
        key = len(control.versions)
        if self._span_key != key:
            versions = control.versions
            if not versions:
                self._span = None
            else:
                ends = [v.valid_to for v in versions]
                xs0, ys0, xs1, ys1 = zip(*(v.geometry.bounds for v in versions), strict=True)
                self._span = (min(v.valid_from for v in versions),
                              None if any(e is None for e in ends) else max(e for e in ends if e is not None),
                              (min(xs0), min(ys0), max(xs1), max(ys1)))  # fmt: skip
            self._span_key = key
        return self._span

    def on(self, control: ControlMap, day: date) -> _Day | None:
        # days between two changes of control share one snapshot; a version added later
        # invalidates them all
        n = len(control.versions)
        if self._changes_key != n:
            # a version covers valid_from … valid_to inclusive: the set changes the day after
            self._changes = sorted(
                {v.valid_from for v in control.versions}
                | {v.valid_to + timedelta(days=1) for v in control.versions if v.valid_to}
            )
            self._changes_key = n
        key = (bisect_right(self._changes, day), n)
        if key not in self.by_day:
            versions = control.snapshot(day)
            if not versions:
                self.by_day[key] = None
            else:
                tree = STRtree([v.geometry for v in versions])
                xs0, ys0, xs1, ys1 = zip(*(v.geometry.bounds for v in versions), strict=True)
                self.by_day[key] = _Day(versions, tree, (min(xs0), min(ys0), max(xs1), max(ys1)))
        return self.by_day[key]


# per control map (weakly held: a map that is gone takes its snapshots with it)
_SNAPSHOTS: weakref.WeakKeyDictionary[ControlMap, _Snapshots] = weakref.WeakKeyDictionary()


def control_at_incident(control: ControlMap, incident: Incident, tz: Any) -> GroundControl:
    """The ground's control at an incident's place over its days ("unknown" with the reason)."""
    place = incident.place
    if place.lat is None or place.lon is None:
        return GroundControl("unknown", reason="the incident has no coordinates")
    first = incident.window.start.astimezone(tz).date()
    last = (incident.window.end - timedelta(microseconds=1)).astimezone(tz).date()
    if (last - first).days > MAX_DAYS:
        return GroundControl(
            "unknown", reason=f"the incident's window is longer than {MAX_DAYS} days"
        )
    snaps = _SNAPSHOTS.get(control)
    if snaps is None:
        snaps = _SNAPSHOTS[control] = _Snapshots()
    span = snaps.span(control)
    if span is None or last < span[0] or (span[1] is not None and first > span[1]):
        return _NO_DATA_THEN
    radius = place.radius_m if place.radius_m is not None else precision_radius_m(place.precision)
    if math.isfinite(radius) and disc_misses(
        span[2], place.lon, place.lat, max(radius, CITY_RADIUS_M)
    ):
        return _NO_DATA_NEAR
    answers = {
        _on_day(control, place, first + timedelta(days=n)) for n in range((last - first).days + 1)
    }
    if len(answers) == 1:
        return answers.pop()
    statuses = sorted({a.status for a in answers})
    return GroundControl(
        "uncertain",
        areas=tuple(sorted({x for a in answers for x in a.areas})),
        sources=tuple(sorted({x for a in answers for x in a.sources})),
        reason=f"control changed or is unknown over the incident's days {first}–{last} ({', '.join(statuses)})",
    )


def far_from_map(
    control: ControlMap,
    lons: NDArray[np.float64],
    lats: NDArray[np.float64],
    radii: NDArray[np.float64],
) -> NDArray[np.bool_]:
    """For many places at once (each with the radius :func:`control_at_incident` gives it: a
    stated one, else its precision's): where the answer is decided without the coordinates —
    the map has no version at all, or the place's disc (at least a city's) certainly misses every
    area the map ever had.  There :func:`control_at_incident` depends only on the incident's
    window: "no control data" for its days, or "no mapped area near the place"."""
    snaps = _SNAPSHOTS.get(control)
    if snaps is None:
        snaps = _SNAPSHOTS[control] = _Snapshots()
    span = snaps.span(control)
    if span is None:
        return np.ones(len(lons), dtype=np.bool_)
    return discs_miss(span[2], lons, lats, np.maximum(radii, CITY_RADIUS_M))


MAX_DAYS = 31
_NO_DATA_THEN = GroundControl("unknown", reason="no control data for the incident's days")
_NO_DATA_NEAR = GroundControl("unknown", reason="no mapped area near the place")
CITY_RADIUS_M = 8_000.0
# cities whose neighbourhoods are mapped: a point coded to the city is somewhere in the city
_MAPPED_CITIES = {"aleppo", "halab", "damascus", "homs", "hama"}


def _city_point(name: str) -> bool:
    base = name.lower().replace(" town", "").replace(" city", "").strip()
    return base in _MAPPED_CITIES


def _on_day(control: ControlMap, place: Any, day: date) -> GroundControl:
    snaps = _SNAPSHOTS.get(control)
    if snaps is None:
        snaps = _SNAPSHOTS[control] = _Snapshots()
    snapshot = snaps.on(control, day)
    if snapshot is None:
        return GroundControl("unknown", reason=f"no control data for {day}")
    radius = place.radius_m if place.radius_m is not None else precision_radius_m(place.precision)
    if place.radius_m is None and _city_point(place.name):
        radius = max(
            radius, CITY_RADIUS_M
        )  # "Aleppo town": the city's centre point, not a spot in it
    if radius == float("inf"):
        return GroundControl("unknown", reason="the place is not located precisely enough")
    key = (float(place.lon), float(place.lat), float(radius))
    known = snapshot.answers.get(key)
    if known is None:
        known = _answer(snapshot, place.lon, place.lat, radius)
        if len(snapshot.answers) >= _MAX_ANSWERS:
            snapshot.answers.clear()
        snapshot.answers[key] = known
    return known


def _answer(snapshot: _Day, lon: float, lat: float, radius: float) -> GroundControl:
    if disc_misses(snapshot.bounds, lon, lat, radius):
        return GroundControl("unknown", reason=f"no control data within ±{radius:,.0f} m")
    frame = LocalFrame(lon0=lon, lat0=lat)
    disc = frame.to_wgs84(Point(0.0, 0.0).buffer(max(radius, 1.0), quad_segs=16))
    versions = snapshot.versions
    hits = [versions[i] for i in sorted(snapshot.tree.query(disc, predicate="intersects"))]
    if not hits:
        return GroundControl("unknown", reason=f"no control data within ±{radius:,.0f} m")
    point = Point(lon, lat)
    inside = sorted((v for v in hits if v.geometry.covers(point)), key=lambda v: v.area_id)
    at_point = (inside[0].status, inside[0].actors, inside[0].area_id) if inside else None
    labels = {(v.status, v.actors) for v in hits}
    areas = tuple(sorted(v.area_id for v in hits))
    sources = tuple(sorted({s for v in hits for s in v.sources}))
    if len(labels) > 1:
        held = "; ".join(sorted(f"{s} {'/'.join(a) or '—'}" for s, a in labels))
        return GroundControl("uncertain", areas=areas, sources=sources, at_point=at_point,
                             reason=f"±{radius:,.0f} m spans areas held differently ({held})")  # fmt: skip
    status, actors = labels.pop()
    if not unary_union([v.geometry for v in hits]).buffer(1e-9).contains(disc):
        return GroundControl("uncertain", actors=actors, areas=areas, sources=sources, at_point=at_point,
                             reason=f"±{radius:,.0f} m reaches beyond the mapped areas")  # fmt: skip
    return GroundControl(status, actors=actors, areas=areas, sources=sources, at_point=at_point,
                         reason=f"all mapped ground within ±{radius:,.0f} m")  # fmt: skip
