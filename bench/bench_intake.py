"""Benchmark: durable report intake over loopback against the raw insert rate, in the same run.

(a) raw: the same reports imported in-process, one transaction each (``Store.import_batch``);
(b) HTTP: ``ceasefire serve`` on 127.0.0.1, clients POST /reports with Idempotency-Keys; every
    response is sent only after the commit.  Prints reports/s for both, the ratio (goal ≥ 50 %),
    and p50/p99 latency (goal p99 < 20 ms at 500 requests/s). Loopback only; bounded in time.

    .venv/bin/python -m bench.bench_intake [--reports 2000] [--clients 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import socket
import subprocess
import sys
import tempfile
import time
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


async def _post(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, port: int, token: str,
                rid: str) -> None:  # fmt: skip
    """One POST /reports over a kept-alive connection (a minimal HTTP/1.1 client, so that the
    load generator costs little of the machine the server shares)."""
    body = json.dumps(report(rid)).encode()
    head = (f"POST /reports HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
            f"Idempotency-Key: {rid}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")  # fmt: skip
    writer.write(head.encode() + body)
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    if status != 201:
        raise RuntimeError(f"{rid}: HTTP {status}")


async def load(port: int, token: str, ids: list[str], connections: int,
               rate: float | None = None) -> list[float]:  # fmt: skip
    """Send every report; back to back over ``connections`` connections, or each at its due time
    (``rate`` per second). Returns the sorted latencies (from the due time when paced)."""
    pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await asyncio.open_connection("127.0.0.1", port))
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.1
    latencies: list[float] = []

    async def one(i: int, rid: str) -> None:
        if rate is not None:
            await asyncio.sleep(max(0.0, start + i / rate - loop.time()))
        due = start + i / rate if rate is not None else 0.0
        conn = await pool.get()
        due = due or loop.time()  # back to back: from the moment a connection is free
        try:
            await _post(*conn, port, token, rid)
        finally:
            pool.put_nowait(conn)
        latencies.append(loop.time() - due)

    await asyncio.gather(*(one(i, rid) for i, rid in enumerate(ids)))
    while not pool.empty():
        pool.get_nowait()[1].close()
    return sorted(latencies)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rate", type=float, default=500.0, help="steady phase: requests/s")
    parser.add_argument("--seconds", type=float, default=6.0, help="steady phase: duration")
    args = parser.parse_args()
    n = args.reports
    with tempfile.TemporaryDirectory() as tmp:
        raw_ws = Path(tmp) / "raw"
        with Store(raw_ws) as store:
            # the same durability as the server's intake: each commit synced to disk (FULL)
            store.conn.make_durable()
            t0 = time.perf_counter()
            for i in range(n):
                batch = Batch(kind="reports", file="api:bench")
                batch.records.append(parse_report_object(report(f"raw-{i}"), TZ))
                store.import_batch(batch)
            raw = time.perf_counter() - t0
        with Store(Path(tmp) / "raw-normal") as store:
            # for comparison: SQLite's default WAL durability (survives a crash of the process,
            # not of the machine) — not what the server uses for intake
            t0 = time.perf_counter()
            for i in range(n):
                batch = Batch(kind="reports", file="api:bench")
                batch.records.append(parse_report_object(report(f"raw-{i}"), TZ))
                store.import_batch(batch)
            raw_normal = time.perf_counter() - t0
        ws = Path(tmp) / "http"
        with Store(ws) as store:
            add_user(store, "root", "admin", None, "bootstrap")
            token = add_user(store, "team", "monitor", None, "root")
        port = free_port()
        proc = subprocess.Popen([sys.executable, "-m", "ceasefire", "--workspace", str(ws), "serve", "--port",
                                 str(port), "--rate", "100000", "--burst", "100000", "--no-access-log"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.05)

            # (b) saturation: clients send back to back
            t0 = time.perf_counter()
            latencies = asyncio.run(
                load(port, token, [f"http-{i}" for i in range(n)], args.clients)
            )
            http_s = time.perf_counter() - t0
            # (c) a steady rate for a few seconds; latency counted from the moment each request
            # was due, so a server that falls behind cannot hide it
            rate, count = args.rate, int(args.rate * args.seconds)
            t0 = time.perf_counter()
            steady = asyncio.run(load(port, token, [f"paced-{i}" for i in range(count)], 64, rate))
            achieved = count / (time.perf_counter() - t0)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=10)

    def pct(values: list[float], q: float) -> float:
        return values[min(len(values) - 1, int(len(values) * q))] * 1000

    print(f"reports: {n}; clients: {args.clients}")
    print(
        f"(a) raw durable inserts in-process (synchronous=FULL, one report per commit): "
        f"{raw:.2f} s, {n / raw:,.0f} reports/s"
    )
    print(
        f"    for comparison, synchronous=NORMAL: {raw_normal:.2f} s, {n / raw_normal:,.0f} reports/s"
    )
    print(
        f"(b) HTTP intake over loopback, {args.clients} clients back to back: {http_s:.2f} s, "
        f"{n / http_s:,.0f} reports/s = {(n / http_s) / (n / raw):.0%} of raw (goal ≥ 50 %); "
        f"{(n / http_s) / (n / raw_normal):.0%} of the NORMAL rate; "
        f"latency p50 {pct(latencies, 0.5):.1f} ms, p99 {pct(latencies, 0.99):.1f} ms"
    )
    print(
        f"(c) steady {rate:.0f} requests/s for {args.seconds:.0f} s ({achieved:.0f}/s achieved): "
        f"latency p50 {pct(steady, 0.5):.1f} ms, p99 {pct(steady, 0.99):.1f} ms, "
        f"max {steady[-1] * 1000:.1f} ms (goal p99 < 20 ms)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
