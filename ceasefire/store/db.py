"""One connection interface over SQLite (embedded default) and PostgreSQL/PostGIS (server).

The store's SQL is written once, with ``?`` placeholders and portable statements; this module
translates where the two differ:

- placeholders: ``?`` → ``%s`` for psycopg (a literal ``%`` is escaped);
- write transactions: :meth:`Database.transaction` is ``BEGIN IMMEDIATE`` on SQLite (one writer
  at a time) and ``BEGIN`` plus a transaction-scoped advisory lock on PostgreSQL, so that the
  read-then-write steps of the audit chain and of decision numbering are serialised the same way;
- schema version: ``PRAGMA user_version`` on SQLite, a ``schema_version`` table on PostgreSQL;
- DDL: ``INTEGER PRIMARY KEY`` becomes an identity column; tables without one get an identity
  column named ``rowid`` so that "in the order written" reads the same on both.

A database URL selects the backend: ``sqlite:///path/to/file.sqlite`` or
``postgresql://user@host:port/dbname[?schema=NAME]`` (``schema`` keeps several workspaces in one
database; it is created on first use). No URL means the SQLite file in the workspace folder.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ceasefire.errors import StoreError

__all__ = ["Cursor", "Database", "PostgresDatabase", "SqliteDatabase", "open_database", "redact"]

_WRITE_LOCK = 0x0CEA5EF1  # the advisory lock that serialises writers on PostgreSQL
_SCHEMA_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Database:
    """A connection with the store's vocabulary: execute, transaction, schema version."""

    dialect: str = ""
    url: str = ""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        raise NotImplementedError

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        raise NotImplementedError

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        self._begin()
        try:
            yield self
        except BaseException:
            self._rollback()
            raise
        self._commit()

    @contextmanager
    def savepoint(self, name: str = "item") -> Iterator[Database]:
        """Inside a transaction: undo only this block's writes if it raises."""
        self.execute(f"SAVEPOINT {name}")
        try:
            yield self
        except BaseException:
            self.execute(f"ROLLBACK TO SAVEPOINT {name}")
            self.execute(f"RELEASE SAVEPOINT {name}")
            raise
        self.execute(f"RELEASE SAVEPOINT {name}")

    def make_durable(self) -> None:
        """Every commit on this connection reaches the disk before it returns (fsync)."""
        raise NotImplementedError

    def _begin(self) -> None:
        raise NotImplementedError

    def _commit(self) -> None:
        raise NotImplementedError

    def _rollback(self) -> None:
        raise NotImplementedError

    def schema_version(self) -> int:
        raise NotImplementedError

    def set_schema_version(self, version: int) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class SqliteDatabase(Database):
    dialect = "sqlite"

    def __init__(self, conn: sqlite3.Connection, url: str) -> None:
        self.raw = conn
        self.url = url

    @classmethod
    def open(cls, path: Path | str) -> SqliteDatabase:
        conn = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
        if str(path) != ":memory:":
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        return cls(conn, f"sqlite:///{path}")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        return self.raw.execute(sql, tuple(params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.raw.executemany(sql, rows)

    def make_durable(self) -> None:
        self.raw.execute("PRAGMA synchronous=FULL")  # WAL + FULL: the WAL is synced at each commit

    def _begin(self) -> None:
        self.raw.execute("BEGIN IMMEDIATE")

    def _commit(self) -> None:
        self.raw.execute("COMMIT")

    def _rollback(self) -> None:
        if self.raw.in_transaction:
            self.raw.execute("ROLLBACK")

    def schema_version(self) -> int:
        (version,) = self.raw.execute("PRAGMA user_version").fetchone()
        return int(version)

    def set_schema_version(self, version: int) -> None:
        self.raw.execute(f"PRAGMA user_version = {int(version)}")

    def close(self) -> None:
        self.raw.close()


def _to_pyformat(sql: str) -> str:
    """``?`` placeholders → ``%s`` outside quoted literals; a literal ``%`` → ``%%``."""
    out: list[str] = []
    quote = ""
    for ch in sql:
        if quote:
            out.append("%%" if ch == "%" else ch)
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
            out.append(ch)
        elif ch == "?":
            out.append("%s")
        elif ch == "%":
            out.append("%%")
        else:
            out.append(ch)
    return "".join(out)


class PostgresDatabase(Database):
    dialect = "postgresql"

    def __init__(self, conn: Any, url: str, schema: str | None) -> None:
        self.raw = conn
        self.url = url
        self.schema = schema
        self._sql_cache: dict[str, str] = {}

    @classmethod
    def open(cls, url: str) -> PostgresDatabase:
        try:
            import psycopg
        except ImportError as exc:  # pragma: no cover - psycopg is a dependency
            raise StoreError("PostgreSQL needs the psycopg package: pip install ceasefire") from exc
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        schema = query.pop("schema", None)
        if schema is not None and not _SCHEMA_RE.match(schema):
            raise StoreError(
                f"schema={schema!r} in the database URL is not a plain lower-case SQL name "
                "(letters, digits, underscores)."
            )
        dsn = urlunsplit(("postgresql", parts.netloc, parts.path, urlencode(query), parts.fragment))
        try:
            conn = psycopg.connect(dsn, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise StoreError(
                f"Cannot connect to PostgreSQL at {redact(url)}: {str(exc).strip()}. "
                "Check that the server runs and the URL (user, host, port, database) is right."
            ) from exc
        db = cls(conn, url, schema)
        if schema is not None:
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            conn.execute(f'SET search_path TO "{schema}", public')
        return db

    def _sql(self, sql: str) -> str:
        cached = self._sql_cache.get(sql)
        if cached is None:
            cached = self._sql_cache[sql] = _to_pyformat(sql)
        return cached

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        cursor: Cursor = self.raw.execute(self._sql(sql), tuple(params))
        return cursor

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self.raw.cursor() as cur:
            cur.executemany(self._sql(sql), rows)

    def make_durable(self) -> None:
        self.raw.execute("SET synchronous_commit = on")

    def _begin(self) -> None:
        self.raw.execute("BEGIN")
        self.raw.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITE_LOCK,))

    def _commit(self) -> None:
        self.raw.execute("COMMIT")

    def _rollback(self) -> None:
        self.raw.execute("ROLLBACK")

    def schema_version(self) -> int:
        self.raw.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = self.raw.execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0] or 0)

    def set_schema_version(self, version: int) -> None:
        self.raw.execute("DELETE FROM schema_version")
        self.raw.execute("INSERT INTO schema_version(version) VALUES (%s)", (int(version),))

    def close(self) -> None:
        self.raw.close()


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def open_database(url: str) -> Database:
    """Open a database by URL (``sqlite:///…``, ``postgresql://…``)."""
    scheme = url.split(":", 1)[0].lower()
    if scheme in ("postgresql", "postgres"):
        return PostgresDatabase.open(url)
    if scheme == "sqlite":
        path = url.split(":", 1)[1].removeprefix("//")
        return SqliteDatabase.open(path or ":memory:")
    raise StoreError(
        f"Unknown database URL {redact(url)!r}: use sqlite:///path/file.sqlite or "
        "postgresql://user@host:port/dbname[?schema=name]."
    )
