"""The compliance engine: one finding per incident, with its reasons and doubts.

Rules are applied in a fixed order, and every step leaves a fact or a doubt in the trail:

1. Which terms could apply: the incident's kind (attack, territory, humanitarian access…) against
   the obligations' actions.  No term → ``not_violation`` (NV.NO_TERM).
2. Excluded actors: an excluded group on either side → ``not_violation`` (NV.EXCLUDED_ACTOR); a
   side that mixes excluded and other groups is noted (SEP.COMMINGLE).
3. Non-parties: a side made only of actors outside the agreement → ``out_of_scope``.
4. Time: the window against the phases in which the terms apply.  Entirely before the start or
   after the end → ``not_violation``; a window that straddles a boundary → ``undetermined``
   (never guessed).
5. Coverage: a side whose coverage is unknown → ``undetermined`` (UNDET.COVERAGE_UNKNOWN).
6. Attribution: only one-sided violence (UCDP side A, ACLED actor 1 of violence against
   civilians), a named perpetrator in a report or log, or a dated attribution judgement names a
   bearer.  Clashes are violations with attribution undetermined.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ceasefire._gc import collector_paused
from ceasefire.compliance.coverage import Side, coverage_of, incident_sides
from ceasefire.compliance.phases import PhaseWindow, merged_intervals, phase_windows
from ceasefire.model.agreement import Agreement, Coverage, Obligation
from ceasefire.model.incidents import Axis, Incident
from ceasefire.model.timewindow import Relation

__all__ = ["REASON_CODES", "Finding", "evaluate", "evaluate_all", "incident_codes"]

VIOLATION = "violation"
NOT_VIOLATION = "not_violation"
UNDETERMINED = "undetermined"
OUT_OF_SCOPE = "out_of_scope"

ACLED_CODES = {
    "Armed clash": "ATK.GND",
    "Government regains territory": "TER.GAIN",
    "Non-state actor overtakes territory": "TER.GAIN",
    "Air/drone strike": "ATK.AIR",
    "Shelling/artillery/missile attack": "ATK.IND",
    "Remote explosive/landmine/IED": "ATK.UNSPEC",
    "Suicide bomb": "ATK.UNSPEC",
    "Grenade": "ATK.DIR",
    "Chemical weapon": "ATK.UNSPEC",
    "Attack": "CIV.ATTACK",
    "Abduction/forced disappearance": "CIV.ATTACK",
    "Sexual violence": "CIV.ATTACK",
}
ACTIONS_BY_PREFIX = {
    "ATK": ("attack",),
    "CIV": ("attack",),
    "TER": ("acquire_territory",),
    "HUM.ATTACK": ("humanitarian_access", "attack"),
    "HUM": ("humanitarian_access",),
    "POS": ("withdraw",),
    "SEP": ("separate",),
    "AIR": ("fly",),
}
ATTRIBUTING_WORDS = ("strongly_suggested", "implicated", "established")
# every code a finding can carry (docs/compliance.md documents each; a test checks it)
REASON_CODES = {
    "ATK.UNSPEC": "attack, means not coded by the source",
    "ATK.AIR": "attack from the air",
    "ATK.IND": "indirect fire: artillery, rockets, mortars",
    "ATK.DIR": "direct fire",
    "ATK.GND": "ground assault or armed clash",
    "CIV.ATTACK": "attack on civilians",
    "TER.GAIN": "acquiring territory",
    "HUM.DENY": "humanitarian access denied or obstructed",
    "HUM.PERMIT": "permits withheld",
    "HUM.INSPECT": "convoy inspected where inspection is prohibited",
    "HUM.ATTACK": "attack on a humanitarian convoy, staff or warehouse",
    "SEP.COMMINGLE": "a side joins covered or unknown groups with excluded ones",
    "NV.NO_TERM": "no term of the agreement governs this kind of incident",
    "NV.EXCLUDED_ACTOR": "an excluded group is on one side",
    "NV.BEFORE_START": "entirely before the start",
    "NV.AFTER_END": "entirely after the end",
    "NV.PHASE_LAPSED": "inside a gap where the phase had lapsed",
    "NV.PHASE_NOT_ACTIVE": "the phase of the applicable terms never began",
    "OOS.NON_PARTY": "a side is not party to the agreement",
    "UNDET.BOUNDARY": "the time window contains a start or end instant",
    "UNDET.COVERAGE_UNKNOWN": "whether an actor is bound is unknown",
    "UNDET.ATTRIBUTION": "the perpetrator is not identified",
    "POS.BAND": "a weapon class inside a prohibited distance band",
    "NV.OUTSIDE_BAND": "a reported position outside every band that applies",
    "UNDET.SPATIAL": "a position's uncertainty crosses a band edge",
    "NV.EXCLUDED_GROUND": "the ground was held only by an excluded group",
}


@dataclass(frozen=True)
class Finding:
    incident: str
    qualification: str
    codes: tuple[str, ...]
    obligations: tuple[str, ...]
    bearers: tuple[str, ...]
    parties: tuple[str, ...]
    attribution: str
    occurrence: str
    phase: str | None
    rule: str
    facts: tuple[str, ...]
    doubts: tuple[str, ...]
    zones: tuple[dict[str, str], ...] = ()
    as_of: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    control: dict[str, Any] | None = None  # who held the ground (territory), when known

    @property
    def explanation(self) -> str:
        parts = [self.rule]
        if self.facts:
            parts.append("Facts: " + "; ".join(self.facts) + ".")
        if self.doubts:
            parts.append("Doubts: " + "; ".join(self.doubts) + ".")
        return " ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "incident": self.incident,
            "qualification": self.qualification,
            "codes": list(self.codes),
            "obligations": list(self.obligations),
            "bearers": list(self.bearers),
            "parties": list(self.parties),
            "attribution": self.attribution,
            "occurrence": self.occurrence,
            "phase": self.phase,
            "explanation": self.explanation,
            "trail": {"rule": self.rule, "facts": list(self.facts), "doubts": list(self.doubts)},
            "zones": [dict(z) for z in self.zones],
            "as_of": self.as_of,
            "control": self.control,
        }


def incident_codes(incident: Incident) -> tuple[str, ...]:
    """The taxonomy code(s) of what happened, from the source's own coding."""
    if incident.source_system == "ucdp":
        return ("CIV.ATTACK",) if incident.category == "one_sided" else ("ATK.UNSPEC",)
    if incident.source_system in ("acled", "news"):
        code = ACLED_CODES.get(incident.sub_category)
        return (code,) if code else ()
    if incident.source_system == "humanitarian":
        return (incident.sub_category,)
    code = incident.category
    return (code,) if "." in code else ()


