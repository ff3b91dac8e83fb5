"""Syndication: copies of one text (a wire story as run by many outlets) share a group.

Copies are found by the passages they share, not by whole-document similarity, so a copy with a
rewritten lede, a trimmed or extended end, an inserted photo caption or a site's chrome still
joins its wire:

1. Exact copies: the SHA-256 of the normalised text (lower case, punctuation removed, whitespace
   collapsed) is equal.
2. Passages are the document's sentences (newlines are hard breaks); a passage's fingerprint is
   its set of word 5-grams.  A passage of A is *shared* with B when at least ``passage_match`` of
   its 5-grams occur in B.
3. Candidates come from an inverted index of 5-grams (each posting list capped at
   :data:`MAX_POSTINGS` documents, so the work stays near-linear); the index only proposes pairs.
4. A pair is a copy when the shorter text's passages (those of at least ``min_passage_words``
   words, weighed by characters) are shared with the longer one at least ``containment``, at
   least ``min_shared_chars`` characters are shared, and the shared passages include a run of
   ``min_run`` that appear in the same order in both texts (aligned spans, not scattered phrases).
5. A document whose copy partners cover disjoint sets of its passages (a digest quoting two
   different wires) joins neither: its pairs are dropped, except with a partner it nearly equals
   (both texts shared at least ``mutual``).
6. Union-find joins the pairs; the group id is ``syn-`` + the smallest document id of the group.
   Every document gets a group, a document with no copy a group of its own.

Each document also gets the passages it shares with the other members of its group
(``shared_passages``) and its own (``own_passages``): lines a copy adds can carry new facts and
count as that outlet's own (:func:`independent_key`).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace

from ceasefire.errors import ConfigError
from ceasefire.pipeline.clean import split_sentences
from ceasefire.pipeline.records import Document
from ceasefire.pipeline.registry import StageContext, stage

__all__ = [
    "Copies",
    "UnionFind",
    "find_copies",
    "group_copies",
    "independent_key",
    "normalise",
    "shingles",
    "syndicate",
]

SHINGLE_WORDS = 5
MAX_POSTINGS = 200  # documents kept per 5-gram in the candidate index (the first, by id)
_CANDIDATE_SHARE = 0.2  # 5-grams two texts must share (of the smaller set) to be compared
_NOT_WORD = re.compile(r"[^\w\s]+|_+")

Span = tuple[int, int]


def normalise(text: str) -> str:
    """Lower case, punctuation removed, whitespace collapsed (NFKC first)."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return " ".join(_NOT_WORD.sub(" ", folded).split())


def shingles(normalised: str, size: int = SHINGLE_WORDS) -> frozenset[str]:
    """Word ``size``-grams; a text shorter than ``size`` words is one shingle."""
    words = normalised.split()
    if len(words) <= size:
        return frozenset([" ".join(words)]) if words else frozenset()
    return frozenset(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))


class UnionFind:
    """Disjoint sets over string keys; the root of a set is its smallest key."""

    def __init__(self, keys: Iterable[str]) -> None:
        self.parent = {key: key for key in keys}

    def find(self, key: str) -> str:
        root = key
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[key] != root:  # path compression
            self.parent[key], key = root, self.parent[key]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            low, high = sorted((ra, rb))
            self.parent[high] = low


@dataclass(frozen=True)
class _Passages:
    spans: tuple[Span, ...]
    grams: tuple[frozenset[str], ...]  # each passage's 5-grams
    weight: tuple[int, ...]  # characters, 0 for a passage too short to count
    where: dict[str, int]  # 5-gram → the first passage that has it
    total: int  # characters of the passages that count


def _passages(text: str, spans: tuple[Span, ...], min_words: int) -> _Passages:
    grams: list[frozenset[str]] = []
    weight: list[int] = []
    where: dict[str, int] = {}
    for i, (start, end) in enumerate(spans):
        norm = normalise(text[start:end])
        mine = shingles(norm)
        grams.append(mine)
        weight.append(end - start if len(norm.split()) >= min_words else 0)
        for gram in mine:
            where.setdefault(gram, i)
    return _Passages(spans, tuple(grams), tuple(weight), where, sum(weight))


@dataclass(frozen=True)
class _Match:
    """Which passages of ``a`` are shared with ``b`` and the other way round."""

    a_shared: frozenset[int]
    b_shared: frozenset[int]
    a_share: float  # of a's counted characters
    b_share: float
    shared_chars: int  # counted characters of the shorter text that are shared
    run: int  # longest run of the shorter text's shared passages in the same order in both
    countable: int  # counted passages of the shorter text


