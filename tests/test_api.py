"""The HTTP API: every role × endpoint pair, one error shape, durable idempotent intake."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from ceasefire.api.app import ENDPOINT_PERMISSIONS, MAX_BODY_BYTES, create_app
from ceasefire.governance import add_user
from ceasefire.governance.keys import key_statement
from ceasefire.governance.signing import PrivateKey, public_key_of, sign
from ceasefire.intake.common import Batch
from ceasefire.pipeline.evidence import NewsStory
from ceasefire.service import import_file
from ceasefire.store import Store
from tests.conftest import MONITOR_REPORT, TZ, UCDP_SEPT
from tests.guarantor_keys import register
from tests.test_catalogue import registrable_agreement

ROLES = ("admin", "guarantor", "party", "monitor", "public")  # "other_party" is a second party cell
KEYS: dict[str, PrivateKey] = {}  # the guarantors' keys, made and registered by the fixture
TOKENS: dict[str, str] = {}
REPORT = MONITOR_REPORT
# a stored news story written for these tests (ingest stores them: tests/test_news_briefs.py)
STORY = NewsStory("story-n1", {
    "documents": [{"id": "n1", "outlet": "paper-one", "published": "2016-09-14T12:00:00+03:00",
                   "title": ""}],
    "brief": [{"text": "Shelling was reported near the town.", "generated": False,
               "sources": [{"document": "n1", "outlet": "paper-one",
                            "published": "2016-09-14T12:00:00+03:00"}]}],
    "claims": [], "conflicts": [], "incidents": [],
})  # fmt: skip
REPORT_KEYS: dict[str, str] = {}  # report id → the key intake gave it (namespaced by the account)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> tuple[TestClient, dict[str, str], Path]:
    ws = tmp_path_factory.mktemp("api") / "ws"
    tokens: dict[str, str] = {}
    with Store(ws) as store:
        import_file(store, "ucdp", UCDP_SEPT, TZ)
        store.import_batch(Batch("news", "api-test", [STORY]))  # a news story, as ingest stores one
        tokens["admin"] = add_user(store, "root", "admin", None, "bootstrap")
        tokens["guarantor"] = add_user(store, "us-desk", "guarantor", "USA", "root")
        tokens["party"] = add_user(store, "gov-cell", "party", "SYR_GOV", "root")
        tokens["monitor"] = add_user(store, "team-2", "monitor", None, "root")
        tokens["other_party"] = add_user(store, "opp-cell", "party", "SYR_INSURGENTS", "root")
        tokens["other_guarantor"] = add_user(store, "ru-desk", "guarantor", "RUS", "root")
        add_user(store, "spare", "monitor", None, "root")
        KEYS["guarantor"] = register(store, tokens["guarantor"])
        KEYS["other_guarantor"] = register(store, tokens["other_guarantor"])
    client = TestClient(create_app(ws, TZ))
    for rid, role in (("r-rel", "monitor"), ("complaint-1", "party")):
        response = client.post("/reports", content=json.dumps({**REPORT, "id": rid}),
                               headers={"Authorization": f"Bearer {tokens[role]}"})  # fmt: skip
        assert response.status_code == 201
        REPORT_KEYS[rid] = response.json()["key"]
    proposed = client.post("/decisions", json={
        "agreement": "syria-2016-09", "kind": "extend_phase", "subject": "cessation",
        "effective": "2016-09-19T19:00+03:00", "until": "2016-09-20T19:00+03:00",
        "decided_at": "2016-09-19T12:00+03:00"}, headers={"Authorization": f"Bearer {tokens['other_guarantor']}"})  # fmt: skip
    assert proposed.status_code == 201
    assert proposed.json()["id"] == "DEC-0001"
    TOKENS.update(tokens)
    return client, tokens, ws


def _headers(tokens: dict[str, str], role: str, **extra: str) -> dict[str, str]:
    base = {} if role == "public" else {"Authorization": f"Bearer {tokens[role]}"}
    return {**base, **extra}


def _call(client: TestClient, endpoint: str, headers: dict[str, str], n: int) -> int:
    if endpoint == "GET /status":
        return client.get("/status", params={"agreement": "syria-2016-09", "at": "2016-09-14T12:00"},
                          headers=headers).status_code  # fmt: skip
    if endpoint == "GET /findings":
        return client.get(
            "/findings", params={"agreement": "syria-2016-09"}, headers=headers
        ).status_code
    if endpoint == "POST /reports":
        body = {**REPORT, "id": f"r-table-{n}"}
        return client.post("/reports", content=json.dumps(body), headers=headers).status_code
    if endpoint == "GET /reports":
        return client.get("/reports", headers=headers).status_code
    if endpoint == "POST /reports/{key}/release":
        return client.post(f"/reports/{REPORT_KEYS['r-rel']}/release", headers=headers).status_code
    if endpoint == "GET /agreements/{name}":
        return client.get("/agreements/syria-2016-09", headers=headers).status_code
    if endpoint == "GET /agreements":
        return client.get("/agreements", headers=headers).status_code
    if endpoint == "POST /agreements":
        return client.post("/agreements", json={"text": registrable_agreement()},
                           headers=headers).status_code  # fmt: skip
    if endpoint == "GET /incidents":
        return client.get("/incidents", params={"limit": 5}, headers=headers).status_code
    if endpoint == "GET /stories":
        return client.get("/stories", params={"date": "2016-09-14"}, headers=headers).status_code
    if endpoint == "GET /stories/{key}":
        return client.get("/stories/story:story-n1", headers=headers).status_code
    if endpoint == "GET /reports/daily":
        return client.get("/reports/daily", params={"agreement": "syria-2016-09", "date": "2016-09-14"},
                          headers=headers).status_code  # fmt: skip
    if endpoint == "GET /control/at":
        return client.get("/control/at", params={"date": "2016-09-14", "lat": 36.23, "lon": 37.10},
                          headers=headers).status_code  # fmt: skip
    if endpoint == "GET /exports/{layout}":
        return client.get("/exports/hxl", headers=headers).status_code
    if endpoint == "POST /decisions":
        body = {"agreement": "syria-2016-09", "kind": "extend_phase", "subject": "cessation",
                "effective": "2016-09-19T19:00+03:00", "until": "2016-09-21T19:00+03:00"}  # fmt: skip
        return client.post("/decisions", json=body, headers=headers).status_code
    if endpoint == "POST /decisions/{decision_id}/approve":  # DEC-0001 was proposed by ru-desk
        statement = client.get("/decisions", params={"agreement": "syria-2016-09"}).json()
        text = next(d["statement"] for d in statement["decisions"] if d["id"] == "DEC-0001")
        return client.post("/decisions/DEC-0001/approve", params={"agreement": "syria-2016-09"},
                           json={"signature": sign(KEYS["guarantor"], text)},
                           headers=headers).status_code  # fmt: skip
    if endpoint == "GET /users":
        return client.get("/users", headers=headers).status_code
    if endpoint.startswith("POST /users/"):  # on a spare account no other test uses
        return client.post(f"/users/spare/{endpoint.split('/')[-1]}", headers=headers).status_code
    if endpoint == "GET /keys":
        return client.get("/keys", headers=headers).status_code
    if endpoint == "POST /keys":  # a guarantor whose key is registered already: refused (400)
        key = Ed25519PrivateKey.generate()
        pk = public_key_of(key)
        body = {"public_key": pk, "proof": sign(key, key_statement("USA", pk))}
        answer = client.post("/keys", json=body, headers=headers)
        if answer.status_code == 400:  # allowed, and refused because USA has its key already
            assert "has a key already" in answer.json()["error"]["message"]
            return 201
        return answer.status_code
    if endpoint == "POST /keys/changes":
        key = Ed25519PrivateKey.generate()
        pk = public_key_of(key)
        body = {"public_key": pk, "proof": sign(key, key_statement("USA", pk))}
        return client.post("/keys/changes", json=body, headers=headers).status_code
    if endpoint == "POST /keys/changes/{change_id}/approve":
        key = Ed25519PrivateKey.generate()
        pk = public_key_of(key)
        change = client.post("/keys/changes", json={"public_key": pk, "proof": sign(key, key_statement("USA", pk))},
                             headers=_headers(TOKENS, "guarantor")).json()  # fmt: skip
        return client.post(f"/keys/changes/{change['id']}/approve",
                           json={"signature": sign(KEYS["guarantor"], change["statement"])},
                           headers=headers).status_code  # fmt: skip
    dashboard = {  # the dashboard's reads (ceasefire/dashboard)
        "GET /whoami": ("/whoami", {}),
        "GET /zones": ("/zones", {"agreement": "syria-2016-09"}),
        "GET /humanitarian": ("/humanitarian", {}),
        "GET /decisions": ("/decisions", {"agreement": "syria-2016-09"}),
        "GET /control/map": ("/control/map", {"date": "2016-09-14"}),
        "GET /incidents/{key}": ("/incidents/ucdp:227762", {"agreement": "syria-2016-09"}),
        "GET /scorecards": ("/scorecards", {"agreement": "syria-2016-09"}),
        "GET /dashboard/layer": ("/dashboard/layer", {"agreement": "syria-2016-09"}),
        "GET /dashboard/day": ("/dashboard/day", {"agreement": "syria-2016-09", "date": "2016-09-14"}),
        "GET /dashboard/report": ("/dashboard/report", {"agreement": "syria-2016-09", "date": "2016-09-14"}),
        "GET /basemap/{layer}": ("/basemap/admin1", {}),
    }  # fmt: skip
    if endpoint in dashboard:
        path, params = dashboard[endpoint]
        return client.get(path, params=params, headers=headers).status_code
    assert endpoint == "GET /audit/verify"
    return client.get("/audit/verify", headers=headers).status_code


@pytest.mark.parametrize("endpoint", sorted(ENDPOINT_PERMISSIONS))
@pytest.mark.parametrize("role", ROLES)
def test_every_role_and_endpoint(
    api: tuple[TestClient, dict[str, str], Path], endpoint: str, role: str
) -> None:
    client, tokens, _ = api
    code = _call(client, endpoint, _headers(tokens, role), ROLES.index(role))
    allowed = role in ENDPOINT_PERMISSIONS[endpoint]
    if allowed:
        assert code in (200, 201), (endpoint, role, code)
    else:
        assert code == (401 if role == "public" else 403), (endpoint, role, code)


def test_errors_have_one_shape(api: tuple[TestClient, dict[str, str], Path]) -> None:
    client, tokens, _ = api
    responses = [
        client.get("/findings", params={"agreement": "syria-2016-09"}),
        client.get(
            "/findings",
            params={"agreement": "syria-2016-09"},
            headers={"Authorization": "Bearer nope"},
        ),
        client.get(
            "/findings", params={"agreement": "no-such"}, headers=_headers(tokens, "monitor")
        ),
        client.get("/status", headers=_headers(tokens, "monitor")),
        client.post("/reports", content=b"{not json", headers=_headers(tokens, "monitor")),
        client.post(
            "/reports",
            content=json.dumps({**REPORT, "reported_at": "yesterday"}),
            headers=_headers(tokens, "monitor"),
        ),
        client.post(
            "/reports", content=b"x" * (MAX_BODY_BYTES + 1), headers=_headers(tokens, "monitor")
        ),
        client.get("/no-such-endpoint"),
    ]
    assert [r.status_code for r in responses] == [401, 401, 404, 422, 400, 422, 413, 404]
    for r in responses:
        body = r.json()
        assert set(body) == {"error"}
        assert set(body["error"]) == {"code", "message"}
        assert body["error"]["message"]


def test_intake_is_durable_and_idempotent(api: tuple[TestClient, dict[str, str], Path]) -> None:
    client, tokens, ws = api
    headers = _headers(tokens, "monitor", **{"Idempotency-Key": "k-123"})
    first = client.post("/reports", content=json.dumps({**REPORT, "id": "r-idem"}), headers=headers)
    assert first.status_code == 201
    # acknowledged means committed: a separate connection sees it
    with Store(ws) as other:
        assert other.incident(first.json()["key"]) is not None
    again = client.post("/reports", content=json.dumps({**REPORT, "id": "r-idem"}), headers=headers)
    assert again.status_code == 201
    assert again.json() == first.json()
    with Store(ws) as other:
        (n,) = other.conn.execute(
            "SELECT count(*) FROM incident_revisions WHERE key = ?", (first.json()["key"],)
        ).fetchone()
        assert n == 1


def test_openapi_description(api: tuple[TestClient, dict[str, str], Path]) -> None:
    client, _, _ = api
    spec = client.get("/openapi.json").json()
    assert {"/status", "/findings", "/reports", "/audit/verify"} <= set(spec["paths"])


def test_a_party_complaint_stays_with_its_cell_until_released(
    api: tuple[TestClient, dict[str, str], Path],
) -> None:
    client, tokens, _ = api

    def visible(role: str) -> dict[str, dict[str, object]]:
        response = client.get("/reports", headers=_headers(tokens, role))
        assert response.status_code == 200
        return {r["key"]: r for r in response.json()}

    key = REPORT_KEYS["complaint-1"]
    assert key in visible("party")  # its own cell
    assert "sources" in visible("party")[key]
    assert key in visible("guarantor")
    assert key in visible("monitor")
    assert key not in visible("other_party")  # another party: denied until released
    assert key not in visible("public")
    released = client.post(f"/reports/{key}/release", headers=_headers(tokens, "guarantor"))
    assert released.status_code == 200
    assert key in visible("public")
    assert "sources" not in visible("public")[key]  # the reporter is never shown to the public …
    assert "sources" not in visible("other_party")[key]  # … nor to another party
    assert (
        client.post(f"/reports/{key}/release", headers=_headers(tokens, "party")).status_code == 403
    )


def test_rate_limit_per_token(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    with Store(ws) as store:
        admin = add_user(store, "root", "admin", None, "bootstrap")
        monitor = add_user(store, "team", "monitor", None, "root")
    client = TestClient(create_app(ws, TZ, rate=1.0, burst=3.0))
    codes = [client.get("/audit/verify", headers={"Authorization": f"Bearer {monitor}"}).status_code
             for _ in range(5)]  # fmt: skip
    assert codes == [200, 200, 200, 429, 429]
    limited = client.get("/audit/verify", headers={"Authorization": f"Bearer {monitor}"})
    assert limited.json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1
    # another token has its own bucket
    assert (
        client.get("/audit/verify", headers={"Authorization": f"Bearer {admin}"}).status_code == 200
    )


def test_exports_and_reads(api: tuple[TestClient, dict[str, str], Path]) -> None:
    client, tokens, _ = api
    monitor = _headers(tokens, "monitor")
    hxl = client.get(
        "/exports/hxl", params={"agreement": "syria-2016-09"}, headers=monitor
    ).text.splitlines()
    assert hxl[1].startswith("#event+id,#meta+source,#date+start")
    row = next(line for line in hxl if line.startswith("ucdp:227762,"))
    # Tall Dhahab, 14 Sept 2016 (UCDP fixture): local day kept, finding attached
    assert ",2016-09-14,2016-09-14,day,Tall Dhahab village," in row
    assert row.endswith(',undetermined,"ATK.UNSPEC,UNDET.COVERAGE_UNKNOWN"')
    ucdp = client.get("/exports/ucdp", headers=monitor).text
    assert ucdp.splitlines()[0].startswith("id,year,active_year")
    assert client.get("/exports/shapefile", headers=monitor).json()["error"]["code"] == "not_found"
    parquet = client.get("/exports/parquet", params={"agreement": "syria-2016-09"}, headers=monitor)
    assert parquet.status_code == 200
    assert parquet.headers["content-type"] == "application/vnd.apache.parquet"
    assert parquet.content[:4] == b"PAR1"
    assert parquet.content[-4:] == b"PAR1"
    page = client.get("/incidents", params={"limit": 2, "offset": 0}, headers=monitor).json()
    assert len(page) == 2
    assert client.get("/incidents", params={"limit": 0}, headers=monitor).status_code == 422
    report = client.get(
        "/reports/daily", params={"agreement": "syria-2016-09", "date": "2016-09-14"}
    ).json()
    assert report["header"]["report_number"] == 3
    assert client.get("/agreements/syria-2016-09").text.startswith("# The US–Russia arrangement")
    # a name is never read as a path on the server (tests/test_catalogue.py tries every route)
    for name in ["pyproject.toml", "README.md", "0" * 300 + "\u0130" * 50]:
        answer = client.get(f"/agreements/{name}")
        assert answer.status_code == 422, name
        assert answer.json()["error"]["code"] == "invalid_request"


def test_decisions_over_http_take_two_guarantors(tmp_path: Path) -> None:
    """One guarantor's signed approval is not enough; the other guarantor's signature makes the
    decision take effect; an admin cannot approve, a signature by another key is refused, and
    approving twice counts once."""
    ws = tmp_path / "ws"
    with Store(ws) as store:
        admin = add_user(store, "root", "admin", None, "bootstrap")
        us = add_user(store, "us-desk", "guarantor", "USA", "root")
        ru = add_user(store, "ru-desk", "guarantor", "RUS", "root")
        us_key, ru_key = register(store, us), register(store, ru)
    client = TestClient(create_app(ws, TZ))
    body = {"agreement": "syria-2016-09", "kind": "reset_clock", "subject": "C_seven_days",
            "effective": "2016-09-16T12:00+03:00"}  # fmt: skip
    proposed = client.post("/decisions", json=body, headers={"Authorization": f"Bearer {us}"})
    assert proposed.status_code == 201
    assert (proposed.json()["in_effect"], proposed.json()["missing"]) == (False, ["USA", "RUS"])
    text = proposed.json()["statement"]
    assert json.loads(text) == {"statement": "ceasefire.decision/1", "id": proposed.json()["id"],
                                "agreement": "syria-2016-09", "kind": "reset_clock",
                                "subject": "C_seven_days", "value": None, "text": "",
                                "effective": "2016-09-16T12:00:00+03:00", "until": None,
                                "decided_at": None}  # fmt: skip
    url, params = f"/decisions/{proposed.json()['id']}/approve", {"agreement": "syria-2016-09"}
    signed_by = {"us": {"signature": sign(us_key, text)}, "ru": {"signature": sign(ru_key, text)}}
    first = client.post(
        url, params=params, json=signed_by["us"], headers={"Authorization": f"Bearer {us}"}
    )
    assert (first.status_code, first.json()["missing"]) == (200, ["RUS"])
    assert (
        client.post(url, params=params, json=signed_by["ru"],
                    headers={"Authorization": f"Bearer {admin}"}).status_code
        == 403
    )  # fmt: skip
    again = client.post(
        url, params=params, json=signed_by["us"], headers={"Authorization": f"Bearer {us}"}
    )
    assert again.status_code == 400
    assert "counts once" in again.json()["error"]["message"]
    wrong = client.post(
        url, params=params, json=signed_by["us"], headers={"Authorization": f"Bearer {ru}"}
    )
    assert wrong.status_code == 400  # the US key's signature does not approve for Russia
    approved = client.post(
        url, params=params, json=signed_by["ru"], headers={"Authorization": f"Bearer {ru}"}
    )
    assert approved.status_code == 200
    assert approved.json()["in_effect"] is True
    naive = client.post("/decisions", json={**body, "effective": "2016-09-16T12:00"},
                        headers={"Authorization": f"Bearer {us}"})  # fmt: skip
    assert naive.status_code == 422
    assert "UTC offset" in naive.json()["error"]["message"]