def _actions(codes: Iterable[str]) -> tuple[str, ...]:
    out: list[str] = []
    for code in codes:
        for prefix in sorted(ACTIONS_BY_PREFIX, key=len, reverse=True):
            if code == prefix or code.startswith(prefix + "."):
                out.extend(a for a in ACTIONS_BY_PREFIX[prefix] if a not in out)
                break
    return tuple(out)


def _describe(side: Side) -> str:
    names = []
    for a in side.actors:
        label = a.actor_id or a.name
        names.append(f"{label} ({a.coverage.value})")
    return ", ".join(names) or "nobody named"


class _Context:
    """Per-run caches: phase windows as known at ``as_of``."""

    def __init__(self, agreement: Agreement, as_of: datetime | None, control: Any = None) -> None:
        self.agreement = agreement
        self.as_of = as_of
        self.control = control
        self.windows: dict[str, PhaseWindow] = phase_windows(agreement, as_of)
        self.lines: dict[str, Any] = {}


def evaluate(
    agreement: Agreement, incident: Incident, as_of: datetime | None = None, control: Any = None
) -> Finding:
    """One finding. ``control`` (a :class:`ceasefire.geo.control.ControlMap`) adds who held the
    ground at the incident's place and time, and lets ground held only by an excluded group count."""
    return _evaluate(_Context(agreement, as_of, control), incident)


def evaluate_all(
    agreement: Agreement,
    incidents: Iterable[Incident],
    as_of: datetime | None = None,
    control: Any = None,
) -> list[Finding]:
    ctx = _Context(agreement, as_of, control)
    with collector_paused():  # many findings, no cycles: see ceasefire._gc
        return [_evaluate(ctx, i) for i in incidents]


