"""The one judgement path: an agreement as it stands (with the guarantors' recorded decisions),
the control map, and the engine, asked the same way by every surface — ``evaluate``, ``incident``,
``GET /findings``, ``GET /incidents/{key}``, the daily report, the dashboard, the exports.

:func:`ceasefire.service.judge_for` builds one from a workspace; tests build one directly.

A finding depends on the moment asked about only through what was known then: the agreement's
decisions and published determinations, and the incident's own dated judgements.  The judge keeps
each finding under that *knowledge stamp*, so a series of daily reports judges an incident again
only when something about it became known.
"""

from __future__ import annotations

import copy
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ceasefire.compliance.case import Context
from ceasefire.compliance.engine import Finding, evaluate_all, judge_with
from ceasefire.compliance.phases import phase_windows
from ceasefire.model.agreement import Agreement
from ceasefire.model.incidents import Incident

__all__ = ["Judge"]

MEMO_LIMIT = 500_000


@dataclass(frozen=True)
class Judge:
    agreement: Agreement
    control: Any = None  # a ceasefire.geo.control.ControlMap, or None
    _memo: dict[tuple[int, int, int], tuple[Incident, Finding]] = field(
        default_factory=dict, compare=False, repr=False
    )
    _levels: dict[int, dict[str, Any]] = field(default_factory=dict, compare=False, repr=False)

    def findings(
        self, incidents: Iterable[Incident], as_of: datetime | None = None, stamped: bool = True
    ) -> list[Finding]:
        """One finding per incident, as known at ``as_of`` (``None``: with everything known).
        ``stamped=False``: a finding kept from an earlier moment of the same knowledge may carry
        that moment in ``as_of`` (for callers that state the moment themselves, like a report)."""
        incidents = list(incidents)
        if as_of is None:
            return evaluate_all(self.agreement, incidents, None, self.control)
        moments = self._moments()
        level = bisect_right(moments, as_of)
        stamp_as_of = as_of.isoformat()
        context: Context | None = None
        out: list[Finding] = []
        for incident in incidents:
            known = sum(1 for j in incident.judgements if j.known_from <= as_of)
            key = (id(incident), level, known)
            hit = self._memo.get(key)
            if hit is None or hit[0] is not incident:
                if context is None:
                    context = Context(
                        self.agreement, as_of, self.control, self._windows(level, as_of)
                    )
                finding = judge_with(context, incident)
                _ = (
                    finding.explanation
                )  # computed once, kept by every copy stated at a later moment
                if len(self._memo) > MEMO_LIMIT:
                    self._memo.clear()
                self._memo[key] = (incident, finding)
            else:
                finding = hit[1]
            if stamped and finding.as_of != stamp_as_of:
                finding = _stamped(finding, stamp_as_of)
            out.append(finding)
        return out

    def finding(self, incident: Incident, as_of: datetime | None = None) -> Finding:
        return self.findings([incident], as_of)[0]

    def _moments(self) -> list[datetime]:
        """The instants at which something the engine reads about the agreement becomes known."""
        cached: list[datetime] | None = self.agreement.cache.get("knowledge_moments")
        if cached is None:
            a = self.agreement
            # an objection to an automatic renewal changes the phase windows as known; other
            # declarations act from their own date on incidents after it, whenever asked
            cached = sorted({*(d.decided_at for d in a.decisions), *(d.at for d in a.determinations),
                             *(d.at for d in a.declarations if d.kind == "objection")})  # fmt: skip
            a.cache["knowledge_moments"] = cached
        return cached

    def _windows(self, level: int, as_of: datetime) -> dict[str, Any]:
        """Phase windows for the knowledge level (any moment in the level sees the same ones)."""
        windows = self._levels.get(level)
        if windows is None:
            windows = self._levels[level] = phase_windows(self.agreement, as_of)
        return windows


def _stamped(finding: Finding, as_of: str) -> Finding:
    """The same finding, stated as of another moment (a shallow copy: findings are frozen)."""
    clone = copy.copy(finding)
    object.__setattr__(clone, "as_of", as_of)
    return clone
