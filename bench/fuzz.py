"""The long run of intake's fuzzing (tests/fuzzing.py): each parser for N minutes, new random
examples each round, every reader run on each round's accepted records.

    .venv/bin/python -m bench.fuzz --minutes 10 [--parsers ucdp,acled,reports,humanitarian,api_body]

Prints, per parser: records tried (executions), accepted, quarantined, refused, records per second
and the readers' time.  A crash stops the run with hypothesis's smallest failing example; a
reader's crash names the round.  CI runs the same harnesses briefly (tests/test_fuzz_intake.py).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from tests.fuzzing import HARNESSES, downstream, fuzz

ROUND_RECORDS = 100_000  # per round; the readers then run on up to KEEP accepted records
KEEP = 2_000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=1.0, help="per parser")
    parser.add_argument("--parsers", default=",".join(HARNESSES))
    args = parser.parse_args(argv)
    names = [n for n in args.parsers.split(",") if n]
    unknown = sorted(set(names) - set(HARNESSES))
    if unknown:
        parser.error(f"unknown parser(s) {', '.join(unknown)}; choose from {', '.join(HARNESSES)}")
    print(f"{'parser':<13} {'records':>10} {'accepted':>9} {'quarant.':>9} {'refused':>8} "
          f"{'rec/s':>7} {'rounds':>6} {'readers s':>9}")  # fmt: skip
    for name in names:
        budget = args.minutes * 60
        started = time.perf_counter()
        totals = {"records": 0, "accepted": 0, "quarantined": 0, "refused": 0}
        parse_seconds = reader_seconds = 0.0
        rounds = 0
        while time.perf_counter() - started < budget:
            left = budget - (time.perf_counter() - started)
            run = fuzz(
                name, ROUND_RECORDS, seconds=None if left > 120 else left, seed=None, keep=KEEP
            )
            parse_seconds += run.seconds
            rounds += 1
            for key, value in (("records", run.records), ("accepted", run.accepted_count),
                               ("quarantined", run.quarantined), ("refused", run.refused)):  # fmt: skip
                totals[key] += value
            t0 = time.perf_counter()
            with tempfile.TemporaryDirectory(prefix="ceasefire-fuzz-readers-") as tmp:
                try:
                    downstream(run.accepted, Path(tmp) / "ws")
                except Exception:
                    print(
                        f"{name}: a reader failed in round {rounds} on its accepted records",
                        file=sys.stderr,
                    )
                    raise
            reader_seconds += time.perf_counter() - t0
        rate = totals["records"] / parse_seconds if parse_seconds else 0.0
        print(f"{name:<13} {totals['records']:>10,} {totals['accepted']:>9,} {totals['quarantined']:>9,} "
              f"{totals['refused']:>8,} {rate:>7,.0f} {rounds:>6} {reader_seconds:>9.1f}", flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
