"""The agreement file format, version 2, as typed models.

These models are the one definition of the format: the loader validates files with them, ``ceasefire
agreement schema`` prints their JSON Schema, and ``docs/agreement-format.md`` is generated from that
schema (a test fails when a field has no description or example, or the page is out of date).

The coverage follows the provision categories of the UN DPPA *Guidance on Mediation of Ceasefires*
(2022, ch. 1: timing, definitions, prohibited acts, separation of forces and lines, monitoring and
verification, humanitarian provisions) and the codes of the ETH/PRIO Civil Conflict Ceasefire
dataset (class, purpose, coverage, end).  Instants, dates and durations are kept as text here and
parsed by the loader, which knows the agreement's time zone and reports errors with their line.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "ACTIONS",
    "COVERAGES",
    "DECISION_KINDS",
    "MEANS",
    "QUALIFICATIONS",
    "TARGETS",
    "WEAPON_CLASSES",
    "AgreementFile",
    "AgreementSpec",
]

Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_.:-]{0,79}$")]
SourceKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")]
Text = Annotated[str, StringConstraints(max_length=4000)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=300)]
# A file beside the agreement: a bare name, never a path.
FileName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,119}$")]
PCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}[0-9]{2,8}$")]

Coverage = Literal["covered", "excluded", "unknown", "not_party", "protected"]
COVERAGES: tuple[str, ...] = get_args(Coverage)
Action = Literal[
    "attack",
    "acquire_territory",
    "humanitarian_access",
    "self_defence",
    "withdraw",
    "separate",
    "fly",
    "declare",
    "monitor_access",
    "deploy",
    "release_detainees",
    "open_route",
    "other",
]
ACTIONS: tuple[str, ...] = get_args(Action)
Target = Literal[
    "parties", "civilians", "convoys", "humanitarian_staff", "infrastructure", "monitors"
]
TARGETS: tuple[str, ...] = get_args(Target)
# means of attack an incident can be coded with (ACLED sub-event types, report codes)
MEANS = (
    "any_weapon",
    "aerial_bombardment",
    "artillery",
    "rockets",
    "mortars",
    "atgm",
    "small_arms",
    "ground_assault",
    "explosives",
    "chemical",
    "drones",
)
# weapon classes of position reports and withdrawal or deployment terms
WEAPON_CLASSES = (
    "heavy_vehicles",
    "tanks",
    "apc",
    "artillery",
    "mlrs",
    "mortars",
    "atgm",
    "other_military_equipment",
    "personnel",
    "light_machine_guns",
    "fixed_wing",
    "rotary_wing",
    "uav",
)
DECISION_KINDS = (
    "extend_phase",
    "end_phase",
    "reset_clock",
    "change_coverage",
    "object_renewal",
    "approve_delineation",
    "publish_determination",
    "other",
)
QUALIFICATIONS = ("violation", "not_violation", "undetermined", "out_of_scope")


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", strict=True, allow_inf_nan=False, frozen=True, populate_by_name=True
    )


def _f(description: str, example: Any, **kwargs: Any) -> Any:
    """A documented field: every field of the format carries a description and an example."""
    return Field(description=description, examples=[example], **kwargs)


Refs = Annotated[
    list[SourceKey],
    Field(
        default_factory=list,
        description="Keys of the sources (listed under `sources`) that make this entry real.",
        examples=[["S1", "S66"]],
        max_length=200,
    ),
]


class Ended(_Model):
    """How and when the ceasefire ended (ETH/PRIO CF: end date and way of ending)."""

    on: str = _f("The date it ended (YYYY-MM-DD).", "2016-09-19")
    how: Literal["violated", "expired", "replaced", "superseded", "completed", "unknown"] = _f(
        "How it ended.", "violated"
    )
    note: Text = _f("What the sources say.", "The Syrian army declared the truce over.", default="")
    refs: Refs


class Classification(_Model):
    """The ceasefire's codes after the ETH/PRIO Civil Conflict Ceasefire dataset (CF)."""

    kind: Literal["unilateral", "bilateral", "multilateral"] | None = _f(
        "Who declared it: one party, two, or more (CF class).", "bilateral", default=None
    )
    purpose: (
        Literal["humanitarian", "conflict_management", "peace_process", "elections", "other"] | None
    ) = _f("What it was for (CF purpose).", "conflict_management", default=None)
    depth: Literal["simple_cessation", "preliminary", "definitive"] | None = _f(
        "Clayton & Sticher's type: a simple cessation of hostilities, a preliminary ceasefire with"
        " some compliance mechanism, or a definitive one.",
        "preliminary",
        default=None,
    )
    coverage: Literal["comprehensive", "partial"] | None = _f(
        "Geographic coverage: the whole conflict area or named areas (CF coverage).",
        "partial",
        default=None,
    )
    written: bool | None = _f("Whether a written text exists.", True, default=None)
    ended: Ended | None = _f(
        "How it ended, if it did.", {"on": "2016-09-19", "how": "violated"}, default=None
    )


