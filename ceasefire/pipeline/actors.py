"""Actors in text: curated names first, statistical NER second, fuzzy matches gated.

1. Every name of the actor registry (canonical, aliases, Arabic, UCDP/ACLED names) is matched on
   word boundaries, longest first, with Arabic articles folded ("al-Nusra" = "Nusra").  Short
   all-capital aliases ("IS", "SDF", "US") only match the same capitals in the text.  The name is
   resolved *at the document's date*, so "al-Nusra" in Sept 2016 is Jabhat Fateh al-Sham.
2. spaCy ORG/NORP entities that no curated name covers are fuzzy-matched (rapidfuzz) against the
   registry: a score ≥ ``accept`` is accepted, one between ``review`` and ``accept`` goes to the
   review queue (``review=True``, never silently accepted), lower is dropped.  NER reads only the
   sentences of the lead that hold two name words in a row outside the curated matches, not all
   of them gazetteer place names: no other sentence can yield such an entity.  The gazetteer scan
   made for that is kept for the places stage.
3. Reporting sources ("said the Syrian Observatory", "according to SANA") are sources, not actors.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache

from ceasefire.agreements.loader import default_registry
from ceasefire.model.actors import ActorRegistry
from ceasefire.model.arabic import ARABIC_LETTER, stem_readings, strip_article
from ceasefire.model.arabic import fold as arabic_fold
from ceasefire.pipeline.arabic import REPORTING_SOURCES_AR
from ceasefire.pipeline.nlp import entities, ner_sentences
from ceasefire.pipeline.places import run_gazetteer, scanned
from ceasefire.pipeline.records import ActorMention, Document
from ceasefire.pipeline.registry import StageContext, stage

__all__ = ["REPORTING_SOURCES", "ActorMatcher", "find_actors"]

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
_ARTICLES = {"al", "el", "ad", "an", "ar", "as", "ash", "at", "az", "ul", "the"}
MAX_WORDS = 10
# outlets, monitors and offices that report events; they are sources, never actors
REPORTING_SOURCES = (
    "Syrian Observatory for Human Rights", "Syrian Observatory", "SOHR", "SANA", "Reuters", "AFP",
    "Agence France-Presse", "Associated Press", "AP", "state media", "state television",
    "state TV", "activists", "the Observatory", "Local Coordination Committees", "TASS", "RIA Novosti",
    "Al Jazeera", "Al Arabiya", "the health ministry", "the defence ministry", "the defense ministry",
    "Anadolu", "the monitor", "White Helmets", "Syria Civil Defence",
)  # fmt: skip
_ACCORDING = re.compile(r"(according to|quoted by|citing|via)\s+(the\s+)?$", re.I)
# "…, said the Observatory." — the speaker closes the clause
_SAID_BEFORE = re.compile(r"(said|says|told|reported|added)\s+(the\s+)?$", re.I)
_CLAUSE_END = re.compile(r"^\s*([.,;:]|$)")
# Arabic: "قالت وزارة الدفاع الروسية", "بحسب المرصد" (folded spelling)
_SAY_AR = re.compile(
    r"(?<![^\W\d_])[وف]?(?:بحسب|حسب|وفق|وفقا ل|نقلا عن|قال|قالت|افاد|افادت|ذكر|ذكرت|اكد|اكدت|اتهم|اتهمت)"
    r"\s+$"
)
_REPORT_AFTER = re.compile(
    r"^\s*(said|says|reported|reports|told|announced|claimed|confirmed|added|stated)\b", re.I
)


@lru_cache(maxsize=65536)
def _fold(word: str) -> str:
    if ARABIC_LETTER.search(word):  # hamza, ta marbuta, harakat … folded, the article dropped
        return strip_article(arabic_fold(word))
    text = unicodedata.normalize("NFKD", word)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.replace("’", "'").replace("'", "").lower()


def _words(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, original, folded) for every word, with attached articles split off."""
    out = []
    for m in _WORD.finditer(text):
        out.append((m.start(), m.end(), m.group(), _fold(m.group())))
    return out


@dataclass(frozen=True)
class _Name:
    actor_id: str
    name: str
    exact_case: str | None  # the alias must appear with these capitals
    source: bool  # a reporting source, not an actor


