"""Fuzzing intake's parsers (tests/fuzzing.py): CEASEFIRE_FUZZ_EXAMPLES mutated records per parser
(10,000 by default, a fixed seed), then every reader on what was accepted."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ceasefire.api.app import create_app
from ceasefire.governance import add_user
from ceasefire.store import Store
from tests.conftest import TZ
from tests.fuzzing import EXAMPLES, HARNESSES, INCIDENT_REPORTS, _json_line, downstream, fuzz


@pytest.mark.slow
@pytest.mark.parametrize("parser", HARNESSES)
def test_parser_then_every_reader(parser: str, tmp_path: Path) -> None:
    run = fuzz(parser, EXAMPLES)
    assert run.records >= EXAMPLES
    assert run.accepted, "the mutations left nothing for the readers"
    assert run.quarantined + run.refused > 0, "nothing was refused: the mutations are too mild"
    counts = downstream(run.accepted, tmp_path / "ws")
    assert counts["parquet_rows"] > 0 or parser == "humanitarian"


@pytest.mark.slow
def test_mutated_bodies_through_the_server(tmp_path: Path) -> None:
    """A few hundred mutated bodies through POST /reports itself: never a 5xx, and every read
    still answers 200 afterwards."""
    ws = tmp_path / "ws"
    with Store(ws) as store:
        add_user(store, "root", "admin", None, "bootstrap")
        token = add_user(store, "team", "monitor", None, "root")
    client = TestClient(create_app(ws, TZ, rate=1e6, burst=1e6))
    headers = {"Authorization": f"Bearer {token}"}
    rng = random.Random(13)
    seeds = [*INCIDENT_REPORTS, json.loads(json.dumps(INCIDENT_REPORTS[1]).replace("r-2", "r-3"))]
    statuses: dict[int, int] = {}
    for _ in range(300):
        response = client.post("/reports", content=_json_line(rng.choice(seeds), rng).encode(),
                               headers=headers)  # fmt: skip
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    assert set(statuses) <= {201, 400, 422}, statuses
    assert statuses.get(201, 0) > 0
    day = {"date": "2016-09-16"}
    reads = [("/findings", {}), ("/reports/daily", day), ("/dashboard/day", day),
             ("/dashboard/report", day), ("/dashboard/layer", {}), ("/scorecards", {}),
             *((f"/exports/{layout}", {}) for layout in ("hxl", "ucdp", "acled", "geojson", "parquet"))]  # fmt: skip
    for path, params in reads:
        response = client.get(
            path, params={"agreement": "syria-2016-09", **params}, headers=headers
        )
        assert response.status_code == 200, (path, response.text[:300])
