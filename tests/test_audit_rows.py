"""The audit covers the data: tampering with the tables themselves — not only the log — is named
by ``ceasefire audit verify`` (on SQLite and, with CEASEFIRE_TEST_POSTGRES, on PostgreSQL), and a
decision the chain does not vouch for never reaches the clock."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from ceasefire.cli import cli
from ceasefire.governance import add_user, authenticate, propose, verify_workspace
from ceasefire.service import bundled_data, import_file
from ceasefire.store import Store, audit
from ceasefire.store.db import Database
from tests.conftest import TZ, UCDP_SEPT
from tests.guarantor_keys import register

NINE_DEATHS = "ucdp:228433"  # best estimate 9 in the fixture (19 Sept 2016)


def _verify(ws: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--workspace", str(ws), "audit", "verify", *args])
    return result.exit_code, result.output


def _status_phase(ws: Path, at: str) -> str | None:
    result = CliRunner().invoke(cli, ["--workspace", str(ws), "status", "--agreement",
                                      "syria-2016-09", "--at", at, "--format", "json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    phase: str | None = json.loads(result.output)["phase"]
    return phase


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """Accounts with the guarantors' keys, the UCDP fixture, the bundled humanitarian log, and a
    signed decision: an honest workspace whose audit verifies."""
    ws = tmp_path / "ws"
    with Store(ws) as store:
        add_user(store, "root", "admin", None, "bootstrap")
        us = add_user(store, "us-desk", "guarantor", "USA", "root")
        ru = add_user(store, "ru-desk", "guarantor", "RUS", "root")
        add_user(store, "team", "monitor", None, "root")
        us_key = register(store, us)
        register(store, ru)
        import_file(store, "ucdp", UCDP_SEPT, TZ)
        import_file(store, "humanitarian", bundled_data("humanitarian/syria-2016-09.jsonl"), TZ)
        from ceasefire.agreements import load_agreement

        propose(store, authenticate(store, us), "reset_clock", "C_seven_days", "", datetime(2016, 9, 16, 12, tzinfo=TZ),
                None, agreement=load_agreement("syria-2016-09"), key=us_key)  # fmt: skip
    code, out = _verify(ws)
    assert code == 0, out
    return ws


def test_an_inserted_decision_with_approvals_is_named_and_ignored(workspace: Path) -> None:
    """The issue's case: a decision ending the cessation on 14 Sept, with an approval from each
    guarantor's account, written straight into the database."""
    assert _status_phase(workspace, "2016-09-16T12:00") == "cessation"  # 12–19 Sept
    with Store(workspace) as store:
        ids = dict(store.conn.execute("SELECT name, id FROM users").fetchall())
        store.conn.execute(
            "INSERT INTO decisions(id, kind, subject, text, effective, until, proposed_by, created_at, "
            "decided_at, agreement, value) VALUES ('DEC-0099', 'end_phase', 'cessation', '', "
            "'2016-09-14T12:00:00+03:00', NULL, ?, '2016-09-14T11:00:00+00:00', NULL, 'syria-2016-09', NULL)",
            (ids["us-desk"],),
        )  # fmt: skip
        for name, guarantor in (("us-desk", "USA"), ("ru-desk", "RUS")):
            store.conn.execute(
                "INSERT INTO approvals(decision_id, user_id, guarantor, at, key_fingerprint, signature) "
                "VALUES ('DEC-0099', ?, ?, '2016-09-14T11:00:00+00:00', NULL, NULL)",
                (ids[name], guarantor),
            )  # fmt: skip
    code, out = _verify(workspace)
    assert code == 1
    assert "decisions(id=DEC-0099): no audit entry wrote this row" in out
    for name in ("us-desk", "ru-desk"):
        assert f"approvals(decision_id=DEC-0099, user_id={ids[name]}): no audit entry wrote" in out
    assert _status_phase(workspace, "2016-09-16T12:00") == "cessation"  # the phase did not end


