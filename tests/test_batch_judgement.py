"""Judging a batch gives every incident the finding judging it alone gives (issue 15).

The batch path (:func:`ceasefire.compliance.engine.judge_many`, behind every surface's
:class:`~ceasefire.compliance.judge.Judge`) runs the rules once per judgement signature and hands
the finding to the other incidents of the signature with their own key and their own place's
words.  The reference is the incident judged alone (:func:`ceasefire.compliance.engine.evaluate`);
the inputs are the real UCDP GED Syria 2016–2019 file (16,566 events) under every bundled
agreement, and the Sept 2016 events moved to places chosen to sit near and far from the zones and
the mapped control of Aleppo, at every precision."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from ceasefire.agreements import load_agreement
from ceasefire.agreements.loader import (
    bundled_agreement_path,
    bundled_names,
    default_registry,
    parse_agreement,
)
from ceasefire.compliance.engine import Finding, evaluate
from ceasefire.compliance.judge import Judge
from ceasefire.geo.control import load_aleppo_2016
from ceasefire.intake.ucdp import parse_ucdp
from ceasefire.model.incidents import Incident
from ceasefire.model.timewindow import Precision, TimeWindow, local_day_window
from tests.conftest import STORELESS, TZ, UCDP_FULL

pytestmark = STORELESS

AGREEMENTS = bundled_names()


def _text(findings: list[Finding]) -> list[str]:
    return [json.dumps(f.to_json(), sort_keys=True) for f in findings]


def _alone(name: str, incidents: list[Incident], as_of: datetime | None = None) -> list[str]:
    agreement, control = load_agreement(name), load_aleppo_2016()
    return _text([evaluate(agreement, i, as_of, control) for i in incidents])


def _batched(
    name: str, incidents: list[Incident], as_of: datetime | None = None, chunk: int = 0
) -> list[str]:
    judge = Judge(load_agreement(name), load_aleppo_2016())
    if not chunk:
        return _text(judge.findings(incidents, as_of))
    out: list[Finding] = []
    for start in range(0, len(incidents), chunk):  # one judge: later chunks reuse what it judged
        out.extend(judge.findings(incidents[start : start + chunk], as_of))
    return _text(out)


@pytest.fixture(scope="module")
def ucdp_full() -> list[Incident]:
    batch = parse_ucdp(UCDP_FULL, TZ)
    assert len(batch.records) == 16_566
    return batch.records


@pytest.mark.parametrize("name", AGREEMENTS)
def test_the_whole_file_under_each_agreement(name: str, ucdp_full: list[Incident]) -> None:
    alone = _alone(name, ucdp_full)
    batched = _batched(name, ucdp_full)
    diff = [k for k, (a, b) in enumerate(zip(alone, batched, strict=True)) if a != b]
    assert not diff, f"{len(diff)} findings differ, first {ucdp_full[diff[0]].key}"


# places the moved events go to: Aleppo's mapped neighbourhoods and its edge, the Castello road,
# Idlib (the 2017/2018 zones) and its edge, Homs, Eastern Ghouta, Daraa, Deir ez-Zor, Raqqa
ANCHORS = [(36.20, 37.15), (36.24, 37.13), (36.30, 37.10), (35.93, 36.63), (35.30, 36.20),
           (34.73, 36.71), (33.53, 36.40), (32.62, 36.10), (35.33, 40.14), (35.95, 39.01)]  # fmt: skip


# days in and around each bundled agreement's life (Feb 2016, Sept 2016, May 2017, Sept 2018)
PERIODS = [(date(2016, 2, 20), 30), (date(2017, 4, 28), 70), (date(2018, 9, 10), 120)]


def _moved(incidents: list[Incident], n: int, seed: int) -> list[Incident]:
    """``n`` events: the Sept 2016 ones moved to seeded places near the anchors, at precisions
    1–4, 7 and a stated radius, some without coordinates, most to a day in and around another
    agreement's life; ids made unique."""
    rng = random.Random(seed)
    out = []
    for k in range(n):
        base = incidents[k % len(incidents)]
        if rng.random() < 0.75:
            first, days = PERIODS[rng.randrange(len(PERIODS))]
            day = first + timedelta(days=rng.randrange(days))
            base = replace(base, window=local_day_window(day, day, TZ, Precision.DAY, str(day)))
        lat, lon = ANCHORS[rng.randrange(len(ANCHORS))]
        spread = rng.choice((0.001, 0.02, 0.3))
        precision = rng.choice((1, 1, 1, 2, 3, 4, 7))
        place = replace(
            base.place,
            lat=round(lat + rng.uniform(-spread, spread), 5),
            lon=round(lon + rng.uniform(-spread, spread), 5),
            precision=precision,
            radius_m=rng.choice((None, None, None, 500.0, 30_000.0)),
        )
        if rng.random() < 0.03:
            place = replace(place, lat=None, lon=None)
        out.append(replace(base, source_id=f"{base.source_id}-{k}", place=place))
    return out


@pytest.fixture(scope="module")
def moved(sept_incidents: list[Incident]) -> list[Incident]:
    return _moved(sept_incidents, 6_000, seed=15)


@pytest.mark.parametrize("name", AGREEMENTS)
def test_moved_events_near_and_far_from_zones_and_control(name: str, moved: list[Incident]) -> None:
    alone = _alone(name, moved)
    assert _batched(name, moved) == alone
    assert _batched(name, moved, chunk=700) == alone  # batches sharing what was judged


