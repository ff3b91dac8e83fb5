"""``ceasefire demo``: the worked example, end to end, on the embedded store."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from rich.console import Console

from ceasefire.agreements import load_agreement
from ceasefire.reports import render_html, render_json, render_markdown
from ceasefire.service import bundled_data, import_file, replay_from_store
from ceasefire.settings import Settings
from ceasefire.store import Store

__all__ = ["DEMO_AGREEMENT", "run_demo"]

DEMO_AGREEMENT = "syria-2016-09"
DEMO_FILES = (
    ("ucdp", "events/ucdp_ged_syria_2016-09-05_to_2016-09-26.csv.gz"),
    ("humanitarian", "humanitarian/syria-2016-09.jsonl"),
    ("reports", "reports/claims-2016-09.jsonl"),
)


def run_demo(settings: Settings, first: date, last: date, console: Console) -> dict[str, Any]:
    agreement = load_agreement(DEMO_AGREEMENT)
    reports_dir = settings.workspace / "reports"
    rows: list[dict[str, Any]] = []
    with Store(settings.workspace) as store:
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
