"""Benchmark: durable report intake over loopback against the raw insert rate, in the same run.

(a) raw: the same reports imported in-process, one transaction each (``Store.import_batch``);
(b) HTTP: ``ceasefire serve`` on 127.0.0.1, clients POST /reports with Idempotency-Keys; every
    response is sent only after the commit.  Prints reports/s for both, the ratio (goal ≥ 50 %),
    and p50/p99 latency (goal p99 < 20 ms at 500 requests/s). Loopback only; bounded in time.

    .venv/bin/python -m bench.bench_intake [--reports 2000] [--clients 8]
"""

from __future__ import annotations

import argparse
import json
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from zoneinfo import ZoneInfo

from ceasefire.governance import add_user
from ceasefire.intake.common import Batch
from ceasefire.intake.jsonlines import parse_report_object
from ceasefire.store import Store

TZ = ZoneInfo("Asia/Damascus")


def report(rid: str) -> dict[str, object]:
    return {
        "id": rid, "kind": "incident", "reported_at": "2016-09-15T10:00+03:00",
        "reporter": {"name": "monitor", "type": "monitor"}, "time": {"at": "2016-09-15"},
        "place": {"name": "Aleppo", "lat": 36.2, "lon": 37.15}, "actors": [], "category": "ATK.IND",
    }  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    n = args.reports
    with tempfile.TemporaryDirectory() as tmp:
        raw_ws = Path(tmp) / "raw"
        with Store(raw_ws) as store:
            t0 = time.perf_counter()
            for i in range(n):
                batch = Batch(kind="reports", file="bench")
                batch.records.append(parse_report_object(report(f"raw-{i}"), TZ))
                store.import_batch(batch)
            raw = time.perf_counter() - t0
        ws = Path(tmp) / "http"
        with Store(ws) as store:
            add_user(store, "root", "admin", None, "bootstrap")
            token = add_user(store, "team", "monitor", None, "root")
        port = free_port()
        proc = subprocess.Popen([sys.executable, "-m", "ceasefire", "--workspace", str(ws), "serve", "--port",
                                 str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.05)

            def post(i: int) -> float:
                body = json.dumps(report(f"http-{i}")).encode()
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/reports", data=body, method="POST",
                    headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"k{i}"},
                )  # fmt: skip
                started = time.perf_counter()
                with urllib.request.urlopen(request, timeout=10) as response:
                    assert response.status == 201
                return time.perf_counter() - started

            t0 = time.perf_counter()
            with ThreadPoolExecutor(max_workers=args.clients) as pool:
                latencies = sorted(pool.map(post, range(n)))
            http = time.perf_counter() - t0
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=10)
    p50 = latencies[len(latencies) // 2] * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    print(f"reports: {n}; clients: {args.clients}")
    print(f"(a) raw durable inserts in-process: {raw:.2f} s, {n / raw:,.0f} reports/s")
    print(f"(b) HTTP intake over loopback:      {http:.2f} s, {n / http:,.0f} reports/s "
          f"({(n / http) / (n / raw):.0%} of raw; goal ≥ 50 %)")  # fmt: skip
    print(f"latency p50 {p50:.1f} ms, p99 {p99:.1f} ms (goal p99 < 20 ms at 500 requests/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
