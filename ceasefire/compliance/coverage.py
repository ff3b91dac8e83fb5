"""Who is bound, and when: the coverage of an actor under an agreement at an instant, with the reason.

In order:
1. **Exclusions** — the actor, its lineage (JN → JFS → HTS), or a coalition it was a member of on
   that day (a member stays itself, but an exclusion that binds members reaches it while it is one).
2. **Coverage decisions** — a joint decision (``change_coverage``) in effect at the instant.
3. **Parties** — the coverage the file states; a party that acquires coverage by declaration is
   covered from its acceptance declaration (unknown before it, not a party after a withdrawal).
4. **Sides** — the agreement's default for the actor's side in the registry.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any

from ceasefire.model.agreement import Agreement, Coverage, Party
from ceasefire.model.incidents import Incident

__all__ = ["Side", "SideActor", "coverage_of", "incident_sides"]

_TICK = timedelta(microseconds=1)

# roles that make up each side, per source system; the first side of one-sided violence and the
# "perpetrator" role are the only ones that carry a direction
SIDE_ROLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("a", ("side_a", "actor1", "assoc_actor_1", "perpetrator")),
    ("b", ("side_b", "actor2", "assoc_actor_2", "target")),
)


@dataclass(frozen=True)
class SideActor:
    name: str
    actor_id: str | None
    coverage: Coverage
    reason: str
    confidence: float


@dataclass(frozen=True)
class Side:
    label: str  # "a" or "b"
    roles: tuple[str, ...]
    actors: tuple[SideActor, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(a.actor_id for a in self.actors if a.actor_id)

    def with_coverage(self, *coverages: Coverage) -> tuple[SideActor, ...]:
        return tuple(a for a in self.actors if a.coverage in coverages)

    @property
    def empty(self) -> bool:
        return not self.actors

    @cached_property
    def described(self) -> str:
        """Its actors with their coverage, as a finding's facts name them."""
        return (
            ", ".join(f"{a.actor_id or a.name} ({a.coverage.value})" for a in self.actors)
            or "nobody named"
        )


def _excluded_by(agreement: Agreement, actor_id: str, members: bool = False) -> str | None:
    """Why ``actor_id`` is excluded, or ``None``; ``members``: only by exclusions that reach members."""
    registry = agreement.registry
    actor = registry.get(actor_id)
    for ex in agreement.exclusions:
        if members and not ex.members:
            continue
        if actor_id == ex.actor or (
            ex.lineage
            and ex.actor in registry
            and actor.lineage_key == registry.get(ex.actor).lineage_key
        ):
            via = "" if actor_id == ex.actor else f" (lineage of {ex.actor})"
            rule = f" under the rule '{ex.rule}'" if ex.rule else ""
            return f"{actor_id} is excluded{via}{rule}"
    return None


def coverage_of(
    agreement: Agreement, actor_id: str, at: datetime | None = None
) -> tuple[Coverage, str]:
    """The coverage of ``actor_id`` at ``at`` (``None``: as the file states it, undated)."""
    registry = agreement.registry
    excluded = _excluded_by(agreement, actor_id)
    if excluded is not None:
        return Coverage.EXCLUDED, excluded
    day = at.astimezone(agreement.timezone).date() if at is not None else None
    if day is not None:
        for m in registry.coalitions_of(actor_id, day):
            via = _excluded_by(agreement, m.of, members=True)
            if via is not None:
                until = f" until {m.left}" if m.left else ""
                return (
                    Coverage.EXCLUDED,
                    f"{actor_id} was a member of {m.of} from {m.joined}{until}, and {via}",
                )
    decided = _decided(agreement, actor_id, at)
    if decided is not None:
        return decided
    for party in agreement.parties:
        if actor_id in party.actors:
            return _party_coverage(agreement, party, actor_id, at)
    actor = registry.get(actor_id)
    side_cov = agreement.coverage_by_side.get(actor.side, Coverage.UNKNOWN)
    return side_cov, f"{actor_id} is {side_cov.value} by default for side '{actor.side}'"


def _decided(
    agreement: Agreement, actor_id: str, at: datetime | None
) -> tuple[Coverage, str] | None:
    hits = [
        d
        for d in agreement.decisions
        if d.kind == "change_coverage"
        and d.coverage is not None
        and actor_id in agreement.expand(d.subject)
        and (at is None or d.effective <= at)
        and set(agreement.guarantor_ids()) <= set(d.approvals)
    ]
    if not hits:
        return None
    last = max(hits, key=lambda d: (d.effective, d.id))
    assert last.coverage is not None
    return last.coverage, (
        f"{actor_id} is {last.coverage.value} by the joint decision {last.id} "
        f"effective {last.effective.isoformat()}"
    )


