"""From a pipeline run to evidence: the JSON an analyst reads, and alleged incidents for the store.

Events of one story that agree on type, place and date become one incident; every incident keeps
the source spans of every document that reported it; wire copies count as one independent source.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ceasefire.intake.common import RowProblem
from ceasefire.model.incidents import (
    Axis,
    Fatalities,
    Incident,
    IncidentActor,
    Judgement,
    Place,
    SourceRef,
)
from ceasefire.model.timewindow import Precision, TimeWindow
from ceasefire.pipeline.records import Document, EventMention

__all__ = ["assemble", "news_incidents"]

_PRECISION = {"day": Precision.DAY, "days": Precision.DAYS, "week": Precision.WEEK, "month": Precision.MONTH,
              "year": Precision.YEAR}  # fmt: skip


def _event_key(doc: Document, event: EventMention) -> tuple[str, ...]:
    place = event.place
    where = (place.admin1 + "/" + place.name) if place else ""
    when = event.date.first.isoformat() if event.date else ""
    return (doc.story or doc.id, event.event_type, event.sub_event_type, where, when)


BACKGROUND_DAYS = 14


def _background(doc: Document, event: EventMention) -> bool:
    """An event dated well before the article, or only to a year or month, is background."""
    if event.date is None or doc.published is None:
        return False
    if event.date.precision in ("month", "year"):
        return True
    return (doc.published.date() - event.date.last).days > BACKGROUND_DAYS


def _incident_groups(docs: list[Document]) -> list[tuple[str, list[tuple[Document, EventMention]]]]:
    groups: dict[tuple[str, ...], list[tuple[Document, EventMention]]] = defaultdict(list)
    for doc in docs:
        for event in doc.events:
            if event.event_type == "Strategic developments":
                continue  # agreements and announcements are not incidents
            if _background(doc, event):
                continue  # "since 2011", "last year": context, not the reported incident
            groups[_event_key(doc, event)].append((doc, event))
    out = []
    for key, members in sorted(groups.items()):
        digest = hashlib.sha256("|".join(key).encode("utf-8")).hexdigest()[:12]
        out.append((f"news-{digest}", members))
    return out


def _incident_json(
    incident_id: str, members: list[tuple[Document, EventMention]]
) -> dict[str, Any]:
    doc, event = members[0]
    actors: dict[str, dict[str, Any]] = {}
    for _, ev in members:
        for actor_id, name, role in ev.actors:
            if actor_id and actor_id not in actors:
                actors[actor_id] = {"actor_id": actor_id, "name": name, "role": role}
    place = event.place
    when = event.date
    published = min((d.published for d, _ in members if d.published), default=None)
    modalities = sorted({ev.modality for _, ev in members})
    return {
        "id": incident_id,
        "story": doc.story or doc.id,
        "event_type": event.event_type,
        "sub_event_type": event.sub_event_type,
        "actors": list(actors.values()),
        "place": None if place is None else {
            "name": place.name, "lat": place.lat, "lon": place.lon, "precision": place.precision,
            "admin1": place.admin1, "admin1_pcode": place.admin1_pcode,
        },
        "date": (
            {"start": when.first.isoformat(), "end": when.last.isoformat(), "precision": when.precision,
             "part_of_day": when.part_of_day, "local_time": when.local_time, "method": when.method}
            if when else
            {"start": published.date().isoformat() if published else None,
             "end": published.date().isoformat() if published else None, "precision": "day",
             "part_of_day": "", "local_time": "", "method": "publication"}
        ),
        "modality": "happened" if "happened" in modalities else modalities[0],
        "modalities": modalities,
        "independent_sources": len({d.syndication_group or d.id for d, _ in members}),
        "sources": [{"document": d.id, "start": ev.start, "end": ev.end, "trigger": ev.trigger}
                    for d, ev in sorted(members, key=lambda m: (m[0].id, m[1].start))],
    }  # fmt: skip


def assemble(docs: list[Document], quarantined: list[RowProblem], briefs: dict[str, list[dict[str, Any]]],
             claims: list[dict[str, Any]], conflicts: list[dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
    docs = sorted(docs, key=lambda d: d.id)
    groups: dict[str, list[str]] = defaultdict(list)
    stories: dict[str, list[str]] = defaultdict(list)
    for d in docs:
        groups[d.syndication_group or d.id].append(d.id)
        stories[d.story or d.id].append(d.id)
    actor_mentions: dict[str, set[str]] = defaultdict(set)
    review = []
    for d in docs:
        for a in d.actors:
            if a.is_reporting_source:
                continue
            if a.review or a.actor_id is None:
                review.append({"document": d.id, "start": a.start, "end": a.end, "text": a.text,
                               "candidate": a.actor_id, "score": round(a.confidence, 3)})  # fmt: skip
            else:
                actor_mentions[a.actor_id].add(a.text)
    incidents = [_incident_json(i, m) for i, m in _incident_groups(docs)]
    return {
        "documents": [
            {"id": d.id, "source": d.source, "published": d.published.isoformat() if d.published else None,
             "title": d.title, "text_chars": len(d.text), "dropped_chars": d.dropped_chars,
             "language": d.language, "syndication_group": d.syndication_group, "story": d.story}
            for d in docs
        ],
        "syndication_groups": sorted(sorted(v) for v in groups.values()),
        "stories": [
            {"id": sid, "documents": sorted(members), "summary": briefs.get(sid, [])}
            for sid, members in sorted(stories.items())
        ],
        "actors": [{"actor_id": a, "mentions": sorted(m)} for a, m in sorted(actor_mentions.items())],
        "review_queue": review,
        "incidents": incidents,
        "claims": claims,
        "conflicts": conflicts,
        "quarantined": [{"document": p.file, "line": p.line, "stage": p.field, "reason": p.reason}
                        for p in quarantined],
    }  # fmt: skip


def news_incidents(evidence: dict[str, Any], tz: ZoneInfo) -> list[Incident]:
    """Incidents (modality 'happened') as ``alleged`` records for the store and the engine."""
    docs = {d["id"]: d for d in evidence["documents"]}
    out = []
    for inc in evidence["incidents"]:
        if inc["modality"] != "happened" or not inc["date"]["start"]:
            continue
        first = date.fromisoformat(inc["date"]["start"])
        last = date.fromisoformat(inc["date"]["end"])
        window = TimeWindow(
            datetime.combine(first, time(0), tzinfo=tz),
            datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz),
            _PRECISION.get(inc["date"]["precision"], Precision.DAY),
            inc["date"]["start"] if first == last else f"{first}/{last}",
        )
        place = inc["place"] or {}
        published = [
            docs[s["document"]]["published"]
            for s in inc["sources"]
            if docs[s["document"]]["published"]
        ]
        known = (
            max(datetime.fromisoformat(min(published)), window.start) if published else window.end
        )
        occurrence = "corroborated" if inc["independent_sources"] >= 2 else "alleged"
        out.append(
            Incident(
                source_system="news",
                source_id=inc["id"],
                window=window,
                place=Place(
                    place.get("name", ""),
                    place.get("lat"),
                    place.get("lon"),
                    place.get("precision"),
                    admin1=place.get("admin1", ""),
                ),
                actors=tuple(IncidentActor(a["actor_id"], a["role"]) for a in inc["actors"]),
                category=inc["event_type"],
                sub_category=inc["sub_event_type"],
                fatalities=Fatalities(),
                sources=tuple(
                    SourceRef(
                        docs[s["document"]]["source"],
                        (docs[s["document"]]["published"] or "")[:10],
                        f"{s['document']}:{s['start']}-{s['end']}",
                    )
                    for s in inc["sources"]
                ),
                known_from=known,
                judgements=(
                    Judgement(
                        Axis.OCCURRENCE,
                        occurrence,
                        known,
                        "news pipeline",
                        note=f"{inc['independent_sources']} independent source(s)",
                    ),
                ),
                native=(("story", inc["story"]),),
            )
        )
    return out