class Instrument(_Model):
    """A document the agreement consists of."""

    id: Id = _f("Identifier of the document.", "feb-terms")
    title: Text = _f("Its title.", "Terms for a Cessation of Hostilities in Syria")
    status: Literal["published", "leaked", "unpublished", "reported"] = _f(
        "Whether its text is public: published, leaked, unpublished (known to exist), or reported"
        " only through statements.",
        "published",
    )
    date: str | None = _f("Date or date-time it was issued.", "2016-02-22", default=None)
    in_force: str | None = _f("Date it entered into force.", "2016-03-28", default=None)
    endorsed_by: Text | None = _f(
        "A body that endorsed it.", "UNSC resolution 2268 (2016-02-26)", default=None
    )
    language: Text | None = _f("Language(s) of the text.", "en", default=None)
    note: Text = _f("A remark.", "Russian text published 2016-09-27", default="")
    refs: Refs


class Link(_Model):
    """A relation to another agreement."""

    relation: Literal[
        "builds_on", "supersedes", "superseded_by", "renews", "amends", "implements"
    ] = _f("How this agreement relates to the other.", "builds_on")
    agreement: Name = _f("The other agreement's id (bundled or not).", "syria-2016-02")
    note: Text = _f("What the relation means here.", "Restores the February cessation.", default="")
    refs: Refs


class LocalActor(_Model):
    """An actor known only to this agreement (added to the registry for it)."""

    id: Id = _f("A new actor id (must not exist in the registry).", "TR_OP_POSTS")
    name: Name = _f("Canonical name.", "Turkish observation posts")
    side: Name = _f(
        "Side, as the registry uses it (government, opposition, guarantor, foreign, …).",
        "guarantor",
    )
    type: Name = _f("Kind of actor.", "foreign_state_force", default="armed_group")
    aliases: list[Name] = _f("Other names.", ["Turkish OPs"], default_factory=list)
    arabic: list[Name] = _f("Arabic names.", ["نقاط المراقبة التركية"], default_factory=list)
    members: list[Id] = _f("Member actor ids (a coalition).", [], default_factory=list)
    source_names: list[Name] = _f(
        "Names in coded datasets, as `system:name`.",
        ["acled:Military Forces of Turkey (2016-)"],
        default_factory=list,
    )
    valid_from: str | None = _f(
        "First day the actor existed (YYYY-MM-DD).", "2017-10-12", default=None
    )
    valid_to: str | None = _f("Day it ceased to exist (YYYY-MM-DD).", None, default=None)
    note: Text = _f("A remark.", "Twelve posts around the Idlib area.", default="")
    refs: Refs


class Alias(_Model):
    """More names for an actor that already exists, for this agreement only."""

    actor: Id = _f("The registry actor id.", "FAYLAQ")
    names: list[Name] = _f("Names as this agreement's sources write them.", ["Sham Legion"])
    source_names: list[Name] = _f(
        "Names in coded datasets, as `system:name`.", ["acled:Faylaq al Sham"], default_factory=list
    )
    refs: Refs


class Membership(_Model):
    """A group's membership of a coalition over time: the member stays itself."""

    member: Id = _f("The member actor id.", "ZENKI")
    of: Id = _f("The coalition's actor id.", "HTS")
    joined: str = _f("Date it joined (YYYY-MM-DD).", "2017-01-28")
    left: str | None = _f("Date it left, if it did.", "2017-07-20", default=None)
    refs: Refs


class Actors(_Model):
    """Agreement-local actors, aliases and memberships."""

    local: list[LocalActor] = _f(
        "Actors added for this agreement.",
        [{"id": "TR_OP_POSTS", "name": "Turkish observation posts", "side": "guarantor"}],
        default_factory=list,
    )
    aliases: list[Alias] = _f(
        "Names added to registry actors.",
        [{"actor": "FAYLAQ", "names": ["Sham Legion"]}],
        default_factory=list,
    )
    memberships: list[Membership] = _f(
        "Coalition memberships over time (added to the registry's).",
        [{"member": "ZENKI", "of": "HTS", "joined": "2017-01-28", "left": "2017-07-20"}],
        default_factory=list,
    )


