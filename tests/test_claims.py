"""Claims: counts with qualifiers, the claims table, conflicts between sources, story briefs.

Every sentence here is invented for the test; the FA-KES articles are only read at run time.
"""

from __future__ import annotations

import csv
import gzip
import re
from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ceasefire.pipeline.claims import (
    QUALIFIERS,
    claims_table,
    extract_claims,
    extract_claims_stage,
    find_conflicts,
    interval,
    parse_number_words,
    story_briefs,
)
from ceasefire.pipeline.dates import find_dates, main_date
from ceasefire.pipeline.records import ClaimMention, Document, PlaceMention
from ceasefire.pipeline.registry import StageContext
from tests.conftest import SHARED, STORELESS

pytestmark = STORELESS

DAMASCUS = ZoneInfo("Asia/Damascus")
FA_KES = SHARED / "news" / "fa_kes_syrian_war_news.csv.gz"
_NUMBER_WORDS = re.compile(r"^an?\s|\d|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|teen|ty\b|dozen|hundred",
                           re.IGNORECASE)  # fmt: skip


def _sentences(text: str) -> tuple[tuple[int, int], ...]:
    """A small splitter for the invented texts: ends at . ! ? followed by a space or the end."""
    return tuple((m.start(), m.end()) for m in re.finditer(r"\S.*?(?:[.!?](?=\s|$)|$)", text))


def make_doc(text: str, doc_id: str = "d1", group: str = "", story: str = "s1",
             published: datetime | None = datetime(2016, 9, 20, 10, 0, tzinfo=DAMASCUS)) -> Document:  # fmt: skip
    doc = Document(id=doc_id, source="test", published=published, published_precision="exact", text=text,
                   sentences=_sentences(text), syndication_group=group, story=story)  # fmt: skip
    return replace(doc, claims=extract_claims(doc))


def only(text: str) -> ClaimMention:
    claims = make_doc(text).claims
    assert len(claims) == 1, claims
    return claims[0]


# ---------------------------------------------------------------------------------------------
# extraction

EXTRACTED = [
    # (sentence, quantity, value, qualifier, scope)
    ("At least 40 people were killed in air strikes on Aleppo, the Syrian Observatory said.", "killed", 40, "at_least", "incident"),
    ("An estimated 60 died when the shelter collapsed.", "killed", 60, "estimated", "incident"),
    ("More than 300,000 people have been killed since 2011.", "killed", 300_000, "more_than", "conflict"),
    ("The war has killed more than 300,000 people in five years.", "killed", 300_000, "more_than", "conflict"),
    ("Roughly 250,000 have died since the start of the conflict.", "killed", 250_000, "about", "conflict"),
    ("twelve civilians were wounded by mortar fire.", "wounded", 12, "exact", "incident"),
    ("Shelling killed 1,200 people in the siege, a doctor said.", "killed", 1200, "exact", "incident"),
    ("A dozen fighters were captured and a dozen were killed near the base.", "killed", 12, "about", "incident"),
    ("Nearly 5,000 residents have fled the eastern districts.", "displaced", 5000, "about", "incident"),
    ("As many as 70 people were detained at the checkpoint.", "detained", 70, "as_many_as", "incident"),
    ("Security forces arrested up to 15 men in the raid.", "detained", 15, "as_many_as", "incident"),
    ("Over 30 shops were burned and over 20 people were injured.", "wounded", 20, "more_than", "incident"),
    ("Monitors logged no fewer than 18 violations since the truce began.", "violations", 18, "at_least", "period"),
    ("A convoy of 31 aid trucks crossed at dawn.", "trucks", 31, "exact", "incident"),
    ("The death toll rose to 62 on Tuesday.", "killed", 62, "exact", "incident"),
    ("Some twenty-five civilians lost their lives in the blast.", "killed", 25, "about", "incident"),
    ("Two hundred and fifty people were displaced by the flooding of the camp.", "displaced", 250, "exact", "incident"),
    ("Between 40 and 50 people were killed in the ambush.", "killed", 50, "as_many_as", "incident"),
    ("The bombardment has killed 90 people over the past week.", "killed", 90, "exact", "period"),
    # one person named with "a": a count of one (the age is no count)
    ("A 12-year-old boy was wounded in the shelling.", "wounded", 1, "exact", "incident"),
    ("Two gunmen killed a guard at the gate.", "killed", 1, "exact", "incident"),  # not the gunmen
    # a verb pair whose first verb is the killing
    ("Gunmen killed and crucified five men in the town square.", "killed", 5, "exact", "incident"),
    ("The militants executed and beheaded 11 soldiers they had captured.", "killed", 11, "exact", "incident"),
    ("The council condemned the death of 35 civilians in the barrel bomb attacks.", "killed", 35, "exact", "incident"),
]  # fmt: skip


