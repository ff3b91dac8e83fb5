"""Actors and events in text (synthetic sentences written for these tests)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest

from ceasefire.agreements.loader import default_registry
from ceasefire.pipeline.actors import ActorMatcher, find_actors, resolve_actors
from ceasefire.pipeline.events import classify_sentence, modality
from ceasefire.pipeline.nlp import ENTITIES_RESOURCE, has_unknown_name, ner_sentences
from ceasefire.pipeline.records import Document
from ceasefire.pipeline.registry import StageContext
from tests.conftest import STORELESS, TZ

pytestmark = STORELESS


@pytest.fixture(scope="module")
def matcher() -> ActorMatcher:
    return ActorMatcher(default_registry())


def _doc(text: str, day: date = date(2016, 9, 14)) -> Document:
    return Document(
        "d", "test", datetime(day.year, day.month, day.day, 12, tzinfo=TZ), "day", text=text
    )


def test_names_resolve_at_the_document_date(matcher: ActorMatcher) -> None:
    text = "Fighters of al-Nusra Front attacked positions held by Ahrar al-Sham."
    found = find_actors(matcher, _doc(text), [], 90, 75)
    assert [(m.text, m.actor_id) for m in found] == [
        ("al-Nusra Front", "JFS"),
        ("Ahrar al-Sham", "AHRAR"),
    ]
    assert found[0].method == "lineage"
    later = find_actors(matcher, _doc(text, date(2017, 6, 1)), [], 90, 75)
    assert later[0].actor_id == "HTS"
    assert text[found[0].start : found[0].end] == "al-Nusra Front"


def test_short_capitals_need_capitals(matcher: ActorMatcher) -> None:
    found = find_actors(
        matcher, _doc("The attack is said to be IS work; it is unclear."), [], 90, 75
    )
    assert [(m.text, m.actor_id) for m in found] == [("IS", "ISIS")]


def test_reporting_sources_are_not_actors(matcher: ActorMatcher) -> None:
    text = ("Government forces shelled the town, the Syrian Observatory for Human Rights said. "
            "According to SANA, rebels fired mortars. Russia said the rebels broke the truce.")  # fmt: skip
    found = find_actors(matcher, _doc(text), [], 90, 75)
    sources = {m.text for m in found if m.is_reporting_source}
    assert sources == {"Syrian Observatory for Human Rights", "SANA", "Russia"}
    actors = [m.actor_id for m in found if not m.is_reporting_source]
    # "Russia said the rebels broke the truce": the rebels are the subject, not a speaker
    assert actors == ["SAA", "SYR_INSURGENTS", "SYR_INSURGENTS"]


def test_fuzzy_matches_are_gated(matcher: ActorMatcher) -> None:
    text = "Members of the Nour el-Din Zinkey Movment and of the Shaam Legion Corps were seen."
    a = text.index("Nour")
    b = text.index("Shaam")
    ents = [(a, a + len("Nour el-Din Zinkey Movment"), "ORG", "Nour el-Din Zinkey Movment"),
            (b, b + len("Shaam Legion Corps"), "ORG", "Shaam Legion Corps"),
            (0, 7, "NORP", "Members")]  # fmt: skip
    found = {m.text: m for m in find_actors(matcher, _doc(text), ents, 90, 75)}
    accepted = found["Nour el-Din Zinkey Movment"]
    assert accepted.actor_id == "ZENKI"
    assert not accepted.review
    assert accepted.method == "fuzzy"
    # a middling score (about 76) is queued for an analyst, never accepted silently
    queued = found["Shaam Legion Corps"]
    assert queued.review
    assert queued.actor_id == "FAYLAQ"
    assert 0.75 <= queued.confidence < 0.9
    assert "Members" not in found  # one word is never matched fuzzily


@pytest.mark.parametrize(
    ("sentence", "known", "places", "expected"),
    [
        ("Fighters of the Army of Conquest shelled the town.", [], [], True),
        ("The army shelled Aleppo on Monday, the monitor said.", [], [], False),
        ("Published Monday July 4 by the monitor.", [], [], False),  # calendar words
        ("Gunmen of Jaish al-Islam fired on the road.", [(10, 24)], [], False),  # curated name
        ("Shelling hit Deir Ezzor overnight.", [], [(13, 23)], False),  # a place alone
        ("Ali Haidar visited the town.", [], [(4, 10)], True),  # a place inside a name
    ],
)  # fmt: skip
def test_ner_reads_sentences_with_an_unresolved_name(
    sentence: str, known: list[tuple[int, int]], places: list[tuple[int, int]], expected: bool
) -> None:
    assert has_unknown_name(sentence, 0, len(sentence), known, places) is expected


def test_the_stage_runs_ner_only_where_a_fuzzy_match_can_come_from(matcher: ActorMatcher) -> None:
    first = "Rebels shelled the town on Monday, the monitor said."
    second = "Members of the Nour el-Din Zinkey Movment were seen near the road."
    text = f"{first} {second}"
    doc = replace(_doc(text), sentences=((0, len(first)), (len(first) + 1, len(text))))
    assert ner_sentences(doc, 2500, [], []) == [doc.sentences[1]]
    ctx = StageContext(resources={"actors.matcher": matcher}, args={"ner_chars": 2500})
    (done,) = resolve_actors([doc], ctx)
    fuzzy = [m for m in done.actors if m.method == "fuzzy"]
    assert [(m.text, m.actor_id) for m in fuzzy] == [("the Nour el-Din Zinkey Movment", "ZENKI")]
    # the entities were found in the second sentence only, with offsets into the whole text
    _, spans, entities = ctx.resources[ENTITIES_RESOURCE][doc.id]
    assert spans == (doc.sentences[1],)
    assert all(text[s:e] == surface and s > len(first) for s, e, _, surface in entities)


@pytest.mark.parametrize(
    ("sentence", "event_type", "sub", "mood"),
    [
        ("Warplanes struck the market, killing nine people.", "Explosions/Remote violence", "Air/drone strike", "happened"),
        ("Mortar shells landed on the old city.", "Explosions/Remote violence", "Shelling/artillery/missile attack", "happened"),
        ("A car bomb exploded near the checkpoint.", "Explosions/Remote violence", "Remote explosive/landmine/IED", "happened"),
        ("Rebels and troops clashed on the southern front.", "Battles", "Armed clash", "happened"),
        ("The army denied it had shelled the camp.", "Explosions/Remote violence", "Shelling/artillery/missile attack", "denied"),
        ("The coalition will carry out air strikes next week.", "Explosions/Remote violence", "Air/drone strike", "planned"),
        ("If the truce fails, warplanes could return.", "Explosions/Remote violence", "Air/drone strike", "hypothetical"),
        ("Gunmen kidnapped two aid workers.", "Violence against civilians", "Abduction/forced disappearance", "happened"),
        ("The two sides signed a truce in Geneva.", "Strategic developments", "Agreement", "happened"),
    ],
)  # fmt: skip
def test_sentence_types_and_modality(sentence: str, event_type: str, sub: str, mood: str) -> None:
    found = classify_sentence(sentence)
    assert found is not None
    assert found[:2] == (event_type, sub)
    assert modality(sentence, found[3]) == mood


def test_no_event_in_a_quiet_sentence() -> None:
    assert classify_sentence("The envoy arrived in the capital on Tuesday.") is None
