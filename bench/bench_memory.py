"""Benchmark: the server's memory under many unauthenticated reads, on loopback.

Builds a workspace with the worked example's files (UCDP events of 5–26 Sept 2016, the
humanitarian log, the monitors' and parties' reports), starts ``ceasefire serve`` in a
subprocess, warms it up, then sends ``--calls`` unauthenticated ``GET /reports/daily`` (the days
of the agreement in turn) and, for the dashboard, ``GET /dashboard/day`` over as many distinct
dates (a cache keyed by a date from the query).  The server's resident memory (VmRSS) is read from
/proc before and after: the baseline is the same server after its warm-up, in the same run.

    .venv/bin/python -m bench.bench_memory [--calls 10000] [--warmup 50] [--clients 4]

(The limiter's tables under random bogus tokens are checked in-process by
tests/test_rate_limit.py: their sizes are not exposed over HTTP.)
"""

from __future__ import annotations

import argparse
import http.client
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from ceasefire.demo import DEMO_FILES
from ceasefire.service import bundled_data, import_file
from ceasefire.store import Store

TZ = ZoneInfo("Asia/Damascus")
FIRST_DAY = date(2016, 9, 12)


def demo_workspace(root: Path) -> Path:
    """A workspace with the worked example's files imported."""
    ws = root / "ws"
    with Store(ws) as store:
        for kind, relative in DEMO_FILES:
            import_file(store, kind, bundled_data(relative), TZ)
    return ws


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(ws: Path) -> Iterator[tuple[int, int]]:
    """``ceasefire serve`` on a free loopback port (rate limit out of the way): (port, pid)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ceasefire", "--workspace", str(ws), "serve", "--port", str(port),
         "--rate", "1000000", "--burst", "1000000", "--no-access-log"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the server did not start within 60 s") from None
                time.sleep(0.05)
        yield port, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def rss_mb(pid: int) -> float:
    """The process's resident memory in MB (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def get_many(port: int, paths: list[str], clients: int = 1) -> dict[int, int]:
    """GET every path (spread over ``clients`` keep-alive connections): count per status."""
    counts: dict[int, int] = {}
    lock = threading.Lock()

    def run(share: list[str]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for path in share:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            with lock:
                counts[response.status] = counts.get(response.status, 0) + 1
        conn.close()

    threads = [threading.Thread(target=run, args=(paths[n::clients],)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return counts


def daily_paths(n: int, offset: int = 0) -> list[str]:
    """``n`` daily-report requests over the agreement's first ten days."""
    return [f"/reports/daily?agreement=syria-2016-09&date={FIRST_DAY + timedelta(days=(offset + i) % 10)}"
            for i in range(n)]  # fmt: skip


def dashboard_day_paths(n: int, offset: int = 0) -> list[str]:
    """``n`` dashboard day views, each on a date not asked before."""
    return [f"/dashboard/day?agreement=syria-2016-09&date={FIRST_DAY + timedelta(days=offset + i)}"
            for i in range(n)]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ws = demo_workspace(Path(tmp))
        with serving(ws) as (port, pid):
            started = rss_mb(pid)
            # the warm-up with as many clients as the run: each worker thread's allocator arena
            # grows once (a single-client warm-up left ~25 MB of that growth inside the run)
            get_many(
                port, daily_paths(args.warmup) + dashboard_day_paths(args.warmup), args.clients
            )
            warm = rss_mb(pid)
            print(f"server RSS: {started:.1f} MB at start, {warm:.1f} MB after the warm-up "
                  f"({args.warmup} daily reports, {args.warmup} dashboard days) = baseline")  # fmt: skip
            t0 = time.perf_counter()
            done = 0
            step = max(1, args.calls // 10)
            while done < args.calls:
                n = min(step, args.calls - done)
                counts = get_many(port, daily_paths(n, done), args.clients)
                done += n
                now = rss_mb(pid)
                print(f"  {done:>6} GET /reports/daily (no token): RSS {now:.1f} MB = "
                      f"{now / warm:.3f} × baseline; statuses {counts}; "
                      f"{(time.perf_counter() - t0) / done * 1000:.0f} ms/call", flush=True)  # fmt: skip
            after_daily = rss_mb(pid)
            days = min(args.calls, 3000)
            counts = get_many(port, dashboard_day_paths(days, args.warmup), args.clients)
            after_days = rss_mb(pid)
            print(f"{args.calls} daily reports: {warm:.1f} → {after_daily:.1f} MB "
                  f"({after_daily / warm - 1:+.1%}; goal within ±10 %)")  # fmt: skip
            print(f"{days} dashboard days on distinct dates: {after_daily:.1f} → {after_days:.1f} MB "
                  f"({after_days / after_daily - 1:+.1%}); statuses {counts}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