@pytest.mark.parametrize(("sentence", "quantity", "value", "qualifier", "scope"), EXTRACTED)
def test_extracts_count_qualifier_and_scope(sentence: str, quantity: str, value: int, qualifier: str,
                                            scope: str) -> None:  # fmt: skip
    claim = only(sentence)
    assert (claim.quantity, claim.value, claim.qualifier, claim.scope) == (
        quantity,
        value,
        qualifier,
        scope,
    )


NOT_CLAIMS = [
    "The 12-year-old boy was wounded in the shelling.",
    "The boy, aged 12, was wounded in the shelling.",
    "UN resolution 2254 calls for a ceasefire.",
    "In 2016 four convoys were delayed.",
    "The truce began at 19:00 on 12 September.",
    "Food prices rose 40 percent in the besieged town.",
    "Donors pledged $12 million for the wounded.",
    "Dozens were killed and hundreds were wounded.",
    "It was the third attack on the hospital this month.",
    "No one was hurt in the second strike.",
    "The 40-member team arrived in the city.",
    "Five rockets hit the market.",
    "Twenty people gathered at the well when the shells fell.",
    "The shelling killed and injured 30 people in the market.",
]


@pytest.mark.parametrize("sentence", NOT_CLAIMS)
def test_ignores_years_dates_ages_money_and_weapons(sentence: str) -> None:
    assert make_doc(sentence).claims == ()


@pytest.mark.parametrize(
    "sentence",
    ["The strikes killed 40 people, including 12 children.",
     "The strikes killed 40 people; nine women and 12 children were among the dead."],
)  # fmt: skip
def test_parts_of_a_toll_are_not_claims(sentence: str) -> None:
    assert [c.value for c in make_doc(sentence).claims] == [40]


# Our own sentences; the totals were checked by hand.
COMPOUND = [
    # (sentence, quantity, parts (value, qualifier), total, total qualifier, total's text)
    ("30 soldiers and 39 rebels were killed in the fighting near the airbase.", "killed",
     [(30, "exact"), (39, "exact")], 69, "exact", "30 soldiers and 39 rebels"),
    ("The shelling wounded 8 children, 11 women and four medics on Friday.", "wounded",
     [(8, "exact"), (11, "exact"), (4, "exact")], 23, "exact", "8 children, 11 women and four medics"),
    ("At least 12 civilians and 3 rescue workers were killed in the second strike.", "killed",
     [(12, "at_least"), (3, "exact")], 15, "at_least", "At least 12 civilians and 3 rescue workers"),
    ("About 20 government soldiers and at least 15 rebels were wounded.", "wounded",
     [(20, "about"), (15, "at_least")], 35, "about", "About 20 government soldiers and at least 15 rebels"),
    # a modifier between a part's noun and "and"
    ("Air strikes killed 14 jihadists from the IS group and five civilians near the dam.", "killed",
     [(14, "exact"), (5, "exact")], 19, "exact", "14 jihadists from the IS group and five civilians"),
    ("Twenty fighters loyal to the government and six civilians were killed in the assault.", "killed",
     [(20, "exact"), (6, "exact")], 26, "exact", "Twenty fighters loyal to the government and six civilians"),
    # a headline that runs its parts together
    ("12 Soldiers 7 Militants Dead in Clashes Near Hama Airport", "killed",
     [(12, "exact"), (7, "exact")], 19, "exact", "12 Soldiers 7 Militants"),
]  # fmt: skip


