"""The agreement clock: agreement days, the daily conditions, the count, and the phases.

Agreement day N runs from ``start + (N-1)·24h`` to ``start + N·24h``.  For each day:

* ``reduced_violence`` compares a metric (best-estimate fatalities, or incident count) over the
  incidents that involve a party and no excluded group, against the daily mean of a baseline
  window.  An incident known only to a day spans two agreement days (which begin at 19:00), so
  each incident is shared pro rata by the overlap of its window with the day; the day also gets a
  lower bound (incidents entirely inside it) and an upper bound (every incident that overlaps
  it), and the agreement file says which one decides (``decide_on``).
* ``humanitarian_access_delivered`` is met on a day when a convoy delivers to the destination.
* ``air_activity_halted`` needs the zone's geometry; without it the condition cannot be evaluated.
* ``consecutive_days`` counts the days on which all its daily conditions are met.  With
  ``reset: automatic`` a day that fails sets the count to zero; with ``by_joint_decision`` it only
  does not count, and the count returns to zero only at a recorded joint decision of the
  guarantors.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from ceasefire.compliance.coverage import incident_sides
from ceasefire.compliance.phases import decision_effective, phase_windows
from ceasefire.model.agreement import Agreement, Condition, Coverage
from ceasefire.model.humanitarian import Convoy
from ceasefire.model.incidents import Incident
from ceasefire.model.timewindow import TimeWindow

__all__ = ["Clock", "ClockDay", "build_clock", "prepare_metrics", "status_at"]

DAY = timedelta(days=1)
MET, UNMET, CANNOT, PENDING = "met", "unmet", "cannot_evaluate", "pending"


@dataclass(frozen=True)
class ClockDay:
    number: int
    start: datetime
    end: datetime
    conditions: dict[str, dict[str, Any]]
    counts: bool
    count: int  # the consecutive-days count at the end of this day
    reset_by: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "day": self.number,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "conditions": self.conditions,
            "counts": self.counts,
            "count": self.count,
            "reset_by": self.reset_by,
        }


@dataclass
class Clock:
    agreement: Agreement
    as_of: datetime | None
    days: list[ClockDay] = field(default_factory=list)
    baseline: dict[str, dict[str, Any]] = field(default_factory=dict)
    window_start: datetime | None = None
    window_end: datetime | None = None  # end of the counting phase as known at as_of
    count_condition: Condition | None = None
    static_conditions: dict[str, dict[str, Any]] = field(default_factory=dict)
    entered: dict[str, datetime | None] = field(default_factory=dict)

    def day_at(self, instant: datetime) -> ClockDay | None:
        for day in self.days:
            if day.start <= instant < day.end:
                return day
        return None


def _metric_value(incident: Incident, metric: str) -> float:
    if metric == "incident_count":
        return 1.0
    return float(incident.fatalities.best or 0)


def _in_scope(agreement: Agreement, incident: Incident, scope: str) -> bool:
    if incident.source_system == "humanitarian" or incident.continuing:
        return False
    if scope == "all":
        return True
    sides = incident_sides(agreement, incident)
    actors = [a for s in sides for a in s.actors]
    if any(a.coverage is Coverage.EXCLUDED for a in actors):
        return False
    return any(a.coverage in (Coverage.COVERED, Coverage.UNKNOWN) and a.actor_id for a in actors)


def _allocate(window: TimeWindow, start: datetime, end: datetime) -> tuple[float, bool, bool]:
    """(share of the window inside [start, end), overlaps?, entirely inside?)."""
    overlap = window.overlap_seconds(start, end)
    return overlap / window.seconds, overlap > 0, window.start >= start and window.end <= end


class _ViolenceMetric:
    def __init__(
        self, agreement: Agreement, condition: Condition, incidents: Sequence[Incident]
    ) -> None:
        p = condition.params
        self.condition = condition
        self.metric = str(p["metric"])
        self.ratio = float(p["threshold_ratio"])
        self.decide_on = str(p.get("decide_on", "estimate"))
        scope = str(p.get("scope", "parties_not_excluded"))
        self.items = [
            (i.window, _metric_value(i, self.metric), i.known_from)
            for i in incidents
            if _in_scope(agreement, i, scope)
        ]
        self.items.sort(key=lambda item: (item[0].start, item[0].end))
        self.starts = [item[0].start for item in self.items]
        self._days: dict[
            tuple[datetime, datetime], tuple[list[datetime], list[tuple[float, float, float]]]
        ] = {}
        self.longest = max((item[0].end - item[0].start for item in self.items), default=DAY)
        tz = agreement.timezone
        base = p["baseline"]
        first = datetime.combine(_date(base["from"]), time(0), tzinfo=tz)
        last = datetime.combine(_date(base["to"]), time(0), tzinfo=tz) + DAY
        self.base_days = (last - first).days
        estimate, _low, _high = self.sum(first, last, None)
        self.baseline = estimate / self.base_days
        self.threshold = self.baseline * self.ratio
        self.base_json = {
            "from": str(base["from"]),
            "to": str(base["to"]),
            "days": self.base_days,
            "total": round(estimate, 2),
            "daily_mean": round(self.baseline, 2),
            "threshold": round(self.threshold, 2),
            "metric": self.metric,
        }

    def sum(
        self, start: datetime, end: datetime, as_of: datetime | None
    ) -> tuple[float, float, float]:
        estimate = low = high = 0.0
        lo = bisect_left(self.starts, start - self.longest)
        hi = bisect_left(self.starts, end)
        for window, value, known in self.items[lo:hi]:
            if window.end <= start:
                continue
            if as_of is not None and known is not None and known > as_of:
                continue
            share, overlaps, inside = _allocate(window, start, end)
            estimate += value * share
            if overlaps:
                high += value
            if inside:
                low += value
        return estimate, low, high

    def day_sums(
        self, start: datetime, end: datetime, as_of: datetime | None
    ) -> tuple[float, float, float]:
        """Like :meth:`sum`, from per-day contributions sorted by when they became known."""
        cached = self._days.get((start, end))
        if cached is None:
            contributions = []
            lo = bisect_left(self.starts, start - self.longest)
            hi = bisect_left(self.starts, end)
            for window, value, known in self.items[lo:hi]:
                if window.end <= start:
                    continue
                share, overlaps, inside = _allocate(window, start, end)
                when = known if known is not None else window.start
                contributions.append(
                    (when, value * share, value if inside else 0.0, value if overlaps else 0.0)
                )
            contributions.sort(key=lambda c: c[0])
            times = [c[0] for c in contributions]
            prefix = [(0.0, 0.0, 0.0)]
            for _, e, lo_v, hi_v in contributions:
                pe, pl, ph = prefix[-1]
                prefix.append((pe + e, pl + lo_v, ph + hi_v))
            cached = self._days[(start, end)] = (times, prefix)
        times, prefix = cached
        count = len(times) if as_of is None else bisect_right(times, as_of)
        return prefix[count]

    def day(self, start: datetime, end: datetime, as_of: datetime | None) -> dict[str, Any]:
        estimate, low, high = self.day_sums(start, end, as_of)
        decisive = estimate if self.decide_on == "estimate" else high
        state = MET if decisive <= self.threshold else UNMET
        return {
            "state": state,
            "estimate": round(estimate, 2),
            "low": round(low, 2),
            "high": round(high, 2),
            "threshold": round(self.threshold, 2),
            "baseline_daily_mean": round(self.baseline, 2),
            "decide_on": self.decide_on,
        }


def prepare_metrics(
    agreement: Agreement, incidents: Iterable[Incident]
) -> dict[str, _ViolenceMetric]:
    """The violence metrics of the agreement's conditions, computed once over the incidents."""
    incidents = list(incidents)
    return {
        c.id: _ViolenceMetric(agreement, c, incidents)
        for c in agreement.conditions
        if c.type == "reduced_violence"
    }


