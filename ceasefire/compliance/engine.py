"""The compliance engine: one finding per incident, with its reasons and doubts.

The engine builds a draft (:class:`~ceasefire.compliance.case.Case`) — what happened in the
taxonomy, the two sides resolved at the incident's date with their coverage, whether the source
states a direction, who held the ground — then runs the registered rules of
:mod:`ceasefire.compliance.rules` in their declared order.  Each rule closes candidate terms (or
settles the incident); the finding takes the most serious outcome among the terms (a violation of
one term is a violation), names the phase in force, the zones and the bearers drawn from the
incident's own actors.  ``evaluate`` and ``evaluate_all`` are the one judgement function every
surface calls (through :mod:`ceasefire.service`).
"""

from __future__ import annotations

import enum
import json
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import Any

import numpy as np

from ceasefire._gc import collector_paused
from ceasefire.compliance.case import PRECEDENCE, Case, Context, Qualification
from ceasefire.compliance.coverage import incident_sides
from ceasefire.compliance.rules import registered_rules
from ceasefire.compliance.territory import MAX_DAYS
from ceasefire.geo.areas import disc_description, disc_radius, discs_miss, zone_shapes
from ceasefire.geo.zones import precision_radius_m
from ceasefire.model.agreement import Agreement
from ceasefire.model.incidents import Axis, Incident
from ceasefire.model.timewindow import TimeWindow, micros

__all__ = [
    "REASON_CODES",
    "Finding",
    "evaluate",
    "evaluate_all",
    "incident_codes",
    "incident_means",
    "judge_many",
]

