"""The agreement as typed records (built and validated by :mod:`ceasefire.agreements.loader`).

An agreement has one or more *lifecycles* (one for the whole agreement, or one per zone, running
in parallel), each a start and a sequence of phases.  Every *term* carries its scope: the bearers it
binds, the zones it applies inside or outside, the phases in which it applies, the actions, means,
weapon classes and targets it concerns, and its exceptions.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ceasefire.model.actors import ActorRegistry

__all__ = [
    "ALL_COVERED",
    "Agreement",
    "Band",
    "Classification",
    "Condition",
    "Coverage",
    "Decision",
    "Declaration",
    "Determination",
    "Duration",
    "Exclusion",
    "Guarantor",
    "Indicator",
    "Instrument",
    "Lifecycle",
    "Link",
    "MonitoringBody",
    "Party",
    "Phase",
    "Renewal",
    "Requirement",
    "ResetRule",
    "Start",
    "Term",
    "Zone",
    "ZoneRule",
]

ALL_COVERED = "all_covered"


class Coverage(enum.StrEnum):
    COVERED = "covered"
    EXCLUDED = "excluded"
    UNKNOWN = "unknown"
    NOT_PARTY = "not_party"
    PROTECTED = "protected"  # civilians: never a party, never bound


_DURATION = re.compile(
    r"^P(?:(?P<y>\d+)Y)?(?:(?P<mo>\d+)M)?(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?"
    r"(?:T(?:(?P<h>\d+)H)?(?:(?P<mi>\d+)M)?(?:(?P<s>\d+)S)?)?$"
)


@dataclass(frozen=True)
class Duration:
    """An ISO 8601 duration.  Years, months and days are calendar steps in local time (P6M from
    6 May is 6 November); hours, minutes and seconds are elapsed time (PT48H is 48 hours)."""

    months: int = 0
    days: int = 0
    seconds: int = 0
    text: str = ""

    @classmethod
    def parse(cls, text: str) -> Duration:
        match = _DURATION.match(text)
        if match is None or text in ("P", "PT") or text.endswith("T"):
            raise ValueError(f"{text!r} is not an ISO 8601 duration such as PT48H, P7D or P6M")
        g = {k: int(v) if v else 0 for k, v in match.groupdict().items()}
        if g["y"] > 1000 or g["mo"] > 12_000 or g["w"] > 60_000 or g["d"] > 400_000:
            raise ValueError(f"{text!r} is longer than any agreement")
        seconds = g["h"] * 3600 + g["mi"] * 60 + g["s"]
        if seconds > 400_000 * 86400:
            raise ValueError(f"{text!r} is longer than any agreement")
        duration = cls(g["y"] * 12 + g["mo"], g["w"] * 7 + g["d"], seconds, text)
        if duration.is_zero:
            raise ValueError(f"{text!r} is a zero duration")
        return duration

    @property
    def is_zero(self) -> bool:
        return self.months == 0 and self.days == 0 and self.seconds == 0

    def after(self, start: datetime) -> datetime:
        """The instant this duration after ``start`` (aware), stepping the calendar in its zone."""
        local = start
        if self.months:
            month0 = local.month - 1 + self.months
            year = local.year + month0 // 12
            month = month0 % 12 + 1
            day = min(local.day, _days_in_month(year, month))
            local = local.replace(year=year, month=month, day=day)
        if self.days:
            local = local + timedelta(days=self.days)  # wall-clock days (aware arithmetic)
        if not self.seconds:
            return local
        elapsed = local.astimezone(UTC) + timedelta(seconds=self.seconds)  # elapsed, not wall-clock
        return elapsed.astimezone(local.tzinfo)

    def approx(self) -> timedelta:
        return timedelta(days=self.months * 30.44 + self.days, seconds=self.seconds)


def _days_in_month(year: int, month: int) -> int:
    import calendar

    return calendar.monthrange(year, month)[1]


@dataclass(frozen=True)
class Instrument:
    id: str
    title: str
    status: str  # published | leaked | unpublished | reported
    date: str = ""
    note: str = ""
    refs: tuple[str, ...] = ()
    endorsed_by: str = ""


@dataclass(frozen=True)
class Link:
    relation: str  # builds_on | supersedes | superseded_by | renews | amends | implements
    agreement: str
    note: str = ""
    refs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Classification:
    kind: str | None = None
    purpose: str | None = None
    depth: str | None = None
    coverage: str | None = None
    written: bool | None = None
    ended_on: str | None = None
    ended_how: str | None = None


@dataclass(frozen=True)
class Guarantor:
    actor: str
    answers_for: tuple[str, ...]
    refs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Party:
    actors: tuple[str, ...]  # one actor, or the members of a group
    coverage: Coverage
    acquired_by: str  # declaration | signature | association | guarantor | presumed | decision
    group: str | None = None
    note: str = ""
    refs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Declaration:
    id: str
    by: str  # actor or group id as written
    actors: tuple[str, ...]  # the actor ids it speaks for
    kind: str  # acceptance | withdrawal | completion | objection | reservation
    at: datetime
    term: str | None = None
    text: str = ""
    refs: tuple[str, ...] = ()
    phase: str | None = None


@dataclass(frozen=True)
class Exclusion:
    actor: str
    lineage: bool
    rule: str = ""
    refs: tuple[str, ...] = ()
    members: bool = True  # a member of the excluded group is excluded while it is one


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
class Renewal:
    by: str  # joint_decision | automatic
    of: tuple[str, ...] = ()
    block: Duration | None = None
    objection_by: tuple[str, ...] = ()
    refs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Phase:
    id: str
    title: str
    starts: str  # "start" | "after:<phase id>" | "conditions"
    duration: Duration | None  # None: open-ended
    lifecycle: str = ""
    renewal: Renewal | None = None
    entry_conditions: tuple[str, ...] = ()
    status_historical: str = ""
    refs: tuple[str, ...] = ()

    @property
    def renewal_by(self) -> tuple[str, ...]:
        return self.renewal.of if self.renewal is not None else ()


@dataclass(frozen=True)
class Lifecycle:
    id: str
    title: str
    zones: tuple[str, ...]  # empty: the whole agreement
    start: Start
    phases: tuple[str, ...]
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
class Band:
    line: str  # the contact line's zone id
    depth_min_m: float
    depth_max_m: float
    within: str | None = None


@dataclass(frozen=True)
class Zone:
    id: str
    type: str
    title: str
    geometry: dict[str, Any] | None  # inline or read from the file beside the agreement
    status: str  # delineated | approximate | undelineated | unpublished
    within: tuple[str, ...] = ()  # admin areas (P-codes or names) it lies in, for notes
    rules: tuple[ZoneRule, ...] = ()
    reference_feature: str = ""
    note: str = ""
    refs: tuple[str, ...] = ()
    reference_line: str | None = None  # a packaged line (data/zones/<name>.geojson) the bands use
    pcodes: tuple[str, ...] = ()  # the zone as a union of OCHA admin units
    band: Band | None = None
    method: str = ""
    restricted_actor: str | None = None
    line: int = 0  # its line in the agreement file, for located errors found later

    @property
    def has_area(self) -> bool:
        return self.geometry is not None or bool(self.pcodes) or self.band is not None


@dataclass(frozen=True)
class Requirement:
    what: str  # withdraw | remove_groups | declare | open_route | other
    zone: str | None = None
    weapon_classes: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    route: str | None = None


@dataclass(frozen=True)
class Term:
    id: str
    type: str  # prohibition | requirement | permission | deadline
    action: str
    phases: tuple[str, ...]
    bearers: tuple[str, ...] = (ALL_COVERED,)  # actor ids, group ids, or "all_covered"
    title: str = ""
    category: str = "prohibited_acts"
    inside: tuple[str, ...] = ()  # zones it applies inside (any); empty: everywhere
    outside: tuple[str, ...] = ()  # zones it does not apply inside
    means: tuple[str, ...] = ()
    weapon_classes: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    self_defence: str | None = None  # the permission term for self-defence
    excluded_exempt: bool = True  # action involving an excluded group is outside the term
    holds_on_excluded_ground: bool = False
    due: datetime | None = None
    requirement: Requirement | None = None
    text: str = ""
    refs: tuple[str, ...] = ()

    @property
    def zone(self) -> str | None:
        """The first zone the term applies inside (distance bands are measured in it)."""
        return self.inside[0] if self.inside else None


@dataclass(frozen=True)
class Decision:
    id: str
    kind: str  # see ceasefire.agreements.schema.DECISION_KINDS
    subject: str
    decided_at: datetime
    effective: datetime
    approvals: tuple[str, ...]
    until: datetime | None = None
    coverage: Coverage | None = None
    text: str = ""
    refs: tuple[str, ...] = ()
    qualification: str | None = None  # publish_determination


@dataclass(frozen=True)
class Determination:
    incident: str
    qualification: str
    by: str
    at: datetime
    terms: tuple[str, ...] = ()
    attribution: tuple[str, ...] = ()
    note: str = ""
    refs: tuple[str, ...] = ()


@dataclass(frozen=True)
class MonitoringBody:
    id: str
    type: str
    title: str
    members: tuple[str, ...] = ()
    location: str = ""
    lat: float | None = None
    lon: float | None = None
    zones: tuple[str, ...] = ()
    established: str | None = None
    ended: str | None = None
    mandate: str = ""
    refs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Indicator:
    metric: str = "fatalities_best"
    baseline_from: str | None = None
    baseline_to: str | None = None
    baseline_days: int = 7


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
    lifecycles: tuple[Lifecycle, ...]
    phases: tuple[Phase, ...]
    conditions: tuple[Condition, ...]
    zones: tuple[Zone, ...]
    terms: tuple[Term, ...]
    decisions: tuple[Decision, ...]
    sources: dict[str, str]
    registry: ActorRegistry
    source_file: str = ""
    notes: tuple[str, ...] = ()  # warnings kept with the agreement (e.g. a start disagreement)
    declarations: tuple[Declaration, ...] = ()
    determinations: tuple[Determination, ...] = ()
    links: tuple[Link, ...] = ()
    classification: Classification = field(default_factory=Classification)
    monitoring_bodies: tuple[MonitoringBody, ...] = ()
    indicator: Indicator = field(default_factory=Indicator)
    report_cutoff: str = "24:00"
    weapon_vocabulary: frozenset[str] = frozenset()
    means_vocabulary: frozenset[str] = frozenset()
    # memo of derived values (resolved incident sides, zone shapes); not part of the identity
    # (not an init field: ``dataclasses.replace`` gives a changed agreement a fresh memo)
    cache: dict[Any, Any] = field(
        default_factory=dict, init=False, compare=False, repr=False, hash=False
    )

    @property
    def start(self) -> Start:
        """The start of the agreement-wide lifecycle (or the earliest one)."""
        whole = [lc for lc in self.lifecycles if not lc.zones]
        pool = whole or list(self.lifecycles)
        return min(pool, key=lambda lc: lc.start.instant).start

    @property
    def first_start(self) -> datetime:
        return min(lc.start.instant for lc in self.lifecycles)

    def lifecycle(self, lifecycle_id: str) -> Lifecycle:
        return next(lc for lc in self.lifecycles if lc.id == lifecycle_id)

    def phase(self, phase_id: str) -> Phase:
        return next(p for p in self.phases if p.id == phase_id)

    def condition(self, condition_id: str) -> Condition:
        return next(c for c in self.conditions if c.id == condition_id)

    def zone(self, zone_id: str) -> Zone:
        return next(z for z in self.zones if z.id == zone_id)

    def term(self, term_id: str) -> Term:
        return next(t for t in self.terms if t.id == term_id)

    def zone_phases(self, zone_id: str) -> tuple[str, ...]:
        """The phases in which something applies in a zone: its terms' phases and its own
        lifecycle's."""
        phases = {p for t in self.terms if zone_id in t.inside for p in t.phases}
        for lc in self.lifecycles:
            if zone_id in lc.zones:
                phases.update(lc.phases)
        return tuple(sorted(phases))

    def expand(self, ref: str) -> tuple[str, ...]:
        """Actor ids named by ``ref``: an actor id or a group id."""
        if ref in self.actor_groups:
            return self.actor_groups[ref]
        return (ref,)

    def guarantor_ids(self) -> tuple[str, ...]:
        return tuple(g.actor for g in self.guarantors)
