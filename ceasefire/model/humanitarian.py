"""Humanitarian access: routes, convoys and the lifecycle of each convoy.

A convoy is a sequence of dated events (requested, approved, departed, crossed_border,
passed_checkpoint, waiting, delivered, blocked, inspected, attacked).  Delivered events feed the
"aid delivered" condition of the clock; blocked, inspected and attacked events become incidents
that the compliance engine judges like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ceasefire.model.incidents import Judgement
from ceasefire.model.timewindow import TimeWindow

__all__ = ["CONVOY_STATUSES", "FINDING_STATUSES", "Convoy", "ConvoyEvent", "Route"]

CONVOY_STATUSES = (
    "requested",
    "approved",
    "departed",
    "crossed_border",
    "passed_checkpoint",
    "waiting",
    "delivered",
    "blocked",
    "inspected",
    "attacked",
)
# statuses that are incidents in their own right, with their taxonomy code
FINDING_STATUSES = {"blocked": "HUM.DENY", "inspected": "HUM.INSPECT", "attacked": "HUM.ATTACK"}


@dataclass(frozen=True)
class Route:
    id: str
    name: str
    origin: str
    destination: str
    crossings: tuple[str, ...] = ()
    refs: tuple[str, ...] = ()
    kind: str = "route"

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "route",
            "id": self.id,
            "name": self.name,
            "from": self.origin,
            "to": self.destination,
            "crossings": list(self.crossings),
            "refs": list(self.refs),
        }


@dataclass(frozen=True)
class ConvoyEvent:
    status: str
    window: TimeWindow
    place: str = ""
    by: tuple[str, ...] = ()  # actor ids the source holds responsible (blocked, inspected)
    reason: str = ""  # permit | security | inspection | …
    note: str = ""
    refs: tuple[str, ...] = ()
    occurrence: str = "alleged"
    lat: float | None = None
    lon: float | None = None
    admin1: str = ""
    casualties: tuple[tuple[str, int, str], ...] = ()  # (qualifier, value, source key)
    judgements: tuple[Judgement, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "window": self.window.to_json(),
            "place": self.place,
            "by": list(self.by),
            "reason": self.reason,
            "note": self.note,
            "refs": list(self.refs),
            "occurrence": self.occurrence,
            "lat": self.lat,
            "lon": self.lon,
            "admin1": self.admin1,
            "casualties": [list(c) for c in self.casualties],
            "judgements": [j.to_json() for j in self.judgements],
        }


@dataclass(frozen=True)
class Convoy:
    id: str
    organisation: str
    route: str
    origin: str
    destination: str
    trucks: int | None
    beneficiaries: int | None
    events: tuple[ConvoyEvent, ...]
    refs: tuple[str, ...] = ()
    kind: str = "convoy"

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "convoy",
            "id": self.id,
            "organisation": self.organisation,
            "route": self.route,
            "from": self.origin,
            "to": self.destination,
            "trucks": self.trucks,
            "beneficiaries": self.beneficiaries,
            "events": [e.to_json() for e in self.events],
            "refs": list(self.refs),
        }
