"""Import into the SQLite store: all-or-nothing batches, quarantine, revisions, idempotence."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from ceasefire.errors import IntakeError, StoreError
from ceasefire.intake.common import Batch
from ceasefire.service import import_file
from ceasefire.store import Store
from tests.conftest import TZ, UCDP_SEPT, write_csv


def test_fixture_imports_once_then_changes_nothing(store: Store) -> None:
    first = import_file(store, "ucdp", UCDP_SEPT, TZ)
    assert (first.added, first.revised, first.unchanged, first.quarantined) == (313, 0, 0, 0)
    again = import_file(store, "ucdp", UCDP_SEPT, TZ)
    assert (again.added, again.revised, again.unchanged, again.quarantined) == (0, 0, 313, 0)
    assert store.count_incidents() == 313


def test_three_malformed_rows_in_three_hundred(
    tmp_path: Path, store: Store, sept_rows: list[dict[str, str]]
) -> None:
    rows = [dict(r) for r in sept_rows[:300]]
    rows[10]["date_start"] = "2016-13-01"  # impossible month
    rows[150]["latitude"] = "north"
    rows[299]["type_of_violence"] = "7"
    path = write_csv(tmp_path / "ucdp.csv", rows)
    summary = import_file(store, "ucdp", path, TZ)
    assert (summary.added, summary.quarantined) == (297, 3)
    located = sorted((p.line, p.field) for p in summary.problems)
    # line 1 is the header; rows are one line each in this file
    assert located == [(12, "date_start"), (152, "latitude"), (301, "type_of_violence")]
    assert all(p.reason for p in summary.problems)
    assert [q["field"] for q in store.quarantine()] == [
        "date_start",
        "latitude",
        "type_of_violence",
    ]
    again = import_file(store, "ucdp", path, TZ)
    assert (again.added, again.unchanged, again.quarantined) == (0, 297, 3)


def test_end_before_start_is_quarantined(
    tmp_path: Path, store: Store, sept_rows: list[dict[str, str]]
) -> None:
    rows = [dict(sept_rows[0])]
    rows[0]["date_end"] = "2016-09-01"
    summary = import_file(store, "ucdp", write_csv(tmp_path / "u.csv", rows), TZ)
    assert summary.quarantined == 1
    assert "before date_start" in summary.problems[0].reason


def test_changed_row_becomes_a_revision(
    tmp_path: Path, store: Store, sept_rows: list[dict[str, str]]
) -> None:
    rows = [dict(r) for r in sept_rows[:5]]
    import_file(store, "ucdp", write_csv(tmp_path / "a.csv", rows), TZ)
    rows[2]["best"] = str(int(rows[2]["best"]) + 3)
    rows[2]["high"] = str(max(int(rows[2]["high"]), int(rows[2]["best"])))
    summary = import_file(store, "ucdp", write_csv(tmp_path / "b.csv", rows), TZ)
    assert (summary.added, summary.revised, summary.unchanged) == (0, 1, 4)
    key = f"ucdp:{rows[2]['id']}"
    history = store.incident_history(key)
    assert [rev for rev, _ in history] == [1, 2]
    assert history[1][1].fatalities.best == history[0][1].fatalities.best + 3  # type: ignore[operator]


def test_gzip_input(tmp_path: Path, store: Store) -> None:
    packed = tmp_path / "ucdp.csv.gz"
    packed.write_bytes(gzip.compress(UCDP_SEPT.read_bytes()))
    assert import_file(store, "ucdp", packed, TZ).added == 313


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"id,foo\n1,2\n", r"missing column\(s\) type_of_violence"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
    ],
)
def test_unreadable_files_write_nothing(
    tmp_path: Path, store: Store, content: bytes, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(IntakeError, match=message):
        import_file(store, "ucdp", path, TZ)
    assert store.count_incidents() == 0
    assert store.conn.execute("SELECT count(*) FROM batches").fetchone()[0] == 0


def test_failure_mid_batch_rolls_back_everything(store: Store, sept_incidents: list) -> None:  # type: ignore[type-arg]
    batch = Batch("ucdp", str(UCDP_SEPT), records=[*sept_incidents[:10], object()])
    with pytest.raises(AttributeError):
        store.import_batch(batch)
    assert store.count_incidents() == 0


def test_workspace_on_disk_uses_wal_and_survives_reopen(tmp_path: Path) -> None:
    with Store(tmp_path / "ws") as store:
        import_file(store, "ucdp", UCDP_SEPT, TZ)
        if store.dialect == "sqlite":
            assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with Store(tmp_path / "ws") as store:
        assert store.count_incidents() == 313


def test_a_file_that_is_not_a_database_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CEASEFIRE_DATABASE_URL", raising=False)  # the embedded file itself
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "ceasefire.sqlite").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a usable ceasefire database"):
        Store(ws).count_incidents()


def test_a_record_replaced_after_it_was_read_is_checked_again(store: Store) -> None:
    """The store writes the body checked when the file was read only for that very record: one
    put in its place afterwards (here a place name over 300 characters) is checked again and
    quarantined, and nothing of it is stored."""
    from dataclasses import replace

    from ceasefire.intake.ucdp import parse_ucdp

    batch = parse_ucdp(UCDP_SEPT, TZ)
    first = batch.records[0]
    batch.records[0] = replace(first, place=replace(first.place, admin1="A" * 301))
    summary = store.import_batch(batch)
    assert (summary.added, summary.quarantined) == (312, 1)
    assert summary.problems[0].field == "place.admin1"
    assert first.key in summary.problems[0].reason
    assert store.incident(first.key) is None


def test_revisions_and_quarantine_are_vouched_for_by_the_audit(
    tmp_path: Path, store: Store, sept_rows: list[dict[str, str]]
) -> None:
    """An import that adds, revises and quarantines: the audit's entry commits to exactly the rows
    as stored (verify finds nothing), and an edit of a revised body afterwards is named."""
    from ceasefire.store import audit

    rows = [dict(r) for r in sept_rows[:20]]
    import_file(store, "ucdp", write_csv(tmp_path / "a.csv", rows), TZ)
    rows[3]["best"] = str(int(rows[3]["best"]) + 2)
    rows[3]["high"] = str(max(int(rows[3]["high"]), int(rows[3]["best"])))
    rows[7]["latitude"] = "north"
    rows.append(dict(sept_rows[20]))
    summary = import_file(store, "ucdp", write_csv(tmp_path / "b.csv", rows), TZ)
    assert (summary.added, summary.revised, summary.unchanged, summary.quarantined) == (1, 1, 18, 1)
    assert audit.verify(store.conn) == []
    key = f"ucdp:{rows[3]['id']}"
    with store.transaction():
        store.conn.execute(
            "UPDATE incident_revisions SET body = replace(body, 'UCDP', 'ucdp') "
            "WHERE key = ? AND revision = 2",
            (key,),
        )
    named = [p.row for p in audit.verify(store.conn)]
    assert named == [f"incident_revisions(key={key}, revision=2)"]