def _evaluate(ctx: _Context, incident: Incident) -> Finding:
    agreement = ctx.agreement
    facts: list[str] = []
    doubts: list[str] = []
    codes = list(incident_codes(incident))
    occurrence_j = incident.latest(Axis.OCCURRENCE, ctx.as_of)
    occurrence = occurrence_j.value if occurrence_j else "alleged"
    attribution_j = incident.latest(Axis.ATTRIBUTION, ctx.as_of)
    side_a, side_b = incident_sides(agreement, incident)
    parties = tuple(sorted({*side_a.ids, *side_b.ids}))
    ground = None
    if ctx.control is not None:
        from ceasefire.compliance.territory import control_at_incident

        ground = control_at_incident(ctx.control, incident, agreement.timezone)
        if ground is not None:
            held = f" by {', '.join(ground.actors)}" if ground.actors else ""
            facts.append(f"ground: {ground.status}{held} ({ground.reason})")
    facts.append(f"side A: {_describe(side_a)}")
    if not side_b.empty:
        facts.append(f"side B: {_describe(side_b)}")
    for a in (*side_a.actors, *side_b.actors):
        if a.actor_id is None:
            doubts.append(a.reason)
        elif a.confidence < 1.0:
            doubts.append(f"{a.name!r} resolved to {a.actor_id} with confidence {a.confidence:.2f}")

    known_attribution = "undetermined"
    if attribution_j is not None:
        named = f" {', '.join(attribution_j.actors)}" if attribution_j.actors else ""
        known_attribution = f"{attribution_j.value}{named} ({attribution_j.by}, known {attribution_j.known_from.date()})"

    def finish(
        qualification: str,
        rule: str,
        obligations: tuple[str, ...] = (),
        bearers: tuple[str, ...] = (),
        attribution: str = known_attribution,
        phase: str | None = None,
        zones: tuple[dict[str, str], ...] = (),
    ) -> Finding:
        return Finding(
            incident=incident.key,
            qualification=qualification,
            codes=tuple(dict.fromkeys(codes)),
            obligations=obligations,
            bearers=tuple(sorted(set(bearers))),
            parties=parties,
            attribution=attribution,
            occurrence=occurrence,
            phase=phase,
            rule=rule,
            facts=tuple(facts),
            doubts=tuple(dict.fromkeys(doubts)),
            zones=zones,
            as_of=ctx.as_of.isoformat() if ctx.as_of else None,
            control=ground.to_json() if ground is not None else None,
        )

    if incident.notes.startswith("data quality:"):
        doubts.append(incident.notes)
    elif incident.notes:
        facts.append(f"source note: {incident.notes}")

    # 1. which terms could apply
    actions = _actions(codes)
    candidates = [
        o for o in agreement.obligations if o.action in actions and o.type != "permission"
    ]
    if not candidates:
        codes.append("NV.NO_TERM")
        kind = incident.sub_category or incident.category
        return finish(
            NOT_VIOLATION, f"Not a violation: no term of {agreement.id} governs '{kind}'."
        )

    # 2. excluded actors on either side
    excluded = [a for a in (*side_a.actors, *side_b.actors) if a.coverage is Coverage.EXCLUDED]
    if excluded:
        codes.append("NV.EXCLUDED_ACTOR")
        for side in (side_a, side_b):
            others = side.with_coverage(Coverage.COVERED, Coverage.UNKNOWN)
            if side.with_coverage(Coverage.EXCLUDED) and others:
                named = ", ".join(sorted({a.actor_id or a.name for a in others}))
                facts.append(f"side {side.label.upper()} joins excluded and other groups ({named})")
                codes.append("SEP.COMMINGLE")
        reasons = "; ".join(sorted({a.reason for a in excluded}))
        return finish(
            NOT_VIOLATION,
            f"Not a violation: {reasons} of {agreement.id}; action involving an excluded group is "
            "outside the cessation.",
        )

    one_sided = incident.category == "one_sided" or (
        incident.source_system == "acled" and incident.category == "Violence against civilians"
    )
    perpetrator = (
        side_a if (one_sided or (side_a.roles and incident.actors_in("perpetrator"))) else None
    )
    # 3. non-parties
    for side in (side_a, side_b):
        if side.empty:
            continue
        if all(
            a.coverage in (Coverage.NOT_PARTY, Coverage.PROTECTED) for a in side.actors
        ) and not (side is side_b and (one_sided or incident.actors_in("target"))):
            codes.append("OOS.NON_PARTY")
            return finish(
                OUT_OF_SCOPE,
                f"Out of scope: {', '.join(side.ids)} {'is' if len(side.ids) == 1 else 'are'} not "
                f"party to {agreement.id}, which governs hostilities among its parties.",
            )

    # 4. time against the phases of the candidate terms
    windows = [ctx.windows[p] for o in candidates for p in o.phases if p in ctx.windows]
    phase_names = sorted({w.phase_id for w in windows})
    if not windows:
        codes.append("NV.PHASE_NOT_ACTIVE")
        phases = sorted({p for o in candidates for p in o.phases})
        return finish(
            NOT_VIOLATION,
            f"Not a violation: the phase(s) {', '.join(phases)} of the applicable terms never began.",
        )
    intervals = merged_intervals(windows)
    win = incident.window
    stated = win.stated or win.precision.value
    first, last = intervals[0][0], intervals[-1][1]
    if win.end <= first:
        codes.append("NV.BEFORE_START")
        facts.append(
            f"the incident window ends {win.end.astimezone(agreement.timezone).isoformat()}"
        )
        return finish(
            NOT_VIOLATION,
            f"Not a violation: the incident ({stated}) is entirely before the start {first.isoformat()}.",
        )
    if last is not None and win.start >= last:
        codes.append("NV.AFTER_END")
        return finish(
            NOT_VIOLATION,
            f"Not a violation: the incident ({stated}) is entirely after the end {last.isoformat()} "
            f"of {', '.join(phase_names)}.",
        )
    inside = any(win.start >= s and (e is None or win.end <= e) for s, e in intervals)
    overlapping = [(s, e) for s, e in intervals if win.overlap_seconds(s, e or win.end) > 0]
    if not overlapping:
        codes.append("NV.PHASE_LAPSED")
        return finish(
            NOT_VIOLATION,
            f"Not a violation: the incident ({stated}) falls where {', '.join(phase_names)} had lapsed "
            "and was not yet renewed.",
        )
    if not inside and not incident.continuing:
        codes.append("UNDET.BOUNDARY")
        boundary = next(
            b
            for s, e in overlapping
            for b in (s, e)
            if b is not None and win.relation_to(b) is Relation.STRADDLES
        )
        doubts.append(
            f"the incident is known only to {win.precision.value} precision ({stated}), a window "
            f"that contains the boundary {boundary.astimezone(agreement.timezone).isoformat()}"
        )
        return finish(
            UNDETERMINED,
            "Cannot determine: the incident may have happened before or after the boundary "
            f"{boundary.isoformat()}; it is not guessed.",
            phase=phase_names[0] if phase_names else None,
        )
    phase = phase_names[0] if phase_names else None
    in_force = sorted({o.id for o in candidates})
    zones = _zone_notes(ctx, incident, candidates)
    for z in zones:
        doubts.append(f"zone {z['zone']}: {z['reason']}")
    if not inside and incident.continuing:
        facts.append("a continuing situation that lasted into the phase")

    if any(c.startswith("POS.") for c in codes):
        return _bands(ctx, incident, side_a, finish, facts, doubts, codes, candidates, phase)

    # 5./6. coverage and attribution
    if perpetrator is not None or (
        incident.actors_in("target") and not incident.actors_in("perpetrator")
    ):
        return _directed(
            ctx,
            incident,
            perpetrator if perpetrator is not None and not perpetrator.empty else None,
            attribution_j,
            finish,
            facts,
            doubts,
            codes,
            in_force,
            phase,
            zones,
            one_sided,
        )
    if side_b.empty:
        codes.append("UNDET.ATTRIBUTION")
        doubts.append("the source names only one side and gives no direction")
        return finish(
            UNDETERMINED,
            "Cannot determine: only one side is named, so who acted against whom is not established.",
            obligations=tuple(in_force),
            phase=phase,
            zones=zones,
        )
    if (
        ground is not None
        and ground.status == "held"
        and ground.actors
        and all(
            coverage_of(agreement, a)[0] is Coverage.EXCLUDED
            for a in ground.actors
            if a in agreement.registry
        )
        and all(a in agreement.registry for a in ground.actors)
    ):
        codes.append("NV.EXCLUDED_GROUND")
        return finish(
            NOT_VIOLATION,
            f"Not a violation: the ground was held only by {', '.join(ground.actors)}, excluded from "
            f"{agreement.id}, at the time ({', '.join(ground.areas)}).",
            phase=phase,
            zones=zones,
        )
    unknown = [a for a in (*side_a.actors, *side_b.actors) if a.coverage is Coverage.UNKNOWN]
    if unknown:
        codes.append("UNDET.COVERAGE_UNKNOWN")
        for a in unknown:
            doubts.append(a.reason)
        who = ", ".join(sorted({a.actor_id or a.name for a in unknown}))
        return finish(
            UNDETERMINED,
            f"Cannot determine: whether {who} is bound by {agreement.id} is "
            "unknown, so fighting with it may or may not breach the cessation.",
            obligations=tuple(in_force),
            phase=phase,
            zones=zones,
        )
    doubts.append("who opened fire is not coded (side A / side B carry no direction)")
    if "attack" in actions:
        doubts.append("whether either side acted in proportionate self-defence (O4) is not coded")
    attribution = "undetermined"
    bearers: tuple[str, ...] = ()
    if (
        attribution_j is not None
        and attribution_j.value in ATTRIBUTING_WORDS
        and attribution_j.actors
    ):
        bearers = attribution_j.actors
        attribution = (
            f"{attribution_j.value} by {attribution_j.by} (known {attribution_j.known_from.date()})"
        )
    return finish(
        VIOLATION,
        f"Violation of {', '.join(in_force)}: covered parties fought each other "
        "during the cessation; attribution undetermined.",
        obligations=tuple(in_force),
        bearers=bearers,
        attribution=attribution,
        phase=phase,
        zones=zones,
    )


