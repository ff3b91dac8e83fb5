"""The one exception tree of ceasefire.

Every error the library raises on purpose is a :class:`CeasefireError`; the CLI and the
API turn these into messages and exit codes.  Bugs are not caught and wrapped.

    CeasefireError
    ├── ConfigError             a setting or the workspace is unusable
    ├── AgreementError          an agreement file is invalid (carries located problems)
    ├── IntakeError             an input file cannot be read at all (rows are quarantined instead)
    ├── StoreError              the store refused or failed an operation
    │   └── NotFoundError       a named record does not exist
    ├── ComplianceError         the engine was asked something it cannot answer
    └── AccessDeniedError       a role may not do this
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AccessDeniedError",
    "AgreementError",
    "CeasefireError",
    "ComplianceError",
    "ConfigError",
    "IntakeError",
    "NotFoundError",
    "Problem",
    "StoreError",
]


class CeasefireError(Exception):
    """Base of every deliberate ceasefire error. The message is a full sentence."""

    exit_code = 2


class ConfigError(CeasefireError):
    pass


@dataclass(frozen=True, order=True)
class Problem:
    """One located problem in an input file: ``FILE:LINE: field: message``."""

    file: str
    line: int
    field: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


class AgreementError(CeasefireError):
    exit_code = 1

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        lines = "\n".join(str(p) for p in self.problems)
        super().__init__(f"The agreement file has {len(self.problems)} problem(s):\n{lines}")


class IntakeError(CeasefireError):
    pass


class StoreError(CeasefireError):
    pass


class NotFoundError(StoreError):
    pass


class ComplianceError(CeasefireError):
    pass


class AccessDeniedError(CeasefireError):
    exit_code = 3