def _shared(mine: _Passages, theirs: _Passages, passage_match: float) -> dict[int, int]:
    """Passages of ``mine`` shared with ``theirs`` → the passage of ``theirs`` they match best."""
    out: dict[int, int] = {}
    for i, grams in enumerate(mine.grams):
        if not grams:
            continue
        hits: defaultdict[int, int] = defaultdict(int)
        for gram in grams:
            j = theirs.where.get(gram)
            if j is not None:
                hits[j] += 1
        if sum(hits.values()) >= passage_match * len(grams):
            out[i] = min(hits, key=lambda j: (-hits[j], j))
    return out


def _longest_run(mapping: dict[int, int], weight: tuple[int, ...]) -> int:
    """Longest chain of counted passages, consecutive among the counted ones, that are all
    shared and whose partners keep their order."""
    best = run = 0
    last = -1
    for i, w in enumerate(weight):
        if not w:
            continue
        j = mapping.get(i)
        if j is None:
            run, last = 0, -1
            continue
        run = run + 1 if j >= last else 1
        last = j
        best = max(best, run)
    return best


def _match(a: _Passages, b: _Passages, passage_match: float) -> _Match:
    a_map, b_map = _shared(a, b, passage_match), _shared(b, a, passage_match)
    a_chars = sum(a.weight[i] for i in a_map)
    b_chars = sum(b.weight[i] for i in b_map)
    a_share = a_chars / a.total if a.total else 0.0
    b_share = b_chars / b.total if b.total else 0.0
    short, short_map, short_chars = (
        (a, a_map, a_chars) if a.total <= b.total else (b, b_map, b_chars)
    )
    return _Match(
        frozenset(a_map),
        frozenset(b_map),
        a_share,
        b_share,
        short_chars,
        _longest_run(short_map, short.weight),
        sum(1 for w in short.weight if w),
    )


@dataclass(frozen=True)
class Copies:
    """The result of :func:`find_copies`: each id's group root and its shared passages."""

    roots: dict[str, str]
    shared: dict[str, tuple[Span, ...]]  # passages shared with another member of the group
    own: dict[str, tuple[Span, ...]]  # passages no other member of the group carries


def _candidates(passages: dict[str, _Passages]) -> list[tuple[str, str]]:
    """Pairs that share enough 5-grams to be compared (an inverted index, capped postings)."""
    postings: defaultdict[str, list[str]] = defaultdict(list)
    grams: dict[str, set[str]] = {}
    for doc_id in sorted(passages):
        mine = {g for i, gs in enumerate(passages[doc_id].grams) if passages[doc_id].weight[i]
                for g in gs}  # fmt: skip
        grams[doc_id] = mine
        for gram in mine:
            if len(postings[gram]) < MAX_POSTINGS:
                postings[gram].append(doc_id)
    pairs: list[tuple[str, str]] = []
    for doc_id in sorted(passages):
        counts: defaultdict[str, int] = defaultdict(int)
        for gram in grams[doc_id]:
            for other in postings[gram]:
                if other > doc_id:
                    counts[other] += 1
        for other, n in sorted(counts.items()):
            smaller = min(len(grams[doc_id]), len(grams[other]))
            if smaller and n >= _CANDIDATE_SHARE * smaller:
                pairs.append((doc_id, other))
    return pairs


def _is_digest(partners: dict[str, frozenset[int]], linked: set[tuple[str, str]]) -> bool:
    """Do the partners of a document cover disjoint sets of its passages (and are they not
    copies of each other)?  Then it quotes two different texts."""
    names = sorted(partners)
    if len(names) < 2:
        return False
    groups = UnionFind(names)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            if partners[a] & partners[b] or (a, b) in linked:
                groups.union(a, b)
    return len({groups.find(n) for n in names}) > 1


