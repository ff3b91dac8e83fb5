"""The poisoned reports of issue 13, one test each: refused at the door (``POST /reports``) or
stored harmlessly; a poisoned body already in the database is skipped by every reader with a
located warning; and whatever happens, /findings, the daily report, the dashboard's data and every
export keep answering 200.  One bad report never fails the honest ones of its group commit."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ceasefire.api.app import create_app
from ceasefire.api.intake import IntakeItem, IntakeWriter
from ceasefire.governance import add_user
from ceasefire.intake.jsonlines import parse_report_object
from ceasefire.service import bundled_data, import_file
from ceasefire.store import Store
from tests.conftest import TZ

AGREEMENT = {"agreement": "syria-2016-09"}
REPORT: dict[str, Any] = {
    "id": "honest", "kind": "incident", "reported_at": "2016-09-15T10:00+03:00",
    "reporter": {"name": "monitor team 2", "type": "monitor"}, "time": {"at": "2016-09-15"},
    "place": {"name": "Aleppo", "lat": 36.2, "lon": 37.15, "admin1": "Aleppo Governorate"},
    "actors": [{"name": "Government of Syria", "role": "perpetrator"}], "category": "ATK.IND",
}  # fmt: skip
CLAIM: dict[str, Any] = {
    "kind": "claim", "id": "c-1", "claimant": "RUS", "reported_at": "2016-09-15",
    "quantity": "violations", "value": 23, "refs": ["S36"],
    "period": {"from": "2016-09-14T19:00+03:00", "to": "2016-09-15T19:00+03:00"},
}  # fmt: skip
# Every read the issue names: findings, the daily report, the dashboard's data, every export.
READS: list[tuple[str, dict[str, str]]] = [
    ("/findings", AGREEMENT),
    ("/reports/daily", {**AGREEMENT, "date": "2016-09-15"}),
    ("/reports/daily", {**AGREEMENT, "date": "2016-09-14"}),
    ("/dashboard/layer", AGREEMENT),
    ("/dashboard/day", {**AGREEMENT, "date": "2016-09-15"}),
    ("/dashboard/report", {**AGREEMENT, "date": "2016-09-15"}),
    ("/scorecards", AGREEMENT),
    ("/humanitarian", {}),
    ("/incidents", {}),
    ("/reports", {}),
    *((f"/exports/{layout}", AGREEMENT) for layout in ("ucdp", "acled", "geojson", "hxl", "parquet")),
]  # fmt: skip


def with_place(**values: Any) -> dict[str, Any]:
    return {**REPORT, "place": {**REPORT["place"], **values}}


def judged(**values: Any) -> dict[str, Any]:
    judgement = {"axis": "attribution", "value": "established", "known_from": "2016-09-16",
                 "by": "monitors", **values}  # fmt: skip
    return {**REPORT, "judgements": [judgement]}


# (case, body, expected status, the field the 422 names).  A body is a dict, or raw JSON text
# where JSON has no literal (NaN).
DOOR: list[tuple[str, Any, int, str]] = [
    ("actor-named-comma", {**REPORT, "actors": [{"name": ",", "role": "perpetrator"}]}, 422, "actors[0].name"),
    ("actor-named-blank", {**REPORT, "actors": [{"name": " , ", "role": "perpetrator"}]}, 422, "actors[0].name"),
    ("judgement-actors-int", judged(actors=[1]), 422, "judgements[0].actors[0]"),
    ("place-precision-object", with_place(precision={}), 422, "place.precision"),
    ("place-precision-boolean", with_place(precision=True), 422, "place.precision"),
    ("place-precision-huge", with_place(precision=10**30), 422, "place.precision"),
    ("radius-nan", json.dumps(with_place(radius_m=1.5)).replace("1.5", "NaN"), 422, "place.radius_m"),
    ("radius-infinity", json.dumps(with_place(radius_m=1.5)).replace("1.5", "Infinity"), 422, "place.radius_m"),
    ("claim-period-bare-dates", {**CLAIM, "period": {"from": "2016-09-14", "to": "2016-09-15"}}, 201, ""),
    ("claim-period-naive", {**CLAIM, "period": {"from": "2016-09-14T19:00", "to": "2016-09-15T19:00"}}, 201, ""),
    ("claim-period-reversed", {**CLAIM, "period": {"from": "2016-09-15", "to": "2016-09-14"}}, 422, "period.to"),
    ("claim-value-boolean", {**CLAIM, "value": True}, 422, "value"),
    ("naive-and-aware-date-times", judged(known_from="2016-09-16T10:00", value="possible"), 201, ""),
    ("reported-year-1-at-plus-14", {**REPORT, "reported_at": "0001-01-01T00:00+14:00"}, 422, "reported_at"),
    ("time-year-1-at-plus-14", {**REPORT, "time": {"at": "0001-01-01T00:00+14:00"}}, 422, "time.at"),
    ("time-year-9999", {**REPORT, "reported_at": "9999-12-31T00:00Z", "time": {"at": "9999-12-31"}}, 422, "reported_at"),
    ("judgement-known-year-9999", judged(known_from="9999-12-31T23:59-12:00"), 422, "judgements[0].known_from"),
    ("time-feb-30", {**REPORT, "time": {"at": "2016-02-30"}}, 422, "time.at"),
    ("time-precision-unknown", {**REPORT, "time": {"at": "2016-09-15T10:00+03:00", "precision": "fortnight"}}, 422, "time.precision"),
    ("fatalities-list", {**REPORT, "fatalities": [1]}, 422, "fatalities"),
    ("fatalities-boolean", {**REPORT, "fatalities": {"best": True}}, 422, "fatalities.best"),
    ("fatalities-5000-digits", json.dumps({**REPORT, "fatalities": {"best": 7}}).replace("7}", "7" * 5000 + "}"), 400, "(json)"),
    ("role-object", {**REPORT, "actors": [{"name": "Government of Syria", "role": {"x": 1}}]}, 422, "actors[0].role"),
    ("judgement-value-object", judged(value={"a": 1}), 422, "judgements[0].value"),
    ("unknown-field", {**REPORT, "comment": "x"}, 422, "comment"),
    ("nested-deep", "[" * 10000 + "]" * 10000, 400, "(json)"),
    ("not-an-object", "[1]", 400, "(json)"),
    ("nul-in-category", {**REPORT, "category": "ATK\u0000"}, 422, "category"),
]  # fmt: skip


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> tuple[TestClient, str, Path]:
    ws = tmp_path_factory.mktemp("poison") / "ws"
    with Store(ws) as store:
        import_file(store, "reports", bundled_data("reports/syria-2016-09.jsonl"), TZ)
        import_file(store, "humanitarian", bundled_data("humanitarian/syria-2016-09.jsonl"), TZ)
        add_user(store, "root", "admin", None, "bootstrap")
        token = add_user(store, "team-2", "monitor", None, "root")
    client = TestClient(create_app(ws, TZ, rate=10_000.0, burst=10_000.0))
    honest = client.post("/reports", content=json.dumps(REPORT), headers=_auth(token))
    assert honest.status_code == 201, honest.text
    return client, token, ws


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _every_read_answers(client: TestClient, token: str) -> None:
    for path, params in READS:
        response = client.get(path, params=params, headers=_auth(token))
        assert response.status_code == 200, (path, response.text[:500])


@pytest.mark.parametrize(("body", "status", "field"), [c[1:] for c in DOOR],
                         ids=[c[0] for c in DOOR])  # fmt: skip
def test_poisoned_report_is_refused_or_stored_harmlessly(
    api: tuple[TestClient, str, Path],
    body: Any,
    status: int,
    field: str,
    request: pytest.FixtureRequest,
) -> None:
    client, token, _ = api
    if isinstance(body, dict):
        body = {**body, "id": request.node.callspec.id}
    response = client.post("/reports", content=body if isinstance(body, str) else json.dumps(body),
                           headers=_auth(token))  # fmt: skip
    assert response.status_code == status, response.text
    if status >= 400:
        error = response.json()["error"]
        assert error["message"].startswith(f"{field}: "), error
    _every_read_answers(client, token)


def test_bare_and_naive_claim_periods_are_stored_as_aware_instants(
    api: tuple[TestClient, str, Path],
) -> None:
    client, token, ws = api
    body = {**CLAIM, "id": "c-bare", "period": {"from": "2016-09-14", "to": "2016-09-15T19:00"}}
    assert client.post("/reports", json=body, headers=_auth(token)).status_code == 201
    with Store(ws) as store:
        (stored,) = [c for c in store.records("claim") if c["id"].endswith("~c-bare")]
    # local midnight of the 14th, and 19:00 of the 15th in the workspace's zone (+03:00 then)
    assert stored["period"] == {
        "from": "2016-09-14T00:00:00+03:00",
        "to": "2016-09-15T19:00:00+03:00",
    }
    daily = client.get("/reports/daily", params={**AGREEMENT, "date": "2016-09-15"},
                       headers=_auth(token)).json()  # fmt: skip
    (claim,) = [c for c in daily["claims"] if c["claim"].endswith("~c-bare")]
    assert "centre_records" in claim  # the period was read as date-times and compared


# Bodies as the code before issue 13 stored them (every one accepted then with 201).
def _legacy_bodies() -> dict[str, tuple[str, str]]:
    """case → (stored JSON body, the field the warning names)."""
    good = parse_report_object({**REPORT, "id": "legacy"}, TZ).to_json()

    def body(**change: Any) -> str:
        data = json.loads(json.dumps(good))
        for path, value in change.items():
            target = data
            *parents, last = path.split("__")
            for step in parents:
                target = target[int(step)] if step.isdigit() else target[step]
            target[int(last) if last.isdigit() else last] = value
        return json.dumps(data)  # NaN is written as NaN, as json.dumps did

    judgement = {"axis": "attribution", "value": "established", "known_from": "2016-09-16T00:00:00+03:00",
                 "by": "x", "note": "", "sources": [], "actors": [1]}  # fmt: skip
    return {
        "actor-named-comma": (
            body(actors=[{"name": ",", "role": "perpetrator"}]),
            "actors[0].name",
        ),
        "judgement-actors-int": (body(judgements=[judgement]), "judgements[0].actors[0]"),
        "place-precision-object": (body(place__precision={}), "place.precision"),
        "radius-nan": (body(place__radius_m=float("nan")), "place.radius_m"),
        "naive-known-from": (body(known_from="2016-09-15T10:00:00"), "known_from"),
        "naive-window": (body(window__start="2016-09-15T00:00:00"), "window.start"),
        "year-1-at-plus-14": (body(known_from="0001-01-01T00:00:00+14:00"), "known_from"),
        "boolean-fatalities": (body(fatalities__best=True), "fatalities.best"),
        "not-json": ("{", "(record)"),
    }


LEGACY = _legacy_bodies()


@pytest.mark.parametrize("case", sorted(LEGACY))
def test_a_poisoned_body_already_stored_is_skipped_with_a_located_warning(
    api: tuple[TestClient, str, Path], case: str, caplog: pytest.LogCaptureFixture
) -> None:
    client, token, ws = api
    body, field = LEGACY[case]
    key = f"report:legacy-{case}"
    with Store(ws) as store, store.transaction() as conn:
        conn.execute(
            "INSERT INTO incidents(key, source_system, source_id, revision, hash, start_utc, "
            "end_utc, body, batch_id, lat, lon) VALUES (?, 'report', ?, 1, 'x', "
            "'2016-09-14T21:00:00+00:00', '2016-09-15T21:00:00+00:00', ?, 1, 36.2, 37.15)",
            (key, f"legacy-{case}", body),
        )
    with caplog.at_level(logging.WARNING, logger="ceasefire.store.core"):
        _every_read_answers(client, token)
    warnings = [r.getMessage() for r in caplog.records if key in r.getMessage()]
    assert warnings, "no warning named the skipped incident"
    assert f"incident {key} is not in its stored form and is skipped: {field}" in warnings[0]


def test_a_poisoned_claim_or_convoy_already_stored_is_skipped(
    api: tuple[TestClient, str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    client, token, ws = api
    claim = {**CLAIM, "id": "legacy-claim", "period": {"from": "2016-09-14", "to": "2016-09-15"},
             "about": "", "note": "", "qualifier": "exact", "reported_at": "2016-09-15T00:00:00+03:00"}  # fmt: skip
    with Store(ws) as store:
        (convoy,) = [c for c in store.records("convoy") if c["id"] == "un-sarc-urum-al-kubra"]
        convoy = {**convoy, "id": "legacy-convoy"}
        convoy["events"][1]["casualties"][0][1] = True  # a boolean where a count belongs
        with store.transaction() as conn:
            for kind, data in (("claim", claim), ("convoy", convoy)):
                conn.execute(
                    "INSERT INTO records(kind, id, revision, hash, body, batch_id) VALUES (?, ?, 1, 'x', ?, 1)",
                    (kind, data["id"], json.dumps(data)),
                )  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="ceasefire.store.core"):
        _every_read_answers(client, token)
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "claim record legacy-claim is not in its stored form and is skipped: period:" in messages
    assert (
        "convoy record legacy-convoy is not in its stored form and is skipped: events[1].casualties[0][1]"
        in messages
    )


def test_an_honest_report_in_the_group_commit_of_a_failing_one_is_stored(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    with Store(ws) as store:
        add_user(store, "root", "admin", None, "bootstrap")
        token = add_user(store, "team", "monitor", None, "root")

    def fails(_: Any) -> None:  # any failure of one report: here an unexpected one
        raise OverflowError("date value out of range")

    honest = [parse_report_object({**REPORT, "id": f"h-{n}"}, TZ) for n in range(3)]
    items = [IntakeItem(token, lambda _: None, None, honest[0]),
             IntakeItem(token, fails, None, parse_report_object({**REPORT, "id": "bad"}, TZ)),
             IntakeItem(token, lambda _: None, None, honest[1]),
             IntakeItem("not-a-token", lambda _: None, None, parse_report_object({**REPORT, "id": "x"}, TZ)),
             IntakeItem(token, lambda _: None, None, honest[2])]  # fmt: skip
    writer = IntakeWriter(lambda: Store(ws))
    with Store(ws) as store:
        store.conn.make_durable()
        writer._write(store, items)  # the writer thread's step: one transaction for the group
    assert writer.groups == 1
    statuses = [i.future.exception() or i.future.result()[0] for i in items]
    assert statuses[0] == statuses[2] == statuses[4] == 201
    assert isinstance(statuses[1], OverflowError)
    assert "not valid" in str(statuses[3])
    with Store(ws) as store:
        stored = {i.source_id for i in store.incidents()}
    assert stored == {"2~h-0", "2~h-1", "2~h-2"}  # team is account 2
