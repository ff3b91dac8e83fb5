"""The draft a finding is built on: one incident, the terms that could apply, and what each rule
has settled about each term so far (see :mod:`ceasefire.compliance.rules`)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ceasefire.compliance.coverage import Side
from ceasefire.compliance.phases import PhaseWindow, phase_windows
from ceasefire.model.agreement import Agreement, Term
from ceasefire.model.incidents import Incident, Judgement

__all__ = ["Case", "Context", "Qualification", "TermState"]


class Qualification(enum.StrEnum):
    VIOLATION = "violation"
    UNDETERMINED = "undetermined"
    OUT_OF_SCOPE = "out_of_scope"
    NOT_VIOLATION = "not_violation"


# when terms disagree, the finding takes the most serious: a violation of one term is a violation
PRECEDENCE = (
    Qualification.VIOLATION,
    Qualification.UNDETERMINED,
    Qualification.OUT_OF_SCOPE,
    Qualification.NOT_VIOLATION,
)


class Context:
    """What every finding of one run shares: the agreement, the moment, control, memos."""

    def __init__(
        self,
        agreement: Agreement,
        as_of: datetime | None,
        control: Any = None,
        windows: dict[str, PhaseWindow] | None = None,
    ) -> None:
        self.agreement = agreement
        self.as_of = as_of
        self.control = control
        self.windows: dict[str, PhaseWindow] = (
            windows if windows is not None else phase_windows(agreement, as_of)
        )
        self.lines: dict[str, Any] = {}
        self.footprints: dict[Any, Any] = agreement.cache.setdefault("footprints", {})
        self.relations: dict[Any, Any] = agreement.cache.setdefault("relations", {})
        self.as_of_text = as_of.isoformat() if as_of is not None else None
        self.memo: dict[str, Any] = {}  # what every finding of this context shares (rules' own)
        self.candidates: dict[tuple[str, ...], tuple[Term, ...]] = agreement.cache.setdefault(
            "candidate_terms", {}
        )
        self.determinations = {
            d.incident: d for d in sorted(agreement.determinations, key=lambda d: d.at)
        }


@dataclass(slots=True)
class TermState:
    """One candidate term: open until a rule closes it with a qualification and a reason."""

    term: Term
    qualification: Qualification | None = None
    code: str = ""
    why: str = ""  # a sentence; "{terms}" stands for the ids of the terms sharing it
    phase: str | None = None
    zones: list[dict[str, str]] = field(default_factory=list)
    bearers: tuple[str, ...] = ()
    attribution: str | None = None
    doubts: list[str] = field(default_factory=list)
    spatial: tuple[str, str, str] | None = None  # (code, sentence, doubt): where it is unknown

    @property
    def open(self) -> bool:
        return self.qualification is None

    def close(self, qualification: Qualification, code: str, why: str, **extra: Any) -> None:
        self.qualification = qualification
        self.code = code
        self.why = why
        for key, value in extra.items():
            setattr(self, key, value)


@dataclass
class Case:
    ctx: Context
    incident: Incident
    codes: list[str]  # what happened, in the taxonomy (ATK.AIR …), then incident-level notes
    actions: tuple[str, ...]
    means: frozenset[str] | None  # None: the source does not code the means
    side_a: Side
    side_b: Side
    directed: (
        bool  # side A acted on side B (one-sided violence, perpetrator/target, remote violence)
    )
    occurrence: str
    attribution_j: Judgement | None
    known_attribution: str
    facts: list[str] = field(default_factory=list)
    doubts: list[str] = field(default_factory=list)
    ground: Any = None
    terms: list[TermState] = field(default_factory=list)
    settled: tuple[Qualification, str, str] | None = None  # a verdict for the whole incident
    override: tuple[Qualification, str, str, tuple[str, ...], tuple[str, ...]] | None = None
    # a template judged for many incidents (engine.judge_many): the incident's own words are
    # slots, each incident filling in its own
    slots: bool = False

    def said(self, slot: str, text: str) -> str:
        """``text``, or in a template the slot each incident fills with its own ``text``."""
        return f"\x00{slot}\x00" if self.slots else text

    @property
    def open_terms(self) -> list[TermState]:
        return [t for t in self.terms if t.open]

    @property
    def done(self) -> bool:
        return self.settled is not None or not self.open_terms

    def settle(self, qualification: Qualification, code: str, why: str) -> None:
        self.settled = (qualification, code, why)
