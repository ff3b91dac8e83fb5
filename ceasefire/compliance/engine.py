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

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

import numpy as np

from ceasefire._gc import collector_paused
from ceasefire.compliance.case import PRECEDENCE, Case, Context, Qualification
from ceasefire.compliance.coverage import incident_sides
from ceasefire.compliance.rules import registered_rules
from ceasefire.compliance.signatures import Groups, group
from ceasefire.geo.areas import disc_description, disc_radius
from ceasefire.model.agreement import Agreement
from ceasefire.model.incidents import Axis, Incident

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
    computed per *judgement signature* (:mod:`ceasefire.compliance.signatures`).

    The rules read an incident only through its kind, window, actors, sources' names, notes,
    judgements, self-defence claims and place; and its place only through the footprint's
    relation to the agreement's zones and the ground's control.  Where the place's disc
    certainly misses every mapped zone and every area the control map ever had (decided for the
    whole batch at once, :func:`~ceasefire.compliance.signatures.far_places`), those relations
    and that control answer do not depend on the coordinates: such incidents share a signature
    without them, the rules run once for the first of them, and the others take that finding
    with their own key and their own place's words.  Every other incident (near a zone or mapped
    ground, a reported weapon position, a place without a disc, a published determination) keeps
    its exact place in its signature.

    Such incidents also share a signature across days: the rules read their window only by
    comparing its ends with the instants the agreement, its phases as known and the control map
    name (:func:`~ceasefire.compliance.signatures.instants`), so the window enters the signature
    as its ends' places among those instants.  The incident's own words (its stated date, the
    end of its window, its place) are slots in the template, each incident filling in its own.

    The signatures are computed for the whole batch as columns and grouped at once
    (:func:`~ceasefire.compliance.signatures.group`); what remains per incident is reading its
    fields and making its finding from its group's template.

    ``templates`` (signature → judged template) lets batches judged in the same context share
    what each judged: a caller passes the same dictionary only while the agreement, the control
    map and what is known stay the same (see :class:`~ceasefire.compliance.judge.Judge`); a
    signature then also carries how many of the incident's judgements are known at ``as_of``."""
    n = len(incidents)
    if n < BATCH_MIN and templates is None:
        with collector_paused():
            return [_evaluate(ctx, i) for i in incidents]
    if not n:
        return []
    shared: dict[tuple[Any, ...], Any] = {} if templates is None else templates
    with collector_paused():  # many findings, no cycles: see ceasefire._gc
        # a small batch (a day's incidents in a report) keeps exact places: the bounding test
        # would cost more than it saves
        groups = group(ctx, incidents, _reported_position, spatial=n >= BATCH_MIN)
        todo: dict[tuple[Any, ...], int] = {}  # signature → its first incident, to judge
        for key, k in zip(groups.signatures, groups.first, strict=True):
            if key not in shared and key not in todo:
                todo[key] = k
        if len(todo) > 100 and any(t.inside or t.outside for t in ctx.agreement.terms):
            from ceasefire.geo.areas import prime

            prime(ctx.agreement, (incidents[k].place for k in todo.values()))
        tz = ctx.agreement.timezone
        for (key, k), timed in zip(todo.items(), _timed(groups, todo), strict=True):
            finding = _evaluate(ctx, incidents[k], slots=timed)
            shared[key] = _Template(finding, incidents[k], tz)
        out: list[Any] = [None] * n
        order = np.argsort(groups.of, kind="stable")
        bounds = np.searchsorted(groups.of[order], np.arange(len(groups.first) + 1)).tolist()
        members = order.tolist()
        ends = _Ends(groups, tz)
        for g, key in enumerate(groups.signatures):
            shared[key].fill(members[bounds[g] : bounds[g + 1]], groups, ends, out)
        return out


def _timed(groups: Groups, todo: dict[tuple[Any, ...], int]) -> list[bool]:
    """Per signature to judge: whether its window entered as places among the instants (the
    template's words are then slots)."""
    timed = dict(zip(groups.first, groups.timed, strict=True))
    return [timed[k] for k in todo.values()]


_CODES: dict[tuple[str, str, str], tuple[tuple[str, ...], bool]] = {}


def _codes_of(incident: Incident) -> tuple[tuple[str, ...], bool]:
    """The incident's codes, and whether one is a reported position (read at its exact place)."""
    key = (incident.source_system, incident.category, incident.sub_category)
    hit = _CODES.get(key)
    if hit is None:
        codes = incident_codes(incident)
        hit = _CODES[key] = (codes, any(c.startswith("POS.") for c in codes))
    return hit