def find_copies(
    texts: dict[str, str],
    spans: dict[str, tuple[Span, ...]] | None = None,
    *,
    containment: float = 0.5,
    passage_match: float = 0.5,
    mutual: float = 0.8,
    min_passage_words: int = 6,
    min_shared_chars: int = 120,
    min_run: int = 2,
) -> Copies:
    """Group copies by shared passages; ``spans`` are each text's passages (its sentences by
    default, :func:`ceasefire.pipeline.clean.split_sentences`)."""
    for name, value in (
        ("containment", containment),
        ("passage_match", passage_match),
        ("mutual", mutual),
    ):
        if not 0.0 < value <= 1.0:
            raise ConfigError(f"Syndication {name} must be in (0, 1], got {value}.")
    spans = spans or {}
    groups = UnionFind(texts)
    by_hash: dict[str, str] = {}
    passages: dict[str, _Passages] = {}
    for doc_id in sorted(texts):
        text = texts[doc_id]
        norm = normalise(text)
        if not norm:
            continue  # an empty text is nobody's copy
        digest = hashlib.sha256(norm.encode("utf-8")).hexdigest()
        if digest in by_hash:
            groups.union(by_hash[digest], doc_id)
        else:
            by_hash[digest] = doc_id
        found = _passages(text, spans.get(doc_id) or split_sentences(text), min_passage_words)
        if found.total:
            passages[doc_id] = found

    edges: dict[tuple[str, str], _Match] = {}
    for a, b in _candidates(passages):
        m = _match(passages[a], passages[b], passage_match)
        short_share = m.a_share if passages[a].total <= passages[b].total else m.b_share
        if (
            short_share >= containment
            and m.shared_chars >= min_shared_chars
            and m.run >= min(min_run, m.countable)
        ):
            edges[(a, b)] = m

    partners: defaultdict[str, dict[str, frozenset[int]]] = defaultdict(dict)
    for (a, b), m in edges.items():
        partners[a][b] = m.a_shared
        partners[b][a] = m.b_shared
    linked = set(edges)
    digests = {doc_id for doc_id, p in partners.items() if _is_digest(p, linked)}
    for (a, b), m in sorted(edges.items()):
        near_equal = min(m.a_share, m.b_share) >= mutual
        if near_equal or not ({a, b} & digests):
            groups.union(a, b)

    roots = {doc_id: groups.find(doc_id) for doc_id in texts}
    return _passage_roles(texts, roots, passages, edges, passage_match)


def _passage_roles(
    texts: dict[str, str],
    roots: dict[str, str],
    passages: dict[str, _Passages],
    edges: dict[tuple[str, str], _Match],
    passage_match: float,
) -> Copies:
    members: defaultdict[str, list[str]] = defaultdict(list)
    for doc_id in sorted(texts):
        members[roots[doc_id]].append(doc_id)
    shared_idx: defaultdict[str, set[int]] = defaultdict(set)
    for group in members.values():
        if len(group) < 2:
            continue
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                if a not in passages or b not in passages:
                    continue
                m = edges.get((a, b)) or _match(passages[a], passages[b], passage_match)
                shared_idx[a] |= m.a_shared
                shared_idx[b] |= m.b_shared
    shared: dict[str, tuple[Span, ...]] = {}
    own: dict[str, tuple[Span, ...]] = {}
    for doc_id in sorted(texts):
        found = passages.get(doc_id)
        all_spans = found.spans if found else split_sentences(texts[doc_id])
        mine = shared_idx.get(doc_id, set())
        shared[doc_id] = tuple(s for i, s in enumerate(all_spans) if i in mine)
        own[doc_id] = tuple(s for i, s in enumerate(all_spans) if i not in mine)
    return Copies(roots, shared, own)


def group_copies(texts: dict[str, str], **params: float) -> dict[str, str]:
    """Map every id to the smallest id of its copy group (see :func:`find_copies`)."""
    return find_copies(texts, **params).roots  # type: ignore[arg-type]


def independent_key(doc: Document, start: int, end: int) -> str:
    """Whose statement the span ``[start, end)`` of ``doc`` is: the syndication group's when the
    span lies in a passage the group shares, else the document's own (a line a copy added)."""
    group = doc.syndication_group or doc.id
    if not doc.shared_passages or any(s < end and start < e for s, e in doc.shared_passages):
        return group
    return doc.id


_ARGS: dict[str, type] = {
    "containment": float,
    "passage_match": float,
    "mutual": float,
    "min_passage_words": int,
    "min_shared_chars": int,
    "min_run": int,
}


@stage(
    "ceasefire.syndication.v2",
    requires=("text",),
    assigns=("syndication_group", "shared_passages", "own_passages"),
)
def syndicate(docs: list[Document], ctx: StageContext) -> list[Document]:
    """Copies of one text share a syndication group: exact hash, then shared passages (sentences
    of the shorter text found in the longer one, in order); a digest of two texts joins neither."""
    unknown = sorted(set(ctx.args) - set(_ARGS))
    if unknown:
        raise ConfigError(
            f"Unknown syndication argument(s) {', '.join(unknown)}; known: {', '.join(_ARGS)}."
        )
    params = {name: kind(ctx.args[name]) for name, kind in _ARGS.items() if name in ctx.args}
    found = find_copies(
        {doc.id: doc.text for doc in docs},
        {doc.id: doc.sentences for doc in docs if doc.sentences},
        **params,
    )
    return [
        replace(
            doc,
            syndication_group="syn-" + found.roots[doc.id],
            shared_passages=found.shared[doc.id],
            own_passages=found.own[doc.id],
        )
        for doc in docs
    ]
