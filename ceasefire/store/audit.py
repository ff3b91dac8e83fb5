"""The tamper-evident audit log: every write appends an entry chained to the previous one, and
the entry commits to the content of every row the write made or changed.

An entry is ``hash = sha256(canonical JSON of ["ceasefire.audit/2", seq, at, actor, action,
subject, detail, rows_hash, prev_hash])``: a JSON array of strings and integers (sorted keys, no
spaces, UTF-8), so no two different entries encode alike.  ``rows_hash`` is the sha256 of the
canonical JSON list ``[[table, key, row hash], …]`` of the rows the write made or changed, kept one
per line in ``audit_rows``; a row hash is the sha256 of ``[table, [every column's value]]`` in
canonical JSON, with the columns and their types declared once here (:data:`COVERED`).

:func:`verify` walks the chain (naming the first changed, removed, inserted or reordered entry),
then recomputes every covered row from the live tables and names each one whose content matches
no entry: inserted outside ceasefire (no entry vouches for it), changed after it was written, or
removed.  The head (last sequence number and hash) is kept beside the log and should also be
copied outside the system (``ceasefire audit head``, or a checkpoint signed by a guarantor's key):
then even a rewritten chain is found.

Entries written before schema 8 keep their old encoding (``"\\x1f".join`` of the same fields,
``rows_hash`` empty) and are checked as written; the upgrade to schema 8 appends one entry that
vouches for every row then present (:func:`seal_existing`).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Any

from ceasefire.store.db import Database

__all__ = [
    "COVERED",
    "GENESIS",
    "AuditProblem",
    "Table",
    "append",
    "canonical_json",
    "head",
    "row_hash",
    "seal_existing",
    "verify",
    "vouched",
]

GENESIS = "0" * 64
FORMAT = "ceasefire.audit/2"
SEALED_AT = 8  # the schema whose upgrade seals the rows then present (seal_existing)
REMOVED = "removed"  # the row hash recorded when a write deletes a row
MAX_ROW_PROBLEMS = 100  # verify names this many rows at most (and counts the rest)
_CHUNK = 500


def canonical_json(value: Any) -> str:
    """One text per value: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Table:
    """A table whose rows the audit covers: its key columns and every column hashed (key first),
    each with its type (``text``, ``int``, ``real``) so a value hashes alike however it was read."""

    name: str
    key: tuple[str, ...]
    columns: tuple[tuple[str, str], ...]
    since: int = 0  # the migration that creates it, when later than the audit's upgrade (8)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    @property
    def key_kinds(self) -> tuple[str, ...]:
        kinds = dict(self.columns)
        return tuple(kinds[c] for c in self.key)

    def select(self) -> str:
        # table and column names come from COVERED (code), never from input
        return f"SELECT {', '.join(self.names)} FROM {self.name}"  # nosec B608

    def describe(self, key: Sequence[Any]) -> str:
        return f"{self.name}({', '.join(f'{c}={v}' for c, v in zip(self.key, key, strict=True))})"


def _t(*names: str) -> tuple[tuple[str, str], ...]:
    return tuple((n.removesuffix(":i").removesuffix(":r"),
                  "int" if n.endswith(":i") else "real" if n.endswith(":r") else "text")
                 for n in names)  # fmt: skip