ACLED_CODES = {
    "Armed clash": "ATK.GND",
    "Government regains territory": "TER.GAIN",
    "Non-state actor overtakes territory": "TER.GAIN",
    "Air/drone strike": "ATK.AIR",
    "Shelling/artillery/missile attack": "ATK.IND",
    "Remote explosive/landmine/IED": "ATK.EXP",
    "Suicide bomb": "ATK.EXP",
    "Grenade": "ATK.EXP",
    "Chemical weapon": "ATK.CHEM",
    "Attack": "CIV.ATTACK",
    "Abduction/forced disappearance": "CIV.ATTACK",
    "Sexual violence": "CIV.ATTACK",
}
# the means of attack each code states (None: the code does not say)
MEANS_BY_CODE: dict[str, frozenset[str] | None] = {
    "ATK.AIR": frozenset({"aerial_bombardment"}),
    "ATK.IND": frozenset({"artillery", "rockets", "mortars"}),  # indirect fire: one of them
    "ATK.DIR": frozenset({"small_arms"}),
    "ATK.GND": frozenset({"ground_assault"}),
    "ATK.EXP": frozenset({"explosives"}),
    "ATK.CHEM": frozenset({"chemical"}),
    "ATK.UNSPEC": None,
    "CIV.ATTACK": None,
}
ACTIONS_BY_PREFIX = {
    "ATK.AIR": ("attack", "fly"),
    "ATK": ("attack",),
    "CIV": ("attack",),
    "TER": ("acquire_territory",),
    "HUM.ATTACK": ("humanitarian_access", "attack"),
    "HUM": ("humanitarian_access",),
    "POS": ("withdraw", "deploy"),
    "SEP": ("separate",),
    "AIR": ("fly",),
    "MON": ("monitor_access",),
}
DIRECTED_ACLED = ("Violence against civilians", "Explosions/Remote violence")
# every code a finding can carry (docs/compliance.md documents each; a test checks it)
REASON_CODES = {
    "ATK.UNSPEC": "attack, means not coded by the source",
    "ATK.AIR": "attack from the air",
    "ATK.IND": "indirect fire: artillery, rockets, mortars",
    "ATK.DIR": "direct fire",
    "ATK.GND": "ground assault or armed clash",
    "ATK.EXP": "explosive device, grenade or suicide bombing",
    "ATK.CHEM": "chemical weapon",
    "CIV.ATTACK": "attack on civilians",
    "TER.GAIN": "acquiring territory",
    "HUM.DENY": "humanitarian access denied or obstructed",
    "HUM.PERMIT": "permits withheld",
    "HUM.INSPECT": "convoy inspected where inspection is prohibited",
    "HUM.ATTACK": "attack on a humanitarian convoy, staff or warehouse",
    "AIR.FLIGHT": "a military flight",
    "MON.DENY": "monitors denied access",
    "SEP.COMMINGLE": "a side joins covered or unknown groups with excluded ones",
    "NV.NO_TERM": "no term of the agreement governs this kind of incident",
    "NV.NOT_CONCERNED": "the terms for this action concern other means or targets",
    "NV.EXCLUDED_ACTOR": "an excluded group is on one side",
    "NV.BEFORE_START": "entirely before the start",
    "NV.AFTER_END": "entirely after the end",
    "NV.PHASE_LAPSED": "inside a gap where the phase had lapsed",
    "NV.PHASE_NOT_ACTIVE": "the phase of the applicable terms never began",
    "NV.OUTSIDE_ZONE": "outside the zones where the term applies",
    "OOS.NON_PARTY": "a side is not party to the agreement, or not bound by the term",
    "UNDET.BOUNDARY": "the time window contains a start or end instant",
    "UNDET.COVERAGE_UNKNOWN": "whether an actor is bound is unknown",
    "UNDET.ATTRIBUTION": "the perpetrator is not identified",
    "UNDET.MEANS": "the source does not code the means a term concerns",
    "UNDET.ZONE_UNMAPPED": "the zone where the term applies has no geometry",
    "UNDET.PLACE": "the place is known too coarsely to place it against a zone",
    "UNDET.SELF_DEFENCE": "self-defence is claimed; proportionality is to be assessed",
    "UNDET.WEAPON_CLASS": "a weapon class the agreement does not know",
    "POS.BAND": "a weapon class inside a prohibited distance band",
    "NV.OUTSIDE_BAND": "a reported position outside every band that applies",
    "UNDET.SPATIAL": "a position's uncertainty crosses a zone or band edge",
    "NV.EXCLUDED_GROUND": "the ground was held only by an excluded group",
    "DET.RECORDED": "a recorded qualification judgement or published determination governs",
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

    @cached_property
    def explanation(self) -> str:
        parts = [self.rule]
        if self.facts:
            parts.append("Facts: " + "; ".join(self.facts) + ".")
        if self.doubts:
            parts.append("Doubts: " + "; ".join(self.doubts) + ".")
        return " ".join(parts)

    def json_line(self) -> str:
        """The finding as one line of ``evaluate --format jsonl`` (every engine writes this)."""
        return json.dumps(self.to_json(), sort_keys=True, ensure_ascii=False)

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


def incident_means(codes: Iterable[str]) -> frozenset[str] | None:
    """The means of attack the codes state, or ``None`` when none of them says."""
    found: set[str] = set()
    for code in codes:
        means = MEANS_BY_CODE.get(code)
        if means is None:
            return None
        found |= means
    return frozenset(found) if found else None


_PREFIXES = sorted(ACTIONS_BY_PREFIX, key=len, reverse=True)  # the most specific first
_ACTIONS: dict[tuple[str, ...], tuple[str, ...]] = {}


def _actions(codes: Iterable[str]) -> tuple[str, ...]:
    key = tuple(codes)
    found = _ACTIONS.get(key)
    if found is None:
        out: list[str] = []
        for code in key:
            for prefix in _PREFIXES:
                if code == prefix or code.startswith(prefix + "."):
                    out.extend(a for a in ACTIONS_BY_PREFIX[prefix] if a not in out)
                    break
        found = _ACTIONS[key] = tuple(out)
    return found


def _directed(incident: Incident) -> bool:
    """Whether the source states who acted against whom (side A on side B)."""
    if incident.category == "one_sided":
        return True
    if incident.source_system == "acled" and incident.category in DIRECTED_ACLED:
        return True
    return bool(incident.actors_in("perpetrator", "target"))


def evaluate(
    agreement: Agreement, incident: Incident, as_of: datetime | None = None, control: Any = None
) -> Finding:
    """One finding. ``control`` (a :class:`ceasefire.geo.control.ControlMap`) adds who held the
    ground at the incident's place and time, and lets ground held only by an excluded group count."""
    return _evaluate(Context(agreement, as_of, control), incident)


def evaluate_all(
    agreement: Agreement,
    incidents: Iterable[Incident],
    as_of: datetime | None = None,
    control: Any = None,
) -> list[Finding]:
    return judge_many(Context(agreement, as_of, control), list(incidents))


def judge_with(ctx: Context, incident: Incident) -> Finding:
    """One finding in a shared context (what :class:`ceasefire.compliance.judge.Judge` reuses)."""
    return _evaluate(ctx, incident)


# below this many incidents a batch is judged one by one (grouping would not pay)
BATCH_MIN = 64


def judge_many(
    ctx: Context,
    incidents: Sequence[Incident],
    templates: dict[tuple[Any, ...], Any] | None = None,
) -> list[Finding]:
    """One finding per incident, in order — the same findings as :func:`judge_with` one by one,
    computed per *judgement signature*.

    The rules read an incident only through its kind, window, actors, sources' names, notes,
    judgements, self-defence claims and place; and its place only through the footprint's
    relation to the agreement's zones and the ground's control.  Where the place's disc
    certainly misses every mapped zone and every area the control map ever had (decided for the
    whole batch at once, :func:`~ceasefire.geo.areas.discs_miss`), those relations and that
    control answer do not depend on the coordinates: such incidents share a signature without
    them, the rules run once for the first of them, and the others take that finding with their
    own key and their own place's words.  Every other incident (near a zone or mapped ground, a
    reported weapon position, a place without a disc, a published determination) keeps its
    exact place in its signature.

    Such incidents also share a signature across days: the rules read their window only by
    comparing its ends with the instants the agreement, its phases as known and the control map
    name (:func:`_instants`), so the window enters the signature as its ends' places among those
    instants.  The incident's own words (its stated date, the end of its window, its place) are
    slots in the template, each incident filling in its own.

    ``templates`` (signature → judged template) lets batches judged in the same context share
    what each judged: a caller passes the same dictionary only while the agreement, the control
    map and what is known stay the same (see :class:`~ceasefire.compliance.judge.Judge`); a
    signature then also carries how many of the incident's judgements are known at ``as_of``."""
    n = len(incidents)
    if n < BATCH_MIN and templates is None:
        with collector_paused():
            return [_evaluate(ctx, i) for i in incidents]
    # a small batch (a day's incidents in a report) keeps exact places: the bounding test would
    # cost more than it saves
    far = _far_places(ctx, incidents) if n >= BATCH_MIN else np.zeros(n, dtype=np.bool_)
    determined = ctx.determinations
    as_of = ctx.as_of
    shared: dict[tuple[Any, ...], Any] = {} if templates is None else templates
    classes: dict[tuple[Any, ...], int] = {}
    members: list[int] = []
    reps: list[int] = []
    signatures: list[tuple[Any, ...]] = []
    instants: list[int] | None = None
    long_after = timedelta(days=MAX_DAYS - 1)
    for k, incident in enumerate(incidents):
        place = incident.place
        codes = _codes_of(incident)
        when: Any = incident.window
        if far[k] and not codes[1]:
            where: Any = (place.radius_m, place.precision)
            if instants is None:
                instants = _instants(ctx)
            w = when
            start, end = micros(w.start), micros(w.end)
            when = (
                bisect_left(instants, start), bisect_right(instants, start),
                bisect_left(instants, end), bisect_right(instants, end), w.precision,
                ctx.control is not None and w.end - w.start >= long_after and _long(ctx, w),
            )  # fmt: skip
        else:
            where = place
        key = incident.key
        signature = (
            incident.source_system, incident.category, incident.sub_category, when,
            incident.actors, incident.notes, _judged(incident), incident.continuing,
            incident.self_defence_claims, tuple(s.name for s in incident.sources), where,
            key if key in determined else None,
            None if as_of is None else sum(1 for j in incident.judgements if j.known_from <= as_of),
        )  # fmt: skip
        c = classes.get(signature)
        if c is None:
            c = classes[signature] = len(reps)
            reps.append(k)
            signatures.append(signature)
        members.append(c)
    with collector_paused():  # many findings, no cycles: see ceasefire._gc
        todo = [r for r, sig in zip(reps, signatures, strict=True) if sig not in shared]
        if len(todo) > 100 and any(t.inside or t.outside for t in ctx.agreement.terms):
            from ceasefire.geo.areas import prime

            prime(ctx.agreement, (incidents[k].place for k in todo))
        tz = ctx.agreement.timezone
        for k in todo:
            timed = not isinstance(signatures[members[k]][3], TimeWindow)
            finding = _evaluate(ctx, incidents[k], slots=timed)
            shared[signatures[members[k]]] = _Template(finding, incidents[k], tz)
        chosen = [shared[sig] for sig in signatures]
        return [chosen[members[k]].finding_for(incident) for k, incident in enumerate(incidents)]


def _judged(incident: Incident) -> Any:
    """The incident's judgements as the rules read them: a lone occurrence judgement only by its
    value (the finding states the level; when it became known counts only against ``as_of``, and
    the signature carries how many judgements were known then)."""
    js = incident.judgements
    if len(js) == 1 and js[0].axis is Axis.OCCURRENCE:
        return js[0].value
    return js


_CODES: dict[tuple[str, str, str], tuple[tuple[str, ...], bool]] = {}


def _codes_of(incident: Incident) -> tuple[tuple[str, ...], bool]:
    """The incident's codes, and whether one is a reported position (read at its exact place)."""
    key = (incident.source_system, incident.category, incident.sub_category)
    hit = _CODES.get(key)
    if hit is None:
        codes = incident_codes(incident)
        hit = _CODES[key] = (codes, any(c.startswith("POS.") for c in codes))
    return hit


def _far_places(ctx: Context, incidents: Sequence[Incident]) -> Any:
    """Per incident: whether its place is a disc that certainly misses every mapped zone the
    terms name and every area of the control map (vectorised over the batch)."""
    n = len(incidents)
    lons = np.full(n, np.nan)
    lats = np.full(n, np.nan)
    disc = np.full(n, np.inf)
    ground = np.full(n, np.inf)
    radii: dict[tuple[Any, Any], tuple[float | None, float]] = {}
    for k, incident in enumerate(incidents):
        place = incident.place
        if place.lat is None or place.lon is None:
            continue
        shape = (place.radius_m, place.precision)
        known = radii.get(shape)
        if known is None:
            stated = place.radius_m
            known = radii[shape] = (
                disc_radius(place),
                stated if stated is not None else precision_radius_m(place.precision),
            )
        if known[0] is None:
            continue
        lons[k], lats[k] = place.lon, place.lat
        disc[k], ground[k] = known
    far = np.isfinite(disc)
    agreement = ctx.agreement
    shapes = zone_shapes(agreement)
    named = {z for t in agreement.terms for z in (*t.inside, *t.outside)}
    for zone_id in sorted(named):
        zs = shapes.get(zone_id)
        if zs is not None and zs.possible is not None:
            far &= discs_miss(zs.possible.bounds, lons, lats, disc)
    if ctx.control is not None:
        from ceasefire.compliance.territory import far_from_map

        far &= far_from_map(ctx.control, lons, lats, ground)
    return far


_SLOT = re.compile("\x00(stated|end|place)\x00")


class _Template:
    """A finding judged for one incident, given to others of the same signature: their own key,
    and their own words where the finding says them (slots: ``Case.said``, and the place)."""

    __slots__ = ("finding", "radius", "texts", "tz")

    def __init__(self, finding: Finding, incident: Incident, tz: Any) -> None:
        self.finding = finding
        self.tz = tz
        place = incident.place
        r = disc_radius(place)
        self.radius = r or 0.0  # the same for every incident of the signature
        own = (
            disc_description(place.lat, place.lon, r)
            if r is not None and place.lat is not None and place.lon is not None
            else None
        )

        def parts(text: str) -> list[str]:
            if own is not None and own in text:
                text = text.replace(own, "\x00place\x00")
            return _SLOT.split(text)  # text, slot, text, … (one item: no slot)

        texts: dict[str, Any] = {
            "rule": parts(finding.rule),
            "facts": [parts(t) for t in finding.facts],
            "doubts": [parts(t) for t in finding.doubts],
            "zones": [(z, parts(z["reason"])) for z in finding.zones],
        }
        slotted = (
            len(texts["rule"]) > 1
            or any(len(p) > 1 for p in texts["facts"])
            or any(len(p) > 1 for p in texts["doubts"])
            or any(len(p) > 1 for _, p in texts["zones"])
        )
        self.texts = texts if slotted else None
        if not slotted:
            _ = finding.explanation  # once: the copies made from it keep it

    def finding_for(self, incident: Incident) -> Finding:
        f = self.finding
        key = incident.key
        texts = self.texts
        if texts is None:
            if key == f.incident:
                return f
            clone = object.__new__(Finding)  # a shallow copy (findings are frozen), made quickly
            clone.__dict__.update(f.__dict__)
            clone.__dict__["incident"] = key
            return clone
        win, place = incident.window, incident.place
        words = {
            "stated": win.stated or win.precision.value,
            "end": win.end.astimezone(self.tz).isoformat(),
            "place": disc_description(place.lat, place.lon, self.radius)
            if place.lat is not None and place.lon is not None
            else "",
        }

        def fill(parts: list[str]) -> str:
            if len(parts) == 1:
                return parts[0]
            return "".join(words[p] if n % 2 else p for n, p in enumerate(parts))

        clone = object.__new__(Finding)  # the template with this incident's words
        own = clone.__dict__
        own.update(f.__dict__)
        own.pop("explanation", None)
        own["incident"] = key
        own["rule"] = fill(texts["rule"])
        own["facts"] = tuple(dict.fromkeys(fill(p) for p in texts["facts"]))
        own["doubts"] = tuple(dict.fromkeys(fill(p) for p in texts["doubts"]))
        own["zones"] = tuple(
            {**z, "reason": fill(p)} if len(p) > 1 else z for z, p in texts["zones"]
        )
        return clone


def _instants(ctx: Context) -> list[int]:
    """Every instant the rules may compare an incident's window with: each date and date-time
    anywhere in the agreement (its phases, decisions, declarations, determinations, the actor
    registry's dated names and memberships), the phase windows as known, the control map's
    versions — a date as the first instants of its day and of the next, in the agreement's zone
    and in UTC.
    Gathered by walking the objects, so a dated field added later is included without a change
    here.  As microseconds since 1970 (UTC): exact, and quick to compare."""
    found: set[datetime] = set()
    tz = ctx.agreement.timezone
    seen: set[int] = set()

    def walk(obj: Any) -> None:
        if isinstance(obj, datetime):
            if obj.tzinfo is not None:
                found.add(obj)
            return
        if isinstance(obj, date):  # a day compared with a day: before it, on it, after it
            for day in (obj, obj + timedelta(days=1)):
                found.add(datetime.combine(day, time(0), tzinfo=tz))
                found.add(datetime.combine(day, time(0), tzinfo=UTC))
            return
        if obj is None or isinstance(obj, str | bytes | int | float | enum.Enum):
            return
        if id(obj) in seen:
            return
        seen.add(id(obj))
        if isinstance(obj, dict):
            for k, v in obj.items():
                walk(k)
                walk(v)
        elif isinstance(obj, list | tuple | set | frozenset):
            for v in obj:
                walk(v)
        elif is_dataclass(obj):
            for f in fields(obj):
                if f.name != "cache":
                    walk(getattr(obj, f.name))
        elif type(obj).__module__.startswith("ceasefire") and hasattr(obj, "__dict__"):
            for name, v in vars(obj).items():
                if name != "cache":
                    walk(v)

    walk(ctx.agreement)
    walk(ctx.windows)
    if ctx.control is not None:
        walk(list(ctx.control.versions))
    return sorted({micros(moment) for moment in found})


def _long(ctx: Context, window: TimeWindow) -> bool:
    """Whether the window spans more local days than control is asked over (territory)."""
    tz = ctx.agreement.timezone
    first = window.start.astimezone(tz).date()
    last = (window.end - timedelta(microseconds=1)).astimezone(tz).date()
    return (last - first).days > MAX_DAYS


def _draft(ctx: Context, incident: Incident, slots: bool = False) -> Case:
    agreement = ctx.agreement
    codes = list(incident_codes(incident))
    occurrence_j = incident.latest(Axis.OCCURRENCE, ctx.as_of)
    attribution_j = incident.latest(Axis.ATTRIBUTION, ctx.as_of)
    side_a, side_b = incident_sides(agreement, incident)
    known = "undetermined"
    if attribution_j is not None:
        named = f" {', '.join(attribution_j.actors)}" if attribution_j.actors else ""
        known = f"{attribution_j.value}{named} ({attribution_j.by}, known {attribution_j.known_from.date()})"
    case = Case(
        ctx=ctx,
        incident=incident,
        codes=codes,
        actions=_actions(codes),
        means=incident_means(codes),
        side_a=side_a,
        side_b=side_b,
        directed=_directed(incident),
        occurrence=occurrence_j.value if occurrence_j else "alleged",
        attribution_j=attribution_j,
        known_attribution=known,
        slots=slots,
    )
    if ctx.control is not None:
        from ceasefire.compliance.territory import control_at_incident

        case.ground = control_at_incident(ctx.control, incident, agreement.timezone)
        if case.ground is not None:
            held = f" by {', '.join(case.ground.actors)}" if case.ground.actors else ""
            case.facts.append(f"ground: {case.ground.status}{held} ({case.ground.reason})")
    case.facts.append(f"side A: {side_a.described}")
    if not side_b.empty:
        case.facts.append(f"side B: {side_b.described}")
    for a in (*side_a.actors, *side_b.actors):
        if a.actor_id is None:
            case.doubts.append(a.reason)
        elif a.confidence < 1.0:
            case.doubts.append(
                f"{a.name!r} resolved to {a.actor_id} with confidence {a.confidence:.2f}"
            )
    if incident.notes.startswith("data quality:"):
        case.doubts.append(incident.notes)
    elif incident.notes:
        case.facts.append(f"source note: {incident.notes}")
    return case


def _evaluate(ctx: Context, incident: Incident, slots: bool = False) -> Finding:
    case = _draft(ctx, incident, slots)
    for spec in registered_rules():
        spec.func(case)
    return _finish(case)


def _finish(case: Case) -> Finding:
    incident = case.incident
    parties = tuple(sorted({*case.side_a.ids, *case.side_b.ids}))
    doubts = list(case.doubts)
    codes = list(case.codes)
    zones: list[dict[str, str]] = []
    obligations: tuple[str, ...] = ()
    bearers: tuple[str, ...] = ()
    attribution = case.known_attribution
    phase: str | None = None
    if case.settled is not None:
        qualification, code, rule = case.settled
        codes.append(code)
    else:
        qualification = next(q for q in PRECEDENCE if any(t.qualification is q for t in case.terms))
        decisive = [t for t in case.terms if t.qualification is qualification]
        for t in decisive:
            if t.code and t.code not in codes:
                codes.append(t.code)
            doubts.extend(t.doubts)
        first = decisive[0]
        sharing = [t.term.id for t in decisive if t.why == first.why]
        rule = first.why.replace("{terms}", ", ".join(sharing))
        phase = next((t.phase for t in decisive if t.phase), None)
        if qualification in (Qualification.VIOLATION, Qualification.UNDETERMINED):
            obligations = tuple(sorted({t.term.id for t in decisive}))
            bearers = tuple(sorted({b for t in decisive for b in t.bearers}))
            attribution = next((t.attribution for t in decisive if t.attribution), attribution)
        seen: set[str] = set()
        for t in case.terms:
            for z in t.zones:
                if z["zone"] not in seen:
                    seen.add(z["zone"])
                    zones.append(z)
        for z in zones:
            if z["result"] in ("cannot_evaluate", "unknown", "unplaced"):
                doubts.append(f"zone {z['zone']}: {z['reason']}")
    facts = list(case.facts)
    if case.override is not None:
        value, code, text, terms, who = case.override
        facts.append(f"the engine's own assessment: {qualification.value} — {rule}")
        qualification, rule = value, text
        codes.append(code)
        if terms:
            obligations = terms
        if value is Qualification.VIOLATION:
            bearers = tuple(sorted(who)) if who else bearers
        elif value is not Qualification.UNDETERMINED:
            obligations, bearers = (), ()
    # bearers come only from the incident's own actors, or those a dated judgement on it names
    own = set(parties) | set(case.attribution_j.actors if case.attribution_j else ())
    if case.override is not None:
        own |= set(case.override[4])
    bearers = tuple(b for b in bearers if b in own)
    return Finding(
        incident=incident.key,
        qualification=qualification.value,
        codes=tuple(dict.fromkeys(codes)),
        obligations=obligations,
        bearers=bearers,
        parties=parties,
        attribution=attribution,
        occurrence=case.occurrence,
        phase=phase,
        rule=rule,
        facts=tuple(dict.fromkeys(facts)),
        doubts=tuple(dict.fromkeys(doubts)),
        zones=tuple(zones),
        as_of=case.ctx.as_of_text,
        control=case.ground.json if case.ground is not None else None,
    )