class Guarantor(_Model):
    """A state (or body) that guarantees the agreement and answers for named groups."""

    actor: Id = _f("The guarantor's actor id.", "TUR")
    answers_for: list[Id] = _f(
        "Groups or actors it answers for.", ["armed_opposition"], default_factory=list
    )
    refs: Refs


class Party(_Model):
    """Who is bound: an actor or a group, its coverage and how it was acquired."""

    actor: Id | None = _f("An actor id (give this or `group`).", "SYR_GOV", default=None)
    group: Id | None = _f("A group id from `actor_groups`.", "armed_opposition", default=None)
    coverage: Coverage = _f(
        "covered (bound), unknown (whether bound is not known), excluded, not_party, or protected"
        " (civilians: never a party, never bound). With `acquired_by: declaration` the party is"
        " covered from the instant of its acceptance declaration (`declarations`).",
        "covered",
    )
    acquired_by: Literal[
        "declaration", "signature", "association", "guarantor", "presumed", "decision"
    ] = _f("How coverage was acquired.", "declaration", default="presumed")
    note: Text = _f("A remark.", "accepted the February terms", default="")
    refs: Refs


class Declaration(_Model):
    """A dated statement by a party: acceptance, withdrawal, completion of a requirement, objection."""

    id: Id = _f("Identifier.", "DECL_SYR_GOV")
    by: Id = _f("Actor or group id.", "SYR_GOV")
    kind: Literal["acceptance", "withdrawal", "completion", "objection", "reservation"] = _f(
        "acceptance covers the party from `at`; withdrawal ends its coverage; completion says a"
        " deadline term was met; objection objects to an automatic renewal.",
        "acceptance",
    )
    at: str = _f("When it was made (local date-time or with an offset).", "2016-02-23T18:00")
    term: Id | None = _f("The term it is about (for completion).", None, default=None)
    phase: Id | None = _f(
        "The phase it is about (for an objection to an automatic renewal).", None, default=None
    )
    text: Text = _f("What was declared, in the project's words.", "Accepts the terms.", default="")
    refs: Refs


class Exclusion(_Model):
    """A group outside the agreement: action against it is outside the terms."""

    actor: Id = _f("The excluded actor id.", "JFS")
    lineage: bool = _f(
        "Bind the whole lineage (JN → JFS → HTS) rather than one name.", True, default=True
    )
    members: bool = _f(
        "Also exclude a group while it is a member of the excluded one (membership dates).",
        True,
        default=True,
    )
    rule: Text = _f("The rule as the text states it.", "Jabhat al-Nusra", default="")
    refs: Refs


class Solar(_Model):
    """A start given as a solar event at a place (sundown, dawn…)."""

    event: Literal["sunset", "sunrise", "dawn", "dusk", "noon"] = _f("The event.", "sunset")
    date: str = _f("The local date (YYYY-MM-DD).", "2016-09-12")
    place: Name = _f("Where it is computed.", "Damascus")
    lat: float = _f("Latitude (WGS84).", 33.5138, ge=-90, le=90)
    lon: float = _f("Longitude (WGS84).", 36.2765, ge=-180, le=180)


class Start(_Model):
    """When a lifecycle starts: the stated local time and/or a solar event."""

    label: Name = _f("What the sources call it.", "Day D", default="start")
    local: str | None = _f(
        "The start as the sources state it (local date-time, or with an offset).",
        "2016-09-12T19:00",
        default=None,
    )
    text: Text = _f("The sources' words.", "sundown on Monday 12 September", default="")
    solar: Solar | None = _f(
        "The solar event, computed with astral.",
        {"event": "sunset", "date": "2016-09-12", "place": "Damascus", "lat": 33.51, "lon": 36.28},
        default=None,
    )
    governs: Literal["stated", "solar"] | None = _f(
        "Which instant governs when both are given.", "stated", default=None
    )
    tolerance_minutes: float = _f(
        "A larger gap between stated and computed is a warning.", 10, default=5.0, ge=0, le=1440
    )
    refs: Refs


class Renewal(_Model):
    """How a phase is renewed after its duration."""

    by: Literal["joint_decision", "automatic"] = _f(
        "joint_decision: only a recorded decision of the listed guarantors extends it;"
        " automatic: it renews every `block` unless one of `objection_by` objects.",
        "joint_decision",
    )
    of: list[Id] = _f(
        "Guarantors whose joint decision renews it.", ["USA", "RUS"], default_factory=list
    )
    block: str | None = _f("Length of each renewal (ISO 8601 duration).", "PT48H", default=None)
    objection_by: list[Id] = _f(
        "Who may stop an automatic renewal by objecting.",
        ["RUS", "TUR", "IRN"],
        default_factory=list,
    )
    refs: Refs