@pytest.mark.parametrize(("sentence", "quantity", "parts", "total", "qualifier", "span"), COMPOUND)
def test_coordinated_counts_are_summed_and_kept(sentence: str, quantity: str,
                                                parts: list[tuple[int, str]], total: int,
                                                qualifier: str, span: str) -> None:  # fmt: skip
    claims = make_doc(sentence).claims
    derived = [c for c in claims if c.parts]
    stated = [c for c in claims if not c.parts]
    assert [(c.value, c.qualifier) for c in stated] == parts
    assert {c.quantity for c in claims} == {quantity}
    assert len(derived) == 1
    (summed,) = derived
    assert (summed.value, summed.qualifier, summed.text) == (total, qualifier, span)
    assert sentence[summed.start : summed.end] == span
    # the total cites the span of every part, and each part is a claim of its own
    assert summed.parts == tuple((c.start, c.end) for c in stated)
    assert sum(c.value for c in stated) == total


@pytest.mark.parametrize(
    "sentence",
    ["Four people were killed and 12 wounded in the raid.",
     "30 soldiers were killed and 39 rebels were wounded.",
     "The strikes killed 40 people, including 12 children and 3 women.",
     "In 2015 and 2016 soldiers were killed at the crossing.",
     # prose never runs its parts together: a lower-case noun is no headline's list
     "The strikes killed 12 civilians 8 children among them near the camp.",
     # after a modifier a one-person phrase is no part ("a doctor" says)
     "The raid killed 12 people in the old city and a doctor said more had died.",
     "Shelling killed 1,200 people in the siege, a doctor said."],
)  # fmt: skip
def test_counts_not_joined_as_one_quantity_are_not_summed(sentence: str) -> None:
    assert not any(c.parts for c in make_doc(sentence).claims)


def test_a_headline_list_sums_the_killed_and_keeps_the_injured_apart() -> None:
    claims = make_doc("40 Civilians 25 YPG Fighters Killed 110 Injured in Twin Blasts").claims
    assert [(c.quantity, c.value, bool(c.parts)) for c in claims] == [
        ("killed", 40, False), ("killed", 65, True), ("killed", 25, False), ("wounded", 110, False)
    ]  # fmt: skip


def test_a_summed_total_is_the_toll_and_lists_its_parts_in_the_table() -> None:
    a = make_doc(
        "30 soldiers and 39 rebels were killed in the clashes in Douma on Monday.", "a", "g1"
    )
    b = make_doc("69 people were killed in the clashes in Douma on Monday.", "b", "g2")
    c = make_doc("At least 90 people were killed in the clashes in Douma on Monday.", "c", "g3")
    assert find_conflicts([a, b]) == []  # 69 = 30 + 39: no conflict with the parts
    conflict = find_conflicts([a, b, c])
    assert [x["values"] for x in conflict] == [[69, 90]]
    table = {entry["id"]: entry for entry in claims_table([a, b])}
    total = table["s1/killed/incident/exact/69"]
    assert total["documents"] == ["a", "b"]
    spans = {span["document"]: span for span in total["spans"]}
    assert spans["a"]["parts"] == [[0, 2], [16, 18]]
    assert "parts" not in spans["b"]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("At least 40 people were killed in air strikes on Aleppo, the Syrian Observatory said.", "Syrian Observatory"),
        ("According to the UN envoy, 400 people were killed in the city.", "UN envoy"),
        ("Nine people died in the raid, said SOHR.", "Syrian Observatory"),
        ("The health ministry said 14 people were wounded.", "health ministry"),
        ("Activists said 7 protesters were detained.", "activists"),
        ("Eleven people were killed in the strike.", ""),
    ],
)  # fmt: skip
def test_attribution_is_a_short_normalised_source(sentence: str, expected: str) -> None:
    attribution = only(sentence).attribution
    assert expected in attribution if expected else attribution == ""


