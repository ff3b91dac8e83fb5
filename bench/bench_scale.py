"""Benchmark: judging a large archive — the full evaluation against a bare spatial join.

Builds ``--events`` synthetic UCDP GED rows (the 313 real events of 5–26 Sept 2016 as templates,
moved to seeded random places near the gazetteer's towns and to seeded random days of 2016-09-12
… 2016-10-31: synthetic, labelled so, never facts), reads them with the library's UCDP reader
(timed apart, beside a bare ``csv.DictReader`` pass over the same text), and compares in the same
run:

(bare) ``shapely.STRtree(areas + zones).query(points, predicate="covered_by")`` over the same
    points: the bundled control areas (Aleppo's neighbourhoods) and the agreement's mapped zones,
    point in polygon only — no versions in time, no rules;
(full) the one judgement path (:class:`ceasefire.compliance.judge.Judge` with the bundled control
    map) under ``--agreement`` (default syria-2016-09): control at each event's time, zones and
    every rule, one finding per event.  The archive is read and judged in batches of
    ``--batch`` events, as a store is read, by one judge (what it judged is shared across
    batches); each batch's findings are digested and let go.

It prints each time, the ratio full/bare (issue 15's goal: ≤ 3× on 10⁶ events) and the process's
peak resident memory (goal < 3 GB), with how the findings came out (a digest, so runs can be
compared for identical results).

    .venv/bin/python -m bench.bench_scale [--events 1000000] [--agreement syria-2016-09]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import resource
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
import shapely
from shapely.strtree import STRtree

from bench.synthetic import synthetic_ucdp
from ceasefire.agreements.loader import load_agreement
from ceasefire.compliance.judge import Judge
from ceasefire.geo.areas import zone_shapes
from ceasefire.geo.control import load_aleppo_2016
from ceasefire.intake.ucdp import parse_ucdp

FIRST_DAY, DAYS = date(2016, 9, 12), 50
GOAL_RATIO, GOAL_BYTES = 3.0, 3 * 1024**3


def _peak_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: kB


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--agreement", default="syria-2016-09")
    parser.add_argument("--batch", type=int, default=100_000, help="events read and judged at once")
    args = parser.parse_args()
    agreement = load_agreement(args.agreement)
    control = load_aleppo_2016()

    t0 = time.perf_counter()
    text = synthetic_ucdp(args.events, first=FIRST_DAY, days=DAYS)
    print(
        f"{args.events:,} synthetic events built in {time.perf_counter() - t0:.1f} s (not counted)"
    )
    judge = Judge(agreement, control)
    counts: Counter[str] = Counter()
    digest = hashlib.sha256()
    lons: list[np.ndarray] = []
    lats: list[np.ndarray] = []
    t_read = t_full = 0.0
    read = quarantined = digested = 0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.csv"
        path.write_text(text, encoding="utf-8")
        t0 = time.perf_counter()
        with path.open(encoding="utf-8", newline="") as handle:
            rows = sum(1 for _ in csv.DictReader(handle))
        t_csv = time.perf_counter() - t0
        header, _, body = text.partition("\n")
        del text
        lines = body.splitlines()
        del body
        # the archive in batches of --batch events, as a store is read: each batch is read,
        # judged by the same judge (what it judged is shared), its findings digested and let go
        for first in range(0, len(lines), args.batch):
            part = Path(tmp) / "part.csv"
            part.write_text(header + "\n" + "\n".join(lines[first : first + args.batch]) + "\n")
            t0 = time.perf_counter()
            batch = parse_ucdp(part, agreement.timezone)
            t_read += time.perf_counter() - t0
            incidents = batch.records
            read += len(incidents)
            quarantined += len(batch.problems)
            lons.append(np.fromiter((i.place.lon or 0.0 for i in incidents), float, len(incidents)))
            lats.append(np.fromiter((i.place.lat or 0.0 for i in incidents), float, len(incidents)))
            t0 = time.perf_counter()
            findings = judge.findings(incidents)
            t_full += time.perf_counter() - t0
            counts.update(f.qualification for f in findings)
            for f in findings:  # as one text of lines joined by newlines
                digest.update(b"\n" if digested else b"")
                digest.update(json.dumps(f.to_json(), sort_keys=True).encode())
                digested += 1
            del incidents, batch, findings
    print(f"read: bare csv.DictReader {t_csv:.2f} s ({rows:,} rows); the UCDP reader {t_read:.2f} s "
          f"({read:,} incidents, {quarantined} quarantined; "
          f"{t_read / t_csv:.1f}× the bare read)")  # fmt: skip

    # (bare) the same points against the same polygons, point in polygon only
    polygons = [v.geometry for v in control.versions] + [
        s.certain for s in zone_shapes(agreement).values() if s.certain is not None
    ]
    shapely.prepare(polygons)
    tree = STRtree(polygons)
    lon, lat = np.concatenate(lons), np.concatenate(lats)
    t0 = time.perf_counter()
    pairs = tree.query(shapely.points(lon, lat), predicate="covered_by")
    t_bare = time.perf_counter() - t0
    print(f"bare STRtree join: {t_bare:.2f} s ({len(polygons)} polygons, {pairs.shape[1]:,} hits)")

    ratio = t_full / t_bare if t_bare else float("inf")
    print(f"full evaluation under {agreement.id}: {t_full:.1f} s "
          f"({read / t_full:,.0f} events/s), findings {dict(sorted(counts.items()))}, "
          f"digest {digest.hexdigest()[:16]}")  # fmt: skip
    peak = _peak_bytes()
    print(f"full/bare: {ratio:.1f}× (goal ≤ {GOAL_RATIO:.0f}×: "
          f"{'met' if ratio <= GOAL_RATIO else 'not met'}); peak memory "
          f"{peak / 1024**3:.2f} GB (goal < 3 GB: {'met' if peak < GOAL_BYTES else 'not met'})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
