"""``ceasefire demo``: the worked example, end to end, on the embedded store."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console

from ceasefire.agreements import load_agreement
from ceasefire.governance import add_user
from ceasefire.reports import render_html, render_json, render_markdown
from ceasefire.service import bundled_data, import_file, replay_from_store
from ceasefire.settings import Settings
from ceasefire.store import Store

__all__ = ["DEMO_ACCOUNTS_FILE", "DEMO_AGREEMENT", "ensure_demo_accounts", "run_demo"]

DEMO_AGREEMENT = "syria-2016-09"
DEMO_ACCOUNTS_FILE = "demo-accounts.txt"
DEMO_FILES = (
    ("ucdp", "events/ucdp_ged_syria_2016-09-05_to_2016-09-26.csv.gz"),
    ("humanitarian", "humanitarian/syria-2016-09.jsonl"),
    ("reports", "reports/claims-2016-09.jsonl"),
)


def run_demo(settings: Settings, first: date, last: date, console: Console) -> dict[str, Any]:
    agreement = load_agreement(DEMO_AGREEMENT)
    reports_dir = settings.workspace / "reports"
    rows: list[dict[str, Any]] = []
    with settings.store() as store:
        console.print(f"Workspace: {settings.workspace}")
        for kind, relative in DEMO_FILES:
            with console.status(f"Importing {relative} …"):
                summary = import_file(store, kind, bundled_data(relative), agreement.timezone)
            console.print(
                f"  {kind}: added {summary.added}, revised {summary.revised}, "
                f"unchanged {summary.unchanged}, quarantined {summary.quarantined}"
            )
        with console.status("Evaluating and writing daily reports …"):
            replay = replay_from_store(store, agreement)
            reports_dir.mkdir(parents=True, exist_ok=True)
            day = first
            while day <= last:
                data = replay.report(day)
                for ext, render in (
                    ("md", render_markdown),
                    ("html", render_html),
                    ("json", render_json),
                ):
                    path = reports_dir / f"daily-{day.isoformat()}.{ext}"
                    tmp = path.with_name(path.name + ".tmp")
                    tmp.write_text(render(data), encoding="utf-8")
                    tmp.replace(path)
                clock = data["clock"]
                conds = data["summary"]["clock"]["conditions"]
                rows.append(
                    {
                        "date": day.isoformat(),
                        "phase": clock["phase"] or "—",
                        "day": clock["day"] or "—",
                        "consecutive_days": f"{clock['consecutive_days']}/{clock['target_days']}",
                        "violations": data["summary"]["incidents"]["violation"],
                        "undetermined": data["summary"]["incidents"]["undetermined"],
                        "reduced_violence": conds.get("C_reduced_violence", "—"),
                        "aid_delivered": conds.get("C_aid_delivered", "—"),
                        "jic": clock["phases"]["jic"]["state"],
                    }
                )
                day += timedelta(days=1)
    notes = [
        f"Start: {agreement.start.stated_text}; computed {agreement.start.solar_event} "
        f"{agreement.start.computed.isoformat() if agreement.start.computed else '—'} "
        f"({agreement.start.governs} time governs).",
        *agreement.notes,
        "Clashes between the government and UCDP's aggregate 'Syrian insurgents' are undetermined: "
        "which groups fought is not coded and group declarations were not published.",
    ]
    return {
        "agreement": agreement.id,
        "reports_dir": str(reports_dir),
        "days": rows,
        "notes": notes,
    }


def ensure_demo_accounts(workspace: Path, database_url: str | None = None) -> Path:
    """Demo accounts (an admin, one guarantor per guarantor, a party cell, a monitor), created
    when absent; their tokens go to ``<workspace>/demo-accounts.txt`` (mode 0600).

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
             "# name role[:party] token"]  # fmt: skip
    with Store(workspace, actor="demo", database_url=database_url) as store:
        names = {str(n) for (n,) in store.conn.execute("SELECT name FROM users").fetchall()}
        for name, role, party in wanted:
            if name not in names:
                known[name] = add_user(store, name, role, party, "demo", agreement)
            if name in known:
                lines.append(f"{name} {role}{':' + party if party else ''} {known[name]}")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    os.chmod(path, 0o600)
    return path
