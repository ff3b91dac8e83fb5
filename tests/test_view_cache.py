"""The server's view cache after an import (issue 15: incremental): the dashboard and the daily
report are rebuilt from the state before with only what the import wrote read and judged, and
they say exactly what a cache built from nothing says — findings, the map layer, the party cards,
the control map, the report (as the API sends it); and an import that changes the ground redraws
the control map."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from ceasefire import catalogue
from ceasefire.dashboard.views import DashboardCache, store_state
from ceasefire.reports import render_json
from ceasefire.service import bundled_data, import_file
from ceasefire.store import Store
from ceasefire.visibility import OPERATOR, PUBLIC
from tests.conftest import MONITOR_REPORT, TZ, UCDP_SEPT, acled_haydariyeh_csv

DAY = date(2016, 9, 15)
REPORT = {**MONITOR_REPORT, "id": "r-cache"}


def _views(cache: DashboardCache, db: Store) -> dict[str, object]:
    ref = catalogue.resolve(db, "syria-2016-09")
    out: dict[str, object] = {}
    for who in (OPERATOR, PUBLIC):
        model = cache.model(db, ref, who)
        out[f"findings {who.scope}"] = sorted(
            json.dumps(model.finding(i.key).to_json(), sort_keys=True) for i in model.incidents
        )
        out[f"layer {who.scope}"] = cache.layer(db, ref, who)
        out[f"report {who.scope}"] = render_json(model.report(DAY))
        out[f"report bytes {who.scope}"] = model.report_json(DAY)
        out[f"cards {who.scope}"] = cache.scorecards(db, ref, who)
        out[f"control {who.scope}"] = cache.control_map(db, DAY, TZ, who)
    return out


def test_after_an_import_the_views_are_those_of_a_fresh_cache(tmp_path: Path) -> None:
    with Store(tmp_path / "ws") as db:
        import_file(db, "ucdp", UCDP_SEPT, TZ)
        import_file(db, "humanitarian", bundled_data("humanitarian/syria-2016-09.jsonl"), TZ)
        cache = DashboardCache()
        before = _views(cache, db)
        path = tmp_path / "report.jsonl"
        for report in (REPORT, {**REPORT, "time": {"at": "2016-09-14"}}):  # added, then revised
            path.write_text(json.dumps(report) + "\n", encoding="utf-8")
            import_file(db, "reports", path, TZ)
            after = _views(cache, db)
            assert cache._deltas.get(store_state(db)), "rebuilt from the state before"
            assert after == _views(DashboardCache(), db)
            assert after != before  # the report is in them
            before = after
        public = before[f"findings {PUBLIC.scope}"]
        assert isinstance(public, list)
        assert any(json.loads(k)["incident"].endswith("r-cache") for k in public)


def _held(collection: dict[str, object], area: str) -> object:
    features = collection["features"]
    assert isinstance(features, list)
    return next(f["properties"]["actors"] for f in features if f["id"] == area)


def test_an_import_that_changes_the_ground_redraws_the_control_map(tmp_path: Path) -> None:
    """The army regains Haydariyeh (N0122) on 22 Nov 2016 (acled_haydariyeh_csv): the view
    cache must not lend the control map of the state before."""
    acled = acled_haydariyeh_csv(tmp_path / "acled.csv")
    day = date(2016, 11, 25)
    with Store(tmp_path / "ws") as db:
        import_file(db, "ucdp", UCDP_SEPT, TZ)
        cache = DashboardCache()
        assert _held(cache.control_map(db, day, TZ, PUBLIC), "N0122") == ["SYR_INSURGENTS"]
        import_file(db, "acled", acled, TZ)
        assert _held(cache.control_map(db, day, TZ, PUBLIC), "N0122") == ["SYR_GOV"]
