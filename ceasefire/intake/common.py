"""What every importer shares: opening plain or gzip files (bounded), reading CSV cells into typed
values (bounded), row problems and parsed batches.

:class:`Batch`, :class:`RowProblem` and :class:`BadField` are defined in
:mod:`ceasefire.model.batches` (the store writes them too, and sits below intake); they stay
importable from here.  Every record an importer makes is checked against its stored form
(:mod:`ceasefire.model.stored`) before it joins the batch, so a row that could break a reader is
quarantined here, with its line, rather than stored.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import zlib
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ceasefire._gc import collector_paused
from ceasefire.errors import IntakeError
from ceasefire.model.batches import BadField, Batch, RowProblem
from ceasefire.model.incidents import Axis, Incident, Judgement
from ceasefire.model.stored import MAX_COUNT, check_body
from ceasefire.model.timewindow import parse_day

__all__ = [
    "MAX_FIELD",
    "MAX_GZIP_RATIO",
    "BadField",
    "Batch",
    "RowProblem",
    "check_record",
    "name_field",
    "open_text",
    "parse_csv_batch",
    "read_csv_rows",
]

MAX_FIELD = 1_000_000  # characters in one CSV field; larger means a broken or hostile file
MAX_GZIP_RATIO = 100  # decompressed bytes per compressed byte; CSV and JSON lines give about 10
MIN_GZIP_ALLOWANCE = 64 << 20  # a small archive may always expand to this much
_WHOLE = re.compile(r"[+-]?\d{1,15}(?:\.0+)?")  # "12", "12.0": larger is not a count
_NUMBER_TEXT = 64  # characters: a longer cell is not a coordinate
_CONTROL = re.compile(r"[\x00-\x1f]")  # a character below " ": a name is one line


def int_field(row: dict[str, str], name: str, lo: int | None = None, hi: int | None = None,
              optional: bool = False) -> int | None:  # fmt: skip
    """A whole number from a CSV cell ("12" or "12.0"), within [lo, hi] (hi defaults to
    :data:`~ceasefire.model.stored.MAX_COUNT`)."""
    text = row.get(name, "").strip()
    if text.isascii() and text.isdigit() and len(text) <= 15:  # the usual "12": what _WHOLE takes
        value = int(text)
        if (lo is None or value >= lo) and value <= (MAX_COUNT if hi is None else hi):
            return value
    if not text:
        if optional:
            return None
        raise BadField(name, "is empty; a whole number is required")
    if not _WHOLE.fullmatch(text):
        shown = text if len(text) <= 40 else f"{text[:20]}… ({len(text)} characters)"
        raise BadField(name, f"{shown!r} is not a whole number")
    value = int(text.partition(".")[0])
    hi = MAX_COUNT if hi is None else hi
    if (lo is not None and value < lo) or value > hi:
        raise BadField(name, f"{value} is outside {lo if lo is not None else '…'}..{hi}")
    return value


def float_field(row: dict[str, str], name: str, lo: float, hi: float) -> float:
    """A finite number from a CSV cell, within [lo, hi]."""
    text = row.get(name, "").strip()
    try:
        if len(text) > _NUMBER_TEXT:
            raise ValueError
        value = float(text)
    except ValueError:
        shown = text if len(text) <= 40 else f"{text[:20]}… ({len(text)} characters)"
        raise BadField(name, f"{shown!r} is not a number") from None
    if not lo <= value <= hi:  # NaN fails this too
        raise BadField(name, f"{value} is outside {lo}..{hi}")
    return value


def day_field(row: dict[str, str], name: str) -> date:
    """An ISO date from a CSV cell (a date-time's first ten characters), within the years the
    store accepts (:func:`~ceasefire.model.timewindow.parse_day`)."""
    text = row.get(name, "").strip()
    try:
        return parse_day(text[:10] if len(text) > 10 and text[10] in " T" else text)
    except ValueError as exc:
        raise BadField(name, str(exc)) from None


def name_field(text: str, field: str) -> str:
    """An actor's name as a source wrote it: one line with at least one letter or digit, at most
    300 characters (``","`` is not a name: the actor registry splits coalitions on commas)."""
    name = text.strip()
    if len(name) > 300:
        raise BadField(field, f"is {len(name)} characters long; a name has at most 300")
    if not any(ch.isalnum() for ch in name) or _CONTROL.search(name):
        raise BadField(field, f"{name!r} is not a name (it needs a letter or a digit, on one line)")
    return name


def coded_occurrence(n_sources: int, known_from: datetime, by: str, note: str) -> Judgement:
    """The occurrence judgement a coded dataset's row carries: corroborated with two or more
    sources, else alleged (the dataset's coders vetted it, the centre did not observe it)."""
    return Judgement(
        axis=Axis.OCCURRENCE,
        value="corroborated" if n_sources >= 2 else "alleged",
        known_from=known_from,
        by=by,
        note=note,
    )


def check_record(record: Any) -> str:
    """The record's JSON text, as the store keeps it; :class:`BadField` unless it is in its stored
    form: what the store will accept and every reader can read.  Records without a stored form
    pass."""
    kind = "incident" if isinstance(record, Incident) else getattr(record, "kind", "")
    try:
        body = json.dumps(record.to_json(), sort_keys=True, ensure_ascii=False, allow_nan=False)
        body.encode("utf-8")
    except ValueError as exc:  # NaN or infinity; a lone surrogate (UnicodeEncodeError)
        raise BadField("(record)", f"cannot be stored as JSON text ({exc})") from None
    check_body(kind, body)
    return body


def parse_csv_batch(
    path: Path,
    kind: str,
    required: tuple[str, ...],
    what: str,
    convert: Callable[[dict[str, str]], Any],
    id_field: str,
) -> Batch:
    """Convert every row; bad rows and repeated ids go to the batch's problems with their line."""
    batch = Batch(kind=kind, file=str(path))
    seen: dict[str, int] = {}
    with collector_paused():  # many records, none in a cycle: see ceasefire._gc
        for line, row in read_csv_rows(path, required, what):
            if "__error__" in row:
                batch.problems.append(RowProblem(str(path), line, "(row)", row["__error__"]))
                continue
            try:
                record = convert(row)
                body = check_record(record)
            except BadField as exc:
                raw = ",".join(row.values())[:2000]
                batch.problems.append(RowProblem(str(path), line, exc.field, str(exc), raw))
                continue
            if record.source_id in seen:
                reason = f"{id_field} {record.source_id} repeats line {seen[record.source_id]}"
                batch.problems.append(RowProblem(str(path), line, id_field, reason))
                continue
            seen[record.source_id] = line
            batch.add(record, body)
    return batch


class _BoundedGzip(io.RawIOBase):
    """A gzip stream that stops with :class:`IntakeError` past ``limit`` decompressed bytes (a
    ratio bomb) and turns a corrupt stream into one too."""

    def __init__(self, path: Path, limit: int) -> None:
        self._inner = gzip.open(path, "rb")  # noqa: SIM115 - closed by close()
        self._path, self._limit, self._read = path, limit, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            n = self._inner.readinto(buffer)
        except (OSError, EOFError, zlib.error) as exc:
            raise IntakeError(
                f"{self._path}: the gzip data is corrupt after {self._read:,} bytes ({exc}); "
                "compress the file again."
            ) from exc
        self._read += n
        if self._read > self._limit:
            raise IntakeError(
                f"{self._path}: decompresses to more than {self._limit:,} bytes (over "
                f"{MAX_GZIP_RATIO} times its size); this is not a data file but a gzip bomb."
            )
        return n

    def close(self) -> None:
        self._inner.close()
        super().close()


def open_text(path: Path) -> io.TextIOWrapper:
    """Open a UTF-8 text file, gzip or plain, with a clear error for anything else; a gzip file
    may expand to at most :data:`MAX_GZIP_RATIO` times its size (or 64 MB when small)."""
    if not path.exists():
        raise IntakeError(f"{path}: no such file. Check the path.")
    if path.is_dir():
        raise IntakeError(f"{path}: is a folder; give a file.")
    with path.open("rb") as probe:
        magic = probe.read(2)
    raw: Any
    if magic == b"\x1f\x8b":
        limit = max(MIN_GZIP_ALLOWANCE, MAX_GZIP_RATIO * path.stat().st_size)
        raw = io.BufferedReader(_BoundedGzip(path, limit))
    else:
        raw = path.open("rb")  # the wrapper owns it
    return io.TextIOWrapper(raw, encoding="utf-8", errors="strict", newline="")


def read_csv_rows(
    path: Path, required: tuple[str, ...], what: str
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) from a CSV whose header must hold ``required``."""
    csv.field_size_limit(MAX_FIELD)
    handle = open_text(path)
    try:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            raise IntakeError(
                f"{path}: the file is empty; expected a {what} CSV with a header row."
            ) from None
        header = [h.strip().lstrip("\ufeff") for h in header]
        missing = [c for c in required if c not in header]
        if missing:
            raise IntakeError(
                f"{path}:1: header: missing column(s) {', '.join(missing)}; "
                f"this does not look like a {what} CSV."
            )
        if len(set(header)) != len(header) or len(header) > 500:
            raise IntakeError(
                f"{path}:1: header: has {len(header)} columns, some repeated or too many "
                f"(at most 500, each named once); this does not look like a {what} CSV."
            )
        for row in reader:
            line = reader.line_num
            if len(row) != len(header):
                yield line, {"__error__": f"has {len(row)} fields, the header has {len(header)}"}
                continue
            yield line, dict(zip(header, row, strict=True))
    except UnicodeDecodeError as exc:
        raise IntakeError(
            f"{path}: is not UTF-8 text (byte {exc.start}: {exc.reason}); "
            "convert it to UTF-8 and import again."
        ) from exc
    except csv.Error as exc:
        raise IntakeError(f"{path}: is not a readable CSV file ({exc}).") from exc
    except (OSError, EOFError, zlib.error) as exc:
        raise IntakeError(f"{path}: could not be read ({exc}).") from exc
    finally:
        handle.close()
