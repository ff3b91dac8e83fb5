"""From a pipeline run to evidence: the JSON an analyst reads, and alleged incidents for the store.

Events of one story that agree on type, place and date become one incident; every incident keeps
the source spans of every document that reported it; wire copies count as one independent source.

An announced or planned agreement with a date of its own ("the truce would come into force on
Monday") is an incident too (ACLED "Strategic developments / Agreement"), dated at that time; it
is never stored as something that happened.

Tolls: an incident-scope count of the killed belongs to the incident of its sentence's event
(else of the document's nearest event before it that became an incident, else its first); a count in a
title the text repeats gives way when the body's lead states one (headlines round, name a subgroup
or total several places); each syndication group gives one estimate, the count
stated first (a lead gives the toll before its parts and background), or the derived total
it is a part of ("30 soldiers and 39 rebels": 69); copies that differ give the smaller.  The estimates become
``fatalities`` {low, best, high} (:func:`ceasefire.pipeline.claims.fatality_range` per estimate):
``low`` and ``best`` are the smallest any independent source states (the conservative figure,
as ACLED codes conflicting reports), ``high`` the largest count stated (an upper bound, or a lower
bound's own value beside others; None when every source gives only a lower bound).  Never an average; every estimate keeps its spans.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
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
from ceasefire.pipeline.claims import fatality_range, headline_and_lead
from ceasefire.pipeline.records import ClaimMention, Document, EventMention

__all__ = ["NewsStory", "assemble", "news_incidents", "news_stories"]

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


def _dated_agreement(event: EventMention) -> bool:
    """An announced or planned agreement dated in its own sentence ("would come into force on
    Monday"): an event of its own.  Other agreement mentions are context."""
    when = event.date
    return (
        event.sub_event_type == "Agreement"
        and event.modality in {"announced", "planned"}
        and when is not None
        and event.start <= when.start < event.end
        and when.method not in {"dateline", "publication"}
    )


def _incident_groups(docs: list[Document]) -> list[tuple[str, list[tuple[Document, EventMention]]]]:
    groups: dict[tuple[str, ...], list[tuple[Document, EventMention]]] = defaultdict(list)
    for doc in docs:
        for event in doc.events:
            if event.event_type == "Strategic developments" and not _dated_agreement(event):
                continue  # an agreement named in passing is context, not an incident
            if _background(doc, event):
                continue  # "since 2011", "last year": context, not the reported incident
            groups[_event_key(doc, event)].append((doc, event))
    out = []
    for key, members in sorted(groups.items()):
        digest = hashlib.sha256("|".join(key).encode("utf-8")).hexdigest()[:12]
        out.append((f"news-{digest}", members))
    return out


def _claim_event(doc: Document, claim: ClaimMention, incidents: set[int]) -> int | None:
    """Start of the event sentence a count belongs to, among the document's events that became
    incidents (``incidents``): its own, else the nearest before it, else the first."""
    starts = sorted(incidents)
    inside = [
        e.start for e in doc.events if e.start in incidents and e.start <= claim.start < e.end
    ]
    if inside:
        return min(inside)
    before = [s for s in starts if s <= claim.start]
    return before[-1] if before else (starts[0] if starts else None)


def _fatalities(
    members: list[tuple[Document, EventMention]], incidents: dict[str, set[int]]
) -> dict[str, Any] | None:
    """The incident's toll from the incident-scope counts of the killed its events carry;
    ``incidents``: document id → starts of its events that became incidents."""
    events = {(d.id, ev.start) for d, ev in members}
    docs = {d.id: d for d, _ in members}
    by_group: dict[str, list[tuple[Document, ClaimMention]]] = defaultdict(list)
    for doc in sorted(docs.values(), key=lambda d: d.id):
        tolls = [c for c in doc.claims if c.quantity == "killed" and c.scope == "incident"]
        # a count in the repeated title gives way to the one the body's lead states
        headline, lead = headline_and_lead(doc)
        if any(headline <= c.start < lead for c in tolls):
            tolls = [c for c in tolls if c.start >= headline]
        for claim in tolls:
            if (doc.id, _claim_event(doc, claim, incidents.get(doc.id, set()))) in events:
                by_group[doc.syndication_group or f"doc:{doc.id}"].append((doc, claim))
    if not by_group:
        return None
    estimates: list[dict[str, Any]] = []
    for group in sorted(by_group):
        found = by_group[group]
        first = [_first_count(doc, [c for d, c in found if d.id == doc.id]) for doc in
                 sorted({d.id: d for d, _ in found}.values(), key=lambda d: d.id)]  # fmt: skip
        value, qualifier = min((c.value, c.qualifier) for _, c in first)  # copies that differ
        kept = [(d, c) for d, c in first if (c.value, c.qualifier) == (value, qualifier)]
        low, best, high = fatality_range(value, qualifier)
        estimates.append({
            "value": value, "qualifier": qualifier, "low": low, "best": best, "high": high,
            "attribution": "; ".join(sorted({c.attribution for _, c in kept if c.attribution})),
            "spans": [{"document": d.id, "start": c.start, "end": c.end} for d, c in kept],
        })  # fmt: skip
    lows = [e["low"] for e in estimates if e["low"] is not None]
    bests = [e["best"] for e in estimates if e["best"] is not None]
    highs = [e["high"] for e in estimates if e["high"] is not None]
    return {
        "low": min(lows) if lows else None,
        "best": min(bests) if bests else None,
        # the largest count stated (a lower bound's own value among others): [low, high] covers
        # every estimate; None when every source gives only a lower bound
        "high": max(e["high"] if e["high"] is not None else e["value"] for e in estimates)
        if highs
        else None,
        "estimates": estimates,
    }


def _first_count(doc: Document, claims: list[ClaimMention]) -> tuple[Document, ClaimMention]:
    """A document's toll of an incident: the first count it states (a lead states the toll
    before its parts and its background), or the derived total that count is a part of."""
    first = min(claims, key=lambda c: (c.start, -c.end))
    total = next((c for c in claims if (first.start, first.end) in c.parts), None)
    return doc, total or first


def _starts(members: list[tuple[Document, EventMention]]) -> dict[str, set[int]]:
    out: dict[str, set[int]] = defaultdict(set)
    for doc, event in members:
        out[doc.id].add(event.start)
    return out


def _instant(when: Any, tz: ZoneInfo | None) -> str | None:
    """The stated time of a one-day date in the workspace time zone ("at sundown on Monday")."""
    if tz is None or when is None or not when.local_time or when.first != when.last:
        return None
    hour, minute = (int(x) for x in when.local_time.split(":"))
    return datetime.combine(when.first, time(hour, minute), tzinfo=tz).isoformat()


def _incident_json(
    incident_id: str,
    members: list[tuple[Document, EventMention]],
    tz: ZoneInfo | None = None,
    incidents: dict[str, set[int]] | None = None,
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
             "part_of_day": when.part_of_day, "local_time": when.local_time, "method": when.method,
             "at": _instant(when, tz)}
            if when else
            {"start": published.date().isoformat() if published else None,
             "end": published.date().isoformat() if published else None, "precision": "day",
             "part_of_day": "", "local_time": "", "method": "publication", "at": None}
        ),
        "modality": "happened" if "happened" in modalities else modalities[0],
        "modalities": modalities,
        "independent_sources": len({d.syndication_group or d.id for d, _ in members}),
        "fatalities": _fatalities(members, incidents or _starts(members)),
        "sources": [{"document": d.id, "start": ev.start, "end": ev.end, "trigger": ev.trigger}
                    for d, ev in sorted(members, key=lambda m: (m[0].id, m[1].start))],
    }  # fmt: skip


