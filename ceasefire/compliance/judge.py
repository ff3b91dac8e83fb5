"""The one judgement path: an agreement as it stands (with the guarantors' recorded decisions),
the control map, and the engine, asked the same way by every surface — ``evaluate``, ``incident``,
``GET /findings``, ``GET /incidents/{key}``, the daily report, the dashboard, the exports.

:func:`ceasefire.service.judge_for` builds one from a workspace; tests build one directly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ceasefire.compliance.engine import Finding, evaluate_all
from ceasefire.model.agreement import Agreement
from ceasefire.model.incidents import Incident

__all__ = ["Judge"]


@dataclass(frozen=True)
class Judge:
    agreement: Agreement
    control: Any = None  # a ceasefire.geo.control.ControlMap, or None

    def findings(
        self, incidents: Iterable[Incident], as_of: datetime | None = None
    ) -> list[Finding]:
        """One finding per incident, as known at ``as_of`` (``None``: with everything known)."""
        return evaluate_all(self.agreement, incidents, as_of, self.control)

    def finding(self, incident: Incident, as_of: datetime | None = None) -> Finding:
        return self.findings([incident], as_of)[0]
