"""Links between feeds never depend on what an audience may not see (issue 13, review).

Whether two incidents are linked depends on the others they are compared with: one that matches
two reports links to neither.  The UCDP row GED 227960 (Dael, Daraa, 18 Sept 2016, from the shared
fixture) is reported in one file by a monitor's team and by a party's cell (its submission,
unreleased).  The public and the other parties must see the day exactly as in a twin workspace
that holds the monitor's report alone: the monitor's report linked to the row, counted once.  The
reports are written for this test; the place, day and sides are the row's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ceasefire.cli import cli
from ceasefire.governance import add_user, authenticate
from ceasefire.service import release_submission
from ceasefire.store import Store
from tests.conftest import UCDP_SEPT

DAY = "2016-09-18"
ROW = "ucdp:227960"
SUBMITTER = "SYR_GOV"


def _report(report_id: str, reporter: str, kind: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": report_id, "kind": "incident", "reported_at": f"{DAY}T20:00+03:00",
        "reporter": {"name": reporter, "type": kind}, "time": {"at": DAY},
        "place": {"name": "Dael", "lat": 32.7539, "lon": 36.13, "radius_m": 2000,
                  "admin1": "Daraa Governorate"},
        "actors": [{"name": "Government of Syria", "role": "perpetrator"},
                   {"name": "Syrian insurgents", "role": "target"}],
        "category": "CIV.ATTACK", "fatalities": {"best": 11}, **extra,
    }  # fmt: skip


MONITOR = _report("dael-team", "monitoring team one", "monitor")
SUBMISSION = _report("dael-cell", "a liaison officer", "party", submitted_by=SUBMITTER)


def _run(ws: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--workspace", str(ws), "--timezone", "Asia/Damascus", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _day(ws: Path, audience: str) -> dict[str, Any]:
    out = _run(ws, "report", "daily", "--agreement", "syria-2016-09", "--date", DAY,
               "--format", "json", "--audience", audience)  # fmt: skip
    data: dict[str, Any] = json.loads(out)["summary"]["incidents"]
    return data


def _build(root: Path, reports: list[dict[str, Any]]) -> Path:
    ws = root / "ws"
    _run(ws, "import", "ucdp", str(UCDP_SEPT))
    path = root / "reports.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in reports), encoding="utf-8")
    _run(ws, "import", "reports", str(path))  # one file, one batch: linked together
    return ws


@pytest.fixture(scope="module")
def workspaces(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    planted = _build(tmp_path_factory.mktemp("planted"), [MONITOR, SUBMISSION])
    twin = _build(tmp_path_factory.mktemp("twin"), [MONITOR])
    return planted, twin


@pytest.mark.parametrize("audience", ["public", "party:SYR_INSURGENTS"])
def test_an_unreleased_submission_does_not_undo_a_link_others_see(
    workspaces: tuple[Path, Path], audience: str
) -> None:
    planted, twin = workspaces
    mine, theirs = _day(planted, audience), _day(twin, audience)
    # the twin links the monitor's report to the row: the row's 11 dead counted once
    assert "report:dael-team" not in theirs["incidents"]
    assert ROW in theirs["incidents"]
    assert mine == theirs
    links = _run(planted, "links", "list", "--format", "json", "--audience", audience)
    assert [(r["a"], r["b"]) for r in json.loads(links)] == [("report:dael-team", ROW)]


def test_the_submitting_cell_sees_its_own_report_linked(workspaces: tuple[Path, Path]) -> None:
    planted, _ = workspaces
    own = json.loads(_run(planted, "links", "list", "--format", "json",
                          "--audience", f"party:{SUBMITTER}"))  # fmt: skip
    assert {(r["a"], r["b"]) for r in own} == {("report:dael-cell", ROW),
                                               ("report:dael-team", ROW)}  # fmt: skip


def test_a_released_submission_is_linked_among_what_everyone_sees(tmp_path: Path) -> None:
    """Two unreleased reports of one cell both match the row (linked to neither, for the cell);
    once one is released, the public sees it linked to the row as if the other did not exist."""
    other = _report("dael-cell-2", "a liaison officer", "party", submitted_by=SUBMITTER)
    ws = _build(tmp_path, [SUBMISSION, other])
    with Store(ws) as store:
        add_user(store, "root", "admin", None, "bootstrap")
        token = add_user(store, "us-desk", "guarantor", "USA", "root")
        release_submission(store, authenticate(store, token), "report:dael-cell")
    public = _day(ws, "public")
    assert "report:dael-cell" not in public["incidents"]
    assert ROW in public["incidents"]
    assert "report:dael-cell-2" not in public["incidents"]


@pytest.mark.parametrize("role", ["public", "admin"])
def test_the_dashboard_counts_a_linked_event_once_as_the_report_does(
    workspaces: tuple[Path, Path], role: str
) -> None:
    from fastapi.testclient import TestClient

    from ceasefire.api.app import create_app
    from tests.conftest import TZ

    planted, _ = workspaces
    headers = {}
    if role == "admin":
        with Store(planted) as store:
            headers = {"Authorization": f"Bearer {add_user(store, 'root', 'admin', None, 'x')}"}
    client = TestClient(create_app(planted, TZ, rate=1e6, burst=1e6))
    query = f"agreement=syria-2016-09&date={DAY}"
    report = client.get(f"/reports/daily?{query}", headers=headers).json()["summary"]
    day = client.get(f"/dashboard/day?{query}", headers=headers).json()["summary"]
    assert day == report
    layer = client.get("/dashboard/layer?agreement=syria-2016-09", headers=headers).json()
    assert ROW in layer["keys"]
    # the public: the monitor's report counted in the row it reports; the centre's staff also see
    # the cell's report of it, and a row with two reports of one feed is merged with neither
    assert ("report:dael-team" in layer["keys"]) is (role == "admin")
