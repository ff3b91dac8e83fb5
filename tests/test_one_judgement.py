"""One judgement path: after the guarantors extend the cessation to 21 Sept 2016 (a joint decision
recorded in the workspace), every surface — ``evaluate``, ``incident``, ``GET /findings``,
``GET /incidents/{key}``, the daily report (CLI and API), the dashboard's report — gives each of the
313 incidents of the Sept 2016 fixture the same qualification.

The expected qualification of ucdp:228439 comes from its coding: Government of Syria v Syrian
insurgents on 20 Sept, a day inside the extended cessation, with the insurgents' coverage unknown —
undetermined, not "after the end" (the original end, 19 Sept 19:00, no longer applies)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from ceasefire.cli import cli
from tests.conftest import TZ, UCDP_SEPT
from tests.guarantor_keys import cli_key

AGREEMENT = "syria-2016-09"
DAYS = [date(2016, 9, 5) + timedelta(days=n) for n in range(22)]  # 5–26 Sept, the whole fixture


def _run(ws: Path, *args: str, token: str | None = None) -> str:
    env = {"CEASEFIRE_TOKEN": token} if token else {}
    result = CliRunner().invoke(cli, ["--workspace", str(ws), *args], env=env)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    ws = tmp_path_factory.mktemp("one-path") / "ws"
    _run(ws, "import", "ucdp", str(UCDP_SEPT))
    admin = _run(ws, "users", "add", "root", "--role", "admin").strip().splitlines()[-1]
    us = _run(
        ws, "users", "add", "us", "--role", "guarantor", "--party", "USA", token=admin
    ).split()[-1]
    ru = _run(
        ws, "users", "add", "ru", "--role", "guarantor", "--party", "RUS", token=admin
    ).split()[-1]
    monitor = _run(ws, "users", "add", "mon", "--role", "monitor", token=admin).split()[-1]
    us_key, ru_key = (cli_key(ws, t, ws.parent / f"{n}.key") for n, t in (("us", us), ("ru", ru)))
    status = json.loads(_run(
        ws, "decisions", "propose", "--agreement", AGREEMENT, "--kind", "extend_phase",
        "--subject", "cessation", "--effective", "2016-09-19T18:00+03:00",
        "--until", "2016-09-21T19:00+03:00", "--decided-at", "2016-09-19T17:00+03:00",
        "--key", us_key, token=us,
    ))  # fmt: skip
    approved = json.loads(
        _run(
            ws,
            "decisions",
            "approve",
            status["id"],
            "--agreement",
            AGREEMENT,
            "--key",
            ru_key,
            token=ru,
        )
    )
    assert approved["in_effect"] is True
    return ws, monitor


@pytest.fixture(scope="module")
def client(workspace: tuple[Path, str]) -> Iterator[TestClient]:
    from ceasefire.api.app import create_app

    with TestClient(create_app(workspace[0], TZ)) as c:
        yield c


def _cutoff(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=TZ)


def _evaluate(ws: Path, as_of: datetime | None = None) -> dict[str, str]:
    args = ["evaluate", "--agreement", AGREEMENT, "--format", "jsonl"]
    if as_of is not None:
        args += ["--as-of", as_of.isoformat()]
    return {
        f["incident"]: f["qualification"] for f in map(json.loads, _run(ws, *args).splitlines())
    }


def test_the_extension_moves_the_worked_incident(workspace: tuple[Path, str]) -> None:
    ws, _ = workspace
    everything = _evaluate(ws)
    assert len(everything) == 313
    assert everything["ucdp:228439"] == "undetermined"
    assert (
        json.loads(_run(ws, "incident", "ucdp:228439", "--agreement", AGREEMENT))["finding"][
            "qualification"
        ]
        == "undetermined"
    )


def test_every_surface_agrees_with_everything_known(
    workspace: tuple[Path, str], client: TestClient
) -> None:
    ws, monitor = workspace
    auth = {"Authorization": f"Bearer {monitor}"}
    cli_findings = _evaluate(ws)
    api = client.get("/findings", params={"agreement": AGREEMENT}, headers=auth)
    assert api.status_code == 200
    api_findings = {f["incident"]: f["qualification"] for f in api.json()}
    assert api_findings == cli_findings
    for key, qualification in sorted(cli_findings.items()):
        drill = client.get(f"/incidents/{key}", params={"agreement": AGREEMENT}, headers=auth)
        assert drill.status_code == 200, key
        assert drill.json()["finding"]["qualification"] == qualification, key
        one = json.loads(_run(ws, "incident", key, "--agreement", AGREEMENT))
        assert one["finding"]["qualification"] == qualification, key


def test_each_report_annex_agrees_with_evaluate_as_of_its_cutoff(
    workspace: tuple[Path, str], client: TestClient
) -> None:
    ws, monitor = workspace
    auth = {"Authorization": f"Bearer {monitor}"}
    seen: set[str] = set()
    for day in DAYS:
        expected = _evaluate(ws, _cutoff(day))
        report = json.loads(_run(ws, "report", "daily", "--agreement", AGREEMENT, "--date",
                                 day.isoformat(), "--format", "json"))  # fmt: skip
        annex = {row["incident"]: row["qualification"] for row in report["annex"]}
        assert annex, day
        for key, qualification in annex.items():
            assert expected[key] == qualification, (day, key)
        api = client.get("/reports/daily", params={"agreement": AGREEMENT, "date": day.isoformat()},
                         headers=auth).json()  # fmt: skip
        assert {r["incident"]: r["qualification"] for r in api["annex"]} == annex, day
        params = {"agreement": AGREEMENT, "date": day.isoformat()}
        page = client.get("/dashboard/report", params=params, headers=auth)
        assert page.status_code == 200, day
        rows = re.findall(r'<tr><td>([a-z]+:[0-9]+)</td>.*?<td class="([a-z_]+)">', page.text)
        assert dict(rows) == annex, day  # the dashboard's printable report, row by row
        summary = client.get("/dashboard/day", params=params, headers=auth).json()["summary"]
        counted = {q: sum(v == q for v in annex.values()) for q in set(annex.values())}
        assert {q: summary["incidents"][q] for q in counted} == counted, day
        seen |= set(annex)
    # a report lists what overlaps its day and was known by its cut-off: an event first reported
    # days later is in no day's annex, and is compared on every other surface above
    assert len(seen) >= 150, len(seen)
