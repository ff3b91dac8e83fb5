"""A reported weapon position against the distance bands of a withdrawal term's zone."""

from __future__ import annotations

from ceasefire.compliance.case import Case, Qualification, TermState
from ceasefire.compliance.coverage import coverage_of
from ceasefire.model.agreement import Coverage

__all__ = ["judge_position"]

LINE_UNCERTAINTY_M = 0.0  # the reference line's own error is stated in every reason instead


def judge_position(case: Case, ts: TermState) -> None:
    from ceasefire.geo.zones import (
        Outcome,
        evaluate_zone_rule,
        load_reference_line,
        packaged_line_path,
        precision_radius_m,
    )

    agreement = case.ctx.agreement
    incident = case.incident
    weapon = incident.sub_category
    bearers = case.side_a.ids
    place = incident.place
    radius = place.radius_m if place.radius_m is not None else precision_radius_m(place.precision)
    fact = (
        f"reported position of {weapon or 'an unnamed weapon class'} at "
        f"({place.lat}, {place.lon}) ± {radius:,.0f} m"
    )
    if fact not in case.facts:
        case.facts.append(fact)
    if not weapon or weapon not in agreement.weapon_vocabulary:
        ts.close(
            Qualification.UNDETERMINED,
            "UNDET.WEAPON_CLASS",
            f"Cannot determine: the weapon "
            f"class {weapon!r} is not one the agreement knows, so no band can be applied to it.",
        )
        return
    results = []
    for zone_id in ts.term.inside:
        zone = agreement.zone(zone_id)
        line = None
        if zone.reference_line:
            line = case.ctx.lines.setdefault(
                zone.reference_line, load_reference_line(packaged_line_path(zone.reference_line))
            )
        for rule in zone.rules:
            if not set(agreement.expand(rule.bearer)) & set(bearers):
                continue
            result = evaluate_zone_rule(
                rule,
                line,
                place.lon,
                place.lat,
                radius,
                weapon,
                line_uncertainty_m=LINE_UNCERTAINTY_M,
            )
            if result.result is Outcome.NOT_APPLICABLE:
                continue
            results.append((zone, rule, result))
    if not results:
        ts.close(
            Qualification.NOT_VIOLATION,
            "NV.OUTSIDE_BAND",
            "Not a violation: no distance band of "
            f"a zone in force applies to {', '.join(bearers) or 'the reported actor'} with {weapon!r} here.",
        )
        return
    for zone, rule, result in results:
        case.facts.append(
            f"{zone.id} band {rule.side} {rule.min_distance_m} m "
            f"({', '.join(rule.weapon_classes)}): {result.result} — {result.reason}"
        )
    violated = [r for r in results if r[2].result is Outcome.VIOLATION]
    unsure = [r for r in results if r[2].result in (Outcome.UNDETERMINED, Outcome.CANNOT_EVALUATE)]
    at = incident.window.start
    bound = [b for b in bearers if coverage_of(agreement, b, at)[0] is Coverage.COVERED]
    if violated and bound:
        ts.close(
            Qualification.VIOLATION,
            "POS.BAND",
            f"Violation of {{terms}}: {weapon} closer to "
            f"{violated[0][0].id}'s reference line than its band allows.",
            bearers=tuple(bound),
            attribution="as reported (position report)",
        )
        return
    if unsure or violated:
        ts.doubts.extend(r[2].reason for r in unsure)
        ts.close(
            Qualification.UNDETERMINED,
            "UNDET.SPATIAL",
            "Cannot determine: the reported position's "
            "uncertainty crosses a band edge, or the band cannot be measured; it is not guessed.",
        )
        return
    ts.close(
        Qualification.NOT_VIOLATION,
        "NV.OUTSIDE_BAND",
        f"Not a violation: {weapon} outside every band that applies.",
    )