COVERED: dict[str, Table] = {
    t.name: t
    for t in (
        Table("batches", ("id",), _t("id:i", "kind", "file", "sha256", "imported_at", "added:i",
                                      "revised:i", "unchanged:i", "quarantined:i")),
        Table("quarantine", ("id",), _t("id:i", "batch_id:i", "file", "line:i", "field", "reason",
                                         "raw")),
        Table("incidents", ("key",), _t("key", "source_system", "source_id", "revision:i", "hash",
                                         "start_utc", "end_utc", "body", "batch_id:i", "lat:r",
                                         "lon:r")),
        Table("incident_revisions", ("key", "revision"), _t("key", "revision:i", "hash", "body",
                                                             "batch_id:i")),
        Table("records", ("kind", "id"), _t("kind", "id", "revision:i", "hash", "body",
                                             "batch_id:i")),
        Table("record_revisions", ("kind", "id", "revision"), _t("kind", "id", "revision:i", "hash",
                                                                  "body", "batch_id:i")),
        Table("users", ("id",), _t("id:i", "name", "role", "party", "token_hash", "created_at",
                                    "disabled:i", "expires_at", "token_set_at")),
        Table("key_changes", ("id",), _t("id:i", "guarantor", "public_key", "fingerprint", "proof",
                                          "proposed_by:i", "created_at", "applied_at")),
        Table("key_change_signatures", ("change_id", "guarantor"),
              _t("change_id:i", "guarantor", "key_fingerprint", "signature", "at")),
        Table("guarantor_keys", ("fingerprint",), _t("fingerprint", "guarantor", "public_key",
                                                      "proof", "registered_by:i", "registered_at",
                                                      "change_id:i")),
        Table("decisions", ("id",), _t("id", "kind", "subject", "text", "effective", "until",
                                        "proposed_by:i", "created_at", "decided_at", "agreement",
                                        "value")),
        Table("approvals", ("decision_id", "user_id"), _t("decision_id", "user_id:i", "guarantor",
                                                           "at", "key_fingerprint", "signature")),
        Table("webhooks", ("id",), _t("id:i", "url", "secret", "events", "created_at",
                                       "agreement", "audience")),
        Table("distribution", ("key",), _t("key", "party", "via", "recorded_at", "released_at")),
        Table("agreements", ("name", "version"), _t("name", "version:i", "text", "files", "sha256",
                                                     "registered_by", "registered_at")),
        Table("incident_links", ("id",), _t("id:i", "a", "b", "explanation", "found_at",
                                             "found_by", "undone_at", "undone_by", "undo_reason"),
              since=11),
        # a source's learnt boilerplate decides which of its lines later runs drop
        Table("news_sources", ("source",), _t("source", "documents:i", "first_seen", "last_seen"),
              since=10),
        Table("news_lines", ("source", "line"), _t("source", "line", "documents:i", "first_seen",
                                                   "last_seen"), since=10),
    )
}  # fmt: skip
"""Every table whose rows the audit vouches for, in the order :func:`verify` checks them."""


