"""The tamper-evident audit log: every write appends an entry chained to the previous one.

``hash = sha256(seq | at | actor | action | subject | detail | prev_hash)``.  The head (last
sequence number and hash) is kept beside the log and should also be copied outside the system
(``ceasefire audit head``): then a changed, removed, inserted or reordered entry — even by an
administrator with write access to the database — is found by :func:`verify`, which names the
first bad entry.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ceasefire.store.db import Database

__all__ = ["GENESIS", "AuditProblem", "append", "head", "verify"]

GENESIS = "0" * 64


def _digest(
    seq: int, at: str, actor: str, action: str, subject: str, detail: str, prev: str
) -> str:
    blob = "\x1f".join((str(seq), at, actor, action, subject, detail, prev))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def append(conn: Database, actor: str, action: str, subject: str, detail: dict[str, Any]) -> int:
    """Append one entry inside the caller's transaction; returns its sequence number."""
    row = conn.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
    seq, prev = (row[0] + 1, row[1]) if row else (1, GENESIS)
    at = datetime.now(UTC).isoformat(timespec="microseconds")
    body = json.dumps(detail, sort_keys=True, ensure_ascii=False)
    digest = _digest(seq, at, actor, action, subject, body, prev)
    conn.execute(
        "INSERT INTO audit(seq, at, actor, action, subject, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (seq, at, actor, action, subject, body, prev, digest),
    )
    conn.execute(
        "INSERT INTO audit_head(id, seq, hash) VALUES (1, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
        (seq, digest),
    )
    return seq


def head(conn: Database) -> tuple[int, str]:
    row = conn.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
    return (int(row[0]), str(row[1])) if row else (0, GENESIS)


@dataclass(frozen=True)
class AuditProblem:
    seq: int
    message: str

    def __str__(self) -> str:
        return f"audit entry {self.seq}: {self.message}"


def verify(conn: Database, expected_head: tuple[int, str] | None = None) -> list[AuditProblem]:
    """Walk the chain; the first problem is the first bad entry. ``expected_head`` is a head kept
    outside the system (it also catches a truncated log together with a rewritten head)."""
    rows = conn.execute(
        "SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit ORDER BY seq"
    ).fetchall()
    problems: list[AuditProblem] = []
    prev = GENESIS
    for position, (seq, at, actor, action, subject, detail, prev_hash, digest) in enumerate(
        rows, start=1
    ):
        if seq != position:
            problems.append(AuditProblem(position, f"found entry {seq} where entry {position} should be "
                                         "(an entry was removed, inserted or reordered)"))  # fmt: skip
            break
        if prev_hash != prev:
            problems.append(
                AuditProblem(seq, "does not chain to the entry before it (removed or reordered)")
            )
            break
        if _digest(seq, at, actor, action, subject, detail, prev_hash) != digest:
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
    return problems
