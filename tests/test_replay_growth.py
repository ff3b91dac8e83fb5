"""A replay grown by new incidents says what a replay built over all of them says (issue 15:
incremental).  After an import that only adds incidents, the server grows its replay from the one
before (``Replay.grown``: the new contributions inserted into the metrics' columns, the days no
new window touches kept).  Every report and clock must come out byte for byte as if built anew,
under every bundled agreement — including when new incidents fall in the baseline week, which
moves every day's threshold."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ceasefire.agreements.loader import load_agreement
from ceasefire.compliance.judge import Judge
from ceasefire.geo.control import load_aleppo_2016
from ceasefire.model.incidents import Incident
from ceasefire.reports import render_json
from ceasefire.reports.daily import Replay

AGREEMENTS = ("syria-2016-02", "syria-2016-09", "syria-2017-05", "syria-2018-09")


def _order(i: Incident) -> tuple[object, str]:
    return (i.window.start, i.key)


def _reports(replay: Replay, first: date, days: int) -> list[str]:
    return [render_json(replay.report(first + timedelta(days=n))) for n in range(days)]


@pytest.mark.parametrize("name", AGREEMENTS)
def test_a_grown_replay_reports_what_a_new_one_reports(
    name: str, sept_incidents: list[Incident]
) -> None:
    judge = Judge(load_agreement(name), load_aleppo_2016())
    every = sorted(sept_incidents, key=_order)
    # the UCDP events of 5-26 Sept 2016: a third of them arrive later, among them events of the
    # baseline week (5-11 Sept) and of the days the reports cover
    later = [i for n, i in enumerate(every) if n % 3 == 1]
    earlier = [i for i in every if i not in later]
    assert any(i.window.start.day <= 11 for i in later)
    first = date(2016, 9, 10)
    before = Replay(judge, earlier)
    _reports(before, first, 12)  # the days it has made are lent to the grown one
    grown = Replay.grown(before, every, later)
    fresh = Replay(judge, every)
    assert _reports(grown, first, 12) == _reports(fresh, first, 12)
    assert grown.clock(fresh.cutoff(first)).days == fresh.clock(fresh.cutoff(first)).days
    assert _reports(before, first, 12) != _reports(fresh, first, 12)  # the later ones count


def test_growth_in_the_wrong_order_is_built_anew(sept_incidents: list[Incident]) -> None:
    """A caller that hands over the incidents out of start order gets a replay built from them,
    not one grown on a wrong assumption."""
    judge = Judge(load_agreement("syria-2016-09"), load_aleppo_2016())
    every = sorted(sept_incidents, key=_order)
    later = every[-5:]
    before = Replay(judge, every[:-5])
    shuffled = later + every[:-5]
    grown = Replay.grown(before, shuffled, later)
    day = date(2016, 9, 20)
    assert render_json(grown.report(day)) == render_json(Replay(judge, every).report(day))
