"""Place mentions: gazetteer matching, spaCy entities, disambiguation, metonymy, main place.

Stage ``ceasefire.places.v1`` finds every Syrian place a document names and resolves it to one
gazetteer row with a UCDP ``where_prec`` code:

* **Matching.** Gazetteer names, longest first, over folded words (:meth:`Gazetteer.scan`);
  spaCy GPE/LOC/FAC entities the gazetteer did not match are looked up by their whole text.
  A match inside a PERSON entity ("Ali Haidar") is dropped unless it names a governorate or a
  large town.
* **Disambiguation.** Candidates are scored by kind and population, by a container named next to
  them ("X in Y", "X, Y", "Y's X", "X of Y"), by the governorates the rest of the document agrees
  on, and by cue words ("province", "district", "neighbourhood").  A neighbourhood counts only if
  its parent city is named in the document.  Foreign names (Moscow, Geneva, Ankara) win over a
  homonymous Syrian hamlet and are not emitted: they are not Syrian event places.
* **Precision.** 1 town, village or neighbourhood; 2 "near X", "outskirts of X", "X countryside";
  3 district; 4 governorate; 6 Syria.
* **Metonymy.** "Damascus said", "Syria accused", "the Damascus government": the capital or the
  country stands for its government; the mention is kept with ``metonymy=True``.

:func:`main_place` picks the article's main event location from the mentions.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ceasefire.geo.gazetteer import Gazetteer, GazetteerHit, Place, Token, place_key, tokenise
from ceasefire.model.arabic import fold as arabic_fold
from ceasefire.model.place_names import ARABIC
from ceasefire.pipeline import arabic
from ceasefire.pipeline.nlp import ENTITIES_RESOURCE, SPACY_RESOURCE, load_spacy
from ceasefire.pipeline.records import Document, PlaceMention
from ceasefire.pipeline.registry import StageContext, stage

__all__ = [
    "SCANS_RESOURCE",
    "VIOLENCE_TRIGGERS",
    "find_places",
    "geoparse",
    "main_place",
    "run_gazetteer",
    "scanned",
    "sentence_has_trigger",
]

SCANS_RESOURCE = "gazetteer.scans"

VIOLENCE_TRIGGERS = re.compile(
    r"\b(kill(?:ed|s|ing)?|dead|died|deaths?|wounded|injur(?:ed|ies|ing)|shell(?:ed|ing|s)?|"
    r"air ?strikes?|air ?raids?|raids?|struck|strikes?|bomb(?:s|ed|ing|ings)?|barrel|blasts?|"
    r"explo(?:sion|sions|ded|des)|clash(?:es|ed)?|fighting|fought|attack(?:s|ed|ing)?|mortars?|"
    r"rockets?|missiles?|artillery|gunfire|snipers?|massacres?|offensive|assault|ambush(?:ed)?|"
    r"besieged|siege|casualties|toll|suicide|shot|battle|battles|bombard(?:ed|ment)|targeted|"
    r"violat(?:ed|ion|ions)|hit)\b",
    re.IGNORECASE,
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_METONYMY_VERBS = _words(
    "said says say accused accuses denied denies announced announces warned warns claimed claims "
    "rejected rejects insisted insists condemned condemns urged urges called calls blamed blames "
    "stated states demanded demands agreed agrees welcomed welcomes refused refuses responded "
    "threatened threatens vowed vows wants wanted hopes hoped believes believed considers "
    "considered supports supported backs backed signed signs proposed proposes declared declares "
    "confirmed confirms asked asks told tells accepted accepts dismissed dismisses reiterated "
    "reiterates sought seeks expressed expresses criticized criticised opposes opposed argued "
    "argues maintains maintained"
)
_METONYMY_NOUNS = _words(
    "government regime authorities officials official administration ally allies backers "
    "delegation envoy ambassador ministry leadership position"
)
_SKIPPABLE = _words("has have had also will would is was on")
_ADMIN1_CUES = _words("province provinces governorate governorates region")
_DISTRICT_CUES = _words("district districts area areas")
_HOOD_CUES = _words("neighbourhood neighborhood neighbourhoods neighborhoods quarter quarters")
_NEAR_AFTER = _words("countryside outskirts suburbs surroundings environs periphery")
_NEAR_BEFORE = re.compile(
    r"(?:\bnear|\baround|\boutside|\bnearby|\bcountryside of|\boutskirts of|\bsuburbs of|\bvicinity of|"
    r"\b(?:north|south|east|west|northeast|northwest|southeast|southwest|north-east|north-west|"
    r"south-east|south-west)(?:ern)? of|\bkm (?:from|of)|\bkilometres (?:from|of)|\bkilometers (?:from|of)|"
    r"\brural)\s+(?:the\s+)?(?:city of\s+|town of\s+|village of\s+)?$",
    re.IGNORECASE,
)
_CONTAINER_GAP = re.compile(
    r"^(?:,\s*|\s+in\s+(?:the\s+)?|\s+of\s+|\s+in\s+(?:the\s+)?(?:city|province|town) of\s+)$",
    re.IGNORECASE,
)
_POSSESSIVE_GAP = re.compile(r"^(?:['’]s?\s+|s\s+)$")
# Arabic cues before a name, folded spelling: "قرب", "ريف", "شمال" (near); "محافظة" (governorate);
# "حي" (neighbourhood); a clitic (بريف، وبمحافظة) may stand before the cue or the name
_AR_CUE_END = r"\s+(?:مدينه\s+|بلده\s+|قريه\s+)?[وفبل]?$"
_AR_NEAR_BEFORE = re.compile(
    r"(?<![^\W\d_])[وفبل]?(?:قرب|بالقرب\s+من|اطراف|محيط|ريف|شمال|جنوب|شرق|غرب|شمالي|جنوبي|شرقي|غربي)"
    + _AR_CUE_END
)
_AR_ADMIN1_BEFORE = re.compile(r"(?<![^\W\d_])[وفبل]?محافظه\s+[وفبل]?$")
_AR_HOOD_BEFORE = re.compile(r"(?<![^\W\d_])[وفبل]?حي\s+[وفبل]?$")
_BIG_TOWN = 100_000
DECAY = 4.0  # sentences: how fast a mention's weight falls with its distance from the lead
# Damascus city lies inside Rural Damascus and reports name the two interchangeably ("Damascus
# countryside", "near Damascus"): for the vote they are one area; the pick inside it is by mention.
_AREA = {"SY01": "SY01+SY03", "SY03": "SY01+SY03"}
REST = 0.5  # weight of a governorate's further mentions after its best one
_NER_LABELS = frozenset({"GPE", "LOC", "FAC"})


@dataclass(frozen=True)
class _Resolved:
    hit: GazetteerHit
    place: Place
    precision: int
    score: float
    metonymy: bool


@dataclass
class _Context:
    """Cues around one hit, read from the words next to it."""

    admin1_cue: bool = False
    district_cue: bool = False
    hood_cue: bool = False
    near: bool = False
    container: GazetteerHit | None = None


def sentence_has_trigger(text: str) -> bool:
    """Whether a sentence reports violence: English triggers, or Arabic ones in Arabic script."""
    if VIOLENCE_TRIGGERS.search(text) is not None:
        return True
    return ARABIC.search(text) is not None and arabic.has_violence(text)


def _next_words(text: str, tokens: Sequence[Token], index: int, count: int) -> list[str]:
    words = []
    for tok in tokens[index : index + count]:
        words.append(text[tok.start : tok.end].lower())
    return words


def _context(text: str, tokens: Sequence[Token], hits: Sequence[GazetteerHit], i: int) -> _Context:
    hit = hits[i]
    after = _next_words(text, tokens, hit.token_index + hit.token_count, 2)
    gap_after = (
        text[hit.end : tokens[hit.token_index + hit.token_count].start]
        if hit.token_index + hit.token_count < len(tokens)
        else ""
    )
    ctx = _Context()
    if after and "." not in gap_after and "," not in gap_after:
        ctx.admin1_cue = after[0] in _ADMIN1_CUES
        ctx.district_cue = after[0] in _DISTRICT_CUES
        ctx.hood_cue = after[0] in _HOOD_CUES or (
            after[0] in {"district"} and len(after) > 1 and after[1] == "of"
        )
        ctx.near = after[0] in _NEAR_AFTER
    before = text[max(0, hit.start - 60) : hit.start]
    if _NEAR_BEFORE.search(before):
        ctx.near = True
    if re.search(r"\b(?:province|governorate) of\s+(?:the\s+)?$", before, re.IGNORECASE):
        ctx.admin1_cue = True
    if re.search(r"\bcountryside of\s+$|\brural\s+$", before, re.IGNORECASE):
        ctx.near = True
    if ARABIC.search(before):
        folded = arabic_fold(before)
        ctx.near = ctx.near or _AR_NEAR_BEFORE.search(folded) is not None
        ctx.admin1_cue = ctx.admin1_cue or _AR_ADMIN1_BEFORE.search(folded) is not None
        ctx.hood_cue = ctx.hood_cue or _AR_HOOD_BEFORE.search(folded) is not None
    # X in Y / X, Y / X of Y: the next hit contains this one
    if i + 1 < len(hits):
        nxt = hits[i + 1]
        gap = text[hit.end : nxt.start]
        words_between = gap.strip().split()
        cue_between = words_between[:1] and words_between[0].lower() in (
            _HOOD_CUES | _DISTRICT_CUES
        )
        if _CONTAINER_GAP.match(gap) or (
            cue_between and len(words_between) <= 4 and re.search(r"\b(?:of|in)\b", gap)
        ):
            ctx.container = nxt
    # Y's X (neighbourhood): the previous hit contains this one
    if ctx.container is None and i > 0:
        prev = hits[i - 1]
        if _POSSESSIVE_GAP.match(text[prev.end : hit.start]):
            ctx.container = prev
    return ctx


def _container_match(place: Place, container: GazetteerHit | None) -> bool:
    if container is None:
        return False
    for cand in container.candidates:
        if cand.foreign or cand.kind == "country":
            continue
        if cand.admin1_pcode == place.admin1_pcode:
            return True
    return False


def _base_score(place: Place) -> float:
    if place.kind == "populated_place":
        base = 1.0 + math.log10(place.population + 1) / 7.0
        return base - (0.3 if place.source.startswith("ucdp") else 0.0)
    return {
        "country": 1.0,
        "admin1": 0.9,
        "admin2": 0.5,
        "admin3": 0.4,
        "neighbourhood": 1.1,
        "feature": 0.9,
        "foreign": 1.2,
    }[place.kind]


def _document_admin1(hits: Sequence[GazetteerHit]) -> dict[str, float]:
    """Governorates the unambiguous matches agree on (share of votes)."""
    votes: dict[str, float] = defaultdict(float)
    for hit in hits:
        syrian = [c for c in hit.candidates if not c.foreign and c.kind != "country"]
        codes = {c.admin1_pcode for c in syrian}
        if len(codes) == 1 and len(syrian) == len(hit.candidates):
            votes[codes.pop()] += 1.0
    total = sum(votes.values()) or 1.0
    return {code: v / total for code, v in votes.items()}


def _mentioned_cities(hits: Sequence[GazetteerHit], cities: frozenset[str]) -> set[str]:
    named: set[str] = set()
    for hit in hits:
        for cand in hit.candidates:
            if (
                cand.kind in {"populated_place", "admin1", "admin2", "admin3"}
                and cand.name in cities
            ):
                named.add(cand.name)
    return named


def _is_metonymy(text: str, tokens: Sequence[Token], hit: GazetteerHit, place: Place) -> bool:
    if not (
        place.kind == "country"
        or place.foreign
        or (
            place.name == "Damascus"
            and place.kind in {"populated_place", "admin1", "admin2", "admin3"}
        )
    ):
        return False
    after = _next_words(text, tokens, hit.token_index + hit.token_count, 4)
    gap = text[hit.end : hit.end + 3]
    if gap.startswith((",", ".", ";")):
        return False
    for word in after:
        if word in _METONYMY_VERBS or word in _METONYMY_NOUNS:
            return True
        if word not in _SKIPPABLE:
            break
    before = text[max(0, hit.start - 30) : hit.start].lower()
    return bool(
        re.search(
            r"\b(?:talks with|ties with|relations with|pressure on|backed by|ally of|allies of)\s+(?:the\s+)?$",
            before,
        )
    )


def _resolve_hits(
    text: str, tokens: Sequence[Token], hits: Sequence[GazetteerHit], gazetteer: Gazetteer
) -> list[_Resolved]:
    """Choose one place (or a foreign name) for every hit."""
    doc_admin1 = _document_admin1(hits)
    named_cities = _mentioned_cities(hits, gazetteer.cities)
    resolved: list[_Resolved] = []
    for i, hit in enumerate(hits):
        ctx = _context(text, tokens, hits, i)
        scored: list[tuple[float, str, Place]] = []
        for place in hit.candidates:
            if place.kind == "neighbourhood":
                implied = ctx.hood_cue and doc_admin1.get(place.admin1_pcode, 0.0) >= 0.5
                if place.city not in named_cities and not implied:
                    continue
            score = _base_score(place)
            if _container_match(place, ctx.container):
                score += 3.0
            if not place.foreign:
                score += doc_admin1.get(place.admin1_pcode, 0.0)
            if ctx.admin1_cue and place.kind == "admin1":
                score += 5.0
            if ctx.district_cue and place.kind == "admin2":
                score += 4.0
            if (ctx.hood_cue or ctx.district_cue) and place.kind == "neighbourhood":
                score += 4.5
            if place.foreign and any(
                not c.foreign and (c.kind == "admin1" or c.population >= 50_000)
                for c in hit.candidates
            ):
                score -= 2.0
            if (
                place.foreign
                and ctx.container is not None
                and _container_match(place, ctx.container) is False
            ):
                score -= 0.5 if any(not c.foreign for c in ctx.container.candidates) else 0.0
            scored.append((score, place.id, place))
        if not scored:
            continue
        scored.sort(key=lambda item: (-item[0], item[1]))
        best_score, _, best = scored[0]
        total = sum(math.exp(s) for s, _, _ in scored)
        confidence = math.exp(best_score) / total
        precision = best.precision
        if ctx.near and best.kind in {"populated_place", "neighbourhood", "feature"}:
            precision = max(precision, 2)
        if ctx.admin1_cue and best.kind == "admin1":
            precision = 4
        resolved.append(
            _Resolved(
                hit=hit,
                place=best,
                precision=precision,
                score=round(confidence, 4),
                metonymy=_is_metonymy(text, tokens, hit, best),
            )
        )
    return resolved


def _entity_hits(
    text: str,
    entities: Iterable[tuple[int, int, str]],
    hits: list[GazetteerHit],
    tokens: Sequence[Token],
    gazetteer: Gazetteer,
) -> list[GazetteerHit]:
    """Drop matches inside PERSON names; add GPE/LOC/FAC entities the scan missed."""
    ents = list(entities)
    persons = [(s, e) for s, e, label in ents if label == "PERSON"]
    kept: list[GazetteerHit] = []
    for hit in hits:
        single = hit.token_count == 1
        inside_person = any(
            s <= hit.start and hit.end <= e and (single or (e - s) > (hit.end - hit.start))
            for s, e in persons
        )
        strong = any(
            c.kind == "admin1" or c.population >= _BIG_TOWN or c.foreign for c in hit.candidates
        )
        if inside_person and not strong:
            continue
        kept.append(hit)
    covered = [(h.start, h.end) for h in kept]
    starts = {tok.start: n for n, tok in enumerate(tokens)}
    for start, end, label in ents:
        if label not in _NER_LABELS or any(s < end and start < e for s, e in covered):
            continue
        surface = re.sub(r"^(?:the|The)\s+", "", text[start:end])
        offset = end - start - len(surface)
        candidates = gazetteer.lookup(surface)
        if not candidates:
            continue
        first = starts.get(start + offset)
        if first is None:
            continue
        count = sum(1 for tok in tokens[first:] if tok.end <= end)
        kept.append(
            GazetteerHit(
                start + offset, end, surface, place_key(surface), candidates, first, max(count, 1)
            )
        )
    kept.sort(key=lambda h: h.start)
    return kept


def find_places(
    text: str,
    gazetteer: Gazetteer,
    entities: Iterable[tuple[int, int, str]] = (),
    scan: tuple[list[Token], list[GazetteerHit]] | None = None,
) -> list[PlaceMention]:
    """Every Syrian place named in ``text`` (foreign names are recognised and left out).

    ``scan`` is the text's tokens and gazetteer matches when already made (:func:`scanned`)."""
    tokens, matches = scan if scan is not None else _scan(text, gazetteer)
    hits = _entity_hits(text, entities, matches, tokens, gazetteer)
    mentions: list[PlaceMention] = []
    for res in _resolve_hits(text, tokens, hits, gazetteer):
        place = res.place
        if place.foreign or place.lat is None or place.lon is None:
            continue
        mentions.append(
            PlaceMention(
                start=res.hit.start,
                end=res.hit.end,
                text=res.hit.text,
                name=place.name,
                lat=place.lat,
                lon=place.lon,
                precision=res.precision,
                admin1=place.admin1,
                admin1_pcode=place.admin1_pcode,
                kind=place.kind,
                city=place.city,
                metonymy=res.metonymy,
                score=res.score,
            )
        )
    return mentions