def assemble(docs: list[Document], quarantined: list[RowProblem], briefs: dict[str, list[dict[str, Any]]],
             claims: list[dict[str, Any]], conflicts: list[dict[str, Any]],
             tz: ZoneInfo | None = None) -> dict[str, Any]:  # fmt: skip
    """The evidence JSON; ``tz`` (the workspace's zone) gives stated times as instants."""
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
    grouped = _incident_groups(docs)
    starts = _starts([m for _, members in grouped for m in members])
    incidents = [_incident_json(i, m, tz, starts) for i, m in grouped]
    return {
        "documents": [
            {"id": d.id, "source": d.source, "published": d.published.isoformat() if d.published else None,
             "title": d.title, "text_chars": len(d.text), "dropped_chars": d.dropped_chars,
             "language": d.language, "syndication_group": d.syndication_group, "story": d.story,
             "shared_passages": [list(p) for p in d.shared_passages],
             "own_passages": [list(p) for p in d.own_passages],
             "dropped": [{"start": a, "end": b, "reason": r} for a, b, r in d.dropped]}
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
        if not _stored(inc):
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
                fatalities=_stored_fatalities(inc.get("fatalities")),
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
                native=(("story", inc["story"]), *_toll_spans(inc.get("fatalities"))),
            )
        )
    return out


