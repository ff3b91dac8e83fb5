"""Solar events ("from sundown") computed offline with astral."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from astral import Observer
from astral.sun import dawn, dusk, noon, sunrise, sunset

__all__ = ["solar_instant"]

_EVENTS: dict[str, Callable[..., Any]] = {
    "sunset": sunset,
    "sundown": sunset,
    "sunrise": sunrise,
    "dawn": dawn,
    "dusk": dusk,
    "noon": noon,
}


def solar_instant(event: str, day: date, lat: float, lon: float, tz: ZoneInfo) -> datetime:
    """The instant of ``event`` on ``day`` at (lat, lon), in ``tz``, to the minute."""
    func = _EVENTS.get(event)
    if func is None:
        raise ValueError(f"{event!r} is not a solar event; use one of {sorted(_EVENTS)}")
    observer = Observer(latitude=lat, longitude=lon)
    value: datetime = func(observer, day, tzinfo=tz)
    return value.replace(second=0, microsecond=0)
