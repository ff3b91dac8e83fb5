"""Benchmark: import, evaluate and report every day of the full UCDP Syria file (16,566 events).

Prints seconds, events per second, and ratios against a baseline measured in the same run: a bare
``csv.DictReader`` pass over the same gzip file (the least any importer must do).

    .venv/bin/python -m bench.bench_core [--formats json,md,html]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from ceasefire.agreements import load_agreement
from ceasefire.compliance.engine import evaluate_all
from ceasefire.compliance.judge import Judge
from ceasefire.reports import Replay, render_html, render_json, render_markdown
from ceasefire.service import claims_from_store, convoys_from_store, import_file
from ceasefire.store import Store

UCDP_FULL = (
    Path(__file__).resolve().parent.parent.parent
    / "shared/data/events/ucdp_ged_syria_2016_2019.csv.gz"
)


def bare_read(path: Path) -> int:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--formats", default="json,md,html")
    args = parser.parse_args()
    renderers = {"json": render_json, "md": render_markdown, "html": render_html}
    formats = [renderers[f] for f in args.formats.split(",")]
    agreement = load_agreement("syria-2016-09")

    t0 = time.perf_counter()
    rows = bare_read(UCDP_FULL)
    t_bare = time.perf_counter() - t0

    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "ws") as store:
        t0 = time.perf_counter()
        summary = import_file(store, "ucdp", UCDP_FULL, agreement.timezone)
        t_import = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = import_file(store, "ucdp", UCDP_FULL, agreement.timezone)
        t_reimport = time.perf_counter() - t0

        t0 = time.perf_counter()
        incidents = list(store.incidents())
        t_load = time.perf_counter() - t0

        t0 = time.perf_counter()
        findings = evaluate_all(agreement, incidents)
        t_eval = time.perf_counter() - t0

        t0 = time.perf_counter()
        replay = Replay(
            Judge(agreement), incidents, convoys_from_store(store), claims_from_store(store)
        )
        t_replay = time.perf_counter() - t0
        t0 = time.perf_counter()
        first, last = date(2016, 1, 1), date(2019, 11, 30)
        day, reports, size = first, 0, 0
        while day <= last:
            data = replay.report(day)
            for render in formats:
                size += len(render(data))
            reports += 1
            day += timedelta(days=1)
        t_reports = time.perf_counter() - t0

    n = len(findings)
    print(f"events in file: {rows} (bare csv read {t_bare:.2f} s, {rows / t_bare:,.0f} rows/s)")
    print(f"import: {summary.added} added, {summary.quarantined} quarantined in {t_import:.2f} s "
          f"({n / t_import:,.0f} events/s; {t_import / t_bare:.1f}x the bare read)")  # fmt: skip
    print(f"re-import: {again.added} added, {again.unchanged} unchanged in {t_reimport:.2f} s")
    print(f"load from store: {t_load:.2f} s")
    print(f"evaluate: {n} findings in {t_eval:.2f} s ({n / t_eval:,.0f} events/s; "
          f"{t_eval / t_bare:.2f}x the bare read)")  # fmt: skip
    print(f"prepare replay (day index, clock metrics): {t_replay:.2f} s")
    print(f"daily reports: {reports} days x {len(formats)} formats in {t_reports:.2f} s "
          f"({reports / t_reports:,.0f} reports/s; {size / 1e6:.1f} MB)")  # fmt: skip
    total = t_eval + t_replay + t_reports
    print(f"evaluation + all reports: {total:.2f} s (goal < 5 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