def test_an_edited_incident_is_named(workspace: Path) -> None:
    with Store(workspace) as store:
        (body,) = store.conn.execute(
            "SELECT body FROM incidents WHERE key = ?", (NINE_DEATHS,)
        ).fetchone()
        data = json.loads(body)
        assert data["fatalities"]["best"] == 9
        data["fatalities"]["best"] = 0
        store.conn.execute("UPDATE incidents SET body = ? WHERE key = ?", (json.dumps(data), NINE_DEATHS))  # fmt: skip
    code, out = _verify(workspace)
    assert code == 1
    lines = out.strip().splitlines()
    assert lines == [f"incidents(key={NINE_DEATHS}): its content differs from what audit entry 7 "
                     "wrote (changed outside ceasefire)"]  # fmt: skip  # entry 7: the UCDP import


def test_a_deleted_revision_is_named(workspace: Path) -> None:
    with Store(workspace) as store:
        store.conn.execute(
            "DELETE FROM incident_revisions WHERE key = ? AND revision = 1", (NINE_DEATHS,)
        )
    code, out = _verify(workspace)
    assert code == 1
    assert out.strip() == (f"incident_revisions(key={NINE_DEATHS}, revision=1): audit entry 7 wrote "
                           "this row but it is missing (removed outside ceasefire)")  # fmt: skip


def test_a_changed_role_is_named(workspace: Path) -> None:
    with Store(workspace) as store:
        (team,) = store.conn.execute("SELECT id FROM users WHERE name = 'team'").fetchone()
        store.conn.execute(
            "UPDATE users SET role = 'guarantor', party = 'USA' WHERE id = ?", (team,)
        )
    code, out = _verify(workspace)
    assert code == 1
    assert out.strip() == (f"users(id={team}): its content differs from what audit entry 4 wrote "
                           "(changed outside ceasefire)")  # fmt: skip  # entry 4 added "team"


def test_an_edited_record_is_named(workspace: Path) -> None:
    """A humanitarian convoy's truck count, changed in the database."""
    with Store(workspace) as store:
        rid, body = store.conn.execute(
            "SELECT id, body FROM records WHERE kind = 'convoy' AND id = 'un-cilvegozu-1'"
        ).fetchone()
        data = json.loads(body)
        assert data["trucks"] == 20  # as in the bundled log
        data["trucks"] = 2
        store.conn.execute("UPDATE records SET body = ? WHERE kind = 'convoy' AND id = ?",
                           (json.dumps(data), rid))  # fmt: skip
    code, out = _verify(workspace)
    assert code == 1
    assert out.strip() == ("records(kind=convoy, id=un-cilvegozu-1): its content differs from what "
                           "audit entry 8 wrote (changed outside ceasefire)")  # fmt: skip


def test_rows_rewritten_with_their_audit_lines_name_the_entry(workspace: Path) -> None:
    """Changing the row and the line that vouches for it together breaks the entry's rows_hash."""
    with Store(workspace) as store:
        conn = store.conn
        conn.execute("UPDATE users SET disabled = 1 WHERE name = 'us-desk'")
        (uid,) = conn.execute("SELECT id FROM users WHERE name = 'us-desk'").fetchone()
        row = conn.execute(audit.COVERED["users"].select() + " WHERE id = ?", (uid,)).fetchone()
        conn.execute("UPDATE audit_rows SET hash = ? WHERE tbl = 'users' AND row_key = ?",
                     (audit.row_hash(audit.COVERED["users"], row), f"[{uid}]"))  # fmt: skip
    code, out = _verify(workspace)
    assert code == 1
    assert out.splitlines()[0] == ("audit entry 2: the rows it vouches for were changed, added or "
                                   "removed after it was written (audit_rows)")  # fmt: skip