def test_phases_renewed_on_their_own_clock(moved: list[Incident]) -> None:
    """Under an agreement whose phase renews itself (its windows computed, not written), with
    events known to the hour around the phase's start — before it, across it, after it, on the
    same day — batches give each event what it gets alone."""
    text = bundled_agreement_path("syria-2016-09").read_text(encoding="utf-8")
    manual = "renewal: {by: joint_decision, of: [USA, RUS], block: PT48H"
    assert manual in text
    text = text.replace(manual, "renewal: {by: automatic, objection_by: [USA, RUS], block: PT47H")
    # no renewal by decision: the phase renews itself
    decisions = text[text.index("\n  decisions:\n") : text.index("\n  monitoring:\n")]
    text = text.replace(decisions, "\n  decisions: []\n")
    agreement = parse_agreement(
        text, "automatic.yaml", default_registry(), bundled_agreement_path("syria-2016-09").parent
    )
    # events known to the hour, on the half hour: the 18:30–19:30 one is across 19:00
    hours = [
        replace(
            base,
            source_id=f"{base.source_id}-h{k}",
            window=TimeWindow(at, at + timedelta(hours=1), Precision.HOUR, at.isoformat()),
        )
        for k, base in enumerate(moved[:480])
        for at in [datetime(2016, 9, 11, 0, 30, tzinfo=TZ) + timedelta(hours=k % 72)]
    ]
    control = load_aleppo_2016()
    events = [*moved, *hours]
    alone = _text([evaluate(agreement, i, None, control) for i in events])
    assert _text(Judge(agreement, control).findings(events)) == alone
    assert any("Not a violation: the incident (" in line for line in alone)
    assert any("before or after the boundary" in line for line in alone[len(moved) :])


def test_a_report_moment_in_batches(moved: list[Incident]) -> None:
    """As known at a moment (a report's cut-off), in batches large and small of one judge, as
    alone."""
    as_of = datetime(2016, 9, 19, 19, 0, tzinfo=TZ)
    alone = _alone("syria-2016-09", moved, as_of)
    assert _batched("syria-2016-09", moved, as_of, chunk=1_000) == alone
    assert _batched("syria-2016-09", moved, as_of, chunk=40) == alone  # a day's few at a time


def test_each_finding_names_its_own_place(sept_incidents: list[Incident]) -> None:
    """Two events alike but for their place, both far from Idlib's zones: each finding says where
    its own event was (the coordinates the source gave), never the other's."""
    day = date(2018, 11, 20)  # inside the Sochi memorandum's phases
    window = local_day_window(day, day, TZ, Precision.DAY, day.isoformat())
    base = next(
        replace(i, window=window)
        for i in sept_incidents
        if i.place.precision == 1 and i.actors[-1].name == "Syrian insurgents"
    )
    places = [(32.6187, 36.1021), (35.3359, 40.1408)]  # Daraa, Deir ez-Zor
    events = [
        replace(base, source_id=f"x{k}", place=replace(base.place, lat=lat, lon=lon))
        for k, (lat, lon) in enumerate(places * 40)
    ]
    findings = Judge(load_agreement("syria-2018-09"), load_aleppo_2016()).findings(events)
    for event, finding in zip(events, findings, strict=True):
        assert finding.incident == event.key
        own = f"({event.place.lat:.4f}, {event.place.lon:.4f})"
        reasons = [z["reason"] for z in finding.zones]
        assert reasons
        assert all(own in r for r in reasons), reasons
        other = next(p for p in places if p != (event.place.lat, event.place.lon))
        assert f"({other[0]:.4f}, {other[1]:.4f})" not in json.dumps(finding.to_json())


def _repeated_hour(year: int) -> datetime:
    """The start of the local hour that the agreement's zone lives twice in ``year`` (the clocks
    go back): its first passing (``fold`` 0)."""
    at = datetime(year, 1, 1, tzinfo=UTC)
    while at.year == year:
        before, after = at.astimezone(TZ), (at + timedelta(hours=1)).astimezone(TZ)
        if after.utcoffset() != before.utcoffset() and after.hour == before.hour:
            return after.replace(fold=0)  # the wall time again, now for the second time
        at += timedelta(hours=1)
    raise AssertionError(f"the clocks do not go back in {year}")


@pytest.mark.parametrize("name", AGREEMENTS)
def test_the_hour_lived_twice(name: str, sept_incidents: list[Incident]) -> None:
    """When the clocks go back, a local time names two instants (``fold`` 0 and 1) that compare
    equal in the zone.  Events in the first and in the second passing of that hour are judged in a
    batch as each alone: never taken for one another."""
    first = _repeated_hour(2016)
    second = first.replace(fold=1)
    assert first == second
    assert first.timestamp() != second.timestamp()

    def window(start: datetime, fold: int) -> TimeWindow:
        end = start + timedelta(minutes=20)
        return TimeWindow(start.replace(fold=fold), end.replace(fold=fold), Precision.HOUR,
                          f"{start:%Y-%m-%dT%H:%M}")  # fmt: skip

    moved = [
        replace(
            i,
            source_id=f"{i.source_id}-fold{fold}",
            window=window(first + timedelta(minutes=(n % 3) * 10), fold),
        )
        for n, i in enumerate(sept_incidents[:80])
        for fold in (0, 1)
    ]
    assert _batched(name, moved) == _alone(name, moved)
