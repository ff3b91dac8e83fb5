"""Who is bound: the coverage of an actor under an agreement, with the reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from ceasefire.model.agreement import Agreement, Coverage
from ceasefire.model.incidents import Incident

__all__ = ["Side", "SideActor", "coverage_of", "incident_sides"]

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


def coverage_of(agreement: Agreement, actor_id: str) -> tuple[Coverage, str]:
    registry = agreement.registry
    actor = registry.get(actor_id)
    for ex in agreement.exclusions:
        if actor_id == ex.actor or (
            ex.lineage and actor.lineage_key == registry.get(ex.actor).lineage_key
        ):
            via = "" if actor_id == ex.actor else f" (lineage of {ex.actor})"
            rule = f" under the rule '{ex.rule}'" if ex.rule else ""
            return Coverage.EXCLUDED, f"{actor_id} is excluded{via}{rule}"
    for party in agreement.parties:
        if actor_id in party.actors:
            where = f"group {party.group}" if party.group else "a party"
            note = f"; {party.note}" if party.note else ""
            return party.coverage, f"{actor_id} is {party.coverage.value} as {where}{note}"
    side_cov = agreement.coverage_by_side.get(actor.side, Coverage.UNKNOWN)
    return side_cov, f"{actor_id} is {side_cov.value} by default for side '{actor.side}'"


_CACHE_LIMIT = 200_000


def incident_sides(agreement: Agreement, incident: Incident) -> tuple[Side, Side]:
    """The two sides of an incident, each actor resolved at the incident's date and covered or not.

    Results are cached by what determines them (agreement, source system, names and date)."""
    on: date = incident.window.start.astimezone(agreement.timezone).date()
    cache: dict[Any, tuple[Side, Side]] = agreement.cache.setdefault("sides", {})
    key = (incident.source_system, incident.actors, on)
    cached = cache.get(key)
    if cached is None:
        if len(cache) > _CACHE_LIMIT:
            cache.clear()
        cached = cache[key] = _resolve_sides(agreement, incident, on)
    return cached


def _resolve_sides(agreement: Agreement, incident: Incident, on: date) -> tuple[Side, Side]:
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
                cov, why = coverage_of(agreement, actor_id)
                members.append(SideActor(ia.name, actor_id, cov, why, confidence))
        sides.append(Side(label, roles, tuple(members)))
    return sides[0], sides[1]
