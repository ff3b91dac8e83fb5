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


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.received.append((dict(self.headers), body))
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
        url = f"http://127.0.0.1:{server.server_port}/hook"
        secret = (
            _run(ws, "webhooks", "add", url, "--events", "decision", token=admin)
            .strip()
            .splitlines()[-1]
        )
        proposed = json.loads(_run(ws, "decisions", "propose", "--agreement", "syria-2016-09", "--kind",
                                   "reset_clock", "--subject", "C_seven_days", "--effective",
                                   "2016-09-16T12:00+03:00", token=us))  # fmt: skip
        assert _Receiver.received == []  # one key is not a decision
        approved = json.loads(_run(ws, "decisions", "approve", proposed["id"], "--agreement", "syria-2016-09",
                                   token=ru))  # fmt: skip
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
