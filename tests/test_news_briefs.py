"""Story briefs and news claims where users look: stored per story, served by the API, listed in
the daily report's claims ledger and shown in the dashboard's drill-down.

Two FA-KES articles (read at run time from the shared data; only their ids are written here)
are ingested through ``ceasefire ingest news``: Al-Araby's report of the attack on the aid convoy
at Urum al-Kubra, which the article dates to "Monday evening" (19 Sept 2016), and the Syrian
Coalition's (etilaf) report of the strike on a medical centre in Khan Tuman "earlier on
Wednesday" (21 Sept 2016).  Those two dates and the outlets are read from the articles by hand;
every sentence of a brief must occur in the article it cites.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from click.testing import CliRunner
from fastapi.testclient import TestClient
from markupsafe import escape
from playwright.sync_api import expect, sync_playwright

from ceasefire.api.app import create_app
from ceasefire.cli import cli
from ceasefire.intake.common import BadField
from ceasefire.model.stored import check_body
from ceasefire.reports import render_html, render_json, render_markdown
from ceasefire.service import replay_from_store, stories_for
from ceasefire.store import Store
from ceasefire.visibility import PUBLIC
from tests.conftest import SHARED, TZ
from tests.test_dashboard import CHROMIUM, CHROMIUM_ARGS, Site, _open, _to_day

FA_KES = SHARED / "news" / "fa_kes_syrian_war_news.csv.gz"
CONVOY, HOSPITAL = "1923102941", "1926479056"  # FA-KES unit ids, both dated 21 Sept 2016
CONVOY_DAY, HOSPITAL_DAY = "2016-09-19", "2016-09-21"  # the days the articles give the attacks
COPY = f"fakes-{HOSPITAL}-copy"  # a wire copy of the hospital report, made at run time

pytestmark = pytest.mark.skipif(not FA_KES.exists(), reason="shared FA-KES file not present")


def _articles() -> dict[str, dict[str, str]]:
    with gzip.open(FA_KES, "rt", encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["date"] == "9/21/2016"]
    return {f"fakes-{r['unit_id']}": r for r in rows if r["unit_id"] in (CONVOY, HOSPITAL)}


def _line(doc_id: str, row: dict[str, str], source: str, published: str) -> dict[str, str]:
    return {"id": doc_id, "published": published, "source": source,
            "title": row["article_title"], "text": row["article_content"]}  # fmt: skip


def _squash(text: str) -> str:
    """Letters and digits only: the cleaner may drop punctuation ("78,000", quotes)."""
    return re.sub(r"\W", "", text.lower())


def _ingest(ws: Path, path: Path) -> dict[str, Any]:
    result = CliRunner().invoke(
        cli, ["--workspace", str(ws), "ingest", "news", str(path), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output)
    return data


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("briefs")
    articles = _articles()
    assert set(articles) == {f"fakes-{CONVOY}", f"fakes-{HOSPITAL}"}
    lines = [_line(i, r, r["source"], "2016-09-21") for i, r in sorted(articles.items())]
    first = folder / "articles.jsonl"
    first.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    ws = folder / "ws"
    runs = [_ingest(ws, first), _ingest(ws, first)]  # the second: the same articles again
    with Store(ws) as db:
        before = db.records("story")
        revisions = dict(
            db.conn.execute("SELECT id, revision FROM records WHERE kind = 'story'").fetchall()
        )
    return {"ws": ws, "folder": folder, "articles": articles, "lines": lines, "runs": runs,
           "before": before, "revisions": revisions}  # fmt: skip


def test_each_story_is_stored_with_its_brief_and_every_sentence_sourced(
    workspace: dict[str, Any],
) -> None:
    articles = workspace["articles"]
    stored = {s["id"]: s for s in workspace["before"]}
    assert set(stored) == {f"story-fakes-{CONVOY}", f"story-fakes-{HOSPITAL}"}
    for story in stored.values():
        assert story["brief"], story["id"]
        for sentence in story["brief"]:
            assert sentence["sources"]
            for source in sentence["sources"]:
                row = articles[source["document"]]
                assert source["outlet"] == row["source"]  # etilaf, alaraby: as FA-KES has them
                assert source["published"].startswith("2016-09-21")
                if not sentence["generated"]:
                    assert _squash(sentence["text"]) in _squash(row["article_content"])
    # a story and its incidents point at each other
    with Store(workspace["ws"]) as db:
        for story in stored.values():
            assert story["incidents"]
            for key in story["incidents"]:
                incident = db.incident(key)
                assert incident is not None
                assert dict(incident.native)["story"] == story["id"]


def test_re_ingesting_the_same_articles_revises_nothing(workspace: dict[str, Any]) -> None:
    first, again = workspace["runs"]
    assert first["store"]["added"] >= 2 + 2  # two stories, and at least an incident each
    assert (again["store"]["added"], again["store"]["revised"]) == (0, 0)
    assert set(workspace["revisions"].values()) == {1}


def test_the_api_serves_the_stories_with_every_sentence_sourced(workspace: dict[str, Any]) -> None:
    client = TestClient(create_app(workspace["ws"], TZ, rate=10_000.0, burst=10_000.0))
    listed = client.get("/stories")  # public: the articles are public outlets' reporting
    assert listed.status_code == 200, listed.text
    keys = [s["key"] for s in listed.json()]
    assert keys == [f"story:story-fakes-{CONVOY}", f"story:story-fakes-{HOSPITAL}"]
    for key in keys:
        one = client.get(f"/stories/{key}")
        assert one.status_code == 200
        body = one.json()
        assert body["key"] == key
        for sentence in body["brief"]:
            for source in sentence["sources"]:
                row = workspace["articles"][source["document"]]
                assert (source["outlet"], source["published"][:10]) == (row["source"], "2016-09-21")
    on_day = {d: [s["key"] for s in client.get("/stories", params={"date": d}).json()]
              for d in (CONVOY_DAY, HOSPITAL_DAY, "2016-09-20")}  # fmt: skip
    assert on_day == {CONVOY_DAY: [keys[0]], HOSPITAL_DAY: [keys[1]], "2016-09-20": []}
    incident = listed.json()[1]["incidents"][0]
    by_incident = client.get("/stories", params={"incident": incident}).json()
    assert [s["key"] for s in by_incident] == [keys[1]]
    for response, status in ((client.get("/stories/story:no-such"), 404),
                             (client.get("/stories", params={"date": "21/09/2016"}), 422)):  # fmt: skip
        assert response.status_code == status
        assert set(response.json()) == {"error"}
        assert set(response.json()["error"]) == {"code", "message"}


def test_the_daily_report_lists_the_brief_with_its_sources(
    workspace: dict[str, Any], agreement: Any
) -> None:
    with Store(workspace["ws"]) as db:
        report = replay_from_store(db, agreement, control=None, audience=PUBLIC).report(
            date(2016, 9, 21)
        )
    news = report["news_stories"]
    assert [s["story"] for s in news] == [f"story:story-fakes-{HOSPITAL}"]  # the day's only
    article = workspace["articles"][f"fakes-{HOSPITAL}"]
    assert news[0]["brief"]
    for sentence in news[0]["brief"]:
        assert _squash(sentence["text"]) in _squash(article["article_content"])
        assert sentence["sources"] == [
            {"document": f"fakes-{HOSPITAL}", "outlet": "etilaf", "date": "2016-09-21"}
        ]
    markdown, page = render_markdown(report), render_html(report)
    assert render_json(report) == render_json(json.loads(render_json(report)))
    for sentence in news[0]["brief"]:
        line = next(x for x in markdown.splitlines() if x.startswith("- " + sentence["text"][:40]))
        assert f"etilaf, 2016-09-21, `fakes-{HOSPITAL}`" in line
        # the sentence, escaped as the template escapes text, then its sources in its own item
        cited = f"etilaf, 2016-09-21, <code>fakes-{HOSPITAL}</code>"
        assert f"<li>{escape(sentence['text'])} — sources: {cited}</li>" in page
    # the convoy was attacked on the 19th, but reported on the 21st: the report of the 19th, cut
    # off at midnight after it, knows nothing of it
    with Store(workspace["ws"]) as db:
        earlier = replay_from_store(db, agreement, control=None, audience=PUBLIC).report(
            date(2016, 9, 19)
        )
    assert earlier["news_stories"] == []


def test_a_story_whose_incidents_are_hidden_is_withheld(workspace: dict[str, Any]) -> None:
    """A story that gave incidents the audience may see none of is not shown to it."""
    ws = workspace["folder"] / "hidden"
    lines = [x for x in workspace["lines"] if x["id"] == f"fakes-{HOSPITAL}"]
    path = workspace["folder"] / "hospital.jsonl"
    path.write_text(json.dumps(lines[0]) + "\n", encoding="utf-8")
    _ingest(ws, path)
    with Store(ws) as db:
        (story,) = stories_for(db, audience=PUBLIC)
        with db.transaction() as conn:  # as if every incident of it were a party's submission
            for key in story["incidents"]:
                conn.execute(
                    "INSERT INTO distribution(key, party, via, recorded_at) VALUES (?, ?, ?, ?)",
                    (key, "SYR_GOV", "test", "2016-09-22T00:00:00+00:00"),
                )
        assert stories_for(db, audience=PUBLIC) == []


def test_an_article_joining_a_story_revises_it_and_adds_no_story(
    workspace: dict[str, Any],
) -> None:
    row = workspace["articles"][f"fakes-{HOSPITAL}"]
    lines = [*workspace["lines"], _line(COPY, row, "copy-desk", "2016-09-21T18:00:00+03:00")]
    path = workspace["folder"] / "with-copy.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    run = _ingest(workspace["ws"], path)
    assert run["store"]["revised"] >= 1
    with Store(workspace["ws"]) as db:
        stories = {s["id"]: s for s in db.records("story")}
        revisions = dict(
            db.conn.execute("SELECT id, revision FROM records WHERE kind = 'story'").fetchall()
        )
    assert set(stories) == {f"story-fakes-{CONVOY}", f"story-fakes-{HOSPITAL}"}
    assert revisions == {f"story-fakes-{CONVOY}": 1, f"story-fakes-{HOSPITAL}": 2}
    hospital = stories[f"story-fakes-{HOSPITAL}"]
    assert [d["id"] for d in hospital["documents"]] == [f"fakes-{HOSPITAL}", COPY]
    # the copy carries each sentence of the original: every sentence now cites both outlets
    for sentence in hospital["brief"]:
        assert {s["outlet"] for s in sentence["sources"]} == {"etilaf", "copy-desk"}


def test_a_story_citing_an_article_it_lacks_is_refused_at_the_door() -> None:
    body = {"type": "story", "id": "story-x", "claims": [], "conflicts": [], "incidents": [],
            "documents": [{"id": "a", "outlet": "one", "published": "2016-09-21T12:00:00+03:00"}],
            "brief": [{"text": "A sentence.", "generated": False,
                       "sources": [{"document": "b", "outlet": "two"}]}]}  # fmt: skip
    with pytest.raises(BadField, match="not an article of the story"):
        check_body("story", json.dumps(body))
    body["brief"][0]["sources"][0]["document"] = "a"  # type: ignore[index]
    check_body("story", json.dumps(body))


# -- a story of three articles whose tolls conflict, in the dashboard's drill-down ---------------
# Al-Araby on the convoy strikes (19 Sept: "at least 22" volunteers killed), Al-Araby on the rebel
# offensive repelled near Aleppo (20 Sept: "40 attackers"), and the Coalition on the Khan Tuman
# hospital (21 Sept): one story of the Aleppo fighting whose counts of the killed disagree.
CONFLICTING = ("1923102918", "1923102944", HOSPITAL)


@pytest.fixture(scope="module")
def conflicting(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, Path, dict[str, Any]]]:
    folder = tmp_path_factory.mktemp("conflict")
    with gzip.open(FA_KES, "rt", encoding="utf-8", newline="") as handle:
        rows = {r["unit_id"]: r for r in csv.DictReader(handle) if r["unit_id"] in CONFLICTING}
    lines = []
    for uid in CONFLICTING:
        month, day, year = rows[uid]["date"].split("/")
        published = f"{year}-{int(month):02d}-{int(day):02d}"
        lines.append(_line(f"fakes-{uid}", rows[uid], rows[uid]["source"], published))
    path = folder / "articles.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    ws = folder / "ws"
    _ingest(ws, path)
    app = create_app(ws, TZ, rate=10_000.0, burst=10_000.0)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.02)
    yield (
        f"http://127.0.0.1:{sock.getsockname()[1]}/",
        ws,
        {f"fakes-{u}": r for u, r in rows.items()},
    )
    server.should_exit = True
    thread.join(timeout=5)
    sock.close()


def _conflicted(ws: Path) -> dict[str, Any]:
    with Store(ws) as db:
        found = [s for s in stories_for(db, audience=PUBLIC) if s["conflicts"]]
    assert len(found) == 1, [s["key"] for s in found]
    return found[0]


def test_a_conflict_is_stored_with_the_values_each_article_states(
    conflicting: tuple[str, Path, dict[str, Any]],
) -> None:
    _, ws, rows = conflicting
    story = _conflicted(ws)
    assert {d["id"] for d in story["documents"]} == set(rows)
    for conflict in story["conflicts"]:
        for value in conflict["sources"]:
            for document in value["documents"]:  # the value is stated in the article cited
                assert re.search(rf"\b{value['value']}\b", rows[document]["article_content"])
    generated = [s for s in story["brief"] if s["generated"]]
    assert len(generated) == len(story["conflicts"])
    cited = {d for c in story["conflicts"] for v in c["sources"] for d in v["documents"]}
    assert {s["document"] for s in generated[0]["sources"]} == cited
    for sentence in story["brief"]:
        if not sentence["generated"]:
            (source,) = sentence["sources"]
            text = rows[source["document"]]["article_content"]
            assert _squash(sentence["text"]) in _squash(text)


def test_the_drill_down_shows_the_brief_its_sources_and_the_conflict(
    conflicting: tuple[str, Path, dict[str, Any]],
) -> None:
    url, ws, rows = conflicting
    story = _conflicted(ws)
    with Store(ws) as db:  # the story's incident of 19 Sept (the slider runs 12-20 Sept)
        key = next(k for k in story["incidents"]
                   if (i := db.incident(k)) is not None and i.window.stated == "2016-09-19")  # fmt: skip
    if not CHROMIUM.exists():
        pytest.fail("Debian's Chromium is missing (/usr/bin/chromium): apt-get install -y chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = _open(browser, Site(url, TestClient(create_app(ws, TZ)), {}), "public")
        _to_day(page, "19 Sept 2016")
        page.click("#tab-incidents")
        page.click(f"button[data-key='{key}']")
        block = page.locator(f"#detail-body .story[data-story='{story['key']}']")
        expect(block).to_be_visible()
        sentences = block.locator(".story-brief li")
        expect(sentences).to_have_count(len(story["brief"]))
        for n, sentence in enumerate(story["brief"]):
            item = sentences.nth(n)
            expect(item).to_contain_text(sentence["text"][:60])
            for source in sentence["sources"]:
                outlet = rows[source["document"]]["source"]
                expect(item.locator(".sentence-sources")).to_contain_text(
                    f"{outlet}, {source['published'][:10]}, {source['document']}"
                )
            if sentence["generated"]:
                expect(item).to_have_class(re.compile(r"\bgenerated\b"))
                expect(item).to_contain_text("generated from the extracted counts")
        conflicts = block.locator(".story-conflicts li")
        expect(conflicts).to_have_count(len(story["conflicts"]))
        for value in story["conflicts"][0]["sources"]:
            expect(conflicts.first).to_contain_text(f" {value['value']} (")
        browser.close()