class EntryConditions(_Model):
    """Conditions that must all hold before a phase starts."""

    all_of: list[Id] = _f("Condition ids.", ["C_seven_days"])


class Phase(_Model):
    """A stretch of the lifecycle in which some terms apply."""

    id: Id = _f("Identifier (unique in the agreement).", "cessation")
    title: Text = _f("Title.", "Renewed cessation of hostilities", default="")
    starts: str = _f("`start` (the lifecycle's start), `after:<phase>` or `conditions`.", "start")
    duration: str | None = _f(
        "ISO 8601 duration (PT48H, P7D, P6M, P1Y); null or absent: open-ended.",
        "PT48H",
        default=None,
    )
    renewal: Renewal | None = _f(
        "How it is renewed.",
        {"by": "joint_decision", "of": ["USA", "RUS"], "block": "PT48H"},
        default=None,
    )
    entry_conditions: EntryConditions | None = _f(
        "For `starts: conditions`.", {"all_of": ["C_seven_days"]}, default=None
    )
    status_historical: Text = _f("What happened to it.", "never_reached", default="")
    refs: Refs


class Lifecycle(_Model):
    """A sequence of phases with its own start: one for the agreement, or one per zone."""

    id: Id = _f("Identifier.", "national")
    title: Text = _f("Title.", "Nationwide", default="")
    zones: list[Id] = _f(
        "Zones whose own lifecycle this is; empty: the whole agreement.", [], default_factory=list
    )
    start: Start = _f("When it starts.", {"label": "Day D", "local": "2016-09-12T19:00"})
    phases: list[Phase] = _f(
        "Its phases.", [{"id": "cessation", "starts": "start", "duration": "PT48H"}], min_length=1
    )
    refs: Refs


class Baseline(_Model):
    """A window of local days."""

    from_: str = _f("First day (YYYY-MM-DD).", "2016-09-05", alias="from")
    to: str = _f("Last day (YYYY-MM-DD), inclusive.", "2016-09-11")


class ReducedViolence(_Model):
    """Violence on an agreement day against the daily mean of a baseline."""

    type: Literal["reduced_violence"] = _f("Condition type.", "reduced_violence")
    id: Id = _f("Identifier.", "C_reduced_violence")
    title: Text = _f("Title.", "Violence reduced against the week before", default="")
    metric: Literal["fatalities_best", "incident_count"] = _f(
        "What is counted.", "fatalities_best", default="fatalities_best"
    )
    scope: Literal["parties_not_excluded", "all"] = _f(
        "Which incidents count (parties_not_excluded: a party is involved and no excluded group).",
        "parties_not_excluded",
        default="parties_not_excluded",
    )
    baseline: Baseline = _f("The baseline days.", {"from": "2016-09-05", "to": "2016-09-11"})
    threshold_ratio: float = _f(
        "Met when the day is at most this share of the baseline.", 0.5, gt=0
    )
    decide_on: Literal["estimate", "low", "high"] = _f(
        "Which bound decides: the apportioned estimate, incidents wholly inside the day (low), or"
        " every incident that overlaps it (high).",
        "estimate",
        default="estimate",
    )
    refs: Refs


class AidDelivered(_Model):
    """Humanitarian aid delivered to a destination on an agreement day."""

    type: Literal["humanitarian_access_delivered"] = _f(
        "Condition type.", "humanitarian_access_delivered"
    )
    id: Id = _f("Identifier.", "C_aid_delivered")
    title: Text = _f("Title.", "Aid delivered to besieged eastern Aleppo", default="")
    destination: Name = _f("The convoys' destination id.", "east_aleppo")
    refs: Refs


class AirHalted(_Model):
    """An actor's air activity halted inside a zone."""

    type: Literal["air_activity_halted"] = _f("Condition type.", "air_activity_halted")
    id: Id = _f("Identifier.", "C_air_halted")
    title: Text = _f("Title.", "Syrian air activity halted in the designated areas", default="")
    actor: Id = _f("The actor id.", "SyAAF")
    zone: Id = _f("The zone id.", "designated_areas")
    refs: Refs


class Reset(_Model):
    """How a consecutive-days count returns to zero."""

    type: Literal["automatic", "by_joint_decision"] = _f(
        "automatic: a failing day resets it; by_joint_decision: only a recorded decision does.",
        "by_joint_decision",
    )
    of: list[Id] = _f("Guarantors whose decision resets it.", ["USA", "RUS"], default_factory=list)
    trigger: Text = _f("What prompts a reset.", "serious_violation", default="")
    refs: Refs


