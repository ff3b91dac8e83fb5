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
from ceasefire.compliance.engine import Finding, judge_many
from ceasefire.compliance.phases import phase_windows
from ceasefire.model.agreement import Agreement
from ceasefire.model.incidents import Incident

__all__ = ["Judge"]

MEMO_LIMIT = 500_000
TEMPLATE_LIMIT = 200_000  # judged signatures kept per knowledge level (each holds one finding)


@dataclass(frozen=True)
class Judge:
    agreement: Agreement
    control: Any = None  # a ceasefire.geo.control.ControlMap, or None
    _memo: dict[tuple[int, int, int], tuple[Incident, Finding]] = field(
        default_factory=dict, compare=False, repr=False
    )
    _levels: dict[int, dict[str, Any]] = field(default_factory=dict, compare=False, repr=False)
    # per knowledge level and state of the control map: judged signatures (see judge_many)
    _templates: dict[tuple[Any, ...], dict[tuple[Any, ...], Any]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def findings(
        self, incidents: Iterable[Incident], as_of: datetime | None = None, stamped: bool = True
    ) -> list[Finding]:
        """One finding per incident, as known at ``as_of`` (``None``: with everything known).
        ``stamped=False``: a finding kept from an earlier moment of the same knowledge may carry
        that moment in ``as_of`` (for callers that state the moment themselves, like a report)."""
        incidents = list(incidents)
        if as_of is None:
            context = Context(self.agreement, None, self.control)
            return judge_many(context, incidents, self._shared(None))
        moments = self._moments()
        level = bisect_right(moments, as_of)
        stamp_as_of = as_of.isoformat()
        out: list[Finding | None] = []
        misses: list[tuple[int, Incident, tuple[int, int, int]]] = []
        for incident in incidents:
            known = bisect_right(incident.judgement_times, as_of)  # judgements known by then
            key = (id(incident), level, known)
            hit = self._memo.get(key)
            if hit is None or hit[0] is not incident:
                misses.append((len(out), incident, key))
                out.append(None)
            else:
                out.append(hit[1])
        if misses:
            context = Context(self.agreement, as_of, self.control, self._windows(level, as_of))
            judged = judge_many(context, [m[1] for m in misses], self._shared(level))
            if len(self._memo) + len(misses) > MEMO_LIMIT:
                self._memo.clear()
            for (at, incident, key), finding in zip(misses, judged, strict=True):
                _ = finding.explanation  # computed once, kept by every copy stated later
                self._memo[key] = (incident, finding)
                out[at] = finding
        done: list[Finding] = []
        for found in out:
            assert found is not None
            done.append(
                _stamped(found, stamp_as_of) if stamped and found.as_of != stamp_as_of else found
            )
        return done

    def finding(self, incident: Incident, as_of: datetime | None = None) -> Finding:
        return self.findings([incident], as_of)[0]

    def _shared(self, level: int | None) -> dict[tuple[Any, ...], Any]:
        """The judged signatures one knowledge level shares, while the control map stays as it
        is (a version added to it starts them afresh)."""
        versions = len(self.control.versions) if self.control is not None else 0
        key = (level, versions)
        shared = self._templates.get(key)
        if shared is None:
            if len(self._templates) > 64:
                self._templates.clear()
            shared = self._templates[key] = {}
        elif len(shared) > TEMPLATE_LIMIT:
            shared.clear()
        return shared

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
