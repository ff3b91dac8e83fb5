"""Aware time windows with a stated precision.

An incident rarely has an exact instant: UCDP codes a day (or a range of days), a news report
says "on Monday night".  A :class:`TimeWindow` keeps the half-open interval ``[start, end)`` in
which the incident happened, the precision the source gave and the text it stated, so that a
comparison with a boundary instant can answer *before*, *after*, *inside* or *straddles*.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["Precision", "Relation", "TimeWindow", "local_day_window", "parse_instant"]


class Precision(enum.StrEnum):
    EXACT = "exact"
    HOUR = "hour"
    DAY = "day"
    DAYS = "days"  # within a few days (UCDP date_prec 2)
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


class Relation(enum.StrEnum):
    BEFORE = "before"  # the whole window ends at or before the instant
    AFTER = "after"  # the whole window starts at or after the instant
    STRADDLES = "straddles"  # the instant falls inside the window


@dataclass(frozen=True, order=True)
class TimeWindow:
    start: datetime
    end: datetime
    precision: Precision
    stated: str = ""

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("TimeWindow needs timezone-aware datetimes")
        if self.end <= self.start:
            raise ValueError(f"TimeWindow ends ({self.end}) before it starts ({self.start})")

    def relation_to(self, instant: datetime) -> Relation:
        if self.end <= instant:
            return Relation.BEFORE
        if self.start >= instant:
            return Relation.AFTER
        return Relation.STRADDLES

    def overlap_seconds(self, start: datetime, end: datetime) -> float:
        lo = max(self.start, start)
        hi = min(self.end, end)
        return max(0.0, (hi - lo).total_seconds())

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    def to_json(self) -> dict[str, str]:
        return {
            "start": self.start.astimezone(UTC).isoformat(),
            "end": self.end.astimezone(UTC).isoformat(),
            "precision": self.precision.value,
            "stated": self.stated,
        }

    @classmethod
    def from_json(cls, data: dict[str, str]) -> TimeWindow:
        return cls(
            start=datetime.fromisoformat(data["start"]),
            end=datetime.fromisoformat(data["end"]),
            precision=Precision(data["precision"]),
            stated=data.get("stated", ""),
        )


def local_day_window(
    first: date, last: date, tz: ZoneInfo, precision: Precision, stated: str = ""
) -> TimeWindow:
    """The window from local midnight of ``first`` to local midnight after ``last``."""
    start = datetime.combine(first, time(0), tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz)
    return TimeWindow(start, end, precision, stated)


def parse_instant(text: str, tz: ZoneInfo | None = None) -> datetime:
    """Parse an ISO 8601 date-time; a naive value is taken in ``tz`` (or refused without one)."""
    value = datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        if tz is None:
            raise ValueError(f"{text!r} has no UTC offset; give one, e.g. {text}+03:00")
        value = value.replace(tzinfo=tz)
    return value
