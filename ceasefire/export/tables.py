"""Incidents → UCDP GED CSV, ACLED CSV and GeoJSON.

An incident imported from the same system is written back from ``native``, value for value, so
that importing the written file gives incidents with identical content hashes.  Incidents from
other systems are written from their typed fields; columns with no typed counterpart are left
empty rather than guessed.

Every CSV cell (UCDP, ACLED, HXL) that a spreadsheet would run as a formula — one starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return, and not a plain number — is written with a
leading apostrophe (:func:`neutralised`): an incident named ``=HYPERLINK(…)`` reaches the analyst
as text.  Such a cell no longer round-trips byte for byte; no cell of the UCDP or ACLED data does
start so.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from ceasefire.intake.acled import ACLED_COLUMNS
from ceasefire.intake.ucdp import UCDP_COLUMNS
from ceasefire.model.incidents import Incident
from ceasefire.model.timewindow import Precision

__all__ = [
    "geojson_feature_collection",
    "neutralised",
    "write_acled_csv",
    "write_geojson",
    "write_hxl_csv",
    "write_ucdp_csv",
]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def neutralised(cell: str) -> str:
    """The cell as text a spreadsheet shows and never evaluates: a leading apostrophe before one
    that starts like a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return), unless it is a
    plain number such as ``-12.5``."""
    if cell.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


_UCDP_VIOLENCE = {"state_based": "1", "non_state": "2", "one_sided": "3"}
_UCDP_DATE_PREC = {
    Precision.EXACT: "1",
    Precision.HOUR: "1",
    Precision.DAY: "1",
    Precision.DAYS: "2",
    Precision.WEEK: "3",
    Precision.MONTH: "4",
    Precision.YEAR: "5",
}
_ACLED_TIME_PREC = {
    Precision.EXACT: "1",
    Precision.HOUR: "1",
    Precision.DAY: "1",
    Precision.DAYS: "2",
    Precision.WEEK: "2",
}  # anything coarser is 3 (within the month)


def _text(value: object) -> str:
    return "" if value is None else str(value)


LOCAL_TZ = ZoneInfo("Asia/Damascus")  # stored windows are UTC; rows speak in local days


def _days(incident: Incident, tz: ZoneInfo = LOCAL_TZ) -> tuple[date, date]:
    """First and last local day of the window (stored windows come back in UTC)."""
    start = incident.window.start.astimezone(tz)
    last = (incident.window.end - timedelta(microseconds=1)).astimezone(tz)
    return start.date(), last.date()


def _names(incident: Incident, *roles: str, sep: str = "; ") -> str:
    return sep.join(a.name for a in incident.actors_in(*roles))


def _write(rows: Iterable[Mapping[str, str]], columns: tuple[str, ...], out: TextIO) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([neutralised(row.get(c, "")) for c in columns])
        count += 1
    return count


def _ucdp_row(incident: Incident) -> dict[str, str]:
    if incident.source_system == "ucdp" and incident.native:
        return dict(incident.native)
    first, last = _days(incident)
    place, deaths = incident.place, incident.fatalities
    by_side = dict(deaths.by_side)
    row = {
        "id": incident.key,
        "year": str(first.year),
        "type_of_violence": _UCDP_VIOLENCE.get(incident.category, ""),
        "side_a": _names(incident, "side_a", "actor1"),
        "side_b": _names(incident, "side_b", "actor2"),
        "number_of_sources": str(len(incident.sources)) if incident.sources else "",
        "source_office": ";".join(s.name for s in incident.sources),
        "source_date": ";".join(s.date for s in incident.sources if s.date),
        "where_prec": _text(place.precision),
        "where_coordinates": place.name,
        "adm_1": place.admin1,
        "adm_2": place.admin2,
        "latitude": _text(place.lat),
        "longitude": _text(place.lon),
        "country": place.country,
        "date_prec": _UCDP_DATE_PREC[incident.window.precision],
        "date_start": first.isoformat(),
        "date_end": last.isoformat(),
        "low": _text(deaths.low),
        "best": _text(deaths.best),
        "high": _text(deaths.high),
    }
    if place.lat is not None and place.lon is not None:
        row["geom_wkt"] = f"POINT ({place.lon} {place.lat})"
    for side in ("a", "b", "civilians", "unknown"):
        row[f"deaths_{side}"] = _text(by_side.get(side))
    return row


def _acled_geo_precision(where_prec: int | None) -> str:
    if where_prec is None:
        return ""
    if where_prec == 1:
        return "1"
    return "2" if where_prec in (2, 3) else "3"


def _acled_row(incident: Incident) -> dict[str, str]:
    if incident.source_system == "acled" and incident.native:
        return dict(incident.native)
    first, _ = _days(incident)
    place = incident.place
    own = incident.source_system == "acled"  # its category is an ACLED event type
    return {
        "event_id_cnty": incident.key,
        "event_date": first.isoformat(),
        "year": str(first.year),
        "time_precision": _ACLED_TIME_PREC.get(incident.window.precision, "3"),
        "event_type": incident.category if own else "",
        "sub_event_type": incident.sub_category if own else "",
        "actor1": _names(incident, "side_a", "actor1"),
        "assoc_actor_1": _names(incident, "assoc_actor_1"),
        "actor2": _names(incident, "side_b", "actor2"),
        "assoc_actor_2": _names(incident, "assoc_actor_2"),
        "country": place.country,
        "admin1": place.admin1,
        "admin2": place.admin2,
        "admin3": place.admin3,
        "location": place.name,
        "latitude": _text(place.lat),
        "longitude": _text(place.lon),
        "geo_precision": _acled_geo_precision(place.precision),
        "source": "; ".join(s.name for s in incident.sources),
        "fatalities": _text(incident.fatalities.best),
    }


def write_ucdp_csv(incidents: Iterable[Incident], out: TextIO) -> int:
    """Write the 41 UCDP GED columns; return the number of rows written."""
    return _write((_ucdp_row(i) for i in incidents), UCDP_COLUMNS, out)


def write_acled_csv(incidents: Iterable[Incident], out: TextIO) -> int:
    """Write the 31 ACLED export columns; return the number of rows written."""
    return _write((_acled_row(i) for i in incidents), ACLED_COLUMNS, out)


# HXL (Humanitarian Exchange Language): a header row, then a row of hashtags, then the data
HXL_COLUMNS = (
    ("incident", "#event+id"), ("source_system", "#meta+source"), ("start", "#date+start"),
    ("end", "#date+end"), ("precision", "#date+precision"), ("place", "#loc+name"),
    ("admin1", "#adm1+name"), ("lat", "#geo+lat"), ("lon", "#geo+lon"), ("category", "#event+type"),
    ("sub_category", "#event+subtype"), ("actors", "#org+name"), ("fatalities", "#affected+killed"),
    ("qualification", "#status+qualification"), ("codes", "#indicator+code"),
)  # fmt: skip


def write_hxl_csv(incidents: Iterable[Incident], out: TextIO,
                  findings: Mapping[str, Mapping[str, Any]] | None = None) -> int:  # fmt: skip
    """Incidents as HXL-tagged CSV (for humanitarian users), with findings when given."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([name for name, _ in HXL_COLUMNS])
    writer.writerow([tag for _, tag in HXL_COLUMNS])
    n = 0
    for incident in sorted(incidents, key=lambda i: i.key):
        first, last = _days(incident)
        finding = (findings or {}).get(incident.key, {})
        writer.writerow([neutralised(cell) for cell in (
            incident.key, incident.source_system, first.isoformat(), last.isoformat(),
            incident.window.precision.value, incident.place.name, incident.place.admin1,
            _text(incident.place.lat), _text(incident.place.lon), incident.category, incident.sub_category,
            _names(incident, "side_a", "side_b", "actor1", "actor2", "perpetrator", "target"),
            _text(incident.fatalities.best), _text(finding.get("qualification", "")),
            ",".join(map(str, finding.get("codes", []))),
        )])  # fmt: skip
        n += 1
    return n