def _stored(incident: dict[str, Any]) -> bool:
    """Whether an evidence incident is stored: it happened (not planned) and it is dated."""
    return bool(incident["modality"] == "happened" and incident["date"]["start"])


@dataclass(frozen=True)
class NewsStory:
    """A story as a record of the store (kind ``story``, key ``story:ID``): its brief, its
    claims and conflicts, and the incidents it gave (its stored form:
    :class:`ceasefire.model.stored.StoredStory`)."""

    id: str
    body: dict[str, Any] = field(default_factory=dict)
    kind: str = "story"

    def to_json(self) -> dict[str, Any]:
        return {"type": "story", "id": self.id, **self.body}


def news_stories(evidence: dict[str, Any]) -> list[NewsStory]:
    """Every story of the evidence as a record to store beside its incidents.

    The id is the pipeline's story id (``story-`` + the smallest id of its articles), the id the
    story's incidents carry (their ``native`` ``story``): the same articles give the same record,
    so re-ingesting them revises nothing, and an article joining a story revises it.  Each
    sentence of the brief names its sources with their outlet and publication instant."""
    docs = {d["id"]: d for d in evidence["documents"]}
    incidents: dict[str, list[str]] = defaultdict(list)
    for inc in evidence["incidents"]:
        if _stored(inc):
            incidents[inc["story"]].append(f"news:{inc['id']}")
    claims: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for claim in evidence["claims"]:
        claims[claim["story"]].append(claim)
    conflicts: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for conflict in evidence["conflicts"]:
        conflicts[conflict["story"]].append(conflict)

    def source(document: str) -> dict[str, Any]:
        doc = docs[document]
        return {"document": document, "outlet": doc["source"], "published": doc["published"]}

    out = []
    for story in evidence["stories"]:
        sid = story["id"]
        out.append(NewsStory(sid, {
            "documents": [{"id": d, "outlet": docs[d]["source"], "published": docs[d]["published"],
                           "title": docs[d]["title"] or ""} for d in story["documents"]],
            "brief": [{"text": s["text"], "generated": bool(s["generated"]),
                       "sources": [source(d) for d in s["sources"]]} for s in story["summary"]],
            "claims": [{k: c[k] for k in ("id", "quantity", "value", "qualifier", "scope",
                                          "attribution", "documents", "independent_sources")}
                       for c in claims.get(sid, [])],
            "conflicts": [{"quantity": c["quantity"], "values": c["values"], "claims": c["claims"],
                           "sources": [{k: v[k] for k in ("value", "qualifier", "documents", "outlets",
                                                          "attribution", "independent_sources")}
                                       for v in c["sources"]]}
                          for c in conflicts.get(sid, [])],
            "incidents": sorted(incidents.get(sid, [])),
        }))  # fmt: skip
    return out


def _stored_fatalities(toll: dict[str, Any] | None) -> Fatalities:
    if not toll:
        return Fatalities()
    return Fatalities(low=toll["low"], best=toll["best"], high=toll["high"])


def _toll_spans(toll: dict[str, Any] | None) -> tuple[tuple[str, str], ...]:
    """Where the stored toll comes from: "document:start-end" of each estimate's spans."""
    if not toll:
        return ()
    spans = [
        f"{s['document']}:{s['start']}-{s['end']}" for e in toll["estimates"] for s in e["spans"]
    ]
    return (("fatalities_spans", "; ".join(spans)),)
