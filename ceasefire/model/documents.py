"""Frozen records that flow through the news pipeline: a document and its annotations.

News intake makes the documents and the pipeline's stages annotate them, so the records live here,
below both (``ceasefire.pipeline.records`` re-exports them).  Every annotation carries character
offsets into ``Document.text`` (the cleaned, normalised text), so every incident, number and place
can be traced to a span of a source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

__all__ = [
    "ActorMention",
    "ClaimMention",
    "DateMention",
    "Document",
    "EventMention",
    "PlaceMention",
]


@dataclass(frozen=True)
class ActorMention:
    start: int
    end: int
    text: str
    actor_id: str | None  # None: not resolved (queued for review when ``review`` is set)
    confidence: float
    method: str  # exact | alias | lineage | fuzzy | ner
    review: bool = False  # a middling fuzzy match an analyst must confirm
    is_reporting_source: bool = False  # "said the Syrian Observatory": a source, not an actor


@dataclass(frozen=True)
class PlaceMention:
    start: int
    end: int
    text: str
    name: str  # gazetteer name
    lat: float
    lon: float
    precision: int  # UCDP where_prec scale: 1 exact/neighbourhood … 4 governorate … 6 country
    admin1: str  # governorate, English, as in the OCHA layer ("Aleppo")
    admin1_pcode: str
    kind: str  # neighbourhood | populated_place | admin1 | admin2 | admin3 | country
    city: str = ""  # parent city for neighbourhoods
    metonymy: bool = False  # "Damascus said": a government, not a place of violence
    score: float = 0.0


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    text: str
    first: date
    last: date
    precision: str  # day | days | week | month | year
    part_of_day: str = ""  # morning | evening | night | sundown …
    local_time: str = ""  # HH:MM where the text gives it or a solar event fixes it
    method: str = (
        ""  # absolute | weekday | relative | report | publication | dateline (not an event)
    )


@dataclass(frozen=True)
class ClaimMention:
    start: int
    end: int
    text: str
    quantity: str  # killed | wounded | displaced | violations | detained | …
    value: int
    qualifier: str  # exact | at_least | as_many_as | estimated | more_than | about
    scope: str  # incident | conflict
    attribution: str  # who the text says gives the number ("UN envoy"); "" if the outlet itself
    as_of: date | None
    # a derived total ("30 soldiers and 39 rebels were killed": 69): the spans of the counts it
    # adds up, each also a claim of its own; () for a count the text states
    parts: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class EventMention:
    start: int  # the sentence that carries the event
    end: int
    event_type: str  # ACLED event type
    sub_event_type: str
    trigger: str
    modality: str  # happened | announced | planned | hypothetical | denied
    actors: tuple[tuple[str | None, str, str], ...] = ()  # (actor_id, name, role)
    place: PlaceMention | None = None
    date: DateMention | None = None
    confidence: float = 0.0


@dataclass(frozen=True)
class Document:
    id: str
    source: str
    published: datetime | None
    published_precision: str  # exact | day
    url: str = ""
    title: str = ""
    raw: str = ""  # the input as received (HTML or text)
    is_html: bool = False
    text: str = ""  # cleaned and normalised main text
    dropped_chars: int = 0
    language: str = (
        ""  # "ar" | "en" | "" (no letters): set by cleaning; stages pick resources by it
    )
    sentences: tuple[tuple[int, int], ...] = ()
    actors: tuple[ActorMention, ...] = ()
    places: tuple[PlaceMention, ...] = ()
    dates: tuple[DateMention, ...] = ()
    claims: tuple[ClaimMention, ...] = ()
    events: tuple[EventMention, ...] = ()
    syndication_group: str = ""
    # passages (sentence spans) the document shares with its syndication group, and its own
    shared_passages: tuple[tuple[int, int], ...] = ()
    own_passages: tuple[tuple[int, int], ...] = ()
    # what cleaning dropped and why: (start, end, reason) into the text the cleaner read
    dropped: tuple[tuple[int, int, str], ...] = ()
    story: str = ""
    flags: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    def sentence_of(self, offset: int) -> tuple[int, int]:
        for start, end in self.sentences:
            if start <= offset < end:
                return start, end
        return 0, len(self.text)
