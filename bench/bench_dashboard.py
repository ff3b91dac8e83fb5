"""Benchmark: the dashboard's first map render with 100,000 incidents, in headless Chromium.

Builds a workspace with 100,000 synthetic UCDP-like events (deterministic: the 313 real events of
5–26 Sept 2016 as templates, moved to seeded random places near the gazetteer's towns and to
12–19 Sept 2016), imported through the library's UCDP importer; serves the dashboard; loads the
page once to warm the server's cache (said in the output); then measures, over five loads each,
the time from navigation start to "map first rendered" (``window.__firstRender``: the incident
layer has been drawn).  The baseline, measured in the same run on the same page, is a workspace
with no incident at all: base map, zones, control and clock, an empty incident layer.

    .venv/bin/python -m bench.bench_dashboard [--incidents 100000] [--loads 5]

Needs the built dashboard (scripts/setup) and Debian's Chromium (/usr/bin/chromium).
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

import uvicorn
from playwright.sync_api import Browser, sync_playwright

from bench.synthetic import synthetic_ucdp
from ceasefire.api.app import create_app
from ceasefire.dashboard import STATIC_DIR
from ceasefire.demo import DEMO_FILES
from ceasefire.service import bundled_data, import_file
from ceasefire.store import Store

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
GOAL_SECONDS = 1.5
TZ = ZoneInfo("Asia/Damascus")
VERBOSE = "--verbose" in sys.argv


@contextmanager
def serving(workspace: Path) -> Iterator[str]:
    app = create_app(workspace, rate=100_000.0, burst=100_000.0)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def first_render(browser: Browser, url: str) -> tuple[float, int]:
    """Seconds from navigation start to the first drawing of the incident layer; points shown."""
    # the page's CSP forbids eval, which the harness's waits use (the page itself runs as served)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    context.add_init_script("sessionStorage.setItem('cf-mode', 'public')")
    page = context.new_page()
    page.goto(url)
    page.wait_for_function("window.__firstRender !== undefined", timeout=60_000)
    ms = page.evaluate("window.__firstRender")
    if VERBOSE:
        print("    page timings (ms):", page.evaluate("window.__timings"))
    text = page.inner_text("#map-status")
    # let the page finish its other requests (clock, control…) so the next load starts idle
    page.wait_for_selector("body[data-ready=yes]", timeout=300_000)
    shown = int(text.split(" incidents")[0].replace(",", "") or 0)
    context.close()
    return float(ms) / 1000.0, shown


def ready_after(page_url: str, browser: Browser) -> tuple[float, float]:
    """One load as the public: seconds to the first drawing of the incident layer, and to the
    page having everything (clock, control, layer: ``body[data-ready=yes]``)."""
    # the page's CSP forbids eval, which the harness's waits use (the page itself runs as served)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    context.add_init_script("sessionStorage.setItem('cf-mode', 'public')")
    page = context.new_page()
    page.goto(page_url)
    page.wait_for_selector("body[data-ready=yes]", timeout=300_000)
    ready = float(page.evaluate("performance.now()")) / 1000.0
    first = float(page.evaluate("window.__firstRender")) / 1000.0
    context.close()
    return first, ready


def daily_report_seconds(url: str, day: str, calls: int) -> list[float]:
    """Wall seconds of ``GET /reports/daily`` as the public (the server's cache as it is)."""
    out = []
    for _ in range(calls):
        t0 = time.perf_counter()
        with urllib.request.urlopen(f"{url}reports/daily?agreement=syria-2016-09&date={day}") as r:
            r.read()
        out.append(time.perf_counter() - t0)
    return out


def after_one_report(browser: Browser, workspace: Path, url: str) -> dict[str, float]:
    """A monitor's report imported while the server runs (a new store state), then the
    dashboard's first load and one daily report, each the first after the change."""
    report = {
        "id": f"bench-{time.time_ns()}", "kind": "incident", "reported_at": "2016-09-15T10:00+03:00",
        "reporter": {"name": "monitor team 2", "type": "monitor"}, "time": {"at": "2016-09-15"},
        "place": {"name": "Aleppo", "lat": 36.2, "lon": 37.15, "admin1": "Aleppo Governorate"},
        "actors": [{"name": "Government of Syria", "role": "perpetrator"}], "category": "ATK.IND",
    }  # fmt: skip
    path = workspace.parent / "one-report.jsonl"
    path.write_text(json.dumps(report) + "\n", encoding="utf-8")
    t0 = time.perf_counter()
    with Store(workspace) as store:
        import_file(store, "reports", path, TZ)
    imported = time.perf_counter() - t0
    first, ready = ready_after(url, browser)
    (report_first,) = daily_report_seconds(url, "2016-09-16", 1)
    warm = daily_report_seconds(url, "2016-09-16", 5)
    return {"import": imported, "first render": first, "page ready": ready,
            "daily report (first after the change)": report_first,
            "daily report (median of 5, cached)": statistics.median(warm)}  # fmt: skip


def measure(
    browser: Browser, workspace: Path, loads: int, label: str, change: bool = False
) -> tuple[float, int]:
    with serving(workspace) as url:
        t0 = time.perf_counter()
        warm, shown = first_render(browser, url)  # the first load fills the server's cache
        print(f"{label}: cache warmed by one load ({time.perf_counter() - t0:.1f} s wall, first render "
              f"{warm:.2f} s); measuring {loads} loads")  # fmt: skip
        times = []
        for _ in range(loads):
            seconds, shown = first_render(browser, url)
            times.append(seconds)
        print(
            f"  {label}: " + ", ".join(f"{t:.3f}" for t in times) + f" s; {shown:,} incidents drawn"
        )
        if change:
            for name, seconds in after_one_report(browser, workspace, url).items():
                print(f"  after importing one report: {name} {seconds:.3f} s")
        return statistics.median(times), shown


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--verbose", action="store_true", help="Print the page's own timings.")
    parser.add_argument("--keep", type=Path, default=None,
                        help="Build the workspaces in this folder and keep them (reused if there).")  # fmt: skip
    args = parser.parse_args()
    if not (STATIC_DIR / "index.html").is_file():
        print("error: the dashboard is not built; run scripts/setup", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        full, empty = folder / f"full-{args.incidents}", folder / "empty"
        if not (full / "ceasefire.sqlite").exists():
            csv_path = folder / "synthetic.csv"
            t0 = time.perf_counter()
            folder.mkdir(parents=True, exist_ok=True)
            csv_path.write_text(synthetic_ucdp(args.incidents), encoding="utf-8")
            with Store(empty) as store:  # the convoy log and the claims, as in the demo
                for kind, relative in DEMO_FILES[1:]:
                    import_file(store, kind, bundled_data(relative), TZ)
            with Store(full) as store:
                summary = import_file(store, "ucdp", csv_path, TZ)
                for kind, relative in DEMO_FILES[1:]:
                    import_file(store, kind, bundled_data(relative), TZ)
            csv_path.unlink()
            print(f"workspace: {summary.added:,} synthetic incidents imported in "
                  f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            base, _ = measure(browser, empty, args.loads, "baseline (no incidents)")
            full_median, shown = measure(browser, full, args.loads, f"{args.incidents:,} incidents",
                                         change=True)  # fmt: skip
            browser.close()
    print(f"first render, median of {args.loads}: {full_median:.3f} s with {shown:,} incidents; "
          f"baseline {base:.3f} s; ratio {full_median / base:.2f}x; goal < {GOAL_SECONDS} s: "
          f"{'met' if full_median < GOAL_SECONDS else 'NOT met'}")  # fmt: skip
    return 0 if full_median < GOAL_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
