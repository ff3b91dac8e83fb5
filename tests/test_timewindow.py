"""The one date/time parser of input (ceasefire/model/timewindow.py): aware, within 1900–2100,
and a message that names the value."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from ceasefire.model.timewindow import (
    instant_in_range,
    parse_day,
    parse_instant,
    parse_moment,
)
from tests.conftest import TZ


@pytest.mark.parametrize(
    ("text", "words"),
    [("2016-02-30", "not a valid date"), ("0001-01-01", "outside the years 1900–2100"),
     ("9999-12-31", "outside the years"), ("1899-12-31", "outside the years"),
     ("2101-01-01", "outside the years"), ("16 Sept 2016", "not a valid date"), ("9" * 5000, "too long")],
)  # fmt: skip
def test_a_day_outside_the_calendar_or_the_range_is_refused(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_day(text)


def test_the_range_is_inclusive() -> None:
    assert parse_day("1900-01-01") == date(1900, 1, 1)
    assert parse_day(" 2100-12-31 ") == date(2100, 12, 31)


def test_a_naive_instant_is_taken_in_the_zone_and_refused_without_one() -> None:
    assert parse_instant("2016-09-14T12:00", TZ) == datetime(2016, 9, 14, 9, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="no UTC offset"):
        parse_instant("2016-09-14T12:00")


@pytest.mark.parametrize(
    "text", ["0001-01-01T00:00+14:00", "9999-12-31T23:59-12:00", "2016-09-14T25:00"]
)
def test_instants_that_overflowed_downstream_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"outside the years|not a valid ISO"):
        parse_instant(text, TZ)


def test_a_moment_is_a_day_or_an_instant() -> None:
    assert parse_moment("2016-09-14", TZ) == (datetime(2016, 9, 13, 21, 0, tzinfo=UTC), True)
    assert parse_moment("2016-09-14T19:00+03:00", TZ) == (
        datetime(2016, 9, 14, 16, 0, tzinfo=UTC),
        False,
    )


def test_a_stored_instant_is_checked_without_overflowing() -> None:
    assert instant_in_range(datetime(2016, 9, 14, tzinfo=UTC))
    assert instant_in_range(datetime(1899, 12, 29, 22, tzinfo=UTC))  # a week before 1900 began
    assert not instant_in_range(datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))))
    assert not instant_in_range(datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-12))))
    assert not instant_in_range(datetime(2016, 9, 14))  # noqa: DTZ001 - naive on purpose
