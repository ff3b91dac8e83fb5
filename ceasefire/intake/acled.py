"""ACLED event export CSV → incidents, losslessly.

ACLED codebook: ``time_precision`` 1 the day is known, 2 within the week, 3 within the month;
``geo_precision`` 1 the exact town, 2 a place near it or in its district, 3 only the region or
province.  ``event_date`` comes as ``2016-09-16`` in API exports and as ``16 September 2016`` or
``16-Sep-2016`` in spreadsheet exports.  ``source`` holds outlet names joined by ``"; "``.

The ``notes`` column is third-party prose: it stays only in ``native`` (so an export gives the row
back unchanged) and is never copied into :attr:`Incident.notes`.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from ceasefire.intake.common import (
    BadField,
    Batch,
    coded_occurrence,
    float_field,
    int_field,
    name_field,
    parse_csv_batch,
)
from ceasefire.model.incidents import (
    Fatalities,
    Incident,
    IncidentActor,
    Place,
    SourceRef,
)
from ceasefire.model.timewindow import FIRST_YEAR, LAST_YEAR, Precision, local_day_window, parse_day

__all__ = ["ACLED_COLUMNS", "acled_row_to_incident", "parse_acled"]

ACLED_COLUMNS = (
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
)
REQUIRED = (
    "event_id_cnty",
    "event_date",
    "time_precision",
    "event_type",
    "sub_event_type",
    "actor1",
    "latitude",
    "longitude",
    "geo_precision",
    "fatalities",
)
PRECISION = {"1": Precision.DAY, "2": Precision.WEEK, "3": Precision.MONTH}
# ACLED geo_precision onto the UCDP where_prec scale used by Place.precision.
WHERE_PREC = {"1": 1, "2": 2, "3": 4}
WEEK_HALF = timedelta(days=3)  # time_precision 2: three days either side of event_date

# English whatever the locale: ACLED writes English month names.
_MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTHS = {name: i for i, name in enumerate(_MONTH_NAMES, start=1)}
_MONTHS.update({name[:3]: i for i, name in enumerate(_MONTH_NAMES, start=1)})
_MONTHS["sept"] = 9
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[ -]([A-Za-z]+)\.?[ -](\d{4})")


def _whole(row: dict[str, str], name: str, lo: int) -> int:
    value = int_field(row, name, lo)
    assert value is not None
    return value


def _date(row: dict[str, str], name: str) -> date:
    text = row.get(name, "").strip()
    expected = "YYYY-MM-DD, '16 September 2016' or '16-Sep-2016'"
    match = _DAY_MONTH_YEAR.fullmatch(text)
    month = _MONTHS.get(match.group(2).lower()) if match else None
    if match and month is None:
        raise BadField(
            name, f"{text!r}: {match.group(2)!r} is not a month name; expected {expected}"
        )
    try:
        if match and month:
            day = date(int(match.group(3)), month, int(match.group(1)))
            if not FIRST_YEAR <= day.year <= LAST_YEAR:
                raise ValueError
            return day
        return parse_day(text[:10] if len(text) > 10 and text[10] in " T" else text)
    except ValueError:
        shown = text if len(text) <= 40 else f"{text[:20]}…"
        raise BadField(
            name, f"{shown!r} is not a valid date within {FIRST_YEAR}–{LAST_YEAR} ({expected})"
        ) from None


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(";") if n.strip()]


def acled_row_to_incident(row: dict[str, str], tz: ZoneInfo) -> Incident:
    source_id = row["event_id_cnty"].strip()
    if not source_id:
        raise BadField("event_id_cnty", "is empty")
    day = _date(row, "event_date")
    prec = PRECISION.get(row["time_precision"].strip())
    if prec is None:
        raise BadField("time_precision", f"{row['time_precision']!r} must be 1, 2 or 3")
    if prec is Precision.DAY:
        first = last = day
    elif prec is Precision.WEEK:
        first, last = day - WEEK_HALF, day + WEEK_HALF
    else:
        first = day.replace(day=1)
        last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
    stated = str(first) if first == last else f"{first}/{last}"
    window = local_day_window(first, last, tz, prec, stated)
    lat = float_field(row, "latitude", -90, 90)
    lon = float_field(row, "longitude", -180, 180)
    where_prec = WHERE_PREC.get(row["geo_precision"].strip())
    if where_prec is None:
        raise BadField("geo_precision", f"{row['geo_precision']!r} must be 1, 2 or 3")
    fatalities = _whole(row, "fatalities", 0)
    actors: list[IncidentActor] = []
    for column in ("actor1", "assoc_actor_1", "actor2", "assoc_actor_2"):
        text = row.get(column, "")
        names = _names(text) if column.startswith("assoc") else [text.strip()]
        actors.extend(IncidentActor(name_field(n, column), column) for n in names if n)
    sources = tuple(SourceRef(name=n) for n in _names(row.get("source", "")))
    known_from = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz)
    occurrence = coded_occurrence(
        len(sources),
        known_from,
        "ACLED coding",
        f"{len(sources)} source(s); source_scale {row.get('source_scale', '').strip() or '?'}",
    )
    return Incident(
        source_system="acled",
        source_id=source_id,
        window=window,
        place=Place(
            name=row.get("location", "").strip(),
            lat=lat,
            lon=lon,
            precision=where_prec,
            admin1=row.get("admin1", "").strip(),
            admin2=row.get("admin2", "").strip(),
            admin3=row.get("admin3", "").strip(),
            country=row.get("country", "").strip(),
        ),
        actors=tuple(actors),
        category=row["event_type"].strip(),
        sub_category=row["sub_event_type"].strip(),
        fatalities=Fatalities(low=None, best=fatalities, high=None),
        sources=sources,
        known_from=known_from,
        judgements=(occurrence,),
        native=tuple(row.items()),
    )


def parse_acled(path: Path, tz: ZoneInfo) -> Batch:
    return parse_csv_batch(
        path,
        "acled",
        REQUIRED,
        "ACLED",
        lambda row: acled_row_to_incident(row, tz),
        "event_id_cnty",
    )