def test_a_pronoun_takes_the_previous_named_source() -> None:
    doc = make_doc(
        "The Syrian Observatory for Human Rights reported heavy fighting. It said 23 fighters were killed."
    )
    assert doc.claims[0].attribution == "Syrian Observatory for Human Rights"


def test_offsets_point_at_the_number_phrase_and_as_of_is_the_publication_date() -> None:
    text = "Fighting resumed at dawn. Rescuers said at least 1,250 people were displaced and 17 were hurt."
    doc = make_doc(text)
    assert [(c.quantity, c.value) for c in doc.claims] == [("displaced", 1250), ("wounded", 17)]
    for claim in doc.claims:
        assert doc.text[claim.start : claim.end] == claim.text
        assert re.search(r"\d", claim.text)
        assert claim.as_of == date(2016, 9, 20)
    assert doc.claims[0].text == "at least 1,250"


def test_a_document_without_sentences_or_date_still_gets_claims() -> None:
    doc = Document(id="x", source="t", published=None, published_precision="day",
                   text="Three civilians were killed on the road.")  # fmt: skip
    [claim] = extract_claims(doc)
    assert (claim.value, claim.as_of, claim.scope) == (3, None, "incident")


def test_the_stage_assigns_claims_and_keeps_the_rest() -> None:
    doc = make_doc("Four people were injured by sniper fire.")
    bare = replace(doc, claims=())
    [out] = extract_claims_stage([bare], StageContext())
    assert out.claims == doc.claims
    assert out.text == doc.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [("twenty-five people", (25, 11)), ("a dozen", (12, 7)), ("two hundred and five", (205, 20)),
     ("three thousand", (3000, 14)), ("dozens", None), ("the", None)],
)  # fmt: skip
def test_number_words(text: str, expected: tuple[int, int] | None) -> None:
    assert parse_number_words(text) == expected


def test_extraction_on_real_articles_keeps_its_invariants() -> None:
    with gzip.open(FA_KES, "rt", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))[:150]
    total = 0
    for row in rows:
        month, day, year = (int(x) for x in row["date"].split("/"))
        text = row["article_content"]
        doc = make_doc(
            text, row["unit_id"], published=datetime(year, month, day, 12, tzinfo=DAMASCUS)
        )
        assert doc.claims == extract_claims(doc)  # deterministic
        for claim in doc.claims:
            total += 1
            assert text[claim.start : claim.end] == claim.text
            assert _NUMBER_WORDS.search(claim.text), claim.text
            assert claim.value > 0
            assert claim.qualifier in QUALIFIERS
            assert claim.scope in ("incident", "period", "conflict")
            assert not (
                1900 <= claim.value <= 2099 and claim.text.isdigit() and len(claim.text) == 4
            )
    assert total > 100


# ---------------------------------------------------------------------------------------------
# table and conflicts

WIRE = "At least 40 people were killed in air strikes on a market in Douma on Monday, the Syrian Observatory said."


def test_wire_copies_count_once_and_compatible_counts_do_not_conflict() -> None:
    docs = [
        make_doc(WIRE, "a", group="g1"),
        make_doc(WIRE, "b", group="g1"),
        make_doc(
            "Air strikes on a market in Douma killed 62 people on Monday, rescuers said.", "c"
        ),
    ]
    table = claims_table(docs)
    forty = next(e for e in table if e["value"] == 40)
    assert forty["documents"] == ["a", "b"]
    assert forty["independent_sources"] == 1
    assert forty["qualifier"] == "at_least"
    assert forty["scope"] == "incident"
    assert [s["document"] for s in forty["spans"]] == ["a", "b"]
    for span in forty["spans"]:
        doc = next(d for d in docs if d.id == span["document"])
        assert "40" in doc.text[span["start"] : span["end"]]
    assert find_conflicts(docs) == []  # "at least 40" allows 62


