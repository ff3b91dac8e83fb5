"""Accounts, joint decisions of the guarantors, and the tamper-evident audit log (CLI)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ceasefire.cli import cli
from ceasefire.store import Store
from tests.conftest import UCDP_SEPT


def _run(ws: Path, *args: str, token: str | None = None) -> tuple[int, str]:
    env = {"CEASEFIRE_TOKEN": token} if token else {}
    result = CliRunner().invoke(cli, ["--workspace", str(ws), *args], env=env)
    return result.exit_code, result.output


def _token(
    ws: Path, name: str, role: str, party: str | None = None, admin: str | None = None
) -> str:
    args = ["users", "add", name, "--role", role] + (["--party", party] if party else [])
    code, out = _run(ws, *args, token=admin)
    assert code == 0, out
    return out.strip().splitlines()[-1]


@pytest.fixture
def accounts(tmp_path: Path) -> dict[str, str]:
    """Accounts, and each guarantor's key pair made on its own machine (keys generate) and
    registered at setup (keys register)."""
    ws = tmp_path / "ws"
    admin = _token(ws, "root", "admin")
    tokens = {
        "ws": str(ws),
        "admin": admin,
        "us1": _token(ws, "us-desk", "guarantor", "USA", admin),
        "us2": _token(ws, "us-desk-2", "guarantor", "USA", admin),
        "ru": _token(ws, "ru-desk", "guarantor", "RUS", admin),
        "party": _token(ws, "gov-cell", "party", "SYR_GOV", admin),
    }
    for who in ("us", "ru"):
        key = tmp_path / f"{who}.key"
        code, out = _run(ws, "keys", "generate", "--out", str(key))
        assert code == 0, out
        tokens[f"{who}_key"] = str(key)
        code, out = _run(ws, "keys", "register", "--key", str(key), token=tokens[f"{who}1" if who == "us" else who])  # fmt: skip
        assert code == 0, out
    tokens["us1_key"] = tokens["us2_key"] = tokens["us_key"]
    tokens["admin_key"] = tokens["party_key"] = tokens["us_key"]  # even holding a real key file
    return tokens


def _propose(ws: Path, token: str, key: str) -> tuple[int, str]:
    return _run(ws, "decisions", "propose", "--agreement", "syria-2016-09", "--kind", "extend_phase",
                "--subject", "cessation", "--effective", "2016-09-19T18:00+03:00",
                "--until", "2016-09-21T19:00+03:00", "--text", "48 more hours", "--key", key,
                token=token)  # fmt: skip


def _approve(ws: Path, decision: str, token: str, key: str) -> tuple[int, str]:
    return _run(ws, "decisions", "approve", decision, "--agreement", "syria-2016-09", "--key", key,
                token=token)  # fmt: skip


def test_a_guarantor_decision_needs_both_guarantors(accounts: dict[str, str]) -> None:
    ws = Path(accounts["ws"])
    code, out = _propose(ws, accounts["us1"], accounts["us_key"])
    assert code == 0, out
    status = json.loads(out)
    assert status["in_effect"] is False
    assert status["missing"] == ["RUS"]
    # a second US account, even with the US key, cannot stand in for Russia
    code, out = _approve(ws, status["id"], accounts["us2"], accounts["us_key"])
    assert json.loads(out)["in_effect"] is False
    # the proposer's approval counts once
    code, out = _approve(ws, status["id"], accounts["us1"], accounts["us_key"])
    assert code == 2
    assert "counts once" in out
    # the Russian account signing with the US key is refused: it is not Russia's key
    code, out = _approve(ws, status["id"], accounts["ru"], accounts["us_key"])
    assert code == 2
    assert "not RUS's current key" in out
    code, out = _approve(ws, status["id"], accounts["ru"], accounts["ru_key"])
    assert json.loads(out)["in_effect"] is True


def test_no_single_account_can_make_a_decision_take_effect(accounts: dict[str, str]) -> None:
    ws = Path(accounts["ws"])
    for who in ("admin", "party"):
        code, out = _propose(ws, accounts[who], accounts[f"{who}_key"])
        assert code == 3, out
        assert "may not decisions.propose" in out
    code, out = _propose(ws, accounts["us1"], accounts["us_key"])
    decision = json.loads(out)["id"]
    code, out = _approve(ws, decision, accounts["admin"], accounts["ru_key"])
    assert code == 3
    code, out = _approve(ws, decision, "forged", accounts["ru_key"])
    assert code == 3
    assert "not valid" in out


def test_an_effective_decision_moves_the_clock(accounts: dict[str, str]) -> None:
    ws = Path(accounts["ws"])
    _run(ws, "import", "ucdp", str(UCDP_SEPT))
    code, out = _run(
        ws, "status", "--agreement", "syria-2016-09", "--at", "2016-09-20T12:00", "--format", "json"
    )
    assert json.loads(out)["phase"] is None  # the cessation ended at 19:00 on the 19th
    # recorded today, it says when the guarantors decided: 19 Sept, before the expiry
    code, out = _run(ws, "decisions", "propose", "--agreement", "syria-2016-09", "--kind", "extend_phase",
                     "--subject", "cessation", "--effective", "2016-09-19T18:00+03:00",
                     "--until", "2016-09-21T19:00+03:00", "--decided-at", "2016-09-19T17:00+03:00",
                     "--key", accounts["us_key"], token=accounts["us1"])  # fmt: skip
    assert code == 0, out
    decision = json.loads(out)["id"]
    _approve(ws, decision, accounts["ru"], accounts["ru_key"])
    _code, out = _run(
        ws, "status", "--agreement", "syria-2016-09", "--at", "2016-09-20T12:00", "--format", "json"
    )
    status = json.loads(out)
    assert status["phase"] == "cessation"
    assert decision in [r["decision"] for r in status["phases"]["cessation"]["renewals"]]


def test_only_an_admin_adds_accounts(accounts: dict[str, str]) -> None:
    ws = Path(accounts["ws"])
    code, out = _run(ws, "users", "add", "mallory", "--role", "admin", token=accounts["us1"])
    assert code == 3
    code, out = _run(
        ws, "users", "add", "x", "--role", "guarantor", "--party", "TUR", token=accounts["admin"]
    )
    assert code == 2
    assert "not a guarantor" in out


@pytest.mark.parametrize("tamper", ["edit", "delete_middle", "reorder", "truncate"])
def test_audit_detects_any_change(accounts: dict[str, str], tamper: str) -> None:
    ws = Path(accounts["ws"])
    _run(ws, "import", "ucdp", str(UCDP_SEPT))
    _propose(ws, accounts["us1"], accounts["us_key"])
    code, out = _run(ws, "audit", "verify")
    assert code == 0, out
    n = int(out.split("intact: ")[1].split(" ")[0])
    assert n == 10  # 5 accounts (the admin first), 2 keys, 1 import, 1 proposal, 1 approval
    store = Store(ws)  # direct database access, as an administrator with write access could
    conn = store.conn
    if tamper == "edit":
        conn.execute(
            "UPDATE audit SET detail = replace(detail, '313', '312') WHERE action = 'import.ucdp'"
        )
        expected = "audit entry 8: was changed"
    elif tamper == "delete_middle":
        conn.execute("DELETE FROM audit WHERE seq = 3")
        expected = "audit entry 3: found entry 4"
    elif tamper == "reorder":
        cols = "at, actor, action, subject, detail, prev_hash, hash"
        three = conn.execute(f"SELECT {cols} FROM audit WHERE seq = 3").fetchone()
        four = conn.execute(f"SELECT {cols} FROM audit WHERE seq = 4").fetchone()
        sets = ", ".join(f"{c.strip()} = ?" for c in cols.split(","))
        conn.execute(f"UPDATE audit SET {sets} WHERE seq = 3", four)
        conn.execute(f"UPDATE audit SET {sets} WHERE seq = 4", three)
        expected = "audit entry 3: does not chain"
    else:
        conn.execute("DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit)")
        expected = "entries were removed from the end"
    store.close()
    code, out = _run(ws, "audit", "verify")
    assert code == 1
    assert expected in out