class ConsecutiveDays(_Model):
    """A count of consecutive agreement days on which other conditions hold."""

    type: Literal["consecutive_days"] = _f("Condition type.", "consecutive_days")
    id: Id = _f("Identifier.", "C_seven_days")
    title: Text = _f("Title.", "Seven consecutive days", default="")
    days: int = _f("How many days.", 7, ge=1, le=3660)
    of: list[Id] = _f(
        "The daily conditions.", ["C_reduced_violence", "C_aid_delivered"], min_length=1
    )
    reset: Reset | None = _f(
        "How it resets.", {"type": "by_joint_decision", "of": ["USA", "RUS"]}, default=None
    )
    refs: Refs


Condition = Annotated[
    ReducedViolence | AidDelivered | AirHalted | ConsecutiveDays, Field(discriminator="type")
]


class ZoneRule(_Model):
    """A distance band of a zone: how far a bearer's weapon class must stay from the reference line."""

    bearer: Id = _f("Actor or group id.", "syrian_government_side")
    side_of_road: Literal["north", "south", "east", "west", "both"] | None = _f(
        "Side of the reference line the band lies on.", "north", default=None
    )
    weapon_class: str | list[str] = _f(
        "Weapon class(es) the band applies to.", "heavy_vehicles", default_factory=list
    )
    min_distance_m: float | None = _f(
        "Minimum distance from the line (m).", 3500, default=None, ge=0
    )
    allowed_arms: Text | None = _f(
        "Arms allowed inside the band.", "light_machine_guns", default=None
    )
    rule: Text = _f(
        "The rule in words, where no distance is given.", "withdraw in parallel", default=""
    )
    refs: Refs


class Band(_Model):
    """A zone made as a band along a contact line, inside another zone."""

    line: Id = _f("The contact line's zone id.", "idlib_contact_line")
    depth_min_m: float = _f("Depth that is surely inside (m).", 15000, ge=0, le=200000)
    depth_max_m: float = _f("Depth that may be inside (m).", 20000, ge=0, le=200000)
    within: Id | None = _f("The zone the band lies inside.", "idlib_area", default=None)


class Zone(_Model):
    """An area, line or point the terms refer to."""

    id: Id = _f("Identifier.", "castello_dmz")
    type: Literal[
        "demilitarized_zone",
        "withdrawal_band",
        "restricted_airspace",
        "corridor",
        "checkpoint",
        "disengagement_area",
        "de_escalation_area",
        "security_zone",
        "buffer_zone",
        "contact_line",
        "observation_area",
    ] = _f("Kind of zone.", "demilitarized_zone")
    title: Text = _f("Title.", "Castello Road demilitarised zone", default="")
    status: Literal["delineated", "approximate", "undelineated", "unpublished"] = _f(
        "delineated (an agreed map), approximate (made by this project: say how in `method`),"
        " undelineated or unpublished (no geometry).",
        "approximate",
    )
    geometry: dict[str, Any] | None = _f(
        "Inline GeoJSON geometry (WGS84).",
        {"type": "Point", "coordinates": [37.1, 36.2]},
        default=None,
    )
    geometry_file: FileName | None = _f(
        "A GeoJSON file beside the agreement file (a name, not a path).",
        "syria-2017-05.zones.geojson",
        default=None,
    )
    feature: Name | None = _f(
        "The feature id in `geometry_file`, when it holds several.", "area_1_idlib", default=None
    )
    pcodes: list[PCode] = _f(
        "The zone as the union of OCHA admin units (P-codes of any level).",
        ["SY07"],
        default_factory=list,
    )
    band: Band | None = _f(
        "The zone as a band along a contact line.",
        {"line": "idlib_contact_line", "depth_min_m": 15000, "depth_max_m": 20000},
        default=None,
    )
    method: Text = _f(
        "How an approximate geometry was made.",
        "union of OCHA sub-districts held in May 2017",
        default="",
    )
    within: list[Name] = _f(
        "Admin areas (P-codes or names) the zone lies in, for zones without geometry.",
        ["SY02"],
        default_factory=list,
    )
    reference_feature: Text = _f("The feature the text names.", "Castello Road", default="")
    reference_line: Name | None = _f(
        "A packaged reference line (data/zones/NAME.geojson) the distance bands use.",
        "castello_reference",
        default=None,
    )
    rules: list[ZoneRule] = _f(
        "Distance bands.",
        [{"bearer": "syrian_government_side", "min_distance_m": 3500}],
        default_factory=list,
    )
    restricted_actor: Id | None = _f(
        "For restricted airspace: whose aircraft.", "SyAAF", default=None
    )
    operator: Name | None = _f("For checkpoints: who runs them.", "SARC", default=None)
    locations: list[Name] = _f(
        "Named locations (checkpoints).", ["eastern entrance"], default_factory=list
    )
    guard_limit_per_side: int | None = _f("Guards allowed per side.", 20, default=None, ge=0)
    inspection_of_aid: Literal["prohibited", "permitted"] | None = _f(
        "Whether aid may be inspected here.", "prohibited", default=None
    )
    note: Text = _f("A remark.", "CONFLICT on the outer distance", default="")
    refs: Refs