def test_incompatible_counts_from_independent_sources_conflict() -> None:
    docs = [
        make_doc(WIRE, "a", group="g1"),
        make_doc(WIRE, "b", group="g1"),
        make_doc("Only 12 people were killed in the Douma market strike, state media said.", "c"),
    ]
    [conflict] = find_conflicts(docs)
    assert conflict["quantity"] == "killed"
    assert conflict["story"] == "s1"
    assert conflict["values"] == [12, 40]
    ids = {e["id"] for e in claims_table(docs)}
    assert set(conflict["claims"]) <= ids
    assert len(conflict["claims"]) == 2


def test_copies_of_one_wire_never_conflict_and_stories_are_separate() -> None:
    same_wire = [make_doc(WIRE, "a", group="g1"),
                 make_doc("Only 12 people were killed in Douma.", "b", group="g1")]  # fmt: skip
    assert find_conflicts(same_wire) == []
    other_story = [
        make_doc(WIRE, "a"),
        make_doc("Only 12 people were killed in Douma.", "b", story="s2"),
    ]
    assert find_conflicts(other_story) == []
    no_story = [
        make_doc(WIRE, "a", story=""),
        make_doc("Only 12 people were killed.", "b", story=""),
    ]
    assert find_conflicts(no_story) == []


def _place(doc: Document, name: str, admin1: str) -> Document:
    at = doc.text.index(name)
    place = PlaceMention(
        at, at + len(name), name, name, 0.0, 0.0, 3, admin1, "SY00", "populated_place"
    )
    return replace(doc, places=(place,))


def test_counts_about_other_places_or_days_are_not_compared() -> None:
    forty = make_doc("At least 40 people were killed in Douma, activists said.", "a")
    twelve = make_doc("Only 12 people were killed in Idlib, state media said.", "b")
    assert find_conflicts([forty, twelve])  # nothing says they differ
    assert (
        find_conflicts([_place(forty, "Douma", "Rural Damascus"), _place(twelve, "Idlib", "Idlib")])
        == []
    )
    later = replace(twelve, published=datetime(2016, 9, 25, 10, 0, tzinfo=DAMASCUS))
    assert find_conflicts([forty, replace(later, claims=extract_claims(later))]) == []


def _places(doc: Document, *named: tuple[str, str]) -> Document:
    """``doc`` with gazetteer places at the first mention of each (name, governorate)."""
    found = []
    for name, admin1 in named:
        at = doc.text.index(name)
        found.append(PlaceMention(at, at + len(name), name, name, 0.0, 0.0, 3, admin1, "SY00",
                                  "populated_place"))  # fmt: skip
    return replace(doc, places=tuple(found))


def _dated(doc: Document) -> Document:
    dated = replace(doc, dates=tuple(find_dates(doc)))
    return replace(dated, meta={**doc.meta, "main_date": main_date(dated)})


@pytest.mark.parametrize(
    "background",
    [
        "Last week a bomb at a crossing in Idlib killed 55 fighters.",  # another governorate
        "Jets also struck Douma on 2 September, killing 55 people.",  # another day
    ],
)
def test_a_background_count_elsewhere_is_not_the_documents_toll(background: str) -> None:
    """A wire's lead toll is its toll even when a later sentence gives a larger count of an
    earlier attack elsewhere: the lead's "at least 40" and the independent "only 12" conflict."""
    wire = make_doc(
        WIRE + " Rescuers searched the rubble. The market was crowded. " + background,
        "a",
        group="g1",
    )
    wire = _dated(_places(wire, ("Douma", "Rural Damascus"), *(
        [("Idlib", "Idlib")] if "Idlib" in background else [])))  # fmt: skip
    other = _dated(_places(make_doc("Only 12 people were killed in the Douma market strike on "
                                    "Monday, state media said.", "c"), ("Douma", "Rural Damascus")))  # fmt: skip
    assert any(c.value == 55 for c in wire.claims)  # the background count is a claim …
    [conflict] = find_conflicts([wire, other])
    assert conflict["values"] == [12, 40]  # … but not the wire's toll


