"""Incidents as Apache Parquet, for analysts' data frames (pandas, R arrow, DuckDB, Spark).

One row per incident, typed columns (UTC instants, local first/last day, nullable integers and
coordinates, actors as a list of name/role structs, findings' codes as a list), plus ``body``: the
stored incident as JSON, so nothing of the original is lost. Rows are in key order and the file
is written without timestamps of its own: the same incidents give a byte-identical file.

:func:`write_partitions` writes the same rows as a hive-style folder, one file per month of the
incident's first local day (``DIR/month=YYYY-MM/part-00000.parquet``): what the distributed
engines (:mod:`ceasefire.engines`) read one partition at a time.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any

from ceasefire.errors import ConfigError
from ceasefire.export.tables import LOCAL_TZ, _days
from ceasefire.model.incidents import Incident

__all__ = [
    "PARQUET_COLUMNS",
    "is_partition_folder",
    "month_of",
    "swap_in",
    "write_parquet",
    "write_partitions",
]

_MONTH_DIR = re.compile(r"month=\d{4}-\d{2}")
_PART_FILE = re.compile(r"part-\d{5}\.parquet")

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


def month_of(incident: Incident) -> str:
    """``YYYY-MM`` of the incident's first local day (the day the ``first_day`` column holds)."""
    first, _ = _days(incident, LOCAL_TZ)
    return f"{first.year:04d}-{first.month:02d}"


def is_partition_folder(folder: Path) -> bool:
    """Whether ``folder`` holds only what :func:`write_partitions` writes (``month=YYYY-MM``
    folders of ``part-NNNNN.parquet`` files): a folder it may replace without losing anything."""
    for entry in folder.iterdir():
        if not (entry.is_dir() and _MONTH_DIR.fullmatch(entry.name)):
            return False
        if not all(_PART_FILE.fullmatch(p.name) and p.is_file() for p in entry.iterdir()):
            return False
    return True


def write_partitions(
    incidents: Iterable[Incident],
    folder: Path,
    findings: Mapping[str, Mapping[str, Any]] | None = None,
    rows_per_file: int | None = None,
) -> dict[str, int]:
    """Write the incidents as ``folder/month=YYYY-MM/part-00000.parquet`` (each file as
    :func:`write_parquet` writes one); returns the rows per month.  ``rows_per_file``: a month
    with more incidents is split, in key order, into ``part-00000``, ``part-00001``, … of at most
    that many rows each (one file is one task for an engine: this bounds a worker's memory).

    ``folder`` may be missing, empty, or a folder written here before (replaced whole: a month no
    longer present does not linger); anything else is refused, since it would be deleted.  The new
    folder is built beside it and swapped in, so a failure leaves the old one as it was."""
    folder = Path(folder)
    if rows_per_file is not None and not 0 < rows_per_file < 100_000:
        raise ConfigError(f"--rows-per-file {rows_per_file}: give 1 to 99,999 (part-NNNNN).")
    if folder.exists():
        if not folder.is_dir():
            raise ConfigError(f"{folder}: is a file; --partition-by writes a folder.")
        if not is_partition_folder(folder):
            raise ConfigError(
                f"{folder}: is not empty and not a partition folder written by `ceasefire export "
                "parquet --partition-by month` (only month=YYYY-MM/part-00000.parquet); give an "
                "empty or new folder."
            )
    by_month: dict[str, list[Incident]] = {}
    for incident in incidents:
        by_month.setdefault(month_of(incident), []).append(incident)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    counts: dict[str, int] = {}
    try:
        for month in sorted(by_month):
            part = staging / f"month={month}"
            part.mkdir()
            rows = sorted(by_month[month], key=lambda i: i.key)
            size = rows_per_file or len(rows)
            for n, start in enumerate(range(0, len(rows), size)):
                data = io.BytesIO()
                write_parquet(rows[start : start + size], data, findings)
                (part / f"part-{n:05d}.parquet").write_bytes(data.getvalue())
            counts[month] = len(rows)
        swap_in(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return counts


def swap_in(staging: Path, folder: Path) -> None:
    """Put the finished ``staging`` folder (a sibling) in place of ``folder``, replacing what was
    there: the old one is moved aside first and removed last, so ``folder`` is never half new."""
    staging.chmod(0o755)  # mkdtemp makes it private; the folder is meant to be shared
    if folder.exists():
        old = folder.with_name(f".{folder.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        folder.replace(old)
        staging.replace(folder)
        shutil.rmtree(old)
    else:
        staging.replace(folder)
