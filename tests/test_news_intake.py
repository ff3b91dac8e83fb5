"""News intake: every kind of bad input is quarantined with where and why; the rest goes on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ceasefire.errors import IntakeError
from ceasefire.intake.news import MAX_DOCUMENT_BYTES, read_news
from tests.conftest import STORELESS, TZ

pytestmark = STORELESS


def _jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_good_and_bad_lines(tmp_path: Path) -> None:
    good = {"id": "a1", "published": "2016-09-14", "source": "wire", "text": "Shelling hit a town."}
    timed = {
        "id": "a2",
        "published": "2016-09-14T10:30:00+03:00",
        "source": "wire",
        "html": "<p>x</p>",
    }
    path = _jsonl(tmp_path / "n.jsonl", [
        json.dumps(good),
        "{not json",
        json.dumps({"id": "a3", "source": "wire", "text": "no date here"}),
        json.dumps({"id": "a4", "published": "2016-02-30", "source": "wire", "text": "impossible date"}),
        json.dumps({"id": "a5", "published": "2016-09-14", "source": "wire", "text": "   "}),
        json.dumps(timed),
        json.dumps(good),
        "[1, 2]",
    ])  # fmt: skip
    batch = read_news([path], TZ)
    assert [d.id for d in batch.documents] == ["a1", "a2"]
    assert batch.documents[0].published_precision == "day"
    assert batch.documents[1].is_html
    assert batch.documents[1].published_precision == "exact"
    where = [(p.line, p.field) for p in batch.problems]
    assert where == [
        (2, "(json)"),
        (3, "published"),
        (4, "published"),
        (5, "text"),
        (7, "id"),
        (8, "(json)"),
    ]
    assert "is missing" in batch.problems[1].reason
    assert "not an ISO date" in batch.problems[2].reason


def test_folder_of_files_with_defaults(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "one.txt").write_text("Clashes were reported near the road.", encoding="utf-8")
    (folder / "two.html").write_bytes(
        "<html><head><meta charset='windows-1256'></head><body>حلب</body></html>".encode("cp1256")
    )
    (folder / "bin.txt").write_bytes(b"\x00\x01\x02binary")
    (folder / "bad.txt").write_bytes("caf\xe9".encode("latin-1"))
    (folder / "empty.jsonl").write_bytes(b"")
    (folder / "notes.pdf").write_bytes(b"%PDF")
    batch = read_news([folder], TZ, source="local", published="2016-09-15")
    assert sorted(d.id for d in batch.documents) == ["one", "two"]
    assert "حلب" in next(d for d in batch.documents if d.id == "two").raw
    reasons = {Path(p.file).name: p.reason for p in batch.problems}
    assert "binary" in reasons["bin.txt"]
    assert "not UTF-8" in reasons["bad.txt"]
    assert reasons["empty.jsonl"] == "is empty"
    assert "not .jsonl" in reasons["notes.pdf"]


def test_files_without_a_date_are_quarantined(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("An article without a date.", encoding="utf-8")
    batch = read_news([tmp_path / "x.txt"], TZ, source="s")
    assert not batch.documents
    assert batch.problems[0].reason.startswith("published:")


def test_huge_html_is_refused_not_parsed(tmp_path: Path) -> None:
    big = tmp_path / "big.html"
    big.write_bytes(b"<div>" + b"x" * (MAX_DOCUMENT_BYTES + 10) + b"</div>")
    batch = read_news([big], TZ, source="s", published="2016-09-14")
    assert not batch.documents
    assert "larger than" in batch.problems[0].reason


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(IntakeError, match="no such file"):
        read_news([tmp_path / "missing.jsonl"], TZ)