def test_the_entry_encoding_is_unambiguous(workspace: Path) -> None:
    """Moving a separator between two fields left the old "\\x1f"-joined hash unchanged; the
    canonical encoding changes it, so the edit is found."""
    with Store(workspace) as store:
        with store.transaction() as conn:
            seq = audit.append(conn, "a\x1fb", "c", "s", {})
        store.conn.execute(
            "UPDATE audit SET actor = 'a', action = ? WHERE seq = ?", ("b\x1fc", seq)
        )
    # under the old encoding both entries joined to the same text, so the same hash
    assert "\x1f".join(("a\x1fb", "c")) == "\x1f".join(("a", "b\x1fc"))
    code, out = _verify(workspace)
    assert code == 1
    assert f"audit entry {seq}: was changed after it was written" in out


def _legacy_append(
    conn: Database, seq: int, prev: str, actor: str, action: str, detail: str
) -> str:
    """An entry as schema 6 wrote it: sha256 of the fields joined with \\x1f."""
    at = f"2016-09-0{seq}T00:00:00+00:00"
    digest = hashlib.sha256(
        "\x1f".join((str(seq), at, actor, action, "s", detail, prev)).encode()
    ).hexdigest()
    conn.execute("INSERT INTO audit(seq, at, actor, action, subject, detail, prev_hash, hash) "
                 "VALUES (?, ?, ?, ?, 's', ?, ?, ?)", (seq, at, actor, action, detail, prev, digest))  # fmt: skip
    conn.execute("INSERT INTO audit_head(id, seq, hash) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE "
                 "SET seq = excluded.seq, hash = excluded.hash", (seq, digest))  # fmt: skip
    return digest


