"""Stories: documents about the same incident share a story, even when written independently.

The unit is the syndication group (copies always share a story).  Two groups are compared when
their publication dates are at most ``window_days`` apart; their similarity is

* the cosine of their MiniLM embeddings of the lead: the title (unless the text opens with it)
  and the text, 512 characters in all; a group's embedding is the normalised mean of its
  members',
* ``+ place_bonus`` when their leads name the same place (gazetteer name within a governorate),
  else ``+ admin1_bonus`` when they share a governorate, else ``- conflict_penalty`` when both
  name places and no governorate is shared (an air strike in Idlib is not a car bomb in Homs),
* ``+ actor_bonus × Jaccard`` of their resolved actor ids (reporting sources left out).

Arabic leads (``Document.language == "ar"``) are not embedded: MiniLM reads English only, and no
multilingual model is packaged.  Their vector is their content words' overlap
(:func:`~ceasefire.pipeline.arabic.content_words`, hashed) in dimensions of its own, so Arabic
leads meet Arabic leads only; word overlap is lower than MiniLM's cosine for a paraphrase, so
Arabic reports are joined only when they share most of their lead (a conservative choice, not
calibrated: no multi-outlet Arabic set was at hand).

Places are taken from the lead (the first :data:`PLACE_LEAD_CHARS` characters), where the
incident is; a document that names places only further down uses all of them.  Metonymic
places ("Damascus said") and the country are left out.

Groups are joined by average linkage while the mean similarity of two clusters is at least
``threshold``; pairs outside the window can never be joined.  A group without a publication date
is its own story.  The story id is ``story-`` + the smallest document id of the story.
Defaults were calibrated on FA-KES with the gazetteer's places (``python -m bench.eval_stories``):
refined pairwise P 0.59 / R 0.81 at 0.65.  Without places, 0.70 does better (P 0.52 / R 0.74).
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from ceasefire.pipeline.arabic import content_words
from ceasefire.pipeline.embeddings import (
    LEAD_VECTORS_RESOURCE,
    MINILM_RESOURCE,
    embed_cached,
    load_minilm,
)
from ceasefire.pipeline.records import Document, PlaceMention
from ceasefire.pipeline.registry import StageContext, stage
from ceasefire.pipeline.syndication import UnionFind, normalise

__all__ = [
    "StoryGroup",
    "StoryInput",
    "StoryParams",
    "assign_stories",
    "cluster_stories",
    "lead_text",
    "story_input",
    "tell_stories",
]

LEAD_CHARS = 512
PLACE_LEAD_CHARS = 600
TITLE_SEARCH_CHARS = 300
_BROAD_KINDS = {"country", "admin1"}
_DECIMALS = 6  # similarities are rounded so float noise cannot flip a decision


@dataclass(frozen=True)
class StoryParams:
    threshold: float = 0.65
    window_days: int = 3
    place_bonus: float = 0.05
    admin1_bonus: float = 0.025
    conflict_penalty: float = 0.20
    actor_bonus: float = 0.05

    @classmethod
    def from_args(cls, args: dict[str, Any]) -> StoryParams:
        defaults = cls()
        return cls(
            threshold=float(args.get("threshold", defaults.threshold)),
            window_days=int(args.get("window_days", defaults.window_days)),
            place_bonus=float(args.get("place_bonus", defaults.place_bonus)),
            admin1_bonus=float(args.get("admin1_bonus", defaults.admin1_bonus)),
            conflict_penalty=float(args.get("conflict_penalty", defaults.conflict_penalty)),
            actor_bonus=float(args.get("actor_bonus", defaults.actor_bonus)),
        )


@dataclass(frozen=True)
class StoryGroup:
    key: str
    first: int | None  # date ordinals of the earliest and latest member
    last: int | None
    places: frozenset[tuple[str, str]]  # (admin1, name) of specific places
    admin1: frozenset[str]
    actors: frozenset[str]


def lead_text(doc: Document) -> str:
    """The title (unless the text already opens with it) and the text: :data:`LEAD_CHARS` chars."""
    text = " ".join(doc.text.split())
    title = " ".join(doc.title.split())
    if title and normalise(title) not in normalise(text[: len(title) + TITLE_SEARCH_CHARS]):
        text = f"{title}. {text}" if text else title
    return text[:LEAD_CHARS]


def _lead_places(doc: Document) -> list[PlaceMention]:
    places = [p for p in doc.places if not p.metonymy and p.kind != "country"]
    in_lead = [p for p in places if p.start < PLACE_LEAD_CHARS]
    return in_lead or places


def _group_of(key: str, members: list[Document]) -> StoryGroup:
    days = [doc.published.date().toordinal() for doc in members if doc.published is not None]
    places: set[tuple[str, str]] = set()
    admin1: set[str] = set()
    actors: set[str] = set()
    for doc in members:
        for place in _lead_places(doc):
            if place.admin1:
                admin1.add(place.admin1.casefold())
            if place.kind not in _BROAD_KINDS and place.name:
                places.add((place.admin1.casefold(), place.name.casefold()))
        for actor in doc.actors:
            if actor.actor_id and not actor.is_reporting_source and not actor.review:
                actors.add(actor.actor_id)
    return StoryGroup(
        key,
        min(days) if days else None,
        max(days) if days else None,
        frozenset(places),
        frozenset(admin1),
        frozenset(actors),
    )


def _bonus(a: StoryGroup, b: StoryGroup, params: StoryParams) -> float:
    bonus = 0.0
    if a.places & b.places:
        bonus += params.place_bonus
    elif a.admin1 & b.admin1:
        bonus += params.admin1_bonus
    elif a.admin1 and b.admin1:
        bonus -= params.conflict_penalty
    if a.actors and b.actors:
        bonus += params.actor_bonus * len(a.actors & b.actors) / len(a.actors | b.actors)
    return bonus


def _average_linkage(sim: npt.NDArray[np.float64], threshold: float) -> list[list[int]]:
    """Clusters of a symmetric similarity matrix; ties go to the smallest index pair."""
    work = sim.copy()
    np.fill_diagonal(work, -np.inf)
    sizes = np.ones(len(work))
    members = [[i] for i in range(len(work))]
    while len(work) > 1:
        i, j = divmod(int(np.argmax(work)), len(work))
        if not work[i, j] >= threshold:
            break
        i, j = min(i, j), max(i, j)
        merged = np.round(
            (sizes[i] * work[i] + sizes[j] * work[j]) / (sizes[i] + sizes[j]), _DECIMALS
        )
        work[i, :] = merged
        work[:, i] = merged
        work[i, i] = -np.inf
        work[j, :] = -np.inf
        work[:, j] = -np.inf
        sizes[i] += sizes[j]
        members[i].extend(members[j])
        members[j] = []
    return [sorted(m) for m in members if m]


def cluster_stories(
    groups: list[StoryGroup], vectors: npt.NDArray[np.float32], params: StoryParams
) -> list[list[int]]:
    """Story clusters over groups (indices into ``groups``), given one unit vector per group."""
    dated = sorted((g.first, i) for i, g in enumerate(groups) if g.first is not None)
    order = [i for _, i in dated]
    firsts = np.array([first for first, _ in dated], dtype=np.int64)
    max_bonus = params.place_bonus + params.actor_bonus
    links = UnionFind(str(i) for i in range(len(groups)))
    edges: dict[tuple[int, int], float] = {}
    for pos, i in enumerate(order):
        last = groups[i].last
        assert last is not None
        end = int(np.searchsorted(firsts, last + params.window_days, side="right"))
        block = order[pos + 1 : end]
        if not block:
            continue
        cosines = np.round(vectors[block] @ vectors[i], _DECIMALS)
        for k in np.flatnonzero(cosines + max_bonus >= params.threshold).tolist():
            j = block[k]
            score = round(float(cosines[k]) + _bonus(groups[i], groups[j], params), _DECIMALS)
            edges[min(i, j), max(i, j)] = score
            if score >= params.threshold:
                links.union(str(i), str(j))
    components: dict[str, list[int]] = defaultdict(list)
    for i in range(len(groups)):
        components[links.find(str(i))].append(i)
    clusters: list[list[int]] = []
    for nodes in components.values():
        if len(nodes) == 1:
            clusters.append(nodes)
            continue
        nodes.sort()
        sim = np.full((len(nodes), len(nodes)), -np.inf)
        for a, i in enumerate(nodes):
            for b in range(a + 1, len(nodes)):
                j = nodes[b]
                score = edges.get((i, j), -np.inf)
                if score == -np.inf and _within(groups[i], groups[j], params.window_days):
                    cos = round(float(vectors[i] @ vectors[j]), _DECIMALS)
                    score = round(cos + _bonus(groups[i], groups[j], params), _DECIMALS)
                sim[a, b] = sim[b, a] = score
        clusters.extend(
            [nodes[k] for k in part] for part in _average_linkage(sim, params.threshold)
        )
    return clusters


def _within(a: StoryGroup, b: StoryGroup, window_days: int) -> bool:
    if a.first is None or a.last is None or b.first is None or b.last is None:
        return False
    return max(0, b.first - a.last, a.first - b.last) <= window_days


@dataclass(frozen=True)
class StoryInput:
    """What clustering needs: the syndication groups, their documents and their embeddings."""

    groups: list[StoryGroup]
    members: list[list[Document]]
    vectors: npt.NDArray[np.float32]


def _group_key(doc: Document) -> str:
    return doc.syndication_group or "doc-" + doc.id


ARABIC_DIMENSIONS = 4096


def _word_vector(lead: str) -> npt.NDArray[np.float32]:
    """Unit vector of an Arabic lead's content words, hashed (crc32, deterministic) into
    :data:`ARABIC_DIMENSIONS` dimensions: the cosine of two leads is their word overlap."""
    vector = np.zeros(ARABIC_DIMENSIONS, dtype=np.float32)
    for word in content_words(lead):
        vector[zlib.crc32(word.encode("utf-8")) % ARABIC_DIMENSIONS] = 1.0
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def story_input(
    docs: list[Document], model: Any, cache: dict[str, npt.NDArray[np.float32]] | None = None
) -> StoryInput:
    """Group the documents by syndication group and embed their leads (each distinct lead once;
    with ``cache``, the run's lead vectors, leads the events stage embedded are not redone)."""
    by_group: dict[str, list[Document]] = defaultdict(list)
    for doc in docs:
        by_group[_group_key(doc)].append(doc)
    keys = sorted(by_group)
    leads = sorted({lead_text(doc) for doc in docs if doc.language != "ar"})
    lead_vectors = dict(
        zip(leads, embed_cached(model, {} if cache is None else cache, leads), strict=True)
    )
    arabic_leads = sorted({lead_text(doc) for doc in docs if doc.language == "ar"})
    if arabic_leads:
        # MiniLM reads English only: Arabic leads get a word vector in dimensions of their own,
        # so an Arabic lead is compared with Arabic leads only (cosine 0 with English ones)
        dim = int(model.get_embedding_dimension() or 0)
        for lead, vector in lead_vectors.items():
            lead_vectors[lead] = np.concatenate([vector, np.zeros(ARABIC_DIMENSIONS, np.float32)])
        for lead in arabic_leads:
            lead_vectors[lead] = np.concatenate([np.zeros(dim, np.float32), _word_vector(lead)])
    dim = len(next(iter(lead_vectors.values()))) if lead_vectors else 0
    vectors = np.zeros((len(keys), dim), dtype=np.float32)
    for row, key in enumerate(keys):
        mean = np.mean([lead_vectors[lead_text(doc)] for doc in by_group[key]], axis=0)
        norm = float(np.linalg.norm(mean))
        vectors[row] = mean / norm if norm > 0 else mean
    groups = [_group_of(key, by_group[key]) for key in keys]
    return StoryInput(groups, [by_group[key] for key in keys], vectors)


def assign_stories(
    docs: list[Document], prepared: StoryInput, params: StoryParams
) -> list[Document]:
    """Set ``story`` on every document: ``story-`` + the smallest document id of its cluster."""
    story_of: dict[str, str] = {}
    for cluster in cluster_stories(prepared.groups, prepared.vectors, params):
        story = "story-" + min(doc.id for i in cluster for doc in prepared.members[i])
        for i in cluster:
            story_of[prepared.groups[i].key] = story
    return [replace(doc, story=story_of[_group_key(doc)]) for doc in docs]


@stage(
    "ceasefire.stories.v1",
    requires=("text", "published", "syndication_group", "actors", "places"),
    assigns=("story",),
)
def tell_stories(docs: list[Document], ctx: StageContext) -> list[Document]:
    """Documents on the same incident share a story: embeddings, a time window, places and actors."""
    params = StoryParams.from_args(ctx.args)
    model = ctx.resource(MINILM_RESOURCE, load_minilm)
    cache = ctx.resource(LEAD_VECTORS_RESOURCE, dict)
    return assign_stories(docs, story_input(docs, model, cache), params)
