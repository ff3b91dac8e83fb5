"""Syndication groups: wire copies with other furniture group, independent write-ups do not."""

from __future__ import annotations

import random
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from ceasefire.errors import ConfigError
from ceasefire.pipeline.records import Document
from ceasefire.pipeline.registry import StageContext, registered
from ceasefire.pipeline.syndication import group_copies, normalise, shingles, syndicate
from tests.conftest import STORELESS

pytestmark = STORELESS

TZ = ZoneInfo("Asia/Damascus")

# Our own synthetic reports of fictional incidents.
WIRE = (
    "An air strike hit a crowded vegetable market in Maarat al-Numan in Idlib province on "
    "Tuesday morning, killing at least 14 civilians and wounding more than 30, rescue workers "
    "said. Witnesses said a warplane struck the market twice within a few minutes as shoppers "
    "gathered before noon. Civil defence teams pulled bodies from the rubble of several stalls, "
    "and the town's main hospital appealed for blood donations. The strike was the deadliest in "
    "the province since the start of the month, according to a local council official who asked "
    "not to be named."
)
INDEPENDENT = (
    "At least fourteen people were killed on Tuesday when warplanes bombed the busy market of "
    "Maarat al-Numan, a town in the south of Idlib governorate, according to local rescuers. "
    "Dozens more were injured in the attack, which struck as residents were buying food late in "
    "the morning. Medics at a nearby field hospital said several of the wounded were children "
    "and that the death toll could rise."
)
OTHER_WIRE = (
    "A car bomb exploded near a bus station in the al-Zahra district of Homs on Tuesday evening, "
    "killing five people and injuring twelve, state media reported. Security forces sealed off "
    "the area after the blast, which set several vehicles on fire and damaged nearby shops. No "
    "group immediately claimed responsibility for the bombing, the second in the city this year."
)
EXTRA = (
    "The province is home to about three million people, many of whom fled fighting elsewhere "
    "in the country, and aid groups have warned that its hospitals are stretched."
)


def doc(doc_id: str, text: str, source: str = "outlet") -> Document:
    return Document(
        id=doc_id,
        source=source,
        published=datetime(2019, 3, 12, tzinfo=TZ),
        published_precision="day",
        text=text,
    )


def groups(docs: list[Document], **args: object) -> dict[str, str]:
    return {d.id: d.syndication_group for d in syndicate(docs, StageContext(args=dict(args)))}


def test_normalise_folds_case_punctuation_and_whitespace() -> None:
    assert normalise("  Air-strike,\n kills 14 (AFP)!  ") == "air strike kills 14 afp"
    assert normalise("") == ""


def test_shingles_are_word_five_grams_and_short_texts_one_shingle() -> None:
    assert shingles("a b c d e f") == frozenset({"a b c d e", "b c d e f"})
    assert shingles("a b c") == frozenset({"a b c"})
    assert shingles("") == frozenset()


def test_stage_is_registered_with_its_fields() -> None:
    assert registered()["ceasefire.syndication.v2"] == {
        "requires": ["text"],
        "assigns": ["syndication_group", "shared_passages", "own_passages"],
    }


@pytest.mark.parametrize(
    "copy",
    [
        pytest.param(WIRE.upper().replace(" ", "  "), id="exact-after-normalising"),
        pytest.param(
            "By Staff Reporter\nIDLIB, March 12 (Levant Wire) - "
            + WIRE
            + "\n(Reporting by Lina Haddad; editing by Omar Saleh)",
            id="dateline-byline-footer",
        ),
        pytest.param(
            WIRE.rsplit(". ", 1)[0] + ".\nCopyright 2019 Gulf Desk.", id="last-sentence-dropped"
        ),
        pytest.param(WIRE + "\n\n" + EXTRA, id="extra-paragraph"),
        pytest.param(
            "Live coverage\n" + EXTRA + "\n\n" + WIRE + "\n\n" + EXTRA + " " + EXTRA,
            id="inside-a-longer-page",
        ),
    ],
)
def test_wire_copies_share_a_group(copy: str) -> None:
    result = groups([doc("b-copy", copy, "Gulf Desk"), doc("a-wire", WIRE, "Levant Wire")])
    assert result == {"a-wire": "syn-a-wire", "b-copy": "syn-a-wire"}


def test_independent_write_up_and_other_story_get_groups_of_their_own() -> None:
    result = groups([doc("a", WIRE), doc("b", INDEPENDENT), doc("c", OTHER_WIRE)])
    assert result == {"a": "syn-a", "b": "syn-b", "c": "syn-c"}


def test_a_digest_of_two_wire_stories_joins_neither() -> None:
    digest = WIRE + "\n\n" + OTHER_WIRE
    result = groups([doc("a", WIRE), doc("b", OTHER_WIRE), doc("c", digest)])
    assert result["a"] != result["b"]


def test_groups_are_transitive_and_named_by_the_smallest_id() -> None:
    footer = "\n(Reporting by Rana Aziz)"
    docs = [doc("z", WIRE), doc("m", WIRE + footer), doc("q", "DAMASCUS (Wire) - " + WIRE + footer)]
    assert set(groups(docs).values()) == {"syn-m"}


def test_empty_texts_are_nobodys_copy() -> None:
    result = groups([doc("a", ""), doc("b", "   "), doc("c", WIRE)])
    assert result == {"a": "syn-a", "b": "syn-b", "c": "syn-c"}


def test_threshold_argument_is_used() -> None:
    copy = WIRE.replace("Tuesday", "Monday") + "\n\n" + EXTRA
    pair = [doc("a", WIRE), doc("b", copy)]
    assert len(set(groups(pair).values())) == 1
    # every passage of the shorter text must match whole: the edited first sentence does not
    assert len(set(groups(pair, containment=1.0, passage_match=1.0).values())) == 2


def test_runs_are_deterministic_and_independent_of_order() -> None:
    texts = {
        "a": WIRE,
        "b": WIRE + "\n\n" + EXTRA,
        "c": INDEPENDENT,
        "d": OTHER_WIRE,
        "e": "HOMS (Wire) - " + OTHER_WIRE,
        "f": EXTRA,
    }
    first = group_copies(texts)
    shuffled = list(texts.items())
    random.Random(3).shuffle(shuffled)
    assert group_copies(dict(shuffled)) == first == group_copies(texts)
    # b is the wire plus EXTRA, which is a document of its own: b's shared passages split between
    # two texts that are not copies of each other, so b joins neither (the digest rule)
    assert first == {"a": "a", "b": "b", "c": "c", "d": "d", "e": "d", "f": "f"}
    docs = [doc(k, v) for k, v in texts.items()]
    assert syndicate(docs, StageContext()) == syndicate(docs, StageContext())


@pytest.mark.parametrize("args", [{"passage_match": 0.0}, {"mutual": 1.5}, {"containment": -1}])
def test_out_of_range_arguments_are_config_errors(args: dict[str, float]) -> None:
    with pytest.raises(ConfigError, match="must be in"):
        groups([doc("a", WIRE), doc("b", INDEPENDENT)], **args)
