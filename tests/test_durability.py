"""Kill -9 of the server while clients send reports, 20 times, on loopback (bounded in time):
every acknowledged report is present after restart, and retries with the same Idempotency-Key
create no duplicates."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from ceasefire.governance import add_user
from ceasefire.store import Store

ROUNDS = 20
CLIENTS = 4
PER_CLIENT = 15


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(ws: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "ceasefire", "--workspace", str(ws), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise AssertionError("the server did not start within 30 s")


def _post(port: int, token: str, rid: str) -> bool:
    body = json.dumps({
        "id": rid, "kind": "incident", "reported_at": "2016-09-15T10:00+03:00",
        "reporter": {"name": "monitor", "type": "monitor"}, "time": {"at": "2016-09-15"},
        "place": {"name": "Aleppo", "lat": 36.2, "lon": 37.15}, "actors": [], "category": "ATK.IND",
    }).encode()  # fmt: skip
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/reports", data=body, method="POST",
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": rid, "Content-Type": "application/json"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return bool(response.status == 201)
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


@pytest.mark.slow
def test_kill_9_loses_no_acknowledged_report(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    with Store(ws) as store:
        add_user(store, "root", "admin", None, "bootstrap")
        token = add_user(store, "team", "monitor", None, "root")
    acknowledged: set[str] = set()
    pending: set[str] = set()
    lock = threading.Lock()
    started = time.monotonic()
    for round_no in range(ROUNDS):
        port = _free_port()
        proc = _start(ws, port)
        todo = sorted(pending) + [
            f"r{round_no}-{c}-{i}" for c in range(CLIENTS) for i in range(PER_CLIENT)
        ]
        pending.clear()

        def client(items: list[str], port: int = port) -> None:
            for rid in items:
                ok = _post(port, token, rid)
                with lock:
                    (acknowledged if ok else pending).add(rid)

        threads = [
            threading.Thread(target=client, args=(todo[k::CLIENTS],)) for k in range(CLIENTS)
        ]
        for t in threads:
            t.start()
        time.sleep(0.15 + 0.02 * (round_no % 5))  # kill while requests are in flight
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        for t in threads:
            t.join(timeout=30)
        assert time.monotonic() - started < 240, "the loop is bounded in time"
    # one last clean run retries everything not acknowledged, with the same keys
    port = _free_port()
    proc = _start(ws, port)
    try:
        for rid in sorted(pending):
            assert _post(port, token, rid)
            acknowledged.add(rid)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
    store = Store(ws)
    conn = store.conn
    stored = {
        k for (k,) in conn.execute("SELECT key FROM incidents WHERE source_system = 'report'")
    }
    revisions = conn.execute(
        "SELECT count(*), count(DISTINCT key) FROM incident_revisions"
    ).fetchone()
    store.close()
    assert {f"report:2~{r}" for r in acknowledged} <= stored  # team (account 2) namespaces its ids
    assert revisions[0] == revisions[1], "a retried report was stored twice"
    assert len(acknowledged) == ROUNDS * CLIENTS * PER_CLIENT