class Where(_Model):
    """Where a term applies."""

    inside: list[Id] = _f(
        "Zones it applies inside (any of them).", ["idlib_area"], default_factory=list
    )
    outside: list[Id] = _f(
        "Zones it does not apply inside.", ["castello_dmz"], default_factory=list
    )


class Scope(_Model):
    """Whom, where, when and what a term binds."""

    bearers: list[Id] = _f(
        "Groups or actor ids bound by the term; `all_covered`: every covered party.",
        ["all_covered"],
        default_factory=lambda: ["all_covered"],
    )
    where: Where | None = _f(
        "Zones; absent: everywhere the agreement applies.", {"inside": ["idlib_area"]}, default=None
    )
    when: list[Id] = _f("Phases in which it applies.", ["cessation"], min_length=1)
    means: list[str] = _f(
        f"Means of attack it concerns ({', '.join(MEANS)}); empty: any.",
        ["aerial_bombardment", "rockets"],
        default_factory=list,
    )
    weapon_classes: list[str] = _f(
        f"Weapon classes it concerns ({', '.join(WEAPON_CLASSES)}, or the agreement's"
        " `vocabulary`); empty: any.",
        ["tanks", "mlrs", "artillery", "mortars"],
        default_factory=list,
    )
    targets: list[Target] = _f(
        "Whom or what it protects; empty: other parties and protected persons.",
        ["civilians", "parties"],
        default_factory=list,
    )


class Exceptions(_Model):
    """What the term does not forbid."""

    self_defence: Id | None = _f(
        "A permission term for proportionate self-defence; a report that claims self-defence is"
        " then assessed, not judged a violation outright.",
        "O4_proportionate_self_defence",
        default=None,
    )
    excluded_groups: bool = _f(
        "Action involving an excluded group is outside the term.", True, default=True
    )
    holds_where_excluded_present: bool = _f(
        "The term still holds on ground held only by excluded groups.", False, default=False
    )


class Requirement(_Model):
    """What a deadline term requires by its due instant."""

    what: Literal["withdraw", "remove_groups", "declare", "open_route", "other"] = _f(
        "withdraw weapon classes from a zone, remove groups from it, declare acceptance, open a route.",
        "withdraw",
    )
    zone: Id | None = _f("The zone concerned.", "idlib_dmz", default=None)
    weapon_classes: list[str] = _f(
        "Weapon classes to withdraw.",
        ["tanks", "mlrs", "artillery", "mortars"],
        default_factory=list,
    )
    groups: list[Id] = _f("Groups that must be out of the zone.", ["HTS"], default_factory=list)
    route: Name | None = _f("The route to open.", "M5", default=None)


class Term(_Model):
    """A provision: a prohibition, requirement, permission or deadline with its scope."""

    id: Id = _f("Identifier.", "O1_no_attacks")
    title: Text = _f("Title.", "Cease attacks with any weapons", default="")
    category: Literal[
        "timing",
        "definitions",
        "prohibited_acts",
        "separation_of_forces",
        "monitoring_verification",
        "humanitarian",
        "political",
        "other",
    ] = _f("DPPA provision category.", "prohibited_acts", default="prohibited_acts")
    type: Literal["prohibition", "requirement", "permission", "deadline"] = _f(
        "Kind of term.", "prohibition"
    )
    action: Action = _f("The action it concerns.", "attack")
    scope: Scope = _f("Whom, where, when and what it binds.", {"when": ["cessation"]})
    exceptions: Exceptions = _f(
        "What it does not forbid.",
        {"self_defence": "O4_proportionate_self_defence"},
        default_factory=Exceptions,
    )
    due: str | None = _f(
        "For deadlines: the instant it is due by.", "2018-10-10T23:59", default=None
    )
    requirement: Requirement | None = _f(
        "For deadlines: what is required.", {"what": "withdraw", "zone": "idlib_dmz"}, default=None
    )
    text: Text = _f("The provision in the project's words.", "", default="")
    refs: Refs


