"""Incidents: one record for UCDP GED rows, ACLED rows and monitors' or parties' reports.

The coded fields are mapped to typed fields (window, place, actors with roles, fatalities,
sources); the row as the source system wrote it is kept in ``native`` so exports give it back
without loss.  What the centre *thinks* of an incident is not stored on it but in dated
:class:`Judgement` records, one axis each (occurrence, qualification, attribution), so that a
report for date D reads only the judgements known on D.
"""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from ceasefire.model.timewindow import TimeWindow

__all__ = [
    "Axis",
    "Fatalities",
    "Incident",
    "IncidentActor",
    "Judgement",
    "Place",
    "SourceRef",
]


class Axis(enum.StrEnum):
    OCCURRENCE = "occurrence"
    QUALIFICATION = "qualification"
    ATTRIBUTION = "attribution"
    INTENT = "intent"


OCCURRENCE_LEVELS = (
    "alleged",
    "corroborated",
    "observed",
    "verified",
    "not_confirmed",
    "discounted",
    "contested",
)
ATTRIBUTION_WORDS = (
    "not_identified",
    "highly_unlikely",
    "possible",
    "strongly_suggested",
    "implicated",
    "established",
)


@dataclass(frozen=True)
class Place:
    name: str
    lat: float | None
    lon: float | None
    precision: int | None  # UCDP where_prec scale: 1 exact … 7 international waters
    admin1: str = ""
    admin2: str = ""
    admin3: str = ""
    country: str = ""
    radius_m: float | None = None  # a stated precision radius, when the source gives one

    def to_json(self) -> dict[str, Any]:
        return {
            "radius_m": self.radius_m,
            "name": self.name,
            "lat": self.lat,
            "lon": self.lon,
            "precision": self.precision,
            "admin1": self.admin1,
            "admin2": self.admin2,
            "admin3": self.admin3,
            "country": self.country,
        }


@dataclass(frozen=True)
class IncidentActor:
    """A name as the source gave it, in a role (``side_a``, ``side_b``, ``actor1``,
    ``assoc_actor_2``, ``perpetrator``, ``target``…)."""

    name: str
    role: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "role": self.role}


@dataclass(frozen=True)
class Fatalities:
    low: int | None = None
    best: int | None = None
    high: int | None = None
    by_side: tuple[tuple[str, int], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "low": self.low,
            "best": self.best,
            "high": self.high,
            "by_side": dict(self.by_side),
        }


@dataclass(frozen=True)
class SourceRef:
    name: str  # outlet or office ("SOHR"), or a source key ("S51")
    date: str = ""  # ISO date of publication where known
    reference: str = ""  # article id, URL or key; never third-party prose in the repository
    quote: str = ""  # the quoted span of an ingested document, kept in the user's store

    def to_json(self) -> dict[str, str]:
        out = {"name": self.name, "date": self.date, "reference": self.reference}
        if self.quote:  # only when present, so other sources' stored bodies stay as they were
            out["quote"] = self.quote
        return out


