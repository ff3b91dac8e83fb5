"""Benchmark: ``ceasefire import ucdp FILE`` against a bare CSV read of the same file, in one run.

(bare) ``sum(1 for _ in csv.DictReader(f))`` over the decompressed file: the rate of reading it;
(import) the one import path, in-process (:func:`ceasefire.service.import_file`, what
    ``ceasefire import ucdp`` runs) into a fresh temporary workspace (SQLite): reading and checking
    every row, quarantine, revisions, the hash-chained audit and cross-feed linking.  The UCDP
    reader alone (``parse_ucdp``) is timed beside it, to show what the store and linking add.

On (a) the 16,566 UCDP GED Syria events (``../shared/data``) and (b) ``--events`` synthetic rows
(:func:`bench.synthetic.synthetic_ucdp`: the 313 real events of 5–26 Sept 2016 as templates,
moved to seeded random places and days: synthetic, never facts).  Prints each time, rows/s, the
ratio import rate / bare rate and whether issue 15's goal (≥ 0.3×) is met.  The machine may be
shared: compare only the ratios of one run.

    .venv/bin/python -m bench.bench_import [--events 100000] [--repeat 1]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import shutil
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.synthetic import synthetic_ucdp
from ceasefire.intake.ucdp import parse_ucdp
from ceasefire.service import import_file
from ceasefire.store import Store

UCDP_FULL = (
    Path(__file__).resolve().parent.parent.parent
    / "shared/data/events/ucdp_ged_syria_2016_2019.csv.gz"
)
TZ = ZoneInfo("Asia/Damascus")  # the CLI's default time zone
GOAL = 0.3  # issue 15: import at ≥ 0.3× the rate of a bare CSV read


def bare_read(path: Path) -> tuple[float, int]:
    t0 = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as handle:
        rows = sum(1 for _ in csv.DictReader(handle))
    return time.perf_counter() - t0, rows


def imported(path: Path, tmp: Path) -> tuple[float, str]:
    """Seconds to import ``path`` into a fresh workspace, and the summary's counts."""
    workspace = tmp / "ws"
    shutil.rmtree(workspace, ignore_errors=True)
    with Store(workspace, database_url="sqlite://" + str(workspace / "ceasefire.sqlite")) as store:
        store.count_incidents()  # the empty schema is made before the clock starts
        t0 = time.perf_counter()
        summary = import_file(store, "ucdp", path, TZ)
        seconds = time.perf_counter() - t0
    counts = (f"added {summary.added:,}, revised {summary.revised}, "
              f"unchanged {summary.unchanged}, quarantined {summary.quarantined}")  # fmt: skip
    return seconds, counts


def measure(name: str, path: Path, tmp: Path, repeat: int) -> float:
    """Print one file's times and ratio; returns the ratio import rate / bare rate."""
    t_bare, rows = min(bare_read(path) for _ in range(repeat))
    t_parse = min(_timed(lambda: parse_ucdp(path, TZ)) for _ in range(repeat))
    runs = [imported(path, tmp) for _ in range(repeat)]
    t_import, counts = min(runs)
    ratio = t_bare / t_import  # (rows / t_import) / (rows / t_bare)
    print(f"{name}: {rows:,} rows")
    print(f"  bare csv.DictReader  {t_bare:7.2f} s  {rows / t_bare:>11,.0f} rows/s")
    print(f"  UCDP reader alone    {t_parse:7.2f} s  {rows / t_parse:>11,.0f} rows/s")
    print(f"  import ucdp          {t_import:7.2f} s  {rows / t_import:>11,.0f} rows/s  ({counts})")
    print(f"  import rate / bare rate: {ratio:.3f}× (goal ≥ {GOAL}×: "
          f"{'met' if ratio >= GOAL else 'not met'})")  # fmt: skip
    return ratio


def _timed(work: object) -> float:
    t0 = time.perf_counter()
    work()  # type: ignore[operator]
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000, help="synthetic rows (0: none)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the fastest counts")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        if UCDP_FULL.exists():
            real = tmp / "ged.csv"
            with gzip.open(UCDP_FULL, "rb") as src, real.open("wb") as dst:
                shutil.copyfileobj(src, dst)
            measure("(a) UCDP GED Syria 2016–2019", real, tmp, args.repeat)
        else:
            print(f"(a) skipped: {UCDP_FULL} is not there")
        if args.events:
            synthetic = tmp / "synthetic.csv"
            synthetic.write_text(synthetic_ucdp(args.events), encoding="utf-8")
            measure(f"(b) synthetic UCDP (--events {args.events:,})", synthetic, tmp, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
