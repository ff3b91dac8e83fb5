"""Durable report intake with group commit.

Requests are parsed and validated on the server's threads; their writes go to one writer thread
that owns one durable connection (SQLite WAL with ``synchronous=FULL``, or PostgreSQL with
``synchronous_commit=on``). The writer takes every report waiting at that moment, writes each in
its own savepoint of one transaction and commits once; only then is any of them answered. So a
response always means "on disk", and under load one disk sync serves many reports.

Inside the transaction, per report: the token is checked (an account disabled a moment ago is
refused), the ``Idempotency-Key`` is looked up (a retry of the same report gets the first
response and stores nothing; the same key with a different report is a conflict, 409), then the
report, its confidentiality record and the idempotency record are written.

Each report is isolated from the others of its group: its writes sit in a savepoint, and any
failure of one report (whatever its cause) undoes that report's writes alone and answers it
alone; the rest of the group is committed.  Its id is namespaced by the reporting account
(:func:`namespaced`): an account can revise its own reports, never another's, and cannot tell
from any answer whether another account used the same id.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from ceasefire.errors import IntakeError
from ceasefire.governance import Account, authenticate
from ceasefire.intake.common import Batch
from ceasefire.intake.jsonlines import Claim
from ceasefire.model.batches import record_key
from ceasefire.model.incidents import Incident
from ceasefire.store import Store

__all__ = ["IntakeItem", "IntakeWriter", "namespaced"]

logger = logging.getLogger(__name__)

MAX_GROUP = 256
IDLE_CLOSE_S = 5.0  # the writer closes its connection after this long without work


@dataclass
class IntakeItem:
    token: str
    permission_check: Callable[[Any], None]  # raises AccessDeniedError for a role that may not post
    idempotency_key: str | None
    record: Any
    request_hash: str = ""  # the validated report's digest: one Idempotency-Key, one report
    future: Future[tuple[int, dict[str, Any]]] = field(default_factory=Future)


def namespaced(record: Incident | Claim, account: Account) -> Incident | Claim:
    """The record with its id in the reporting account's namespace (``<account>~<id>``): ids are
    the account's own, so two accounts using the same id write two reports."""
    if isinstance(record, Incident):
        return dataclasses.replace(record, source_id=f"{account.id}~{record.source_id}")
    return dataclasses.replace(record, id=f"{account.id}~{record.id}")


def _conflict(message: str) -> dict[str, Any]:
    return {"error": {"code": "idempotency_conflict", "message": message}}


