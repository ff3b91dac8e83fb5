"""The agreement as typed records (built and validated by :mod:`ceasefire.agreements.loader`)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ceasefire.model.actors import ActorRegistry

__all__ = [
    "Agreement",
    "Condition",
    "Coverage",
    "Decision",
    "Exclusion",
    "Guarantor",
    "Instrument",
    "Obligation",
    "Party",
    "Phase",
    "ResetRule",
    "Start",
    "Zone",
    "ZoneRule",
]


class Coverage(enum.StrEnum):
    COVERED = "covered"
    EXCLUDED = "excluded"
    UNKNOWN = "unknown"
    NOT_PARTY = "not_party"
    PROTECTED = "protected"  # civilians: never a party, never bound


@dataclass(frozen=True)
class Instrument:
    id: str
    title: str
    status: str  # published | leaked | unpublished | reported
    date: str = ""
    note: str = ""
    refs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Guarantor:
    actor: str
    answers_for: tuple[str, ...]
    refs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Party:
    actors: tuple[str, ...]  # one actor, or the members of a group
    coverage: Coverage
    acquired_by: str  # declaration | signature | association | presumed | …
    group: str | None = None
    note: str = ""
    refs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Exclusion:
    actor: str
    lineage: bool
    rule: str = ""
    refs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Start:
    label: str
    instant: datetime  # the governing instant
    stated: datetime | None  # what the sources state
    stated_text: str
    computed: datetime | None  # from the solar event, if one is given
    solar_event: str | None
    solar_place: str | None
    governs: str  # stated | solar
    disagreement_minutes: float | None
    tolerance_minutes: float
    refs: tuple[str, ...] = ()

    @property
    def disagrees(self) -> bool:
        return (
            self.disagreement_minutes is not None
            and abs(self.disagreement_minutes) > self.tolerance_minutes
        )


@dataclass(frozen=True)
class ResetRule:
    type: str  # automatic | by_joint_decision
    of: tuple[str, ...] = ()
    trigger: str = ""
    refs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Phase:
    id: str
    title: str
    starts: str  # "start" | "after:<phase id>" | "conditions"
    duration: timedelta | None
    renewal_by: tuple[str, ...] = ()  # guarantors whose joint decision renews/extends
    renewal_block: timedelta | None = None
    entry_conditions: tuple[str, ...] = ()
    obligations: tuple[str, ...] = ()
    status_historical: str = ""
    refs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Condition:
    id: str
    type: str  # reduced_violence | humanitarian_access_delivered | air_activity_halted | consecutive_days
    title: str
    params: dict[str, Any] = field(default_factory=dict)
    reset: ResetRule | None = None
    refs: tuple[str, ...] = ()


@dataclass(frozen=True)
class ZoneRule:
    bearer: str
    weapon_classes: tuple[str, ...]
    side: str = ""
    min_distance_m: float | None = None
    text: str = ""
    refs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Zone:
    id: str
    type: str
    title: str
    geometry: dict[str, Any] | None
    status: str  # delineated | approximate | undelineated | unpublished
    admin1: tuple[str, ...] = ()  # governorates the zone lies in (for "cannot evaluate" notes)
    active_in: tuple[str, ...] = ()  # phases; empty = whenever its obligations apply
    rules: tuple[ZoneRule, ...] = ()
    reference_feature: str = ""
    note: str = ""
    refs: tuple[str, ...] = ()
    reference_line: str | None = None  # a packaged line (data/zones/<name>.geojson) the bands use


@dataclass(frozen=True)
class Obligation:
    id: str
    bearers: tuple[str, ...]  # actor ids, group ids, or "all_covered"
    type: str  # prohibition | requirement | permission
    action: str  # attack | acquire_territory | humanitarian_access | self_defence | withdraw | …
    title: str = ""
    means: tuple[str, ...] = ()
    zone: str | None = None
    phases: tuple[str, ...] = ()
    exceptions: tuple[str, ...] = ()
    refs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    id: str
    kind: str  # extend_phase | reset_clock | end_phase | approve_delineation | …
    subject: str
    decided_at: datetime
    effective: datetime
    approvals: tuple[str, ...]
    until: datetime | None = None
    text: str = ""
    refs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Agreement:
    id: str
    title: str
    timezone: ZoneInfo
    instruments: tuple[Instrument, ...]
    actor_groups: dict[str, tuple[str, ...]]
    guarantors: tuple[Guarantor, ...]
    parties: tuple[Party, ...]
    coverage_by_side: dict[str, Coverage]
    exclusions: tuple[Exclusion, ...]
    start: Start
    phases: tuple[Phase, ...]
    conditions: tuple[Condition, ...]
    zones: tuple[Zone, ...]
    obligations: tuple[Obligation, ...]
    decisions: tuple[Decision, ...]
    sources: dict[str, str]
    registry: ActorRegistry
    source_file: str = ""
    notes: tuple[str, ...] = ()  # warnings kept with the agreement (e.g. a start disagreement)
    # memo of derived values (resolved incident sides); not part of the agreement's identity
    cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False, hash=False)

    def phase(self, phase_id: str) -> Phase:
        return next(p for p in self.phases if p.id == phase_id)

    def condition(self, condition_id: str) -> Condition:
        return next(c for c in self.conditions if c.id == condition_id)

    def zone(self, zone_id: str) -> Zone:
        return next(z for z in self.zones if z.id == zone_id)

    def obligation(self, obligation_id: str) -> Obligation:
        return next(o for o in self.obligations if o.id == obligation_id)

    def expand(self, ref: str) -> tuple[str, ...]:
        """Actor ids named by ``ref``: an actor id or a group id."""
        if ref in self.actor_groups:
            return self.actor_groups[ref]
        return (ref,)

    def guarantor_ids(self) -> tuple[str, ...]:
        return tuple(g.actor for g in self.guarantors)
