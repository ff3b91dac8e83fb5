"""Schema migrations, applied in order; ``PRAGMA user_version`` records the last one applied."""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: incidents with revisions, import batches, quarantine
    """
    CREATE TABLE batches (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        file TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        imported_at TEXT NOT NULL,
        added INTEGER NOT NULL,
        revised INTEGER NOT NULL,
        unchanged INTEGER NOT NULL,
        quarantined INTEGER NOT NULL
    );
    CREATE TABLE incidents (
        key TEXT PRIMARY KEY,
        source_system TEXT NOT NULL,
        source_id TEXT NOT NULL,
        revision INTEGER NOT NULL,
        hash TEXT NOT NULL,
        start_utc TEXT NOT NULL,
        end_utc TEXT NOT NULL,
        body TEXT NOT NULL,
        batch_id INTEGER NOT NULL REFERENCES batches(id)
    );
    CREATE INDEX incidents_time ON incidents(start_utc, end_utc);
    CREATE TABLE incident_revisions (
        key TEXT NOT NULL,
        revision INTEGER NOT NULL,
        hash TEXT NOT NULL,
        body TEXT NOT NULL,
        batch_id INTEGER NOT NULL REFERENCES batches(id),
        PRIMARY KEY (key, revision)
    );
    CREATE TABLE quarantine (
        id INTEGER PRIMARY KEY,
        batch_id INTEGER NOT NULL REFERENCES batches(id),
        file TEXT NOT NULL,
        line INTEGER NOT NULL,
        field TEXT NOT NULL,
        reason TEXT NOT NULL,
        raw TEXT NOT NULL
    );
    """,
    # 2: humanitarian convoys and parties' claims, kept as documents with revisions
    """
    CREATE TABLE records (
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        revision INTEGER NOT NULL,
        hash TEXT NOT NULL,
        body TEXT NOT NULL,
        batch_id INTEGER NOT NULL REFERENCES batches(id),
        PRIMARY KEY (kind, id)
    );
    CREATE TABLE record_revisions (
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        revision INTEGER NOT NULL,
        hash TEXT NOT NULL,
        body TEXT NOT NULL,
        batch_id INTEGER NOT NULL REFERENCES batches(id),
        PRIMARY KEY (kind, id, revision)
    );
    """,
    # 3: accounts, joint decisions with approvals, and the hash-chained audit log
    """
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL,
        party TEXT,
        token_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE decisions (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        subject TEXT NOT NULL,
        text TEXT NOT NULL,
        effective TEXT NOT NULL,
        until TEXT,
        proposed_by INTEGER NOT NULL REFERENCES users(id),
        created_at TEXT NOT NULL,
        decided_at TEXT
    );
    CREATE TABLE approvals (
        decision_id TEXT NOT NULL REFERENCES decisions(id),
        user_id INTEGER NOT NULL REFERENCES users(id),
        guarantor TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (decision_id, user_id)
    );
    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT NOT NULL,
        detail TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE TABLE idempotency (
        key TEXT NOT NULL,
        account INTEGER NOT NULL,
        status INTEGER NOT NULL,
        response TEXT NOT NULL,
        PRIMARY KEY (key, account)
    );
    CREATE TABLE report_meta (
        key TEXT PRIMARY KEY,
        account INTEGER NOT NULL REFERENCES users(id),
        role TEXT NOT NULL,
        party TEXT,
        released_at TEXT
    );
    CREATE TABLE webhooks (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL,
        secret TEXT NOT NULL,
        events TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY,
        webhook INTEGER NOT NULL REFERENCES webhooks(id),
        event TEXT NOT NULL,
        body TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        last_error TEXT
    );
    CREATE TABLE audit_head (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        seq INTEGER NOT NULL,
        hash TEXT NOT NULL
    );
    """,
)
