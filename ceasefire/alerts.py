"""Signed webhooks: alerts for decisions that take effect, serious incidents and clock changes.

Events:

- ``decision``: a guarantor decision took effect (its last required approval arrived);
- ``serious_incident``: an import (CLI or ``POST /reports``) added or revised an incident with at
  least :data:`SERIOUS_DEATHS` deaths (best estimate), or of a category in
  :data:`SERIOUS_CATEGORIES` (attacks on aid, civilians, monitors), or — for a hook that names an
  agreement — one the agreement's rules find a violation;
- ``clock``: for a hook that names an agreement, the daily state of its clock (phase, day, counted
  days, each condition and phase) changed on some day, after an import or a decision. The payload
  names the days that changed, before and after. The last state sent is kept in the store.

Each delivery is a JSON POST with ``X-Ceasefire-Event``, ``X-Ceasefire-Delivery`` and
``X-Ceasefire-Signature: sha256=<HMAC-SHA256 of the body with the hook's secret>``; the receiver
recomputes the HMAC to know the alert came from this centre and was not altered.  Deliveries are
recorded (delivered / failed with the error) and failed ones can be retried.

Alerts sit below the service layer: the clock alerts need the service's replay of the stored
records, so the functions that compare clocks take it as an argument (:class:`StoredReplay`,
normally :func:`ceasefire.service.replay_from_store`), and governance hands a decision that took
effect to :func:`decision_took_effect` through the hook the service layer gives it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from ceasefire.errors import ConfigError
from ceasefire.model.agreement import Agreement
from ceasefire.model.incidents import Incident
from ceasefire.store import Store, audit
from ceasefire.visibility import (
    PUBLIC,
    Audience,
    parse_audience,
    restrictions,
    sees_unreleased,
    visible_decision,
    visible_incidents,
)

if TYPE_CHECKING:
    from ceasefire.compliance.judge import Judge
    from ceasefire.reports.daily import Replay

__all__ = [
    "EVENTS",
    "SERIOUS_CATEGORIES",
    "SERIOUS_DEATHS",
    "StoredJudge",
    "StoredReplay",
    "add_webhook",
    "after_change",
    "clock_days",
    "decision_took_effect",
    "notify",
    "retry_failed",
    "serious_reasons",
    "sign",
]

EVENTS = ("decision", "serious_incident", "clock")
TIMEOUT_S = 3.0
SERIOUS_DEATHS = 10
SERIOUS_CATEGORIES = frozenset({"HUM.ATTACK", "CIV.ATTACK", "MON.OBSTRUCT"})
CLOCK_MAX_DAYS = 120  # days of clock compared, from the agreement's start


class StoredJudge(Protocol):
    """The one judgement path of a workspace: :func:`ceasefire.service.judge_for`."""

    def __call__(self, store: Store, agreement: Agreement, *, audience: Audience) -> Judge: ...


class StoredReplay(Protocol):
    """A replay of a workspace's stored records under an agreement (with the decisions stored in
    effect): the service layer's :func:`ceasefire.service.replay_from_store`."""

    def __call__(
        self, store: Store, agreement: Agreement, control: Any = ..., *, audience: Audience
    ) -> Replay: ...


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def add_webhook(store: Store, url: str, events: list[str], by: str,
                agreement: str | None = None, audience: str = "public") -> tuple[int, str]:  # fmt: skip
    """Register a hook; returns (id, secret). Loopback or https only. ``clock`` needs the agreement
    whose clock the hook watches.  ``audience`` (``public``, ``all``, ``party:ID``): what its
    receiver may learn (``ceasefire.visibility``)."""
    try:
        audience = parse_audience(audience).scope
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
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
    if "clock" in events and not agreement:
        raise ConfigError("A clock alert watches one agreement: give --agreement NAME.")
    if agreement:
        from ceasefire import catalogue

        catalogue.load(store, agreement)  # a name in the catalogue (never a path), known now
    secret = secrets.token_hex(32)
    with store.transaction() as conn:
        (hook_id,) = conn.execute(
            "INSERT INTO webhooks(url, secret, events, created_at, agreement, audience) "
            "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            (
                url,
                secret,
                ",".join(sorted(events)),
                datetime.now(UTC).isoformat(),
                agreement,
                audience,
            ),
        ).fetchone()
        audit.append(conn, by, "webhooks.add", str(hook_id),
                     {"url": url, "events": sorted(events), "agreement": agreement,
                      "audience": audience},
                     [("webhooks", (hook_id,))])  # fmt: skip
    return hook_id, secret


