"""Two keys that are really two: an approval is a signature by a key the guarantor holds, and no
one holding accounts' tokens alone — the admin included — can make a joint decision take effect."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from ceasefire.api.app import create_app
from ceasefire.cli import cli
from ceasefire.errors import ConfigError
from ceasefire.governance import (
    add_user,
    approve,
    authenticate,
    decision_statement,
    decision_status,
    make_checkpoint,
    propose,
    verify_workspace,
)
from ceasefire.governance.keys import key_statement
from ceasefire.governance.signing import fingerprint, parse_public_key, public_key_of, sign
from ceasefire.store import Store, audit
from ceasefire.store.db import Database
from tests.conftest import TZ, UCDP_SEPT
from tests.guarantor_keys import register, signature

EXTEND = {"agreement": "syria-2016-09", "kind": "extend_phase", "subject": "cessation",
          "effective": "2016-09-19T18:00+03:00", "until": "2016-09-21T19:00+03:00",
          "decided_at": "2016-09-19T17:00+03:00"}  # fmt: skip
AT_20_SEPT = {"agreement": "syria-2016-09", "at": "2016-09-20T12:00+03:00"}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _key_body(key: Ed25519PrivateKey, guarantor: str) -> dict[str, str]:
    public = public_key_of(key)
    return {"public_key": public, "proof": sign(key, key_statement(guarantor, public))}


def test_an_admin_holding_every_token_cannot_make_a_decision_take_effect(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    with Store(ws) as store:
        tokens = {"admin": add_user(store, "root", "admin", None, "bootstrap"),
                  "us": add_user(store, "us-desk", "guarantor", "USA", "root"),
                  "ru": add_user(store, "ru-desk", "guarantor", "RUS", "root")}  # fmt: skip
        register(store, tokens["us"])  # the guarantors register their keys at setup
        register(store, tokens["ru"])
        from ceasefire.service import import_file

        import_file(store, "ucdp", UCDP_SEPT, TZ)
    client = TestClient(create_app(ws, TZ))
    # the cessation ended at 19:00 on 19 Sept: on the 20th no phase is in force
    assert client.get("/status", params=AT_20_SEPT).json()["phase"] is None
    mine = Ed25519PrivateKey.generate()  # the admin's own key pair
    # 1. a new key for a guarantor: refused, through any of its accounts, old or new
    for token in (tokens["us"], tokens["ru"]):
        answer = client.post("/keys", json=_key_body(mine, "USA" if token == tokens["us"] else "RUS"),
                             headers=_bearer(token))  # fmt: skip
        assert answer.status_code == 400
        assert "has a key already" in answer.json()["error"]["message"]
    with Store(ws) as store:
        tokens["ru2"] = add_user(store, "ru-desk-2", "guarantor", "RUS", "root")
    answer = client.post("/keys", json=_key_body(mine, "RUS"), headers=_bearer(tokens["ru2"]))
    assert answer.status_code == 400
    assert client.post("/keys", json=_key_body(mine, "RUS"), headers=_bearer(tokens["admin"])).status_code == 403  # fmt: skip
    # 2. a key change to the admin's key: proposed, but it needs both guarantors' current keys
    change = client.post(
        "/keys/changes", json=_key_body(mine, "RUS"), headers=_bearer(tokens["ru"])
    )
    assert change.status_code == 201
    signed = client.post(f"/keys/changes/{change.json()['id']}/approve",
                         json={"signature": sign(mine, change.json()["statement"])},
                         headers=_bearer(tokens["ru"]))  # fmt: skip
    assert signed.status_code == 400  # not RUS's current key
    # 3. the decision, approved with the admin's key through each guarantor's account: refused
    proposed = client.post("/decisions", json=EXTEND, headers=_bearer(tokens["us"]))
    assert proposed.status_code == 201
    url = f"/decisions/{proposed.json()['id']}/approve"
    for who in ("us", "ru", "ru2"):
        answer = client.post(url, params={"agreement": "syria-2016-09"},
                             json={"signature": sign(mine, proposed.json()["statement"])},
                             headers=_bearer(tokens[who]))  # fmt: skip
        assert answer.status_code == 400, answer.json()
        assert "signature is not" in answer.json()["error"]["message"]
    assert client.post(url, params={"agreement": "syria-2016-09"},
                       json={"signature": sign(mine, proposed.json()["statement"])},
                       headers=_bearer(tokens["admin"])).status_code == 403  # fmt: skip
    # 4. the approvals written by the library with the chain's blessing, signed by the admin's key
    with Store(ws) as store, store.transaction() as conn:
        text = decision_statement(store, proposed.json()["id"])
        for name, guarantor in (("us-desk", "USA"), ("ru-desk", "RUS")):
            (uid,) = conn.execute("SELECT id FROM users WHERE name = ?", (name,)).fetchone()
            conn.execute("INSERT INTO approvals(decision_id, user_id, guarantor, at, key_fingerprint, "
                         "signature) VALUES (?, ?, ?, '2016-09-19T14:00:00+00:00', ?, ?)",
                         (proposed.json()["id"], uid, guarantor, fingerprint(public_key_of(mine)),
                          sign(mine, text)))  # fmt: skip
            audit.append(conn, "root", "decisions.approve", proposed.json()["id"], {},
                         [("approvals", (proposed.json()["id"], uid))])  # fmt: skip
    decision = next(d for d in client.get("/decisions", params={"agreement": "syria-2016-09"}).json()["decisions"]
                    if d["id"] == proposed.json()["id"])  # fmt: skip
    assert decision["in_effect"] is False
    assert {a["guarantor"]: a["reason"] for a in decision["not_counted"]} == {
        "USA": "not signed with USA's key of that time", "RUS": "not signed with RUS's key of that time"}  # fmt: skip
    assert client.get("/status", params=AT_20_SEPT).json()["phase"] is None  # nothing changed
    with Store(ws) as store:
        problems = [str(p) for p in verify_workspace(store)]
    assert len(problems) == 2
    assert all("this approval does not count: not signed with" in p for p in problems)


def test_a_copied_signature_does_not_approve_another_decision(store: Store) -> None:
    """A signature is of one decision's statement (its id and fields): moved onto another
    decision's approval row, it does not verify."""
    from ceasefire.agreements import load_agreement

    agreement = load_agreement("syria-2016-09")
    add_user(store, "root", "admin", None, "bootstrap")
    us, ru = (add_user(store, n, "guarantor", g, "root") for n, g in (("us", "USA"), ("ru", "RUS")))
    us_key, ru_key = register(store, us), register(store, ru)
    from datetime import datetime

    first = propose(store, authenticate(store, us), "reset_clock", "C_seven_days", "",
                    datetime(2016, 9, 16, 12, tzinfo=TZ), None, agreement=agreement, key=us_key)  # fmt: skip
    approve(store, authenticate(store, ru), first, signature(store, ru_key, first))
    second = propose(store, authenticate(store, us), "reset_clock", "C_seven_days", "",
                     datetime(2016, 9, 17, 12, tzinfo=TZ), None, agreement=agreement, key=us_key)  # fmt: skip
    assert decision_status(store, first, agreement)["in_effect"] is True
    copied = store.conn.execute(
        "SELECT user_id, guarantor, at, key_fingerprint, signature FROM approvals "
        "WHERE decision_id = ? AND guarantor = 'RUS'",
        (first,),
    ).fetchone()
    with store.transaction() as conn:
        conn.execute("INSERT INTO approvals(decision_id, user_id, guarantor, at, key_fingerprint, signature) "
                     "VALUES (?, ?, ?, ?, ?, ?)", (second, *copied))  # fmt: skip
        audit.append(
            conn, "root", "decisions.approve", second, {}, [("approvals", (second, copied[0]))]
        )
    status = decision_status(store, second, agreement)
    assert status["in_effect"] is False
    assert status["not_counted"][0]["reason"] == "the signature does not verify"
    problems = [str(p) for p in verify_workspace(store)]
    assert problems == [f"approvals(decision_id={second}, account=ru): this approval does not count: "
                        "the signature does not verify"]  # fmt: skip


