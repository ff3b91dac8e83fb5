"""The long run of intake's harnesses (tests/fuzzing.py: UCDP and ACLED CSV, report and
humanitarian JSON lines, POST /reports bodies), called by ``bench/fuzz.py`` for those parsers:
new random examples each round of :data:`ROUND_RECORDS` records, every reader run on each round's
accepted records.  A crash in a parser raises hypothesis's smallest failing example; a reader's
crash names the round."""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.fuzzing import HARNESSES, downstream, fuzz

__all__ = ["HARNESSES", "IntakeTally", "run_intake"]

ROUND_RECORDS = 100_000  # per round; the readers then run on up to KEEP accepted records
KEEP = 2_000


@dataclass
class IntakeTally:
    records: int = 0  # executions: records tried
    accepted: int = 0
    quarantined: int = 0
    refused: int = 0
    rounds: int = 0
    downstream: int = 0  # accepted records read downstream
    parse_seconds: float = 0.0
    reader_seconds: float = 0.0


def run_intake(name: str, budget: float, records: int | None = None) -> IntakeTally:
    """Fuzz intake parser ``name`` for ``budget`` seconds (or until it tried ``records``
    records), then its readers on each round's accepted records."""
    tally = IntakeTally()
    started = time.perf_counter()

    def more() -> bool:
        if records is not None:
            return tally.records < records
        return time.perf_counter() - started < budget

    while more():
        left = budget - (time.perf_counter() - started)
        timed = records is None and left <= 120
        run = fuzz(name, ROUND_RECORDS, seconds=left if timed else None, seed=None, keep=KEEP)
        tally.parse_seconds += run.seconds
        tally.rounds += 1
        tally.records += run.records
        tally.accepted += run.accepted_count
        tally.quarantined += run.quarantined
        tally.refused += run.refused
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="ceasefire-fuzz-readers-") as tmp:
            try:
                downstream(run.accepted, Path(tmp) / "ws")
            except Exception:
                print(f"{name}: a reader failed in round {tally.rounds} on its accepted records",
                      file=sys.stderr)  # fmt: skip
                raise
        tally.downstream += len(run.accepted)
        tally.reader_seconds += time.perf_counter() - t0
    return tally