def _value(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "int":
        return int(value)
    if kind == "real":
        return float(value)
    return str(value)


def _normalised(table: Table, row: Sequence[Any]) -> list[Any]:
    return [_value(kind, v) for (_, kind), v in zip(table.columns, row, strict=True)]


def _scalar_json(value: Any) -> str:
    """A normalised column value as :func:`canonical_json` writes it inside a list."""
    if isinstance(value, str):
        return encode_basestring(value)  # the escaper json.dumps uses with ensure_ascii=False
    if value is None:
        return "null"
    if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
        return repr(value)
    return canonical_json(value)


def row_hash(table: Table, row: Sequence[Any]) -> str:
    """The hash of one row's content (``row`` holds the table's columns in declared order): of
    ``canonical_json([table, [every value]])``, written here value by value (the same text)."""
    values = ",".join(map(_scalar_json, _normalised(table, row)))
    return _sha256(f"[{encode_basestring(table.name)},[{values}]]")


def _key_of(table: Table, row: Sequence[Any]) -> tuple[Any, ...]:
    values = _normalised(table, row)
    return tuple(values[table.names.index(k)] for k in table.key)


def _key_text(key: Sequence[Any]) -> str:
    return canonical_json(list(key))


def _read_rows(
    conn: Database, table: Table, keys: Sequence[tuple[Any, ...]]
) -> dict[tuple[Any, ...], list[Any]]:
    """The current rows with these keys (chunked by the first key column)."""
    wanted = set(keys)
    found: dict[tuple[Any, ...], list[Any]] = {}
    firsts = sorted({k[0] for k in wanted}, key=str)
    for start in range(0, len(firsts), _CHUNK):
        chunk = firsts[start : start + _CHUNK]
        marks = ", ".join("?" for _ in chunk)
        for row in conn.execute(f"{table.select()} WHERE {table.key[0]} IN ({marks})", chunk):
            key = _key_of(table, row)
            if key in wanted:
                found[key] = list(row)
    return found


def _rows_hash(rows: Sequence[Sequence[str]]) -> str:
    return _sha256(canonical_json([list(r) for r in rows]))


def _digest(seq: int, at: str, actor: str, action: str, subject: str, detail: str,
            rows_hash: str | None, prev: str) -> str:  # fmt: skip
    if rows_hash is None:  # written before schema 8: the old encoding, checked as it was written
        blob = "\x1f".join((str(seq), at, actor, action, subject, detail, prev))
        return _sha256(blob)
    return _sha256(
        canonical_json([FORMAT, seq, at, actor, action, subject, detail, rows_hash, prev])
    )


def append(conn: Database, actor: str, action: str, subject: str, detail: dict[str, Any],
           rows: Iterable[tuple[str, Sequence[Any]]] = (),
           contents: Mapping[tuple[str, tuple[Any, ...]], Sequence[Any]] | None = None) -> int:  # fmt: skip
    """Append one entry inside the caller's transaction; returns its sequence number.

    ``rows`` names every row this write made, changed or removed, as ``(table, key values)``;
    each is read back now and its hash recorded with the entry — except those ``contents`` gives,
    keyed like ``rows``: the row as the write left it (every column of :data:`COVERED`, in
    order), hashed as given (the caller wrote those very values)."""
    listed: dict[tuple[str, tuple[Any, ...]], Sequence[Any] | None] = {}
    given = contents or {}
    key_kinds = {name: table.key_kinds for name, table in COVERED.items()}
    for table_name, key in rows:
        kinds = key_kinds[table_name]
        wanted = (table_name, tuple(_value(k, v) for k, v in zip(kinds, key, strict=True)))
        listed[wanted] = given.get((table_name, tuple(key)))  # the last content given wins
    by_table: dict[str, list[tuple[Any, ...]]] = {}
    for (table_name, key), content in listed.items():
        if content is None:
            by_table.setdefault(table_name, []).append(key)
    current = {name: _read_rows(conn, COVERED[name], keys) for name, keys in by_table.items()}
    lines: list[tuple[str, str, str]] = []
    for (table_name, key), content in listed.items():
        row = content if content is not None else current[table_name].get(key)
        digest = row_hash(COVERED[table_name], row) if row is not None else REMOVED
        lines.append((table_name, _key_text(key), digest))
    row = conn.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
    seq, prev = (row[0] + 1, row[1]) if row else (1, GENESIS)
    at = datetime.now(UTC).isoformat(timespec="microseconds")
    body = json.dumps(detail, sort_keys=True, ensure_ascii=False)
    rows_digest = _rows_hash(lines)
    digest = _digest(seq, at, actor, action, subject, body, rows_digest, prev)
    conn.execute(
        "INSERT INTO audit(seq, at, actor, action, subject, detail, prev_hash, hash, rows_hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (seq, at, actor, action, subject, body, prev, digest, rows_digest),
    )
    if lines:
        conn.executemany(
            "INSERT INTO audit_rows(seq, position, tbl, row_key, hash) VALUES (?, ?, ?, ?, ?)",
            [(seq, n, *line) for n, line in enumerate(lines)],
        )
    conn.execute(
        "INSERT INTO audit_head(id, seq, hash) VALUES (1, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
        (seq, digest),
    )
    return seq


def seal_existing(conn: Database, tables: Sequence[str] | None = None,
                  schema: int = SEALED_AT) -> int | None:  # fmt: skip
    """On the upgrade to schema 8: one entry vouching for every covered row then present (the
    log before it did not cover rows); on a later upgrade that begins to cover ``tables``, their
    rows.  None when there is nothing to vouch for."""
    rows: list[tuple[str, tuple[Any, ...]]] = []
    for table in COVERED.values():
        if table.since > schema or (tables is not None and table.name not in tables):
            continue  # not created yet at this upgrade, or covered before it
        keys = ", ".join(table.key)
        # table and key column names come from COVERED (code), never from input
        for row in conn.execute(f"SELECT {keys} FROM {table.name} ORDER BY {keys}"):  # nosec B608
            rows.append((table.name, tuple(row)))
    if not rows:
        return None
    return append(conn, "ceasefire", "audit.upgrade", f"schema {schema}",
                  {"note": "rows present when the audit began to cover the data",
                   "rows": len(rows)}, rows)  # fmt: skip


def head(conn: Database) -> tuple[int, str]:
    row = conn.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
    return (int(row[0]), str(row[1])) if row else (0, GENESIS)


@dataclass(frozen=True)
class AuditProblem:
    """The first bad entry (``seq``), or a row (``table``, ``row``) no entry vouches for."""

    seq: int
    message: str
    table: str | None = None
    row: str | None = None

    def __str__(self) -> str:
        if self.row is not None:
            return f"{self.row}: {self.message}"
        return f"audit entry {self.seq}: {self.message}"


def _entry_rows(conn: Database) -> dict[int, list[tuple[str, str, str]]]:
    out: dict[int, list[tuple[str, str, str]]] = {}
    for seq, tbl, key, digest in conn.execute(
        "SELECT seq, tbl, row_key, hash FROM audit_rows ORDER BY seq, position"
    ):
        out.setdefault(int(seq), []).append((str(tbl), str(key), str(digest)))
    return out


def _chain(conn: Database, entry_rows: dict[int, list[tuple[str, str, str]]],
           expected_head: tuple[int, str] | None) -> list[AuditProblem]:  # fmt: skip
    rows = conn.execute(
        "SELECT seq, at, actor, action, subject, detail, prev_hash, hash, rows_hash FROM audit "
        "ORDER BY seq"
    ).fetchall()
    problems: list[AuditProblem] = []
    prev = GENESIS
    new_format = False
    for position, (seq, at, actor, action, subject, detail, prev_hash, digest, rows_digest) in (
        enumerate(rows, start=1)
    ):  # fmt: skip
        if seq != position:
            problems.append(AuditProblem(position, f"found entry {seq} where entry {position} should be "
                                         "(an entry was removed, inserted or reordered)"))  # fmt: skip
            break
        if prev_hash != prev:
            problems.append(
                AuditProblem(seq, "does not chain to the entry before it (removed or reordered)")
            )
            break
        if rows_digest is None and new_format:
            problems.append(AuditProblem(seq, "is in the old encoding after the log moved to the new "
                                         "one (it was rewritten)"))  # fmt: skip
            break
        new_format = new_format or rows_digest is not None
        if rows_digest is not None and _rows_hash(entry_rows.get(seq, [])) != rows_digest:
            problems.append(AuditProblem(seq, "the rows it vouches for were changed, added or "
                                         "removed after it was written (audit_rows)"))  # fmt: skip
            break
        if _digest(seq, at, actor, action, subject, detail, rows_digest, prev_hash) != digest:
            problems.append(
                AuditProblem(seq, "was changed after it was written (its hash does not match)")
            )
            break
        prev = digest
    if not problems:
        stored = head(conn)
        last = (len(rows), prev)
        if stored != last and not (stored[0] == 0 and last[0] == 0):
            problems.append(AuditProblem(last[0] + 1 if stored[0] > last[0] else stored[0],
                                         f"the log ends at entry {last[0]} but its head says {stored[0]} "
                                         "(entries were removed from the end)"))  # fmt: skip
        elif expected_head is not None and expected_head != last:
            problems.append(AuditProblem(min(expected_head[0], last[0]) + 1 if expected_head[0] > last[0]
                                         else expected_head[0],
                                         "does not match the head kept outside the system"))  # fmt: skip
    if not problems:
        extra = sorted(set(entry_rows) - {int(r[0]) for r in rows})
        if extra:
            problems.append(AuditProblem(extra[0], "audit_rows names an entry that does not exist"))
    return problems


def _row_problems(conn: Database, entry_rows: dict[int, list[tuple[str, str, str]]]) -> list[AuditProblem]:  # fmt: skip
    latest: dict[tuple[str, str], tuple[str, int]] = {}
    for seq in sorted(entry_rows):
        for tbl, text, digest in entry_rows[seq]:
            latest[(tbl, text)] = (digest, seq)
    problems: list[AuditProblem] = []
    for table in COVERED.values():
        order = ", ".join(table.key)
        for row in conn.execute(f"{table.select()} ORDER BY {order}"):
            key = _key_of(table, row)
            vouched_by = latest.pop((table.name, _key_text(key)), None)
            name = table.describe(key)
            if vouched_by is None:
                problems.append(AuditProblem(0, "no audit entry wrote this row (it was inserted "
                                             "outside ceasefire)", table.name, name))  # fmt: skip
            elif vouched_by[0] != row_hash(table, row):
                problems.append(AuditProblem(vouched_by[1], f"its content differs from what audit entry "
                                             f"{vouched_by[1]} wrote (changed outside ceasefire)",
                                             table.name, name))  # fmt: skip
        gone = sorted(
            (json.loads(key), seq)
            for (tbl, key), (digest, seq) in latest.items()
            if tbl == table.name and digest != REMOVED
        )
        for key_values, seq in gone:
            problems.append(AuditProblem(seq, f"audit entry {seq} wrote this row but it is missing "
                                         "(removed outside ceasefire)", table.name,
                                         table.describe(key_values)))  # fmt: skip
    return problems


def verify(conn: Database, expected_head: tuple[int, str] | None = None) -> list[AuditProblem]:
    """Walk the chain (the first problem is the first bad entry), then check every covered row
    against the entry that last wrote it. ``expected_head`` is a head kept outside the system
    (it also catches a truncated log together with a rewritten head)."""
    entry_rows = _entry_rows(conn)
    problems = _chain(conn, entry_rows, expected_head)
    rows = _row_problems(conn, entry_rows)
    if len(rows) > MAX_ROW_PROBLEMS:
        more = len(rows) - MAX_ROW_PROBLEMS
        rows = rows[:MAX_ROW_PROBLEMS]
        rows.append(AuditProblem(0, f"and {more} more rows that no entry vouches for"))
    return problems + rows


def _entry_sound(conn: Database, seq: int) -> bool:
    """Whether entry ``seq`` recomputes (fields and rows) and chains to the entry before it."""
    row = conn.execute(
        "SELECT seq, at, actor, action, subject, detail, prev_hash, hash, rows_hash FROM audit "
        "WHERE seq = ?",
        (seq,),
    ).fetchone()
    if row is None or row[8] is None:
        return False
    lines = [
        (str(t), str(k), str(h))
        for t, k, h in conn.execute(
            "SELECT tbl, row_key, hash FROM audit_rows WHERE seq = ? ORDER BY position", (seq,)
        )
    ]
    _, at, actor, action, subject, detail, prev, digest, rows_digest = row
    if _rows_hash(lines) != rows_digest or (
        _digest(seq, at, actor, action, subject, detail, rows_digest, prev) != digest
    ):
        return False
    before = conn.execute("SELECT hash FROM audit WHERE seq = ?", (seq - 1,)).fetchone()
    return bool(prev == (before[0] if before else GENESIS))


def vouched(
    conn: Database, table_name: str, where: str = "", params: Sequence[Any] = ()
) -> dict[tuple[Any, ...], tuple[list[Any], int]]:
    """The rows of a covered table (``WHERE where``) that the chain vouches for: their content is
    what the entry that last wrote them recorded, and that entry is intact.  Key → (row, seq)."""
    table = COVERED[table_name]
    rows = conn.execute(f"{table.select()} {'WHERE ' + where if where else ''}", params).fetchall()
    if not rows:
        return {}
    keyed = {_key_text(_key_of(table, r)): r for r in rows}
    latest: dict[str, tuple[str, int]] = {}
    texts = sorted(keyed)
    for start in range(0, len(texts), _CHUNK):
        chunk = texts[start : start + _CHUNK]
        marks = ", ".join("?" for _ in chunk)
        for key, digest, seq in conn.execute(
            # the table name comes from COVERED (code); the keys are bound parameters
            f"SELECT row_key, hash, seq FROM audit_rows WHERE tbl = ? AND row_key IN ({marks}) "  # nosec B608
            "ORDER BY seq, position",
            (table.name, *chunk),
        ):
            latest[str(key)] = (str(digest), int(seq))
    sound: dict[int, bool] = {}
    out: dict[tuple[Any, ...], tuple[list[Any], int]] = {}
    for text, row in keyed.items():
        found = latest.get(text)
        if found is None or found[0] != row_hash(table, row):
            continue
        if found[1] not in sound:
            sound[found[1]] = _entry_sound(conn, found[1])
        if sound[found[1]]:
            out[_key_of(table, row)] = (_normalised(table, row), found[1])
    return out
