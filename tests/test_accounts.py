"""Accounts and tokens: recognisable tokens; an admin lists, disables, expires and rotates accounts
(CLI and API, audited); a client that keeps sending bad tokens is made to wait."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from ceasefire.api.app import create_app
from ceasefire.api.backoff import FREE_FAILURES, FailedAuthBackoff
from ceasefire.cli import cli
from ceasefire.errors import AccessDeniedError, ConfigError
from ceasefire.governance import (
    add_user,
    authenticate,
    disable_user,
    expire_user,
    list_users,
    verify_workspace,
)
from ceasefire.store import Store
from tests.conftest import TZ

# what a secret scanner would match: the prefix, 40 characters and a 6-character checksum
SCANNER = re.compile(r"\bcfj_[0-9A-Za-z]{46}\b")


def _run(ws: Path, *args: str, token: str | None = None) -> tuple[int, str]:
    env = {"CEASEFIRE_TOKEN": token} if token else {}
    result = CliRunner().invoke(cli, ["--workspace", str(ws), *args], env=env)
    return result.exit_code, result.output


def _actions(store: Store) -> list[tuple[str, str, str]]:
    rows = store.conn.execute("SELECT actor, action, subject FROM audit ORDER BY seq").fetchall()
    return [(str(a), str(b), str(c)) for a, b, c in rows]


def test_tokens_carry_a_prefix_and_a_checksum(store: Store) -> None:
    admin = add_user(store, "root", "admin", None, "bootstrap")
    monitor = add_user(store, "team", "monitor", None, "root")
    for token in (admin, monitor):
        assert SCANNER.fullmatch(token), token
    assert admin != monitor
    typo = monitor[:-1] + ("A" if monitor[-1] != "A" else "B")  # one character off
    with pytest.raises(AccessDeniedError, match="checksum"):
        authenticate(store, typo)
    assert authenticate(store, monitor).name == "team"


def test_an_admin_disables_expires_and_rotates_accounts_on_the_cli(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    _, out = _run(ws, "users", "add", "root", "--role", "admin")
    admin = out.split()[-1]
    _, out = _run(ws, "users", "add", "team", "--role", "monitor", token=admin)
    team = out.split()[-1]
    _, out = _run(
        ws, "users", "add", "us-desk", "--role", "guarantor", "--party", "USA", token=admin
    )
    us = out.split()[-1]
    code, out = _run(ws, "users", "list", "--format", "json", token=us)
    assert code == 3  # only an admin
    code, out = _run(ws, "users", "list", "--format", "json", token=admin)
    assert code == 0, out
    listed = {u["name"]: u for u in json.loads(out)}
    assert [listed[n]["state"] for n in ("root", "team", "us-desk")] == ["active"] * 3
    assert listed["us-desk"]["party"] == "USA"

    code, out = _run(ws, "users", "disable", "team", token=admin)
    assert code == 0, out
    code, out = _run(ws, "users", "list", token=team)
    assert code == 3
    assert "its account is disabled" in out
    _run(ws, "users", "disable", "team", "--enable", token=admin)
    with Store(ws) as store:
        assert authenticate(store, team).name == "team"

    code, out = _run(ws, "users", "expire", "team", "--at", "2016-09-01T00:00+00:00", token=admin)
    assert code == 0, out
    with Store(ws) as store, pytest.raises(AccessDeniedError, match="expired at 2016-09-01T00:00"):
        authenticate(store, team)
    code, out = _run(ws, "users", "rotate", "team", token=admin)
    assert code == 0, out
    fresh = out.split()[-1]
    assert SCANNER.fullmatch(fresh)
    with Store(ws) as store:
        with pytest.raises(AccessDeniedError, match="not valid"):
            authenticate(store, team)  # the old token is gone
        assert authenticate(store, fresh).name == "team"  # the new one has no expiry
        actions = [a for a in _actions(store) if a[1].startswith("users.") and a[1] != "users.add"]
        assert actions == [("root", "users.disable", "team"), ("root", "users.enable", "team"),
                           ("root", "users.expire", "team"), ("root", "users.rotate", "team")]  # fmt: skip
        assert verify_workspace(store) == []  # every change is vouched for by its entry


def test_the_last_admin_cannot_be_disabled(store: Store) -> None:
    add_user(store, "root", "admin", None, "bootstrap")
    root = authenticate(store, add_user(store, "root-2", "admin", None, "root"))
    disable_user(store, root, "root")
    with pytest.raises(ConfigError, match="last enabled admin"):
        disable_user(store, root, "root-2")
    expire_user(store, root, "root", None)
    states = {u["name"]: u["state"] for u in list_users(store, root)}
    assert states == {"root": "disabled", "root-2": "active"}


def test_accounts_over_the_api(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    with Store(ws) as store:
        admin = add_user(store, "root", "admin", None, "bootstrap")
        team = add_user(store, "team", "monitor", None, "root")
    client = TestClient(create_app(ws, TZ))
    as_admin = {"Authorization": f"Bearer {admin}"}
    as_team = {"Authorization": f"Bearer {team}"}
    assert client.get("/users", headers=as_team).status_code == 403
    listed = client.get("/users", headers=as_admin).json()
    assert [(u["name"], u["state"]) for u in listed] == [("root", "active"), ("team", "active")]
    assert client.get("/incidents", headers=as_team).status_code == 200
    assert client.post("/users/team/disable", headers=as_admin).status_code == 200
    refused = client.get("/incidents", headers=as_team)
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "access_denied")
    assert client.post("/users/team/enable", headers=as_admin).status_code == 200
    assert client.get("/incidents", headers=as_team).status_code == 200
    expired = client.post(
        "/users/team/expire", headers=as_admin, json={"at": "2016-01-01T00:00+00:00"}
    )
    assert expired.json()["expires_at"] == "2016-01-01T00:00:00+00:00"
    assert client.get("/incidents", headers=as_team).status_code == 401
    rotated = client.post("/users/team/rotate", headers=as_admin).json()
    assert SCANNER.fullmatch(rotated["token"])
    assert client.get("/incidents", headers={"Authorization": f"Bearer {rotated['token']}"}).status_code == 200  # fmt: skip
    assert client.post("/users/nobody/disable", headers=as_admin).status_code == 404
    naive = client.post("/users/team/expire", headers=as_admin, json={"at": "2016-01-01T00:00"})
    assert naive.status_code == 400
    assert "UTC offset" in naive.json()["error"]["message"]


def test_bad_tokens_from_one_address_are_made_to_wait(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    with Store(ws) as store:
        add_user(store, "root", "admin", None, "bootstrap")
        team = add_user(store, "team", "monitor", None, "root")
    client = TestClient(create_app(ws, TZ))
    bogus = {"Authorization": "Bearer cfj_guessing"}
    for _ in range(FREE_FAILURES + 1):
        assert client.get("/incidents", headers=bogus).status_code == 401
    waiting = client.get("/incidents", headers={"Authorization": f"Bearer {team}"})
    assert waiting.status_code == 429  # even a good token waits: the address is closed a while
    assert waiting.json()["error"]["code"] == "auth_backoff"
    assert int(waiting.headers["Retry-After"]) >= 1
    assert client.get("/status", params={"agreement": "syria-2016-09", "at": "2016-09-14T12:00"}).status_code == 200  # fmt: skip


def test_the_backoff_doubles_and_its_table_is_bounded() -> None:
    now = [0.0]
    backoff = FailedAuthBackoff(free=2, max_wait=8.0, size=100, clock=lambda: now[0])
    waits = []
    for _ in range(7):
        backoff.failed("10.0.0.1")
        waits.append(backoff.wait("10.0.0.1"))
    assert waits == [0.0, 0.0, 1.0, 2.0, 4.0, 8.0, 8.0]  # two free, then doubling up to the cap
    now[0] += 8.5
    assert backoff.wait("10.0.0.1") == 0.0
    backoff.succeeded("10.0.0.1")
    backoff.failed("10.0.0.1")
    assert backoff.wait("10.0.0.1") == 0.0  # a success starts the count again
    for n in range(5000):
        backoff.failed(f"192.0.2.{n}")
    assert len(backoff.table) == 100
