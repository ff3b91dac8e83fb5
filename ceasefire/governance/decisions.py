"""Joint decisions of the guarantors: proposed by a guarantor's account, approved by signatures.

A decision (extend a phase, reset the clock, end a phase…) takes effect only when every guarantor
the agreement names has approved it with its own key: an approval is the Ed25519 signature, by the
guarantor's current key (:mod:`ceasefire.governance.keys`), of the decision's statement
(:func:`decision_statement`: canonical JSON of its id and every field that gives it its effect).
One approval per guarantor counts, from at least two different accounts; the proposer's approval
counts once; an admin holds no key and cannot approve.

What counts is read as the audit chain vouches for it: a decision or an approval whose row no
intact audit entry wrote — inserted or edited in the database directly — does not count, and
neither does a signature that does not verify under the key that was the guarantor's when the
approval was recorded. The decision itself is checked when proposed by the one validator of
decisions (:func:`ceasefire.agreements.decisions.decision_problems`).

Governance sits below the alerts: when an approval makes a decision take effect,
:func:`approve_and_alert` calls the hook its caller gives (the service layer wires it to the
webhooks: :func:`ceasefire.service.approve_decision`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from ceasefire.errors import ConfigError, NotFoundError
from ceasefire.governance.accounts import Account, allow, now_text
from ceasefire.governance.keys import KeyLedger, key_ledger
from ceasefire.governance.signing import PrivateKey, sign, signature_valid, statement
from ceasefire.model.agreement import Agreement, Coverage, Decision
from ceasefire.store import Store, audit

__all__ = ["DecisionAlert", "approval_checks", "approve", "approve_and_alert", "decision_statement", "decision_status",
           "effective_decisions", "propose"]  # fmt: skip

DecisionAlert = Callable[[Store, dict[str, Any]], list[dict[str, Any]]]
"""Called once when an approval makes a decision take effect, with the store and the decision's
status; returns the alerts it delivered."""

_COLUMNS = ("id, kind, subject, text, effective, until, proposed_by, created_at, decided_at, "
            "agreement, value")  # fmt: skip


def _statement_of(row: Any) -> str:
    return statement("decision", id=row[0], agreement=row[9], kind=row[1], subject=row[2],
                     value=row[10], text=row[3], effective=row[4], until=row[5],
                     decided_at=row[8])  # fmt: skip


def decision_statement(store: Store, decision_id: str) -> str:
    """The exact text each guarantor's key signs to approve the decision."""
    # the column list is this module's constant; the id is a bound parameter
    row = store.conn.execute(f"SELECT {_COLUMNS} FROM decisions WHERE id = ?", (decision_id,)).fetchone()  # fmt: skip  # nosec B608
    if row is None:
        raise NotFoundError(f"No decision {decision_id!r}; see ceasefire decisions list.")
    return _statement_of(row)


def propose(store: Store, account: Account, kind: str, subject: str, text: str, effective: datetime,
            until: datetime | None, decided_at: datetime | None = None, *,
            agreement: Agreement, value: str | None = None, key: PrivateKey | None = None) -> str:  # fmt: skip
    """Record a proposed decision on ``agreement``; with ``key`` (the proposer's guarantor's),
    the proposer's approval too. ``decided_at`` states when the guarantors decided, for decisions
    recorded after the fact; by default, the last approval. ``value`` is the new coverage
    (change_coverage) or the qualification (publish_determination). The decision is checked as
    one in the agreement file would be: an unknown kind or subject, an extension without its new
    end, an end not after the start, is refused now, not accepted to do nothing."""
    from ceasefire.agreements.decisions import decision_problems

    allow(account, "decisions.propose")
    if effective.tzinfo is None or (until is not None and until.tzinfo is None):
        raise ConfigError("Decision times need a UTC offset (e.g. 2016-09-14T19:00+03:00).")
    coverage = None
    if kind == "change_coverage" and value is not None:
        try:
            coverage = Coverage(value)
        except ValueError:
            raise ConfigError(
                f"coverage: {value!r} must be one of {[c.value for c in Coverage]}."
            ) from None
    problems = decision_problems(agreement, kind, subject, effective, until, coverage,
                                 value if kind == "publish_determination" else None)  # fmt: skip
    if problems:
        listed = "; ".join(f"{field}: {message}" for field, message in problems)
        raise ConfigError(f"The decision cannot be recorded for {agreement.id}: {listed}.")
    with store.transaction() as conn:
        (n,) = conn.execute("SELECT count(*) FROM decisions").fetchone()
        decision_id = f"DEC-{n + 1:04d}"
        while conn.execute("SELECT 1 FROM decisions WHERE id = ?", (decision_id,)).fetchone():
            n += 1  # a removed row must not make two decisions share an id
            decision_id = f"DEC-{n + 1:04d}"
        conn.execute(
            # the column list is this module's constant; every value is a bound parameter
            f"INSERT INTO decisions({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",  # nosec B608
            (decision_id, kind, subject, text, effective.isoformat(), until.isoformat() if until else None,
             account.id, now_text(), decided_at.isoformat() if decided_at else None, agreement.id, value),
        )  # fmt: skip
        audit.append(conn, account.name, "decisions.propose", decision_id,
                     {"agreement": agreement.id, "kind": kind, "subject": subject, "value": value,
                      "effective": effective.isoformat(),
                      "until": until.isoformat() if until else None, "proposed_for": account.party},
                     [("decisions", (decision_id,))])  # fmt: skip
    if key is not None:
        approve(store, account, decision_id, sign(key, decision_statement(store, decision_id)))
    return decision_id


