"""The web dashboard as its users see it: Debian's Chromium, driven by Playwright, over a real server.

A guarantor and the public log in, move the time slider to 14 Sept 2016, read the clock, open an
incident and read its sources and the finding's explanation.  A party's complaint that is not
released is imported first: the guarantor sees it; the public sees it nowhere — neither in the
API's answers nor on the rendered page.  Screenshots go to ``artifacts/screenshots/`` and are
checked not to be blank.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect, sync_playwright

from ceasefire.api.app import create_app
from ceasefire.dashboard import STATIC_DIR
from ceasefire.demo import DEMO_FILES, ensure_demo_accounts
from ceasefire.governance import add_user
from ceasefire.service import bundled_data, import_file
from ceasefire.store import Store
from tests.conftest import ROOT, TZ

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
SHOTS = ROOT / "artifacts" / "screenshots"
AGREEMENT = {"agreement": "syria-2016-09"}
COMPLAINT_KEY = "report:3~complaint-dash"  # opp-cell is account 3: ids are the account's own
RELEASED_KEY = "report:3~released-dash"
COMPLAINT_PLACE = "Kafr Complaintville"  # a name found nowhere else in the data
RELEASED_REPORTER = "second liaison officer"  # the reporter of a released report
COMPLAINT: dict[str, Any] = {
    "id": "complaint-dash", "kind": "incident", "reported_at": "2016-09-14T20:00+03:00",
    "reporter": {"name": "opposition liaison officer", "type": "party"}, "time": {"at": "2016-09-14"},
    "place": {"name": COMPLAINT_PLACE, "lat": 35.93, "lon": 36.63, "admin1": "Idleb Governorate"},
    "actors": [{"name": "Government of Syria", "role": "perpetrator"}], "category": "ATK.IND",
}  # fmt: skip


@dataclass
class Site:
    url: str
    client: TestClient
    tokens: dict[str, str]


def _headers_for(tokens: dict[str, str], role: str) -> dict[str, str]:
    return {} if role == "public" else {"Authorization": f"Bearer {tokens[role]}"}


def _headers(site: Site, role: str) -> dict[str, str]:
    return _headers_for(site.tokens, role)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    if not (STATIC_DIR / "index.html").is_file():
        pytest.fail(
            f"The dashboard is not built in {STATIC_DIR}: run scripts/setup (npm ci, build)."
        )
    ws = tmp_path_factory.mktemp("dash") / "ws"
    tokens: dict[str, str] = {}
    with Store(ws) as store:
        for kind, relative in DEMO_FILES:
            import_file(store, kind, bundled_data(relative), TZ)
        tokens["admin"] = add_user(store, "root", "admin", None, "bootstrap")
        tokens["guarantor"] = add_user(store, "us-desk", "guarantor", "USA", "root")
        tokens["party"] = add_user(store, "opp-cell", "party", "SYR_INSURGENTS", "root")
        tokens["other_party"] = add_user(store, "gov-cell", "party", "SYR_GOV", "root")
    app = create_app(ws, TZ, rate=10_000.0, burst=10_000.0)
    client = TestClient(app)
    posted = client.post("/reports", content=json.dumps(COMPLAINT),
                         headers={"Authorization": f"Bearer {tokens['party']}"})  # fmt: skip
    assert posted.status_code == 201, posted.text
    assert posted.json()["key"] == COMPLAINT_KEY
    place = {**COMPLAINT["place"], "name": "Released Hamlet"}
    released = {**COMPLAINT, "id": "released-dash", "time": {"at": "2016-09-15"}, "place": place,
                "reported_at": "2016-09-15T20:00+03:00",
                "reporter": {"name": RELEASED_REPORTER, "type": "party"}}  # fmt: skip
    for response in (
        client.post(
            "/reports", content=json.dumps(released), headers=_headers_for(tokens, "party")
        ),
        client.post(f"/reports/{RELEASED_KEY}/release", headers=_headers_for(tokens, "guarantor")),
    ):
        assert response.status_code in (200, 201), response.text
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.02)
    yield Site(f"http://127.0.0.1:{port}/", client, tokens)
    server.should_exit = True
    thread.join(timeout=5)
    sock.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's Chromium is missing (/usr/bin/chromium): apt-get install -y chromium")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _open(browser: Browser, site: Site, role: str, width: int = 1280, height: int = 800) -> Page:
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    elsewhere: list[str] = []  # offline first: nothing but this server (no CDN, tiles, fonts)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "request",
        lambda r: None if r.url.startswith((site.url, "data:")) else elsewhere.append(r.url),
    )
    # The dashboard opens the first bundled agreement unless told which; these tests replay the
    # September 2016 arrangement, so they name it (other bundled agreements sort before it).
    page.goto(f"{site.url}?agreement=syria-2016-09")
    if role == "public":
        page.click("#public-btn")
    else:
        page.fill("#token", site.tokens[role])
        page.press("#token", "Enter")
    page.wait_for_selector("body[data-ready=yes]", timeout=15_000)
    assert not errors, errors
    assert not elsewhere, elsewhere
    return page


def _to_day(page: Page, label: str) -> None:
    """Move the slider with the keyboard to the day whose label starts with ``label``."""
    page.focus("#slider")
    page.keyboard.press("Home")
    for _ in range(12):
        if page.inner_text("#slider-label").startswith(label):
            break
        page.keyboard.press("ArrowRight")
    # waits through Playwright's own scripts: the page's CSP forbids evaluating strings in it
    expect(page.locator("#clock-day")).to_be_attached()
    expect(page.locator("#slider-label")).to_have_text(
        re.compile("^" + re.escape(label) + ".*day", re.S)
    )


# -- PNG check: decode the screenshot (stdlib only) and measure how much is not background --------
def _png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert (depth, colour) in ((8, 2), (8, 6)), (depth, colour)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride, rows = zlib.decompress(idat), width * channels, []
    previous = bytearray(stride)
    for y in range(height):
        filt, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if filt == 1:
                line[i] = (line[i] + left) & 0xFF
            elif filt == 2:
                line[i] = (line[i] + up) & 0xFF
            elif filt == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif filt == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (
                    line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)
                ) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, channels, rows


def _assert_not_blank(path: Path) -> None:
    width, channels, rows = _png_pixels(path.read_bytes())
    counts: dict[bytes, int] = {}
    for row in rows[::4]:
        for x in range(0, width, 4):
            pixel = row[x * channels : x * channels + 3]
            counts[pixel] = counts.get(pixel, 0) + 1
    total = sum(counts.values())
    background = max(counts.values())
    assert len(counts) > 50, f"{path.name}: only {len(counts)} colours — a blank page?"
    assert background / total < 0.9, f"{path.name}: {background / total:.0%} is one colour"


def _shot(page: Page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    page.screenshot(path=str(path))
    _assert_not_blank(path)
    return path


# -- the tests ----------------------------------------------------------------------------------
def test_guarantor_reads_the_clock_and_an_incident_on_14_september(
    browser: Browser, site: Site
) -> None:
    page = _open(browser, site, "guarantor")
    assert page.inner_text("#role-badge") == "us-desk — guarantor (USA)"
    _to_day(page, "14 Sept 2016")
    assert page.inner_text("#slider-label") == "14 Sept 2016 — day 3 of 7"
    clock = page.inner_text("#clock")
    assert "Day 3 of 7 · phase: cessation" in clock
    assert "met C_reduced_violence" in clock
    assert "unmet C_aid_delivered" in clock
    assert "D1_extend_to_16_sep" in clock  # the joint decision of 14 Sept is in effect
    page.click("#tab-incidents")
    assert COMPLAINT_PLACE in page.inner_text("#incident-list")  # the guarantor sees the complaint
    page.click("button[data-key='ucdp:227762']")  # Tall Dhahab, 14 Sept 2016
    page.wait_for_selector("#detail-explanation")
    assert "Tall Dhahab" in page.inner_text("#detail-title")
    assert page.inner_text("#detail-finding").startswith("undetermined")
    assert "UNDET.COVERAGE_UNKNOWN" in page.inner_text("#detail-finding")
    assert page.inner_text("#detail-explanation").startswith(
        "Cannot determine: whether SYR_INSURGENTS"
    )
    assert page.inner_text("#detail-sources").strip()  # UCDP's coded sources are listed
    # the actor as UCDP names it, and as the actors table knows it, in English and Arabic
    assert (
        "side_a: Government of Syria — Government of the Syrian Arab Republic · الحكومة السورية"
        in (page.inner_text("#detail-actors"))
    )
    _shot(page, "guarantor-incident-1280x800.png")
    page.keyboard.press("Escape")
    page.click(f"button[data-key='{COMPLAINT_KEY}']")
    page.wait_for_selector("#detail-sources")
    assert "opposition liaison officer" in page.inner_text("#detail-sources")
    page.close()


def test_public_view_never_shows_the_unreleased_complaint(browser: Browser, site: Site) -> None:
    page = _open(browser, site, "public")
    assert page.inner_text("#role-badge") == "Public view"
    _to_day(page, "14 Sept 2016")
    assert "Day 3 of 7" in page.inner_text("#clock-day")
    page.click("#tab-incidents")
    assert "incident(s) on 14 Sept 2016" in page.inner_text("#incident-count")
    page.click("button[data-key='ucdp:227762']")
    page.wait_for_selector("#detail-explanation")
    assert page.inner_text("#detail-explanation").startswith(
        "Cannot determine: whether SYR_INSURGENTS"
    )
    _shot(page, "public-incident-1280x800.png")
    page.keyboard.press("Escape")
    page.click("#tab-report")
    frame = page.frame_locator("#report-frame")
    assert "Daily report No. 3 — 2016-09-14" in frame.locator("h1").inner_text()
    html = page.content() + frame.locator("body").inner_html()
    assert COMPLAINT_PLACE not in html
    assert COMPLAINT_KEY not in html
    _shot(page, "public-report-1280x800.png")
    # the report prints (A4, print stylesheet): Chromium's own PDF of it, kept as an artefact
    page.goto(f"{site.url}dashboard/report?agreement=syria-2016-09&date=2016-09-14")
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    assert len(pdf) > 20_000
    (SHOTS / "public-report-2016-09-14.pdf").write_bytes(pdf)
    page.close()


@pytest.mark.parametrize("role", ["public", "other_party"])
def test_api_withholds_the_unreleased_complaint(site: Site, role: str) -> None:
    def get(path: str, who: str, **params: str) -> Any:
        response = site.client.get(
            path, params={**AGREEMENT, **params}, headers=_headers(site, who)
        )
        assert response.status_code in (200, 404), (path, response.text)
        return response

    day = {"date": "2016-09-14"}
    for who, sees in ((role, False), ("guarantor", True), ("party", True)):
        layer = get("/dashboard/layer", who).json()
        assert (COMPLAINT_KEY in layer["keys"]) is sees
        assert (COMPLAINT_PLACE in layer["places"]) is sees
        assert (get(f"/incidents/{COMPLAINT_KEY}", who).status_code == 200) is sees
        assert (COMPLAINT_PLACE in get("/dashboard/report", who, **day).text) is sees
        assert (COMPLAINT_KEY in get("/scorecards", who).text) is False  # counted, never named
    counts = {who: get("/dashboard/day", who, **day).json()["summary"]["incidents"]["total"]
              for who in (role, "guarantor")}  # fmt: skip
    assert counts["guarantor"] == counts[role] + 1  # not even counted for the public

    def bore(who: str) -> int:
        cards = {p["party"]: p for p in get("/scorecards", who).json()["parties"]}
        return sum(p["incidents"] for p in cards.values())

    assert bore("guarantor") > bore(role)
    # the reporter is named to its own cell and the guarantors, never to another party or the public
    own = get(f"/incidents/{COMPLAINT_KEY}", "party").json()
    assert own["sources"][0]["name"] == "opposition liaison officer"
    released, day15 = RELEASED_KEY, {"date": "2016-09-15"}
    for who, named in ((role, False), ("guarantor", True), ("party", True)):
        drill = get(f"/incidents/{released}", who)
        assert drill.status_code == 200  # released: everyone sees the report …
        assert (RELEASED_REPORTER in drill.text) is named  # … but not who made it
        report = get("/dashboard/report", who, **day15).text
        assert "Released Hamlet" in report
        assert named or RELEASED_REPORTER not in report
        assert drill.json()["sources_withheld"] is not named


def test_phone_viewport_and_keyboard(browser: Browser, site: Site) -> None:
    page = _open(browser, site, "public", width=390, height=844)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    assert page.is_visible("#map")
    assert page.is_visible("#slider")
    _to_day(page, "14 Sept 2016")
    _shot(page, "public-phone-390x844.png")
    # the tabs move with the arrow keys; the incident list is reached and opened with the keyboard
    page.focus("#tab-clock")
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.id") == "tab-incidents"
    assert page.is_visible("#incident-list")
    first = page.locator("#incident-list button").first
    first.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#detail-explanation")
    assert page.evaluate("document.activeElement.id") == "incident-detail"
    page.keyboard.press("Escape")
    assert page.is_hidden("#incident-detail")
    assert page.evaluate("document.activeElement.classList.contains('incident-item')")
    page.close()


def test_login_with_a_bad_token_says_so(browser: Browser, site: Site) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(site.url)
    page.fill("#token", "not-a-token")
    page.press("#token", "Enter")
    expect(page.locator("#login-error")).to_contain_text("not valid")
    assert page.is_hidden("#app")
    page.close()


def test_map_layers_come_from_the_package(site: Site) -> None:
    def get(path: str, **params: str) -> Any:
        response = site.client.get(path, params=params)  # as the public
        assert response.status_code == 200, (path, response.text)
        return response.json()

    zones = {f["id"]: f for f in get("/zones", **AGREEMENT)["features"]}
    assert zones["castello_dmz/line"]["geometry"]["type"] == "LineString"
    assert zones["castello_checkpoints"]["geometry"] is None  # never delineated: listed, not drawn
    control = get("/control/map", date="2016-09-14")["features"]
    assert len(control) == 109  # Aleppo's neighbourhoods, each with who held it that day
    assert {f["properties"]["status"] for f in control} >= {"held", "contested"}
    places = {p["name"]: p for p in get("/basemap/places")["places"]}
    assert places["Aleppo"]["name_ar"] == "حلب"
    actors = {a["id"]: a for a in get("/basemap/actors")["actors"]}
    assert actors["SYR_GOV"]["name_ar"] == "الحكومة السورية"
    convoys = {c["id"]: c for c in get("/humanitarian")["convoys"]}
    assert convoys["un-sarc-urum-al-kubra"]["status"] == "attacked"
    assert len(get("/basemap/admin1")["features"]) == 14
    decisions = get("/decisions", **AGREEMENT)["decisions"]
    assert [d["id"] for d in decisions if d["in_effect"]] == [
        "D1_extend_to_16_sep",
        "D2_extend_to_19_sep",
    ]


def test_a_release_reaches_the_public_at_once(site: Site) -> None:
    """The cached views follow the store: once released, the complaint is on the public map."""
    public = site.client.get("/dashboard/layer", params=AGREEMENT).json()
    assert COMPLAINT_KEY not in public["keys"]
    released = site.client.post(
        f"/reports/{COMPLAINT_KEY}/release", headers=_headers(site, "guarantor")
    )
    assert released.status_code == 200
    public = site.client.get("/dashboard/layer", params=AGREEMENT).json()
    assert COMPLAINT_KEY in public["keys"]
    drill = site.client.get(f"/incidents/{COMPLAINT_KEY}", params=AGREEMENT).json()
    assert drill["sources_withheld"] is True
    assert "opposition liaison officer" not in json.dumps(drill)


def test_page_not_built_says_how_to_build(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ceasefire.dashboard.routes as routes

    monkeypatch.setattr(routes, "STATIC_DIR", tmp_path / "nothing")
    response = TestClient(create_app(tmp_path / "ws", TZ)).get("/")
    assert response.status_code == 503
    assert "scripts/setup" in response.text
    assert "npm" in response.text


def test_demo_accounts_are_private_and_kept(tmp_path: Path) -> None:
    path = ensure_demo_accounts(tmp_path / "ws")
    first = path.read_text(encoding="utf-8")
    assert path.stat().st_mode & 0o777 == 0o600
    assert "demo-guarantor-rus guarantor:RUS " in first
    assert "demo-monitor monitor " in first
    assert ensure_demo_accounts(tmp_path / "ws").read_text(encoding="utf-8") == first
