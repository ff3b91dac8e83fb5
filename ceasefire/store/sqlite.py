"""The embedded store: one SQLite file (WAL) in a workspace folder.

An import is one transaction: every record of the batch and every quarantined row are written
together or not at all.  A record whose content is unchanged is counted ``unchanged``; a changed
one becomes a new revision, and the earlier revisions stay readable.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ceasefire.errors import StoreError
from ceasefire.intake.common import Batch, RowProblem
from ceasefire.model.incidents import Incident
from ceasefire.store import audit
from ceasefire.store.migrations import MIGRATIONS

__all__ = ["DB_NAME", "ImportSummary", "Store"]

DB_NAME = "ceasefire.sqlite"


@dataclass(frozen=True)
class ImportSummary:
    kind: str
    file: str
    added: int
    revised: int
    unchanged: int
    quarantined: int
    problems: tuple[RowProblem, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file": self.file,
            "added": self.added,
            "revised": self.revised,
            "unchanged": self.unchanged,
            "quarantined": self.quarantined,
            "problems": [str(p) for p in self.problems],
        }


def _file_hash(path: str) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return ""
    return digest.hexdigest()


def _doc_hash(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


class Store:
    """A workspace folder holding the SQLite database."""

    def __init__(self, workspace: Path, actor: str = "cli") -> None:
        self.workspace = Path(workspace)
        self.actor = actor  # who the audit log names for writes made through this store
        self._conn: sqlite3.Connection | None = None

    @classmethod
    def memory(cls) -> Store:
        store = cls(Path(":memory:"))
        store._conn = sqlite3.connect(":memory:", isolation_level=None)
        store._migrate(store._conn)
        return store

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = self._open()
        return self._conn

    def _open(self) -> sqlite3.Connection:
        try:
            self.workspace.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"Cannot create the workspace folder {self.workspace}: {exc}") from exc
        path = self.workspace / DB_NAME
        try:
            conn = sqlite3.connect(path, isolation_level=None, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._migrate(conn)
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{path} is not a usable ceasefire database ({exc}). "
                "Point --workspace at an empty folder or at an existing workspace."
            ) from exc
        return conn

    @staticmethod
    def _migrate(conn: sqlite3.Connection) -> None:
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        if version > len(MIGRATIONS):
            raise StoreError(
                f"The workspace was written by a newer ceasefire (schema {version}); upgrade ceasefire."
            )
        for number in range(version, len(MIGRATIONS)):
            conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in MIGRATIONS[number].split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number + 1}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -----------------------------------------------------------------------
    def import_batch(self, batch: Batch) -> ImportSummary:
        conn = self.conn
        added = revised = unchanged = 0
        now = datetime.now(UTC).isoformat(timespec="seconds")
        conn.execute("BEGIN IMMEDIATE")
        try:
            cur = conn.execute(
                "INSERT INTO batches(kind, file, sha256, imported_at, added, revised, unchanged, "
                "quarantined) VALUES (?, ?, ?, ?, 0, 0, 0, 0)",
                (batch.kind, batch.file, _file_hash(batch.file), now),
            )
            batch_id = cur.lastrowid
            assert batch_id is not None
            for record in batch.records:
                if isinstance(record, Incident):
                    outcome = self._put_incident(record, batch_id)
                else:
                    outcome = self._put_record(record.kind, record.id, record.to_json(), batch_id)
                if outcome == "added":
                    added += 1
                elif outcome == "revised":
                    revised += 1
                else:
                    unchanged += 1
            for problem in batch.problems:
                conn.execute(
                    "INSERT INTO quarantine(batch_id, file, line, field, reason, raw) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        batch_id,
                        problem.file,
                        problem.line,
                        problem.field,
                        problem.reason,
                        problem.raw,
                    ),
                )
            conn.execute(
                "UPDATE batches SET added=?, revised=?, unchanged=?, quarantined=? WHERE id=?",
                (added, revised, unchanged, len(batch.problems), batch_id),
            )
            audit.append(conn, self.actor, f"import.{batch.kind}", batch.file,
                         {"batch": batch_id, "sha256": _file_hash(batch.file), "added": added,
                          "revised": revised, "unchanged": unchanged,
                          "quarantined": len(batch.problems)})  # fmt: skip
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return ImportSummary(
            batch.kind,
            batch.file,
            added,
            revised,
            unchanged,
            len(batch.problems),
            tuple(batch.problems),
        )

    def _put_incident(self, incident: Incident, batch_id: int) -> str:
        body = json.dumps(incident.to_json(), sort_keys=True, ensure_ascii=False)
        digest = _doc_hash(body)
        row = self.conn.execute(
            "SELECT revision, hash FROM incidents WHERE key=?", (incident.key,)
        ).fetchone()
        start = incident.window.start.astimezone(UTC).isoformat()
        end = incident.window.end.astimezone(UTC).isoformat()
        if row is None:
            revision, outcome = 1, "added"
            self.conn.execute(
                "INSERT INTO incidents(key, source_system, source_id, revision, hash, start_utc, "
                "end_utc, body, batch_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    incident.key,
                    incident.source_system,
                    incident.source_id,
                    revision,
                    digest,
                    start,
                    end,
                    body,
                    batch_id,
                ),
            )
        elif row[1] == digest:
            return "unchanged"
        else:
            revision, outcome = row[0] + 1, "revised"
            self.conn.execute(
                "UPDATE incidents SET revision=?, hash=?, start_utc=?, end_utc=?, body=?, "
                "batch_id=? WHERE key=?",
                (revision, digest, start, end, body, batch_id, incident.key),
            )
        self.conn.execute(
            "INSERT INTO incident_revisions(key, revision, hash, body, batch_id) VALUES (?, ?, ?, ?, ?)",
            (incident.key, revision, digest, body, batch_id),
        )
        return outcome

    def _put_record(self, kind: str, record_id: str, data: dict[str, Any], batch_id: int) -> str:
        body = json.dumps(data, sort_keys=True, ensure_ascii=False)
        digest = _doc_hash(body)
        row = self.conn.execute(
            "SELECT revision, hash FROM records WHERE kind=? AND id=?", (kind, record_id)
        ).fetchone()
        if row is None:
            revision, outcome = 1, "added"
            self.conn.execute(
                "INSERT INTO records(kind, id, revision, hash, body, batch_id) VALUES (?, ?, ?, ?, ?, ?)",
                (kind, record_id, revision, digest, body, batch_id),
            )
        elif row[1] == digest:
            return "unchanged"
        else:
            revision, outcome = row[0] + 1, "revised"
            self.conn.execute(
                "UPDATE records SET revision=?, hash=?, body=?, batch_id=? WHERE kind=? AND id=?",
                (revision, digest, body, batch_id, kind, record_id),
            )
        self.conn.execute(
            "INSERT INTO record_revisions(kind, id, revision, hash, body, batch_id) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (kind, record_id, revision, digest, body, batch_id),
        )
        return outcome

    # -- reading -----------------------------------------------------------------------
    def incidents(self) -> Iterator[Incident]:
        for (body,) in self.conn.execute("SELECT body FROM incidents ORDER BY start_utc, key"):
            yield Incident.from_json(json.loads(body))

    def incident(self, key: str) -> Incident | None:
        row = self.conn.execute("SELECT body FROM incidents WHERE key=?", (key,)).fetchone()
        return Incident.from_json(json.loads(row[0])) if row else None

    def incident_history(self, key: str) -> list[tuple[int, Incident]]:
        rows = self.conn.execute(
            "SELECT revision, body FROM incident_revisions WHERE key=? ORDER BY revision", (key,)
        )
        return [(rev, Incident.from_json(json.loads(body))) for rev, body in rows]

    def records(self, kind: str) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT body FROM records WHERE kind=? ORDER BY id", (kind,))
        return [json.loads(body) for (body,) in rows]

    def records_in_order(self, kind: str) -> list[dict[str, Any]]:
        """Records of a kind in the order they were first recorded (batch, then row)."""
        rows = self.conn.execute(
            "SELECT body FROM record_revisions WHERE kind=? AND revision=1 ORDER BY batch_id, rowid",
            (kind,),
        )
        return [json.loads(body) for (body,) in rows]

    def count_incidents(self) -> int:
        (count,) = self.conn.execute("SELECT count(*) FROM incidents").fetchone()
        return int(count)

    def quarantine(self) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT batch_id, file, line, field, reason FROM quarantine ORDER BY id"
        ).fetchall()
        keys = ("batch", "file", "line", "field", "reason")
        return [dict(zip(keys, row, strict=True)) for row in rows]