def _reported_position(incident: Incident) -> bool:
    return _codes_of(incident)[1]


class _Ends:
    """The words of a window's end in the agreement's zone, made once per instant."""

    __slots__ = ("groups", "tz", "words")

    def __init__(self, groups: Groups, tz: Any) -> None:
        self.groups = groups
        self.tz = tz
        self.words: dict[int, str] = {}

    def word(self, k: int) -> str:
        end = int(self.groups.ends[k])
        found = self.words.get(end)
        if found is None:
            window = self.groups.windows[k]
            found = self.words[end] = window.end.astimezone(self.tz).isoformat()
        return found


_SLOT = re.compile("\x00(stated|end|place)\x00")


def _pattern(parts: list[str]) -> str:
    """Template parts (text, slot, text, …) as a format string with the slots as fields."""
    return "".join(
        "{" + p + "}" if n % 2 else p.replace("{", "{{").replace("}", "}}")
        for n, p in enumerate(parts)
    )


class _Template:
    """A finding judged for one incident, given to others of the same signature: their own key,
    and their own words where the finding says them (slots: ``Case.said``, and the place)."""

    __slots__ = ("base", "doubts", "facts", "finding", "radius", "rule", "slotted", "used", "zones")

    def __init__(self, finding: Finding, incident: Incident, tz: Any) -> None:
        self.finding = finding
        place = incident.place
        r = disc_radius(place)
        self.radius = r or 0.0  # the same for every incident of the signature
        own = (
            disc_description(place.lat, place.lon, r)
            if r is not None and place.lat is not None and place.lon is not None
            else None
        )
        used: set[str] = set()

        def parts(text: str) -> list[str]:
            if own is not None and own in text:
                text = text.replace(own, "\x00place\x00")
            split = _SLOT.split(text)  # text, slot, text, … (one item: no slot)
            used.update(split[1::2])
            return split

        def pattern(text: str) -> tuple[str, bool]:
            split = parts(text)
            return (_pattern(split), True) if len(split) > 1 else (text, False)

        self.rule = pattern(finding.rule)
        facts = [pattern(t) for t in finding.facts]
        doubts = [pattern(t) for t in finding.doubts]
        zones = [(z, pattern(z["reason"])) for z in finding.zones]
        # per part of the finding: its patterns when one has a slot (None: as judged)
        self.facts = facts if any(s for _, s in facts) else None
        self.doubts = doubts if any(s for _, s in doubts) else None
        self.zones = zones if any(s for _, (_, s) in zones) else None
        self.used = frozenset(used)
        self.slotted = bool(used)
        if not self.slotted:
            _ = finding.explanation  # once: the copies made from it keep it
        self.base = {k: v for k, v in finding.__dict__.items() if k != "explanation" or not used}

    def fill(self, members: list[int], groups: Groups, ends: _Ends, out: list[Any]) -> None:
        """The findings of the incidents at ``members`` (of ``groups``), into ``out`` at the same
        places."""
        f = self.finding
        base = self.base
        keys = groups.keys
        new = object.__new__
        if not self.slotted:
            judged = f.incident
            for k in members:
                key = keys[k]
                if key == judged:
                    out[k] = f
                    continue
                clone = new(Finding)  # a shallow copy (findings are frozen), made quickly
                own = clone.__dict__
                own.update(base)
                own["incident"] = key
                out[k] = clone
            return
        used = self.used
        radius = self.radius
        windows, places = groups.windows, groups.places
        rule, rule_slotted = self.rule
        facts, doubts, zones = self.facts, self.doubts, self.zones
        for k in members:
            words: dict[str, str] = {}
            if "stated" in used:
                win = windows[k]
                words["stated"] = win.stated or win.precision.value
            if "end" in used:
                words["end"] = ends.word(k)
            if "place" in used:
                place = places[k]
                words["place"] = (
                    disc_description(place.lat, place.lon, radius)
                    if place.lat is not None and place.lon is not None
                    else ""
                )
            clone = new(Finding)  # the template with this incident's words
            own = clone.__dict__
            own.update(base)
            own["incident"] = keys[k]
            if rule_slotted:
                own["rule"] = rule.format_map(words)
            if facts is not None:
                own["facts"] = tuple(
                    dict.fromkeys([p.format_map(words) if s else p for p, s in facts])
                )
            if doubts is not None:
                own["doubts"] = tuple(
                    dict.fromkeys([p.format_map(words) if s else p for p, s in doubts])
                )
            if zones is not None:
                own["zones"] = tuple(
                    {**z, "reason": p.format_map(words)} if s else z for z, (p, s) in zones
                )
            out[k] = clone


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