def _feature(incident: Incident, finding: Mapping[str, Any] | None) -> dict[str, Any]:
    place = incident.place
    geometry: dict[str, Any] | None = None
    if place.lat is not None and place.lon is not None:
        geometry = {"type": "Point", "coordinates": [round(place.lon, 6), round(place.lat, 6)]}
    properties: dict[str, Any] = {
        "key": incident.key,
        "source_system": incident.source_system,
        "source_id": incident.source_id,
        "start": incident.window.start.isoformat(),
        "end": incident.window.end.isoformat(),
        "precision": incident.window.precision.value,
        "place": place.name,
        "where_precision": place.precision,
        "admin1": place.admin1,
        "category": incident.category,
        "sub_category": incident.sub_category,
        "actors": "; ".join(a.name for a in incident.actors),
        "fatalities_best": incident.fatalities.best,
    }
    if finding is not None:
        codes = finding.get("codes", ())
        properties["qualification"] = finding.get("qualification")
        properties["codes"] = codes if isinstance(codes, str) else ",".join(map(str, codes))
    return {"type": "Feature", "id": incident.key, "geometry": geometry, "properties": properties}


def geojson_feature_collection(
    incidents: Iterable[Incident], findings: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """An RFC 7946 FeatureCollection, one Point ([lon, lat]) per incident, sorted by key."""
    findings = findings or {}
    return {
        "type": "FeatureCollection",
        "features": [
            _feature(i, findings.get(i.key)) for i in sorted(incidents, key=lambda i: i.key)
        ],
    }


def write_geojson(obj: Mapping[str, Any], out: TextIO) -> None:
    json.dump(obj, out, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    out.write("\n")