def _date(value: Any) -> Any:
    from datetime import date

    return date.fromisoformat(str(value))


def _delivered(
    condition: Condition,
    convoys: Sequence[Convoy],
    start: datetime,
    end: datetime,
    as_of: datetime | None,
) -> dict[str, Any]:
    destination = condition.params["destination"]
    delivered, blocked = [], []
    for convoy in convoys:
        if convoy.destination != destination:
            continue
        for event in convoy.events:
            if as_of is not None and event.window.start > as_of:
                continue
            if event.window.overlap_seconds(start, end) <= 0:
                continue
            if event.status == "delivered":
                delivered.append(convoy.id)
            elif event.status in ("blocked", "inspected", "attacked", "waiting"):
                blocked.append(
                    f"{convoy.id} ({event.status}{': ' + event.reason if event.reason else ''})"
                )
    return {
        "state": MET if delivered else UNMET,
        "delivered": sorted(set(delivered)),
        "not_delivered": sorted(set(blocked)),
        "destination": destination,
    }


def _air_halted(agreement: Agreement, condition: Condition) -> dict[str, Any]:
    zone = agreement.zone(str(condition.params["zone"]))
    if zone.geometry is None:
        return {
            "state": CANNOT,
            "reason": f"zone {zone.id} has no geometry (status: {zone.status}); "
            "air activity inside it cannot be evaluated",
        }
    return {"state": CANNOT, "reason": "no air-activity observations are recorded for the zone"}


