"""The agreement clock: agreement days, the daily indicator and conditions, the count, the phases.

Agreement day N runs from ``start + (N-1)·24h`` to ``start + N·24h`` from the first start of the
agreement, whatever its hour, for as long as a phase with a fixed start runs — to its end, or, for
an open-ended agreement, up to the moment asked about (or the end of the data).  For each day:

* the **violence indicator** (every agreement has one) and each ``reduced_violence`` condition
  compare a metric (best-estimate fatalities, or incident count) over the incidents in scope — a
  party involved and no excluded group, inside the agreement's area when its hostilities terms
  apply only in zones — against the daily mean of a baseline.  An incident spanning several days
  (a multi-month UCDP event) is apportioned pro rata by the overlap of its window with the day;
  the day also gets a lower bound (incidents entirely inside it) and an upper bound (every incident
  that overlaps it), and the agreement says which one decides (``decide_on``);
* ``humanitarian_access_delivered`` is met on a day when a convoy delivers to the destination;
* ``air_activity_halted`` needs the zone's geometry; without it it cannot be evaluated;
* ``consecutive_days`` counts the days on which all its daily conditions are met.  With
  ``reset: automatic`` a failing day sets the count to zero; with ``by_joint_decision`` it only
  does not count, and the count returns to zero only at a recorded joint decision.

A day that is not over at the moment asked about, or that ends after the last data received, is
``pending`` — never ``met``.
"""

from __future__ import annotations

import copy
import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import accumulate
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ceasefire._bounded import IdentityMemo
from ceasefire.compliance.coverage import incident_sides
from ceasefire.compliance.phases import decision_effective, phase_windows
from ceasefire.model.agreement import Agreement, Condition, Coverage
from ceasefire.model.humanitarian import Convoy
from ceasefire.model.incidents import Incident
from ceasefire.model.timewindow import from_micros, micros

__all__ = [
    "INDICATOR",
    "NEVER",
    "Clock",
    "ClockDay",
    "Metrics",
    "build_clock",
    "grow_metrics",
    "horizon",
    "incident_instants",
    "prepare_metrics",
    "status_at",
]

DAY = timedelta(days=1)
MET, UNMET, CANNOT, PENDING = "met", "unmet", "cannot_evaluate", "pending"
INDICATOR = "violence_indicator"
MAX_DAYS = 20_000
SHORT = timedelta(days=3)  # windows up to this long are found by their start
_SHORT_US = SHORT // timedelta(microseconds=1)
_DAY_US = DAY // timedelta(microseconds=1)
NEVER = int(np.iinfo(np.int64).min)  # µs: when an incident's first moment known is not stated
_ITEMS_KEPT = 2_000_000  # incidents whose metric items are kept for the next preparation