def test_a_key_change_needs_every_current_key(store: Store) -> None:
    from datetime import datetime

    from ceasefire.agreements import load_agreement
    from ceasefire.governance import approve_key_change, key_ledger, propose_key_change

    agreement = load_agreement("syria-2016-09")
    add_user(store, "root", "admin", None, "bootstrap")
    us, ru = (add_user(store, n, "guarantor", g, "root") for n, g in (("us", "USA"), ("ru", "RUS")))
    us_key, ru_key = register(store, us), register(store, ru)
    decided = propose(store, authenticate(store, us), "reset_clock", "C_seven_days", "",
                      datetime(2016, 9, 16, 12, tzinfo=TZ), None, agreement=agreement, key=us_key)  # fmt: skip
    approve(store, authenticate(store, ru), decided, signature(store, ru_key, decided))
    new = Ed25519PrivateKey.generate()
    change = propose_key_change(store, authenticate(store, us), **_key_body(new, "USA"))
    after = approve_key_change(
        store, authenticate(store, us), change["id"], sign(us_key, change["statement"])
    )
    assert (after["signed_by"], after["applied_at"]) == (["USA"], None)  # Russia has not signed
    assert key_ledger(store).current()["USA"].public_key == public_key_of(us_key)
    after = approve_key_change(
        store, authenticate(store, ru), change["id"], sign(ru_key, change["statement"])
    )
    assert after["applied_at"] is not None
    assert key_ledger(store).current()["USA"].public_key == public_key_of(new)
    # the decision approved with the old key stays in effect; a new one needs the new key
    assert decision_status(store, decided, agreement)["in_effect"] is True
    later = propose(store, authenticate(store, ru), "reset_clock", "C_seven_days", "",
                    datetime(2016, 9, 17, 12, tzinfo=TZ), None, agreement=agreement, key=ru_key)  # fmt: skip
    with pytest.raises(ConfigError, match="not USA's current key"):  # the replaced key
        approve(store, authenticate(store, us), later, signature(store, us_key, later))
    approve(store, authenticate(store, us), later, signature(store, new, later))
    assert decision_status(store, later, agreement)["in_effect"] is True
    assert verify_workspace(store) == []