def test_an_upgraded_workspace_vouches_for_the_rows_it_had(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A workspace written at schema 6 (entries in the old encoding, rows not covered) upgrades to
    7: one entry vouches for the rows then present, the old entries still verify as written, and
    a later edit to an old row is named."""
    import ceasefire.store.core as core

    ws = tmp_path / "ws"
    from ceasefire.store.migrations import MIGRATIONS

    monkeypatch.setattr(core, "MIGRATIONS", MIGRATIONS[:6])
    with Store(ws) as store, store.transaction() as conn:
        assert conn.schema_version() == 6
        conn.execute("INSERT INTO users(name, role, party, token_hash, created_at) VALUES "
                     "('root', 'admin', NULL, 'h1', '2016-09-01T00:00:00+00:00')")  # fmt: skip
        first = _legacy_append(
            conn, 1, audit.GENESIS, "bootstrap", "users.add", '{"role": "admin"}'
        )
        conn.execute("INSERT INTO users(name, role, party, token_hash, created_at) VALUES "
                     "('team', 'monitor', NULL, 'h2', '2016-09-02T00:00:00+00:00')")  # fmt: skip
        _legacy_append(conn, 2, first, "root", "users.add", '{"role": "monitor"}')
    monkeypatch.undo()
    with Store(ws) as store:
        assert store.conn.schema_version() == len(MIGRATIONS)
        assert verify_workspace(store) == []
        actions = [a for (a,) in store.conn.execute("SELECT action FROM audit ORDER BY seq")]
        assert actions == ["users.add", "users.add", "audit.upgrade"]
        store.conn.execute("UPDATE users SET role = 'admin' WHERE name = 'team'")
        store.conn.execute('UPDATE audit SET detail = \'{"role": "x"}\' WHERE seq = 1')
        problems = [str(p) for p in verify_workspace(store)]
    assert (
        problems[0] == "audit entry 1: was changed after it was written (its hash does not match)"
    )
    assert any(
        p.startswith("users(id=2): its content differs from what audit entry 3 wrote")
        for p in problems
    )


def test_a_release_forged_in_the_database_is_named_and_not_honoured(tmp_path: Path) -> None:
    """A party's submission marked released straight in the database stays restricted for the
    public (the chain does not vouch for the release) and ``audit verify`` names the row."""
    from fastapi.testclient import TestClient

    from ceasefire.api.app import create_app

    ws = tmp_path / "ws"
    with Store(ws) as store:
        add_user(store, "root", "admin", None, "bootstrap")
        cell = add_user(store, "opp-cell", "party", "SYR_INSURGENTS", "root")
    client = TestClient(create_app(ws, TZ))
    complaint = {
        "id": "forged-release", "kind": "incident", "reported_at": "2016-09-14T20:00+03:00",
        "reporter": {"name": "liaison officer", "type": "party"}, "time": {"at": "2016-09-14"},
        "place": {"name": "Kafr Forgedrelease", "lat": 35.93, "lon": 36.63},
        "actors": [], "category": "ATK.IND",
    }  # fmt: skip
    posted = client.post("/reports", json=complaint, headers={"Authorization": f"Bearer {cell}"})
    assert posted.status_code == 201
    with Store(ws) as store:
        store.conn.execute("UPDATE distribution SET released_at = '2016-09-15T00:00:00+00:00' "
                           "WHERE key = ?", (posted.json()["key"],))  # fmt: skip
    assert "Kafr Forgedrelease" not in client.get("/reports").text
    code, out = _verify(ws)
    assert code != 0
    assert posted.json()["key"] == "report:2~forged-release"  # the cell's own id space
    assert "distribution(key=report:2~forged-release)" in out


def _learn_boilerplate(store: Store) -> None:
    """What a news run records: one outlet's documents and, per short line, in how many."""
    store.record_news_lines({"paper-one": (3, {"Follow us on our channels": 3,
                                               "Read more": 2})}, "2026-12-01T00:00:00+00:00")  # fmt: skip


def test_learnt_news_boilerplate_is_covered(tmp_path: Path) -> None:
    """A line marked as a source's boilerplate is dropped from its later articles: one added or
    changed in the database is named."""
    ws = tmp_path / "ws"
    with Store(ws) as store:
        _learn_boilerplate(store)
        _learn_boilerplate(store)  # a second run adds to the counts, audited again
    code, out = _verify(ws)
    assert code == 0, out
    with Store(ws) as store:
        assert store.news_lines(["paper-one"])["paper-one"][1]["Read more"] == 4
        store.conn.execute("INSERT INTO news_lines(source, line, documents, first_seen, last_seen) "
                           "VALUES ('paper-one', 'The army said 40 were killed', 6, 'x', 'x')")  # fmt: skip
        store.conn.execute("UPDATE news_sources SET documents = 60 WHERE source = 'paper-one'")
    code, out = _verify(ws)
    assert code == 1
    lines = out.strip().splitlines()
    assert (
        "news_lines(source=paper-one, line=The army said 40 were killed): no audit entry "
        "wrote this row (it was inserted outside ceasefire)" in lines
    )
    assert any(x.startswith("news_sources(source=paper-one): its content differs") for x in lines)


def test_an_upgraded_workspace_vouches_for_its_learnt_boilerplate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Boilerplate learnt before the audit covered it is vouched for by the upgrade."""
    import ceasefire.store.core as core
    from ceasefire.store.migrations import MIGRATIONS

    ws = tmp_path / "ws"
    monkeypatch.setattr(core, "MIGRATIONS", MIGRATIONS[:11])
    with Store(ws) as store, store.transaction() as conn:
        conn.execute("INSERT INTO news_sources(source, documents, first_seen, last_seen) "
                     "VALUES ('paper-one', 3, 'a', 'b')")  # fmt: skip
        conn.execute("INSERT INTO news_lines(source, line, documents, first_seen, last_seen) "
                     "VALUES ('paper-one', 'Read more', 3, 'a', 'b')")  # fmt: skip
    monkeypatch.undo()
    with Store(ws) as store:
        assert verify_workspace(store) == []
        store.conn.execute("UPDATE news_lines SET documents = 9")
        problems = [str(p) for p in verify_workspace(store)]
    assert problems == ["news_lines(source=paper-one, line=Read more): its content differs from "
                        "what audit entry 1 wrote (changed outside ceasefire)"]  # fmt: skip