class Decision(_Model):
    """A joint decision of the guarantors recorded with the agreement."""

    id: Id = _f("Identifier.", "D1_extend_to_16_sep")
    kind: Literal[
        "extend_phase",
        "end_phase",
        "reset_clock",
        "change_coverage",
        "object_renewal",
        "approve_delineation",
        "publish_determination",
        "other",
    ] = _f("What it does.", "extend_phase")
    subject: Id = _f(
        "A phase (extend/end/object), a consecutive-days condition (reset), an actor or group"
        " (change_coverage), a zone (approve_delineation), an incident key"
        " (publish_determination).",
        "cessation",
    )
    decided_at: str = _f("When it was decided.", "2016-09-14")
    effective: str | None = _f("When it takes effect (default: when decided).", None, default=None)
    until: str | None = _f("For extend_phase: the new end.", "2016-09-16T19:00+03:00", default=None)
    coverage: Coverage | None = _f(
        "For change_coverage: the new coverage.", "covered", default=None
    )
    qualification: Literal["violation", "not_violation", "undetermined", "out_of_scope"] | None = (
        _f("For publish_determination: what was determined.", "violation", default=None)
    )
    approvals: list[Id] = _f("Guarantors that approved it.", ["USA", "RUS"])
    text: Text = _f("What it says.", "Extended by 48 hours.", default="")
    refs: Refs


class Determination(_Model):
    """A published determination on one incident, which governs from its date."""

    incident: Name = _f("The incident key (`system:id`).", "ucdp:227950")
    qualification: Literal["violation", "not_violation", "undetermined", "out_of_scope"] = _f(
        "What was determined.", "violation"
    )
    by: Name = _f("Who determined it.", "Joint Implementation Centre")
    at: str = _f("When it was published.", "2016-09-25")
    terms: list[Id] = _f("Terms it found violated.", ["O1_no_attacks"], default_factory=list)
    attribution: list[Id] = _f("Actors it held responsible.", ["SyAAF"], default_factory=list)
    note: Text = _f("Its reasoning in the project's words.", "", default="")
    refs: Refs


class MonitoringBody(_Model):
    """A body that monitors or verifies: task force, working group, post, patrol."""

    id: Id = _f("Identifier.", "issg_task_force")
    type: Literal[
        "task_force",
        "joint_working_group",
        "joint_implementation_centre",
        "joint_coordination_centre",
        "observation_post",
        "joint_patrol",
        "operations_centre",
        "hotline",
        "commission",
        "mission",
    ] = _f("Kind of body.", "task_force")
    title: Text = _f("Title.", "ISSG Ceasefire Task Force")
    members: list[Id] = _f("Member actor ids.", ["USA", "RUS"], default_factory=list)
    location: Text = _f("Where it sits or operates.", "Geneva", default="")
    lat: float | None = _f("Latitude of a post.", 35.93, default=None, ge=-90, le=90)
    lon: float | None = _f("Longitude of a post.", 36.63, default=None, ge=-180, le=180)
    zones: list[Id] = _f("Zones it covers.", ["idlib_dmz"], default_factory=list)
    established: str | None = _f("When it was set up.", "2016-02-26", default=None)
    ended: str | None = _f("When it stopped.", None, default=None)
    mandate: Text = _f("What it does.", "collects information on infringements", default="")
    refs: Refs


class Indicator(_Model):
    """The daily violence indicator every agreement gets, condition or not."""

    metric: Literal["fatalities_best", "incident_count"] = _f(
        "What is counted.", "fatalities_best", default="fatalities_best"
    )
    baseline: Baseline | None = _f(
        "Baseline days; absent: the days before the first start.", None, default=None
    )
    baseline_days: int = _f(
        "Days before the first start used when no baseline is given.", 7, default=7, ge=1, le=366
    )


class Monitoring(_Model):
    """Monitoring and verification arrangements."""

    report_cutoff: str = _f("The daily report's cut-off (local time).", "24:00", default="24:00")
    bodies: list[MonitoringBody] = _f(
        "Bodies that monitor or verify.",
        [
            {
                "id": "jic",
                "type": "joint_implementation_centre",
                "title": "Joint Implementation Centre",
            }
        ],
        default_factory=list,
    )
    indicator: Indicator = _f(
        "The daily violence indicator.", {"metric": "fatalities_best"}, default_factory=Indicator
    )
    refs: Refs


