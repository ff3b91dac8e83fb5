"""Memory: no cache keyed by a request (or by an object made per request) grows for good."""

from __future__ import annotations

import gc
import weakref
from datetime import date, timedelta
from pathlib import Path

import pytest

from bench.bench_memory import daily_paths, demo_workspace, get_many, rss_mb, serving
from ceasefire import catalogue
from ceasefire.compliance import territory
from ceasefire.compliance.territory import control_at_incident
from ceasefire.dashboard import views
from ceasefire.dashboard.views import DashboardCache
from ceasefire.geo.control import load_aleppo_2016
from ceasefire.model.incidents import Incident
from ceasefire.store import Store
from ceasefire.visibility import PUBLIC
from tests.conftest import TZ


def test_territory_snapshots_go_with_their_control_map(sept_incidents: list[Incident]) -> None:
    gc.collect()
    before = len(territory._SNAPSHOTS)  # maps other tests still hold
    control = load_aleppo_2016()
    aleppo = [i for i in sept_incidents if i.place.admin1.startswith("Aleppo")
              and i.window.start.astimezone(TZ).date() >= date(2016, 9, 12)][:20]  # fmt: skip
    assert aleppo
    for incident in aleppo:
        control_at_incident(control, incident, TZ)
    assert territory._SNAPSHOTS[control].by_day  # days of the map were really kept
    gone = weakref.ref(control)
    del control
    gc.collect()
    assert gone() is None
    assert len(territory._SNAPSHOTS) <= before


def test_dashboard_keeps_a_bounded_number_of_daily_reports(tmp_path: Path) -> None:
    ws = demo_workspace(tmp_path)
    cache = DashboardCache()
    with Store(ws) as db:
        ref = catalogue.resolve(db, "syria-2016-09")
        for n in range(views._MAX_REPORTS + 8):
            cache.day(db, ref, PUBLIC, date(2016, 9, 12) + timedelta(days=n))
        model = cache.model(db, ref, PUBLIC)
    assert len(model.reports) == views._MAX_REPORTS


@pytest.mark.slow
def test_unauthenticated_daily_reports_leave_the_server_memory_flat(tmp_path: Path) -> None:
    """A real server on loopback: after a warm-up, many more unauthenticated daily reports add
    (almost) nothing.  Before the fix, each kept ~360 kB: 100 calls added ~35 MB to ~95 MB."""
    ws = demo_workspace(tmp_path)
    with serving(ws) as (port, pid):
        assert get_many(port, daily_paths(20), clients=2) == {200: 20}
        warm = rss_mb(pid)
        assert get_many(port, daily_paths(100, 20), clients=2) == {200: 100}
        after = rss_mb(pid)
    assert after < warm * 1.10, f"RSS grew from {warm:.1f} MB to {after:.1f} MB over 100 calls"
