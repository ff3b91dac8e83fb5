"""Agreements only from a trusted catalogue: bundled names and those an admin registered.

Every route that takes an agreement is tried with traversal, absolute paths (one of them to a
real agreement file), a symlink in the server's working folder, names too long for a file, and
other non-names: each answers 404 or 422 in the one error shape, and the server opens no file
for it (a Python audit hook watches every ``open`` while the request runs).  Registering is an
admin's act, audited and versioned, and a registered agreement is then served like a bundled one.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from ceasefire.agreements.loader import bundled_agreement_path
from ceasefire.api.app import create_app
from ceasefire.cli import cli
from ceasefire.governance import add_user
from ceasefire.store import Store
from tests.conftest import TZ

REGISTERED = "jic-test-2016"


def registrable_agreement(new_id: str = REGISTERED, base: str = "syria-2016-09",
                          title: str | None = None) -> str:  # fmt: skip
    """A bundled agreement's text under another id (and, if given, another title)."""
    text = bundled_agreement_path(base).read_text(encoding="utf-8")
    text = text.replace(f"  id: {base}\n", f"  id: {new_id}\n", 1)
    assert f"  id: {new_id}\n" in text
    if title is not None:
        start = text.index("\n  title: ") + 1
        end = text.index("\n", start)
        text = text[:start] + f"  title: {json.dumps(title)}" + text[end:]
    return text


# --- watching the server's file opens --------------------------------------------------------
_OPENED: list[str] = []
_WATCHING = [False]


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _WATCHING[0] and event == "open" and args and isinstance(args[0], (str, bytes, Path)):
        _OPENED.append(str(args[0]))


sys.addaudithook(_audit)  # permanent for the process; records only while _WATCHING


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> tuple[TestClient, dict[str, str]]:
    ws = tmp_path_factory.mktemp("catalogue") / "ws"
    with Store(ws) as store:
        tokens = {"admin": add_user(store, "root", "admin", None, "bootstrap")}
        tokens["guarantor"] = add_user(store, "us-desk", "guarantor", "USA", "root")
        tokens["monitor"] = add_user(store, "team-1", "monitor", None, "root")
    return TestClient(create_app(ws, TZ, rate=1e6, burst=1e6)), tokens


BUNDLED_FILE = str(bundled_agreement_path("syria-2016-09"))
HOSTILE = [
    "../../../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "/etc/passwd", BUNDLED_FILE,
    "syria-2016-09.yaml", "./syria-2016-09", "data/agreements/syria-2016-09.yaml",
    "jic-symlink", "jic-symlink.yaml", "SYRIA-2016-09", "syria--2016", "-syria",
    "a" * 65, "a" * 5000, "syria-2016-09\x00.yaml", "syria\u00ad2016", "~", "", " ",
    "C:\\Windows\\win.ini", "file:///etc/passwd",
]  # fmt: skip


def _calls(value: str) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """Every route that takes an agreement, with ``value`` as its agreement (method, url, kw)."""
    q = {"agreement": value}
    return {
        "GET /status": ("GET", "/status", {"params": {**q, "at": "2016-09-14T12:00+03:00"}}),
        "GET /findings": ("GET", "/findings", {"params": q}),
        "GET /reports/daily": ("GET", "/reports/daily", {"params": {**q, "date": "2016-09-14"}}),
        "GET /exports/{layout}": ("GET", "/exports/hxl", {"params": q}),
        "POST /decisions": ("POST", "/decisions", {"json": {
            **q, "kind": "extend_phase", "subject": "cessation",
            "effective": "2016-09-19T19:00+03:00", "until": "2016-09-20T19:00+03:00"}}),
        "POST /decisions/{decision_id}/approve": ("POST", "/decisions/DEC-0001/approve",
                                                  {"params": q}),
        "GET /agreements/{name}": ("GET", "/agreements/{name}", {}),
        "GET /zones": ("GET", "/zones", {"params": q}),
        "GET /decisions": ("GET", "/decisions", {"params": q}),
        "GET /incidents/{key}": ("GET", "/incidents/ucdp:1", {"params": q}),
        "GET /scorecards": ("GET", "/scorecards", {"params": q}),
        "GET /dashboard/layer": ("GET", "/dashboard/layer", {"params": q}),
        "GET /dashboard/day": ("GET", "/dashboard/day", {"params": {**q, "date": "2016-09-14"}}),
        "GET /dashboard/report": ("GET", "/dashboard/report",
                                  {"params": {**q, "date": "2016-09-14"}}),
    }  # fmt: skip


def test_every_route_that_takes_an_agreement_is_tried() -> None:
    app = create_app(Path("/nonexistent-never-opened"), TZ)
    taking = set()
    for route in app.routes:
        if not isinstance(route, APIRoute):
            continue
        names = {p.name for p in (*route.dependant.query_params, *route.dependant.path_params)}
        models = [getattr(p.field_info, "annotation", None) for p in route.dependant.body_params]
        body = any("agreement" in getattr(m, "model_fields", {}) for m in models)
        if "agreement" in names or body or route.path == "/agreements/{name}":
            for method in route.methods or ():
                path = route.path.replace("{key:path}", "{key}")
                taking.add(f"{method} {path}")
    assert taking == set(_calls("x"))


