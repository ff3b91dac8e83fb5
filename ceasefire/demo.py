"""``ceasefire demo``: the worked example, end to end, on the embedded store."""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console

from ceasefire.agreements import load_agreement
from ceasefire.governance import add_user, authenticate, key_ledger, register_key
from ceasefire.governance.keys import key_statement
from ceasefire.governance.signing import generate_key_file, load_private_key, public_key_of, sign
from ceasefire.model.agreement import Agreement
from ceasefire.reports import render_html, render_json, render_markdown
from ceasefire.service import bundled_data, import_file, replay_from_store
from ceasefire.settings import Settings
from ceasefire.store import ImportSummary, Store
from ceasefire.visibility import PUBLIC

__all__ = [
    "DEMO_ACCOUNTS_FILE",
    "DEMO_AGREEMENT",
    "DEMO_FILES",
    "DEMO_KEYS_DIR",
    "demo_days",
    "ensure_demo_accounts",
    "run_demo",
]

DEMO_AGREEMENT = "syria-2016-09"
DEMO_ACCOUNTS_FILE = "demo-accounts.txt"
DEMO_KEYS_DIR = "demo-keys"  # the demo guarantors' private keys (local demo keys, mode 0600)
UCDP_EVENTS = "events/ucdp_ged_syria_2016_2019.csv.gz"
# the worked example's own files, as tests and benches import them
DEMO_FILES = (
    ("ucdp", "events/ucdp_ged_syria_2016-09-05_to_2016-09-26.csv.gz"),
    ("humanitarian", "humanitarian/syria-2016-09.jsonl"),
    ("reports", "reports/syria-2016-09.jsonl"),
)
DEMO_DAYS = 9  # reports from the start day on, by default


def demo_days(agreement: Agreement) -> tuple[date, date]:
    """The default report days: from the first start day, nine days (or to the end, if sooner)."""
    first = agreement.first_start.astimezone(agreement.timezone).date()
    return first, first + timedelta(days=DEMO_DAYS - 1)


def _period(agreement: Agreement, last: date) -> tuple[datetime, datetime]:
    """The UCDP events the replay needs: the baselines (indicator and conditions) to the last day."""
    tz = agreement.timezone
    firsts = [agreement.first_start - timedelta(days=agreement.indicator.baseline_days)]
    for text in (agreement.indicator.baseline_from, *(
        str(c.params["baseline"]["from"]) for c in agreement.conditions if c.type == "reduced_violence"
    )):  # fmt: skip
        if text:
            firsts.append(datetime.combine(date.fromisoformat(text), time(0), tzinfo=tz))
    return min(firsts), datetime.combine(last + timedelta(days=8), time(0), tzinfo=tz)


def _import_ucdp_period(store: Store, agreement: Agreement, last: date) -> ImportSummary:
    from ceasefire.intake.ucdp import parse_ucdp

    start, end = _period(agreement, last)
    batch = parse_ucdp(bundled_data(UCDP_EVENTS), agreement.timezone)
    batch.records = [r for r in batch.records if r.window.end > start and r.window.start < end]
    return store.import_batch(batch)


def run_demo(settings: Settings, first: date | None, last: date | None, console: Console,
             agreement_name: str = DEMO_AGREEMENT) -> dict[str, Any]:  # fmt: skip
    """Replay a bundled agreement over the UCDP events of its period (plus the bundled humanitarian
    log and party reports written for it, if any) and write its daily reports."""
    agreement = load_agreement(agreement_name)
    default_first, default_last = demo_days(agreement)
    first, last = first or default_first, last or default_last
    reports_dir = settings.workspace / "reports"
    rows: list[dict[str, Any]] = []
    with settings.store() as store:
        console.print(f"Workspace: {settings.workspace}")
        with console.status(f"Importing UCDP events for {agreement.id} …"):
            summary = _import_ucdp_period(store, agreement, last)
        console.print(f"  ucdp: added {summary.added}, revised {summary.revised}, "
                      f"unchanged {summary.unchanged}, quarantined {summary.quarantined}")  # fmt: skip
        for kind, relative in _own_files(agreement):
            summary = import_file(store, kind, bundled_data(relative), agreement.timezone)
            console.print(f"  {kind}: added {summary.added}, revised {summary.revised}, "
                          f"unchanged {summary.unchanged}, quarantined {summary.quarantined}")  # fmt: skip
        with console.status("Evaluating and writing daily reports …"):
            replay = replay_from_store(
                store, agreement, audience=PUBLIC
            )  # published: the public rendering
            reports_dir.mkdir(parents=True, exist_ok=True)
            day = first
            while day <= last:
                data = replay.report(day)
                for ext, render in (
                    ("md", render_markdown),
                    ("html", render_html),
                    ("json", render_json),
                ):
                    path = reports_dir / f"daily-{agreement.id}-{day.isoformat()}.{ext}"
                    tmp = path.with_name(path.name + ".tmp")
                    tmp.write_text(render(data), encoding="utf-8")
                    tmp.replace(path)
                rows.append(_row(data, day))
                day += timedelta(days=1)
    start = agreement.start
    notes = [
        f"Start: {start.stated_text or start.instant.isoformat()}"
        + (f"; computed {start.solar_event} {start.computed.isoformat()} ({start.governs} time governs)."
           if start.computed else "."),
        *agreement.notes,
    ]  # fmt: skip
    return {
        "agreement": agreement.id,
        "reports_dir": str(reports_dir),
        "days": rows,
        "notes": notes,
    }


