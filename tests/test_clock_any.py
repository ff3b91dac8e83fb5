"""The clock for any agreement: an open-ended agreement starting at midnight gets agreement days,
a violence indicator against its baseline, and phase states; a day without data is pending."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from ceasefire.agreements.loader import default_registry, parse_agreement
from ceasefire.compliance.clock import build_clock, status_at
from ceasefire.compliance.judge import Judge
from ceasefire.model.agreement import Agreement
from ceasefire.model.incidents import Incident
from ceasefire.reports import Replay
from tests.conftest import STORELESS, TZ

pytestmark = STORELESS

OPEN_ENDED = """
schema_version: 2
agreement:
  id: test-open-ended
  title: "A nationwide cessation from midnight, with no end date and no N-day condition"
  timezone: Asia/Damascus
  parties: [{group: gov, coverage: covered}]
  actor_groups: {gov: [SYR_GOV, SAA, SyAAF]}
  coverage_by_side: {opposition: unknown, civilians: protected, excluded: excluded, foreign: not_party}
  exclusions: [{actor: ISIS}, {actor: JFS}]
  lifecycles:
    - id: national
      start: {local: "2016-09-12T00:00"}
      phases: [{id: cessation, starts: start}]
  terms:
    - {id: T1, type: prohibition, action: attack, scope: {when: [cessation]}}
  monitoring:
    indicator: {metric: fatalities_best, baseline_days: 7}
"""


@pytest.fixture(scope="module")
def open_ended() -> Agreement:
    return parse_agreement(OPEN_ENDED, "open.yaml", default_registry())


def test_an_open_ended_agreement_has_days_to_the_end_of_the_data(
    open_ended: Agreement, sept_incidents: list[Incident], sept_rows: list[dict[str, str]]
) -> None:
    clock = build_clock(open_ended, sept_incidents)
    assert clock.window_end is None
    assert clock.days[0].start == datetime(2016, 9, 12, tzinfo=TZ)
    # UCDP events are known the day after their first source: the fixture's last source date
    last_source = max(max(r["source_date"].split(";")) for r in sept_rows)
    horizon = datetime.combine(date.fromisoformat(last_source) + timedelta(days=1),
                               datetime.min.time(), tzinfo=TZ)  # fmt: skip
    assert clock.horizon == horizon
    complete = [d for d in clock.days if not d.pending]
    assert complete[-1].end <= horizon
    assert all(d.pending for d in clock.days if d.end > horizon)
    assert all(not d.pending for d in clock.days if d.end <= horizon)


def test_a_midnight_start_shows_its_day_in_the_report(
    open_ended: Agreement, sept_incidents: list[Incident]
) -> None:
    replay = Replay(Judge(open_ended), sept_incidents)
    first = replay.report(date(2016, 9, 12))
    assert first["summary"]["clock"]["day"] == 1  # not "day —"
    assert first["header"]["report_number"] == 1
    assert replay.report(date(2016, 9, 15))["summary"]["clock"]["day"] == 4
    status = status_at(
        replay.clock(datetime(2016, 9, 14, 6, tzinfo=TZ)), datetime(2016, 9, 14, 6, tzinfo=TZ)
    )
    assert status["phase"] == "cessation"
    assert status["day"] == 3
    assert status["phases"]["cessation"]["state"] == "in_force"
    assert status["phases"]["cessation"]["end"] is None


def test_the_indicator_is_the_apportioned_toll_against_the_week_before(
    open_ended: Agreement, sept_incidents: list[Incident], sept_rows: list[dict[str, str]]
) -> None:
    clock = build_clock(open_ended, sept_incidents)

    def share(row: dict[str, str], start: datetime, end: datetime) -> float:
        a = datetime.combine(date.fromisoformat(row["date_start"]), datetime.min.time(), tzinfo=TZ)
        b = datetime.combine(
            date.fromisoformat(row["date_end"]), datetime.min.time(), tzinfo=TZ
        ) + timedelta(days=1)
        return max(0.0, (min(b, end) - max(a, start)).total_seconds()) / (b - a).total_seconds()

    def in_scope(row: dict[str, str]) -> bool:
        # no excluded group, and someone the agreement may bind: not civilians (protected) and
        # not a foreign state (its coverage_by_side says not_party); every other group counts
        names = {p.strip() for p in (row["side_a"] + "," + row["side_b"]).split(",")}
        if names & {"IS", "Jabhat Fateh al-Sham"}:
            return False
        foreign = {
            n for n in names if n.startswith("Government of ") and n != "Government of Syria"
        }
        return bool(names - foreign - {"Civilians"})

    base_start, base_end = datetime(2016, 9, 5, tzinfo=TZ), datetime(2016, 9, 12, tzinfo=TZ)
    baseline = (
        sum(int(r["best"]) * share(r, base_start, base_end) for r in sept_rows if in_scope(r)) / 7
    )
    assert clock.baseline["violence_indicator"]["daily_mean"] == pytest.approx(baseline, abs=0.01)
    day3 = clock.days[2]
    expected = sum(
        int(r["best"]) * share(r, day3.start, day3.end) for r in sept_rows if in_scope(r)
    )
    assert day3.indicator["estimate"] == pytest.approx(expected, abs=0.01)
    # the high bound counts every overlapping event whole, the low bound only those inside the day
    assert day3.indicator["low"] <= day3.indicator["estimate"] <= day3.indicator["high"]
