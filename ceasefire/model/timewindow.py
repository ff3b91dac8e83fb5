"""Aware time windows with a stated precision.

An incident rarely has an exact instant: UCDP codes a day (or a range of days), a news report
says "on Monday night".  A :class:`TimeWindow` keeps the half-open interval ``[start, end)`` in
which the incident happened, the precision the source gave and the text it stated, so that a
comparison with a boundary instant can answer *before*, *after*, *inside* or *straddles*.

This module also holds the one parser of dates and date-times read from input
(:func:`parse_day`, :func:`parse_instant`, :func:`parse_moment`): every one is aware (a value
without an offset is taken in the workspace's zone) and stated within the years
:data:`FIRST_YEAR`–:data:`LAST_YEAR`, so that no arithmetic on it can overflow and no naive value
meets an aware one downstream.  :func:`instant_in_range` is the looser check a stored instant
must pass (a derived instant may lie a day or a week beyond a stated one).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "FIRST_YEAR",
    "LAST_YEAR",
    "Precision",
    "Relation",
    "TimeWindow",
    "from_micros",
    "instant_in_range",
    "local_day_window",
    "micros",
    "parse_day",
    "parse_instant",
    "parse_moment",
]

FIRST_YEAR = 1900  # the earliest year an input may state (a date, or a date-time's local year)
LAST_YEAR = 2100  # the latest
MAX_TIME_TEXT = 64  # characters: anything longer is not an ISO date or date-time


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


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def micros(moment: datetime) -> int:
    """An aware instant as whole microseconds since 1970 (UTC): exact (no float rounding), and
    quick to compare, sort and bisect in bulk."""
    return (moment - _EPOCH) // _MICRO


def from_micros(value: int) -> datetime:
    """The instant (UTC) of :func:`micros`'s count."""
    return _EPOCH + timedelta(microseconds=int(value))


def _stated_year(year: int, text: str) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"{text!r} is outside the years {FIRST_YEAR}–{LAST_YEAR}")


def parse_day(text: str) -> date:
    """An ISO calendar date (``2016-09-14``) within the years :data:`FIRST_YEAR`–:data:`LAST_YEAR`.
    Raises :class:`ValueError` with a message that names the value."""
    stripped = text.strip()
    if len(stripped) > MAX_TIME_TEXT:
        raise ValueError(f"{stripped[:20]!r}… is too long for a date")
    try:
        value = date.fromisoformat(stripped)
    except ValueError:
        raise ValueError(f"{stripped!r} is not a valid date (YYYY-MM-DD)") from None
    _stated_year(value.year, stripped)
    return value


def parse_instant(text: str, tz: ZoneInfo | None = None) -> datetime:
    """An ISO 8601 date-time; a naive value is taken in ``tz`` (or refused without one). Its
    local year lies within :data:`FIRST_YEAR`–:data:`LAST_YEAR`. Raises :class:`ValueError`."""
    stripped = text.strip()
    if len(stripped) > MAX_TIME_TEXT:
        raise ValueError(f"{stripped[:20]!r}… is too long for a date-time")
    try:
        value = datetime.fromisoformat(stripped)
    except ValueError:
        raise ValueError(f"{stripped!r} is not a valid ISO 8601 date-time") from None
    if value.tzinfo is None:
        if tz is None:
            raise ValueError(f"{text!r} has no UTC offset; give one, e.g. {text}+03:00")
        value = value.replace(tzinfo=tz)
    _stated_year(value.year, stripped)
    return value


def parse_moment(text: str, tz: ZoneInfo) -> tuple[datetime, bool]:
    """A date (``2016-09-14``: local midnight in ``tz``) or a date-time (naive ones taken in
    ``tz``); returns (instant, whether only a date was given). Raises :class:`ValueError`."""
    stripped = text.strip()
    if len(stripped) == 10:
        return datetime.combine(parse_day(stripped), time(0), tzinfo=tz), True
    return parse_instant(stripped, tz), False


def instant_in_range(value: datetime) -> bool:
    """Whether a stored instant is aware and its UTC year within a year of the stated range
    (room for offsets and for windows derived from a stated day: a week, a month, a day after)."""
    if value.tzinfo is None or value.utcoffset() is None:
        return False
    if not FIRST_YEAR - 1 <= value.year <= LAST_YEAR + 1:
        return False  # checked before converting: a year-1 value at +14:00 cannot overflow here
    return FIRST_YEAR - 1 <= value.astimezone(UTC).year <= LAST_YEAR + 1
