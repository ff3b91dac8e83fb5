"""The store: a workspace folder and its database — by default one SQLite file (WAL) in the
folder, or PostgreSQL/PostGIS selected by a database URL (``--database``, ``CEASEFIRE_DATABASE_URL``).

An import is one transaction: every record of the batch and every quarantined row are written
together or not at all.  A record whose content is unchanged is counted ``unchanged``; a changed
one becomes a new revision, and the earlier revisions stay readable.

The store writes a record only in its stored form (:mod:`ceasefire.model.stored`): one that is not
goes to quarantine with the field at fault.  Its readers read through the same forms and skip a
stored body that is not in them (written by an older version, or edited in the database) with a
warning that names the table, the key and the field, so that one bad row never fails a report.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ceasefire._gc import collector_paused
from ceasefire.errors import StoreError
from ceasefire.model.batches import BadField, Batch, RowProblem, record_key
from ceasefire.model.incidents import Incident
from ceasefire.model.stored import check_body, incident_from_body, record_problem
from ceasefire.store import audit
from ceasefire.store.db import Database, SqliteDatabase, open_database, redact
from ceasefire.store.migrations import MIGRATIONS, migration_sql, statements

__all__ = ["DATABASE_URL_ENV", "DB_NAME", "ImportSummary", "Store"]

DATABASE_URL_ENV = "CEASEFIRE_DATABASE_URL"

DB_NAME = "ceasefire.sqlite"
AUDIT_COVERS_ROWS = 8  # the migration from which each audit entry commits to the rows it wrote
AUDIT_COVERS_NEWS = 12  # the migration from which the audit covers the learnt news boilerplate

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportSummary:
    kind: str
    file: str
    added: int
    revised: int
    unchanged: int
    quarantined: int
    problems: tuple[RowProblem, ...] = ()
    changed_incidents: tuple[str, ...] = ()  # keys of incidents added or revised, in file order
    # those incidents as this import stored them: key → (incident, hash of its stored body)
    stored: Mapping[str, tuple[Incident, str]] = field(default_factory=dict, repr=False,
                                                       compare=False)  # fmt: skip

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


def _stored_body(kind: str, data: dict[str, Any]) -> str:
    """The JSON a record is stored as; :class:`BadField` unless it is in its stored form."""
    try:
        body = json.dumps(data, sort_keys=True, ensure_ascii=False, allow_nan=False)
        body.encode("utf-8")
    except ValueError as exc:  # NaN or infinity; a lone surrogate (UnicodeEncodeError)
        raise BadField("(record)", f"cannot be stored as JSON text ({exc})") from None
    check_body(kind, body)
    return body


def _text(value: str) -> str:
    """Text for a column: PostgreSQL keeps no NUL character, so none is written on either."""
    return value.replace("\x00", "\ufffd")


def _skipped(table: str, key: str, problem: BadField) -> None:
    logger.warning(
        "%s %s is not in its stored form and is skipped: %s: %s (written by an older version or "
        "edited in the database; re-import it or remove it)",
        table, key, problem.field, problem,
    )  # fmt: skip


_CHUNK = 500  # keys per IN list


def _other_submitter(recorded: bool, before: str | None, party: str | None,
                     stored: bool) -> str | None:  # fmt: skip
    """Why a record may not revise the one stored under its key (None: it may): a party's
    submission revises only that party's own submissions, and a record that is nobody's
    submission never revises one (else a file could rewrite, or hide from the public, a
    record someone else sent — report ids are each sender's own numbering).  ``recorded``:
    the key has a submitter recorded (``before``); ``stored``: a record is stored under it."""
    if before == party or not (recorded or stored):
        return None

    def whose(p: str | None) -> str:
        return (
            "a record that is nobody's submission"
            if p is None
            else f"a submission of {p or 'an unnamed party cell'}"
        )

    return (
        f"is stored already as {whose(before)}; {whose(party)} may not revise it "
        "(give it an id of its own)"
    )


class _Writes:
    """The rows an import makes or changes, in the order it makes them, each with its content as
    written (every column the audit covers): written in bulk by :meth:`flush`, and audited
    without reading them back."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, tuple[Any, ...]]] = []
        self.contents: dict[tuple[str, tuple[Any, ...]], tuple[Any, ...]] = {}
        self._sql: dict[str, list[tuple[Any, ...]]] = {}

    def row(self, table: str, key: tuple[Any, ...], content: tuple[Any, ...] | None = None) -> None:
        self.rows.append((table, key))
        if content is not None:
            self.contents[(table, key)] = content

    def incident(self, incident: Incident, revision: int, digest: str, body: str,
                 batch_id: int) -> None:  # fmt: skip
        key, place = incident.key, incident.place
        start = incident.window.start.astimezone(UTC).isoformat()
        end = incident.window.end.astimezone(UTC).isoformat()
        if revision == 1:
            row = (key, incident.source_system, incident.source_id, revision, digest, start, end,
                   body, batch_id, place.lat, place.lon)  # fmt: skip
            self._sql.setdefault(_INSERT_INCIDENT, []).append(row)
        else:
            self._sql.setdefault(_UPDATE_INCIDENT, []).append(
                (revision, digest, start, end, body, batch_id, place.lat, place.lon, key)
            )
        self._sql.setdefault(_INSERT_INCIDENT_REVISION, []).append(
            (key, revision, digest, body, batch_id)
        )
        self.row("incidents", (key,), (key, incident.source_system, incident.source_id, revision,
                                       digest, start, end, body, batch_id, place.lat, place.lon))  # fmt: skip
        self.row("incident_revisions", (key, revision), (key, revision, digest, body, batch_id))

    def record(self, kind: str, record_id: str, revision: int, digest: str, body: str,
               batch_id: int) -> None:  # fmt: skip
        if revision == 1:
            self._sql.setdefault(_INSERT_RECORD, []).append(
                (kind, record_id, revision, digest, body, batch_id)
            )
        else:
            self._sql.setdefault(_UPDATE_RECORD, []).append(
                (revision, digest, body, batch_id, kind, record_id)
            )
        self._sql.setdefault(_INSERT_RECORD_REVISION, []).append(
            (kind, record_id, revision, digest, body, batch_id)
        )
        content = (kind, record_id, revision, digest, body, batch_id)
        self.row("records", (kind, record_id), content)
        self.row("record_revisions", (kind, record_id, revision), content)

    def flush(self, conn: Database) -> None:
        """Write the collected rows: each statement once over its rows, in the order they came
        (a key inserted and revised within one batch is inserted first)."""
        for sql in _WRITE_ORDER:
            rows = self._sql.pop(sql, None)
            if rows:
                conn.executemany(sql, rows)


_INSERT_INCIDENT = (
    "INSERT INTO incidents(key, source_system, source_id, revision, hash, start_utc, end_utc, "
    "body, batch_id, lat, lon) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_UPDATE_INCIDENT = (
    "UPDATE incidents SET revision=?, hash=?, start_utc=?, end_utc=?, body=?, batch_id=?, lat=?, "
    "lon=? WHERE key=?"
)
_INSERT_INCIDENT_REVISION = (
    "INSERT INTO incident_revisions(key, revision, hash, body, batch_id) VALUES (?, ?, ?, ?, ?)"
)
_INSERT_RECORD = (
    "INSERT INTO records(kind, id, revision, hash, body, batch_id) VALUES (?, ?, ?, ?, ?, ?)"
)
_UPDATE_RECORD = "UPDATE records SET revision=?, hash=?, body=?, batch_id=? WHERE kind=? AND id=?"
_INSERT_RECORD_REVISION = (
    "INSERT INTO record_revisions(kind, id, revision, hash, body, batch_id) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
_WRITE_ORDER = (_INSERT_INCIDENT, _UPDATE_INCIDENT, _INSERT_INCIDENT_REVISION, _INSERT_RECORD,
                _UPDATE_RECORD, _INSERT_RECORD_REVISION)  # fmt: skip


class Store:
    """A workspace folder and its database (SQLite in the folder unless a URL names another)."""

    def __init__(
        self, workspace: Path, actor: str = "cli", database_url: str | None = None
    ) -> None:
        self.workspace = Path(workspace)
        self.actor = actor  # who the audit log names for writes made through this store
        self.database_url = database_url or os.environ.get(DATABASE_URL_ENV) or None
        self._db: Database | None = None

    @classmethod
    def memory(cls) -> Store:
        store = cls(Path(":memory:"), database_url="sqlite://")
        store._db = SqliteDatabase.open(":memory:")
        store._migrate(store._db)
        return store

    @property
    def conn(self) -> Database:
        if self._db is None:
            self._db = self._open()
        return self._db

    @property
    def dialect(self) -> str:
        return self.conn.dialect

    def _open(self) -> Database:
        try:
            self.workspace.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"Cannot create the workspace folder {self.workspace}: {exc}") from exc
        url = self.resolved_url()
        if url:
            db = open_database(url)
            try:
                self._migrate(db)
            except StoreError:
                db.close()
                raise
            except Exception as exc:
                db.close()
                raise StoreError(
                    f"The database at {redact(url)} could not be prepared: {exc}"
                ) from exc
            return db
        path = self.workspace / DB_NAME
        try:
            db = SqliteDatabase.open(path)
            self._migrate(db)
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{path} is not a usable ceasefire database ({exc}). "
                "Point --workspace at an empty folder or at an existing workspace."
            ) from exc
        return db

    def resolved_url(self) -> str | None:
        """The database URL, with ``schema=auto`` replaced by this workspace's own schema
        (``ws_`` + a digest of the folder's absolute path): one PostgreSQL database can then hold
        many workspaces, each in its own schema."""
        url = self.database_url
        if url and "schema=auto" in url:
            digest = hashlib.sha256(str(self.workspace.resolve()).encode("utf-8")).hexdigest()
            url = url.replace("schema=auto", f"schema=ws_{digest[:20]}")
        return url

    @staticmethod
    def _migrate(db: Database) -> None:
        version = db.schema_version()
        if version > len(MIGRATIONS):
            raise StoreError(
                f"The workspace was written by a newer ceasefire (schema {version}); upgrade ceasefire."
            )
        if version == len(MIGRATIONS):
            return
        with db.transaction():
            version = db.schema_version()  # another process may have migrated meanwhile
            for number in range(version, len(MIGRATIONS)):
                for statement in statements(migration_sql(number, db.dialect)):
                    db.execute(statement)
                if number + 1 == AUDIT_COVERS_ROWS:
                    audit.seal_existing(db)  # the rows written before the audit covered them
                elif number + 1 == AUDIT_COVERS_NEWS:
                    audit.seal_existing(db, ("news_sources", "news_lines"), AUDIT_COVERS_NEWS)
                db.set_schema_version(number + 1)

    def transaction(self) -> Any:
        """A write transaction on this store's database (a context manager)."""
        return self.conn.transaction()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -----------------------------------------------------------------------
    def import_batch(self, batch: Batch) -> ImportSummary:
        """Import a batch in one transaction: all of it and its quarantined rows, or nothing."""
        with self.conn.transaction():
            return self.import_in_transaction(batch)

    def import_in_transaction(self, batch: Batch) -> ImportSummary:
        """Import a batch inside the caller's open transaction (see :meth:`transaction`).

        The stored revisions and submitters of the batch's keys are read at once, and the rows
        written in bulk, in the batch's order; each record's body is the one checked at the door
        (:meth:`Batch.checked_body`), else it is serialised and checked here."""
        conn = self.conn
        added = revised = unchanged = 0
        changed: list[str] = []
        stored: dict[str, tuple[Incident, str]] = {}
        writes = _Writes()  # every row this import made or changed, with its content
        now = datetime.now(UTC).isoformat(timespec="seconds")
        sha256 = _file_hash(batch.file) if not batch.file.startswith("api:") else ""
        (batch_id,) = conn.execute(
            "INSERT INTO batches(kind, file, sha256, imported_at, added, revised, unchanged, "
            "quarantined) VALUES (?, ?, ?, ?, 0, 0, 0, 0) RETURNING id",
            (batch.kind, batch.file, sha256, now),
        ).fetchone()
        writes.row("batches", (batch_id,))  # its counts are set below: read back when audited
        problems = list(batch.problems)
        not_stored: set[str] = set()
        reopened: set[str] = set()  # released submissions this batch revises
        keys = [record_key(record) for record in batch.records]
        parties = self._submitters(keys)
        heads = self._heads(batch.records, keys)
        for record, key in zip(batch.records, keys, strict=True):
            is_incident = isinstance(record, Incident)
            kind = "incident" if is_incident else record.kind
            other = _other_submitter(key in parties, parties.get(key),
                                     batch.restricted.get(key), key in heads)  # fmt: skip
            if other is not None:
                problems.append(RowProblem(batch.file, 0, "id", f"{key}: {other}"))
                not_stored.add(key)
                continue
            body = batch.checked_body(record)
            if body is None:
                try:
                    body = _stored_body(kind, record.to_json())
                except BadField as exc:
                    problems.append(RowProblem(batch.file, 0, exc.field, f"{key}: {exc}"))
                    not_stored.add(key)
                    continue
            digest = _doc_hash(body)
            head = heads.get(key)
            if head is not None and head[1] == digest:
                unchanged += 1
                continue
            revision = 1 if head is None else head[0] + 1
            heads[key] = (revision, digest)
            if is_incident:
                writes.incident(record, revision, digest, body, batch_id)
                changed.append(record.key)
                stored[record.key] = (record, digest)
            else:
                writes.record(record.kind, record.id, revision, digest, body, batch_id)
            if head is None:
                added += 1
            else:
                revised += 1
                if key in batch.restricted:
                    reopened.add(key)
        writes.flush(conn)
        for key, party in sorted(batch.restricted.items()):
            if key in not_stored:
                continue
            # a party's submission: restricted from now until released (ceasefire.visibility);
            # a key recorded before keeps its first record (a later public file cannot open it)
            inserted = conn.execute(
                "INSERT INTO distribution(key, party, via, recorded_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(key) DO NOTHING",
                (key, party, batch.file, now),
            ).rowcount
            # a released submission revised: what a guarantor released is not what it says now,
            # so it is restricted again until released again
            reclosed = (
                key in reopened
                and conn.execute(
                    "UPDATE distribution SET released_at = NULL "
                    "WHERE key = ? AND released_at IS NOT NULL",
                    (key,),
                ).rowcount
            )
            if inserted or reclosed:
                writes.row("distribution", (key,))
        for problem in problems:
            values = (batch_id, _text(problem.file), problem.line, _text(problem.field),
                      _text(problem.reason), _text(problem.raw))  # fmt: skip
            (quarantine_id,) = conn.execute(
                "INSERT INTO quarantine(batch_id, file, line, field, reason, raw) "
                "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                values,
            ).fetchone()
            writes.row("quarantine", (quarantine_id,), (quarantine_id, *values))
        conn.execute(
            "UPDATE batches SET added=?, revised=?, unchanged=?, quarantined=? WHERE id=?",
            (added, revised, unchanged, len(problems), batch_id),
        )
        audit.append(conn, self.actor, f"import.{batch.kind}", batch.file,
                     {"batch": batch_id, "sha256": sha256, "added": added,
                      "revised": revised, "unchanged": unchanged,
                      "quarantined": len(problems)},
                     writes.rows, writes.contents)  # fmt: skip
        return ImportSummary(batch.kind, batch.file, added, revised, unchanged,
                             len(problems), tuple(problems), tuple(changed), stored)  # fmt: skip

    def _submitters(self, keys: list[str]) -> dict[str, str]:
        """The recorded submitter (``distribution.party``) of each of these keys that has one."""
        out: dict[str, str] = {}
        wanted = sorted(set(keys))
        for n in range(0, len(wanted), _CHUNK):
            chunk = wanted[n : n + _CHUNK]
            marks = ", ".join("?" * len(chunk))  # the query holds only parameter marks
            sql = f"SELECT key, party FROM distribution WHERE key IN ({marks})"  # nosec B608
            for key, party in self.conn.execute(sql, tuple(chunk)):
                out[str(key)] = str(party)
        return out

    def _heads(self, records: list[Any], keys: list[str]) -> dict[str, tuple[int, str]]:
        """The stored revision and hash of each of these records that is stored, by key."""
        out: dict[str, tuple[int, str]] = {}
        incident_keys = sorted({k for r, k in zip(records, keys, strict=True)
                                if isinstance(r, Incident)})  # fmt: skip
        for n in range(0, len(incident_keys), _CHUNK):
            chunk = incident_keys[n : n + _CHUNK]
            marks = ", ".join("?" * len(chunk))  # the query holds only parameter marks
            sql = f"SELECT key, revision, hash FROM incidents WHERE key IN ({marks})"  # nosec B608
            for key, revision, digest in self.conn.execute(sql, tuple(chunk)):
                out[str(key)] = (int(revision), str(digest))
        by_kind: dict[str, dict[str, str]] = {}  # kind → id → key
        for record, key in zip(records, keys, strict=True):
            if not isinstance(record, Incident):
                by_kind.setdefault(record.kind, {})[record.id] = key
        for kind, ids in sorted(by_kind.items()):
            wanted = sorted(ids)
            for n in range(0, len(wanted), _CHUNK):
                chunk = wanted[n : n + _CHUNK]
                marks = ", ".join("?" * len(chunk))  # the query holds only parameter marks
                sql = (f"SELECT id, revision, hash FROM records WHERE kind = ? "  # nosec B608
                       f"AND id IN ({marks})")  # fmt: skip
                for record_id, revision, digest in self.conn.execute(sql, (kind, *chunk)):
                    out[ids[str(record_id)]] = (int(revision), str(digest))
        return out

    # -- reading -----------------------------------------------------------------------
    def _decoded(
        self, sql: str, args: tuple[Any, ...] = (), rows: Iterable[tuple[Any, Any]] | None = None
    ) -> list[tuple[str, Incident | None]]:
        """Rows ``(key, body)`` of ``sql`` (or ``rows`` already read) as incidents (read with the
        cyclic collector paused: see ``ceasefire._gc``); ``None`` for a body not in its stored
        form, skipped with a warning."""
        with collector_paused():
            found = self.conn.execute(sql, args) if rows is None else rows
            return [(str(key), self._incident_from(str(key), body)) for key, body in found]

    @staticmethod
    def _incident_from(key: str, body: str) -> Incident | None:
        """The incident of a stored body; ``None`` (with a warning) when it is not in its stored
        form."""
        try:
            return incident_from_body(body)
        except BadField as exc:
            _skipped("incident", key, exc)
            return None

    def incidents(self) -> list[Incident]:
        """Every stored incident, in start order; a body not in its stored form is skipped with a
        warning."""
        rows = self._decoded("SELECT key, body FROM incidents ORDER BY start_utc, key")
        return [i for _, i in rows if i is not None]

    def incidents_since(self, batch: int) -> list[tuple[str, Incident | None]]:
        """The incidents imports after batch ``batch`` added or revised, as they are now, in start
        order (``None``: a body not in its stored form, skipped with a warning)."""
        # sorted here: asked to order them, the database walks the whole start index instead of
        # the few rows the batch index finds
        found = self.conn.execute(
            "SELECT start_utc, key, body FROM incidents WHERE batch_id > ?", (batch,)
        ).fetchall()
        found.sort(key=lambda r: (str(r[0]), str(r[1])))
        return self._decoded("", rows=((key, body) for _, key, body in found))

    def incidents_starting(
        self, first: datetime, last: datetime,
        box: tuple[float, float, float, float] | None = None,
        known: Mapping[str, tuple[Incident, str]] | None = None,
    ) -> list[Incident]:  # fmt: skip
        """The stored incidents that start in ``[first, last)`` (and, with ``box`` = (south,
        north, west, east) in degrees, whose point lies in it), in start order, read through the
        index on the start: what a search near in time and place needs, not the archive.

        ``known``: incidents as an import just stored them (:attr:`ImportSummary.stored`); one
        whose stored hash is still that one is taken as it is, not decoded from its body again."""
        margin = timedelta(
            days=1
        )  # the stored text orders as the instant does, but for sub-seconds
        sql = "SELECT key, hash, body FROM incidents WHERE start_utc >= ? AND start_utc < ?"
        args: list[Any] = [(first - margin).astimezone(UTC).isoformat(),
                           (last + margin).astimezone(UTC).isoformat()]  # fmt: skip
        if box is not None:
            sql += " AND lat BETWEEN ? AND ? AND lon BETWEEN ? AND ?"
            args.extend(box)
        known = known or {}
        out: list[Incident] = []
        with collector_paused():
            for key, digest, body in self.conn.execute(sql + " ORDER BY start_utc, key", args):
                mine = known.get(key)
                if mine is not None and mine[1] == digest:
                    incident: Incident | None = mine[0]
                else:
                    incident = self._incident_from(str(key), body)
                if incident is not None and first <= incident.window.start < last:
                    out.append(incident)
        return out

    def incident_span(
        self, keys: Iterable[str]
    ) -> tuple[datetime, datetime, tuple[float, float, float, float] | None] | None:
        """The earliest start and the latest end among these incidents, and the box (south,
        north, west, east) of their points (``None``: none has one); ``None``: none stored."""
        wanted = sorted(set(keys))
        starts: list[str] = []
        ends: list[str] = []
        boxes: list[tuple[float, float, float, float]] = []
        for n in range(0, len(wanted), 500):
            chunk = wanted[n : n + 500]
            marks = ", ".join("?" * len(chunk))  # the query holds only parameter marks
            row = self.conn.execute(
                "SELECT min(start_utc), max(end_utc), min(lat), max(lat), min(lon), max(lon) "
                f"FROM incidents WHERE key IN ({marks})",  # nosec B608
                tuple(chunk),
            ).fetchone()
            if row is not None and row[0] is not None:
                starts.append(row[0])
                ends.append(row[1])
                if row[2] is not None:
                    boxes.append((float(row[2]), float(row[3]), float(row[4]), float(row[5])))
        if not starts:
            return None
        first = min(datetime.fromisoformat(s) for s in starts)
        last = max(datetime.fromisoformat(e) for e in ends)
        box = None
        if boxes:
            box = (min(b[0] for b in boxes), max(b[1] for b in boxes),
                   min(b[2] for b in boxes), max(b[3] for b in boxes))  # fmt: skip
        return first, last, box

    def incident(self, key: str) -> Incident | None:
        """The incident, or ``None`` when there is none (or its body is not in its stored form)."""
        row = self.conn.execute("SELECT body FROM incidents WHERE key=?", (key,)).fetchone()
        if row is None:
            return None
        try:
            return incident_from_body(row[0])
        except BadField as exc:
            _skipped("incident", key, exc)
            return None

    def incident_history(self, key: str) -> list[tuple[int, Incident]]:
        rows = self.conn.execute(
            "SELECT revision, body FROM incident_revisions WHERE key=? ORDER BY revision", (key,)
        )
        out = []
        for rev, body in rows:
            try:
                out.append((rev, incident_from_body(body)))
            except BadField as exc:
                _skipped("incident revision", f"{key} #{rev}", exc)
        return out

    def incident_bodies(self, limit: int, offset: int = 0) -> list[dict[str, Any]]:
        """Stored incident bodies in key order, paged (a body not in its stored form is skipped
        with a warning, and still counts for the paging)."""
        rows = self.conn.execute(
            "SELECT key, body FROM incidents ORDER BY key LIMIT ? OFFSET ?", (limit, offset)
        )
        bodies = (self.readable_body("incident", key, body) for key, body in rows)
        return [data for data in bodies if data is not None]

    def readable_body(self, kind: str, key: str, body: str) -> dict[str, Any] | None:
        """A stored body of ``kind`` as JSON, or ``None`` (with a warning) when it is not in its
        stored form: for readers that take bodies from their own query."""
        problem = record_problem(kind, body)
        if problem is None:
            try:
                data: dict[str, Any] = json.loads(body)
            except ValueError as exc:  # a kind without a stored form, edited in the database
                problem = BadField("(json)", str(exc))
            else:
                return data
        _skipped(f"{kind} record" if kind != "incident" else kind, key, problem)
        return None

    def _readable(self, kind: str, rows: Any) -> list[dict[str, Any]]:
        bodies = (self.readable_body(kind, key, body) for key, body in rows)
        return [data for data in bodies if data is not None]

    def records(self, kind: str) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT id, body FROM records WHERE kind=? ORDER BY id", (kind,))
        return self._readable(kind, rows)

    def records_in_order(self, kind: str) -> list[dict[str, Any]]:
        """Records of a kind in the order they were first recorded (batch, then row)."""
        rows = self.conn.execute(
            "SELECT id, body FROM record_revisions WHERE kind=? AND revision=1 ORDER BY batch_id, rowid",
            (kind,),
        )
        return self._readable(kind, rows)

    def incident_keys_in_box(
        self, min_lon: float, min_lat: float, max_lon: float, max_lat: float
    ) -> list[str]:
        """Keys of incidents whose point lies in the box (edges included), in key order. On
        PostgreSQL the PostGIS point's GiST index answers; on SQLite the lat/lon index."""
        if self.dialect == "postgresql":
            sql = ("SELECT key FROM incidents WHERE geom && public.ST_MakeEnvelope(?, ?, ?, ?, 4326) "
                   "ORDER BY key")  # fmt: skip
            params: tuple[float, ...] = (min_lon, min_lat, max_lon, max_lat)
        else:
            sql = ("SELECT key FROM incidents WHERE lat BETWEEN ? AND ? AND lon BETWEEN ? AND ? "
                   "ORDER BY key")  # fmt: skip
            params = (min_lat, max_lat, min_lon, max_lon)
        return [str(key) for (key,) in self.conn.execute(sql, params)]

    # -- news boilerplate ---------------------------------------------------------------
    def news_lines(self, sources: list[str]) -> dict[str, tuple[int, dict[str, int]]]:
        """Per source: the documents seen in earlier runs and, per short line, in how many."""
        out: dict[str, tuple[int, dict[str, int]]] = {}
        for source in sorted(set(sources)):
            row = self.conn.execute(
                "SELECT documents FROM news_sources WHERE source=?", (source,)
            ).fetchone()
            if row is None:
                continue
            lines = self.conn.execute(
                "SELECT line, documents FROM news_lines WHERE source=?", (source,)
            )
            out[source] = (int(row[0]), {str(line): int(n) for line, n in lines})
        return out

    def record_news_lines(self, seen: dict[str, tuple[int, dict[str, int]]], at: str) -> None:
        """Add a run's counts (documents per source, documents per line) at time ``at``."""
        with self.conn.transaction():
            for source, (documents, lines) in sorted(seen.items()):
                self.conn.execute(
                    "INSERT INTO news_sources(source, documents, first_seen, last_seen) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT(source) DO UPDATE SET "
                    "documents = news_sources.documents + excluded.documents, "
                    "last_seen = excluded.last_seen",
                    (source, documents, at, at),
                )
                self.conn.executemany(
                    "INSERT INTO news_lines(source, line, documents, first_seen, last_seen) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT(source, line) DO UPDATE SET "
                    "documents = news_lines.documents + excluded.documents, "
                    "last_seen = excluded.last_seen",
                    [(source, line, n, at, at) for line, n in sorted(lines.items())],
                )
            rows: list[tuple[str, tuple[str, ...]]] = []
            for source, (_, lines) in sorted(seen.items()):
                rows.append(("news_sources", (source,)))
                rows.extend(("news_lines", (source, line)) for line in sorted(lines))
            if rows:
                audit.append(self.conn, self.actor, "news.lines", f"{len(seen)} source(s)",
                             {"sources": {s: d for s, (d, _) in sorted(seen.items())},
                              "lines": len(rows) - len(seen)}, rows)  # fmt: skip

    # -- links between incidents of different feeds ----------------------------------------
    def add_links(self, found: list[tuple[str, str, dict[str, Any]]], action: str) -> list[int]:
        """Record pairs (a, b, explanation) found to be one event, in one audited transaction;
        a pair recorded before (an analyst's undo included) stays as it is.  Returns new ids."""
        ids: list[int] = []
        if not found:
            return ids
        at = datetime.now(UTC).isoformat(timespec="seconds")
        with self.conn.transaction():
            for a, b, explanation in found:
                row = self.conn.execute(
                    "INSERT INTO incident_links(a, b, explanation, found_at, found_by) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT(a, b) DO NOTHING RETURNING id",
                    (a, b, audit.canonical_json(explanation), at, self.actor),
                ).fetchone()
                if row is not None:
                    ids.append(int(row[0]))
            if ids:
                audit.append(self.conn, self.actor, action, f"{len(ids)} link(s)",
                             {"links": ids}, [("incident_links", (i,)) for i in ids])  # fmt: skip
        return ids

    def links(self, active_only: bool = False) -> list[dict[str, Any]]:
        """Every recorded link in id order (``active_only``: those not undone)."""
        sql = ("SELECT id, a, b, explanation, found_at, found_by, undone_at, undone_by, "
               "undo_reason FROM incident_links")  # fmt: skip
        if active_only:
            sql += " WHERE undone_at IS NULL"
        keys = ("id", "a", "b", "explanation", "found_at", "found_by", "undone_at", "undone_by",
                "undo_reason")  # fmt: skip
        out = []
        for row in self.conn.execute(sql + " ORDER BY id"):
            item = dict(zip(keys, row, strict=True))
            item["explanation"] = json.loads(item["explanation"])
            out.append(item)
        return out

    def undo_link(self, link_id: int, by: str, reason: str) -> bool:
        """Undo an active link (audited, kept on its row); False when there is none to undo."""
        at = datetime.now(UTC).isoformat(timespec="seconds")
        with self.conn.transaction():
            done = self.conn.execute(
                "UPDATE incident_links SET undone_at=?, undone_by=?, undo_reason=? "
                "WHERE id=? AND undone_at IS NULL",
                (at, by, reason, link_id),
            ).rowcount
            if done:
                audit.append(self.conn, by, "links.undo", str(link_id), {"reason": reason},
                             [("incident_links", (link_id,))])  # fmt: skip
        return bool(done)

    def count_incidents(self) -> int:
        (count,) = self.conn.execute("SELECT count(*) FROM incidents").fetchone()
        return int(count)

    def quarantine(self) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT batch_id, file, line, field, reason FROM quarantine ORDER BY id"
        ).fetchall()
        keys = ("batch", "file", "line", "field", "reason")
        return [dict(zip(keys, row, strict=True)) for row in rows]
