"""The main event's ACLED type: the trained model over the lexicon, verified at load, measured."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ceasefire.errors import ConfigError
from ceasefire.pipeline.event_model import EXPECTED_SHA256, load_event_model, model_path
from ceasefire.pipeline.events import classify_sentence, retype_main
from ceasefire.pipeline.records import EventMention
from tests.conftest import STORELESS

from .conftest import SHARED

pytestmark = STORELESS

FA_KES = SHARED / "news" / "fa_kes_syrian_war_news.csv.gz"


def test_the_packaged_model_loads_and_knows_the_acled_types() -> None:
    model = load_event_model()
    assert "Explosions/Remote violence" in model.types
    assert "Battles" in model.types


def test_a_tampered_model_file_is_refused_with_its_hash(tmp_path: Path) -> None:
    copy = tmp_path / "event_types.v1.json"
    shutil.copyfile(model_path(), copy)
    load_event_model(copy)  # the untouched copy loads
    text = copy.read_text(encoding="utf-8")
    copy.write_text(text.replace('"bias":[', '"bias":[1.5,', 1), encoding="utf-8")
    with pytest.raises(ConfigError, match=f"SHA-256 .* expected {EXPECTED_SHA256}; refusing"):
        load_event_model(copy)


def test_a_missing_model_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is missing"):
        load_event_model(tmp_path / "nothing.json")


@pytest.mark.parametrize(
    ("sentence", "sub_event_type"),
    [
        ("A suicide bomber blew himself up outside a bakery.", "Suicide bomb"),
        ("Two suicide bombings hit the shrine on Saturday.", "Suicide bomb"),
        ("A car bomb exploded near the checkpoint.", "Remote explosive/landmine/IED"),
        ("A suicide car bomb hit the convoy.", "Suicide bomb"),
    ],
)
def test_the_lexicon_tells_a_suicide_attack_from_a_car_bomb(
    sentence: str, sub_event_type: str
) -> None:
    found = classify_sentence(sentence)
    assert found is not None
    assert found[:2] == ("Explosions/Remote violence", sub_event_type)


def _event(start: int, event_type: str, sub: str, trigger: str) -> EventMention:
    return EventMention(start=start, end=start + 40, event_type=event_type, sub_event_type=sub,
                        trigger=trigger, modality="happened")  # fmt: skip


# "Army kills 70 militants in Aleppo. Warplanes struck their hideouts. ..." as the lexicon reads it
KILLS_THEN_STRIKE = [
    _event(0, "Violence against civilians", "Attack", "kills"),
    _event(60, "Explosions/Remote violence", "Air/drone strike", "Warplanes"),
    _event(900, "Violence against civilians", "Attack", "killed"),
]


def test_the_main_event_takes_the_model_type_and_the_documents_sub_type() -> None:
    events = retype_main(KILLS_THEN_STRIKE, "Explosions/Remote violence")
    assert [(e.event_type, e.sub_event_type) for e in events] == [
        ("Explosions/Remote violence", "Air/drone strike"),
        ("Explosions/Remote violence", "Air/drone strike"),
        ("Violence against civilians", "Attack"),  # beyond the lead: another incident
    ]


def test_the_model_never_invents_a_weapon_nor_an_agreement() -> None:
    clash = [_event(0, "Battles", "Armed clash", "clashes")]
    assert retype_main(clash, "Explosions/Remote violence") == clash  # no weapon in the text
    assert retype_main(KILLS_THEN_STRIKE, "Strategic developments") == KILLS_THEN_STRIKE
    battles = retype_main(KILLS_THEN_STRIKE, "Battles")
    assert (battles[0].event_type, battles[0].sub_event_type) == ("Battles", "Armed clash")


@pytest.mark.slow
@pytest.mark.skipif(not FA_KES.exists(), reason="shared FA-KES file not present")
def test_event_type_holds_on_held_out_hand_labelled_fakes_articles() -> None:
    from bench.eval_event_types import label_rows, predictions

    rows = [r for r in label_rows() if r.split == "heldout"]  # never used to train or tune
    got = predictions(rows)
    right = sum(got[r.unit_id][0] == r.event_type for r in rows)
    assert right / len(rows) >= 0.80, f"{right}/{len(rows)}"  # measured 83/89; lexicon alone 68/89