def _directed(
    ctx: _Context,
    incident: Incident,
    perpetrator: Side | None,
    attribution_j: Any,
    finish: Callable[..., Finding],
    facts: list[str],
    doubts: list[str],
    codes: list[str],
    in_force: list[str],
    phase: str | None,
    zones: tuple[dict[str, str], ...],
    one_sided: bool,
) -> Finding:
    """Incidents with a direction: one-sided violence, a named perpetrator, an attack on aid."""
    agreement = ctx.agreement
    bearer_ids: tuple[str, ...] = ()
    attribution = "undetermined"
    if perpetrator is not None and perpetrator.ids:
        bearer_ids = perpetrator.ids
        if one_sided:
            attribution = "perpetrator as coded: side A of one-sided violence"
        else:
            attribution = (
                f"alleged by {', '.join(s.name for s in incident.sources) or 'the report'}"
            )
    elif (
        attribution_j is not None
        and attribution_j.value in ATTRIBUTING_WORDS
        and attribution_j.actors
    ):
        bearer_ids = tuple(attribution_j.actors)
        attribution = (
            f"{attribution_j.value} by {attribution_j.by} (known {attribution_j.known_from.date()})"
        )
    elif attribution_j is not None:
        attribution = (
            f"{attribution_j.value} ({attribution_j.by}, known {attribution_j.known_from.date()})"
        )
        doubts.append(f"perpetrator {attribution_j.value} ({attribution_j.by})")
    if not bearer_ids:
        codes.append("UNDET.ATTRIBUTION")
        return finish(
            UNDETERMINED,
            "Cannot determine: the perpetrator is not identified; the terms bind parties only.",
            obligations=tuple(in_force),
            attribution=attribution,
            phase=phase,
            zones=zones,
        )
    from ceasefire.compliance.coverage import coverage_of

    coverages = {b: coverage_of(agreement, b) for b in bearer_ids}
    bound = [b for b, (c, _) in coverages.items() if c is Coverage.COVERED]
    unknown = [b for b, (c, _) in coverages.items() if c is Coverage.UNKNOWN]
    if not bound and unknown:
        codes.append("UNDET.COVERAGE_UNKNOWN")
        doubts.extend(coverages[b][1] for b in unknown)
        return finish(
            UNDETERMINED,
            f"Cannot determine: whether {', '.join(unknown)} is bound by "
            f"{agreement.id} is unknown.",
            obligations=tuple(in_force),
            attribution=attribution,
            phase=phase,
            zones=zones,
        )
    if not bound:
        codes.append("OOS.NON_PARTY")
        return finish(
            OUT_OF_SCOPE,
            f"Out of scope: {', '.join(bearer_ids)} is not party to {agreement.id}.",
            attribution=attribution,
        )
    facts.append(f"bearer(s): {', '.join(bound)} ({coverages[bound[0]][1]})")
    return finish(
        VIOLATION,
        f"Violation of {', '.join(in_force)} by {', '.join(bound)}.",
        obligations=tuple(in_force),
        bearers=tuple(bound),
        attribution=attribution,
        phase=phase,
        zones=zones,
    )


