"""The compliance rules: small registered functions run in a declared order over a finding draft.

Each rule looks at the terms still open on a :class:`~ceasefire.compliance.case.Case` and closes
some of them with a qualification, a reason code and a sentence — or settles the whole incident.
A term is a violation only when its bearer, place, phase in force, action and target all match.
``RULE_ORDER`` is the one place the order is written; ``docs/compliance.md`` documents every rule
(a test checks it), like the news pipeline's stages.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ceasefire.compliance.case import Case, Qualification, TermState
from ceasefire.compliance.coverage import Side, SideActor, coverage_of
from ceasefire.compliance.phases import PhaseWindow, merged_intervals
from ceasefire.model.agreement import ALL_COVERED, Coverage, Term
from ceasefire.model.timewindow import Relation

__all__ = ["RULE_ORDER", "RuleSpec", "registered_rules", "rule"]

V, U, OOS, NV = (
    Qualification.VIOLATION,
    Qualification.UNDETERMINED,
    Qualification.OUT_OF_SCOPE,
    Qualification.NOT_VIOLATION,
)
ATTRIBUTING_WORDS = ("strongly_suggested", "implicated", "established")

RuleFunc = Callable[[Case], None]


@dataclass(frozen=True)
class RuleSpec:
    name: str
    codes: tuple[str, ...]  # the reason codes it can give
    func: RuleFunc
    doc: str


_RULES: dict[str, RuleSpec] = {}


def rule(name: str, codes: tuple[str, ...]) -> Callable[[RuleFunc], RuleFunc]:
    def register(func: RuleFunc) -> RuleFunc:
        if name in _RULES and _RULES[name].func is not func:
            raise ValueError(f"Rule {name!r} is registered twice.")
        _RULES[name] = RuleSpec(name, codes, func, (func.__doc__ or "").strip())
        return func

    return register


def registered_rules() -> list[RuleSpec]:
    """The rules in the order they run."""
    return [_RULES[name] for name in RULE_ORDER]


# --- 1. which terms could apply --------------------------------------------------------------
@rule("terms_for_action", ("NV.NO_TERM",))
def terms_for_action(case: Case) -> None:
    """A term is a candidate when it concerns the incident's action (attack, acquiring territory,
    humanitarian access, withdrawal, flight…) and is a prohibition or requirement in force by its
    kind; none → not a violation: no term governs this kind of incident."""
    agreement = case.ctx.agreement
    terms = case.ctx.candidates.get(case.actions)
    if terms is None:
        terms = case.ctx.candidates[case.actions] = tuple(
            t for t in agreement.terms
            if t.action in case.actions and t.type in ("prohibition", "requirement")
        )  # fmt: skip
    case.terms = [TermState(t) for t in terms]
    if not case.terms:
        kind = case.incident.sub_category or case.incident.category
        case.settle(
            NV, "NV.NO_TERM", f"Not a violation: no term of {agreement.id} governs '{kind}'."
        )


@rule("means_and_targets", ("NV.NOT_CONCERNED", "UNDET.MEANS", "UNDET.WEAPON_CLASS"))
def means_and_targets(case: Case) -> None:
    """A term limited to some means of attack (air strikes, rockets…) concerns an incident only
    when the source codes one of them; a source that codes no means leaves it undetermined.  A term
    limited to some weapon classes concerns a position report of one of them (a class the agreement
    does not know: undetermined).  A term that protects named targets (civilians, convoys,
    monitors…) concerns only attacks on them."""
    targets = _incident_targets(case)
    position = any(c.startswith("POS.") for c in case.codes)
    weapon = case.incident.sub_category if position else ""
    for ts in case.open_terms:
        t = ts.term
        if position and t.weapon_classes:
            if weapon not in case.ctx.agreement.weapon_vocabulary:
                ts.close(U, "UNDET.WEAPON_CLASS", f"Cannot determine: the weapon class {weapon!r} "
                         "is not one the agreement knows, so {terms} cannot be applied to it.")  # fmt: skip
                continue
            if weapon not in t.weapon_classes:
                ts.close(NV, "NV.NOT_CONCERNED", "Not a violation of {terms}: it concerns "
                         f"{', '.join(t.weapon_classes)}, not {weapon}.")  # fmt: skip
                continue
        if t.means and "any_weapon" not in t.means and t.action == "attack":
            wanted = set(t.means)
            if case.means is None:
                ts.close(
                    U,
                    "UNDET.MEANS",
                    "Cannot determine: {terms} concerns "
                    f"{', '.join(sorted(wanted))}, and the source does not code the means.",
                )
                continue
            if not case.means & wanted:
                ts.close(
                    NV,
                    "NV.NOT_CONCERNED",
                    "Not a violation of {terms}: it concerns "
                    f"{', '.join(sorted(wanted))}, not {', '.join(sorted(case.means))}.",
                )
                continue
            if not case.means <= wanted:
                ts.close(
                    U,
                    "UNDET.MEANS",
                    "Cannot determine: the source codes "
                    f"{' or '.join(sorted(case.means))}; {{terms}} concerns only {', '.join(sorted(wanted))}.",
                )
                continue
        if t.targets and targets is not None and not set(t.targets) & targets:
            ts.close(
                NV,
                "NV.NOT_CONCERNED",
                "Not a violation of {terms}: it protects "
                f"{', '.join(t.targets)}; the incident's target was {', '.join(sorted(targets))}.",
            )


def _incident_targets(case: Case) -> set[str] | None:
    """What was attacked, when the incident says so; ``None`` when it does not."""
    if any(c.startswith("HUM.") for c in case.codes):
        return {"convoys", "humanitarian_staff"}
    if not case.directed:
        return {"parties"} if not case.side_b.empty else None
    out: set[str] = set()
    for a in case.side_b.actors:
        if a.coverage is Coverage.PROTECTED:
            out.add("civilians")
        elif (
            a.actor_id is not None and case.ctx.agreement.registry.get(a.actor_id).type == "monitor"
        ):
            out.add("monitors")
        else:
            out.add("parties")
    return out or None


# --- 2. excluded groups ---------------------------------------------------------------------
@rule("excluded_actor", ("NV.EXCLUDED_ACTOR", "SEP.COMMINGLE"))
def excluded_actor(case: Case) -> None:
    """An excluded group on either side → not a violation of any term that exempts action
    involving excluded groups (the default); a side that joins excluded and other groups is noted
    (SEP.COMMINGLE)."""
    excluded = [
        a for a in (*case.side_a.actors, *case.side_b.actors) if a.coverage is Coverage.EXCLUDED
    ]
    if not excluded:
        return
    for side in (case.side_a, case.side_b):
        others = side.with_coverage(Coverage.COVERED, Coverage.UNKNOWN)
        if side.with_coverage(Coverage.EXCLUDED) and others:
            named = ", ".join(sorted({a.actor_id or a.name for a in others}))
            case.facts.append(
                f"side {side.label.upper()} joins excluded and other groups ({named})"
            )
            if "SEP.COMMINGLE" not in case.codes:
                case.codes.append("SEP.COMMINGLE")
    reasons = "; ".join(sorted({a.reason for a in excluded}))
    for ts in case.open_terms:
        if ts.term.excluded_exempt:
            ts.close(
                NV,
                "NV.EXCLUDED_ACTOR",
                f"Not a violation: {reasons} of {case.ctx.agreement.id}; "
                "action involving an excluded group is outside {terms}.",
            )


# --- 3. when ------------------------------------------------------------------------------
@rule(
    "phase_in_force",
    ("NV.BEFORE_START", "NV.AFTER_END", "NV.PHASE_LAPSED", "NV.PHASE_NOT_ACTIVE", "UNDET.BOUNDARY"),
)
def phase_in_force(case: Case) -> None:
    """The incident's window against the phases in which each term applies (each phase on its
    own lifecycle): entirely before the start or after the end → not a violation; in a gap where
    the phase had lapsed → not a violation; a window that contains a start or end instant →
    undetermined (never guessed).  The finding names the phase in force at the incident."""
    tz = case.ctx.agreement.timezone
    win = case.incident.window
    stated = case.said("stated", win.stated or win.precision.value)
    spans = case.ctx.memo.setdefault("term_spans", {})
    for ts in case.open_terms:
        span = spans.get(ts.term.id)
        if span is None:
            windows = [case.ctx.windows[p] for p in ts.term.phases if p in case.ctx.windows]
            merged = merged_intervals(windows) if windows else []
            span = spans[ts.term.id] = (
                windows,
                merged,
                ", ".join(sorted({w.phase_id for w in windows})),
            )
        windows, intervals, names = span
        if not windows:
            ts.close(
                NV,
                "NV.PHASE_NOT_ACTIVE",
                "Not a violation: the phase(s) "
                f"{', '.join(ts.term.phases)} of {{terms}} never began.",
            )
            continue
        first, last = intervals[0][0], intervals[-1][1]
        if win.end <= first:
            ts.close(
                NV,
                "NV.BEFORE_START",
                f"Not a violation: the incident ({stated}) is entirely "
                f"before the start {first.isoformat()} of {{terms}}.",
            )
            ts.doubts.append(
                f"the incident window ends {case.said('end', win.end.astimezone(tz).isoformat())}"
            )
            continue
        if last is not None and win.start >= last:
            ts.close(
                NV,
                "NV.AFTER_END",
                f"Not a violation: the incident ({stated}) is entirely "
                f"after the end {last.isoformat()} of {names}.",
            )
            continue
        inside = [
            w
            for w in windows
            if any(win.start >= s and (e is None or win.end <= e) for s, e in w.intervals)
        ]
        overlapping = [(s, e) for s, e in intervals if win.overlap_seconds(s, e or win.end) > 0]
        if not overlapping:
            ts.close(
                NV,
                "NV.PHASE_LAPSED",
                f"Not a violation: the incident ({stated}) falls where "
                f"{names} had lapsed and was not yet renewed.",
            )
            continue
        if not inside and not case.incident.continuing:
            boundary = next(
                b
                for s, e in overlapping
                for b in (s, e)
                if b is not None and win.relation_to(b) is Relation.STRADDLES
            )
            ts.close(
                U,
                "UNDET.BOUNDARY",
                "Cannot determine: the incident may have happened before or "
                f"after the boundary {boundary.isoformat()}; it is not guessed.",
                phase=_phase_at(windows, boundary),
            )
            ts.doubts.append(
                f"the incident is known only to {win.precision.value} precision ({stated}), a window "
                f"that contains the boundary {boundary.astimezone(tz).isoformat()}"
            )
            continue
        ts.phase = (
            inside
            or [
                w
                for w in windows
                if any(win.overlap_seconds(s, e or win.end) > 0 for s, e in w.intervals)
            ]
        )[0].phase_id
        if not inside:
            case.facts.append("a continuing situation that lasted into the phase")


def _phase_at(windows: list[PhaseWindow], boundary: object) -> str | None:
    for w in windows:
        for s, e in w.intervals:
            if boundary in (s, e):
                return w.phase_id
    return windows[0].phase_id if windows else None


# --- 4. where -----------------------------------------------------------------------------
@rule("where", ("NV.OUTSIDE_ZONE", "UNDET.SPATIAL", "UNDET.ZONE_UNMAPPED", "UNDET.PLACE"))
def where(case: Case) -> None:
    """A term that applies inside zones is engaged only when the incident's place — widened to
    its precision (a disc, or the district or governorate it is coded to) — lies inside one of
    them; outside all of them → not a violation of that term.  Across a zone's edge, in a zone
    without geometry, or at a place known too coarsely, whether the term is engaged is not known:
    the term stays open, and if the parties rule would find a violation (or cannot tell) the
    finding is undetermined for that reason; if the term binds no one there, out of scope stands.
    A term that does not apply inside some zones is not engaged there.  Zones measured only by
    distance bands from a reference line are left to the position rule."""
    from ceasefire.geo.areas import Relation as Rel
    from ceasefire.geo.areas import footprint, relate, zone_shapes

    agreement = case.ctx.agreement
    shapes = zone_shapes(agreement)

    def relation(zone_id: str) -> tuple[Rel, str]:
        fp = footprint(case.incident.place, case.ctx.footprints)
        key = (zone_id, fp.key)
        hit = case.ctx.relations.get(key)
        if hit is None:
            hit = case.ctx.relations[key] = relate(shapes[zone_id], fp)
        return hit

    for ts in case.open_terms:
        t = ts.term
        measured = [z for z in t.inside if agreement.zone(z).reference_line is None]
        results = {z: relation(z) for z in measured}
        for z, (rel, why) in results.items():
            ts.zones.append({"zone": z, "result": rel.value, "reason": why})
        if measured:
            rels = {r for r, _ in results.values()}
            if rels == {Rel.OUTSIDE}:
                ts.close(NV, "NV.OUTSIDE_ZONE", "Not a violation: the incident is outside "
                         f"{', '.join(measured)}, where {{terms}} applies.")  # fmt: skip
                continue
            if Rel.INSIDE not in rels:
                ts.spatial = _spatial_doubt(results)
        for z in t.outside:
            rel, why = relation(z)
            ts.zones.append({"zone": z, "result": rel.value, "reason": why})
            if rel is Rel.INSIDE:
                ts.close(NV, "NV.OUTSIDE_ZONE", f"Not a violation: the incident is inside {z}, "
                         "where {terms} does not apply.")  # fmt: skip
                break
            if rel is not Rel.OUTSIDE and ts.spatial is None:
                ts.spatial = ("UNDET.SPATIAL", f"Cannot determine: whether the incident is inside "
                              f"{z}, where {{terms}} does not apply, is not known.", why)  # fmt: skip


def _spatial_doubt(results: Mapping[str, tuple[object, str]]) -> tuple[str, str, str]:
    """(code, sentence, doubt) for a term whose zones neither hold nor exclude the incident."""
    from ceasefire.geo.areas import Relation as Rel

    for want, code in ((Rel.STRADDLES, "UNDET.SPATIAL"), (Rel.UNPLACED, "UNDET.PLACE")):
        hits = [z for z, (r, _) in results.items() if r is want]
        if hits:
            why = results[hits[0]][1]
            if code == "UNDET.SPATIAL":
                return (code, "Cannot determine: the incident's place, at its precision, crosses "
                        f"the edge of {', '.join(hits)}; it is not guessed.", why)  # fmt: skip
            return (code, "Cannot determine: the incident's place is known too coarsely to say "
                    f"whether it lies in {', '.join(hits)}.", why)  # fmt: skip
    unknown = [z for z, (r, _) in results.items() if r is Rel.UNKNOWN]
    why = results[unknown[0]][1] if unknown else "no zone could be evaluated"
    return ("UNDET.ZONE_UNMAPPED", "Cannot determine: whether the incident lies in "
            f"{', '.join(unknown)} cannot be evaluated ({why}).", why)  # fmt: skip


# --- 5. positions against distance bands ------------------------------------------------------
@rule("positions", ("POS.BAND", "NV.OUTSIDE_BAND", "UNDET.SPATIAL", "UNDET.WEAPON_CLASS"))
def positions(case: Case) -> None:
    """A reported weapon position against the distance bands of the zones of the withdrawal terms
    in force: inside a band its bearer must keep clear → violation; outside every band → not a
    violation; an uncertainty disc across a band edge → undetermined; a weapon class the agreement
    does not know → undetermined (never 'not a violation')."""
    if not any(c.startswith("POS.") for c in case.codes):
        return
    from ceasefire.compliance.bands import judge_position

    agreement = case.ctx.agreement
    for ts in case.open_terms:
        if any(agreement.zone(z).reference_line is not None for z in ts.term.inside):
            judge_position(case, ts)


# --- 6. who: bearers, coverage, direction ------------------------------------------------------
@rule(
    "parties",
    ("OOS.NON_PARTY", "UNDET.COVERAGE_UNKNOWN", "UNDET.ATTRIBUTION", "NV.EXCLUDED_GROUND"),
)
def parties(case: Case) -> None:
    """A term engages only an actor it binds (its bearers, or every covered party) that is on the
    incident's sides, against someone it protects (another party, civilians, convoys…).  With a
    stated direction (one-sided violence, perpetrator/target, an attack coded actor on actor) the
    acting side bears the violation; in a clash both sides are weighed alike, so the same incident
    worded side A/side B or perpetrator/target gets the same qualification.  Civilians are
    protected targets, never a 'non-party' that puts an attack on them out of scope."""
    for ts in case.open_terms:
        if case.directed:
            _directed(case, ts)
        else:
            _clash(case, ts)
        if ts.spatial is not None and ts.qualification in (V, U):
            # whether the term is engaged where it happened is itself unknown
            code, sentence, doubt = ts.spatial
            ts.close(U, code, sentence, bearers=(), attribution=ts.attribution)
            ts.doubts.append(doubt)


def _status(case: Case, ts: TermState, actor: SideActor) -> str:
    """bound | maybe | not_bearer | not_party | protected | excluded."""
    if actor.coverage is Coverage.PROTECTED:
        return "protected"
    if actor.coverage is Coverage.EXCLUDED:
        return "excluded"
    if actor.actor_id is None:
        return "maybe"
    if not _is_bearer(case, ts.term, actor.actor_id):
        return "not_bearer"
    return {Coverage.COVERED: "bound", Coverage.UNKNOWN: "maybe"}.get(actor.coverage, "not_party")


def _is_bearer(case: Case, term: Term, actor_id: str) -> bool:
    if ALL_COVERED in term.bearers:
        return True
    agreement = case.ctx.agreement
    named_by: dict[str, frozenset[str]] = case.ctx.memo.setdefault("bearers", {})
    named = named_by.get(term.id)
    if named is None:
        named = named_by[term.id] = frozenset(a for b in term.bearers for a in agreement.expand(b))
    if actor_id in named:
        return True
    actor = agreement.registry.get(actor_id)
    return bool(named & set(actor.members))  # a coalition whose member is a bearer


def _protected(case: Case, ts: TermState, actors: tuple[SideActor, ...]) -> str:
    """Whether the term protects the side acted against: yes (another party, a protected person,
    or a target the term names — a convoy, monitors) | maybe | no (not a party) | unnamed."""
    targets = set(ts.term.targets)
    if any(c.startswith("HUM.") for c in case.codes) and (
        targets & {"convoys", "humanitarian_staff"} or ts.term.action == "humanitarian_access"
    ):
        return "yes"
    if "monitors" in targets and any(
        a.actor_id and case.ctx.agreement.registry.get(a.actor_id).type == "monitor" for a in actors
    ):
        return "yes"
    if not actors:
        return "unnamed"
    kinds = {a.coverage for a in actors}
    if kinds & {Coverage.PROTECTED, Coverage.COVERED}:
        return "yes"
    if Coverage.UNKNOWN in kinds or any(a.actor_id is None for a in actors):
        return "maybe"
    return "no"


def _judged_attribution(case: Case) -> tuple[tuple[str, ...], str] | None:
    j = case.attribution_j
    if j is not None and j.value in ATTRIBUTING_WORDS and j.actors:
        return tuple(j.actors), f"{j.value} by {j.by} (known {j.known_from.date()})"
    return None


# actions whose violation needs someone acted against (a party, a protected person, a convoy);
# a flight into closed airspace or a weapon left in a zone is a violation whoever is there
COUNTERPART_ACTIONS = ("attack", "acquire_territory", "humanitarian_access")


def _directed(case: Case, ts: TermState) -> None:
    acting, target = case.side_a, case.side_b
    source = ", ".join(s.name for s in case.incident.sources) or "the report"
    if acting.empty:
        judged = _judged_attribution(case)
        if judged is None:
            j = case.attribution_j
            if j is not None:
                ts.doubts.append(f"perpetrator {j.value} ({j.by})")
            ts.close(
                U,
                "UNDET.ATTRIBUTION",
                "Cannot determine: the perpetrator is not identified; the terms bind parties only.",
            )
            return
        acting = Side(
            "a",
            ("attribution",),
            tuple(
                SideActor(
                    a, a, *coverage_of(case.ctx.agreement, a, case.incident.window.start), 1.0
                )
                for a in judged[0]
                if a in case.ctx.agreement.registry
            ),
        )
        attribution = judged[1]
    elif case.incident.category == "one_sided" or (
        case.incident.source_system == "acled"
        and case.incident.category == "Violence against civilians"
    ):
        attribution = "perpetrator as coded: side A of one-sided violence"
    else:
        attribution = f"alleged by {source}"
    statuses = {a.actor_id or a.name: _status(case, ts, a) for a in acting.actors}
    bound = sorted(k for k, v in statuses.items() if v == "bound")
    maybe = sorted(k for k, v in statuses.items() if v == "maybe")
    protected = _protected(case, ts, target.actors)
    if ts.term.action not in COUNTERPART_ACTIONS:
        protected = "yes"
    if bound and protected in ("yes",):
        reason = coverage_of(case.ctx.agreement, bound[0], case.incident.window.start)[1]
        case.facts.append(f"bearer(s): {', '.join(bound)} ({reason})")
        ts.close(
            V,
            "",
            f"Violation of {{terms}} by {', '.join(bound)}.",
            bearers=tuple(bound),
            attribution=attribution,
        )
        return
    if bound and protected in ("maybe", "unnamed"):
        who = ", ".join(sorted({a.actor_id or a.name for a in target.actors})) or "the target"
        ts.close(
            U,
            "UNDET.COVERAGE_UNKNOWN",
            f"Cannot determine: whether {who} is a party {{terms}} protects is unknown.",
            attribution=attribution,
        )
        ts.doubts.extend(a.reason for a in target.actors if a.coverage is Coverage.UNKNOWN)
        return
    if maybe and protected != "no":
        ts.close(
            U,
            "UNDET.COVERAGE_UNKNOWN",
            f"Cannot determine: whether {', '.join(maybe)} "
            f"is bound by {case.ctx.agreement.id} is unknown.",
            attribution=attribution,
        )
        ts.doubts.extend(a.reason for a in acting.actors if (a.actor_id or a.name) in maybe)
        return
    who = ", ".join(sorted(statuses)) or "nobody named"
    if bound:
        ts.close(
            OOS,
            "OOS.NON_PARTY",
            f"Out of scope: {', '.join(sorted(a.actor_id or a.name for a in target.actors))} "
            f"is not party to {case.ctx.agreement.id}.",
            attribution=attribution,
        )
        return
    ts.close(
        OOS,
        "OOS.NON_PARTY",
        f"Out of scope: {who} is not bound by {{terms}} of {case.ctx.agreement.id}.",
        attribution=attribution,
    )


def _clash(case: Case, ts: TermState) -> None:
    a, b = case.side_a, case.side_b
    if b.empty or a.empty:
        ts.doubts.append("the source names only one side and gives no direction")
        ts.close(
            U,
            "UNDET.ATTRIBUTION",
            "Cannot determine: only one side is named, so who acted "
            "against whom is not established.",
        )
        return
    sa = {x.actor_id or x.name: _status(case, ts, x) for x in a.actors}
    sb = {x.actor_id or x.name: _status(case, ts, x) for x in b.actors}
    pa, pb = _protected(case, ts, a.actors), _protected(case, ts, b.actors)

    def acts(statuses: dict[str, str], level: str) -> bool:
        return level in statuses.values()

    violation = (acts(sa, "bound") and pb == "yes") or (acts(sb, "bound") and pa == "yes")
    possible = ((acts(sa, "bound") or acts(sa, "maybe")) and pb in ("yes", "maybe")) or (
        (acts(sb, "bound") or acts(sb, "maybe")) and pa in ("yes", "maybe")
    )
    if (violation or possible) and _excluded_ground(case, ts):
        return
    if violation and not (acts(sa, "maybe") or acts(sb, "maybe")):
        ts.doubts.append("who opened fire is not coded (side A / side B carry no direction)")
        if ts.term.self_defence:
            ts.doubts.append(
                f"whether either side acted in proportionate self-defence ({ts.term.self_defence}) is not coded"
            )
        judged = _judged_attribution(case)
        ts.close(
            V,
            "",
            "Violation of {terms}: covered parties fought each other during the "
            "cessation; attribution undetermined.",
            bearers=judged[0] if judged else (),
            attribution=judged[1] if judged else "undetermined",
        )
        return
    if violation or possible:
        unknown = [
            x
            for x in (*a.actors, *b.actors)
            if x.coverage is Coverage.UNKNOWN or x.actor_id is None
        ]
        who = ", ".join(sorted({x.actor_id or x.name for x in unknown})) or "a side"
        ts.doubts.extend(x.reason for x in unknown)
        ts.close(
            U,
            "UNDET.COVERAGE_UNKNOWN",
            f"Cannot determine: whether {who} is bound by "
            f"{case.ctx.agreement.id} is unknown, so fighting with it may or may not breach {{terms}}.",
        )
        return
    outside = sorted(k for k, v in {**sa, **sb}.items() if v in ("not_party", "not_bearer"))
    who = ", ".join(outside) or "the sides"
    verb = "is" if len(outside) == 1 else "are"
    ts.close(
        OOS,
        "OOS.NON_PARTY",
        f"Out of scope: {who} {verb} not party to {case.ctx.agreement.id} "
        "or not bound by {terms}, which governs hostilities among its parties.",
    )


def _excluded_ground(case: Case, ts: TermState) -> bool:
    ground = case.ground
    agreement = case.ctx.agreement
    if (
        ts.term.holds_on_excluded_ground
        or ground is None
        or ground.status != "held"
        or not ground.actors
    ):
        return False
    if not all(a in agreement.registry for a in ground.actors):
        return False
    at = case.incident.window.start
    if not all(coverage_of(agreement, a, at)[0] is Coverage.EXCLUDED for a in ground.actors):
        return False
    ts.close(
        NV,
        "NV.EXCLUDED_GROUND",
        f"Not a violation: the ground was held only by {', '.join(ground.actors)}, "
        f"excluded from {agreement.id}, at the time ({', '.join(ground.areas)}).",
    )
    return True


# --- 7. self-defence --------------------------------------------------------------------------
@rule("self_defence", ("UNDET.SELF_DEFENCE",))
def self_defence(case: Case) -> None:
    """A violation of a term that permits proportionate self-defence, where a report says the
    bearer acted in self-defence, is not judged outright: whether the force was no greater than an
    immediate threat required is assessed (undetermined until a qualification is recorded)."""
    claims = case.incident.self_defence_claims
    if not claims:
        return
    for ts in case.terms:
        if ts.qualification is V and ts.term.self_defence:
            ts.close(
                U,
                "UNDET.SELF_DEFENCE",
                f"Cannot determine: {', '.join(claims)} claimed "
                f"self-defence; whether the force was proportionate to an immediate threat "
                f"({ts.term.self_defence}) is to be assessed.",
                bearers=ts.bearers,
                attribution=ts.attribution,
            )
            ts.doubts.append(f"self-defence claimed by {', '.join(claims)}")


# --- 8. recorded determinations ----------------------------------------------------------------
@rule("determination", ("DET.RECORDED",))
def determination(case: Case) -> None:
    """A dated qualification judgement recorded on the incident, or a determination published
    with the agreement, governs from its date: the finding takes its qualification and keeps the
    engine's own reasoning as a fact.  Before that date the engine's reasoning stands."""
    as_of = case.ctx.as_of
    from ceasefire.model.incidents import Axis

    j = case.incident.latest(Axis.QUALIFICATION, as_of)
    d = case.ctx.determinations.get(case.incident.key)
    if d is not None and as_of is not None and d.at > as_of:
        d = None
    options: list[tuple[object, str, str, str, tuple[str, ...], tuple[str, ...]]] = []
    if j is not None and j.value in {q.value for q in Qualification}:
        options.append((j.known_from, j.value, j.by, j.note, (), tuple(j.actors)))
    if d is not None:
        options.append((d.at, d.qualification, d.by, d.note, d.terms, d.attribution))
    if not options:
        return
    when, value, by, note, terms, who = max(options, key=lambda o: o[0])  # type: ignore[arg-type,return-value]
    text = f"Determined {value.replace('_', ' ')} by {by} ({when.date()})"  # type: ignore[attr-defined]
    case.override = (
        Qualification(value),
        "DET.RECORDED",
        text + (f": {note}" if note else "") + ".",
        terms,
        who,
    )


RULE_ORDER = (
    "terms_for_action",
    "means_and_targets",
    "excluded_actor",
    "phase_in_force",
    "where",
    "positions",
    "parties",
    "self_defence",
    "determination",
)