def approve(store: Store, account: Account, decision_id: str, signature: str) -> dict[str, Any]:
    """Record the account's guarantor's approval: ``signature`` is its current key's signature
    (base64) of :func:`decision_statement`."""
    allow(account, "decisions.approve")
    text = decision_statement(store, decision_id)
    key = key_ledger(store).current().get(account.party or "")
    if key is None:
        raise ConfigError(f"{account.party} has no registered key; its guarantor registers one "
                          "first (ceasefire keys register --key FILE).")  # fmt: skip
    if not signature_valid(key.public_key, text, signature):
        raise ConfigError(f"The signature is not {account.party}'s current key ({key.fingerprint[:16]}…) "
                          f"signing the decision's statement {text}.")  # fmt: skip
    with store.transaction() as conn:
        if conn.execute("SELECT 1 FROM approvals WHERE decision_id = ? AND user_id = ?",
                        (decision_id, account.id)).fetchone():  # fmt: skip
            raise ConfigError(
                f"{account.name} has approved {decision_id} already; an approval counts once."
            )
        conn.execute("INSERT INTO approvals(decision_id, user_id, guarantor, at, key_fingerprint, "
                     "signature) VALUES (?, ?, ?, ?, ?, ?)",
                     (decision_id, account.id, account.party, now_text(), key.fingerprint, signature))  # fmt: skip
        audit.append(conn, account.name, "decisions.approve", decision_id,
                     {"approval_of": account.party, "key": key.fingerprint},
                     [("approvals", (decision_id, account.id))])  # fmt: skip
    return decision_status(store, decision_id, None)


def approve_and_alert(store: Store, account: Account, decision_id: str, agreement: Agreement,
                      signature: str, alert: DecisionAlert) -> dict[str, Any]:  # fmt: skip
    """Approve; when this approval makes the decision take effect, call ``alert`` with its status
    and keep the deliveries it returns under ``"alerts"``."""
    before = decision_status(store, decision_id, agreement)["in_effect"]
    approve(store, account, decision_id, signature)
    status = decision_status(store, decision_id, agreement)
    if status["in_effect"] and not before:
        status["alerts"] = alert(store, status)
    return status


