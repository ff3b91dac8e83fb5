"""A submission revised, and ids that collide between senders (issue 13, review).

A guarantor releases what a party's submission said then: the party's later revision is not
released with it, and reaches the public only when a guarantor releases it again.  Report ids are
each sender's own numbering: a party's file and a monitor's file that both number their reports
from 1 never rewrite (nor, through the restriction, hide) each other's records; the later one is
quarantined with its reason.  The reports are written for this test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from fastapi.testclient import TestClient

from ceasefire.api.app import create_app
from ceasefire.cli import cli
from ceasefire.governance import add_user
from ceasefire.store import Store
from tests.conftest import TZ

DAY = "2016-09-14"


def _incident(report_id: str, place: str, reporter: str, kind: str = "party") -> dict[str, Any]:
    return {
        "id": report_id, "kind": "incident", "reported_at": f"{DAY}T20:00+03:00",
        "reporter": {"name": reporter, "type": kind}, "time": {"at": DAY},
        "place": {"name": place, "lat": 35.9, "lon": 36.63, "admin1": "Idleb Governorate"},
        "actors": [{"name": "Government of Syria", "role": "perpetrator"}],
        "category": "CIV.ATTACK", "fatalities": {"best": 3},
    }  # fmt: skip


def _public_places(client: TestClient) -> list[str]:
    answer = client.get("/reports")
    assert answer.status_code == 200, answer.text
    return [r["place"]["name"] for r in answer.json()]


def test_a_released_submission_revised_waits_for_a_new_release(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    with Store(ws) as store:
        add_user(store, "root", "admin", None, "bootstrap")
        guarantor = add_user(store, "us-desk", "guarantor", "USA", "root")
        party = add_user(store, "opp-cell", "party", "SYR_INSURGENTS", "root")
    client = TestClient(create_app(ws, TZ, rate=1e6, burst=1e6))
    as_party = {"Authorization": f"Bearer {party}"}
    as_guarantor = {"Authorization": f"Bearer {guarantor}"}
    posted = client.post("/reports", json=_incident("1", "Kafr First", "officer"), headers=as_party)
    assert posted.status_code == 201, posted.text
    key = posted.json()["key"]
    assert client.post(f"/reports/{key}/release", headers=as_guarantor).status_code == 200
    assert _public_places(client) == ["Kafr First"]
    revised = client.post("/reports", json=_incident("1", "Kafr Second", "officer"),
                          headers=as_party)  # fmt: skip
    assert revised.status_code == 201, revised.text
    assert revised.json()["stored"]["revised"] == 1
    assert _public_places(client) == []  # the revision was never released
    assert client.post(f"/reports/{key}/release", headers=as_guarantor).status_code == 200
    assert _public_places(client) == ["Kafr Second"]
    verify = CliRunner().invoke(cli, ["--workspace", str(ws), "audit", "verify"])
    assert verify.exit_code == 0, verify.output


def _run(ws: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--workspace", str(ws), "--timezone", "Asia/Damascus", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _public_incident(ws: Path, key: str) -> dict[str, Any]:
    out = json.loads(_run(ws, "incident", key, "--audience", "public"))
    latest: dict[str, Any] = out["revisions"][-1]
    return latest


def test_a_party_file_does_not_rewrite_or_hide_a_monitors_report(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    monitors = tmp_path / "monitors.jsonl"
    monitors.write_text(json.dumps(_incident("1", "Tell Monitored", "team one", "monitor")) + "\n")
    cell = tmp_path / "cell.jsonl"
    cell.write_text(json.dumps(_incident("1", "Tell Claimed", "liaison officer")) + "\n")
    _run(ws, "import", "reports", str(monitors))
    out = _run(ws, "import", "reports", str(cell), "--submitted-by", "SYR_GOV")
    assert "added 0, revised 0, unchanged 0, quarantined 1" in out
    assert _public_incident(ws, "report:1")["place"]["name"] == "Tell Monitored"
    quarantined = _run(ws, "quarantine")
    assert "report:1: is stored already as a record that is nobody's submission" in quarantined


def test_a_public_file_does_not_rewrite_a_partys_submission(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    cell = tmp_path / "cell.jsonl"
    cell.write_text(json.dumps(_incident("7", "Tell Claimed", "liaison officer")) + "\n")
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps(_incident("7", "Tell Other", "team one", "monitor")) + "\n")
    _run(ws, "import", "reports", str(cell), "--submitted-by", "SYR_GOV")
    out = _run(ws, "import", "reports", str(other))
    assert "quarantined 1" in out
    operator = json.loads(_run(ws, "incident", "report:7"))
    assert operator["revisions"][-1]["place"]["name"] == "Tell Claimed"
    assert len(operator["revisions"]) == 1


def test_a_party_cannot_judge_its_own_submission(tmp_path: Path) -> None:
    """A party cell's report that says it was verified, or carries a qualification 'determined'
    by a name it chose, is refused at the door (the API: 422 naming the field; a file: that line
    quarantined); a monitor's report may carry judgements."""
    ws = tmp_path / "ws"
    with Store(ws) as store:
        add_user(store, "root", "admin", None, "bootstrap")
        party = add_user(store, "opp-cell", "party", "SYR_INSURGENTS", "root")
        monitor = add_user(store, "team", "monitor", None, "root")
    client = TestClient(create_app(ws, TZ, rate=1e6, burst=1e6))
    determined = {"axis": "qualification", "value": "violation",
                  "known_from": f"{DAY}T21:00+03:00", "by": "the guarantors"}  # fmt: skip
    verified = {**_incident("v", "Kafr Verified", "officer"), "occurrence": "verified"}
    judged = {**_incident("j", "Kafr Judged", "officer"), "judgements": [determined]}
    for body, field in ((verified, "occurrence"), (judged, "judgements[0]")):
        answer = client.post("/reports", json=body, headers={"Authorization": f"Bearer {party}"})
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["message"].startswith(f"{field}: a party's submission")
    by_monitor = {**_incident("m", "Kafr Monitored", "team one", "monitor"),
                  "judgements": [determined]}  # fmt: skip
    answer = client.post(
        "/reports", json=by_monitor, headers={"Authorization": f"Bearer {monitor}"}
    )
    assert answer.status_code == 201, answer.text
    lines = tmp_path / "cell.jsonl"
    lines.write_text("".join(json.dumps(o) + "\n" for o in (
        {**judged, "submitted_by": "SYR_INSURGENTS"}, _incident("plain", "Kafr Plain", "officer"))))  # fmt: skip
    out = _run(ws, "import", "reports", str(lines))
    assert "added 1, revised 0, unchanged 0, quarantined 1" in out
    assert "judgements[0]: a party's submission carries no judgements" in _run(ws, "quarantine")
    with Store(ws) as store:
        assert store.incident("report:j") is None
        assert store.incident("report:plain") is not None  # an unnamed cell's allegation