@dataclass(frozen=True)
class ClockDay:
    number: int
    start: datetime
    end: datetime
    conditions: dict[str, dict[str, Any]]
    counts: bool
    count: int  # the consecutive-days count at the end of this day
    reset_by: str | None = None
    indicator: dict[str, Any] = field(default_factory=dict)
    pending: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "day": self.number,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "pending": self.pending,
            "indicator": self.indicator,
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
    window_end: datetime | None = None  # end of the phases with a fixed start; None: open-ended
    count_condition: Condition | None = None
    static_conditions: dict[str, dict[str, Any]] = field(default_factory=dict)
    entered: dict[str, datetime | None] = field(default_factory=dict)
    horizon: datetime | None = None  # the end of the data received
    saturation: list[datetime] = field(default_factory=list)  # see build_clock(reuse=…)
    own_saturation: list[datetime] = field(default_factory=list)
    settled_at: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    exact_from: int = 0  # days before this index are lent with everything known (build_clock)

    def day_at(self, instant: datetime) -> ClockDay | None:
        if self.window_start is None or instant < self.window_start:
            return None
        index = int((instant - self.window_start) // DAY)
        if 0 <= index < len(self.days) and self.days[index].start <= instant < self.days[index].end:
            return self.days[index]
        return None

    def day_number(self, instant: datetime) -> int | None:
        """The agreement day containing ``instant`` while a phase with a fixed start runs."""
        if self.window_start is None or instant < self.window_start:
            return None
        if self.window_end is not None and instant >= self.window_end:
            return None
        return int((instant - self.window_start) // DAY) + 1


def _metric_value(incident: Incident, metric: str) -> float:
    if metric == "incident_count":
        return 1.0
    return float(incident.fatalities.best or 0)


# one incident's contribution to a metric: its key, its window's start and end and when it became
# known (µs since 1970, see micros; not stated: the start), the value, whether it is surely in
# the area (else counted in the high bound only), whether when it became known was stated
Row = tuple[str, int, int, int, float, bool, bool]


class _ViolenceMetric:
    """One metric over the incidents in scope, summed per day with low/estimate/high."""

    def __init__(
        self,
        agreement: Agreement,
        metric: str,
        items: list[Row],
        baseline: tuple[date, date],
        ratio: float | None,
        decide_on: str,
    ) -> None:
        self.metric = metric
        self.ratio = ratio
        self.decide_on = decide_on
        tz = agreement.timezone
        self._baseline_days = baseline
        self._baseline_from = datetime.combine(baseline[0], time(0), tzinfo=tz)
        self._baseline_to = datetime.combine(baseline[1], time(0), tzinfo=tz) + DAY
        # the items as columns, sorted by window start then end, ties in the incidents' order
        # (a stable sort: numpy's lexsort is one)
        at = np.array([r[1:4] for r in items], dtype=np.int64).reshape(len(items), 3)
        order = np.lexsort((at[:, 1], at[:, 0]))
        at = at[order]
        listed = order.tolist()
        self._keys = [items[n][0] for n in listed]
        self._start_us, self._end_us, self._when_us = (at[:, k].copy() for k in range(3))
        self._value = np.array([items[n][4] for n in listed], dtype=np.float64)
        self._sure = np.array([items[n][5] for n in listed], dtype=np.bool_)
        self._known = np.array([items[n][6] for n in listed], dtype=np.bool_)
        # per day: when each contribution became known (µs, sorted), and the running sums
        self._days: dict[
            tuple[datetime, datetime], tuple[NDArray[np.int64], NDArray[np.float64]]
        ] = {}
        self._settle()

    def _settle(self) -> None:
        """What follows from the columns: the longest window, the long ones, the baseline."""
        spans = self._end_us - self._start_us
        self._longest_us = int(spans.max()) if len(spans) else _DAY_US
        self._long_at = np.nonzero(spans > _SHORT_US)[0]
        first, last = self._baseline_from, self._baseline_to
        self.base_days = max(1, (last - first).days)
        estimate = self.estimate(first, last)
        self.baseline = estimate / self.base_days
        ratio = self.ratio
        self.threshold = self.baseline * ratio if ratio is not None else None
        self.base_json: dict[str, Any] = {
            "from": self._baseline_days[0].isoformat(),
            "to": self._baseline_days[1].isoformat(),
            "days": self.base_days,
            "total": round(estimate, 2),
            "daily_mean": round(self.baseline, 2),
            "metric": self.metric,
        }
        if self.threshold is not None:
            self.base_json["threshold"] = round(self.threshold, 2)

    def grown(self, rows: Sequence[Row]) -> _ViolenceMetric:
        """This metric with the contributions of new incidents (none of them among its own)
        inserted where a metric built over all of them would hold them: what it says of a day
        is then the same.  Its per-day sums are kept for the days no new window touches."""
        new = copy.copy(self)
        if not rows:
            return new
        # the incidents' order breaks ties of start and end: start, then key
        rows = sorted(rows, key=lambda r: (r[1], r[2], r[0]))
        at: list[int] = []
        for key, start, end, *_ in rows:
            lo = int(np.searchsorted(self._start_us, start, "left"))
            hi = int(np.searchsorted(self._start_us, start, "right"))
            lo += int(np.searchsorted(self._end_us[lo:hi], end, "left"))
            hi = lo + int(np.searchsorted(self._end_us[lo:hi], end, "right"))
            at.append(bisect_left(self._keys, key, lo, hi))
        new._keys = list(self._keys)
        for position, row in sorted(zip(at, rows, strict=True), key=lambda p: p[0], reverse=True):
            new._keys.insert(position, row[0])
        new._start_us = np.insert(self._start_us, at, [r[1] for r in rows])
        new._end_us = np.insert(self._end_us, at, [r[2] for r in rows])
        new._when_us = np.insert(self._when_us, at, [r[3] for r in rows])
        new._value = np.insert(self._value, at, [r[4] for r in rows])
        new._sure = np.insert(self._sure, at, [r[5] for r in rows])
        new._known = np.insert(self._known, at, [r[6] for r in rows])
        # a table of its own (a copy shares the one before's, whose sums are of other columns)
        days = list(self._days)
        d_start = np.array([micros(d[0]) for d in days], dtype=np.int64)
        d_end = np.array([micros(d[1]) for d in days], dtype=np.int64)
        touched = np.zeros(len(days), dtype=np.bool_)
        for _, start, end, *_ in rows:
            touched |= (d_start < end) & (d_end > start)
        new._days = {d: self._days[d] for d, t in zip(days, touched.tolist(), strict=True) if not t}
        new._settle()
        return new

    def estimate(self, start: datetime, end: datetime) -> float:
        """The best estimate over [start, end) with everything known: each sure item's value
        times the share of its window inside, added in item order (a running sum, as a loop
        over the items would add them)."""
        s, e = micros(start), micros(end)
        lo = int(np.searchsorted(self._start_us, s - self._longest_us, "left"))
        hi = int(np.searchsorted(self._start_us, e, "left"))
        w_start, w_end = self._start_us[lo:hi], self._end_us[lo:hi]
        overlap = np.maximum((np.minimum(w_end, e) - np.maximum(w_start, s)) / 1e6, 0.0)
        share = overlap / ((w_end - w_start) / 1e6)
        added = np.where(self._sure[lo:hi] & (w_end > s), self._value[lo:hi] * share, 0.0)
        return float(np.cumsum(added)[-1]) if len(added) else 0.0

    def _overlapping(self, start: int, end: int) -> NDArray[np.int64]:
        """The positions of the items whose window overlaps [start, end) (µs): the short ones
        found by their start, in order, then the few long ones (a multi-month UCDP event)."""
        lo = int(np.searchsorted(self._start_us, start - _SHORT_US, "left"))
        hi = int(np.searchsorted(self._start_us, end, "left"))
        short = (
            lo
            + np.nonzero(
                (self._end_us[lo:hi] > start)
                & (self._end_us[lo:hi] - self._start_us[lo:hi] <= _SHORT_US)
            )[0]
        )
        longs = self._long_at
        longs = longs[(self._end_us[longs] > start) & (self._start_us[longs] < end)]
        return np.concatenate([short, longs]).astype(np.int64)

    def latest_known(self, before: datetime) -> datetime | None:
        """When the last contribution known from a stated moment became known, among the items
        whose window starts before ``before`` (``None``: none)."""
        mask = self._known & (self._start_us < micros(before))
        return from_micros(int(self._when_us[mask].max())) if mask.any() else None

    def known_count(self, start: datetime, end: datetime, as_of: datetime | None) -> int:
        """How many of the day's contributions were known at ``as_of``."""
        self.day_sums(start, end, None)
        times, _ = self._days[(start, end)]
        return len(times) if as_of is None else int(np.searchsorted(times, micros(as_of), "right"))

    def last_known(self, start: datetime, end: datetime) -> datetime | None:
        """When the last contribution to the day [start, end) became known (``None``: none, or
        the day not summed yet)."""
        cached = self._days.get((start, end))
        if cached is None or not len(cached[0]):
            return None
        return from_micros(int(cached[0][-1]))

    def day_sums(
        self, start: datetime, end: datetime, as_of: datetime | None
    ) -> tuple[float, float, float]:
        """Like :meth:`sum`, from per-day contributions sorted by when they became known (in
        bulk over the day's items: each share is the overlap over the window's length in
        seconds, as :meth:`TimeWindow.overlap_seconds` gives it, summed in the same order)."""
        cached = self._days.get((start, end))
        if cached is None:
            s, e = micros(start), micros(end)
            at = self._overlapping(s, e)
            w_start, w_end, sure = self._start_us[at], self._end_us[at], self._sure[at]
            value = self._value[at]
            overlap = (np.minimum(w_end, e) - np.maximum(w_start, s)) / 1e6
            share = np.maximum(overlap, 0.0) / ((w_end - w_start) / 1e6)
            inside = (w_start >= s) & (w_end <= e)
            order = np.argsort(self._when_us[at], kind="stable")
            columns = np.zeros((len(at) + 1, 3), dtype=np.float64)
            columns[1:, 0] = np.cumsum(np.where(sure, value * share, 0.0)[order])
            columns[1:, 1] = np.cumsum(np.where(inside & sure, value, 0.0)[order])
            columns[1:, 2] = np.cumsum(np.where(overlap > 0, value, 0.0)[order])
            cached = self._days[(start, end)] = (self._when_us[at][order], columns)
        times, prefix = cached
        count = len(times) if as_of is None else int(np.searchsorted(times, micros(as_of), "right"))
        row = prefix[count]
        return float(row[0]), float(row[1]), float(row[2])

    def day(self, start: datetime, end: datetime, as_of: datetime | None) -> dict[str, Any]:
        estimate, low, high = self.day_sums(start, end, as_of)
        decisive = {"estimate": estimate, "low": low, "high": high}[self.decide_on]
        out: dict[str, Any] = {
            "estimate": round(estimate, 2),
            "low": round(low, 2),
            "high": round(high, 2),
            "baseline_daily_mean": round(self.baseline, 2),
        }
        if self.threshold is not None:
            out = {
                "state": MET if decisive <= self.threshold else UNMET,
                **out,
                "threshold": round(self.threshold, 2),
                "decide_on": self.decide_on,
            }
        else:
            out["ratio"] = round(estimate / self.baseline, 3) if self.baseline > 0 else None
        return out


@dataclass
class Metrics:
    """The metrics of an agreement computed once over the incidents (many clocks share them)."""

    conditions: dict[str, _ViolenceMetric]
    indicator: _ViolenceMetric
    horizon: datetime | None  # the last moment the incidents reach
    # days already made, by what they depend on (see _DayMaker.make)
    days: dict[tuple[Any, ...], ClockDay] = field(default_factory=dict)


def _area_zones(agreement: Agreement) -> tuple[str, ...] | None:
    """The zones the agreement's hostilities terms apply in, if every one of them is zone-bound."""
    attack = [t for t in agreement.terms if t.action == "attack" and t.type == "prohibition"]
    if not attack or any(not t.inside for t in attack):
        return None
    return tuple(sorted({z for t in attack for z in t.inside}))


def _scope_items(
    agreement: Agreement, incidents: Sequence[Incident], metric: str, scope: str
) -> list[Row]:
    """The metric's items over the incidents in scope, with their instants in µs.  An item
    depends on the agreement and its incident only, so the agreement keeps each incident's for the
    next preparation over the same incidents (a replay after an import derives only the new
    incidents')."""
    memo: IdentityMemo[Incident, Row | bool] = agreement.cache.setdefault(
        ("metric items", metric, scope), IdentityMemo(_ITEMS_KEPT)
    )
    found = memo.get_many(incidents)
    missing = [n for n, row in enumerate(found) if row is None]
    zones = _area_zones(agreement)
    if zones is not None and missing:
        from ceasefire.geo.areas import prime

        prime(agreement, (incidents[n].place for n in missing))
    for n in missing:
        i = incidents[n]
        found[n] = memo.put(i, _scope_item(agreement, i, metric, scope, zones) or False)
    return [row for row in found if row]  # type: ignore[misc]


def _scope_item(
    agreement: Agreement, i: Incident, metric: str, scope: str, zones: tuple[str, ...] | None
) -> Row | None:
    if i.source_system == "humanitarian" or i.continuing:
        return None
    if scope != "all":
        actors = [a for s in incident_sides(agreement, i) for a in s.actors]
        if any(a.coverage is Coverage.EXCLUDED for a in actors):
            return None
        if not any(
            a.coverage in (Coverage.COVERED, Coverage.UNKNOWN) and a.actor_id for a in actors
        ):
            return None
    sure = True
    if zones is not None:
        where = _in_area(agreement, i, zones)
        if where is None:
            return None
        sure = where
    start, end = micros(i.window.start), micros(i.window.end)
    known = i.known_from is not None
    when = micros(i.known_from) if i.known_from is not None else start
    return (i.key, start, end, when, _metric_value(i, metric), sure, known)


def _in_area(agreement: Agreement, incident: Incident, zones: tuple[str, ...]) -> bool | None:
    """True inside one of the zones, False across an edge (counted in the high bound only),
    None outside all of them (or where it cannot be placed)."""
    from ceasefire.geo.areas import Relation, footprint, relate, zone_shapes

    shapes = zone_shapes(agreement)
    fp = footprint(incident.place, agreement.cache.setdefault("footprints", {}))
    memo: dict[Any, Any] = agreement.cache.setdefault("relations", {})
    seen = set()
    for z in zones:
        key = (z, fp.key)
        if key not in memo:
            memo[key] = relate(shapes[z], fp)
        seen.add(memo[key][0])
    if Relation.INSIDE in seen:
        return True
    if Relation.STRADDLES in seen:
        return False
    return None


def prepare_metrics(
    agreement: Agreement, incidents: Iterable[Incident], at: NDArray[np.int64] | None = None
) -> Metrics:
    """The violence metrics of the agreement (its indicator and its reduced-violence conditions)
    (``at``: the incidents' :func:`incident_instants`, when the caller has them)."""
    incidents = list(incidents)
    by_scope: dict[tuple[str, str], list[Row]] = {}

    def items(metric: str, scope: str) -> list[Row]:
        if (metric, scope) not in by_scope:
            by_scope[(metric, scope)] = _scope_items(agreement, incidents, metric, scope)
        return by_scope[(metric, scope)]

    conditions = {}
    for c in agreement.conditions:
        if c.type != "reduced_violence":
            continue
        p = c.params
        base = (
            date.fromisoformat(str(p["baseline"]["from"])),
            date.fromisoformat(str(p["baseline"]["to"])),
        )
        conditions[c.id] = _ViolenceMetric(
            agreement,
            str(p["metric"]),
            items(str(p["metric"]), str(p["scope"])),
            base,
            float(p["threshold_ratio"]),
            str(p.get("decide_on", "estimate")),
        )
    ind = agreement.indicator
    if ind.baseline_from and ind.baseline_to:
        base = (date.fromisoformat(ind.baseline_from), date.fromisoformat(ind.baseline_to))
    else:
        first = agreement.first_start.astimezone(agreement.timezone).date()
        base = (first - timedelta(days=ind.baseline_days), first - timedelta(days=1))
    indicator = _ViolenceMetric(
        agreement, ind.metric, items(ind.metric, "parties_not_excluded"), base, None, "estimate"
    )
    return Metrics(
        conditions, indicator, horizon(incidents, incident_instants(agreement, incidents))
    )


def grow_metrics(
    agreement: Agreement, before: Metrics, added: Sequence[Incident], incidents: Sequence[Incident],
    at: NDArray[np.int64],
) -> Metrics:  # fmt: skip
    """What :func:`prepare_metrics` gives over ``incidents`` (with their instants ``at``), from
    ``before`` (the metrics over them without ``added``, incidents none of them held): only the
    new incidents' contributions are derived.  The clock days made before are kept unless a
    baseline moved (every day compares with it)."""

    def rows(metric: _ViolenceMetric, scope: str) -> list[Row]:
        return _scope_items(agreement, added, metric.metric, scope)

    conditions = {}
    for c in agreement.conditions:
        if c.type == "reduced_violence":
            conditions[c.id] = before.conditions[c.id].grown(
                rows(before.conditions[c.id], str(c.params["scope"]))
            )
    indicator = before.indicator.grown(rows(before.indicator, "parties_not_excluded"))
    pairs = [(before.conditions[k], m) for k, m in conditions.items()]
    pairs.append((before.indicator, indicator))
    same_base = all(o.baseline == n.baseline and o.threshold == n.threshold for o, n in pairs)
    return Metrics(conditions, indicator, horizon(incidents, at),
                   dict(before.days) if same_base else {})  # fmt: skip


def horizon(incidents: Sequence[Incident], at: NDArray[np.int64]) -> datetime | None:
    """The last moment the incidents reach: the latest first known (or end) of any but the
    humanitarian log's, as that incident states it (the first such in order, as max picks)."""
    reach = np.where(at[:, 2] != NEVER, at[:, 2], at[:, 1])
    reach[at[:, 3] == 1] = NEVER
    if not len(reach) or reach.max() == NEVER:
        return None
    last = incidents[int(np.argmax(reach))]
    return last.known_from or last.window.end


def incident_instants(agreement: Agreement, incidents: Sequence[Incident]) -> NDArray[np.int64]:
    """Per incident, in order: its window's start and end, when it became known (:data:`NEVER`
    when not stated), all in µs since 1970 (see micros), and 1 for the humanitarian log's
    entries — an (n, 4) array.  These depend on the incident only, so the agreement keeps each
    for the next call over the same incidents (a replay after an import)."""
    memo: IdentityMemo[Incident, tuple[int, int, int, int]] = agreement.cache.setdefault(
        "instants", IdentityMemo(_ITEMS_KEPT)
    )
    found = memo.get_many(incidents)
    for n in [n for n, at in enumerate(found) if at is None]:
        i = incidents[n]
        known = micros(i.known_from) if i.known_from is not None else NEVER
        found[n] = memo.put(i, (micros(i.window.start), micros(i.window.end), known,
                                int(i.source_system == "humanitarian")))  # fmt: skip
    return np.array(found, dtype=np.int64).reshape(len(found), 4)


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
    if not zone.has_area:
        return {
            "state": CANNOT,
            "reason": f"zone {zone.id} has no geometry (status: {zone.status}); "
            "air activity inside it cannot be evaluated",
        }
    return {"state": CANNOT, "reason": "no air-activity observations are recorded for the zone"}


def _span(
    agreement: Agreement, as_of: datetime | None
) -> tuple[datetime | None, datetime | None, bool]:
    """(first start, end of the fixed phases or None, any phase open-ended) as known at ``as_of``."""
    windows = phase_windows(agreement, as_of)
    if not windows:
        return None, None, False
    start = min(w.start for w in windows.values())
    ends = [w.end for w in windows.values()]
    if any(e is None for e in ends):
        return start, None, True
    return start, max(e for e in ends if e is not None), False


def build_clock(
    agreement: Agreement,
    incidents: Iterable[Incident],
    convoys: Sequence[Convoy] = (),
    as_of: datetime | None = None,
    metrics: Metrics | Mapping[str, Any] | None = None,
    reuse: Clock | None = None,
    recent: int | None = None,
) -> Clock:
    """The day-by-day clock as known at ``as_of`` (``None``: with everything known).

    ``metrics`` (from :func:`prepare_metrics`) lets many clocks share one pass over the incidents.
    ``reuse`` (the clock with everything known, over the same metrics) lends its days that nothing
    learnt after ``as_of`` can change: a series of daily reports computes only the recent days.
    ``recent`` (with ``reuse``, for an agreement without a consecutive-days count, whose days do not
    depend on one another): only the last ``recent`` days are made as known at ``as_of``; earlier
    ones are lent as they stand with everything known (``Clock.exact_from`` says where that ends).
    A daily report shows the last week and the last complete day, so it asks for a few.
    """
    clock = Clock(agreement, as_of)
    counting = next((c for c in agreement.conditions if c.type == "consecutive_days"), None)
    clock.count_condition = counting
    if not isinstance(metrics, Metrics):
        metrics = prepare_metrics(agreement, incidents)
    for cid, m in metrics.conditions.items():
        clock.baseline[cid] = m.base_json
    clock.baseline[INDICATOR] = metrics.indicator.base_json
    for c in agreement.conditions:
        if c.type == "air_activity_halted":
            clock.static_conditions[c.id] = _air_halted(agreement, c)
    start, end, _open = _span(agreement, as_of)
    if start is None:
        return clock
    horizon = metrics.horizon
    convoy_ends = [e.window.end for c in convoys for e in c.events]
    if convoy_ends:
        horizon = max(horizon or convoy_ends[0], max(convoy_ends))
    clock.horizon = horizon
    clock.window_start, clock.window_end = start, end
    stop = end if end is not None else (as_of if as_of is not None else horizon)
    if stop is None:
        return clock
    if as_of is not None:
        stop = min(stop, as_of)  # a day that has not begun by as_of is not on the clock yet
    total = min(MAX_DAYS, max(0, math.ceil((stop - start) / DAY)))
    day_maker = _DayMaker(agreement, metrics, convoys, counting, as_of, horizon,
                          _resets(agreement, counting, as_of))  # fmt: skip
    lender = reuse if reuse is not None and reuse.window_start == start else None
    if lender is not None and as_of is not None and counting is None:
        # days are independent: borrow every day whose own data was all known by as_of, and
        # make (or find made) only the few still learning something after it
        borrowed = min(total, len(lender.days))
        clock.days.extend(lender.days[:borrowed])
        if borrowed:
            exact = max(0, total - recent) if recent is not None else 0
            clock.exact_from = exact
            unsettled = np.nonzero(lender.settled_at[exact:borrowed] > as_of.timestamp())[0] + exact
            for i in unsettled.tolist():
                clock.days[i] = day_maker.make(i + 1, start + i * DAY, 0)[0]
        for i in range(borrowed, total):
            clock.days.append(day_maker.make(i + 1, start + i * DAY, 0)[0])
    else:
        count, first = 0, 0
        if lender is not None and as_of is not None and lender.saturation:
            first = min(bisect_right(lender.saturation, as_of), len(lender.days), total)
            clock.days.extend(lender.days[:first])
            count = lender.days[first - 1].count if first else 0
        for i in range(first, total):
            day, count = day_maker.make(i + 1, start + i * DAY, count)
            clock.days.append(day)
    if as_of is None:
        own = [_own_saturation(d, metrics, convoys, day_maker.resets) for d in clock.days]
        clock.own_saturation = own
        clock.saturation = list(accumulate(own, max))
        clock.settled_at = np.array(
            [t.timestamp() if t.year < 9999 else np.inf for t in own], dtype=np.float64
        )
    for phase in agreement.phases:
        if phase.starts == "conditions":
            clock.entered[phase.id] = _entry_time(clock, phase.entry_conditions)
    return clock


class _DayMaker:
    """One agreement day's conditions, indicator and count, as known at ``as_of``."""

    def __init__(self, agreement: Agreement, metrics: Metrics, convoys: Sequence[Convoy],
                 counting: Condition | None, as_of: datetime | None, horizon: datetime | None,
                 resets: list[Any]) -> None:  # fmt: skip
        self.agreement = agreement
        self.metrics = metrics
        self.convoys = convoys
        self.counting = counting
        self.as_of = as_of
        self.horizon = horizon
        self.resets = resets
        self.needed = [str(x) for x in counting.params.get("of", [])] if counting else []
        self.deliveries = [
            c for c in agreement.conditions if c.type == "humanitarian_access_delivered"
        ]

    def make(self, number: int, day_start: datetime, count: int) -> tuple[ClockDay, int]:
        """The day as known at ``as_of``; a day depends on it only through how many of its
        contributions and convoy events were known, so equal days are made once."""
        as_of, horizon = self.as_of, self.horizon
        day_end = day_start + DAY
        complete = (
            (as_of is None or day_end <= as_of) and horizon is not None and day_end <= horizon
        )
        metrics = self.metrics
        known = tuple(m.known_count(day_start, day_end, as_of)
                      for m in (*metrics.conditions.values(), metrics.indicator))  # fmt: skip
        convoys = sum(1 for c in self.convoys for e in c.events
                      if (as_of is None or e.window.start <= as_of) and e.window.start < day_end)  # fmt: skip
        key = (number, day_start, complete, known, convoys, count, self._resets_key(day_end))
        hit = metrics.days.get(key)
        if hit is not None:
            return hit, hit.count
        day, count = self._make(number, day_start, day_end, complete, count)
        if len(metrics.days) < 200_000:
            metrics.days[key] = day
        return day, count

    def _resets_key(self, day_end: datetime) -> tuple[str, ...]:
        return tuple(d.id for d in self.resets if d.effective < day_end)

    def _make(self, number: int, day_start: datetime, day_end: datetime, complete: bool,
              count: int) -> tuple[ClockDay, int]:  # fmt: skip
        as_of = self.as_of
        conditions: dict[str, dict[str, Any]] = {}
        for cid, metric in self.metrics.conditions.items():
            conditions[cid] = metric.day(day_start, day_end, as_of)
        for c in self.deliveries:
            conditions[c.id] = _delivered(c, self.convoys, day_start, day_end, as_of)
        indicator = self.metrics.indicator.day(day_start, day_end, as_of)
        if not complete:
            for state in conditions.values():
                state["state"] = PENDING
            indicator["pending"] = True
        reset_by = None
        for d in self.resets:
            if day_start <= d.effective < day_end or (number == 1 and d.effective < day_start):
                count = 0
                reset_by = d.id
        counts = False
        counting = self.counting
        if counting is not None and complete:
            counts = all(conditions.get(n, {}).get("state") == MET for n in self.needed)
            if counts:
                count += 1
            elif counting.reset is not None and counting.reset.type == "automatic":
                count = 0
        day = ClockDay(number, day_start, day_end, conditions, counts, count, reset_by, indicator,
                       not complete)  # fmt: skip
        return day, count


def _own_saturation(day: ClockDay, metrics: Metrics, convoys: Sequence[Convoy],
                    resets: list[Any]) -> datetime:  # fmt: skip
    """From when this day stays as it is: its end, the last time a contribution to it became
    known, the convoy events until it ended, the reset decisions that reach it."""
    moments = [day.end]
    for metric in (*metrics.conditions.values(), metrics.indicator):
        last = metric.last_known(day.start, day.end)
        if last is not None:
            moments.append(last)
    moments.extend(e.window.start for c in convoys for e in c.events if e.window.start < day.end)
    moments.extend(d.decided_at for d in resets if d.effective < day.end)
    if day.pending:
        moments.append(datetime.max.replace(tzinfo=day.end.tzinfo))
    return max(moments)


def _resets(agreement: Agreement, counting: Condition | None, as_of: datetime | None) -> list[Any]:
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
    return resets


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
    done = [d for d in clock.days if d.end <= at and not d.pending]
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
    """Where the clock stands at ``at``: the phases in force, the day, the indicator, the conditions."""
    agreement = clock.agreement
    windows = phase_windows(agreement, at if clock.as_of is None else min(at, clock.as_of))
    in_force: list[str] = []
    phases: dict[str, dict[str, Any]] = {}
    conds = _condition_states(clock, at)
    for phase in agreement.phases:
        w = windows.get(phase.id)
        if w is not None:
            state = "in_force" if w.contains(at) else ("not_started" if at < w.start else "ended")
            if state == "in_force":
                in_force.append(phase.id)
            phases[phase.id] = {
                "state": state,
                "lifecycle": phase.lifecycle,
                "start": w.start.isoformat(),
                "end": w.end.isoformat() if w.end else None,
                "renewal": phase.renewal.by if phase.renewal else None,
                "renewals": [
                    {
                        "decision": d.id,
                        "kind": d.kind,
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
            in_force.append(phase.id)
        elif clock.window_end is not None and at >= clock.window_end:
            state = "never_reached"
        else:
            state = "not_reached"
        phases[phase.id] = {
            "state": state,
            "lifecycle": phase.lifecycle,
            "entry_conditions": list(phase.entry_conditions),
            "unmet": unmet,
        }
    whole = {lc.id for lc in agreement.lifecycles if not lc.zones}
    current = next(
        (p for p in in_force if agreement.phase(p).lifecycle in whole),
        in_force[0] if in_force else None,
    )
    number = clock.day_number(at) if current is not None else None
    day = clock.day_at(at)
    counting = clock.count_condition
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
    start = agreement.start
    return {
        "agreement": agreement.id,
        "at": at.isoformat(),
        "phase": current,
        "phases_in_force": in_force,
        "day": number,
        "day_pending": day.pending if day is not None else None,
        "consecutive_days": conds[counting.id]["count"] if counting else 0,
        "target_days": int(counting.params["days"]) if counting else None,
        "indicator": {
            "baseline": clock.baseline.get(INDICATOR),
            "day": day.indicator if day else None,
        },
        "conditions": conds,
        "phases": phases,
        "decisions": decisions,
        "data_until": clock.horizon.isoformat() if clock.horizon else None,
        "start": {
            "label": start.label,
            "instant": start.instant.isoformat(),
            "stated": start.stated.isoformat() if start.stated else None,
            "computed": start.computed.isoformat() if start.computed else None,
            "solar_event": start.solar_event,
            "governs": start.governs,
            "disagreement_minutes": start.disagreement_minutes,
        },
    }