class ActorMatcher:
    """Longest-match lookup of registry names over folded word sequences."""

    def __init__(self, registry: ActorRegistry) -> None:
        self.registry = registry
        self.table: dict[tuple[str, ...], list[_Name]] = {}
        self._prefix_cache: frozenset[tuple[str, ...]] | None = None
        self._choice_cache: dict[str, str] | None = None
        for actor in registry:
            names = {actor.canonical_name, *actor.aliases, *actor.arabic, actor.id}
            names.update(n.partition(":")[2] for n in actor.source_names)
            for name in names:
                self._add(name, actor.id, source=False)
        for name in (*REPORTING_SOURCES, *REPORTING_SOURCES_AR):
            self._add(name, "", source=True)

    def _add(self, name: str, actor_id: str, source: bool) -> None:
        key = self._key(name)
        if not key or len(key) > MAX_WORDS:
            return
        short_caps = len(name) <= 5 and name.isupper()
        entry = _Name(actor_id, name, name if short_caps else None, source)
        self._prefix_cache = self._choice_cache = None
        bucket = self.table.setdefault(key, [])
        if entry not in bucket:
            bucket.append(entry)

    def _prefixes(self) -> frozenset[tuple[str, ...]]:
        """Every leading part of every registry key: a longer match is tried only through them."""
        if self._prefix_cache is None:
            self._prefix_cache = frozenset(k[:n] for k in self.table for n in range(1, len(k) + 1))
        return self._prefix_cache

    def _choices(self) -> dict[str, str]:
        """Fuzzy-match candidates: folded name → actor id (names longer than five characters)."""
        if self._choice_cache is None:
            self._choice_cache = {
                " ".join(k): v[0].actor_id
                for k, v in self.table.items()
                if not v[0].source and len(" ".join(k)) > 5
            }
        return self._choice_cache

    @staticmethod
    def _key(name: str) -> tuple[str, ...]:
        return tuple(
            w for w in (_fold(m.group()) for m in _WORD.finditer(name)) if w not in _ARTICLES
        )

    def find(self, text: str, on: date) -> list[ActorMention]:
        words = _words(text)
        mentions: list[ActorMention] = []
        prefixes = self._prefixes()
        i = 0
        while i < len(words):
            if words[i][3] in _ARTICLES:
                i += 1
                continue
            if (words[i][3],) not in prefixes:
                words[i] = _clitic_reading(words[i], prefixes)
            hit = None
            # content words from i while they still begin some registry name (at most MAX_WORDS)
            content: list[int] = []
            key: tuple[str, ...] = ()
            j = i
            while j < len(words) and len(content) < MAX_WORDS:
                if words[j][3] not in _ARTICLES:
                    if (*key, words[j][3]) not in prefixes:
                        break
                    key = (*key, words[j][3])
                    content.append(j)
                j += 1
            for n in range(len(content), 0, -1):
                entries = self.table.get(key[:n])
                if not entries:
                    continue
                start, end = words[content[0]][0], words[content[n - 1]][1]
                surface = text[start:end]
                usable = [e for e in entries if e.exact_case is None or e.exact_case == surface]
                if usable:
                    hit = (content[0], content[n - 1], usable)
                    break
            if hit is None:
                i += 1
                continue
            first, last, entries = hit
            start, end = words[first][0], words[last][1]
            # include a leading article in the span ("al-Nusra")
            if (
                first > 0
                and words[first - 1][3] in _ARTICLES - {"the"}
                and words[first - 1][1] >= start - 1
            ):
                start = words[first - 1][0]
            surface = text[start:end]
            mentions.append(self._mention(text, start, end, surface, entries, on))
            i = last + 1
        return mentions

    def _mention(
        self, text: str, start: int, end: int, surface: str, entries: list[_Name], on: date
    ) -> ActorMention:
        before = text[max(0, start - 40) : start]
        after = text[end : end + 30]
        reporting_cue = bool(
            _SAY_AR.search(arabic_fold(before))
            or _ACCORDING.search(before)
            or (_SAID_BEFORE.search(before) and _CLAUSE_END.match(after))
            or _REPORT_AFTER.match(after)
        )
        if any(e.source for e in entries):
            return ActorMention(start, end, surface, None, 1.0, "source", is_reporting_source=True)
        ids = sorted({e.actor_id for e in entries})
        resolved = {
            self.registry.resolve(self.registry.get(a).canonical_name, on).actor_ids[0] for a in ids
        }
        if len(resolved) != 1:
            return ActorMention(start, end, surface, None, 0.5, "ambiguous", review=True)
        actor_id = resolved.pop()
        method = "exact" if actor_id in ids else "lineage"
        # "Russia said …", "the UN envoy said …": here the actor speaks, it does not act
        return ActorMention(
            start, end, surface, actor_id, 1.0 if method == "exact" else 0.9, method,
            is_reporting_source=reporting_cue,
        )  # fmt: skip

    def fuzzy(
        self, surface: str, on: date, accept: float, review: float
    ) -> tuple[str | None, float]:
        from rapidfuzz import fuzz, process

        choices = self._choices()
        words = self._key(surface)
        query = " ".join(words)
        if len(words) < 2 or len(query) <= 8:
            return None, 0.0  # one word ("Syrian", "Aleppo") is never matched fuzzily
        best = process.extractOne(query, list(choices), scorer=fuzz.token_sort_ratio)
        if best is None or best[1] < review:
            return None, 0.0
        actor_id = self.registry.resolve(
            self.registry.get(choices[best[0]]).canonical_name, on
        ).actor_ids[0]
        return actor_id, float(best[1])