def _gazetteer_factory(exclude: tuple[str, ...]) -> Callable[[], Gazetteer]:
    return lambda: Gazetteer(exclude_sources=exclude).load()


def run_gazetteer(ctx: StageContext, exclude: tuple[str, ...] = ()) -> tuple[str, Gazetteer]:
    """The run's shared gazetteer (without the ``exclude`` sources) and its resource name."""
    name = f"gazetteer.syria:{','.join(exclude)}"
    gazetteer: Gazetteer = ctx.resource(name, _gazetteer_factory(exclude))
    return name, gazetteer


def _scan(text: str, gazetteer: Gazetteer) -> tuple[list[Token], list[GazetteerHit]]:
    tokens = tokenise(text)
    return tokens, gazetteer.scan(text, tokens)


def scanned(
    ctx: StageContext, name: str, gazetteer: Gazetteer, doc: Document, keep: bool = True
) -> tuple[list[Token], list[GazetteerHit]]:
    """The tokens and gazetteer matches of ``doc.text``, made once per run: an earlier stage
    (actors) scans and keeps them (``keep``), the places stage takes them (``keep=False``)."""
    cache: dict[tuple[str, str], Any] = ctx.resources.setdefault(SCANS_RESOURCE, {})
    found = cache.pop((name, doc.id), None)
    if found is None or found[0] != doc.text:
        found = (doc.text, *_scan(doc.text, gazetteer))
    if keep:
        cache[(name, doc.id)] = found
    return found[1], found[2]


