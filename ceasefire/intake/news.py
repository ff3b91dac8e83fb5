"""News intake: JSON-lines files of articles, and folders of ``.txt`` / ``.html`` files.

A JSON line is ``{"id", "published", "source", "url"?, "title"?, "text"? | "html"?}``;
``published`` is a date or a date-time with offset.  Files in a folder take ``--published`` and
``--source`` from the command line.  A document that cannot be read or dated is quarantined with
its file, line and reason; the others go on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from ceasefire.errors import IntakeError
from ceasefire.intake.common import RowProblem
from ceasefire.model.documents import Document
from ceasefire.model.timewindow import parse_day, parse_instant

__all__ = ["MAX_DOCUMENT_BYTES", "NewsBatch", "read_news"]

MAX_DOCUMENT_BYTES = 5_000_000  # one article; a larger page is not an article
_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_\-]+)""", re.IGNORECASE)


@dataclass
class NewsBatch:
    documents: list[Document] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


def _published(value: object, tz: ZoneInfo) -> tuple[datetime, str]:
    """A date (taken at local noon, precision ``day``) or a date-time (naive: in ``tz``), within
    the years the store keeps (the one parser: :mod:`ceasefire.model.timewindow`)."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("is missing; give a date (2016-09-14) or a date-time with offset")
    text = value.strip()
    try:
        if len(text) == 10:
            return datetime.combine(parse_day(text), time(12), tzinfo=tz), "day"
        return parse_instant(text, tz), "exact"
    except ValueError as exc:
        raise ValueError(f"is not an ISO date or date-time the centre keeps: {exc}") from None


def _decode(data: bytes, is_html: bool) -> str:
    if b"\x00" in data[:4096]:
        raise ValueError("is binary, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if is_html:
        match = _CHARSET.search(data[:4096])
        if match:
            try:
                return data.decode(match.group(1).decode("ascii"))
            except (LookupError, UnicodeDecodeError):
                pass
    raise ValueError("is not UTF-8 and declares no usable charset; convert it to UTF-8")


def _document(obj: dict[str, object], tz: ZoneInfo, default_source: str | None,
              default_published: str | None) -> Document:  # fmt: skip
    doc_id = obj.get("id")
    if not isinstance(doc_id, (str, int)) or isinstance(doc_id, bool) or str(doc_id) == "":
        raise ValueError("id: is missing")
    html, text = obj.get("html"), obj.get("text")
    if html is None and text is None:
        raise ValueError("text: give 'text' or 'html'")
    body = html if html is not None else text
    if not isinstance(body, str):
        raise ValueError("text: must be a string")
    if not body.strip():
        raise ValueError("text: is empty")
    if len(body.encode("utf-8")) > MAX_DOCUMENT_BYTES:
        raise ValueError(
            f"text: is larger than {MAX_DOCUMENT_BYTES // 1_000_000} MB; not an article"
        )
    source = obj.get("source") or default_source
    if not isinstance(source, str) or not source:
        raise ValueError("source: is missing")
    try:
        published, precision = _published(obj.get("published") or default_published, tz)
    except ValueError as exc:
        raise ValueError(f"published: {exc}") from None
    return Document(
        id=str(doc_id),
        source=source,
        published=published,
        published_precision=precision,
        url=str(obj.get("url") or ""),
        title=str(obj.get("title") or ""),
        raw=body,
        is_html=html is not None,
    )


def read_news(paths: Iterable[Path], tz: ZoneInfo, source: str | None = None,
              published: str | None = None) -> NewsBatch:  # fmt: skip
    batch = NewsBatch()
    seen: dict[str, str] = {}

    def add(doc: Document, where: str, line: int) -> None:
        if doc.id in seen:
            batch.problems.append(
                RowProblem(where, line, "id", f"{doc.id!r} repeats {seen[doc.id]}")
            )
            return
        seen[doc.id] = f"{where}:{line}"
        batch.documents.append(doc)

    for path in paths:
        if not path.exists():
            raise IntakeError(f"{path}: no such file or folder.")
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            suffix = file.suffix.lower()
            if suffix in (".jsonl", ".json", ".ndjson"):
                _read_jsonl(file, tz, source, published, batch, add)
            elif suffix in (".txt", ".html", ".htm"):
                try:
                    if file.stat().st_size > MAX_DOCUMENT_BYTES:
                        raise ValueError(
                            f"is larger than {MAX_DOCUMENT_BYTES // 1_000_000} MB; not an article"
                        )
                    text = _decode(file.read_bytes(), suffix != ".txt")
                    obj: dict[str, object] = {
                        "id": file.stem,
                        ("text" if suffix == ".txt" else "html"): text,
                    }
                    add(_document(obj, tz, source, published), str(file), 1)
                except ValueError as exc:
                    batch.problems.append(RowProblem(str(file), 1, "(document)", str(exc)))
            else:
                batch.problems.append(
                    RowProblem(
                        str(file),
                        1,
                        "(file)",
                        f"{suffix or 'no extension'} is not .jsonl, .txt or .html",
                    )
                )
    return batch


def _read_jsonl(file: Path, tz: ZoneInfo, source: str | None, published: str | None, batch: NewsBatch,
                add: object) -> None:  # fmt: skip
    data = file.read_bytes()
    if not data.strip():
        batch.problems.append(RowProblem(str(file), 1, "(file)", "is empty"))
        return
    try:
        text = _decode(data, False)
    except ValueError as exc:
        batch.problems.append(RowProblem(str(file), 1, "(file)", str(exc)))
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            batch.problems.append(
                RowProblem(str(file), number, "(json)", f"is not valid JSON: {exc.msg}")
            )
            continue
        except RecursionError:
            batch.problems.append(RowProblem(str(file), number, "(json)", "is nested too deeply"))
            continue
        except ValueError as exc:  # an integer of thousands of digits
            batch.problems.append(RowProblem(str(file), number, "(json)", f"is refused: {exc}"))
            continue
        if not isinstance(obj, dict):
            batch.problems.append(RowProblem(str(file), number, "(json)", "must be a JSON object"))
            continue
        try:
            doc = _document(obj, tz, source, published)
        except ValueError as exc:
            field_name, _, reason = str(exc).partition(": ")
            batch.problems.append(RowProblem(str(file), number, field_name, reason))
            continue
        add(doc, str(file), number)  # type: ignore[operator]
