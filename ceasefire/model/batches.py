"""What one imported file gives: records to store, and rows to quarantine.

The intake adapters make batches and the store writes them, so the records live here, below both
(``ceasefire.intake.common`` re-exports them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["BadField", "Batch", "RowProblem", "record_key"]


class BadField(ValueError):
    """A record's named field is wrong, and why (``str(exc)`` is the reason): raised by the
    converters and checks of intake and of the stored forms, turned into a :class:`RowProblem`."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field


@dataclass(frozen=True)
class RowProblem:
    """A row that could not be read: it goes to quarantine with where and why."""

    file: str
    line: int
    field: str
    reason: str
    raw: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.reason}"


@dataclass
class Batch:
    """What one file gave: records to store, and rows to quarantine."""

    kind: str
    file: str
    records: list[Any] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    # record key → the party whose submission it is: restricted from the moment it is stored,
    # until a guarantor releases it (``ceasefire.visibility``); "" when the submitting cell is not
    # named (then only the guarantors, monitors and admins see it)
    restricted: dict[str, str] = field(default_factory=dict)
    # id(record) → (record, the JSON text it was checked as at the door): the store writes and
    # hashes that text instead of serialising and checking the record again (see :meth:`add`)
    checked: dict[int, tuple[Any, str]] = field(default_factory=dict, repr=False, compare=False)

    def add(self, record: Any, body: str) -> None:
        """Add a record (immutable: a frozen dataclass) with ``body``, the JSON text of its
        stored form that was checked against it (:func:`ceasefire.model.stored.check_body`)."""
        self.records.append(record)
        self.checked[id(record)] = (record, body)

    def checked_body(self, record: Any) -> str | None:
        """The body ``record`` was checked as when it was added, or ``None`` (a record added to
        :attr:`records` directly, or a different object now under the same id)."""
        entry = self.checked.get(id(record))
        return entry[1] if entry is not None and entry[0] is record else None


def record_key(record: Any) -> str:
    """The key a stored record goes by: an incident's own key, ``KIND:ID`` for the others."""
    key = getattr(record, "key", None)
    return key if isinstance(key, str) else f"{record.kind}:{record.id}"