def approval_checks(store: Store, row: Any, ledger: KeyLedger) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:  # fmt: skip
    """(approvals that count, approvals that do not, each with the reason)."""
    conn = store.conn
    listed = conn.execute(
        "SELECT a.user_id, u.name, u.role, a.guarantor, a.at, a.key_fingerprint, a.signature "
        "FROM approvals a LEFT JOIN users u ON u.id = a.user_id WHERE a.decision_id = ? "
        "ORDER BY a.at, u.name",
        (row[0],),
    ).fetchall()
    counted: list[dict[str, Any]] = []
    refused: list[dict[str, Any]] = []
    if any(r[6] for r in listed):
        decision_vouched = bool(audit.vouched(conn, "decisions", "id = ?", (row[0],)))
        vouched = audit.vouched(conn, "approvals", "decision_id = ?", (row[0],))
    else:
        decision_vouched, vouched = False, {}
    text = _statement_of(row)
    for user_id, name, role, guarantor, at, fp, signature in listed:
        item = {"account": name, "user_id": int(user_id), "guarantor": guarantor, "at": at}
        key = ledger.by_fingerprint(fp)
        seq = vouched.get((row[0], int(user_id)), (None, None))[1]
        if not signature:
            reason = "not signed (recorded before approvals were signatures)"
        elif not decision_vouched:
            reason = "the decision's record is not vouched for by the audit chain"
        elif seq is None:
            reason = "the approval's record is not vouched for by the audit chain"
        elif role != "guarantor":
            reason = "not by a guarantor's account"
        elif key is None or key.guarantor != guarantor or not key.active_at(seq):
            reason = f"not signed with {guarantor}'s key of that time"
        elif not signature_valid(key.public_key, text, signature):
            reason = "the signature does not verify"
        else:
            counted.append({"account": name, "guarantor": guarantor, "at": at, "key": fp})
            continue
        refused.append({**item, "reason": reason})
    return counted, refused


def decision_status(store: Store, decision_id: str, agreement: Agreement | None,
                    ledger: KeyLedger | None = None) -> dict[str, Any]:  # fmt: skip
    # the column list is this module's constant; the id is a bound parameter
    row = store.conn.execute(f"SELECT {_COLUMNS} FROM decisions WHERE id = ?", (decision_id,)).fetchone()  # fmt: skip  # nosec B608
    if row is None:
        raise NotFoundError(f"No decision {decision_id!r}.")
    counted, refused = approval_checks(store, row, ledger or key_ledger(store))
    guarantors = sorted({a["guarantor"] for a in counted})
    accounts = sorted({a["account"] for a in counted})
    required = list(agreement.guarantor_ids()) if agreement is not None else []
    missing = [g for g in required if g not in guarantors]
    takes_effect = bool(required) and not missing and len(accounts) >= 2
    return {
        "id": row[0], "kind": row[1], "subject": row[2], "text": row[3], "effective": row[4], "until": row[5],
        "decided_at": row[8], "agreement": row[9], "value": row[10],
        "approvals": counted,
        "not_counted": [{"guarantor": r["guarantor"], "at": r["at"], "reason": r["reason"]} for r in refused],
        "required": required, "missing": missing, "in_effect": takes_effect,
        "statement": _statement_of(row),
    }  # fmt: skip


def effective_decisions(store: Store, agreement: Agreement) -> list[Decision]:
    """Stored decisions on ``agreement`` that have every required approval, as agreement decisions
    for the engine and the clock (decisions recorded before they named an agreement apply where
    their subject exists)."""
    from ceasefire.agreements.decisions import decision_problems

    out = []
    rows = store.conn.execute(
        "SELECT id FROM decisions WHERE agreement IS NULL OR agreement = ? ORDER BY id",
        (agreement.id,),
    ).fetchall()
    ledger = key_ledger(store) if rows else None
    for (decision_id,) in rows:
        status = decision_status(store, decision_id, agreement, ledger)
        if not status["in_effect"]:
            continue
        value = status["value"]
        coverage = Coverage(value) if status["kind"] == "change_coverage" and value else None
        qualification = value if status["kind"] == "publish_determination" else None
        effective = datetime.fromisoformat(status["effective"])
        until = datetime.fromisoformat(status["until"]) if status["until"] else None
        if decision_problems(
            agreement, status["kind"], status["subject"], effective, until, coverage, qualification
        ):
            continue
        decided = (datetime.fromisoformat(status["decided_at"]) if status["decided_at"]
                   else max(datetime.fromisoformat(a["at"]) for a in status["approvals"]))  # fmt: skip
        out.append(
            Decision(
                id=decision_id, kind=status["kind"], subject=status["subject"], decided_at=decided,
                effective=effective,
                approvals=tuple(sorted({a["guarantor"] for a in status["approvals"]})),
                until=until, coverage=coverage, text=status["text"], qualification=qualification,
            )
        )  # fmt: skip
    return out
