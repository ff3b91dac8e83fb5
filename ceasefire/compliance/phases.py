"""Phase windows as known at a moment: start, initial duration, renewals by joint decision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ceasefire.model.agreement import Agreement, Decision

__all__ = ["PhaseWindow", "decision_effective", "phase_windows"]


@dataclass(frozen=True)
class PhaseWindow:
    phase_id: str
    start: datetime
    end: datetime | None  # None: open-ended
    renewals: tuple[Decision, ...] = ()

    def contains(self, instant: datetime) -> bool:
        return self.start <= instant and (self.end is None or instant < self.end)


def decision_effective(agreement: Agreement, decision: Decision, required: tuple[str, ...]) -> tuple[bool, str]:
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
        end = start + phase.duration if phase.duration is not None else None
        renewals = []
        decisions = sorted(
            (d for d in agreement.decisions if d.subject == phase.id),
            key=lambda d: (d.decided_at, d.id),
        )
        for decision in decisions:
            if as_of is not None and decision.decided_at > as_of:
                continue
            required = phase.renewal_by or agreement.guarantor_ids()
            ok, _ = decision_effective(agreement, decision, required)
            if not ok:
                continue
            if decision.kind == "extend_phase" and decision.until is not None:
                end = decision.until
                renewals.append(decision)
            elif decision.kind == "end_phase":
                end = decision.effective
                renewals.append(decision)
        windows[phase.id] = PhaseWindow(phase.id, start, end, tuple(renewals))
    return windows