def test_a_dateline_or_a_lone_count_elsewhere_still_gives_the_toll() -> None:
    """The day an article is stamped with is not the event's day; and a document whose every
    count is placed elsewhere still gives its largest (nothing better is stated), which meets
    other reports of that incident."""
    stamped = _dated(_places(make_doc("AFP Tuesday 20 Sep 2016 At least 40 people were killed in "
                                      "air strikes on a market in Douma, the Syrian Observatory "
                                      "said. Eight children were killed in the strikes on Monday "
                                      "evening.", "a"), ("Douma", "Rural Damascus")))  # fmt: skip
    assert stamped.meta["main_date"].first == date(2016, 9, 19)  # Monday, not the stamp
    other = _dated(_places(make_doc("Only 12 people were killed in the Douma market strike on "
                                    "Monday, state media said.", "c"), ("Douma", "Rural Damascus")))  # fmt: skip
    assert find_conflicts([stamped, other])[0]["values"] == [12, 40]
    lone = _dated(_places(make_doc("Jets pounded Douma on Monday, residents said. Rescuers searched "
                                   "the rubble. Shops were shut. In Idlib on 2 September a car bomb "
                                   "killed 55 people.", "b"), ("Douma", "Rural Damascus"),
                          ("Idlib", "Idlib")))  # fmt: skip
    idlib = _dated(_places(make_doc("Only 12 people died in the Idlib car bomb on 2 September, "
                                    "state media said.", "d"), ("Idlib", "Idlib")))  # fmt: skip
    assert find_conflicts([lone, idlib])[0]["values"] == [12, 55]


def test_conflict_scope_counts_are_not_compared_with_incidents() -> None:
    docs = [
        make_doc(WIRE, "a"),
        make_doc("More than 300,000 people have been killed since 2011.", "b"),
    ]
    assert find_conflicts(docs) == []


@pytest.mark.parametrize(
    ("a", "b", "disjoint"),
    [(("at_least", 40), ("exact", 62), False), (("exact", 12), ("at_least", 40), True),
     (("more_than", 50), ("exact", 50), True), (("about", 100), ("exact", 109), False),
     (("about", 100), ("exact", 120), True), (("as_many_as", 30), ("at_least", 30), False),
     (("estimated", 60), ("more_than", 70), True)],
)  # fmt: skip
def test_qualifier_intervals(a: tuple[str, int], b: tuple[str, int], disjoint: bool) -> None:
    docs = [make_doc("placeholder", "x"), make_doc("placeholder", "y")]
    claims = [ClaimMention(0, 1, "n", "killed", v, q, "incident", "", None) for q, v in (a, b)]
    docs = [replace(d, claims=(c,)) for d, c in zip(docs, claims, strict=True)]
    assert bool(find_conflicts(docs)) is disjoint
    low, _, high, _ = interval(a[1], a[0])
    assert low <= a[1] <= high


# ---------------------------------------------------------------------------------------------
# briefs

STORY = [
    ("a", "g1", WIRE + " Rescue workers searched the rubble through the night. The strikes came a week after the truce collapsed."),
    ("b", "g1", WIRE + " Rescue workers searched the rubble through the night. The strikes came one week after the truce collapsed."),
    ("c", "", "Only 12 people were killed in the Douma market strike, state media said. The government denied targeting civilians. Residents described panic as the jets returned."),
]  # fmt: skip