def _own_files(agreement: Agreement) -> list[tuple[str, str]]:
    """Bundled humanitarian logs and party reports written for this agreement."""
    out = []
    for kind, folder in (("humanitarian", "humanitarian"), ("reports", "reports")):
        if bundled_data(f"{folder}/{agreement.id}.jsonl").is_file():
            out.append((kind, f"{folder}/{agreement.id}.jsonl"))
    return out


def _row(data: dict[str, Any], day: date) -> dict[str, Any]:
    clock = data["clock"]
    summary = data["summary"]
    indicator = summary["clock"].get("indicator_last_day") or {}
    conds = summary["clock"]["conditions"]
    deadlines = ", ".join(f"{d['term']}: {d['state']}" for d in data.get("deadlines", []))
    return {
        "date": day.isoformat(),
        "phase": ", ".join(clock["phases_in_force"]) or "—",
        "day": summary["clock"]["day"] or "—",
        "indicator": "—" if not indicator else (
            f"day {indicator['day']}: {indicator['estimate']:g} "
            f"({indicator['baseline_daily_mean']:g}/day before)"),
        "violations": summary["incidents"]["violation"],
        "undetermined": summary["incidents"]["undetermined"],
        "conditions": ", ".join(f"{k}: {v}" for k, v in conds.items()) or "—",
        "deadlines": deadlines or "—",
    }  # fmt: skip


def _demo_key(store: Store, path: Path, token: str, guarantor: str) -> None:
    """A demo guarantor's key pair beside the demo tokens, registered as its guarantor's key
    unless that guarantor has one already."""
    if key_ledger(store).current().get(guarantor) is not None:
        return
    path.parent.mkdir(mode=0o700, exist_ok=True)
    if not path.exists():
        generate_key_file(path)
    key = load_private_key(path)
    public = public_key_of(key)
    register_key(
        store, authenticate(store, token), public, sign(key, key_statement(guarantor, public))
    )


def ensure_demo_accounts(workspace: Path, database_url: str | None = None) -> Path:
    """Demo accounts (an admin, one guarantor per guarantor, a party cell, a monitor), created
    when absent; their tokens go to ``<workspace>/demo-accounts.txt`` (mode 0600), and each demo
    guarantor's signing key to ``<workspace>/demo-keys/NAME.key`` (mode 0600), registered.

    These are local demo tokens for trying the dashboard's roles, not credentials to deploy."""
    agreement = load_agreement(DEMO_AGREEMENT)
    path = workspace / DEMO_ACCOUNTS_FILE
    known: dict[str, str] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            fields = line.split()
            if len(fields) >= 3 and not line.startswith("#"):
                known[fields[0]] = fields[-1]
    wanted: list[tuple[str, str, str | None]] = [("demo-admin", "admin", None)]
    wanted += [(f"demo-guarantor-{g.lower()}", "guarantor", g) for g in agreement.guarantor_ids()]
    wanted += [("demo-party-syr-gov", "party", "SYR_GOV"), ("demo-monitor", "monitor", None)]
    lines = ["# Local demo tokens (ceasefire demo): paste one into the dashboard's login.",
             f"# Each demo guarantor's signing key is in {DEMO_KEYS_DIR}/NAME.key (approve with --key).",
             "# name role[:party] token"]  # fmt: skip
    with Store(workspace, actor="demo", database_url=database_url) as store:
        names = {str(n) for (n,) in store.conn.execute("SELECT name FROM users").fetchall()}
        for name, role, party in wanted:
            if name not in names:
                known[name] = add_user(store, name, role, party, "demo", agreement)
            if name in known:
                lines.append(f"{name} {role}{':' + party if party else ''} {known[name]}")
                if role == "guarantor" and party:
                    _demo_key(store, workspace / DEMO_KEYS_DIR / f"{name}.key", known[name], party)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    os.chmod(path, 0o600)
    return path
