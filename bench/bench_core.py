"""Benchmark: replay the full UCDP Syria file (16,566 events) with every daily report, under each
bundled agreement.

For each agreement it times the replay (the day index, the clock's metrics and its days with
everything known) and the daily report of every day of the file (which judges each incident as
known at the report's cut-off) (1 Jan 2016 – 30 Nov 2019, 1,430 reports),
and prints ratios against a baseline measured in the same run: a bare ``csv.DictReader`` pass over
the same gzip file (the least any reader of the archive must do). Goal: replay + every report
< 5 s per agreement on one core. Rendering the reports (JSON, Markdown, HTML) and the store
import are timed apart.

    .venv/bin/python -m bench.bench_core [--agreements a,b] [--formats json,md,html] [--import]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ceasefire.agreements.loader import bundled_names, load_agreement
from ceasefire.compliance.engine import Finding
from ceasefire.compliance.judge import Judge
from ceasefire.intake.ucdp import parse_ucdp
from ceasefire.model.incidents import Incident
from ceasefire.reports import Replay, render_html, render_json, render_markdown

UCDP_FULL = (
    Path(__file__).resolve().parent.parent.parent
    / "shared/data/events/ucdp_ged_syria_2016_2019.csv.gz"
)
FIRST, LAST = date(2016, 1, 1), date(2019, 11, 30)
GOAL_SECONDS = 5.0


def bare_read(path: Path) -> int:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def store_import(path: Path) -> None:
    from ceasefire.service import import_file
    from ceasefire.store import Store

    agreement = load_agreement("syria-2016-09")
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "ws") as store:
        t0 = time.perf_counter()
        summary = import_file(store, "ucdp", path, agreement.timezone)
        t_import = time.perf_counter() - t0
        t0 = time.perf_counter()
        incidents = list(store.incidents())
        t_load = time.perf_counter() - t0
    print(
        f"store import: {summary.added} added in {t_import:.2f} s; load {len(incidents)} in {t_load:.2f} s"
    )


def run(
    name: str, incidents: list[Incident], formats: list[Callable[[dict[str, Any]], str]]
) -> tuple[float, float, float, float, int, list[Finding]]:
    """One replay with every daily report: (replay s, reports s, CPU s, render s, bytes, findings)."""
    agreement = load_agreement(name)
    t0, c0 = time.perf_counter(), time.process_time()
    replay = Replay(Judge(agreement), incidents)
    t_replay = time.perf_counter() - t0
    day, size, t_reports, t_render = FIRST, 0, 0.0, 0.0
    while day <= LAST:  # one report at a time, as a centre makes them (none kept)
        t0 = time.perf_counter()
        report = replay.report(day)
        t1 = time.perf_counter()
        size += sum(len(render(report)) for render in formats)
        t_render += time.perf_counter() - t1
        t_reports += t1 - t0
        day += timedelta(days=1)
    cpu = time.process_time() - c0 - t_render
    findings = replay.judge.findings(replay.incidents, replay.cutoff(LAST))  # not timed
    return t_replay, t_reports, cpu, t_render, size, findings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agreements", default=",".join(bundled_names()))
    parser.add_argument("--formats", default="json")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per agreement; the fastest counts"
    )
    parser.add_argument("--import", dest="with_import", action="store_true")
    args = parser.parse_args()
    renderers = {"json": render_json, "md": render_markdown, "html": render_html}
    formats: list[Callable[[dict[str, Any]], str]] = [
        renderers[f] for f in args.formats.split(",") if f
    ]
    t_bare = min(_timed(bare_read, UCDP_FULL) for _ in range(args.repeat))
    rows = bare_read(UCDP_FULL)
    print(
        f"baseline: bare csv read of {rows} events in {t_bare:.2f} s ({rows / t_bare:,.0f} rows/s), fastest of {args.repeat}"
    )
    if args.with_import:
        store_import(UCDP_FULL)
    incidents = parse_ucdp(UCDP_FULL, load_agreement("syria-2016-09").timezone).records
    worst = 0.0
    for name in args.agreements.split(","):
        runs = [run(name, incidents, formats) for _ in range(args.repeat)]
        t_replay, t_reports, cpu, t_render, size, findings = min(runs, key=lambda r: r[0] + r[1])
        total = t_replay + t_reports
        worst = max(worst, total)
        counts: dict[str, int] = {}
        for f in findings:
            counts[f.qualification] = counts.get(f.qualification, 0) + 1
        spread = ", ".join(f"{r[0] + r[1]:.2f}" for r in runs)
        print(f"{name}: replay {t_replay:.2f} s + {(LAST - FIRST).days + 1} daily reports {t_reports:.2f} s = "
              f"{total:.2f} s (CPU {cpu:.2f} s; {total / t_bare:.1f}x the bare read; runs {spread}; goal < {GOAL_SECONDS:g} s)"
              f" | render {args.formats} {t_render:.2f} s, {size / 1e6:.1f} MB | "
              + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))  # fmt: skip
    print(f"slowest agreement: {worst:.2f} s ({'met' if worst < GOAL_SECONDS else 'NOT met'})")
    return 0


def _timed(func: Callable[[Path], int], path: Path) -> float:
    t0 = time.perf_counter()
    func(path)
    return time.perf_counter() - t0


if __name__ == "__main__":
    sys.exit(main())
