"""The whole check of a workspace, and checkpoints a guarantor signs and keeps outside it.

:func:`verify_workspace` is what ``ceasefire audit verify`` and ``GET /audit/verify`` run: the
audit chain and every covered row (:func:`ceasefire.store.audit.verify`), then every guarantor
key's history and every approval's signature.

A checkpoint is a guarantor's signature, with its current key, of the audit head and the
guarantors' current key fingerprints (``ceasefire audit checkpoint --key FILE --out FILE``). Kept
outside the system, it lets anyone with the file show later that the log up to that head was not
rewritten and the keys were not swapped — even by someone who can write the whole database.
"""

from __future__ import annotations

from typing import Any

from ceasefire.errors import ConfigError
from ceasefire.governance.decisions import approval_checks
from ceasefire.governance.keys import key_ledger
from ceasefire.governance.signing import (
    PrivateKey,
    fingerprint,
    public_key_of,
    sign,
    signature_valid,
    statement,
)
from ceasefire.store import Store, audit
from ceasefire.store.audit import AuditProblem

__all__ = ["check_checkpoint", "make_checkpoint", "verify_workspace"]


def _signature_problems(store: Store) -> list[AuditProblem]:
    ledger = key_ledger(store)
    problems = [AuditProblem(0, message, "guarantor_keys", row) for row, message in ledger.problems]
    conn = store.conn
    upgraded = {int(seq) for (seq,) in conn.execute(
        "SELECT seq FROM audit WHERE action = 'audit.upgrade'")}  # fmt: skip
    rows = conn.execute(
        "SELECT id, kind, subject, text, effective, until, proposed_by, created_at, decided_at, "
        "agreement, value FROM decisions ORDER BY id"
    ).fetchall()
    for row in rows:
        _, refused = approval_checks(store, row, ledger)
        for item in refused:
            where = f"approvals(decision_id={row[0]}, account={item['account']})"
            if item["reason"].startswith("not signed"):
                key = audit.canonical_json([row[0], item["user_id"]])
                seqs = {int(s) for (s,) in conn.execute(
                    "SELECT seq FROM audit_rows WHERE tbl = 'approvals' AND row_key = ?", (key,))}  # fmt: skip
                if seqs and seqs <= upgraded:
                    continue  # recorded before approvals were signatures: it does not count
            problems.append(AuditProblem(0, f"this approval does not count: {item['reason']}",
                                         "approvals", where))  # fmt: skip
    return problems


def verify_workspace(store: Store, expected_head: tuple[int, str] | None = None,
                     checkpoints: tuple[dict[str, Any], ...] = ()) -> list[AuditProblem]:  # fmt: skip
    """Every problem: the chain's first bad entry, rows no entry vouches for, key histories and
    approvals that do not verify, and checkpoints the log no longer matches."""
    problems = audit.verify(store.conn, expected_head)
    problems += _signature_problems(store)
    for checkpoint in checkpoints:
        problems += check_checkpoint(store, checkpoint)
    return problems


def make_checkpoint(store: Store, key: PrivateKey) -> dict[str, Any]:
    """The current head and key fingerprints, signed with a guarantor's current key."""
    public = public_key_of(key)
    current = key_ledger(store).current()
    mine = next((k for k in current.values() if k.public_key == public), None)
    if mine is None:
        raise ConfigError("This key is not a guarantor's current key in this workspace "
                          "(see ceasefire keys list).")  # fmt: skip
    seq, digest = audit.head(store.conn)
    from ceasefire.governance.accounts import now_text

    fields = {"seq": seq, "hash": digest, "at": now_text(), "guarantor": mine.guarantor,
              "keys": {g: k.fingerprint for g, k in sorted(current.items())}}  # fmt: skip
    text = statement("checkpoint", **fields)
    return {"checkpoint": fields, "statement": text, "public_key": public,
            "fingerprint": mine.fingerprint, "signature": sign(key, text)}  # fmt: skip


def check_checkpoint(store: Store, data: dict[str, Any]) -> list[AuditProblem]:
    """Whether the log and the key history still match a checkpoint kept outside the system."""
    try:
        fields = data["checkpoint"]
        public, signature = str(data["public_key"]), str(data["signature"])
        seq, digest = int(fields["seq"]), str(fields["hash"])
        guarantor, keys = str(fields["guarantor"]), dict(fields["keys"])
    except (KeyError, TypeError, ValueError):
        return [AuditProblem(0, "the checkpoint file is not one ceasefire audit checkpoint wrote")]
    text = statement("checkpoint", **fields)
    name = f"checkpoint {seq}:{digest[:16]}… signed by {guarantor} ({fingerprint(public)[:16]}…)"
    if not signature_valid(public, text, signature) or keys.get(guarantor) != fingerprint(public):
        return [AuditProblem(seq, f"{name}: its signature does not verify")]
    problems = []
    row = store.conn.execute("SELECT hash FROM audit WHERE seq = ?", (seq,)).fetchone()
    if row is None:
        problems.append(AuditProblem(seq, f"{name}: the log no longer has this entry (truncated)"))
    elif row[0] != digest:
        problems.append(AuditProblem(seq, f"{name}: this entry differs from the one signed (the log was rewritten)"))  # fmt: skip
    history = {(k.guarantor, k.fingerprint) for k in key_ledger(store).keys}
    for g, fp in sorted(keys.items()):
        if (g, fp) not in history:
            problems.append(AuditProblem(seq, f"{name}: {g}'s key {fp[:16]}… is no longer in the "
                                         "key history (keys were swapped)"))  # fmt: skip
    return problems
