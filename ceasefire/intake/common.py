"""What every importer shares: opening plain or gzip files, row problems, parsed batches.

:class:`Batch` and :class:`RowProblem` are defined in :mod:`ceasefire.model.batches` (the store
writes them too, and sits below intake); they stay importable from here.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from ceasefire.errors import IntakeError
from ceasefire.model.batches import Batch, RowProblem
from ceasefire.model.incidents import Axis, Judgement

__all__ = [
    "MAX_FIELD",
    "BadField",
    "Batch",
    "RowProblem",
    "open_text",
    "parse_csv_batch",
    "read_csv_rows",
]

MAX_FIELD = 1_000_000  # characters in one CSV field; larger means a broken or hostile file


class BadField(ValueError):
    """Raised by a row converter: the named field is wrong, and why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field


def int_field(row: dict[str, str], name: str, lo: int | None = None, hi: int | None = None,
              optional: bool = False) -> int | None:  # fmt: skip
    """A whole number from a CSV cell ("12" or "12.0"), within [lo, hi]."""
    text = row.get(name, "").strip()
    if not text:
        if optional:
            return None
        raise BadField(name, "is empty; a whole number is required")
    try:
        value = int(float(text)) if text.endswith(".0") else int(text)
    except ValueError:
        raise BadField(name, f"{text!r} is not a whole number") from None
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        bounds = f"{lo}..{hi}" if hi is not None else f"≥ {lo}"
        raise BadField(name, f"{value} is outside {bounds}")
    return value


def float_field(row: dict[str, str], name: str, lo: float, hi: float) -> float:
    """A number from a CSV cell, within [lo, hi]."""
    text = row.get(name, "").strip()
    try:
        value = float(text)
    except ValueError:
        raise BadField(name, f"{text!r} is not a number") from None
    if not lo <= value <= hi:
        raise BadField(name, f"{value} is outside {lo}..{hi}")
    return value


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
    for line, row in read_csv_rows(path, required, what):
        if "__error__" in row:
            batch.problems.append(RowProblem(str(path), line, "(row)", row["__error__"]))
            continue
        try:
            record = convert(row)
        except BadField as exc:
            raw = ",".join(row.values())[:2000]
            batch.problems.append(RowProblem(str(path), line, exc.field, str(exc), raw))
            continue
        if record.source_id in seen:
            reason = f"{id_field} {record.source_id} repeats line {seen[record.source_id]}"
            batch.problems.append(RowProblem(str(path), line, id_field, reason))
            continue
        seen[record.source_id] = line
        batch.records.append(record)
    return batch


def open_text(path: Path) -> io.TextIOWrapper:
    """Open a UTF-8 text file, gzip or plain, with a clear error for anything else."""
    if not path.exists():
        raise IntakeError(f"{path}: no such file. Check the path.")
    if path.is_dir():
        raise IntakeError(f"{path}: is a folder; give a file.")
    with path.open("rb") as probe:
        magic = probe.read(2)
    raw: Any = gzip.open(path, "rb") if magic == b"\x1f\x8b" else path.open("rb")  # noqa: SIM115 - the wrapper owns it
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
    except (OSError, EOFError) as exc:
        raise IntakeError(f"{path}: could not be read ({exc}).") from exc
    finally:
        handle.close()