class IntakeWriter:
    """One writer thread per server; :meth:`submit` returns a future of (status, JSON body)."""

    def __init__(self, open_store: Callable[[], Store]) -> None:
        self._open_store = open_store
        self._queue: queue.Queue[IntakeItem] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._alerts: queue.Queue[list[str]] = queue.Queue()
        self._alert_thread: threading.Thread | None = None
        self.groups = 0  # commits made (for tests and benchmarks: reports / groups = group size)

    def submit(self, item: IntakeItem) -> Future[tuple[int, dict[str, Any]]]:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="intake-writer", daemon=True)
                self._thread.start()
        self._queue.put(item)
        return item.future

    def _run(self) -> None:
        store: Store | None = None
        try:
            while True:
                try:
                    first = self._queue.get(timeout=IDLE_CLOSE_S)
                except queue.Empty:
                    if store is not None:
                        store.close()
                        store = None
                    continue
                group = [first]
                while len(group) < MAX_GROUP:
                    try:
                        group.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                if store is None:
                    try:
                        store = self._open_store()
                        store.conn.make_durable()
                    except Exception as exc:  # noqa: BLE001 - unreachable database: nothing was stored
                        store = None
                        for item in group:
                            item.future.set_exception(exc)
                        continue
                self._write(store, group)
        finally:
            if store is not None:
                store.close()

    def _write(self, store: Store, group: list[IntakeItem]) -> None:
        answers: list[tuple[int, dict[str, Any], tuple[str, ...]] | BaseException] = []
        try:
            with store.transaction() as conn:
                for item in group:
                    try:
                        with conn.savepoint():
                            answers.append(self._one(store, item))
                    except Exception as exc:  # noqa: BLE001 - one report's failure is its own
                        answers.append(exc)
            self.groups += 1
        except Exception as exc:  # noqa: BLE001 - the commit failed: none is acknowledged
            for item in group:
                item.future.set_exception(exc)
            return
        for item, answer in zip(group, answers, strict=True):
            if isinstance(answer, BaseException):
                item.future.set_exception(answer)
            else:
                item.future.set_result(answer[:2])
        changed = [k for a in answers if not isinstance(a, BaseException) for k in a[2]]
        if changed:
            # alerts after the commit and the answers, off the writer's thread
            with self._lock:
                if self._alert_thread is None or not self._alert_thread.is_alive():
                    self._alert_thread = threading.Thread(
                        target=self._alert_loop, name="intake-alerts", daemon=True
                    )
                    self._alert_thread.start()
            self._alerts.put(changed)

    def _alert_loop(self) -> None:
        """One thread, one connection: the keys of every group waiting are taken together, so a
        burst of reports costs one look at the hooks (and one clock comparison), not one each."""
        from ceasefire.alerts import after_change
        from ceasefire.service import judge_for, link_incidents, replay_from_store

        store: Store | None = None
        try:
            while True:
                try:
                    keys = self._alerts.get(timeout=IDLE_CLOSE_S)
                except queue.Empty:
                    if store is not None:
                        store.close()
                        store = None
                    continue
                while True:
                    try:
                        keys = keys + self._alerts.get_nowait()
                    except queue.Empty:
                        break
                try:
                    if store is None:
                        store = self._open_store()
                    # a report of an event another feed holds: linked before the clock is read
                    link_incidents(store, list(dict.fromkeys(keys)))
                    after_change(
                        store,
                        list(dict.fromkeys(keys)),
                        replay_from_store=replay_from_store,
                        judge_for=judge_for,
                    )
                except Exception:  # an alert failure never touches intake
                    logger.exception("alerts after intake failed")
        finally:
            if store is not None:
                store.close()

    @staticmethod
    def _one(store: Store, item: IntakeItem) -> tuple[int, dict[str, Any], tuple[str, ...]]:
        """(status, response, keys of incidents changed: alerts look at those)."""
        conn = store.conn
        who = authenticate(store, item.token)
        item.permission_check(who)
        if item.idempotency_key:
            row = conn.execute(
                "SELECT status, response, request FROM idempotency WHERE key = ? AND account = ?",
                (item.idempotency_key, who.id),
            ).fetchone()
            if row is not None:
                if row[2] is not None and row[2] != item.request_hash:
                    return (
                        409,
                        _conflict(
                            "This Idempotency-Key was used for a different report; use a new key "
                            "for a new report, or resend the first report unchanged."
                        ),
                        (),
                    )
                return int(row[0]), json.loads(row[1]), ()
        record = namespaced(item.record, who)
        batch = Batch(kind="reports", file=f"api:{who.name}")
        batch.records.append(record)
        key = record_key(record)
        # a submission to the centre: restricted until a guarantor releases it (recorded with the
        # record, in its transaction; ceasefire.visibility is the one rule that reads it)
        batch.restricted[key] = who.party or who.role
        summary = store.import_in_transaction(batch)
        if summary.problems:  # checked at the door already; the store's own check agrees
            raise IntakeError(f"The report was not stored: {summary.problems[0]}")
        conn.execute(
            "INSERT INTO report_meta(key, account, role, party) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(key) DO NOTHING",
            (key, who.id, who.role, who.party),
        )
        own_id = item.record.source_id if isinstance(item.record, Incident) else item.record.id
        response = {"id": own_id, "key": key, "stored": summary.to_json(),
                    "reporter_account": who.name}  # fmt: skip
        if item.idempotency_key:
            conn.execute(
                "INSERT INTO idempotency(key, account, status, response, request) "
                "VALUES (?, ?, ?, ?, ?)",
                (item.idempotency_key, who.id, 201, json.dumps(response, sort_keys=True),
                 item.request_hash),
            )  # fmt: skip
        return 201, response, summary.changed_incidents