LINE_UNCERTAINTY_M = 0.0  # the reference line's own error is stated in every reason instead


def _bands(ctx: _Context, incident: Incident, side_a: Side, finish: Callable[..., Finding],
           facts: list[str], doubts: list[str], codes: list[str], candidates: list[Obligation],
           phase: str | None) -> Finding:  # fmt: skip
    """A reported weapon position against the distance bands of the zones of the terms in force."""
    from ceasefire.compliance.coverage import coverage_of
    from ceasefire.geo.zones import (
        Outcome,
        evaluate_zone_rule,
        load_reference_line,
        precision_radius_m,
    )

    agreement = ctx.agreement
    weapon = incident.sub_category
    bearers = side_a.ids
    place = incident.place
    radius = place.radius_m if place.radius_m is not None else precision_radius_m(place.precision)
    facts.append(f"reported position of {weapon or 'an unnamed weapon class'} at "
                 f"({place.lat}, {place.lon}) ± {radius:,.0f} m")  # fmt: skip
    results = []
    for obligation in candidates:
        if not obligation.zone:
            continue
        zone = agreement.zone(obligation.zone)
        line = None
        if zone.reference_line:
            path = _zone_line_path(zone.reference_line)
            line = ctx.lines.setdefault(zone.reference_line, load_reference_line(path))
        for rule in zone.rules:
            members = set(agreement.expand(rule.bearer))
            if not members & set(bearers):
                continue
            result = evaluate_zone_rule(rule, line, place.lon, place.lat, radius, weapon,
                                        line_uncertainty_m=LINE_UNCERTAINTY_M)  # fmt: skip
            if result.result in (Outcome.NOT_APPLICABLE,):
                continue
            results.append((obligation, zone, rule, result))
    if not results:
        codes.append("NV.OUTSIDE_BAND")
        return finish(NOT_VIOLATION, "Not a violation: no distance band of a zone in force applies "
                      f"to {', '.join(bearers) or 'the reported actor'} with {weapon!r} here.", phase=phase)  # fmt: skip
    for _, zone, rule, result in results:
        facts.append(f"{zone.id} band {rule.side} {rule.min_distance_m} m ({', '.join(rule.weapon_classes)}): "
                     f"{result.result} — {result.reason}")  # fmt: skip
    violated = [r for r in results if r[3].result == Outcome.VIOLATION]
    unsure = [r for r in results if r[3].result in (Outcome.UNDETERMINED, Outcome.CANNOT_EVALUATE)]
    bound = [b for b in bearers if coverage_of(agreement, b)[0] is Coverage.COVERED]
    if violated and bound:
        codes.append("POS.BAND")
        obligations = tuple(sorted({o.id for o, _, _, _ in violated}))
        return finish(VIOLATION, f"Violation of {', '.join(obligations)}: {weapon} closer to "
                      f"{violated[0][1].id}'s reference line than its band allows.", obligations=obligations,
                      bearers=tuple(bound), attribution="as reported (position report)", phase=phase)  # fmt: skip
    if unsure:
        codes.append("UNDET.SPATIAL")
        doubts.extend(r[3].reason for r in unsure)
        return finish(UNDETERMINED, "Cannot determine: the reported position's uncertainty crosses a band "
                      "edge, or the band cannot be measured; it is not guessed.", phase=phase)  # fmt: skip
    codes.append("NV.OUTSIDE_BAND")
    return finish(
        NOT_VIOLATION, f"Not a violation: {weapon} outside every band that applies.", phase=phase
    )


