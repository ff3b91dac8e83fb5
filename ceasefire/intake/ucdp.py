"""UCDP Georeferenced Event Dataset (GED) CSV → incidents, losslessly.

Codebook 19.1: ``date_prec`` 1 exact day … 5 more than a month; ``where_prec`` 1 exact place …
7 international waters; ``type_of_violence`` 1 state-based, 2 non-state, 3 one-sided (side A is
the perpetrator, side B the civilians).  Side A / side B carry no direction otherwise.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from ceasefire.intake.common import (
    BadField,
    Batch,
    coded_occurrence,
    day_field,
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
from ceasefire.model.timewindow import (
    FIRST_YEAR,
    LAST_YEAR,
    Precision,
    local_day_window,
    parse_day,
)

__all__ = ["UCDP_COLUMNS", "parse_ucdp"]

# a source dated this long after the event's last day is a typing error, not a late report
SOURCE_LAG_LIMIT = timedelta(days=3 * 366)

UCDP_COLUMNS = (
    "id",
    "year",
    "active_year",
    "type_of_violence",
    "conflict_new_id",
    "conflict_name",
    "dyad_new_id",
    "dyad_name",
    "side_a_new_id",
    "side_a",
    "side_b_new_id",
    "gwnob",
    "side_b",
    "number_of_sources",
    "source_article",
    "source_office",
    "source_date",
    "source_headline",
    "source_original",
    "where_prec",
    "where_coordinates",
    "adm_1",
    "adm_2",
    "latitude",
    "longitude",
    "geom_wkt",
    "priogrid_gid",
    "country",
    "country_id",
    "region",
    "event_clarity",
    "date_prec",
    "date_start",
    "date_end",
    "deaths_a",
    "deaths_b",
    "deaths_civilians",
    "deaths_unknown",
    "low",
    "best",
    "high",
)
REQUIRED = (
    "id",
    "type_of_violence",
    "side_a",
    "side_b",
    "date_start",
    "date_end",
    "date_prec",
    "latitude",
    "longitude",
    "where_prec",
    "best",
)
CATEGORY = {"1": "state_based", "2": "non_state", "3": "one_sided"}
PRECISION = {
    "1": Precision.DAY,
    "2": Precision.DAYS,
    "3": Precision.WEEK,
    "4": Precision.MONTH,
    "5": Precision.YEAR,
}


def _source_day(text: str) -> date | None:
    try:
        return parse_day(text)
    except ValueError:
        return None


def ucdp_row_to_incident(row: dict[str, str], tz: ZoneInfo) -> Incident:
    source_id = row["id"].strip()
    if not source_id:
        raise BadField("id", "is empty")
    if source_id.endswith(".0"):
        source_id = source_id[:-2]
    category = CATEGORY.get(row["type_of_violence"].strip())
    if category is None:
        raise BadField("type_of_violence", f"{row['type_of_violence']!r} must be 1, 2 or 3")
    first, last = day_field(row, "date_start"), day_field(row, "date_end")
    if last < first:
        raise BadField("date_end", f"{last} is before date_start {first}; the row is impossible")
    prec = PRECISION.get(row["date_prec"].strip())
    if prec is None:
        raise BadField("date_prec", f"{row['date_prec']!r} must be 1..5")
    if prec is Precision.DAY and first != last:
        prec = Precision.DAYS
    stated = str(first) if first == last else f"{first}/{last}"
    window = local_day_window(first, last, tz, prec, stated)
    lat = float_field(row, "latitude", -90, 90)
    lon = float_field(row, "longitude", -180, 180)
    where_prec = int_field(row, "where_prec", 1, 7)
    if not row["side_a"].strip():
        raise BadField("side_a", "is empty; every UCDP event has a side A")
    side_a = name_field(row["side_a"], "side_a")
    side_b = name_field(row["side_b"], "side_b") if row["side_b"].strip() else ""
    low = int_field(row, "low", 0, optional=True)
    best = int_field(row, "best", 0)
    high = int_field(row, "high", 0, optional=True)
    quality = []  # kept as the source coded them, flagged, never silently "fixed"
    if low is not None and best is not None and low > best:
        quality.append(f"UCDP codes low {low} above best {best}")
    if high is not None and best is not None and high < best:
        quality.append(f"UCDP codes high {high} below best {best}")
    by_side = []
    for name in ("deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown"):
        value = int_field(row, name, 0, optional=True)
        if value is not None:
            by_side.append((name.removeprefix("deaths_"), value))
    offices = [o.strip() for o in row.get("source_office", "").split(";")]
    dates = [d.strip() for d in row.get("source_date", "").split(";")]
    pairs = [
        (o, d)
        for o, d in zip(offices, dates + [""] * (len(offices) - len(dates)), strict=False)
        if o or d
    ]
    unreadable = sorted({d for _, d in pairs if len(d) == 10 and _source_day(d) is None})
    if unreadable:  # 2016-02-30, or a year outside the range the store keeps: flagged, not kept
        quality.append(f"source date(s) {', '.join(unreadable)} are not dates within "
                       f"{FIRST_YEAR}–{LAST_YEAR} and are ignored")  # fmt: skip
    sources = tuple(
        SourceRef(name=o or "unknown", date=d if len(d) == 10 and d not in unreadable else "")
        for o, d in pairs
    )
    seen = [day for s in sources if s.date and (day := _source_day(s.date)) is not None]
    late = [d for d in seen if d > last + SOURCE_LAG_LIMIT]
    if late:  # a typed year (2919-02-06 for 2019-02-06): never "known" centuries later
        quality.append(f"source date(s) {', '.join(map(str, sorted(set(late))))} long after the event "
                       f"(ends {last}) are ignored as typing errors")  # fmt: skip
        seen = [d for d in seen if d <= last + SOURCE_LAG_LIMIT]
    first_seen = min(seen) if seen else last
    if first_seen < first:
        quality.append(f"source date {first_seen} precedes the event; known from the event date")
        first_seen = first
    known_from = datetime.combine(first_seen + timedelta(days=1), time(0), tzinfo=tz)
    n_sources = int_field(row, "number_of_sources", 0, optional=True) or len(sources)
    occurrence = coded_occurrence(
        n_sources,
        known_from,
        "UCDP GED coding",
        f"{n_sources} source(s); event_clarity {row.get('event_clarity', '').strip() or '?'}",
    )
    actors = [IncidentActor(side_a, "side_a")]
    if side_b:
        actors.append(IncidentActor(side_b, "side_b"))
    return Incident(
        source_system="ucdp",
        source_id=source_id,
        window=window,
        place=Place(
            name=row.get("where_coordinates", "").strip(),
            lat=lat,
            lon=lon,
            precision=where_prec,
            admin1=row.get("adm_1", "").strip(),
            admin2=row.get("adm_2", "").strip(),
            country=row.get("country", "").strip(),
        ),
        actors=tuple(actors),
        category=category,
        sub_category=row.get("dyad_name", "").strip(),
        fatalities=Fatalities(low, best, high, tuple(by_side)),
        sources=sources,
        notes=("data quality: " + "; ".join(quality)) if quality else "",
        known_from=known_from,
        judgements=(occurrence,),
        native=tuple(row.items()),
    )


def parse_ucdp(path: Path, tz: ZoneInfo) -> Batch:
    return parse_csv_batch(
        path, "ucdp", REQUIRED, "UCDP GED", lambda row: ucdp_row_to_incident(row, tz), "id"
    )
