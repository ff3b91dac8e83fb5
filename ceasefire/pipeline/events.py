"""Events in text: ACLED event type and sub-type per sentence, actors with roles, modality.

A trigger lexicon (ordered: the most specific trigger wins) types each sentence; the sentence's
actor mentions (reporting sources excluded) become ACLED actor 1 / actor 2 in order of mention —
ACLED semantics, no direction implied; the place and date come from the same sentence, else from
the document's main place and date.  Modality comes from cue words around the trigger; for an
agreement ("the truce would come into force on Monday", "a ceasefire will start at sundown on
Monday") from the whole sentence: ``planned`` when it is to start, ``announced`` when it was
announced, agreed or signed.  The sentence's own event date wins over a report date ("said
Thursday": a window ending that Thursday), which wins over the document's main date.

In English articles the lexicon's type of the main event is checked against a trained model
(:mod:`ceasefire.pipeline.event_model`, read from the lead's MiniLM embedding and the triggers the
lead holds): the main event — the first mention that is not a strategic development — and the
mentions in the lead typed only by a casualty word ("killed") take the model's type.  Their
sub-type is that of the document's first lexicon mention of that type, else ACLED's generic one
(Battles: Armed clash; Violence against civilians: Attack); the model never invents an
explosion's weapon, so Explosions/Remote violence with no such trigger in the text, and a
Strategic developments prediction, leave the lexicon's type.  Arabic articles keep the Arabic
lexicon alone (MiniLM reads English only).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from ceasefire.model.arabic import fold_with_offsets
from ceasefire.pipeline.embeddings import (
    LEAD_VECTORS_RESOURCE,
    MINILM_RESOURCE,
    embed_cached,
    load_minilm,
)
from ceasefire.pipeline.event_model import EVENT_MODEL_RESOURCE, load_event_model
from ceasefire.pipeline.records import (
    ActorMention,
    DateMention,
    Document,
    EventMention,
    PlaceMention,
)
from ceasefire.pipeline.registry import StageContext, stage
from ceasefire.pipeline.stories import LEAD_CHARS, lead_text

__all__ = [
    "TRIGGERS",
    "TRIGGERS_AR",
    "agreement_modality",
    "classify_sentence",
    "main_types",
    "modality",
    "retype_main",
]

_GOV = {"SYR_GOV", "SAA", "SyAAF", "NDF", "TIGER", "RU_VKS", "RUS", "HEZBOLLAH", "IRGC"}

# (pattern, event type, sub-event type); first match wins
TRIGGERS: tuple[tuple[str, str, str], ...] = (
    (r"chemical|chlorine|sarin|toxic gas|gas attack", "Explosions/Remote violence", "Chemical weapon"),
    (r"suicide (?:bomb(?:er|ers|ing|ings|s)?|attacks?|car)|(?:vehicle|truck)[- ]borne|blew (?:him|her)self up", "Explosions/Remote violence", "Suicide bomb"),
    (r"air ?strikes?|air ?raids?|warplanes?|jets?|barrel bombs?|helicopters?|aerial|drone strikes?|bombing raids?|airstrikes?", "Explosions/Remote violence", "Air/drone strike"),
    (r"shell(?:ing|ed|s)|artillery|mortars?|rockets?|missiles?|mlrs|grad", "Explosions/Remote violence", "Shelling/artillery/missile attack"),
    (r"car bombs?|roadside bomb|landmines?|mines?|ied|explosive device|explosions?|blasts?|exploded", "Explosions/Remote violence", "Remote explosive/landmine/IED"),
    (r"captur(?:ed|es|ing)|seiz(?:ed|es)|took control|retook|recaptured|regained|advanced into|overran", "Battles", "TERRITORY"),
    (r"clash(?:es|ed)?|fighting|fought|battles?|offensive|assault|ambush(?:ed)?|firefights?", "Battles", "Armed clash"),
    (r"executed|execution|massacre|beheaded|sniper|shot dead|gunned down", "Violence against civilians", "Attack"),
    (r"kidnapp(?:ed|ing)|abduct(?:ed|ion)", "Violence against civilians", "Abduction/forced disappearance"),
    (r"protest(?:s|ers|ed)?|demonstrat(?:ion|ions|ors|ed)", "Protests", "Peaceful protest"),
    (r"ceasefire|cease-fire|truce|cessation of hostilities|agreement|deal", "Strategic developments", "Agreement"),
)  # fmt: skip
_COMPILED = tuple((re.compile(rf"\b(?:{p})\b", re.I), t, s) for p, t, s in TRIGGERS)
# The same families in Arabic, folded spelling (ceasefire.model.arabic.fold); a trigger may carry
# clitic prefixes (و ف ب ل, ال) and, for verbs and plurals, endings.
TRIGGERS_AR: tuple[tuple[str, str, str], ...] = (
    (r"كيماوي|كيميايي|غاز الكلور|الكلور|السارين|غازات سامه", "Explosions/Remote violence", "Chemical weapon"),
    (r"انتحاري|انتحاريه|سياره مفخخه|مفخخه", "Explosions/Remote violence", "Suicide bomb"),
    (r"غاره|غارات|قصف جوي|الطيران الحربي|طيران|طايرات حربيه|طايره حربيه|مقاتلات|براميل متفجره|برميل|مروحي|طايره مسيره|مسيرات", "Explosions/Remote violence", "Air/drone strike"),
    (r"قصف|قذايف|قذيفه|صواريخ|صاروخ|مدفعي|مدفعيه|هاون|راجمات", "Explosions/Remote violence", "Shelling/artillery/missile attack"),
    (r"عبوه ناسفه|عبوات ناسفه|عبوه|لغم|الغام|انفجار|تفجير|انفجرت", "Explosions/Remote violence", "Remote explosive/landmine/IED"),
    (r"سيطر|سيطرت|سيطره|استعاد|استعادت|استعاده|تقدم|تقدمت", "Battles", "TERRITORY"),
    (r"اشتباكات|اشتباك|معارك|معركه|هجوم|اقتحام|كمين", "Battles", "Armed clash"),
    (r"اعدام|اعدم|مجزره|قناص|قنص|رصاص", "Violence against civilians", "Attack"),
    (r"خطف|اختطاف|اختطف", "Violence against civilians", "Abduction/forced disappearance"),
    (r"مظاهره|مظاهرات|احتجاج|احتجاجات|تظاهر", "Protests", "Peaceful protest"),
    (r"هدنه|وقف اطلاق النار|وقف الاعمال العدايه|اتفاق|اتفاقيه", "Strategic developments", "Agreement"),
)  # fmt: skip
_AR_PREFIX = r"(?<![^\W\d_])(?:[وفبلك]|ال|وال|بال|فال|لل|وب|ول)?"
_COMPILED_AR = tuple((re.compile(rf"{_AR_PREFIX}(?:{p})"), t, s) for p, t, s in TRIGGERS_AR)
_VIOLENT_AR = re.compile(
    rf"{_AR_PREFIX}(?:مقتل|قتل|قتلي|قتيل|جرحي|جريح|اصابه|اصابات|اصيب|مصرع|شهيد|شهدا|استشهاد|ضحايا)"
)
_DENIED_AR = re.compile(rf"{_AR_PREFIX}(?:نفي|نفت|ينفي|تنفي|تنفي|نفيا)(?![^\W\d_])")
_PLANNED_AR = re.compile(
    rf"{_AR_PREFIX}(?:سوف|سيتم|من المقرر|من المنتظر|يعتزم|تعتزم|يخطط|تخطط|سيدخل|ستدخل|سيبدا|ستبدا|يسري|تسري|سيسري)(?![^\W\d_])"
)
_HYPOTHETICAL_AR = re.compile(r"(?<![^\W\d_])(?:اذا|لو|في حال)(?![^\W\d_])")
_ANNOUNCED_AR = re.compile(rf"{_AR_PREFIX}(?:اعلن|اعلنت|اتفق|اتفقت|توصل|توصلت)")
_VIOLENT = re.compile(r"\b(killed|kills|killing|dead|died|wounded|injured|casualties)\b", re.I)
_DENIED = re.compile(
    r"\b(denied|denies|deny|did not|didn't|no (?:\w+ )?(?:were|was) (?:killed|hit)|refuted|rejected claims)\b",
    re.I,
)
_PLANNED = re.compile(
    r"\b(will|plans? to|planning|intends? to|is expected to|are expected to|threatened to|prepar(?:e|es|ing) to)\b",
    re.I,
)
_HYPOTHETICAL = re.compile(r"\b(if|would|could|might|unless|in case)\b", re.I)
_ANNOUNCED = re.compile(r"\b(announced|declared|agreed to|vowed)\b", re.I)
# an agreement that is to take effect: "would come into force", "will start at sundown"
_AGREEMENT_PLANNED = re.compile(
    r"\b(?:will|would|shall|is\s+to|are\s+to|was\s+to|(?:is|are|was|were)\s+(?:due|set|scheduled|expected)"
    r"\s+to)\s+(?:(?:officially|formally|then|only)\s+)?(?:come\s+into\s+(?:force|effect)|take\s+effect"
    r"|go\s+into\s+effect|enter\s+into\s+force|start|begin|commence|be\s+(?:implemented|extended|in\s+force"
    r"|in\s+effect))\b",
    re.I,
)
_AGREEMENT_ANNOUNCED = re.compile(
    r"\b(?:announced|declared|agreed|signed|reached|brokered|unveiled|struck)\b", re.I
)


def modality(sentence: str, trigger_at: int, language: str = "en") -> str:
    """happened | announced | planned | hypothetical | denied, from cues in the sentence."""
    arabic = language == "ar"
    if arabic:
        sentence, origin = fold_with_offsets(sentence)
        trigger_at = next((i for i, o in enumerate(origin) if o >= trigger_at), len(sentence))
    if (_DENIED_AR if arabic else _DENIED).search(sentence):
        return "denied"
    head = sentence[: max(trigger_at, 0)]
    if (_HYPOTHETICAL_AR if arabic else _HYPOTHETICAL).search(head):
        return "hypothetical"
    if (_PLANNED_AR if arabic else _PLANNED).search(head):
        return "planned"
    if (_ANNOUNCED_AR if arabic else _ANNOUNCED).search(head):
        return "announced"
    return "happened"


def agreement_modality(sentence: str) -> str | None:
    """planned | announced for an agreement sentence, from the whole sentence; None if neither."""
    if _DENIED.search(sentence):
        return None
    if _AGREEMENT_PLANNED.search(sentence):
        return "planned"
    if _AGREEMENT_ANNOUNCED.search(sentence):
        return "announced"
    return None


def _sentence_date(doc: Document, start: int, end: int) -> DateMention | None:
    """The event date of a sentence: its own (not a dateline), before a report date."""
    own = [d for d in doc.dates if _in(d.start, d.end, start, end) and d.method != "dateline"]
    return next((d for d in own if d.method != "report"), None) or next(iter(own), None)


def _classify_arabic(sentence: str) -> tuple[str, str, str, int] | None:
    folded, origin = fold_with_offsets(sentence)
    violent = _VIOLENT_AR.search(folded)
    for pattern, event_type, sub in _COMPILED_AR:
        m = pattern.search(folded)
        if m:
            if event_type == "Strategic developments" and violent:
                continue
            start, end = origin[m.start()], origin[m.end()]
            return event_type, sub, sentence[start:end], start
    if violent:
        start, end = origin[violent.start()], origin[violent.end()]
        return "Violence against civilians", "Attack", sentence[start:end], start
    return None


def classify_sentence(sentence: str, language: str = "en") -> tuple[str, str, str, int] | None:
    """(event type, sub-event type, trigger, offset) of the first matching trigger family;
    ``language="ar"`` reads the Arabic lexicon :data:`TRIGGERS_AR`."""
    if language == "ar":
        return _classify_arabic(sentence)
    for pattern, event_type, sub in _COMPILED:
        m = pattern.search(sentence)
        if m:
            if event_type == "Strategic developments" and _VIOLENT.search(sentence):
                continue
            return event_type, sub, m.group(), m.start()
    if _VIOLENT.search(sentence):
        m = _VIOLENT.search(sentence)
        assert m is not None
        return "Violence against civilians", "Attack", m.group(), m.start()
    return None


def _violent(sentence: str, language: str) -> bool:
    if language == "ar":
        return _VIOLENT_AR.search(fold_with_offsets(sentence)[0]) is not None
    return _VIOLENT.search(sentence) is not None


_TARGETS = {"CIVILIANS", "UN", "SARC"}  # victims or aid bodies: targets, never actor 1 / actor 2


def _roles(
    mentions: list[ActorMention], trigger_at: int, limit: int = 2
) -> list[tuple[str | None, str, str]]:
    """ACLED actor 1 / actor 2: the (at most two) armed actors nearest the trigger, in text order;
    civilians and aid bodies as targets.  Mentions further away (guarantors named in passing,
    "the US-Russian truce") are left out rather than guessed into the event."""
    armed: dict[str, ActorMention] = {}
    targets: dict[str, ActorMention] = {}
    for m in mentions:
        assert m.actor_id is not None
        bucket = targets if m.actor_id in _TARGETS else armed
        bucket.setdefault(m.actor_id, m)
    nearest = sorted(armed.values(), key=lambda m: abs(m.start - trigger_at))[:limit]
    roles: list[tuple[str | None, str, str]] = [
        (m.actor_id, m.text, f"actor{n + 1}")
        for n, m in enumerate(sorted(nearest, key=lambda m: m.start))
    ]
    roles.extend((m.actor_id, m.text, "target") for m in targets.values())
    return roles


def _in(span_start: int, span_end: int, start: int, end: int) -> bool:
    return start <= span_start and span_end <= end


_GENERIC_SUB = {"Battles": "Armed clash", "Violence against civilians": "Attack"}


def retype_main(events: list[EventMention], main_type: str | None) -> list[EventMention]:
    """The events with the main event (and the lead's casualty-word mentions) of ``main_type``;
    unchanged when there is no such type, it is a strategic development, or it names an
    explosion the lexicon found no weapon for."""
    if main_type is None or main_type == "Strategic developments" or not events:
        return events
    main = next((i for i, e in enumerate(events) if e.event_type != "Strategic developments"), None)
    if main is None or events[main].event_type == main_type:
        return events
    sub = next((e.sub_event_type for e in events if e.event_type == main_type), None)
    sub = sub or _GENERIC_SUB.get(main_type)
    if sub is None:
        return events
    out = list(events)
    for i, event in enumerate(events):
        casualty_only = (
            event.event_type == "Violence against civilians"
            and _VIOLENT.fullmatch(event.trigger) is not None
            and event.start < LEAD_CHARS
        )
        if i == main or casualty_only:
            out[i] = replace(event, event_type=main_type, sub_event_type=sub)
    return out


def main_types(docs: list[Document], ctx: StageContext) -> dict[str, str]:
    """The model's main-event type per English document (the lead embeddings stay in the run's
    cache for the stories stage)."""
    english = [doc for doc in docs if doc.language != "ar"]
    if not english:
        return {}
    model = ctx.resource(MINILM_RESOURCE, load_minilm)
    typer = ctx.resource(EVENT_MODEL_RESOURCE, load_event_model)
    leads = [lead_text(doc) for doc in english]
    vectors = embed_cached(model, ctx.resource(LEAD_VECTORS_RESOURCE, dict), leads)
    return {
        doc.id: typer.predict(lead, vector)[0]
        for doc, lead, vector in zip(english, leads, vectors, strict=True)
    }


def _main(doc: Document, name: str) -> Any:
    value = doc.meta.get(name)
    return value


@stage(
    "ceasefire.events.v1",
    requires=("text", "sentences", "actors", "places", "dates"),
    assigns=("events",),
)
def extract_events(docs: list[Document], ctx: StageContext) -> list[Document]:
    """ACLED-typed events per sentence with actors, place, date and modality."""
    max_sentences = int(ctx.args.get("max_sentences", 12))
    typed = main_types(docs, ctx) if ctx.args.get("type_model", True) else {}
    out = []
    for doc in docs:
        main_place: PlaceMention | None = _main(doc, "main_place")
        main_date: DateMention | None = _main(doc, "main_date")
        events = []
        for start, end in doc.sentences[:max_sentences]:
            sentence = doc.text[start:end]
            found = classify_sentence(sentence, doc.language)
            if found is None:
                continue
            event_type, sub, trigger, offset = found
            in_sentence = [
                a for a in doc.actors
                if _in(a.start, a.end, start, end) and not a.is_reporting_source and not a.review and a.actor_id
            ]  # fmt: skip
            roles = _roles(in_sentence, start + offset)
            if sub == "TERRITORY":
                first = roles[0][0] if roles and roles[0][2] == "actor1" else None
                sub = (
                    "Government regains territory"
                    if first in _GOV
                    else "Non-state actor overtakes territory"
                )
            place = next(
                (
                    p
                    for p in doc.places
                    if _in(p.start, p.end, start, end) and not p.metonymy and p.precision < 6
                ),
                main_place,
            )
            same_area = (
                place is not None and main_place is not None and place.admin1 == main_place.admin1
            )
            if (
                same_area
                and place is not None
                and main_place is not None
                and place.precision > main_place.precision
            ):
                place = (
                    main_place  # "in Daraa province" after "in Inkhil": keep the more precise place
                )
            when = _sentence_date(doc, start, end) or main_date
            mode = modality(sentence, offset, doc.language)
            if event_type == "Strategic developments" and mode in {"happened", "hypothetical"}:
                mode = agreement_modality(sentence) or mode
            events.append(
                EventMention(
                    start=start, end=end, event_type=event_type, sub_event_type=sub, trigger=trigger,
                    modality=mode, actors=tuple(roles), place=place, date=when,
                    confidence=0.6 if _violent(sentence, doc.language) else 0.4,
                )
            )  # fmt: skip
        out.append(replace(doc, events=tuple(retype_main(events, typed.get(doc.id)))))
    return out
