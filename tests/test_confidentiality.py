"""Confidentiality by construction: role × route × record state, with planted submissions.

Two workspaces are built the same way from the demo data and one released party complaint.  Into
the first (``planted``) go unreleased submissions by every intake path: a complaint and a claim
posted to the API by a party's cell, a file imported with ``--submitted-by``, a file whose
objects name ``submitted_by``, and a file whose reporter is a party's cell that names no party.
The second (``twin``) has none of them.

For the public and for another party, every GET route of the API and every CLI output must be the
same on both workspaces: nothing of a planted record reaches them, nor anything computed from it
(a count, a clock day, a scorecard, a finding, a 404 that would tell the key exists).  Reporter
names of every submission, released or not, never reach them.  The submitting party's cell sees
its own submissions and not an unnamed cell's; guarantors, monitors and admins see them all (the
positive checks keep the test honest: a plant that did not land would fail them).
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from starlette.routing import Route

from ceasefire.api.app import create_app
from ceasefire.cli import cli
from ceasefire.demo import DEMO_FILES
from ceasefire.governance import add_user
from ceasefire.intake.common import Batch
from ceasefire.pipeline.evidence import NewsStory
from ceasefire.service import bundled_data, import_file
from ceasefire.store import Store
from tests.conftest import TZ

OWN = "SYR_INSURGENTS"  # the submitting party's cell
OTHER = "SYR_GOV"  # another party's cell
DAY = "2016-09-14"
ROLES = ("public", "other_party", "party", "monitor", "guarantor", "admin")
SEES_ALL = ("monitor", "guarantor", "admin")

# what each planted record carries that appears nowhere else in the data
API_PLACE, API_REPORTER = "Kafr Plantedapi", "planted api liaison officer"
API_CLAIM, API_CLAIM_VALUE = "planted-api-claim", 918273
# the API keeps each account's ids its own: opp-cell is the 4th account made by _build
API_KEY, RELEASED_KEY = "report:4~planted-api", "report:4~released-1"
CLI_PLACE, CLI_REPORTER = "Tell Plantedcli", "planted cli liaison officer"
CLI_CLAIM = "planted-cli-claim"
FILE_PLACE, FILE_REPORTER = "Ain Plantedfile", "planted file liaison officer"
UNNAMED_PLACE, UNNAMED_REPORTER = "Deir Plantedunnamed", "planted unnamed cell officer"
RELEASED_PLACE, RELEASED_REPORTER = "Released Hamlet", "released liaison officer"

OWN_MARKERS = (API_PLACE, API_CLAIM, CLI_PLACE, CLI_CLAIM, FILE_PLACE)  # the cell's own
UNRELEASED_MARKERS = (*OWN_MARKERS, UNNAMED_PLACE, UNNAMED_REPORTER)
REPORTERS = (API_REPORTER, CLI_REPORTER, FILE_REPORTER, UNNAMED_REPORTER, RELEASED_REPORTER)


def _incident(
    report_id: str, place: str, reporter: str, lat: float, **extra: Any
) -> dict[str, Any]:
    return {
        "id": report_id, "kind": "incident", "reported_at": f"{DAY}T20:00+03:00",
        "reporter": {"name": reporter, "type": "party"}, "time": {"at": DAY},
        "place": {"name": place, "lat": lat, "lon": 36.63, "admin1": "Idleb Governorate"},
        "actors": [{"name": "Government of Syria", "role": "perpetrator"}],
        "category": "CIV.ATTACK", "fatalities": {"best": 13}, **extra,
    }  # fmt: skip


def _claim(claim_id: str, value: int, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "claim", "id": claim_id, "claimant": OWN, "reported_at": DAY,
        "quantity": "violations", "value": value, "qualifier": "exact",
        "period": {"from": "2016-09-13T19:00+03:00", "to": "2016-09-14T19:00+03:00"},
        "about": "government forces", **extra,
    }  # fmt: skip


def _jsonl(path: Path, objects: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(o) + "\n" for o in objects), encoding="utf-8")
    return path


@dataclass
class Centre:
    ws: Path
    client: TestClient
    tokens: dict[str, str]


def _headers(centre: Centre, role: str) -> dict[str, str]:
    return {} if role == "public" else {"Authorization": f"Bearer {centre.tokens[role]}"}


def _build(root: Path, planted: bool) -> Centre:
    ws = root / "ws"
    tokens: dict[str, str] = {}
    with Store(ws) as store:
        for kind, relative in DEMO_FILES:
            import_file(store, kind, bundled_data(relative), TZ)
        store.import_batch(Batch("news", "stories", [STORY]))  # as `ingest news` stores one
        tokens["admin"] = add_user(store, "root", "admin", None, "bootstrap")
        tokens["guarantor"] = add_user(store, "us-desk", "guarantor", "USA", "root")
        tokens["monitor"] = add_user(store, "team-1", "monitor", None, "root")
        tokens["party"] = add_user(store, "opp-cell", "party", OWN, "root")
        tokens["other_party"] = add_user(store, "gov-cell", "party", OTHER, "root")
    centre = Centre(ws, TestClient(create_app(ws, TZ, rate=1e6, burst=1e6)), tokens)
    post = centre.client.post
    released = _incident("released-1", RELEASED_PLACE, RELEASED_REPORTER, 35.95)
    answer = post("/reports", json=released, headers=_headers(centre, "party"))
    assert answer.status_code == 201
    assert answer.json()["key"] == RELEASED_KEY
    answer = post(f"/reports/{RELEASED_KEY}/release", headers=_headers(centre, "guarantor"))
    assert answer.status_code == 200, answer.text
    if not planted:
        return centre
    # 1. the API: a complaint and a claim posted by the cell
    for body in (_incident("planted-api", API_PLACE, API_REPORTER, 35.91),
                 _claim(API_CLAIM, API_CLAIM_VALUE)):  # fmt: skip
        answer = post("/reports", json=body, headers=_headers(centre, "party"))
        assert answer.status_code == 201, answer.text
    # 2. the command line: the whole file is the cell's submission
    cli_file = _jsonl(root / "cli.jsonl", [
        {**_incident("planted-cli", CLI_PLACE, CLI_REPORTER, 35.92), "reporter": {
            "name": CLI_REPORTER, "type": "liaison"}},
        _claim(CLI_CLAIM, 827364),
    ])  # fmt: skip
    _cli(ws, "import", "reports", str(cli_file), "--submitted-by", OWN)
    # 3. a file whose objects say whose submission they are, and one from an unnamed cell
    named = _incident("planted-file", FILE_PLACE, FILE_REPORTER, 35.93, submitted_by=OWN)
    unnamed = _incident("planted-unnamed", UNNAMED_PLACE, UNNAMED_REPORTER, 35.94)
    _cli(ws, "import", "reports", str(_jsonl(root / "file.jsonl", [named, unnamed])))
    return centre


def _cli(ws: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--workspace", str(ws), "--timezone", "Asia/Damascus", *args])
    assert result.exit_code in (0, 2), (args, result.output)
    return result.output


@pytest.fixture(scope="module")
def centres(tmp_path_factory: pytest.TempPathFactory) -> tuple[Centre, Centre]:
    return (_build(tmp_path_factory.mktemp("planted"), True),
           _build(tmp_path_factory.mktemp("twin"), False))  # fmt: skip


# a news story written for this test, stored in both centres (the walk reads it on every route)
STORY = NewsStory("story-w1", {
    "documents": [{"id": "w1", "outlet": "paper-one", "published": f"{DAY}T12:00:00+03:00",
                   "title": ""}],
    "brief": [{"text": "Shelling was reported near the town.", "generated": False,
               "sources": [{"document": "w1", "outlet": "paper-one",
                            "published": f"{DAY}T12:00:00+03:00"}]}],
    "claims": [], "conflicts": [], "incidents": [],
})  # fmt: skip

# every GET route of the app → the query that exercises it (a new route without one fails here)
AGREEMENT = "syria-2016-09"
QUERIES: dict[str, list[str]] = {
    "/status": [f"/status?agreement={AGREEMENT}&at={DAY}T23:00%2B03:00"],
    "/findings": [f"/findings?agreement={AGREEMENT}"],
    "/reports": ["/reports"],
    "/agreements": ["/agreements"],
    "/agreements/{name}": [f"/agreements/{AGREEMENT}"],
    "/incidents": ["/incidents?limit=1000", "/incidents?limit=1000&bbox=36,35,37,37"],
    "/reports/daily": [f"/reports/daily?agreement={AGREEMENT}&date={DAY}"],
    "/control/at": [f"/control/at?date={DAY}&lat=36.2&lon=37.15"],
    "/exports/{layout}": [
        f"/exports/{x}?agreement={AGREEMENT}"
        for x in ("ucdp", "acled", "geojson", "hxl", "parquet")
    ],
    "/audit/verify": ["/audit/verify"],
    "/whoami": ["/whoami"],
    "/users": ["/users"],
    "/keys": ["/keys"],
    "/zones": [f"/zones?agreement={AGREEMENT}"],
    "/humanitarian": ["/humanitarian"],
    "/decisions": [f"/decisions?agreement={AGREEMENT}"],
    "/control/map": [f"/control/map?date={DAY}"],
    "/incidents/{key:path}": [
        f"/incidents/{k}?agreement={AGREEMENT}"
        for k in (
            API_KEY,
            "report:planted-cli",
            "report:planted-file",
            "report:planted-unnamed",
            RELEASED_KEY,
        )
    ],
    "/scorecards": [f"/scorecards?agreement={AGREEMENT}"],
    "/dashboard/layer": [f"/dashboard/layer?agreement={AGREEMENT}"],
    "/dashboard/day": [f"/dashboard/day?agreement={AGREEMENT}&date={DAY}"],
    "/dashboard/report": [f"/dashboard/report?agreement={AGREEMENT}&date={DAY}"],
    "/basemap/{layer}": ["/basemap/admin1", "/basemap/actors"],
    "/stories": ["/stories", f"/stories?date={DAY}", f"/stories?incident={API_KEY}"],
    "/stories/{key:path}": ["/stories/story:story-w1", "/stories/story:none"],
    "/": ["/"],
}
NOT_DATA = {
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
}  # the API's own description


def _text(body: bytes, content_type: str) -> str:
    if "parquet" in content_type:  # columns, dictionary-encoded: read them back as text
        import pyarrow.parquet as pq

        return json.dumps(pq.read_table(io.BytesIO(body)).to_pylist(), default=str, sort_keys=True)
    return body.decode("utf-8")


_VOLATILE = re.compile(r'"(released_at|recorded_at|checked_at)": ?"[^"]*"')


def _normal(text: str) -> str:
    return _VOLATILE.sub(r'"\1": "…"', text)


def _answers(centre: Centre, role: str) -> dict[str, tuple[int, str]]:
    out = {}
    for queries in QUERIES.values():
        for query in queries:
            response = centre.client.get(query, headers=_headers(centre, role))
            out[query] = (response.status_code,
                          _text(response.content, response.headers.get("content-type", "")))  # fmt: skip
    return out


def test_every_get_route_is_walked() -> None:
    app = create_app(Path("/nonexistent-never-opened"), TZ)
    routes = {r.path for r in app.routes if isinstance(r, Route) and "GET" in (r.methods or ())}
    assert routes - NOT_DATA == set(QUERIES), "walk every GET route in this test"


@pytest.mark.parametrize("role", ["public", "other_party"])
def test_api_answers_the_public_and_another_party_as_if_nothing_were_planted(
    centres: tuple[Centre, Centre], role: str
) -> None:
    planted, twin = centres
    mine, theirs = _answers(planted, role), _answers(twin, role)
    for query, (status, text) in mine.items():
        for marker in (*UNRELEASED_MARKERS, *REPORTERS, str(API_CLAIM_VALUE)):
            assert marker not in text, f"{role} {query}: {marker!r} leaked"
        assert (status, _normal(text)) == (theirs[query][0], _normal(theirs[query][1])), (
            f"{role} {query}: the answer depends on unreleased submissions"
        )
    # and what was released is there, without its reporter
    daily = json.loads(mine[f"/reports/daily?agreement={AGREEMENT}&date={DAY}"][1])
    assert daily["header"]["distribution"] == (
        "PUBLIC"
        if role == "public"
        else f"RESTRICTED — {OTHER}'s cell (its own submissions and what was released)"
    )
    assert RELEASED_PLACE in mine[f"/dashboard/layer?agreement={AGREEMENT}"][1]


def test_the_submitting_cell_sees_its_own_and_not_an_unnamed_cells(
    centres: tuple[Centre, Centre],
) -> None:
    planted, _ = centres
    answers = _answers(planted, "party")
    listed = answers["/reports"][1]
    daily = answers[f"/reports/daily?agreement={AGREEMENT}&date={DAY}"][1]
    for marker in (API_PLACE, CLI_PLACE, FILE_PLACE, API_REPORTER, RELEASED_REPORTER):
        assert marker in listed, marker
    for claim in (API_CLAIM, CLI_CLAIM):
        assert claim in daily, claim
    for query, (_, text) in answers.items():
        assert UNNAMED_PLACE not in text, query
        assert UNNAMED_REPORTER not in text, query
    assert answers[f"/incidents/report:planted-unnamed?agreement={AGREEMENT}"][0] == 404
    assert answers[f"/incidents/{API_KEY}?agreement={AGREEMENT}"][0] == 200


@pytest.mark.parametrize("role", SEES_ALL)
def test_guarantors_monitors_and_admins_see_every_submission(
    centres: tuple[Centre, Centre], role: str
) -> None:
    planted, _ = centres
    client = planted.client
    listed = client.get("/reports", headers=_headers(planted, role)).text
    for marker in (*UNRELEASED_MARKERS, *REPORTERS):
        assert marker in listed, marker
    daily = client.get(f"/reports/daily?agreement={AGREEMENT}&date={DAY}",
                       headers=_headers(planted, role)).json()  # fmt: skip
    assert daily["header"]["distribution"].startswith("RESTRICTED")
    assert {f"4~{API_CLAIM}", CLI_CLAIM} <= {c["claim"] for c in daily["claims"]}
    layer = client.get(f"/dashboard/layer?agreement={AGREEMENT}", headers=_headers(planted, role))
    for key in (API_KEY, "report:planted-cli", "report:planted-file",
                "report:planted-unnamed"):  # fmt: skip
        assert key in layer.json()["keys"]


CLI_OUTPUTS = [
    ["report", "daily", "--agreement", AGREEMENT, "--date", DAY, "--format", "json"],
    ["report", "daily", "--agreement", AGREEMENT, "--date", DAY, "--format", "md"],
    ["report", "daily", "--agreement", AGREEMENT, "--date", DAY, "--format", "html"],
    ["evaluate", "--agreement", AGREEMENT, "--format", "jsonl"],
    ["status", "--agreement", AGREEMENT, "--at", f"{DAY}T23:00+03:00", "--format", "json"],
    ["export", "ucdp"], ["export", "acled"],
    ["export", "geojson", "--agreement", AGREEMENT], ["export", "hxl", "--agreement", AGREEMENT],
    ["incident", API_KEY, "--agreement", AGREEMENT],
    ["incident", RELEASED_KEY],
    ["control", "map", "--date", DAY],
    ["control", "at", "--date", DAY, "--lat", "36.2", "--lon", "37.15", "--format", "json"],
]  # fmt: skip


@pytest.mark.parametrize("audience", ["public", f"party:{OTHER}"])
def test_cli_outputs_for_the_public_and_another_party_leak_nothing(
    centres: tuple[Centre, Centre], audience: str
) -> None:
    planted, twin = centres
    for args in CLI_OUTPUTS:
        mine = _cli(planted.ws, *args, "--audience", audience)
        theirs = _cli(twin.ws, *args, "--audience", audience)
        for marker in (*UNRELEASED_MARKERS, *REPORTERS, str(API_CLAIM_VALUE)):
            assert marker not in mine, f"{args}: {marker!r} leaked to {audience}"
        assert mine == theirs, f"{args} for {audience} depends on unreleased submissions"
    report = _cli(planted.ws, *CLI_OUTPUTS[1], "--audience", audience)
    assert report.startswith("**Distribution: PUBLIC**" if audience == "public"
                             else "**Distribution: RESTRICTED")  # fmt: skip


def test_cli_outputs_for_the_centre_and_the_submitting_cell(
    centres: tuple[Centre, Centre],
) -> None:
    planted, _ = centres
    everything = _cli(planted.ws, *CLI_OUTPUTS[0])  # default audience: the centre's staff
    for marker in (API_CLAIM, CLI_CLAIM):
        assert marker in everything
    evaluated = _cli(planted.ws, *CLI_OUTPUTS[3])
    assert "report:planted-unnamed" in evaluated
    assert API_KEY in evaluated
    own = _cli(planted.ws, *CLI_OUTPUTS[3], "--audience", f"party:{OWN}")
    assert API_KEY in own
    assert "report:planted-unnamed" not in own
    shown = _cli(planted.ws, "incident", "report:planted-cli", "--audience", f"party:{OWN}")
    assert CLI_REPORTER in shown  # its own cell sees who reported
    released = _cli(planted.ws, "incident", RELEASED_KEY, "--audience", "public")
    assert RELEASED_PLACE in released
    assert RELEASED_REPORTER not in released