@dataclass(frozen=True)
class Judgement:
    """One dated assessment on one axis; later judgements supersede earlier ones."""

    axis: Axis
    value: str
    known_from: datetime  # when the centre could have known it
    by: str  # who made it ("UCDP coding", "UN Board of Inquiry", an account)
    note: str = ""
    sources: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()  # for attribution: the actor ids named

    def to_json(self) -> dict[str, Any]:
        return {
            "axis": self.axis.value,
            "value": self.value,
            "known_from": self.known_from.isoformat(),
            "by": self.by,
            "note": self.note,
            "sources": list(self.sources),
            "actors": list(self.actors),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Judgement:
        return cls(
            axis=Axis(data["axis"]),
            value=data["value"],
            known_from=datetime.fromisoformat(data["known_from"]),
            by=data["by"],
            note=data.get("note", ""),
            sources=tuple(data.get("sources", ())),
            actors=tuple(data.get("actors", ())),
        )


@dataclass(frozen=True)
class Incident:
    source_system: str  # ucdp | acled | report | humanitarian | news
    source_id: str
    window: TimeWindow
    place: Place
    actors: tuple[IncidentActor, ...]
    category: str  # state_based | non_state | one_sided | an ACLED event type | a report type
    sub_category: str = ""
    fatalities: Fatalities = field(default_factory=Fatalities)
    sources: tuple[SourceRef, ...] = ()
    notes: str = ""
    known_from: datetime | None = None  # first moment the centre could have known of it
    judgements: tuple[Judgement, ...] = ()
    native: tuple[tuple[str, str], ...] = ()  # the original row, column by column
    continuing: bool = False  # a state that lasted the whole window (a blockade), not a point
    self_defence_claims: tuple[str, ...] = ()  # who said they acted in self-defence (reports)
    # keys of other feeds' incidents of the same event merged into this one on a read (never
    # stored: links live in their own table, see ceasefire.compliance.linking)
    linked: tuple[str, ...] = ()

    @cached_property
    def key(self) -> str:  # asked for often (sorting, memos, links): made once per incident
        return f"{self.source_system}:{self.source_id}"

    @cached_property
    def judgement_times(self) -> tuple[datetime, ...]:
        """When each of its judgements became known, in order (how many were known at a moment
        is a bisection: ``bisect_right(incident.judgement_times, at)``)."""
        return tuple(sorted(j.known_from for j in self.judgements))

    def known_by(self, at: datetime) -> bool:
        """Whether the centre could have known of the incident by ``at`` (unknown: yes)."""
        return self.known_from is None or self.known_from <= at

    def actors_in(self, *roles: str) -> tuple[IncidentActor, ...]:
        return tuple(a for a in self.actors if a.role in roles)

    def judgements_known(self, axis: Axis, at: datetime | None) -> list[Judgement]:
        return sorted(
            (j for j in self.judgements if j.axis == axis and (at is None or j.known_from <= at)),
            key=lambda j: j.known_from,
        )

    def latest(self, axis: Axis, at: datetime | None) -> Judgement | None:
        """The judgement on ``axis`` known last by ``at`` (the first of equals, as a stable sort)."""
        best: Judgement | None = None
        for j in self.judgements:
            known = j.axis == axis and (at is None or j.known_from <= at)
            if known and (best is None or j.known_from >= best.known_from):
                best = j
        return best

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "source_system": self.source_system,
            "source_id": self.source_id,
            "window": self.window.to_json(),
            "place": self.place.to_json(),
            "actors": [a.to_json() for a in self.actors],
            "category": self.category,
            "sub_category": self.sub_category,
            "fatalities": self.fatalities.to_json(),
            "sources": [s.to_json() for s in self.sources],
            "notes": self.notes,
            "known_from": self.known_from.isoformat() if self.known_from else None,
            "judgements": [j.to_json() for j in self.judgements],
            "native": [list(pair) for pair in self.native],
            "continuing": self.continuing,
            # only when present, so stored bodies of other incidents stay as they were
            **(
                {"self_defence_claims": list(self.self_defence_claims)}
                if self.self_defence_claims
                else {}
            ),
            **({"linked": list(self.linked)} if self.linked else {}),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Incident:
        f = data["fatalities"]
        return cls(
            source_system=data["source_system"],
            source_id=data["source_id"],
            window=TimeWindow.from_json(data["window"]),
            place=Place(**data["place"]),
            actors=tuple(IncidentActor(**a) for a in data["actors"]),
            category=data["category"],
            sub_category=data.get("sub_category", ""),
            fatalities=Fatalities(
                f["low"], f["best"], f["high"], tuple(sorted(f.get("by_side", {}).items()))
            ),
            sources=tuple(SourceRef(**s) for s in data["sources"]),
            notes=data.get("notes", ""),
            known_from=datetime.fromisoformat(data["known_from"]) if data["known_from"] else None,
            judgements=tuple(Judgement.from_json(j) for j in data.get("judgements", ())),
            native=tuple(map(tuple, data.get("native", ()))),
            continuing=bool(data.get("continuing", False)),
            self_defence_claims=tuple(data.get("self_defence_claims", ())),
            linked=tuple(data.get("linked", ())),
        )

    def content_hash(self) -> str:
        """A stable hash of everything a source said; equal hashes mean an unchanged row."""
        blob = json.dumps(self.to_json(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()
