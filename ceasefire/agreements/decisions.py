"""One check for a decision, whether it is written in the agreement file or proposed by a
guarantor's account: a decision with an unknown kind or subject, or an extension without its new
end, is refused when it is made — never accepted to do nothing."""

from __future__ import annotations

import difflib
from datetime import datetime

from ceasefire.agreements.schema import DECISION_KINDS, QUALIFICATIONS
from ceasefire.model.agreement import ALL_COVERED, Agreement, Coverage

__all__ = ["decision_problems"]


def decision_problems(
    agreement: Agreement,
    kind: str,
    subject: str,
    effective: datetime,
    until: datetime | None,
    coverage: Coverage | None = None,
    qualification: str | None = None,
) -> list[tuple[str, str]]:
    """(field, message) for each problem of a decision on ``agreement``; empty when it is sound."""
    if kind not in DECISION_KINDS:
        return [
            ("kind", f"{kind!r} is not a decision kind; use one of {', '.join(DECISION_KINDS)}")
        ]
    problems: list[tuple[str, str]] = []
    phases = {p.id: p for p in agreement.phases}

    def must(known: set[str], what: str) -> bool:
        if subject in known:
            return True
        hint = difflib.get_close_matches(subject, sorted(known), n=1, cutoff=0.7)
        extra = f"; did you mean {hint[0]!r}?" if hint else ""
        listing = f" (known: {', '.join(sorted(known))})" if known and len(known) <= 12 else ""
        problems.append(
            ("subject", f"{subject!r} is not a {what} of {agreement.id}{extra}{listing}")
        )
        return False

    if kind in ("extend_phase", "end_phase", "object_renewal"):
        if must(set(phases), "phase"):
            phase = phases[subject]
            joint = phase.renewal is not None and phase.renewal.by == "joint_decision"
            if kind == "extend_phase" and not joint:
                problems.append(("subject", f"phase {subject!r} is not renewed by joint decision"))
            if kind == "object_renewal" and (
                phase.renewal is None or phase.renewal.by != "automatic"
            ):
                problems.append(("subject", f"phase {subject!r} does not renew automatically"))
        if kind == "extend_phase":
            if until is None:
                problems.append(("until", "an extend_phase decision needs 'until' (the new end)"))
            elif until <= effective:
                problems.append(
                    (
                        "until",
                        f"{until.isoformat()} is not after the effective time {effective.isoformat()}",
                    )
                )
    elif kind == "reset_clock":
        counters = {c.id for c in agreement.conditions if c.type == "consecutive_days"}
        if must(counters, "consecutive-days condition"):
            cond = agreement.condition(subject)
            if cond.reset is None or cond.reset.type != "by_joint_decision":
                problems.append(("subject", f"{subject!r} is not reset by joint decision"))
    elif kind == "change_coverage":
        known = {a.id for a in agreement.registry} | set(agreement.actor_groups)
        must(known - {ALL_COVERED}, "actor or group")
        if coverage is None:
            problems.append(("coverage", "a change_coverage decision needs the new 'coverage'"))
    elif kind == "approve_delineation":
        must({z.id for z in agreement.zones}, "zone")
    elif kind == "publish_determination":
        system, _, ident = subject.partition(":")
        if not system or not ident:
            problems.append(("subject", f"{subject!r} is not an incident key such as ucdp:227950"))
        if qualification not in QUALIFICATIONS:
            problems.append(
                (
                    "qualification",
                    f"a determination needs a qualification: one of {', '.join(QUALIFICATIONS)}",
                )
            )
    if kind != "extend_phase" and until is not None and until <= effective:
        problems.append(("until", f"{until.isoformat()} is not after the effective time"))
    return problems