def build_clock(
    agreement: Agreement,
    incidents: Iterable[Incident],
    convoys: Sequence[Convoy] = (),
    as_of: datetime | None = None,
    metrics: Mapping[str, _ViolenceMetric] | None = None,
) -> Clock:
    """The day-by-day clock as known at ``as_of`` (``None``: with everything known).

    ``metrics`` (from :func:`prepare_metrics`) lets many clocks share one pass over the incidents.
    """
    clock = Clock(agreement, as_of)
    windows = phase_windows(agreement, as_of)
    counting = next((c for c in agreement.conditions if c.type == "consecutive_days"), None)
    clock.count_condition = counting
    if metrics is None:
        metrics = prepare_metrics(agreement, incidents)
    for cid, m in metrics.items():
        clock.baseline[cid] = m.base_json
    for c in agreement.conditions:
        if c.type == "air_activity_halted":
            clock.static_conditions[c.id] = _air_halted(agreement, c)
    # the clock runs over the phases with a fixed start (the cessation)
    fixed = [w for w in windows.values() if w.end is not None]
    if not fixed:
        return clock
    start = min(w.start for w in fixed)
    end = max(w.end for w in fixed if w.end is not None)
    clock.window_start, clock.window_end = start, end
    resets = []
    if counting is not None and counting.reset is not None:
        for d in agreement.decisions:
            if d.kind == "reset_clock" and d.subject == counting.id:
                if as_of is not None and d.decided_at > as_of:
                    continue
                ok, _ = decision_effective(agreement, d, counting.reset.of)
                if ok:
                    resets.append(d)
    resets.sort(key=lambda d: d.effective)
    count = 0
    number = 0
    day_start = start
    while day_start < end:
        number += 1
        day_end = day_start + DAY
        if as_of is not None and day_start >= as_of:
            break
        complete = as_of is None or day_end <= as_of
        conditions: dict[str, dict[str, Any]] = {}
        for cid, metric in metrics.items():
            conditions[cid] = metric.day(day_start, day_end, as_of)
        for c in agreement.conditions:
            if c.type == "humanitarian_access_delivered":
                conditions[c.id] = _delivered(c, convoys, day_start, day_end, as_of)
        if not complete:
            for state in conditions.values():
                state["state"] = PENDING if state["state"] != MET else MET
        reset_by = None
        for d in resets:
            if day_start <= d.effective < day_end or (number == 1 and d.effective < day_start):
                count = 0
                reset_by = d.id
        counts = False
        if counting is not None and complete:
            needed = [str(x) for x in counting.params.get("of", [])]
            counts = all(conditions.get(n, {}).get("state") == MET for n in needed)
            if counts:
                count += 1
            elif counting.reset is not None and counting.reset.type == "automatic":
                count = 0
        clock.days.append(ClockDay(number, day_start, day_end, conditions, counts, count, reset_by))
        day_start = day_end
    # phases that start on conditions
    for phase in agreement.phases:
        if phase.starts != "conditions":
            continue
        clock.entered[phase.id] = _entry_time(clock, phase.entry_conditions)
    return clock


def _entry_time(clock: Clock, condition_ids: Sequence[str]) -> datetime | None:
    counting = clock.count_condition
    for cid in condition_ids:
        if cid in clock.static_conditions and clock.static_conditions[cid]["state"] != MET:
            return None
    if counting is None or counting.id not in condition_ids:
        return None
    target = int(counting.params["days"])
    for day in clock.days:
        if day.count >= target:
            return day.end
    return None