class Vocabulary(_Model):
    """Words this agreement adds to the built-in vocabularies."""

    weapon_classes: list[Id] = _f(
        "Extra weapon classes.", ["heavy_machine_guns"], default_factory=list
    )
    means: list[Id] = _f("Extra means of attack.", ["incendiary"], default_factory=list)


class AgreementSpec(_Model):
    """An agreement: who, what, where, when, and how it is watched."""

    id: Id = _f("Identifier.", "syria-2016-09")
    title: Text = _f("Title.", "US–Russia arrangement on Syria, 9 September 2016")
    timezone: Name = _f("IANA time zone; times without an offset are read in it.", "Asia/Damascus")
    classification: Classification = _f(
        "ETH/PRIO CF codes.",
        {"kind": "bilateral", "coverage": "comprehensive"},
        default_factory=Classification,
    )
    notes: list[Text] = _f(
        "Remarks kept with the agreement.", ["Local time was UTC+3."], default_factory=list
    )
    sources: dict[SourceKey, Text] = _f(
        "Source keys → titles or addresses.",
        {"S1": "AP text of the agreement, 22 Sep 2016"},
        default_factory=dict,
    )
    instruments: list[Instrument] = _f(
        "The documents.",
        [{"id": "feb-terms", "title": "Terms", "status": "published"}],
        default_factory=list,
    )
    links: list[Link] = _f(
        "Relations to other agreements.",
        [{"relation": "builds_on", "agreement": "syria-2016-02"}],
        default_factory=list,
    )
    actors: Actors = _f("Agreement-local actors, aliases, memberships.", {}, default_factory=Actors)
    actor_groups: dict[Id, list[Id]] = _f(
        "Group id → actor ids.",
        {"syrian_government_side": ["SYR_GOV", "SAA"]},
        default_factory=dict,
    )
    guarantors: list[Guarantor] = _f(
        "Guarantors.",
        [{"actor": "RUS", "answers_for": ["syrian_government_side"]}],
        default_factory=list,
    )
    parties: list[Party] = _f(
        "Parties and their coverage.",
        [{"actor": "SYR_GOV", "coverage": "covered"}],
        default_factory=list,
    )
    declarations: list[Declaration] = _f(
        "Dated declarations.",
        [{"id": "D_gov", "by": "SYR_GOV", "kind": "acceptance", "at": "2016-02-23"}],
        default_factory=list,
    )
    coverage_by_side: dict[Name, Coverage] = _f(
        "Default coverage by registry side.",
        {"government": "covered", "civilians": "protected"},
        default_factory=dict,
    )
    exclusions: list[Exclusion] = _f(
        "Excluded groups.", [{"actor": "ISIS", "lineage": True}], default_factory=list
    )
    lifecycles: list[Lifecycle] = _f(
        "Lifecycles (one per agreement, or one per zone, running in parallel).",
        [
            {
                "id": "national",
                "start": {"local": "2016-09-12T19:00"},
                "phases": [{"id": "cessation", "starts": "start"}],
            }
        ],
        min_length=1,
    )
    conditions: list[Condition] = _f(
        "Conditions.",
        [{"type": "consecutive_days", "id": "C7", "days": 7, "of": ["C_rv"]}],
        default_factory=list,
    )
    zones: list[Zone] = _f(
        "Zones and lines.",
        [{"id": "z", "type": "corridor", "status": "unpublished"}],
        default_factory=list,
    )
    terms: list[Term] = _f(
        "Terms.",
        [{"id": "O1", "type": "prohibition", "action": "attack", "scope": {"when": ["cessation"]}}],
        default_factory=list,
    )
    decisions: list[Decision] = _f(
        "Joint decisions.",
        [
            {
                "id": "D1",
                "kind": "extend_phase",
                "subject": "cessation",
                "decided_at": "2016-09-14",
                "until": "2016-09-16T19:00",
                "approvals": ["USA", "RUS"],
            }
        ],
        default_factory=list,
    )
    determinations: list[Determination] = _f(
        "Published determinations on incidents.",
        [{"incident": "ucdp:1", "qualification": "violation", "by": "JIC", "at": "2016-09-25"}],
        default_factory=list,
    )
    monitoring: Monitoring = _f(
        "Monitoring and verification.", {"report_cutoff": "24:00"}, default_factory=Monitoring
    )
    vocabulary: Vocabulary = _f("Extra vocabulary.", {}, default_factory=Vocabulary)


class AgreementFile(_Model):
    """An agreement file: `schema_version: 2` and one `agreement`."""

    schema_version: Literal[2] = _f("The format version.", 2)
    agreement: AgreementSpec = _f("The agreement.", {"id": "syria-2016-09"})