def test_a_path_or_non_name_is_refused_and_nothing_is_read(
    server: tuple[TestClient, dict[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, tokens = server
    # a symlink to a real agreement in the server's working folder, named like a name
    monkeypatch.chdir(tmp_path)
    for link in ("jic-symlink", "jic-symlink.yaml"):
        (tmp_path / link).symlink_to(BUNDLED_FILE)
    headers = {"guarantor": {"Authorization": f"Bearer {tokens['guarantor']}"},
               "monitor": {"Authorization": f"Bearer {tokens['monitor']}"}}  # fmt: skip
    for value in HOSTILE:
        for route, (method, url, kw) in _calls(value).items():
            who = "guarantor" if route.startswith("POST") else "monitor"
            if "{name}" in url:
                if not value.strip() or "\x00" in value:
                    continue  # not a path segment a client can send; the query forms cover it
                url = url.replace("{name}", value.replace("/", "%2F"))
            _OPENED.clear()
            _WATCHING[0] = True
            try:
                answer = client.request(method, url, headers=headers[who], **kw)
            finally:
                _WATCHING[0] = False
            assert answer.status_code in (404, 422), (route, value, answer.status_code, answer.text)
            body = answer.json()
            assert set(body) == {"error"}, (route, value)
            assert set(body["error"]) == {"code", "message"}, (route, value)
            suspicious = [p for p in _OPENED if "passwd" in p or "win.ini" in p or "symlink" in p
                          or p.endswith("syria-2016-09.yaml")]  # fmt: skip
            assert suspicious == [], (route, value, suspicious)


def test_a_webhook_cannot_keep_a_path(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    with Store(ws) as store:
        admin = add_user(store, "root", "admin", None, "bootstrap")
    result = CliRunner().invoke(
        cli, ["--workspace", str(ws), "webhooks", "add", "https://example.org/h", "--events",
              "serious_incident", "--agreement", BUNDLED_FILE], env={"CEASEFIRE_TOKEN": admin},
    )  # fmt: skip
    assert result.exit_code == 2
    assert "is not an agreement name" in result.output


def _register(ws: Path, file: Path, token: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["--workspace", str(ws), "agreement", "register", str(file)],
                                env={"CEASEFIRE_TOKEN": token})  # fmt: skip
    assert result.exit_code == 0, result.output
    entry: dict[str, Any] = json.loads(result.output)
    return entry


def test_an_admin_registers_an_agreement_audited_and_versioned(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    with Store(ws) as store:
        tokens = {"admin": add_user(store, "root", "admin", None, "bootstrap")}
        tokens["guarantor"] = add_user(store, "us-desk", "guarantor", "USA", "root")
    file = tmp_path / "jic.yaml"
    file.write_text(registrable_agreement(), encoding="utf-8")
    first = _register(ws, file, tokens["admin"])
    assert (first["name"], first["version"], first["source"]) == (REGISTERED, 1, "registered")
    assert _register(ws, file, tokens["admin"])["version"] == 1  # the same content: unchanged
    file.write_text(registrable_agreement(title="Amended text"), encoding="utf-8")
    assert _register(ws, file, tokens["admin"])["version"] == 2
    client = TestClient(create_app(ws, TZ))
    listed = {(e["name"], e["version"]) for e in client.get("/agreements").json()}
    assert {("syria-2016-09", 0), (REGISTERED, 1), (REGISTERED, 2)} <= listed
    assert "Amended text" in client.get(f"/agreements/{REGISTERED}").text
    assert "Amended text" not in client.get(f"/agreements/{REGISTERED}", params={"version": 1}).text
    # served like a bundled one: the same clock as the agreement it copies (12 Sept 2016, 19:00)
    status = client.get("/status", params={"agreement": REGISTERED, "at": "2016-09-14T12:00+03:00"})
    assert status.status_code == 200, status.text
    assert status.json()["phase"] == "cessation"
    # only an admin registers; a bundled id is not taken over; an invalid file is located
    body = {"text": registrable_agreement("jic-other")}
    refused = client.post("/agreements", json=body,
                          headers={"Authorization": f"Bearer {tokens['guarantor']}"})  # fmt: skip
    assert refused.status_code == 403
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    taken = client.post("/agreements", json={"text": registrable_agreement("syria-2016-09")},
                        headers=admin)  # fmt: skip
    assert taken.status_code == 400
    assert "bundled" in taken.json()["error"]["message"]
    broken = client.post("/agreements", headers=admin, json={
        "text": registrable_agreement("jic-broken").replace("timezone: Asia/Damascus",
                                                            "timezone: Mars/Olympus")})  # fmt: skip
    assert broken.status_code == 422
    assert "timezone" in broken.json()["error"]["message"]
    made = client.post("/agreements", json=body, headers=admin)
    assert made.status_code == 201
    assert made.json()["name"] == "jic-other"
    with Store(ws) as store:
        actions = [r[0] for r in store.conn.execute(
            "SELECT action FROM audit WHERE action = 'agreements.register' ORDER BY seq")]  # fmt: skip
    assert len(actions) == 3  # v1, v2 and jic-other; the unchanged one wrote nothing


def test_a_registered_agreement_brings_its_geometry_files(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    with Store(ws) as store:
        admin = add_user(store, "root", "admin", None, "bootstrap")
    folder = tmp_path / "sochi"
    folder.mkdir()
    (folder / "idlib.yaml").write_text(
        registrable_agreement("jic-idlib", "syria-2018-09"), encoding="utf-8"
    )
    zones = bundled_agreement_path("syria-2018-09").parent / "syria-2018-09.zones.geojson"
    (folder / zones.name).write_bytes(zones.read_bytes())
    assert _register(ws, folder / "idlib.yaml", admin)["version"] == 1
    (folder / zones.name).unlink()  # stored with the agreement: no longer read from the folder
    client = TestClient(create_app(ws, TZ))
    mine = client.get("/zones", params={"agreement": "jic-idlib"})
    bundled = client.get("/zones", params={"agreement": "syria-2018-09"})
    assert mine.status_code == 200, mine.text
    shapes = [f["geometry"] for f in mine.json()["features"]]
    assert shapes == [f["geometry"] for f in bundled.json()["features"]]
    assert any(s is not None for s in shapes)
