"""The CLI as a user drives it: the demo, import, evaluate, bad input."""

from __future__ import annotations

import csv
import gzip
import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from ceasefire.cli import cli
from ceasefire.store import Store
from tests.conftest import UCDP_FULL, UCDP_SEPT


def test_demo_prints_the_clock_and_writes_reports(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    result = CliRunner().invoke(cli, ["--workspace", str(ws), "demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    # the UCDP events of the replay's period: the week before the start (the baselines) to eight
    # days after the last report (20 Sept), counted from the full file
    with gzip.open(UCDP_FULL, "rt", encoding="utf-8", newline="") as handle:
        period = sum(1 for r in csv.DictReader(handle)
                     if r["date_end"] >= "2016-09-05" and r["date_start"] <= "2016-09-27")  # fmt: skip
    assert f"ucdp: added {period}," in result.output
    assert "cessation" in result.output
    assert "C_seven_days: unmet" in result.output
    assert len(list((ws / "reports").glob("daily-syria-2016-09-*.md"))) == 9  # 12–20 Sept
    report = json.loads(
        (ws / "reports" / "daily-syria-2016-09-2016-09-20.json").read_text(encoding="utf-8")
    )
    assert report["clock"]["phases"]["jic"]["state"] == "never_reached"
    again = CliRunner().invoke(cli, ["demo", "--workspace", str(ws), "--no-serve"])
    assert f"ucdp: added 0, revised 0, unchanged {period}" in again.output
    tokens = (ws / "demo-accounts.txt").read_text(encoding="utf-8")
    assert "demo-guarantor-usa guarantor:USA " in tokens  # created once, kept on a second run
    assert (ws / "demo-accounts.txt").stat().st_mode & 0o077 == 0


def test_workspace_from_environment(tmp_path: Path) -> None:
    ws = tmp_path / "envws"
    result = CliRunner().invoke(
        cli, ["import", "ucdp", str(UCDP_SEPT)], env={"CEASEFIRE_WORKSPACE": str(ws)}
    )
    assert result.exit_code == 0
    assert "added 313" in result.output
    assert ws.is_dir()
    with Store(ws) as store:  # the environment's workspace holds what was imported
        assert store.count_incidents() == 313


def test_evaluate_jsonl_shape(tmp_path: Path) -> None:
    runner = CliRunner()
    ws = str(tmp_path / "ws")
    runner.invoke(cli, ["--workspace", ws, "import", "ucdp", str(UCDP_SEPT)])
    result = runner.invoke(
        cli, ["--workspace", ws, "evaluate", "--agreement", "syria-2016-09", "--format", "jsonl"]
    )
    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert len(lines) == 313
    row = next(r for r in lines if r["incident"] == "ucdp:227762")
    assert {"incident", "qualification", "codes", "obligations", "bearers", "explanation"} <= set(
        row
    )
    assert row["qualification"] == "undetermined"


def test_bad_input_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    runner = CliRunner()
    ws = str(tmp_path / "ws")
    binary = tmp_path / "x.csv"
    binary.write_bytes(bytes(range(256)) * 10)
    result = runner.invoke(cli, ["--workspace", ws, "import", "ucdp", str(binary)])
    assert result.exit_code == 2
    assert "error:" in result.output
    assert "Traceback" not in result.output
    missing = runner.invoke(cli, ["--workspace", ws, "import", "acled", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2
    assert "no such file" in missing.output
    jl = tmp_path / "r.jsonl"
    jl.write_text('{"id": "a"\nnot json\n[1]\n', encoding="utf-8")
    result = runner.invoke(cli, ["--workspace", ws, "import", "reports", str(jl)])
    assert result.exit_code == 0
    assert "quarantined 3" in result.output
    assert f"{jl}:2: (json): is not valid JSON" in result.output


def test_module_entry_point_runs() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "ceasefire", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("ceasefire, version")
