"""Arabic articles through the news pipeline: folding, dates, counts, places, actors, events.

The acceptance set ``tests/data/arabic_news.jsonl`` holds 30 short news-style texts written for
this test and annotated by hand (governorate P-code, event day, stated killed toll or null);
20 are the development split, 10 (``held_out``) were written after the rules were frozen.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ceasefire.geo.gazetteer import Gazetteer
from ceasefire.model.arabic import detect_language, fold, fold_with_offsets, stems
from ceasefire.pipeline import arabic
from ceasefire.pipeline.dates import resolve_dates
from ceasefire.pipeline.events import classify_sentence
from tests.conftest import STORELESS

pytestmark = STORELESS

DATA = Path(__file__).parent / "data" / "arabic_news.jsonl"
TZ = ZoneInfo("Asia/Damascus")


def test_fold_alef_hamza_ta_marbuta_maqsura_tatweel_and_harakat() -> None:
    assert fold("أإآٱ") == "اااا"
    assert fold("مؤتمر رئيس") == "موتمر رييس"
    assert fold("السويداء") == "السويدا"
    assert fold("مدرسة") == "مدرسه"
    assert fold("مستشفى") == "مستشفي"
    assert fold("قـــصف") == "قصف"
    assert fold("قُتِلَ مَدَنِيًّا") == "قتل مدنيا"


def test_eastern_and_persian_digits_become_ascii() -> None:
    assert fold("١٤/٩/٢٠١٦") == "14/9/2016"
    assert fold("۱۲ قتيلا") == "12 قتيلا"


def test_folded_spans_map_back_to_the_original() -> None:
    text = "قُتِلَ ١٢ مدنياً"
    folded, origin = fold_with_offsets(text)
    start = folded.index("12")
    assert text[origin[start] : origin[start + 2]] == "١٢"


def test_clitic_prefixes_are_stripped_for_matching() -> None:
    assert "جيش" in stems("والجيش")
    assert "نظام" in stems("للنظام")
    assert "دمشق" in stems("وبدمشق")
    assert "ادلب" in stems(fold("بإدلب"))
    assert stems("بصري")[0] == "بصري"  # the bare word is read first


@pytest.mark.parametrize(
    ("phrase", "value"),
    [("ثلاثه", 3), ("خمسه وعشرين", 25), ("اثنا عشر", 12), ("ثلاثه عشر", 13), ("مايه", 100)],
)
def test_arabic_number_words(phrase: str, value: int) -> None:
    assert arabic.number_value(phrase) == value


def test_language_is_told_by_script() -> None:
    assert detect_language("قتل 12 مدنيا في غارة على حلب (AFP)") == "ar"
    assert detect_language("At least 12 civilians were killed in Aleppo, said SANA.") == "en"
    assert detect_language("12 34") == ""


def _dates(text: str, published: datetime) -> list[tuple[str, date]]:
    found = resolve_dates(text, ((0, len(text)),), published, language="ar")
    return [(d.text, d.first) for d in found]


SATURDAY = datetime(2016, 9, 17, 12, tzinfo=TZ)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("قتل مدنيون يوم الخميس في قصف", date(2016, 9, 15)),
        ("وفي الخميس الماضي قصفت الطائرات البلدة", date(2016, 9, 15)),
        ("قالت مصادر أمس الجمعة إن الغارات استمرت", date(2016, 9, 16)),
        ("قصفت الطائرات البلدة أمس", date(2016, 9, 16)),
        ("قتل ثلاثة قبل ثلاثة أيام", date(2016, 9, 14)),
        ("وقع الهجوم في ١٤ أيلول/سبتمبر ٢٠١٦", date(2016, 9, 14)),
        ("وقع الهجوم في 12 سبتمبر", date(2016, 9, 12)),
        ("وقع الهجوم في 12 تشرين الأول 2015", date(2015, 10, 12)),
    ],
)
def test_arabic_dates_resolve_against_the_publication_date(text: str, expected: date) -> None:
    assert [d for _, d in _dates(text, SATURDAY)] == [expected]


def test_a_future_weekday_is_the_next_one() -> None:
    found = _dates("ستدخل الهدنة حيز التنفيذ يوم الإثنين المقبل", SATURDAY)
    assert [d for _, d in found] == [date(2016, 9, 19)]


def _claims(text: str) -> list[tuple[str, int, str]]:
    return [
        (c.quantity, c.value, c.qualifier)
        for c in arabic.sentence_claims(text, 0, len(text), None, "")
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("أسفر القصف عن مقتل 12 مدنياً.", [("killed", 12, "exact")]),
        ("قتل ما لا يقل عن 20 شخصاً.", [("killed", 20, "at_least")]),
        ("سقط أكثر من 30 قتيلاً.", [("killed", 30, "more_than")]),
        ("قتل نحو 15 مدنياً.", [("killed", 15, "about")]),
        ("قتل حوالي ٤٠ شخصاً.", [("killed", 40, "about")]),
        ("قتل 12 شخصاً على الأقل.", [("killed", 12, "at_least")]),
        ("قتل خمسة وعشرون مدنياً.", [("killed", 25, "exact")]),
        ("قتل عشرة مقاتلين.", [("killed", 10, "exact")]),
        (
            "أسفرت الغارات عن مقتل ١٢ مدنياً وإصابة 20 آخرين.",
            [("killed", 12, "exact"), ("wounded", 20, "exact")],
        ),
        ("قتل 12 مدنياً بينهم 4 أطفال.", [("killed", 12, "exact")]),
        ("ارتفعت حصيلة القتلى جراء القصف أمس إلى 32 شخصاً.", [("killed", 32, "exact")]),
        ("سقط قتيلان وثلاثة جرحى في القصف.", [("killed", 2, "exact"), ("wounded", 3, "exact")]),
        ("قتل عشرات المدنيين في 14 أيلول 2016.", []),  # tens: a range, not a count
        ("وصلت 12 شاحنة مساعدات.", []),
    ],
)
def test_arabic_counts_with_qualifiers(text: str, expected: list[tuple[str, int, str]]) -> None:
    assert _claims(text) == expected


@pytest.mark.parametrize(
    ("sentence", "event_type", "sub_event_type"),
    [
        ("شن الطيران الروسي غارات جوية على البلدة", "Explosions/Remote violence", "Air/drone strike"),
        ("قصفت قوات النظام البلدة بالمدفعية", "Explosions/Remote violence", "Shelling/artillery/missile attack"),
        ("انفجرت عبوة ناسفة في السوق", "Explosions/Remote violence", "Remote explosive/landmine/IED"),
        ("اندلعت اشتباكات عنيفة بين الطرفين", "Battles", "Armed clash"),
        ("دخل وقف إطلاق النار حيز التنفيذ", "Strategic developments", "Agreement"),
    ],
)  # fmt: skip
def test_arabic_event_lexicon(sentence: str, event_type: str, sub_event_type: str) -> None:
    found = classify_sentence(sentence, "ar")
    assert found is not None
    assert found[:2] == (event_type, sub_event_type)


def test_gazetteer_reads_arabic_names_with_clitics_and_harakat() -> None:
    gazetteer = Gazetteer().load()
    text = "قصف على سراقب وبإدلب وعلى دوما بريف دمشق وغارات على حَلَب"
    hits = gazetteer.scan(text)
    assert [h.text for h in hits] == ["سراقب", "إدلب", "دوما", "ريف دمشق", "حَلَب"]
    assert [{c.admin1_pcode for c in h.candidates} for h in hits[1:4]] == [
        {"SY07"},
        {"SY03"},
        {"SY03"},  # Rural Damascus, not Damascus: the clitic is read off the longer name
    ]


def test_common_words_that_name_hamlets_are_not_places() -> None:
    gazetteer = Gazetteer().load()
    hits = gazetteer.scan("منذ بداية الثورة قصفت الطائرات المدينة الجنوبي يوم الخميس")
    assert hits == []
    assert [h.text for h in gazetteer.scan("قصفت قوات النظام مدينة التل")] == ["التل"]


def test_arabic_actor_aliases_share_the_english_ids() -> None:
    from ceasefire.agreements.loader import default_registry
    from ceasefire.pipeline.actors import ActorMatcher

    matcher = ActorMatcher(default_registry())
    text = "اشتبكت قوات النظام مع جبهة النصرة وتنظيم داعش، وقصف الطيران الروسي والتحالف الدولي"
    found = {m.text: m.actor_id for m in matcher.find(text, date(2016, 6, 1))}
    assert found == {
        "قوات النظام": "SAA",
        "جبهة النصرة": "JN",
        "تنظيم داعش": "ISIS",
        "الطيران الروسي": "RU_VKS",
        "التحالف الدولي": "US_COALITION",
    }


def test_an_actor_that_speaks_is_a_source_and_the_sentence_names_it() -> None:
    from ceasefire.agreements.loader import default_registry
    from ceasefire.pipeline.actors import ActorMatcher

    matcher = ActorMatcher(default_registry())
    speaking = matcher.find("وقالت روسيا إن طائراتها لم تقصف البلدة", date(2016, 9, 20))
    acting = matcher.find("وقصفت روسيا البلدة", date(2016, 9, 20))
    assert [(m.actor_id, m.is_reporting_source) for m in speaking] == [("RUS", True)]
    assert [(m.actor_id, m.is_reporting_source) for m in acting] == [("RUS", False)]
    assert arabic.attribution("وبحسب الدفاع المدني قتل 5 أشخاص") == "الدفاع المدني"


def _score(documents: list, gold: dict[str, dict]) -> dict[str, tuple[float, float, float]]:  # type: ignore[type-arg]
    by_split: dict[str, list[tuple[bool, bool, bool | None]]] = {}
    for doc in documents:
        row = gold[doc.id]
        want = row["gold"]
        place, when = doc.meta.get("main_place"), doc.meta.get("main_date")
        governorate = place is not None and place.admin1_pcode == want["admin1_pcode"]
        day = date.fromisoformat(want["event_date"])
        dated = when is not None and abs((when.first - day).days) <= 1
        killed = {c.value for c in doc.claims if c.quantity == "killed"}
        toll = None if want["killed"] is None else want["killed"] in killed
        by_split.setdefault(row["split"], []).append((governorate, dated, toll))
    scores = {}
    for split, rows in by_split.items():
        tolls = [t for _, _, t in rows if t is not None]
        scores[split] = (
            sum(r[0] for r in rows) / len(rows),
            sum(r[1] for r in rows) / len(rows),
            sum(tolls) / len(tolls),
        )
    return scores


@pytest.mark.slow
def test_arabic_acceptance_set_through_the_ingest_path() -> None:
    """Governorate ≥ 0.85, date ±1 day ≥ 0.80, stated toll found ≥ 0.80 on the 20 development
    texts; the 10 held-out texts (written after the rules were frozen) measured 0.90 / 0.90 /
    1.00 and must not fall below 0.80 on any score."""
    from ceasefire.intake.news import read_news
    from ceasefire.pipeline.ingest import ingest_news
    from ceasefire.pipeline.runner import run_pipeline

    gold = {
        row["id"]: row
        for row in (json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines())
    }
    assert len(gold) == 30
    assert sum(r["split"] == "held_out" for r in gold.values()) == 10
    shared: dict = {}  # type: ignore[type-arg]
    evidence, batch = ingest_news([DATA], TZ, shared=shared)
    assert {d["language"] for d in evidence["documents"]} == {"ar"}
    assert len(evidence["documents"]) == 30
    assert evidence["incidents"]
    assert batch.records
    assert any(c["value"] == 72 and c["qualifier"] == "exact" for c in evidence["claims"])
    # the documents as the ingest path made them (the same stages, run once more with its resources)
    result = run_pipeline(read_news([DATA], TZ).documents, shared=shared)
    scores = _score(result.documents, gold)
    governorate, dated, toll = scores["development"]
    assert governorate >= 0.85, scores
    assert dated >= 0.80, scores
    assert toll >= 0.80, scores
    assert min(scores["held_out"]) >= 0.80, scores


@pytest.mark.slow
def test_arabic_reports_of_one_event_share_a_story_and_others_do_not() -> None:
    """An outlet's own rewrite of the Saraqib report joins its story; the Aleppo report of the
    same days, which MiniLM (English only) finds closer than the rewrite, stays apart."""
    from ceasefire.pipeline.records import Document
    from ceasefire.pipeline.runner import run_pipeline

    rows = {
        row["id"]: row
        for row in (json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines())
    }

    def doc(doc_id: str, source: str, text: str, published: str) -> Document:
        return Document(
            id=doc_id, source=source, published=datetime.fromisoformat(published),
            published_precision="exact", raw=text,
        )  # fmt: skip

    rewrite = (
        "غارات روسية على سراقب: قتل 12 مدنياً على الأقل الخميس في غارات جوية للطيران الروسي "
        "استهدفت سوقاً شعبية في مدينة سراقب بريف إدلب، بحسب المرصد السوري لحقوق الإنسان، "
        "وأصيب نحو 20 آخرين."
    )
    saraqib = doc("ar-01", "outlet-a", rows["ar-01"]["text"], rows["ar-01"]["published"])
    aleppo = doc("ar-02", "outlet-b", rows["ar-02"]["text"], rows["ar-02"]["published"])
    again = doc("ar-01b", "outlet-z", rewrite, "2016-09-17T15:00:00+03:00")
    shared: dict = {}  # type: ignore[type-arg]
    apart = run_pipeline([saraqib, aleppo], errors="strict", shared=shared).documents
    assert apart[0].story != apart[1].story  # MiniLM's cosine of the two leads: 0.93
    joined = run_pipeline([saraqib, again], errors="strict", shared=shared).documents
    assert joined[0].story == joined[1].story
