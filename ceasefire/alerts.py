"""Signed webhooks: alerts for decisions that take effect (and, as they are wired, other events).

Each delivery is a JSON POST with ``X-Ceasefire-Event``, ``X-Ceasefire-Delivery`` and
``X-Ceasefire-Signature: sha256=<HMAC-SHA256 of the body with the hook's secret>``; the receiver
recomputes the HMAC to know the alert came from this centre and was not altered.  Deliveries are
recorded (delivered / failed with the error) and failed ones can be retried.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.request
from datetime import UTC, datetime
from typing import Any

from ceasefire.errors import ConfigError
from ceasefire.store import Store, audit

__all__ = ["EVENTS", "add_webhook", "notify", "retry_failed", "sign"]

EVENTS = ("decision", "serious_incident", "clock")
TIMEOUT_S = 3.0


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def add_webhook(store: Store, url: str, events: list[str], by: str) -> tuple[int, str]:
    """Register a hook; returns (id, secret). Loopback or https only."""
    if not (
        url.startswith("https://")
        or url.startswith(("http://127.", "http://localhost", "http://[::1]"))
    ):
        raise ConfigError("A webhook URL must be https:// (or http:// on loopback for testing).")
    unknown = [e for e in events if e not in EVENTS]
    if unknown or not events:
        raise ConfigError(
            f"Events must be among {', '.join(EVENTS)}; got {', '.join(events) or 'none'}."
        )
    secret = secrets.token_hex(32)
    with store.transaction() as conn:
        (hook_id,) = conn.execute(
            "INSERT INTO webhooks(url, secret, events, created_at) VALUES (?, ?, ?, ?) RETURNING id",
            (url, secret, ",".join(sorted(events)), datetime.now(UTC).isoformat()),
        ).fetchone()
        audit.append(conn, by, "webhooks.add", str(hook_id), {"url": url, "events": sorted(events)})
    return hook_id, secret


def _deliver(url: str, secret: str, event: str, delivery: int, body: bytes) -> str | None:
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "X-Ceasefire-Event": event,
        "X-Ceasefire-Delivery": str(delivery), "X-Ceasefire-Signature": sign(secret, body),
    })  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            return None if 200 <= response.status < 300 else f"HTTP {response.status}"
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        return f"{type(exc).__name__}: {exc}"


def notify(store: Store, event: str, payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Send ``event`` to every hook subscribed to it; record each delivery."""
    body = json.dumps({"event": event, "payload": payload}, sort_keys=True).encode("utf-8")
    results = []
    hooks = store.conn.execute(
        "SELECT id, url, secret, events FROM webhooks ORDER BY id"
    ).fetchall()
    for hook_id, url, secret, events in hooks:
        if event not in events.split(","):
            continue
        (delivery,) = store.conn.execute(
            "INSERT INTO deliveries(webhook, event, body, status, attempts) "
            "VALUES (?, ?, ?, 'pending', 0) RETURNING id",
            (hook_id, event, body.decode("utf-8")),
        ).fetchone()
        error = _deliver(url, secret, event, delivery, body)
        store.conn.execute(
            "UPDATE deliveries SET status = ?, attempts = attempts + 1, last_error = ? WHERE id = ?",
            ("failed" if error else "delivered", error, delivery),
        )
        results.append({"webhook": hook_id, "delivery": delivery, "error": error})
    return results


def retry_failed(store: Store) -> int:
    """Retry failed deliveries once; returns how many now succeeded."""
    rows = store.conn.execute(
        "SELECT d.id, d.event, d.body, w.url, w.secret FROM deliveries d JOIN webhooks w ON w.id = d.webhook "
        "WHERE d.status = 'failed' ORDER BY d.id"
    ).fetchall()
    ok = 0
    for delivery, event, body, url, secret in rows:
        error = _deliver(url, secret, event, delivery, body.encode("utf-8"))
        store.conn.execute(
            "UPDATE deliveries SET status = ?, attempts = attempts + 1, last_error = ? WHERE id = ?",
            ("failed" if error else "delivered", error, delivery),
        )
        ok += error is None
    return ok
