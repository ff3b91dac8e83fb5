"""Accounts, roles, and joint decisions of the guarantors — every write audited.

Roles: ``admin`` (accounts), ``guarantor`` (one per guarantor, ``party`` = USA / RUS), ``party``
(a party's liaison cell, ``party`` = its actor or group id), ``monitor``, ``public``.  The
permission table (:data:`PERMISSIONS`) is the one place that says who may do what.

A guarantor decision (extend a phase, reset the clock, end a phase…) takes effect only when every
guarantor the rule names has approved it through an account of its own: one approval per
guarantor, from at least two different accounts; the proposer's approval counts once; an admin
account cannot approve.  Tokens are shown once; only their sha256 is stored.

Governance sits below the alerts: when an approval makes a decision take effect,
:func:`approve_and_alert` calls the hook its caller gives (the service layer wires it to the
webhooks: :func:`ceasefire.service.approve_decision`).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ceasefire.errors import AccessDeniedError, ConfigError, NotFoundError
from ceasefire.model.agreement import Agreement, Coverage, Decision
from ceasefire.store import Store, audit

__all__ = ["PERMISSIONS", "ROLES", "Account", "DecisionAlert", "add_user", "approve", "approve_and_alert",
           "authenticate", "decision_status", "effective_decisions", "propose"]  # fmt: skip

ROLES = ("admin", "guarantor", "party", "monitor", "public")
PERMISSIONS: dict[str, frozenset[str]] = {
    "users.add": frozenset({"admin"}),
    "agreements.register": frozenset({"admin"}),
    "decisions.propose": frozenset({"guarantor"}),
    "decisions.approve": frozenset({"guarantor"}),
    "decisions.read": frozenset({"admin", "guarantor", "party", "monitor", "public"}),
    "audit.verify": frozenset({"admin", "guarantor", "monitor"}),
}

DecisionAlert = Callable[[Store, dict[str, Any]], list[dict[str, Any]]]
"""Called once when an approval makes a decision take effect, with the store and the decision's
status; returns the alerts it delivered."""


@dataclass(frozen=True)
class Account:
    id: int
    name: str
    role: str
    party: str | None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def allow(account: Account, permission: str) -> None:
    if account.role not in PERMISSIONS[permission]:
        raise AccessDeniedError(
            f"The {account.role} account {account.name!r} may not {permission}."
        )


def add_user(store: Store, name: str, role: str, party: str | None, by: str,
             agreement: Agreement | None = None) -> str:  # fmt: skip
    """Create an account; returns its token (shown once). The first account must be an admin."""
    if role not in ROLES:
        raise ConfigError(f"Role {role!r} is not one of {', '.join(ROLES)}.")
    if role in ("guarantor", "party") and not party:
        raise ConfigError(f"A {role} account needs --party (the guarantor or party it speaks for).")
    if role == "guarantor" and agreement is not None and party not in agreement.guarantor_ids():
        raise ConfigError(
            f"{party!r} is not a guarantor of {agreement.id}: {', '.join(agreement.guarantor_ids())}."
        )
    token = secrets.token_urlsafe(32)
    with store.transaction() as conn:
        (count,) = conn.execute("SELECT count(*) FROM users").fetchone()
        if count == 0 and role != "admin":
            raise ConfigError(
                "The first account must be an admin: ceasefire users add NAME --role admin."
            )
        if conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
            raise ConfigError(f"An account named {name!r} exists already.")
        conn.execute("INSERT INTO users(name, role, party, token_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                     (name, role, party, _hash(token), _now()))  # fmt: skip
        audit.append(conn, by, "users.add", name, {"role": role, "party": party})
    return token


def authenticate(store: Store, token: str | None) -> Account:
    if not token:
        raise AccessDeniedError("This needs an account: give --token (or set CEASEFIRE_TOKEN).")
    row = store.conn.execute(
        "SELECT id, name, role, party FROM users WHERE token_hash = ? AND disabled = 0",
        (_hash(token),),
    ).fetchone()
    if row is None:
        raise AccessDeniedError("The token is not valid for this workspace.")
    return Account(int(row[0]), str(row[1]), str(row[2]), row[3])


def propose(store: Store, account: Account, kind: str, subject: str, text: str, effective: datetime,
            until: datetime | None, decided_at: datetime | None = None, *,
            agreement: Agreement, value: str | None = None) -> str:  # fmt: skip
    """Record a proposed decision on ``agreement`` with the proposer's approval. ``decided_at``
    states when the guarantors decided, for decisions recorded after the fact; by default, the
    last approval. ``value`` is the new coverage (change_coverage) or the qualification
    (publish_determination). The decision is checked as one in the agreement file would be: an
    unknown kind or subject, or an extension without its new end, is refused now, not accepted to
    do nothing."""
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
        conn.execute(
            "INSERT INTO decisions(id, kind, subject, text, effective, until, proposed_by, created_at, "
            "decided_at, agreement, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (decision_id, kind, subject, text, effective.isoformat(), until.isoformat() if until else None,
             account.id, _now(), decided_at.isoformat() if decided_at else None, agreement.id, value),
        )  # fmt: skip
        conn.execute("INSERT INTO approvals(decision_id, user_id, guarantor, at) VALUES (?, ?, ?, ?)",
                     (decision_id, account.id, account.party, _now()))  # fmt: skip
        audit.append(conn, account.name, "decisions.propose", decision_id,
                     {"agreement": agreement.id, "kind": kind, "subject": subject, "value": value,
                      "effective": effective.isoformat(),
                      "until": until.isoformat() if until else None, "approval_of": account.party})  # fmt: skip
    return decision_id


def approve(store: Store, account: Account, decision_id: str) -> dict[str, Any]:
    allow(account, "decisions.approve")
    with store.transaction() as conn:
        if conn.execute("SELECT 1 FROM decisions WHERE id = ?", (decision_id,)).fetchone() is None:
            raise NotFoundError(f"No decision {decision_id!r}; see ceasefire decisions list.")
        if conn.execute("SELECT 1 FROM approvals WHERE decision_id = ? AND user_id = ?",
                        (decision_id, account.id)).fetchone():  # fmt: skip
            raise ConfigError(
                f"{account.name} has approved {decision_id} already; an approval counts once."
            )
        conn.execute("INSERT INTO approvals(decision_id, user_id, guarantor, at) VALUES (?, ?, ?, ?)",
                     (decision_id, account.id, account.party, _now()))  # fmt: skip
        audit.append(
            conn, account.name, "decisions.approve", decision_id, {"approval_of": account.party}
        )
    return decision_status(store, decision_id, None)


def approve_and_alert(
    store: Store, account: Account, decision_id: str, agreement: Agreement, alert: DecisionAlert
) -> dict[str, Any]:
    """Approve; when this approval makes the decision take effect, call ``alert`` with its status
    and keep the deliveries it returns under ``"alerts"``."""
    before = decision_status(store, decision_id, agreement)["in_effect"]
    approve(store, account, decision_id)
    status = decision_status(store, decision_id, agreement)
    if status["in_effect"] and not before:
        status["alerts"] = alert(store, status)
    return status


def decision_status(store: Store, decision_id: str, agreement: Agreement | None) -> dict[str, Any]:
    row = store.conn.execute(
        "SELECT id, kind, subject, text, effective, until, proposed_by, created_at, decided_at, agreement, "
        "value FROM decisions WHERE id = ?",
        (decision_id,),
    ).fetchone()
    if row is None:
        raise NotFoundError(f"No decision {decision_id!r}.")
    approvals = store.conn.execute(
        "SELECT u.name, a.guarantor, a.at FROM approvals a JOIN users u ON u.id = a.user_id "
        "WHERE a.decision_id = ? AND u.role = 'guarantor' ORDER BY a.at, u.name",
        (decision_id,),
    ).fetchall()
    guarantors = sorted({g for _, g, _ in approvals})
    accounts = sorted({n for n, _, _ in approvals})
    required = list(agreement.guarantor_ids()) if agreement is not None else []
    missing = [g for g in required if g not in guarantors]
    takes_effect = bool(required) and not missing and len(accounts) >= 2
    return {
        "id": row[0], "kind": row[1], "subject": row[2], "text": row[3], "effective": row[4], "until": row[5],
        "decided_at": row[8], "agreement": row[9], "value": row[10],
        "approvals": [{"account": n, "guarantor": g, "at": at} for n, g, at in approvals],
        "required": required, "missing": missing, "in_effect": takes_effect,
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
    for (decision_id,) in rows:
        status = decision_status(store, decision_id, agreement)
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
