"""The server's view cache after an import (issue 15: incremental): the dashboard and the daily
report are rebuilt from the state before with only what the import wrote read and judged, and
they say exactly what a cache built from nothing says — findings, the map layer, the report."""

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
from tests.conftest import MONITOR_REPORT, TZ, UCDP_SEPT

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