def test_brief_lists_every_source_and_states_the_conflict_from_extracted_values() -> None:
    docs = [make_doc(text, i, group=g) for i, g, text in STORY]
    brief = story_briefs(docs, max_sentences=4)
    assert list(brief) == ["s1"]
    sentences = brief["s1"]
    assert 0 < len(sentences) <= 4
    assert all(s["sources"] for s in sentences)
    wire = next(s for s in sentences if s["text"].startswith("At least 40"))
    assert wire["sources"] == ["a", "b"]
    stated = sentences[-1]
    assert stated["generated"] is True
    assert stated["sources"] == ["a", "b", "c"]
    assert "at least 40" in stated["text"]
    assert "12" in stated["text"]
    assert set(re.findall(r"\d+", stated["text"])) <= {"12", "40"}  # no other numbers
    assert story_briefs(docs, max_sentences=4) == brief  # deterministic


def test_brief_respects_the_budget_and_has_no_conflict_sentence_without_conflict() -> None:
    docs = [make_doc(text, i, group=g) for i, g, text in STORY[:2]]
    sentences = story_briefs(docs, max_sentences=2)["s1"]
    assert len(sentences) == 2
    assert not any(s["generated"] for s in sentences)
    assert sentences[0]["text"].startswith("At least 40")  # carries a claim


@pytest.mark.slow
def test_brief_with_the_minilm_model() -> None:
    from ceasefire.pipeline.embeddings import load_minilm

    docs = [make_doc(text, i, group=g) for i, g, text in STORY]
    model = load_minilm()
    brief = story_briefs(docs, max_sentences=3, model=model)["s1"]
    assert len(brief) == 3
    assert brief[-1]["generated"] is True
    texts = [s["text"] for s in brief]
    assert len(set(texts)) == len(texts)
    assert story_briefs(docs, max_sentences=3, model=model)["s1"] == brief


# ---------------------------------------------------------------------------------------------
# two sources' figures in one sentence


def test_each_clause_of_a_contrast_keeps_its_own_source() -> None:
    doc = make_doc("The Observatory said 20 people were killed, while rescuers put the toll at 30.")
    assert [(c.value, c.attribution) for c in doc.claims] == [
        (20, "Syrian Observatory for Human Rights"),
        (30, "rescuers"),
    ]


def test_two_sources_side_by_side_in_one_article_conflict() -> None:
    doc = make_doc(
        "Government sources said 20 died, while opposition activists said 45 were killed."
    )
    conflicts = find_conflicts([doc])
    assert [c["values"] for c in conflicts] == [[20, 45]]
    assert [s["attribution"] for s in conflicts[0]["sources"]] == [
        "government sources",
        "opposition activists",
    ]


def test_a_lower_bound_beside_a_larger_figure_is_no_conflict() -> None:
    doc = make_doc(
        "The strike killed at least 20 civilians, the Observatory said, while the civil defence "
        "put the toll at 30."
    )
    assert [c.attribution for c in doc.claims] == [
        "Syrian Observatory for Human Rights",
        "civil defence",
    ]
    assert find_conflicts([doc]) == []


def test_parts_from_different_sentences_of_one_article_are_no_conflict() -> None:
    doc = make_doc(
        "Air strikes killed 18 people, a monitor said. Eleven were killed in one district and "
        "seven in another, the Observatory said."
    )
    assert find_conflicts([doc]) == []


# ---------------------------------------------------------------------------------------------
# phenomena of issue 14 (stated fatalities on held-out articles); sentences written for the test

