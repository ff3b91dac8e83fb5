"""Benchmark: `evaluate --engine local|dask|spark` on the UCDP GED Syria file, side by side.

Reads the 16,566 real events of 2016–2019 (``--copies N``: N times over, copy k's ids suffixed
``-k`` so every key is unique; the copies are the same events again, not new facts), writes them
as month partitions (``export parquet --partition-by month``), then in the same run times:

(direct) the one judgement path over every incident at once, in this process
    (``Judge(...).findings``: what ``evaluate`` does on a workspace);
(local)  the partitions judged one by one in this process (``--engine local``);
(dask)   on a Dask ``LocalCluster`` (``--workers`` single-threaded processes; or ``--scheduler``);
(spark)  on a Spark session (``--master``, default ``local[W]``).

Each engine's time counts reading the partitions, judging, writing the findings as Parquet and
merging them back into the sorted JSON lines; the cluster's or session's start is timed apart.
It prints each time, its ratio to ``local``, the per-event cost, and whether every engine's lines
equal the direct ones (a digest).

    .venv/bin/python -m bench.bench_engines [--copies 1] [--agreement syria-2016-09]
        [--engines local,dask,spark] [--workers 2] [--scheduler ADDR] [--master URL]
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ceasefire.agreements.loader import load_agreement
from ceasefire.compliance.judge import Judge
from ceasefire.engines import evaluate_partitions, finding_lines
from ceasefire.export.parquet import write_partitions
from ceasefire.geo.control import load_aleppo_2016
from ceasefire.intake.ucdp import parse_ucdp
from ceasefire.model.incidents import Incident

UCDP_FULL = (
    Path(__file__).resolve().parent.parent.parent
    / "shared/data/events/ucdp_ged_syria_2016_2019.csv.gz"
)


def _copies(incidents: list[Incident], n: int) -> list[Incident]:
    """The incidents n times over, in their stored form, copy k > 0 with ids ending ``-k``."""
    stored = [Incident.from_json(json.loads(json.dumps(i.to_json()))) for i in incidents]
    out = list(stored)
    for k in range(1, n):
        out.extend(dataclasses.replace(i, source_id=f"{i.source_id}-{k}") for i in stored)
    return out


def _digest(lines: Any) -> tuple[int, str]:
    h = hashlib.sha256()
    n = 0
    for line in lines:
        h.update(line.encode("utf-8") + b"\n")
        n += 1
    return n, h.hexdigest()[:16]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--agreement", default="syria-2016-09")
    parser.add_argument("--engines", default="local,dask,spark")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scheduler", default=None)
    parser.add_argument("--master", default=None)
    args = parser.parse_args()
    engines = [e for e in args.engines.split(",") if e]
    agreement = load_agreement(args.agreement)

    t0 = time.perf_counter()
    incidents = _copies(parse_ucdp(UCDP_FULL, agreement.timezone).records, args.copies)
    print(f"{len(incidents):,} events ({args.copies} × the UCDP file) read in "
          f"{time.perf_counter() - t0:.1f} s (not counted)")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-engines-") as tmp:
        folder = Path(tmp) / "incidents"
        t0 = time.perf_counter()
        months = write_partitions(incidents, folder)
        print(f"{len(months)} month partitions written in {time.perf_counter() - t0:.1f} s")

        t0 = time.perf_counter()
        found = Judge(agreement, load_aleppo_2016()).findings(incidents)
        direct_lines = [
            json.dumps(f.to_json(), sort_keys=True, ensure_ascii=False)
            for f in sorted(found, key=lambda f: f.incident)
        ]
        t_direct = time.perf_counter() - t0
        del found
        want = _digest(direct_lines)
        print(f"direct   {t_direct:7.2f} s  ({want[0]:,} findings, digest {want[1]})")

        scheduler, cluster, session = args.scheduler, None, None
        if "dask" in engines and scheduler is None:
            from distributed import LocalCluster

            t0 = time.perf_counter()
            cluster = LocalCluster(n_workers=args.workers, processes=True, threads_per_worker=1,
                                   dashboard_address=None)  # fmt: skip
            scheduler = str(cluster.scheduler_address)
            print(f"(dask LocalCluster of {args.workers} workers started in "
                  f"{time.perf_counter() - t0:.1f} s, not counted)")  # fmt: skip
        master = args.master or f"local[{args.workers}]"
        if "spark" in engines:
            from pyspark.sql import SparkSession

            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            t0 = time.perf_counter()
            session = (
                SparkSession.builder.master(master)
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .getOrCreate()
            )
            session.sparkContext.setLogLevel("ERROR")
            print(f"(spark session {master} started in {time.perf_counter() - t0:.1f} s, "
                  "not counted)")  # fmt: skip
        times: dict[str, float] = {}
        same = True
        try:
            for engine in engines:
                out = Path(tmp) / f"findings-{engine}"
                judge = Judge(load_agreement(args.agreement), load_aleppo_2016())
                t0 = time.perf_counter()
                results = evaluate_partitions(folder, judge, engine, out, scheduler=scheduler,
                                              master=master)  # fmt: skip
                got = _digest(finding_lines(out, [r.name for r in results]))
                times[engine] = time.perf_counter() - t0
                same = same and got == want
                print(f"{engine:8} {times[engine]:7.2f} s  digest {got[1]} "
                      f"{'= direct' if got == want else '≠ direct'}")  # fmt: skip
        finally:
            if cluster is not None:
                cluster.close()
            if session is not None:
                session.stop()
    base = times.get("local")
    print(f"\nper event: direct {t_direct / len(incidents) * 1e6:.0f} µs"
          + "".join(f", {e} {t / len(incidents) * 1e6:.0f} µs" for e, t in times.items()))  # fmt: skip
    if base:
        print("ratio to local: " + ", ".join(f"{e} {t / base:.2f}×" for e, t in times.items())
              + f", direct {t_direct / base:.2f}×")  # fmt: skip
    print("all engines byte-identical to direct" if same else "MISMATCH")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
