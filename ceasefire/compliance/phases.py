"""Phase windows as known at a moment, for every lifecycle of an agreement.

Each lifecycle (the agreement's, or a zone's own) starts at its start instant; its phases follow
one another (``start``, ``after:<phase>``) or wait for their entry conditions (the clock decides
those).  A phase lasts its duration (calendar months count in local time) or is open-ended.

Renewal:
* ``joint_decision`` — a recorded decision approved by every guarantor the phase names extends it
  (``extend_phase`` … ``until``); one decided after the phase lapsed renews it from the decision's
  effective time, leaving a gap in which it was not in force.
* ``automatic`` — the phase renews itself every block until one of the named parties objects
  (an ``object_renewal`` decision or an ``objection`` declaration): it then ends at the close of
  the block in which the objection was made.  Without an objection it runs on (open-ended).
``end_phase`` decisions end a phase at their effective time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ceasefire._bounded import BoundedMemo
from ceasefire.model.agreement import Agreement, Decision, Duration, Phase

__all__ = ["PhaseWindow", "decision_effective", "merged_intervals", "phase_windows"]

Interval = tuple[datetime, datetime | None]
MAX_BLOCKS = 100_000
_MAX_MOMENTS = 1024  # phase windows kept per agreement, one per moment asked about


@dataclass(frozen=True)
class PhaseWindow:
    phase_id: str
    intervals: tuple[Interval, ...]  # in order; the last may be open (None)
    renewals: tuple[Decision, ...] = ()
    lifecycle: str = ""

    @property
    def start(self) -> datetime:
        return self.intervals[0][0]

    @property
    def end(self) -> datetime | None:
        return self.intervals[-1][1]

    def contains(self, instant: datetime) -> bool:
        return any(s <= instant and (e is None or instant < e) for s, e in self.intervals)


def decision_effective(
    agreement: Agreement, decision: Decision, required: tuple[str, ...]
) -> tuple[bool, str]:
    """A joint decision takes effect only with an approval from every required guarantor."""
    missing = [g for g in required if g not in decision.approvals]
    if missing:
        return False, f"decision {decision.id} lacks the approval of {', '.join(missing)}"
    return True, ""


def phase_windows(agreement: Agreement, as_of: datetime | None = None) -> dict[str, PhaseWindow]:
    """Windows of the phases with a fixed start; phases that start on conditions come from the clock."""
    # one entry per moment asked about (a report's cut-off, a query's as_of): bounded
    memo: BoundedMemo[datetime | None, dict[str, PhaseWindow]] = agreement.cache.setdefault(
        "phase_windows", BoundedMemo(_MAX_MOMENTS)
    )
    cached = memo.get(as_of)
    if cached is not None:
        return cached
    windows: dict[str, PhaseWindow] = {}
    for lifecycle in agreement.lifecycles:
        for phase_id in lifecycle.phases:
            phase = agreement.phase(phase_id)
            if phase.starts == "start":
                start = lifecycle.start.instant
            elif phase.starts.startswith("after:") and phase.starts[6:] in windows:
                previous = windows[phase.starts[6:]].end
                if previous is None:
                    continue
                start = previous
            else:
                continue
            windows[phase.id] = _window(agreement, phase, start, as_of)
    return memo.put(as_of, windows)


def _known(decision: Decision, as_of: datetime | None) -> bool:
    return as_of is None or decision.decided_at <= as_of


def _window(
    agreement: Agreement, phase: Phase, start: datetime, as_of: datetime | None
) -> PhaseWindow:
    end = phase.duration.after(start) if phase.duration is not None else None
    intervals: list[list[datetime | None]] = [[start, end]]
    renewals: list[Decision] = []
    decisions = sorted(
        (d for d in agreement.decisions if d.subject == phase.id and _known(d, as_of)),
        key=lambda d: (d.decided_at, d.id),
    )
    renewal = phase.renewal
    if renewal is not None and renewal.by == "automatic" and end is not None:
        block = renewal.block or phase.duration
        assert block is not None
        objection = _objection(agreement, phase, decisions, as_of)
        intervals[0][1] = None if objection is None else _block_end(end, block, objection)
    for decision in decisions:
        required = (renewal.of if renewal is not None else ()) or agreement.guarantor_ids()
        ok, _ = decision_effective(agreement, decision, required)
        if not ok:
            continue
        last = intervals[-1]
        if decision.kind == "extend_phase" and decision.until is not None:
            current = last[1]
            if current is None or decision.effective <= current:
                last[1] = decision.until if current is not None else None
            else:
                intervals.append([decision.effective, decision.until])
            renewals.append(decision)
        elif decision.kind == "end_phase":
            if last[1] is None or decision.effective < last[1]:
                last[1] = (
                    max(decision.effective, last[0]) if last[0] is not None else decision.effective
                )
            renewals.append(decision)
    frozen: tuple[Interval, ...] = tuple((s, e) for s, e in intervals if s is not None)
    return PhaseWindow(phase.id, frozen, tuple(renewals), phase.lifecycle)


def _objection(
    agreement: Agreement, phase: Phase, decisions: list[Decision], as_of: datetime | None
) -> datetime | None:
    """The earliest objection to an automatic renewal, by one of those who may object."""
    assert phase.renewal is not None
    allowed = set(phase.renewal.objection_by) or set(agreement.guarantor_ids())
    moments = [
        d.effective for d in decisions if d.kind == "object_renewal" and allowed & set(d.approvals)
    ]
    moments.extend(
        d.at
        for d in agreement.declarations
        if d.kind == "objection"
        and d.phase == phase.id
        and allowed & set(d.actors)
        and (as_of is None or d.at <= as_of)
    )
    return min(moments) if moments else None


def _block_end(first_end: datetime, block: Duration, objection: datetime) -> datetime:
    end = first_end
    for _ in range(MAX_BLOCKS):
        if objection < end:
            return end
        end = block.after(end)
    return end


def merged_intervals(windows: list[PhaseWindow]) -> list[Interval]:
    """The union of the windows' intervals, sorted and merged."""
    items = sorted(
        ((s, e) for w in windows for s, e in w.intervals),
        key=lambda iv: (iv[0], iv[1] is None, iv[1] or iv[0]),
    )
    merged: list[list[datetime | None]] = []
    for s, e in items:
        if merged:
            last_end = merged[-1][1]
            if last_end is None or s <= last_end:
                if last_end is not None and (e is None or e > last_end):
                    merged[-1][1] = e
                continue
        merged.append([s, e])
    return [(s, e) for s, e in merged if s is not None]
