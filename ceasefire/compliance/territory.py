"""Who held the ground where and when an incident happened, within the place's precision.

The incident's point is widened to its uncertainty disc (a stated radius, or UCDP's
``where_prec``); every mapped area with a version on the day that the disc touches is asked.  One
answer only when all agree and the disc lies inside mapped ground; otherwise "uncertain" (areas
disagree: the event coded to Aleppo's centre point spans neighbourhoods held by different sides)
or "unknown" (no mapped area, no version that day).  Never guessed.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from shapely.geometry import Point
from shapely.ops import unary_union

from ceasefire.geo.control import ControlMap, ControlVersion
from ceasefire.geo.zones import LocalFrame, precision_radius_m
from ceasefire.model.incidents import Incident

__all__ = ["GroundControl", "control_at_incident"]


@dataclass(frozen=True)
class GroundControl:
    status: str  # held | contested | mixed | unknown | uncertain
    actors: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    reason: str = ""
    # the answer at the coded point itself, shown beside the answer over the precision disc
    at_point: tuple[str, tuple[str, ...], str] | None = None  # (status, actors, area id)

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
class _Snapshots:
    control: ControlMap
    by_day: dict[tuple[date, int], list[ControlVersion]] = field(default_factory=dict)

    def on(self, day: date) -> list[ControlVersion]:
        key = (day, len(self.control.versions))  # a version added later invalidates the day
        if key not in self.by_day:
            self.by_day[key] = self.control.snapshot(day)
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


MAX_DAYS = 31
CITY_RADIUS_M = 8_000.0
# cities whose neighbourhoods are mapped: a point coded to the city is somewhere in the city
_MAPPED_CITIES = {"aleppo", "halab", "damascus", "homs", "hama"}


def _city_point(name: str) -> bool:
    base = name.lower().replace(" town", "").replace(" city", "").strip()
    return base in _MAPPED_CITIES


def _on_day(control: ControlMap, place: Any, day: date) -> GroundControl:
    snaps = _SNAPSHOTS.get(control)
    if snaps is None:
        snaps = _SNAPSHOTS[control] = _Snapshots(control)
    versions = snaps.on(day)
    if not versions:
        return GroundControl("unknown", reason=f"no control data for {day}")
    radius = place.radius_m if place.radius_m is not None else precision_radius_m(place.precision)
    if place.radius_m is None and _city_point(place.name):
        radius = max(
            radius, CITY_RADIUS_M
        )  # "Aleppo town": the city's centre point, not a spot in it
    if radius == float("inf"):
        return GroundControl("unknown", reason="the place is not located precisely enough")
    frame = LocalFrame(lon0=place.lon, lat0=place.lat)
    disc = frame.to_wgs84(Point(0.0, 0.0).buffer(max(radius, 1.0), quad_segs=16))
    hits = [v for v in versions if v.geometry.intersects(disc)]
    if not hits:
        return GroundControl("unknown", reason=f"no control data within ±{radius:,.0f} m")
    point = Point(place.lon, place.lat)
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
