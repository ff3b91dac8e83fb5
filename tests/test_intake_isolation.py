"""Intake that isolates (issue 13, item 8): report ids namespaced by the reporting account, an
Idempotency-Key bound to one report, the size checked before and while the body is read (and
only after authentication), and the security headers on every answer."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from ceasefire.api.app import MAX_BODY_BYTES, create_app
from ceasefire.api.security import CONTENT_SECURITY_POLICY
from ceasefire.governance import add_user
from ceasefire.store import Store
from tests.conftest import TZ

REPORT: dict[str, Any] = {
    "id": "r-shared", "kind": "incident", "reported_at": "2016-09-15T10:00+03:00",
    "reporter": {"name": "monitor team 2", "type": "monitor"}, "time": {"at": "2016-09-15"},
    "place": {"name": "Aleppo", "lat": 36.2, "lon": 37.15, "admin1": "Aleppo Governorate"},
    "actors": [{"name": "Government of Syria", "role": "perpetrator"}], "category": "ATK.IND",
}  # fmt: skip


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict[str, str], Path]:
    ws = tmp_path_factory.mktemp("isolation") / "ws"
    tokens: dict[str, str] = {}
    with Store(ws) as store:
        tokens["admin"] = add_user(store, "root", "admin", None, "bootstrap")  # account 1
        tokens["gov"] = add_user(store, "gov-cell", "party", "SYR_GOV", "root")  # account 2
        tokens["opp"] = add_user(store, "opp-cell", "party", "SYR_INSURGENTS", "root")  # 3
        tokens["monitor"] = add_user(store, "team-2", "monitor", None, "root")  # account 4
    app = create_app(ws, TZ, rate=10_000.0, burst=10_000.0)
    return app, tokens, ws


def _auth(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


def test_the_same_id_from_two_accounts_is_two_reports(
    api: tuple[Any, dict[str, str], Path],
) -> None:
    app, tokens, ws = api
    client = TestClient(app)
    gov = client.post("/reports", json=REPORT, headers=_auth(tokens["gov"]))
    other = {**REPORT, "place": {**REPORT["place"], "name": "Overwritten"}}
    opp = client.post("/reports", json=other, headers=_auth(tokens["opp"]))
    assert gov.status_code == opp.status_code == 201
    assert (gov.json()["key"], opp.json()["key"]) == ("report:2~r-shared", "report:3~r-shared")
    # the second account learns nothing: its answer is the one any new id gets
    assert opp.json()["stored"]["added"] == 1
    assert opp.json()["stored"]["revised"] == 0
    with Store(ws) as store:
        first = store.incident("report:2~r-shared")
        assert first is not None
        assert first.place.name == "Aleppo"  # the first account's report is untouched
        (meta,) = store.conn.execute(
            "SELECT account, party FROM report_meta WHERE key = 'report:2~r-shared'"
        ).fetchall()
        assert tuple(meta) == (2, "SYR_GOV")


def test_an_account_revises_only_its_own_report(api: tuple[Any, dict[str, str], Path]) -> None:
    app, tokens, ws = api
    client = TestClient(app)
    body = {**REPORT, "id": "r-own"}
    assert client.post("/reports", json=body, headers=_auth(tokens["monitor"])).status_code == 201
    corrected = {**body, "fatalities": {"best": 3}}
    again = client.post("/reports", json=corrected, headers=_auth(tokens["monitor"]))
    assert again.json()["stored"]["revised"] == 1  # its own report: a new revision
    probe = client.post("/reports", json=corrected, headers=_auth(tokens["gov"]))
    assert probe.json()["stored"] == {**again.json()["stored"], "added": 1, "revised": 0,
                                      "file": "api:gov-cell"}  # fmt: skip
    with Store(ws) as store:
        assert [rev for rev, _ in store.incident_history("report:4~r-own")] == [1, 2]
        assert [rev for rev, _ in store.incident_history("report:2~r-own")] == [1]


def test_an_idempotency_key_with_a_different_report_is_a_conflict(
    api: tuple[Any, dict[str, str], Path],
) -> None:
    app, tokens, ws = api
    client = TestClient(app)
    headers = _auth(tokens["monitor"], **{"Idempotency-Key": "k-409"})
    first = client.post("/reports", json={**REPORT, "id": "r-k"}, headers=headers)
    assert first.status_code == 201
    retry = client.post("/reports", content=json.dumps({**REPORT, "id": "r-k"}, indent=2),
                        headers=headers)  # fmt: skip
    assert (retry.status_code, retry.json()) == (201, first.json())  # the same report, resent
    other = client.post("/reports", json={**REPORT, "id": "r-k2"}, headers=headers)
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_conflict"
    # the key is the account's own: another account may use it for its own report
    elsewhere = client.post("/reports", json={**REPORT, "id": "r-k2"},
                            headers=_auth(tokens["gov"], **{"Idempotency-Key": "k-409"}))  # fmt: skip
    assert elsewhere.status_code == 201
    with Store(ws) as store:
        assert store.incident("report:4~r-k2") is None


def test_an_oversized_body_is_refused_from_its_header_and_while_streaming(
    api: tuple[Any, dict[str, str], Path],
) -> None:
    app, tokens, _ = api
    client = TestClient(app)
    declared = client.post("/reports", content=b"x" * (MAX_BODY_BYTES + 1),
                           headers=_auth(tokens["monitor"]))  # fmt: skip
    assert declared.status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the size is known only while reading
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b" " * 65536

    streamed = client.post("/reports", content=chunks(), headers=_auth(tokens["monitor"]))
    assert streamed.status_code == 413
    assert streamed.json()["error"]["code"] == "too_large"


def _call(
    app: Any, headers: list[tuple[bytes, bytes]], chunk: bytes, chunks: int
) -> tuple[int, int]:
    """POST /reports through the ASGI interface; (status, body bytes the app pulled)."""
    pulled = 0
    sent = 0
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal pulled, sent
        sent += 1
        pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": sent < chunks}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": "/reports", "raw_path": b"/reports", "query_string": b"",
             "root_path": "", "headers": headers, "client": ("127.0.0.1", 1), "server": ("t", 80)}  # fmt: skip
    asyncio.run(app(scope, receive, send))
    return status, pulled


def test_a_300_mb_body_without_a_token_is_refused_before_it_is_read(
    api: tuple[Any, dict[str, str], Path],
) -> None:
    app, tokens, _ = api
    big = [(b"content-length", b"300000000"), (b"content-type", b"application/json")]
    status, pulled = _call(app, big, b"x" * 1_000_000, 300)
    assert (status, pulled) == (401, 0)
    status, pulled = _call(
        app, [*big, (b"authorization", b"Bearer not-a-token")], b"x" * 1_000_000, 300
    )
    assert (status, pulled) == (401, 0)
    party_not_allowed = [*big, (b"authorization", f"Bearer {tokens['admin']}".encode())]
    assert _call(app, party_not_allowed, b"x" * 1_000_000, 300) == (403, 0)
    # with a valid token: refused from its Content-Length, still before reading
    valid = [*big, (b"authorization", f"Bearer {tokens['monitor']}".encode())]
    assert _call(app, valid, b"x" * 1_000_000, 300) == (413, 0)
    # no Content-Length: read until the limit is passed, not one chunk further
    chunked = [(b"authorization", f"Bearer {tokens['monitor']}".encode())]
    status, pulled = _call(app, chunked, b"x" * 65536, 4600)
    assert status == 413
    assert MAX_BODY_BYTES < pulled <= MAX_BODY_BYTES + 65536


def test_a_real_server_answers_a_300_mb_claim_without_waiting_for_it(
    api: tuple[Any, dict[str, str], Path],
) -> None:
    app, _, _ = api
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        for auth in (b"", b"Authorization: Bearer not-a-token\r\n"):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
                client.sendall(b"POST /reports HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                               b"Content-Length: 300000000\r\n" + auth + b"\r\n" + b"x" * 65536)  # fmt: skip
                started = time.monotonic()
                answer = client.recv(4096)
            assert answer.startswith(b"HTTP/1.1 401"), answer[:200]
            assert time.monotonic() - started < 5  # answered without the other 299.9 MB
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/"), ("GET", "/status?agreement=syria-2016-09&at=2016-09-14T12:00"),
     ("GET", "/reports/daily?agreement=syria-2016-09&date=2016-09-14"), ("GET", "/no-such"),
     ("POST", "/reports"), ("GET", "/openapi.json"), ("GET", "/whoami")],
)  # fmt: skip
def test_every_answer_carries_the_security_headers(
    api: tuple[Any, dict[str, str], Path], method: str, path: str
) -> None:
    app, _, _ = api
    response = TestClient(app).request(method, path)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert response.headers.get_list("content-security-policy") == [CONTENT_SECURITY_POLICY]


def test_a_rate_limited_answer_carries_them_too(tmp_path: Path) -> None:
    client = TestClient(create_app(tmp_path / "ws", TZ, rate=0.001, burst=1.0))
    client.get("/whoami")
    limited = client.get("/whoami")
    assert limited.status_code == 429
    assert limited.headers["x-content-type-options"] == "nosniff"
