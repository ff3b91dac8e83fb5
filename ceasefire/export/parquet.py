"""Incidents as Apache Parquet, for analysts' data frames (pandas, R arrow, DuckDB, Spark).

One row per incident, typed columns (UTC instants, local first/last day, nullable integers and
coordinates, actors as a list of name/role structs, findings' codes as a list), plus ``body``: the
stored incident as JSON, so nothing of the original is lost. Rows are in key order and the file
is written without timestamps of its own: the same incidents give a byte-identical file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import IO, Any

from ceasefire.export.tables import LOCAL_TZ, _days
from ceasefire.model.incidents import Incident

__all__ = ["PARQUET_COLUMNS", "write_parquet"]

PARQUET_COLUMNS = (
    "key", "source_system", "source_id", "start_utc", "end_utc", "date_precision", "first_day",
    "last_day", "place", "admin1", "admin2", "country", "lat", "lon", "where_precision",
    "category", "sub_category", "actors", "fatalities_low", "fatalities_best", "fatalities_high",
    "sources", "qualification", "codes", "body",
)  # fmt: skip


def _schema() -> Any:
    import pyarrow as pa

    actor = pa.struct([("name", pa.string()), ("role", pa.string())])
    return pa.schema([
        ("key", pa.string()), ("source_system", pa.string()), ("source_id", pa.string()),
        ("start_utc", pa.timestamp("us", tz="UTC")), ("end_utc", pa.timestamp("us", tz="UTC")),
        ("date_precision", pa.string()), ("first_day", pa.date32()), ("last_day", pa.date32()),
        ("place", pa.string()), ("admin1", pa.string()), ("admin2", pa.string()),
        ("country", pa.string()), ("lat", pa.float64()), ("lon", pa.float64()),
        ("where_precision", pa.int8()), ("category", pa.string()), ("sub_category", pa.string()),
        ("actors", pa.list_(actor)), ("fatalities_low", pa.int32()), ("fatalities_best", pa.int32()),
        ("fatalities_high", pa.int32()), ("sources", pa.list_(pa.string())),
        ("qualification", pa.string()), ("codes", pa.list_(pa.string())), ("body", pa.string()),
    ])  # fmt: skip


def write_parquet(
    incidents: Iterable[Incident],
    out: IO[bytes],
    findings: Mapping[str, Mapping[str, Any]] | None = None,
) -> int:
    """Write the incidents (and, when given, each one's finding) to ``out``; returns the rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns: dict[str, list[Any]] = {name: [] for name in PARQUET_COLUMNS}
    rows = sorted(incidents, key=lambda i: i.key)
    for incident in rows:
        first, last = _days(incident, LOCAL_TZ)
        finding = (findings or {}).get(incident.key)
        codes = finding.get("codes", []) if finding else None
        values = {
            "key": incident.key, "source_system": incident.source_system,
            "source_id": incident.source_id, "start_utc": incident.window.start,
            "end_utc": incident.window.end, "date_precision": incident.window.precision.value,
            "first_day": first, "last_day": last, "place": incident.place.name,
            "admin1": incident.place.admin1, "admin2": incident.place.admin2,
            "country": incident.place.country, "lat": incident.place.lat, "lon": incident.place.lon,
            "where_precision": incident.place.precision, "category": incident.category,
            "sub_category": incident.sub_category,
            "actors": [{"name": a.name, "role": a.role} for a in incident.actors],
            "fatalities_low": incident.fatalities.low, "fatalities_best": incident.fatalities.best,
            "fatalities_high": incident.fatalities.high,
            "sources": [s.name for s in incident.sources],
            "qualification": finding.get("qualification") if finding else None,
            "codes": ([codes] if isinstance(codes, str) else list(codes)) if codes is not None else None,
            "body": json.dumps(incident.to_json(), sort_keys=True, ensure_ascii=False),
        }  # fmt: skip
        for name in PARQUET_COLUMNS:
            columns[name].append(values[name])
    table = pa.table(columns, schema=_schema())
    pq.write_table(table, out, compression="zstd", write_statistics=True)
    return len(rows)
