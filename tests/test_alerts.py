"""Signed webhooks: a decision that takes effect alerts a real receiver on loopback."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

from click.testing import CliRunner

from ceasefire.cli import cli
from tests.guarantor_keys import cli_key


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.received.append(({**dict(self.headers), "path": self.path}, body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


def _run(ws: Path, *args: str, token: str | None = None) -> str:
    result = CliRunner().invoke(
        cli, ["--workspace", str(ws), *args], env={"CEASEFIRE_TOKEN": token or ""}
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_decision_in_effect_sends_a_signed_alert(tmp_path: Path) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        ws = tmp_path / "ws"
        admin = _run(ws, "users", "add", "root", "--role", "admin").strip().splitlines()[-1]
        us = _run(
            ws, "users", "add", "us", "--role", "guarantor", "--party", "USA", token=admin
        ).splitlines()[-1]
        ru = _run(
            ws, "users", "add", "ru", "--role", "guarantor", "--party", "RUS", token=admin
        ).splitlines()[-1]
        us_key, ru_key = cli_key(ws, us, tmp_path / "us.key"), cli_key(ws, ru, tmp_path / "ru.key")
        url = f"http://127.0.0.1:{server.server_port}/hook"
        secret = (
            _run(ws, "webhooks", "add", url, "--events", "decision", token=admin)
            .strip()
            .splitlines()[-1]
        )
        proposed = json.loads(_run(ws, "decisions", "propose", "--agreement", "syria-2016-09", "--kind",
                                   "reset_clock", "--subject", "C_seven_days", "--effective",
                                   "2016-09-16T12:00+03:00", "--key", us_key, token=us))  # fmt: skip
        assert _Receiver.received == []  # one key is not a decision
        approved = json.loads(_run(ws, "decisions", "approve", proposed["id"], "--agreement", "syria-2016-09",
                                   "--key", ru_key, token=ru))  # fmt: skip
        assert approved["in_effect"] is True
        assert approved["alerts"][0]["error"] is None
        ((headers, body),) = _Receiver.received
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-Ceasefire-Signature"] == expected
        assert headers["X-Ceasefire-Event"] == "decision"
        assert json.loads(body)["payload"]["id"] == proposed["id"]
    finally:
        server.shutdown()
        server.server_close()
        _Receiver.received.clear()


def test_webhook_urls_must_be_https_or_loopback(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    admin = _run(ws, "users", "add", "root", "--role", "admin").strip().splitlines()[-1]
    result = CliRunner().invoke(cli, ["--workspace", str(ws), "webhooks", "add", "http://10.0.0.5/hook"],
                                env={"CEASEFIRE_TOKEN": admin})  # fmt: skip
    assert result.exit_code == 2
    assert "https://" in result.output


def _receiver() -> tuple[HTTPServer, str]:
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}/hook"


def _events(kind: str, path: str | None = None) -> list[dict[str, Any]]:
    return [
        json.loads(b)["payload"]
        for h, b in _Receiver.received
        if h["X-Ceasefire-Event"] == kind and path in (None, h["path"])
    ]


def test_serious_incidents_and_clock_changes_alert_once(tmp_path: Path) -> None:
    import csv

    from tests.conftest import UCDP_SEPT

    server, url = _receiver()
    try:
        ws = tmp_path / "ws"
        admin = _run(ws, "users", "add", "root", "--role", "admin").strip().splitlines()[-1]
        us = _run(
            ws, "users", "add", "us", "--role", "guarantor", "--party", "USA", token=admin
        ).splitlines()[-1]
        ru = _run(
            ws, "users", "add", "ru", "--role", "guarantor", "--party", "RUS", token=admin
        ).splitlines()[-1]
        us_key, ru_key = cli_key(ws, us, tmp_path / "us.key"), cli_key(ws, ru, tmp_path / "ru.key")
        _run(ws, "webhooks", "add", url, "--events", "serious_incident", token=admin)
        _run(
            ws,
            "webhooks",
            "add",
            url,
            "--events",
            "clock",
            "--agreement",
            "syria-2016-09",
            token=admin,
        )
        _run(ws, "import", "ucdp", str(UCDP_SEPT))
        # counted from the file: the events with a best estimate of 10 deaths or more
        with UCDP_SEPT.open(encoding="utf-8", newline="") as handle:
            big = {f"ucdp:{r['id']}" for r in csv.DictReader(handle) if int(r["best"]) >= 10}
        assert len(big) == 35
        serious = _events("serious_incident")
        assert {p["key"] for p in serious} == big
        assert all(p["reasons"][0].endswith("deaths (best estimate) ≥ 10") for p in serious)
        (first_clock,) = _events("clock")  # the clock's first state, every day from the start
        assert first_clock["agreement"] == "syria-2016-09"
        days = {c["date"]: c for c in first_clock["changed"]}
        assert days["2016-09-15"]["before"] is None
        assert days["2016-09-15"]["after"]["phase"] == "cessation"
        assert days["2016-09-20"]["after"]["phase"] is None  # ended at 19:00 on 19 Sept
        # the same file again changes nothing: no alert
        count = len(_Receiver.received)
        _run(ws, "import", "ucdp", str(UCDP_SEPT))
        assert len(_Receiver.received) == count
        # the guarantors extend the cessation to 21 Sept: the clock changes on 19–21 Sept
        proposed = json.loads(_run(ws, "decisions", "propose", "--agreement", "syria-2016-09", "--kind",
                                   "extend_phase", "--subject", "cessation", "--effective",
                                   "2016-09-19T19:00+03:00", "--until", "2016-09-21T19:00+03:00",
                                   "--decided-at", "2016-09-19T12:00+03:00", "--key", us_key, token=us))  # fmt: skip
        _run(
            ws,
            "decisions",
            "approve",
            proposed["id"],
            "--agreement",
            "syria-2016-09",
            "--key",
            ru_key,
            token=ru,
        )
        clock = _events("clock")
        assert len(clock) == 2
        changed = {c["date"]: c for c in clock[1]["changed"]}
        assert changed["2016-09-20"]["before"]["phase"] is None
        assert changed["2016-09-20"]["after"]["phase"] == "cessation"
        assert "2016-09-15" not in changed  # days before the extension did not change
    finally:
        server.shutdown()
        server.server_close()
        _Receiver.received.clear()


def test_a_clock_hook_needs_an_agreement(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    admin = _run(ws, "users", "add", "root", "--role", "admin").strip().splitlines()[-1]
    result = CliRunner().invoke(cli, ["--workspace", str(ws), "webhooks", "add", "https://example.org/h",
                                      "--events", "clock"], env={"CEASEFIRE_TOKEN": admin})  # fmt: skip
    assert result.exit_code == 2
    assert "give --agreement" in result.output


def test_a_serious_report_posted_to_the_api_alerts_after_it_is_stored(tmp_path: Path) -> None:
    """A monitor's report is a submission to the centre: the staff's hook hears of it once it is
    stored; the public's hook only when a guarantor releases it, and the staff's not twice."""
    import time

    from fastapi.testclient import TestClient

    from ceasefire.api.app import create_app
    from tests.conftest import TZ

    server, url = _receiver()
    try:
        ws = tmp_path / "ws"
        admin = _run(ws, "users", "add", "root", "--role", "admin").strip().splitlines()[-1]
        monitor = _run(ws, "users", "add", "team-1", "--role", "monitor", token=admin).splitlines()[
            -1
        ]
        us = _run(ws, "users", "add", "us", "--role", "guarantor", "--party", "USA",
                  token=admin).splitlines()[-1]  # fmt: skip
        _run(ws, "webhooks", "add", url + "/staff", "--events", "serious_incident",
             "--audience", "all", token=admin)  # fmt: skip
        _run(ws, "webhooks", "add", url + "/public", "--events", "serious_incident", token=admin)
        client = TestClient(create_app(ws, TZ))
        report = {
            "id": "convoy-hit", "kind": "incident", "reported_at": "2016-09-19T22:00+03:00",
            "reporter": {"name": "monitor team 1", "type": "monitor"},
            "time": {"at": "2016-09-19T19:30+03:00", "precision": "hour"},
            "place": {"name": "Urum al-Kubra", "lat": 36.15, "lon": 36.93, "precision": 2},
            "actors": [], "category": "HUM.ATTACK",
        }  # fmt: skip
        routine = {**report, "id": "shelling-1", "category": "ATK.IND"}
        keys = []
        for body in (report, routine):
            response = client.post(
                "/reports", json=body, headers={"Authorization": f"Bearer {monitor}"}
            )
            assert response.status_code == 201
            keys.append(response.json()["key"])
        assert keys[0] == "report:2~convoy-hit"  # team-1 is account 2: its ids are its own
        deadline = time.monotonic() + 10
        while not _events("serious_incident") and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # a second (wrong) alert would have arrived by now
        (alert,) = _events("serious_incident", "/hook/staff")
        assert alert["key"] == keys[0]
        assert alert["reasons"] == ["category HUM.ATTACK"]
        assert _events("serious_incident", "/hook/public") == []  # not released yet
        released = client.post(f"/reports/{keys[0]}/release",
                               headers={"Authorization": f"Bearer {us}"})  # fmt: skip
        assert released.status_code == 200
        (public,) = _events("serious_incident", "/hook/public")
        assert public["key"] == keys[0]
        assert len(_events("serious_incident", "/hook/staff")) == 1
    finally:
        server.shutdown()
        server.server_close()
        _Receiver.received.clear()


def test_a_webhook_url_changed_to_another_scheme_is_not_opened(tmp_path: Path) -> None:
    from ceasefire.alerts import _deliver

    secret = tmp_path / "secret.txt"
    secret.write_text("not to be read", encoding="utf-8")
    answer = _deliver(secret.as_uri(), "s", "incident.changed", 1, b"{}")
    assert answer == "not sent: the webhook's URL is not http(s)"


def test_a_determination_on_an_unreleased_complaint_withholds_its_subject(tmp_path: Path) -> None:
    """A decision is a public act, but one about a submission not yet released must not tell the
    public (or another party) that the submission exists: its subject is withheld in the
    public's webhook and in ``GET /decisions``; the centre's staff and the cell read it."""
    from fastapi.testclient import TestClient

    from ceasefire.api.app import create_app
    from tests.conftest import TZ

    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        ws = tmp_path / "ws"
        admin = _run(ws, "users", "add", "root", "--role", "admin").strip().splitlines()[-1]
        us = _run(
            ws, "users", "add", "us", "--role", "guarantor", "--party", "USA", token=admin
        ).splitlines()[-1]
        ru = _run(
            ws, "users", "add", "ru", "--role", "guarantor", "--party", "RUS", token=admin
        ).splitlines()[-1]
        cell = _run(
            ws, "users", "add", "cell", "--role", "party", "--party", "SYR_GOV", token=admin
        ).splitlines()[-1]
        us_key, ru_key = cli_key(ws, us, tmp_path / "us.key"), cli_key(ws, ru, tmp_path / "ru.key")
        complaint = {"id": "shelled-school", "kind": "incident", "reported_at": "2016-09-15T10:00+03:00",
                     "reporter": {"name": "liaison officer", "type": "party"},
                     "time": {"at": "2016-09-14"},
                     "place": {"name": "Kafr Hamra", "lat": 36.27, "lon": 37.07},
                     "actors": [{"name": "Jaysh al-Islam", "role": "perpetrator"}],
                     "category": "ATK.IND"}  # fmt: skip
        lines = tmp_path / "complaint.jsonl"
        lines.write_text(json.dumps(complaint) + "\n")
        _run(ws, "import", "reports", str(lines), "--submitted-by", "SYR_GOV")
        key = "report:shelled-school"
        hooks = {}
        for audience in ("public", "all"):
            url = f"http://127.0.0.1:{server.server_port}/{audience}"
            _run(ws, "webhooks", "add", url, "--events", "decision", "--audience", audience,
                 token=admin)  # fmt: skip
            hooks[f"/{audience}"] = audience
        proposed = json.loads(_run(ws, "decisions", "propose", "--agreement", "syria-2016-09",
                                   "--kind", "publish_determination", "--subject", key,
                                   "--value", "violation", "--effective", "2016-09-16T12:00+03:00",
                                   "--decided-at", "2016-09-16T12:00+03:00",
                                   "--key", us_key, token=us))  # fmt: skip
        approved = json.loads(_run(ws, "decisions", "approve", proposed["id"], "--agreement",
                                   "syria-2016-09", "--key", ru_key, token=ru))  # fmt: skip
        assert approved["in_effect"] is True
        payloads = {h["path"]: json.loads(b)["payload"] for h, b in _Receiver.received}
        assert set(payloads) == set(hooks)
        assert payloads["/public"]["subject"] == "(withheld)"
        assert payloads["/public"]["subject_withheld"] is True
        assert key not in json.dumps(payloads["/public"])
        assert payloads["/all"]["subject"] == key
        client = TestClient(create_app(ws, TZ))

        def subjects(token: str | None) -> list[Any]:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            answer = client.get("/decisions", params={"agreement": "syria-2016-09"},
                                headers=headers)  # fmt: skip
            assert answer.status_code == 200, answer.text
            return [d["subject"] for d in answer.json()["decisions"] if d["id"] == proposed["id"]]

        assert subjects(None) == ["(withheld)"]
        assert subjects(us) == [key]
        assert subjects(cell) == [key]  # the cell's own submission

        def in_force(token: str | None) -> list[Any]:  # the clock's status lists it in force
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            answer = client.get("/status", params={"agreement": "syria-2016-09",
                                "at": "2016-09-17T12:00+03:00"}, headers=headers)  # fmt: skip
            assert answer.status_code == 200, answer.text
            return [d["subject"] for d in answer.json()["decisions"] if d["id"] == proposed["id"]]

        assert in_force(None) == ["(withheld)"]
        assert in_force(us) == [key]
        assert key not in client.get("/reports/daily", params={"agreement": "syria-2016-09",
                                     "date": "2016-09-17"}).text  # fmt: skip
    finally:
        server.shutdown()
        server.server_close()
        _Receiver.received.clear()
