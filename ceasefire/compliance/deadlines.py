"""Deadlines as terms: a requirement due by an instant, judged met, missed or cannot evaluate.

* **withdraw** (weapon classes out of a zone): a position report of one of those classes by a
  bearer, inside the zone after the due instant → *missed*; a completion declaration with no such
  report → *met (declared)*; neither → *cannot evaluate*.
* **remove_groups** (groups out of a zone): an incident after the due instant inside the zone with
  one of the groups on a side → *missed*; otherwise as for withdrawal.
* **declare** (acceptance by a deadline): each bearer's acceptance declaration on time → met;
  late → missed (late); none recorded → cannot evaluate.
* anything else: met by a completion declaration, else cannot evaluate.

Before the due instant a deadline is *pending*.  Evidence is named incident by incident.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from ceasefire.compliance.coverage import incident_sides
from ceasefire.compliance.judge import Judge
from ceasefire.model.agreement import ALL_COVERED, Agreement, Term
from ceasefire.model.incidents import Incident

__all__ = ["Deadlines", "deadline_states"]

MET, MISSED, CANNOT, PENDING = "met", "missed", "cannot_evaluate", "pending"
Evidence = list[tuple[datetime | None, dict[str, str]]]


class Deadlines:
    """The deadline terms of an agreement over a set of incidents: the evidence is gathered once;
    each state at a moment uses only what was known then."""

    def __init__(self, judge: Judge, incidents: Iterable[Incident]) -> None:
        self.agreement = judge.agreement
        self.terms = [
            t for t in self.agreement.terms
            if t.type == "deadline" and t.due is not None and t.requirement is not None
        ]  # fmt: skip
        listed = list(incidents) if self.terms else []
        self.evidence: dict[str, Evidence] = {
            t.id: _evidence(self.agreement, t, listed)
            if t.requirement and t.requirement.zone
            else []
            for t in self.terms
        }

    def at(self, at: datetime) -> list[dict[str, Any]]:
        return [_state(self.agreement, t, self.evidence[t.id], at) for t in self.terms]

    def grown(self, added: Sequence[Incident]) -> Deadlines:
        """These deadlines with the evidence of new incidents (none of them among those
        gathered) added: what gathering over all of them gives."""
        new = copy.copy(self)
        listed = list(added) if self.terms else []
        new.evidence = {
            t.id: sorted(
                [*self.evidence[t.id], *_evidence(self.agreement, t, listed)],
                key=lambda e: e[1]["incident"],
            )
            if t.requirement and t.requirement.zone
            else []
            for t in self.terms
        }
        return new


def deadline_states(
    judge: Judge, incidents: Iterable[Incident], at: datetime
) -> list[dict[str, Any]]:
    """The state at ``at`` of every deadline term of the judge's agreement."""
    return Deadlines(judge, incidents).at(at)


def _base(term: Term) -> dict[str, Any]:
    assert term.due is not None
    assert term.requirement is not None
    r = term.requirement
    return {
        "term": term.id,
        "title": term.title,
        "due": term.due.isoformat(),
        "requirement": {
            "what": r.what,
            "zone": r.zone,
            "weapon_classes": list(r.weapon_classes),
            "groups": list(r.groups),
            "route": r.route,
        },
        "refs": list(term.refs),
    }


def _declared(agreement: Agreement, term: Term, at: datetime) -> list[dict[str, Any]]:
    return [
        {"by": d.by, "at": d.at.isoformat(), "text": d.text, "refs": list(d.refs)}
        for d in sorted(agreement.declarations, key=lambda d: d.at)
        if d.kind == "completion" and d.term == term.id and d.at <= at
    ]


def _state(agreement: Agreement, term: Term, found: Evidence, at: datetime) -> dict[str, Any]:
    assert term.due is not None
    assert term.requirement is not None
    out = _base(term)
    declared = _declared(agreement, term, at)
    out["declarations"] = declared
    if at < term.due:
        out.update(state=PENDING, reason=f"due {term.due.isoformat()}")
        return out
    r = term.requirement
    if r.what == "declare":
        return _declarations_due(agreement, term, out)
    evidence = [e for known, e in found if known is None or known <= at]
    out["evidence"] = evidence
    if any(e["result"] == "inside" for e in evidence):
        n = sum(e["result"] == "inside" for e in evidence)
        extra = " despite a declaration of completion" if declared else ""
        out.update(
            state=MISSED, reason=f"{n} record(s) after the due time place it inside {r.zone}{extra}"
        )
    elif declared:
        out.update(
            state=MET,
            reason=f"declared complete by {', '.join(d['by'] for d in declared)}; "
            "no record after the due time contradicts it",
        )
    else:
        unsure = sum(e["result"] == "straddles" for e in evidence)
        why = (
            f"{unsure} record(s) may lie inside the zone (precision)"
            if unsure
            else "no record or declaration"
        )
        out.update(state=CANNOT, reason=f"{why}; compliance cannot be established from the data")
    return out


def _declarations_due(agreement: Agreement, term: Term, out: dict[str, Any]) -> dict[str, Any]:
    assert term.due is not None
    bearers = _bearers(agreement, term)
    per: dict[str, str] = {}
    for actor in bearers:
        accepted = sorted(
            d.at for d in agreement.declarations if d.kind == "acceptance" and actor in d.actors
        )
        if not accepted:
            per[actor] = CANNOT
        elif accepted[0] <= term.due:
            per[actor] = MET
        else:
            per[actor] = f"{MISSED} (declared {accepted[0].isoformat()})"
    out["parties"] = dict(sorted(per.items()))
    states = set(v.split(" ")[0] for v in per.values())
    if MISSED in states:
        out.update(state=MISSED, reason="a declaration came after the deadline")
    elif states == {MET}:
        out.update(state=MET, reason="every bearer declared in time")
    else:
        out.update(state=CANNOT, reason="declarations of some bearers are not recorded")
    return out


def _bearers(agreement: Agreement, term: Term) -> list[str]:
    if ALL_COVERED in term.bearers:
        return sorted(
            {a for p in agreement.parties if p.acquired_by == "declaration" for a in p.actors}
        )
    return sorted({a for b in term.bearers for a in agreement.expand(b)})


def _evidence(agreement: Agreement, term: Term, incidents: list[Incident]) -> Evidence:
    from ceasefire.geo.areas import footprint, relate, zone_shapes

    assert term.due is not None
    assert term.requirement is not None
    r = term.requirement
    assert r.zone is not None
    shape = zone_shapes(agreement)[r.zone]
    bearers = set(_bearers(agreement, term)) if ALL_COVERED not in term.bearers else None
    groups = {a for g in r.groups for a in agreement.expand(g)}
    out: Evidence = []
    for incident in incidents:
        if incident.window.start < term.due:
            continue
        ids = {a for side in incident_sides(agreement, incident) for a in side.ids}
        if r.what == "withdraw":
            if (
                not incident.category.startswith("POS.")
                or incident.sub_category not in r.weapon_classes
            ):
                continue
            if bearers is not None and not ids & bearers:
                continue
        elif r.what == "remove_groups":
            lineages = {
                agreement.registry.get(g).lineage_key for g in groups if g in agreement.registry
            }
            if not any(agreement.registry.get(a).lineage_key in lineages for a in ids):
                continue
        else:
            continue
        rel, why = relate(shape, footprint(incident.place))
        if rel.value in ("inside", "straddles"):
            found = {"incident": incident.key, "result": rel.value, "reason": why}
            out.append((incident.known_from, found))
    return sorted(out, key=lambda e: e[1]["incident"])
