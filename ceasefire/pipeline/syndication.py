"""Syndication: copies of one text (a wire story as run by many outlets) share a group.

1. Exact copies: the SHA-256 of the normalised text (lower case, punctuation removed, whitespace
   collapsed) is equal.
2. Near copies: word 5-gram shingles are sketched with MinHash (128 permutations, fixed seed).
   Candidates come from MinHash LSH (Jaccard ≥ ``threshold``) and from MinHash LSH Ensemble
   (the shorter text contained in the longer one ≥ ``containment``: a wire story inside a page
   that adds a paragraph, a dateline or a footer).  Every candidate pair is then checked on the
   exact shingle sets, so the sketch only finds pairs and never decides them.  A page that
   contains copies of two different texts (a digest) joins neither.
3. Union-find joins the pairs; the group id is ``syn-`` + the smallest document id of the group.
   Every document gets a group, a document with no copy a group of its own.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace

from datasketch import MinHash, MinHashLSH, MinHashLSHEnsemble

from ceasefire.errors import ConfigError
from ceasefire.pipeline.records import Document
from ceasefire.pipeline.registry import StageContext, stage

__all__ = ["UnionFind", "group_copies", "normalise", "shingles", "syndicate"]

NUM_PERM = 128
SEED = 20160912  # fixed: the same texts give the same sketches in every run
SHINGLE_WORDS = 5
_MAX_SKETCH_THRESHOLD = 0.9
_NOT_WORD = re.compile(r"[^\w\s]+|_+")


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


def _sketch(items: frozenset[str]) -> MinHash:
    sketch = MinHash(num_perm=NUM_PERM, seed=SEED)
    sketch.update_batch(item.encode("utf-8") for item in sorted(items))
    return sketch


def group_copies(
    texts: dict[str, str],
    threshold: float = 0.5,
    containment: float = 0.8,
    min_contained: int = 20,
) -> dict[str, str]:
    """Map every id to the smallest id of its copy group.

    ``threshold`` is the Jaccard similarity of shingle sets that makes two texts copies;
    ``containment`` the share of the shorter text's shingles found in the longer one, counted
    only when the shorter text has at least ``min_contained`` shingles.
    """
    for name, value in (("threshold", threshold), ("containment", containment)):
        if not 0.0 < value <= 1.0:
            raise ConfigError(f"Syndication {name} must be in (0, 1], got {value}.")
    groups = UnionFind(texts)
    by_hash: dict[str, str] = {}
    sets: dict[str, frozenset[str]] = {}
    for doc_id in sorted(texts):
        norm = normalise(texts[doc_id])
        if not norm:
            continue  # an empty text is nobody's copy
        digest = hashlib.sha256(norm.encode("utf-8")).hexdigest()
        if digest in by_hash:
            groups.union(by_hash[digest], doc_id)
            continue
        by_hash[digest] = doc_id
        sets[doc_id] = shingles(norm)
    if len(sets) < 2:
        return {doc_id: groups.find(doc_id) for doc_id in texts}

    sketches = {doc_id: _sketch(items) for doc_id, items in sets.items()}
    # the sketches only propose pairs, so their thresholds stay where the banding works
    lsh = MinHashLSH(threshold=min(threshold, _MAX_SKETCH_THRESHOLD), num_perm=NUM_PERM)
    for doc_id, sketch in sketches.items():
        lsh.insert(doc_id, sketch)
    ensemble = MinHashLSHEnsemble(
        threshold=min(containment, _MAX_SKETCH_THRESHOLD), num_perm=NUM_PERM, num_part=8
    )
    ensemble.index([(doc_id, sketches[doc_id], len(sets[doc_id])) for doc_id in sets])

    holds: dict[str, set[str]] = defaultdict(set)  # longer text → shorter texts it contains
    for doc_id in sorted(sets):
        mine = sets[doc_id]
        for other in sorted(set(lsh.query(sketches[doc_id])) - {doc_id}):
            theirs = sets[other]
            if len(mine & theirs) / len(mine | theirs) >= threshold:
                groups.union(doc_id, other)
        if len(mine) < min_contained:
            continue
        for other in sorted(set(ensemble.query(sketches[doc_id], len(mine))) - {doc_id}):
            if len(mine & sets[other]) / len(mine) >= containment:
                holds[other].add(doc_id)
    # A page that carries copies of two different stories must not join them: it joins the
    # texts it contains only when they are all copies of one text already.
    roots = {page: {groups.find(short) for short in shorts} for page, shorts in holds.items()}
    for page in sorted(holds):
        if len(roots[page]) == 1:
            groups.union(page, next(iter(roots[page])))
    return {doc_id: groups.find(doc_id) for doc_id in texts}


@stage("ceasefire.syndication.v1", requires=("text",), assigns=("syndication_group",))
def syndicate(docs: list[Document], ctx: StageContext) -> list[Document]:
    """Copies of one text share a syndication group (exact hash, then MinHash LSH near copies)."""
    roots = group_copies(
        {doc.id: doc.text for doc in docs},
        threshold=float(ctx.args.get("threshold", 0.5)),
        containment=float(ctx.args.get("containment", 0.8)),
        min_contained=int(ctx.args.get("min_contained", 20)),
    )
    return [replace(doc, syndication_group="syn-" + roots[doc.id]) for doc in docs]