def _clitic_reading(
    word: tuple[int, int, str, str], prefixes: frozenset[tuple[str, ...]]
) -> tuple[int, int, str, str]:
    """An Arabic word read without its clitic prefixes ("والنصرة" → "نصره") when that reading
    begins a registry name; the word as it was otherwise."""
    start, end, original, _ = word
    if not ARABIC_LETTER.search(original):
        return word
    for reading, cut in stem_readings(original):
        key = strip_article(reading)
        if (key,) in prefixes:
            return start + cut, end, original[cut:], key
    return word


def _overlaps(a: tuple[int, int], spans: Iterable[tuple[int, int]]) -> bool:
    return any(a[0] < e and s < a[1] for s, e in spans)


def _date_of(doc: Document) -> date:
    return doc.published.date() if doc.published else date.today()  # noqa: DTZ011 - only when undated


def find_actors(matcher: ActorMatcher, doc: Document, ents: list[tuple[int, int, str, str]],
                accept: float, review: float,
                curated: list[ActorMention] | None = None) -> list[ActorMention]:  # fmt: skip
    """Curated matches (``curated`` when already made by :meth:`ActorMatcher.find`) and the
    ORG/NORP entities of ``ents`` that none covers, fuzzy-matched."""
    on = _date_of(doc)
    mentions = list(curated) if curated is not None else matcher.find(doc.text, on)
    taken = [(m.start, m.end) for m in mentions]
    for start, end, label, surface in ents:
        if label not in ("ORG", "NORP") or _overlaps((start, end), taken):
            continue
        actor_id, score = matcher.fuzzy(surface, on, accept, review)
        if actor_id is None:
            continue
        if score >= accept:
            mentions.append(ActorMention(start, end, surface, actor_id, score / 100, "fuzzy"))
        else:
            mentions.append(
                ActorMention(start, end, surface, actor_id, score / 100, "fuzzy", review=True)
            )
        taken.append((start, end))
    return sorted(mentions, key=lambda m: (m.start, m.end))


@stage("ceasefire.actors.v1", requires=("text", "published"), assigns=("actors",))
def resolve_actors(docs: list[Document], ctx: StageContext) -> list[Document]:
    """Actor mentions resolved to registry ids at the document's date; reporting sources marked.

    Arguments: ``accept`` and ``review`` (fuzzy scores), ``ner_chars`` (NER reads at most this
    lead; within it only sentences with a run of name words no curated name covers)."""
    matcher: ActorMatcher = ctx.resource("actors.matcher", lambda: ActorMatcher(default_registry()))
    accept = float(ctx.args.get("accept", 90))
    review = float(ctx.args.get("review", 75))
    limit = ctx.args.get("ner_chars")
    curated = {doc.id: matcher.find(doc.text, _date_of(doc)) for doc in docs}

    name, gazetteer = run_gazetteer(ctx)

    def unknown_names(doc: Document) -> list[tuple[int, int]]:
        if doc.language == "ar":
            return []  # the English NER model cannot read Arabic: curated names only
        known = [(m.start, m.end) for m in curated[doc.id]]
        # the places stage takes this scan over instead of making its own
        places = [(h.start, h.end) for h in scanned(ctx, name, gazetteer, doc)[1]]
        return ner_sentences(doc, int(limit) if limit else None, known, places)

    ents = entities(ctx, docs, unknown_names)
    return [
        replace(
            doc,
            actors=tuple(find_actors(matcher, doc, ents[doc.id], accept, review, curated[doc.id])),
        )
        for doc in docs
    ]
