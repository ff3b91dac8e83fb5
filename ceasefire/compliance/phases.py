"""Phase windows as known at a moment: start, initial duration, renewals by joint decision.

A renewal decided while the phase is in force extends it; one decided after it lapsed renews it
from the decision's effective time, leaving a gap in which the phase was not in force.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ceasefire.model.agreement import Agreement, Decision

__all__ = ["PhaseWindow", "decision_effective", "merged_intervals", "phase_windows"]

Interval = tuple[datetime, datetime | None]


@dataclass(frozen=True)
class PhaseWindow:
    phase_id: str
    intervals: tuple[Interval, ...]  # in order; the last may be open (None)
    renewals: tuple[Decision, ...] = ()

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
    windows: dict[str, PhaseWindow] = {}
    for phase in agreement.phases:
        if phase.starts == "start":
            start = agreement.start.instant
        elif phase.starts.startswith("after:") and phase.starts[6:] in windows:
            previous = windows[phase.starts[6:]].end
            if previous is None:
                continue
            start = previous
        else:
            continue
        intervals: list[list[datetime | None]] = [
            [start, start + phase.duration if phase.duration is not None else None]
        ]
        renewals = []
        decisions = sorted(
            (d for d in agreement.decisions if d.subject == phase.id),
            key=lambda d: (d.decided_at, d.id),
        )
        for decision in decisions:
            if as_of is not None and decision.decided_at > as_of:
                continue
            ok, _ = decision_effective(
                agreement, decision, phase.renewal_by or agreement.guarantor_ids()
            )
            if not ok:
                continue
            last = intervals[-1]
            if decision.kind == "extend_phase" and decision.until is not None:
                end = last[1]
                if end is None or decision.effective <= end:
                    last[1] = decision.until
                else:
                    intervals.append([decision.effective, decision.until])
                renewals.append(decision)
            elif decision.kind == "end_phase":
                last[1] = decision.effective
                renewals.append(decision)
        frozen: tuple[Interval, ...] = tuple((s, e) for s, e in intervals if s is not None)
        windows[phase.id] = PhaseWindow(phase.id, frozen, tuple(renewals))
    return windows


def merged_intervals(windows: list[PhaseWindow]) -> list[Interval]:
    """The union of the windows' intervals, sorted and merged."""
    items = sorted((s, e) for w in windows for s, e in w.intervals)
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