def _party_coverage(
    agreement: Agreement, party: Party, actor_id: str, at: datetime | None
) -> tuple[Coverage, str]:
    where = f"group {party.group}" if party.group else "a party"
    note = f"; {party.note}" if party.note else ""
    if party.acquired_by == "declaration" and at is not None:
        own = [d for d in agreement.declarations if actor_id in d.actors]
        accepted = sorted(d.at for d in own if d.kind == "acceptance")
        withdrawn = sorted(d.at for d in own if d.kind == "withdrawal")
        if accepted:
            if at < accepted[0]:
                return Coverage.UNKNOWN, (
                    f"{actor_id} had not yet declared acceptance (it did at {accepted[0].isoformat()})"
                )
            gone = [w for w in withdrawn if w > accepted[0] and w <= at]
            if gone:
                return Coverage.NOT_PARTY, f"{actor_id} withdrew at {gone[0].isoformat()}"
            return Coverage.COVERED, (
                f"{actor_id} is covered as {where} since its declaration of {accepted[0].isoformat()}{note}"
            )
    return party.coverage, f"{actor_id} is {party.coverage.value} as {where}{note}"


_CACHE_LIMIT = 200_000


def incident_sides(agreement: Agreement, incident: Incident) -> tuple[Side, Side]:
    """The two sides of an incident, each actor resolved at the incident's date and covered or not.

    Results are cached by what determines them (agreement, source system, names and window)."""
    cache: dict[Any, tuple[Side, Side]] = agreement.cache.setdefault("sides", {})
    w = incident.window
    key = (incident.source_system, incident.actors, w.start, w.end)
    cached = cache.get(key)
    if cached is None:
        if len(cache) > _CACHE_LIMIT:
            cache.clear()
        cached = cache[key] = _resolve_sides(agreement, incident)
    return cached


def _changes(agreement: Agreement) -> list[datetime]:
    """The instants at which some coverage can change: declarations, coverage decisions, and the
    first moment of each day a coalition membership begins or ends (local days)."""
    cached: list[datetime] | None = agreement.cache.get("coverage_changes")
    if cached is None:
        tz = agreement.timezone
        moments = {d.at for d in agreement.declarations}
        moments |= {d.effective for d in agreement.decisions if d.kind == "change_coverage"}
        for m in agreement.registry.memberships:
            for day in (m.joined, m.left):
                if day is not None:
                    moments.add(datetime.combine(day, datetime.min.time(), tzinfo=tz))
        cached = agreement.cache["coverage_changes"] = sorted(moments)
    return cached


def _dated_coverage(agreement: Agreement, actor_id: str, at: datetime) -> tuple[Coverage, str]:
    """``coverage_of`` memoised between the instants at which coverage can change."""
    changes = _changes(agreement)
    key = (actor_id, bisect_right(changes, at))
    memo: dict[Any, tuple[Coverage, str]] = agreement.cache.setdefault("coverage_memo", {})
    hit = memo.get(key)
    if hit is None:
        hit = memo[key] = coverage_of(agreement, actor_id, at)
    return hit


def _coverage_over(agreement: Agreement, actor_id: str, incident: Incident) -> tuple[Coverage, str]:
    """Coverage over the incident's window: if it changes inside the window, it is unknown."""
    start = _dated_coverage(agreement, actor_id, incident.window.start)
    if start[0] is Coverage.EXCLUDED:
        return start
    end = _dated_coverage(agreement, actor_id, incident.window.end - _TICK)
    if end[0] is not start[0]:
        return Coverage.UNKNOWN, (
            f"{actor_id}'s coverage changes inside the incident's window ({start[1]}; then {end[1]})"
        )
    return start


def _resolve_sides(agreement: Agreement, incident: Incident) -> tuple[Side, Side]:
    on: date = incident.window.start.astimezone(agreement.timezone).date()
    sides = []
    for label, roles in SIDE_ROLES:
        members: list[SideActor] = []
        for ia in incident.actors_in(*roles):
            if incident.source_system in ("humanitarian", "news") and ia.name in agreement.registry:
                res_ids: tuple[str, ...] = (ia.name,)
                confidence = 1.0
            else:
                res = agreement.registry.resolve_list(ia.name, on, incident.source_system)
                res_ids, confidence = res.actor_ids, res.confidence
                if res.method == "member-split-partial":
                    for part in (p.strip() for p in ia.name.split(",")):
                        if (
                            part
                            and not agreement.registry.resolve(
                                part, on, incident.source_system
                            ).resolved
                        ):
                            members.append(
                                SideActor(
                                    part,
                                    None,
                                    Coverage.UNKNOWN,
                                    f"{part!r} is not in the actor registry",
                                    0.0,
                                )
                            )
            if not res_ids:
                members.append(
                    SideActor(
                        ia.name,
                        None,
                        Coverage.UNKNOWN,
                        f"{ia.name!r} is not in the actor registry",
                        0.0,
                    )
                )
                continue
            for actor_id in res_ids:
                cov, why = _coverage_over(agreement, actor_id, incident)
                members.append(SideActor(ia.name, actor_id, cov, why, confidence))
        sides.append(Side(label, roles, tuple(members)))
    return sides[0], sides[1]