def _condition_states(clock: Clock, at: datetime) -> dict[str, dict[str, Any]]:
    agreement = clock.agreement
    done = [d for d in clock.days if d.end <= at]
    last = done[-1] if done else None
    out: dict[str, dict[str, Any]] = {}
    for c in agreement.conditions:
        if c.type == "consecutive_days":
            count = last.count if last else 0
            target = int(c.params["days"])
            why = []
            for n in c.params.get("of", []):
                failing = [
                    d.number for d in done if d.conditions.get(str(n), {}).get("state") != MET
                ]
                if failing:
                    why.append(f"{n} not met on day(s) {', '.join(map(str, failing))}")
            out[c.id] = {
                "state": MET if count >= target else UNMET,
                "count": count,
                "of": target,
                "counted_days": [d.number for d in done if d.counts],
                "reset": c.reset.type if c.reset else None,
                "why_not": why,
                "title": c.title,
            }
        elif c.id in clock.static_conditions:
            out[c.id] = {**clock.static_conditions[c.id], "title": c.title}
        elif last is not None:
            out[c.id] = {
                **last.conditions.get(c.id, {"state": PENDING}),
                "day": last.number,
                "title": c.title,
            }
        else:
            out[c.id] = {"state": PENDING, "day": None, "title": c.title}
        if c.type == "reduced_violence" and c.id in clock.baseline:
            out[c.id]["baseline"] = clock.baseline[c.id]
    return out


def status_at(clock: Clock, at: datetime) -> dict[str, Any]:
    """Where the clock stands at ``at``: the phase in force, the day, the conditions."""
    agreement = clock.agreement
    windows = phase_windows(agreement, at if clock.as_of is None else min(at, clock.as_of))
    in_force = [w for w in windows.values() if w.contains(at)]
    phases: dict[str, dict[str, Any]] = {}
    for phase in agreement.phases:
        w = windows.get(phase.id)
        if w is not None:
            state = "in_force" if w.contains(at) else ("not_started" if at < w.start else "ended")
            phases[phase.id] = {
                "state": state,
                "start": w.start.isoformat(),
                "end": w.end.isoformat() if w.end else None,
                "renewals": [
                    {
                        "decision": d.id,
                        "decided_at": d.decided_at.isoformat(),
                        "until": d.until.isoformat() if d.until else None,
                        "approvals": list(d.approvals),
                    }
                    for d in w.renewals
                ],
            }
            continue
        entered = clock.entered.get(phase.id)
        unmet = []
        conds = _condition_states(clock, at)
        for cid in phase.entry_conditions:
            st = conds.get(cid, {})
            if st.get("state") != MET:
                detail = st.get("reason") or (
                    f"{st.get('count', 0)} of {st.get('of')} days"
                    if "count" in st
                    else st.get("state")
                )
                unmet.append({"condition": cid, "state": st.get("state"), "detail": detail})
        if entered is not None and entered <= at:
            state = "in_force"
        elif clock.window_end is not None and at >= clock.window_end:
            state = "never_reached"
        else:
            state = "not_reached"
        phases[phase.id] = {
            "state": state,
            "entry_conditions": list(phase.entry_conditions),
            "unmet": unmet,
        }
        if state == "in_force":
            in_force.append(_OpenPhase(phase.id))  # type: ignore[arg-type]
    day = clock.day_at(at)
    current = next((p for p in agreement.phases if any(w.phase_id == p.id for w in in_force)), None)
    conditions = _condition_states(clock, at)
    counting = clock.count_condition
    consecutive = conditions[counting.id]["count"] if counting else 0
    decisions = [
        {
            "id": d.id,
            "kind": d.kind,
            "subject": d.subject,
            "decided_at": d.decided_at.isoformat(),
            "approvals": list(d.approvals),
        }
        for d in sorted(agreement.decisions, key=lambda d: (d.decided_at, d.id))
        if d.decided_at <= at
    ]
    return {
        "agreement": agreement.id,
        "at": at.isoformat(),
        "phase": current.id if current else None,
        "day": day.number if (day is not None and current is not None) else None,
        "consecutive_days": consecutive,
        "target_days": int(counting.params["days"]) if counting else None,
        "conditions": conditions,
        "phases": phases,
        "decisions": decisions,
        "start": {
            "label": agreement.start.label,
            "instant": agreement.start.instant.isoformat(),
            "stated": agreement.start.stated.isoformat() if agreement.start.stated else None,
            "computed": agreement.start.computed.isoformat() if agreement.start.computed else None,
            "solar_event": agreement.start.solar_event,
            "governs": agreement.start.governs,
            "disagreement_minutes": agreement.start.disagreement_minutes,
        },
    }


@dataclass(frozen=True)
class _OpenPhase:
    phase_id: str