def _deliver(url: str, secret: str, event: str, delivery: int, body: bytes) -> str | None:
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "X-Ceasefire-Event": event,
        "X-Ceasefire-Delivery": str(delivery), "X-Ceasefire-Signature": sign(secret, body),
    })  # fmt: skip
    # add_webhook accepts https (or http on loopback) only; a row changed in the database is
    # checked again here, so urlopen never opens file: or a custom scheme (bandit B310)
    if not url.startswith(("https://", "http://")):
        return "not sent: the webhook's URL is not http(s)"
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # nosec B310
            return None if 200 <= response.status < 300 else f"HTTP {response.status}"
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        return f"{type(exc).__name__}: {exc}"


def notify(store: Store, event: str, payload: dict[str, Any],
           agreement: str | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """Send ``event`` to every hook subscribed to it (and, when ``agreement`` is given, watching
    that agreement); record each delivery."""
    results = []
    for hook in _hooks_for(store, event, agreement, any_agreement=agreement is None):
        results.extend(_send(store, hook, event, payload))
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


def serious_reasons(incident: Incident, finding: dict[str, Any] | None) -> list[str]:
    """Why an incident is serious enough to alert on (empty: it is not)."""
    reasons = []
    best = incident.fatalities.best
    if best is not None and best >= SERIOUS_DEATHS:
        reasons.append(f"{best} deaths (best estimate) ≥ {SERIOUS_DEATHS}")
    if incident.category in SERIOUS_CATEGORIES:
        reasons.append(f"category {incident.category}")
    if finding is not None and finding.get("qualification") == "violation":
        reasons.append("a violation of " + str(finding.get("agreement", "the agreement")))
    return reasons


def clock_days(
    store: Store, agreement: Agreement, replay_from_store: StoredReplay, who: Audience = PUBLIC
) -> dict[str, dict[str, Any]]:
    """The clock's state at the end of each local day, from the start to the last incident's day
    (at most :data:`CLOCK_MAX_DAYS`): phase, day, counted days, each condition and phase."""
    from ceasefire.compliance.clock import status_at

    tz = agreement.timezone
    first = agreement.start.instant.astimezone(tz).date()
    replay = replay_from_store(store, agreement, control=None, audience=who)
    ends = [i.window.end for i in replay.incidents]
    last_seen = max(ends).astimezone(tz).date() if ends else first
    last = min(max(first, last_seen), first + timedelta(days=CLOCK_MAX_DAYS))
    out: dict[str, dict[str, Any]] = {}
    day = first
    while day <= last:
        at = datetime.combine(day, time(23, 59, 59), tzinfo=tz)
        st = status_at(replay.clock(at), at)
        out[day.isoformat()] = {
            "phase": st["phase"], "day": st["day"], "consecutive_days": st["consecutive_days"],
            "conditions": {k: v.get("state") for k, v in sorted(st["conditions"].items())},
            "phases": {k: v.get("state") for k, v in sorted(st["phases"].items())},
        }  # fmt: skip
        day += timedelta(days=1)
    return out


def _clock_change(
    store: Store, agreement: Agreement, replay_from_store: StoredReplay, who: Audience
) -> list[dict[str, Any]]:
    now = clock_days(store, agreement, replay_from_store, who)
    # the clock last sent to this audience's hooks
    name = f"clock:{agreement.id}" + ("" if who.scope == "public" else f":{who.scope}")
    row = store.conn.execute("SELECT value FROM alert_state WHERE name = ?", (name,)).fetchone()
    before: dict[str, Any] = json.loads(row[0]) if row else {}
    changed = [{"date": d, "before": before.get(d), "after": now[d]}
               for d in sorted(now) if before.get(d) != now[d]]  # fmt: skip
    if changed:
        store.conn.execute(
            "INSERT INTO alert_state(name, value) VALUES (?, ?) "
            "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            (name, json.dumps(now, sort_keys=True)),
        )
    return changed


def after_change(store: Store, changed_incidents: Iterable[str] = (), clock: bool = True, *,
                 replay_from_store: StoredReplay, judge_for: StoredJudge | None = None,
                 released_from: str | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """After a committed import, release or decision: alert on serious incidents among
    ``changed_incidents`` (judged through the one judgement path, ``judge_for``) and on clock
    changes for every agreement a hook watches (each clock from ``replay_from_store``).

    Each hook receives what its audience may see (``ceasefire.visibility``; public unless the
    admin registered it for the centre's staff or a party's cell): an unreleased submission
    alerts only hooks that may see it, and the public's hooks once it is released
    (``released_from``: the submitting party; hooks that saw it before are not told twice).
    Returns the deliveries made."""
    from ceasefire import catalogue

    hooks = store.conn.execute("SELECT events, agreement, audience FROM webhooks").fetchall()
    results: list[dict[str, Any]] = []
    for audience_text in sorted({h[2] for h in hooks}):
        who = parse_audience(audience_text)
        mine = [(ev, a) for ev, a, au in hooks if au == audience_text]
        serious_watch = {a for ev, a in mine if "serious_incident" in ev.split(",")}
        clock_watch = sorted({a for ev, a in mine if "clock" in ev.split(",") and a})
        keys = list(changed_incidents)
        if released_from is not None and sees_unreleased(who, released_from):
            keys = []  # it saw them when they arrived
        if serious_watch and keys:
            r = restrictions(store, who)
            found = [i for i in (store.incident(k) for k in keys) if i is not None]
            incidents = visible_incidents(found, r)
            agreements = {
                a: catalogue.load(store, a) for a in sorted(x for x in serious_watch if x)
            }
            verdicts = {}
            for a, ag in agreements.items():
                judge = (
                    judge_for(store, ag, audience=who)
                    if judge_for is not None
                    else replay_from_store(store, ag, audience=who).judge
                )
                verdicts[a] = {f.incident: f.to_json() for f in judge.findings(incidents)}
            for incident in incidents:
                for watched in sorted(serious_watch, key=lambda a: a or ""):
                    finding = verdicts[watched].get(incident.key) if watched else None
                    reasons = serious_reasons(incident, finding)
                    if not reasons:
                        continue
                    payload = {
                        "key": incident.key, "category": incident.category,
                        "start": incident.window.start.isoformat(), "end": incident.window.end.isoformat(),
                        "place": incident.place.to_json(), "deaths_best": incident.fatalities.best,
                        "reasons": reasons, "agreement": watched,
                        "finding": {k: finding[k] for k in ("qualification", "codes") if k in finding}
                        if finding else None,
                    }  # fmt: skip
                    for hook in _hooks_for(
                        store, "serious_incident", watched, audience=audience_text
                    ):
                        results.extend(_send(store, hook, "serious_incident", payload))
        if clock:
            for name in clock_watch:
                agreement = catalogue.load(store, name)
                changed = _clock_change(store, agreement, replay_from_store, who)
                if changed:
                    payload = {"agreement": name, "changed": changed}
                    for hook in _hooks_for(store, "clock", name, audience=audience_text):
                        results.extend(_send(store, hook, "clock", payload))
    return results


def decision_took_effect(
    store: Store, status: dict[str, Any], *, replay_from_store: StoredReplay
) -> list[dict[str, Any]]:
    """A guarantor decision took effect (``status`` as :func:`ceasefire.governance.decision_status`
    gives it): send ``decision`` to the hooks subscribed to it, then the clock changes it makes
    (the clock reads decisions). Returns the deliveries made."""
    keys = ("id", "kind", "subject", "effective", "until", "approvals")
    payload = {k: status[k] for k in keys}
    results = []
    for hook in _hooks_for(store, "decision", None, any_agreement=True):
        # each hook reads as its audience: a subject it may not see is withheld
        seen = restrictions(store, parse_audience(hook[5]))
        results.extend(_send(store, hook, "decision", visible_decision(payload, seen)))
    results += after_change(store, (), clock=True, replay_from_store=replay_from_store)
    return results


def _hooks_for(store: Store, event: str, watched: str | None, any_agreement: bool = False,
               audience: str | None = None) -> list[tuple[Any, ...]]:  # fmt: skip
    """Hooks subscribed to ``event`` that watch ``watched`` (or any agreement), of ``audience``
    (or any: a decision that took effect is public)."""
    rows = store.conn.execute(
        "SELECT id, url, secret, events, agreement, audience FROM webhooks ORDER BY id"
    ).fetchall()
    return [r for r in rows if event in r[3].split(",")
            and (any_agreement or (r[4] or None) == (watched or None))
            and (audience is None or r[5] == audience)]  # fmt: skip


def _send(
    store: Store, hook: tuple[Any, ...], event: str, payload: dict[str, Any]
) -> list[dict[str, Any]]:
    hook_id, url, secret = hook[0], hook[1], hook[2]
    body = json.dumps({"event": event, "payload": payload}, sort_keys=True).encode("utf-8")
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
    return [{"webhook": hook_id, "delivery": delivery, "error": error}]