@stage("ceasefire.places.v1", requires=("text", "sentences"), assigns=("places",))
def geoparse(docs: list[Document], ctx: StageContext) -> list[Document]:
    """Find Syrian place mentions: gazetteer + spaCy entities, disambiguated, with precision and metonymy.

    Also sets ``meta["main_place"]`` (:func:`main_place`).  Arguments: ``ner`` (bool, default
    true: use spaCy GPE/LOC/FAC/PERSON entities, those of the run's shared entity pass when an
    earlier stage made it), ``exclude_sources``
    (gazetteer sources to leave out, e.g. ``["ucdp_ged_derived"]`` when evaluating on UCDP GED).
    """
    name, gazetteer = run_gazetteer(ctx, tuple(ctx.args.get("exclude_sources", ())))
    entities = _entities(docs, ctx) if ctx.args.get("ner", True) else {}
    out = []
    for doc in docs:
        scan = scanned(ctx, name, gazetteer, doc, keep=False)
        places = find_places(doc.text, gazetteer, entities.get(doc.id, ()), scan)
        found = replace(doc, places=tuple(places))
        out.append(replace(found, meta={**doc.meta, "main_place": main_place(found)}))
    return out


def _entities(docs: list[Document], ctx: StageContext) -> dict[str, list[tuple[int, int, str]]]:
    """Named entities per document: those an earlier stage of the run found (the actors stage
    reads the lead's sentences with unresolved names, :func:`~ceasefire.pipeline.nlp.entities`),
    else a named-entity pass of the shared model over the whole text (not cached)."""
    cache: dict[str, Any] = ctx.resources.get(ENTITIES_RESOURCE, {})
    out: dict[str, list[tuple[int, int, str]]] = {}
    missing = []
    for doc in docs:
        if doc.language == "ar":
            out[doc.id] = []  # the English NER model cannot read Arabic: gazetteer names only
            continue
        hit = cache.get(doc.id)
        if hit is not None and hit[0] == doc.text:
            out[doc.id] = [(s, e, label) for s, e, label, _ in hit[2]]
        else:
            missing.append(doc)
    if missing:
        nlp = ctx.resource(SPACY_RESOURCE, load_spacy)
        enable = [name for name in ("tok2vec", "ner") if name in nlp.pipe_names]
        with nlp.select_pipes(enable=enable):
            for doc, sp in zip(
                missing, nlp.pipe((d.text for d in missing), batch_size=32), strict=True
            ):
                out[doc.id] = [(e.start_char, e.end_char, e.label_) for e in sp.ents]
    return out