def _zone_line_path(name: str) -> Any:
    from importlib import resources
    from pathlib import Path

    return Path(str(resources.files("ceasefire") / "data" / "zones" / f"{name}.geojson"))


def _zone_notes(
    ctx: _Context, incident: Incident, candidates: list[Obligation]
) -> tuple[dict[str, str], ...]:
    """Zones tied to obligations in force whose area holds the incident: without geometry they
    cannot be evaluated, and the finding says so."""
    agreement = ctx.agreement
    admin1 = _norm_admin(incident.place.admin1)
    notes = []
    zone_ids = sorted(
        {
            o.zone
            for o in agreement.obligations
            if o.zone and o.phases and any(p in ctx.windows for p in o.phases)
        }
    )
    for zone_id in zone_ids:
        zone = agreement.zone(zone_id)
        if zone.admin1 and admin1 not in {_norm_admin(a) for a in zone.admin1}:
            continue
        if zone.geometry is None and zone.reference_line is None:
            notes.append(
                {
                    "zone": zone.id,
                    "result": "cannot_evaluate",
                    "reason": f"the zone has no geometry (status: {zone.status})",
                }
            )
    _ = candidates
    return tuple(notes)


def _norm_admin(name: str) -> str:
    return name.lower().replace("governorate", "").replace("muhafazat", "").strip()
