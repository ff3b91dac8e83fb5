"""Take docs/dashboard.png from the demo: a guarantor's view of 14 Sept 2016 at 1280×800.

    .venv/bin/python scripts/screenshot.py [--output docs/dashboard.png]

Replays the demo into a temporary workspace (no serving), serves the dashboard on a free
loopback port, logs in with the demo guarantor's token and shows the map and the clock. Needs the built dashboard (scripts/setup) and /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from click.testing import CliRunner
from playwright.sync_api import sync_playwright

from ceasefire.api.app import create_app
from ceasefire.cli import cli

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=Path(__file__).resolve().parent.parent / "docs" / "dashboard.png")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        result = CliRunner().invoke(cli, ["--workspace", str(ws), "demo", "--no-serve"])
        assert result.exit_code == 0, result.output
        token = next(line.split()[-1] for line in (ws / "demo-accounts.txt").read_text().splitlines()
                     if line.startswith("demo-guarantor-usa "))
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        server = uvicorn.Server(uvicorn.Config(create_app(ws), log_level="warning", lifespan="off"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.02)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"http://127.0.0.1:{sock.getsockname()[1]}/?date=2016-09-14")
            page.fill("#token", token)
            page.press("#token", "Enter")
            page.wait_for_selector("body[data-ready=yes]")
            page.wait_for_function("document.querySelector('#slider-label').textContent.includes('day 3')")
            args.output.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.output))
            browser.close()
        server.should_exit = True
        thread.join(timeout=5)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