def _sentence_index(doc: Document, offset: int) -> int:
    for n, (start, end) in enumerate(doc.sentences):
        if start <= offset < end:
            return n
    return len(doc.sentences)


def main_place(doc: Document) -> PlaceMention | None:
    """The main event location: the most precise place of the governorate the article is about.

    Mentions are weighted by where they stand (title, first sentences) and by whether their
    sentence reports violence; the governorate with the most weight wins, and within it the most
    precise well-weighted mention.  Metonymic mentions ("Damascus said") never count.  Returns the
    country mention when no finer Syrian place is named, and ``None`` when there is none.
    """
    candidates = [m for m in doc.places if not m.metonymy]
    finer = [m for m in candidates if m.kind != "country"]
    if not finer:
        return candidates[0] if candidates else None
    title_keys = " " + " ".join(t.key for t in tokenise(doc.title) if t.key) + " "
    weights: list[float] = []
    for mention in finer:
        index = _sentence_index(doc, mention.start)
        start, end = doc.sentence_of(mention.start)
        weight = 0.5 + 2.5 * math.exp(-index / DECAY)
        key = " ".join(t.key for t in tokenise(mention.text) if t.key)
        if key and f" {key} " in title_keys:
            weight += 2.0
        if sentence_has_trigger(doc.text[start:end]):
            weight *= 1.6
        weight *= 0.5 + mention.score
        weights.append(weight)
    by_area: dict[str, list[float]] = defaultdict(list)
    first_seen: dict[str, int] = {}
    for mention, weight in zip(finer, weights, strict=True):
        area = _AREA.get(mention.admin1_pcode, mention.admin1_pcode)
        by_area[area].append(weight)
        first_seen.setdefault(area, mention.start)
    votes = {area: max(ws) + REST * (sum(ws) - max(ws)) for area, ws in by_area.items()}
    dominant = min(votes, key=lambda area: (-votes[area], first_seen[area]))
    pool = [
        (m, w)
        for m, w in zip(finer, weights, strict=True)
        if _AREA.get(m.admin1_pcode, m.admin1_pcode) == dominant
    ]
    top = max(w for _, w in pool)
    eligible = [(m, w) for m, w in pool if w >= 0.5 * top]
    return min(eligible, key=lambda mw: (mw[0].precision, -mw[1], mw[0].start))[0]
