"""Who may see what: the one visibility rule of the centre, applied to every read path.

A party's submission to the centre — a complaint or a claim a party cell posts, or a file of a
party's reports imported on the command line — is **restricted** from the moment it arrives,
whichever intake path brought it: it is recorded in the ``distribution`` table with the party it
came from.  Until a guarantor releases it, it reaches only that party's own cell, the guarantors,
the monitors and the admins; the public and the other parties never see it, nor anything computed
from it (a count, a clock day, a scorecard, a finding).  Reporter identities (the sources of a
report) reach only those who see everything and the reporting cell itself, even once released.

Every surface asks :func:`restrictions` for its audience and filters what it reads from the store
with :func:`visible_incidents` and :func:`visible_claims` *before* computing anything
(``ceasefire.service`` does it for every read it offers: a read there cannot be made without
saying for whom).  The intake paths record submissions through the batch they store
(:attr:`ceasefire.model.batches.Batch.restricted`), in the same transaction as the records.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from ceasefire.model.agreement import Decision
from ceasefire.model.incidents import Incident
from ceasefire.store import Store, audit

__all__ = [
    "OPERATOR",
    "PUBLIC",
    "SEES_ALL",
    "WITHHELD",
    "Audience",
    "Restrictions",
    "audience_of",
    "parse_audience",
    "release",
    "restrictions",
    "sees_unreleased",
    "visible_claims",
    "visible_decision",
    "visible_decisions",
    "visible_incidents",
]

SEES_ALL = frozenset({"admin", "guarantor", "monitor"})
WITHHELD = "(withheld)"  # a decision's subject the audience may not see


@dataclass(frozen=True)
class Audience:
    """Who a read is for: a role, and the party the account speaks for (a party's cell sees that
    party's own submissions; a guarantor's party is shown, and changes nothing it sees)."""

    role: str
    party: str | None = None
    name: str | None = None

    @property
    def sees_all(self) -> bool:
        return self.role in SEES_ALL

    @property
    def scope(self) -> str:
        """Audiences with the same scope see the same data."""
        if self.sees_all:
            return "all"
        return f"party:{self.party}" if self.role == "party" else "public"

    @property
    def distribution(self) -> str:
        """The marking a report made for this audience carries."""
        if self.sees_all:
            return "RESTRICTED — guarantors, monitors and the centre's staff"
        if self.role == "party":
            return f"RESTRICTED — {self.party}'s cell (its own submissions and what was released)"
        return "PUBLIC"


class _Caller(Protocol):
    @property
    def role(self) -> str: ...
    @property
    def party(self) -> str | None: ...
    @property
    def name(self) -> str: ...


def audience_of(account: _Caller | None) -> Audience:
    """The audience an authenticated account (or, for None, an anonymous caller) reads as."""
    if account is None:
        return PUBLIC
    return Audience(account.role, account.party, account.name)


def parse_audience(text: str) -> Audience:
    """``public``, ``all`` (the centre's staff) or ``party:ID`` (that party's cell) — the
    command line's ``--audience``."""
    if text == "public":
        return PUBLIC
    if text == "all":
        return OPERATOR
    if text.startswith("party:") and len(text) > len("party:"):
        return Audience("party", text.removeprefix("party:"))
    raise ValueError(f"audience {text!r}: use public, all or party:ID")


PUBLIC = Audience("public")
OPERATOR = Audience("admin", name="operator")  # the centre's own staff at the command line


@dataclass(frozen=True)
class Restrictions:
    audience: Audience
    hidden: frozenset[str]  # keys (incidents ``report:ID``, claims ``report:ID``) it may not see
    own: frozenset[str]  # keys of its own cell's submissions

    def may_see(self, key: str) -> bool:
        return key not in self.hidden

    def sees_reporter(self, key: str) -> bool:
        return self.audience.sees_all or key in self.own


def own_submission(audience: Audience, party: str) -> bool:
    """Whether a submission of ``party``'s cell is ``audience``'s own."""
    return audience.role == "party" and bool(audience.party) and party == audience.party


def sees_unreleased(audience: Audience, party: str) -> bool:
    """The rule: a submission of ``party`` not yet released reaches ``audience`` only if it sees
    everything (guarantors, monitors, admins) or it is that party's own cell."""
    return audience.sees_all or own_submission(audience, party)


def restrictions(store: Store, audience: Audience) -> Restrictions:
    """What ``audience`` may not see in ``store`` (the one rule, read from ``distribution``)."""
    hidden: set[str] = set()
    own: set[str] = set()
    rows = store.conn.execute("SELECT key, party, released_at FROM distribution").fetchall()
    # a release counts only when the audit chain vouches for it: a row edited in the database to
    # look released stays restricted (fail closed; ``audit verify`` names it)
    released = {k[0] for k in audit.vouched(store.conn, "distribution", "released_at IS NOT NULL")}
    for key, party, _ in rows:
        if own_submission(audience, party):
            own.add(str(key))
        if key not in released and not sees_unreleased(audience, party):
            hidden.add(str(key))
    return Restrictions(audience, frozenset(hidden), frozenset(own))


def visible_incidents(incidents: Iterable[Incident], r: Restrictions) -> list[Incident]:
    """The incidents ``r``'s audience may see, reporter identities withheld where it may not."""
    out = []
    hidden = r.hidden
    for incident in incidents:
        if incident.key in hidden:  # r.may_see, inline: called for every incident of the archive
            continue
        if incident.source_system == "report" and not r.sees_reporter(incident.key):
            incident = withhold_reporter(incident)
        out.append(incident)
    return out


def visible_claims(claims: Iterable[Any], r: Restrictions) -> list[Any]:
    """The claims (records with an ``id``) ``r``'s audience may see."""
    return [c for c in claims if r.may_see(f"claim:{c.id}")]


def visible_decision(decision: dict[str, Any], r: Restrictions) -> dict[str, Any]:
    """A guarantors' decision as ``r``'s audience may read it.  A decision is a public act, but
    its subject may be a submission the audience may not see (a determination published on a
    complaint not yet released): then the subject is withheld (:data:`WITHHELD`, with
    ``subject_withheld``), so the decision does not tell that the submission exists."""
    subject = decision.get("subject")
    if isinstance(subject, str) and not r.may_see(subject):
        return {**decision, "subject": WITHHELD, "subject_withheld": True}
    return decision


def visible_decisions(decisions: Iterable[Decision], r: Restrictions) -> tuple[Decision, ...]:
    """The agreement's decisions as ``r``'s
    audience may read them: as :func:`visible_decision`, a subject it may not see is
    :data:`WITHHELD` (the clock's status lists the decisions in force)."""
    return tuple(d if r.may_see(d.subject) else replace(d, subject=WITHHELD) for d in decisions)


def withhold_reporter(incident: Incident) -> Incident:
    """The incident without who reported it (sources, the original row, judges' names)."""
    judgements = tuple(replace(j, by="reporter withheld", sources=()) for j in incident.judgements)
    return replace(incident, sources=(), native=(), judgements=judgements)


def release(conn: Any, key: str) -> bool:
    """Release a restricted submission to everyone (inside the caller's transaction)."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    changed = conn.execute(
        "UPDATE distribution SET released_at = coalesce(released_at, ?) WHERE key = ?", (now, key)
    ).rowcount
    return bool(changed)