PHENOMENA = [
    # (sentence, [(text, quantity, value, qualifier, scope)] of every claim, in order)
    # a headline list without commas: each count takes its own participle
    ("4 civilians killed 31 others injured in mortar fire on the old city.",
     [("4", "killed", 4, "exact", "incident"), ("31", "wounded", 31, "exact", "incident")]),
    # one count of the killed and the hurt together is neither quantity
    ("Shelling Goes On: 57 Killed & Injured in the Eastern Quarter.", []),
    ("Some 40 people were killed or wounded when the depot exploded.", []),
    ("The raids killed and injured 26 people in the camp.", []),
    # one person named with "a", alone or joined to others by "and"
    ("A shepherd and a boy were killed by a landmine near the village.",
     [("A shepherd", "killed", 1, "exact", "incident"),
      ("A shepherd and a boy", "killed", 2, "exact", "incident"),
      ("a boy", "killed", 1, "exact", "incident")]),
    ("Sniper fire killed an elderly woman in the market on Friday.",
     [("an elderly woman", "killed", 1, "exact", "incident")]),
    ("A fighter shot two guards at the gate before fleeing.", []),  # the shooter is no count
    ("A witness said the convoy was hit twice.", []),
    # "martyrs" counts the dead
    ("Crowds carried 17 martyrs to the cemetery on Sunday.",
     [("17", "killed", 17, "exact", "incident")]),
    # a stated number of days of strikes makes a period count; days of fighting alone do not
    ("Ten days of bombardment across the valley have left more than 90 civilians dead.",
     [("more than 90", "killed", 90, "more_than", "period")]),
    ("Militants took the hill after days of fighting that cost more than 200 lives.",
     [("more than 200", "killed", 200, "more_than", "incident")]),
    # the toll raised from a long description to its new value
    ("Rescuers raised the death toll from the pair of car bombs outside the bus station in the "
     "southern city late on Tuesday to 48.", [("48", "killed", 48, "exact", "incident")]),
    # ... but a long description ending in "of" is no toll reach
    ("The toll from the fighting in the farmland around the city is unknown in a district of "
     "400000 people.", []),
    # a singular noun before a plural one is a modifier: the total spans "rebel fighters"
    ("Monitors said 20 army soldiers and 25 rebel fighters had been killed.",
     [("20", "killed", 20, "exact", "incident"),
      ("20 army soldiers and 25 rebel fighters", "killed", 45, "exact", "incident"),
      ("25", "killed", 25, "exact", "incident")]),
    # teachers and other person nouns in a summed count
    ("The strike on the school killed 9 pupils and two teachers.",
     [("9", "killed", 9, "exact", "incident"),
      ("9 pupils and two teachers", "killed", 11, "exact", "incident"),
      ("two", "killed", 2, "exact", "incident")]),
]  # fmt: skip


@pytest.mark.parametrize(("sentence", "expected"), PHENOMENA)
def test_stated_fatality_phenomena(
    sentence: str, expected: list[tuple[str, str, int, str, str]]
) -> None:
    claims = make_doc(sentence).claims
    assert [(c.text, c.quantity, c.value, c.qualifier, c.scope) for c in claims] == expected


def test_a_report_two_days_after_the_wire_still_conflicts_with_it() -> None:
    """An outlet reporting on Saturday a Thursday attack that the wire gave on Thursday states the
    same incident's toll: disjoint values are a conflict (written for this test)."""
    thursday = datetime(2017, 3, 16, 8, 0, tzinfo=DAMASCUS)
    docs = [
        make_doc("At least 40 people were killed in air strikes on a market in Douma on Thursday, "
                 "the Syrian Observatory said.", "wire", published=thursday),
        make_doc("Only 12 people died in the air strikes on the Douma market on Thursday, state "
                 "media said.", "weekly", published=thursday + timedelta(days=2, hours=12)),
    ]  # fmt: skip
    [conflict] = find_conflicts(docs)
    assert conflict["values"] == [12, 40]
    far = [docs[0], make_doc("Only 12 people died in the air strikes on the Douma market, state "
                             "media said.", "late", published=thursday + timedelta(days=9))]  # fmt: skip
    assert find_conflicts(far) == []  # a week later: not the same report cycle
