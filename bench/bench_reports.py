"""Benchmark: one daily report through ``GET /reports/daily``, on a small archive and on one six
times its size, in the same run (issue 15: a report costs what it shows, not the archive).

Builds two workspaces: (small) the 16,566 UCDP GED Syria events of 2016–2019; (large) the same
file ``--copies`` times over (copy k's ids suffixed ``-k``: the same events again, not new facts;
99,396 events at six copies), each with the demo's convoy log and claims.  Serves each with
``ceasefire serve``'s app on loopback and, as the public, asks for the daily report of ``--date``
(default 16 Sept 2016: about 15 events a day in the file, 90 in the large archive):

(cold)    the first request of a new server: every stored incident read and judged;
(change)  the first request after a monitor's report was imported while the server runs (a new
          store state: the view cache built from the state before);
(cached)  the median of five more requests (the same store state).

It prints each time beside the small archive's (the ratio large/small: near 1 when the report
costs what it shows) and the goal (< 200 ms with 100,000 incidents stored).

    .venv/bin/python -m bench.bench_reports [--copies 6] [--date 2016-09-16] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.bench_dashboard import serving
from ceasefire.demo import DEMO_FILES
from ceasefire.service import bundled_data, import_file
from ceasefire.store import Store

TZ = ZoneInfo("Asia/Damascus")
GED = (
    Path(__file__).resolve().parents[1].parent
    / "shared/data/events/ucdp_ged_syria_2016_2019.csv.gz"
)
GOAL_SECONDS = 0.2


def _copies_csv(path: Path, copies: int) -> int:
    """The GED file ``copies`` times over as one CSV (copy k > 0: ids ending ``-k``)."""
    with gzip.open(GED, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or ())
        rows = list(reader)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for k in range(copies):
            for row in rows:
                writer.writerow(row if k == 0 else {**row, "id": f"{row['id']}-{k}"})
    return len(rows) * copies


def _workspace(folder: Path, copies: int) -> Path:
    ws = folder / f"ged-x{copies}"
    if (ws / "ceasefire.sqlite").exists():
        return ws
    csv_path = folder / f"ged-x{copies}.csv"
    t0 = time.perf_counter()
    n = _copies_csv(csv_path, copies)
    with Store(ws) as store:
        import_file(store, "ucdp", csv_path, TZ)
        for kind, relative in DEMO_FILES[1:]:
            import_file(store, kind, bundled_data(relative), TZ)
    csv_path.unlink()
    print(f"workspace ×{copies}: {n:,} events imported in {time.perf_counter() - t0:.0f} s")
    return ws


def _get(url: str) -> tuple[float, int]:
    t0 = time.perf_counter()
    with urllib.request.urlopen(url) as response:  # loopback: the bench's own server
        size = len(response.read())
    return time.perf_counter() - t0, size


def measure(ws: Path, day: str) -> dict[str, float]:
    report = {
        "id": f"bench-{time.time_ns()}", "kind": "incident", "reported_at": f"{day}T10:00+03:00",
        "reporter": {"name": "monitor team 2", "type": "monitor"}, "time": {"at": day},
        "place": {"name": "Aleppo", "lat": 36.2, "lon": 37.15, "admin1": "Aleppo Governorate"},
        "actors": [{"name": "Government of Syria", "role": "perpetrator"}], "category": "ATK.IND",
    }  # fmt: skip
    one = ws.parent / "one-report.jsonl"
    one.write_text(json.dumps(report) + "\n", encoding="utf-8")
    with serving(ws) as url:
        ask = f"{url}reports/daily?agreement=syria-2016-09&date={day}"
        cold, size = _get(ask)
        with Store(ws) as store:
            import_file(store, "reports", one, TZ)
        change, _ = _get(ask)
        cached = statistics.median(_get(ask)[0] for _ in range(5))
    return {"cold": cold, "change": change, "cached": cached, "bytes": float(size)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--copies", type=int, default=6)
    parser.add_argument("--date", default="2016-09-16")
    parser.add_argument("--keep", type=Path, default=None,
                        help="Build the workspaces in this folder and keep them (reused if there).")  # fmt: skip
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        small = measure(_workspace(folder, 1), args.date)
        large = measure(_workspace(folder, args.copies), args.date)
    print(f"GET /reports/daily?date={args.date} as the public "
          f"({small['bytes'] / 1e3:.0f} kB small, {large['bytes'] / 1e3:.0f} kB large):")  # fmt: skip
    for step in ("cold", "change", "cached"):
        print(f"  {step:>6}: {large[step] * 1000:8.1f} ms with {args.copies} copies, "
              f"{small[step] * 1000:8.1f} ms with 1 ({large[step] / small[step]:.2f}×)")  # fmt: skip
    met = large["change"] < GOAL_SECONDS and large["cached"] < GOAL_SECONDS
    print(
        f"goal < {GOAL_SECONDS * 1000:.0f} ms after a change and cached: {'met' if met else 'NOT met'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