def test_keys_generate_writes_a_private_file_only_its_owner_reads(tmp_path: Path) -> None:
    key = tmp_path / "us.key"
    result = CliRunner().invoke(cli, ["keys", "generate", "--out", str(key)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    public = parse_public_key((tmp_path / "us.key.pub").read_text(encoding="utf-8"))
    assert f"fingerprint: {fingerprint(public)}" in result.output
    again = CliRunner().invoke(cli, ["keys", "generate", "--out", str(key)])
    assert again.exit_code == 2
    assert "exists already" in again.output


def test_a_checkpoint_finds_a_consistently_rewritten_chain(tmp_path: Path) -> None:
    """Someone who rewrites a row, its audit line and every entry after it consistently passes
    the chain check — but not a checkpoint a guarantor signed before."""
    ws = tmp_path / "ws"
    with Store(ws) as store:
        add_user(store, "root", "admin", None, "bootstrap")
        us_key = register(store, add_user(store, "us", "guarantor", "USA", "root"))
        from ceasefire.service import import_file

        import_file(store, "ucdp", UCDP_SEPT, TZ)
        held = make_checkpoint(store, us_key)
    (tmp_path / "cp.json").write_text(json.dumps(held), encoding="utf-8")
    with Store(ws) as store:
        conn = store.conn
        table = audit.COVERED["incidents"]
        body = json.loads(
            conn.execute("SELECT body FROM incidents WHERE key = 'ucdp:228433'").fetchone()[0]
        )
        body["fatalities"]["best"] = 0
        conn.execute("UPDATE incidents SET body = ? WHERE key = 'ucdp:228433'", (json.dumps(body),))
        row = conn.execute(table.select() + " WHERE key = 'ucdp:228433'").fetchone()
        conn.execute("UPDATE audit_rows SET hash = ? WHERE tbl = 'incidents' AND row_key = ?",
                     (audit.row_hash(table, row), '["ucdp:228433"]'))  # fmt: skip
        _rechain(conn)
    code = CliRunner().invoke(cli, ["--workspace", str(ws), "audit", "verify"])
    assert code.exit_code == 0, code.output  # consistent: the chain alone cannot tell
    found = CliRunner().invoke(cli, ["--workspace", str(ws), "audit", "verify", "--checkpoint",
                                     str(tmp_path / "cp.json")])  # fmt: skip
    assert found.exit_code == 1
    assert "this entry differs from the one signed (the log was rewritten)" in found.output
    held["checkpoint"]["seq"] = 1  # a checkpoint edited after it was signed
    (tmp_path / "cp.json").write_text(json.dumps(held), encoding="utf-8")
    found = CliRunner().invoke(cli, ["--workspace", str(ws), "audit", "verify", "--checkpoint",
                                     str(tmp_path / "cp.json")])  # fmt: skip
    assert "its signature does not verify" in found.output


def _rechain(conn: Database) -> None:
    """Recompute every entry from its fields as docs/server.md gives the encoding."""
    import hashlib

    def canonical(value: object) -> str:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    prev = "0" * 64
    rows = conn.execute(
        "SELECT seq, at, actor, action, subject, detail FROM audit ORDER BY seq"
    ).fetchall()
    for seq, at, actor, action, subject, detail in rows:
        lines = [list(r) for r in conn.execute(
            "SELECT tbl, row_key, hash FROM audit_rows WHERE seq = ? ORDER BY position", (seq,))]  # fmt: skip
        rows_hash = hashlib.sha256(canonical(lines).encode()).hexdigest()
        digest = hashlib.sha256(canonical(["ceasefire.audit/2", seq, at, actor, action, subject, detail,
                                           rows_hash, prev]).encode()).hexdigest()  # fmt: skip
        conn.execute("UPDATE audit SET prev_hash = ?, hash = ?, rows_hash = ? WHERE seq = ?",
                     (prev, digest, rows_hash, seq))  # fmt: skip
        prev = digest
    conn.execute("UPDATE audit_head SET hash = ? WHERE id = 1", (prev,))


def test_a_key_swapped_in_the_database_is_not_used(store: Store) -> None:
    """Russia's key row replaced directly (the admin's own key, with a valid proof of possession):
    no audit entry vouches for the new row, so it is not Russia's key, and verify names it."""
    from datetime import datetime

    from ceasefire.agreements import load_agreement

    agreement = load_agreement("syria-2016-09")
    add_user(store, "root", "admin", None, "bootstrap")
    us, ru = (add_user(store, n, "guarantor", g, "root") for n, g in (("us", "USA"), ("ru", "RUS")))
    us_key, _ = register(store, us), register(store, ru)
    mine = Ed25519PrivateKey.generate()
    body = _key_body(mine, "RUS")
    with store.transaction() as conn:
        conn.execute("DELETE FROM guarantor_keys WHERE guarantor = 'RUS'")
        conn.execute("INSERT INTO guarantor_keys(fingerprint, guarantor, public_key, proof, registered_by, "
                     "registered_at) VALUES (?, 'RUS', ?, ?, 1, '2016-09-01T00:00:00+00:00')",
                     (fingerprint(body["public_key"]), body["public_key"], body["proof"]))  # fmt: skip
    decision = propose(store, authenticate(store, us), "reset_clock", "C_seven_days", "",
                       datetime(2016, 9, 16, 12, tzinfo=TZ), None, agreement=agreement, key=us_key)  # fmt: skip
    with pytest.raises(ConfigError, match="RUS has no registered key"):
        approve(store, authenticate(store, ru), decision, signature(store, mine, decision))
    assert decision_status(store, decision, agreement)["in_effect"] is False
    problems = [str(p) for p in verify_workspace(store)]
    assert f"guarantor_keys(fingerprint={fingerprint(body['public_key'])}): no audit entry wrote this row (it was inserted outside ceasefire)" in problems  # fmt: skip
    assert any(
        p.startswith("guarantor_keys(") and "removed outside ceasefire" in p for p in problems
    )


def test_the_demo_guarantors_decide_with_their_demo_keys(tmp_path: Path) -> None:
    """The demo writes a key per demo guarantor beside its tokens (0600) and registers it: the
    two demo guarantors can make a decision take effect, as the dashboard then shows."""
    from ceasefire.demo import DEMO_KEYS_DIR, ensure_demo_accounts

    ws = tmp_path / "ws"
    tokens = {
        line.split()[0]: line.split()[-1]
        for line in ensure_demo_accounts(ws).read_text(encoding="utf-8").splitlines()
        if not line.startswith("#")
    }
    keys = {g: ws / DEMO_KEYS_DIR / f"demo-guarantor-{g}.key" for g in ("usa", "rus")}
    assert all(stat.S_IMODE(os.stat(k).st_mode) == 0o600 for k in keys.values())
    assert ensure_demo_accounts(ws)  # a second run keeps the keys registered
    run = CliRunner().invoke
    proposed = run(cli, ["--workspace", str(ws), "decisions", "propose", "--agreement", "syria-2016-09",
                         "--kind", "reset_clock", "--subject", "C_seven_days", "--effective",
                         "2016-09-16T12:00+03:00", "--key", str(keys["usa"])],
                   env={"CEASEFIRE_TOKEN": tokens["demo-guarantor-usa"]})  # fmt: skip
    assert proposed.exit_code == 0, proposed.output
    approved = run(cli, ["--workspace", str(ws), "decisions", "approve", json.loads(proposed.output)["id"],
                         "--agreement", "syria-2016-09", "--key", str(keys["rus"])],
                   env={"CEASEFIRE_TOKEN": tokens["demo-guarantor-rus"]})  # fmt: skip
    assert approved.exit_code == 0, approved.output
    assert json.loads(approved.output)["in_effect"] is True
    shown = TestClient(create_app(ws, TZ)).get("/decisions", params={"agreement": "syria-2016-09"})
    recorded = [d for d in shown.json()["decisions"] if d["recorded"] == "workspace"]
    assert [(d["in_effect"], sorted(a["guarantor"] for a in d["approvals"])) for d in recorded] == [
        (True, ["RUS", "USA"])
    ]
