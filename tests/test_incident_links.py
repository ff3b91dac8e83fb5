"""One incident across feeds (issue 14 item 6): a real UCDP row and a news report of it written for
this test become one incident, counted once in the day's report; the link is explained and an
analyst can undo it.

The UCDP row is GED 227960 (Dael, Daraa, 18 Sept 2016: Government of Syria vs Syrian insurgents,
11 deaths, coded from SOHR's reports of a helicopter attack), read from the shared fixture.  The
articles are ours: one of that attack, and one of a mortar attack in Homs city the same day by
and on the same sides as UCDP rows near Homs (about 11 km away): linked on every criterion but place.
"""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ceasefire.cli import cli
from ceasefire.compliance.linking import check_pair, find_links
from ceasefire.model.actors import ActorRegistry
from ceasefire.model.incidents import Incident, IncidentActor, Place
from ceasefire.model.timewindow import Precision, TimeWindow
from tests.conftest import TZ, UCDP_SEPT

DAY = date(2016, 9, 18)
ROW = "227960"
DAEL = (
    "Syrian army helicopters dropped barrel bombs on the town of Dael in Daraa province on Sunday, "
    "killing 11 people, a local monitoring group said. Rescue workers searched the rubble of "
    "several homes into the evening, residents said."
)
HOMS = (
    "Rebels fired mortar shells at a government-held district of the city of Homs on Sunday, "
    "killing two soldiers of the Syrian army, state media reported."
)


def _run(ws: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--workspace", str(ws), *args])
    assert result.exit_code == 0, result.output
    return result.output


def _report(ws: Path) -> dict[str, Any]:
    out = _run(ws, "report", "daily", "--agreement", "syria-2016-09", "--date", DAY.isoformat(),
               "--format", "json")  # fmt: skip
    data: dict[str, Any] = json.loads(out)
    return data


def _ucdp_rows_of_the_day() -> list[dict[str, str]]:
    """The fixture's rows that cover DAY and whose first source is dated by DAY (known by the
    report's cut-off), as the file states them."""
    with UCDP_SEPT.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    day = DAY.isoformat()
    return [
        r for r in rows
        if r["date_start"] <= day <= r["date_end"] and min(r["source_date"].split(";")) <= day
    ]  # fmt: skip


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """UCDP imported; the day's report; the news ingested; the report; the link undone; the
    report again."""
    folder = tmp_path_factory.mktemp("links")
    ws = folder / "ws"
    _run(ws, "import", "ucdp", str(UCDP_SEPT))
    out: dict[str, Any] = {"before": _report(ws)}
    articles = folder / "articles.jsonl"
    lines = [
        {"id": "dael", "published": "2016-09-18T20:00:00+03:00", "source": "paper-one", "text": DAEL},
        {"id": "homs", "published": "2016-09-18T21:00:00+03:00", "source": "paper-two", "text": HOMS},
    ]  # fmt: skip
    articles.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    out["evidence"] = json.loads(_run(ws, "ingest", "news", str(articles), "--format", "json"))
    out["linked"] = _report(ws)
    out["links"] = json.loads(_run(ws, "links", "list", "--format", "json"))
    token = _run(ws, "users", "add", "root", "--role", "admin").strip().splitlines()[-1]
    public = _run(ws, "users", "add", "reader", "--role", "public", "--token", token)
    refused = CliRunner().invoke(cli, ["--workspace", str(ws), "links", "undo",
                                       str(out["links"][0]["id"]), "--reason", "x", "--token",
                                       public.strip().splitlines()[-1]])  # fmt: skip
    out["refused"] = refused.exit_code
    _run(ws, "links", "undo", str(out["links"][0]["id"]), "--reason",
         "the news report is of another attack", "--token", token)  # fmt: skip
    out["undone"] = _report(ws)
    out["links_after"] = json.loads(_run(ws, "links", "list", "--all", "--format", "json"))
    out["audit"] = _run(ws, "audit", "verify")
    return out


def _news(evidence: dict[str, Any], document: str) -> dict[str, Any]:
    return next(
        i for i in evidence["incidents"] if any(s["document"] == document for s in i["sources"])
    )


def test_a_news_report_of_a_ucdp_row_is_one_incident_counted_once(run: dict[str, Any]) -> None:
    rows = _ucdp_rows_of_the_day()
    assert ROW in {r["id"] for r in rows}
    before, linked = run["before"]["summary"]["incidents"], run["linked"]["summary"]["incidents"]
    assert before["total"] == len(rows)  # the file's rows of the day, nothing else
    # the Homs report is an incident of its own; the Dael report is the row's, not one more
    assert linked["total"] == len(rows) + 1
    # the Homs report's two dead (our text) are added; the 11 of Dael are not counted twice
    assert linked["fatalities_best"] == before["fatalities_best"] + 2
    assert f"news:{_news(run['evidence'], 'homs')['id']}" in linked["incidents"]
    dael = _news(run["evidence"], "dael")
    assert dael["linked"] == [f"ucdp:{ROW}"]
    annex = {r["incident"]: r for r in run["linked"]["annex"]}
    merged = annex.get(f"ucdp:{ROW}") or annex[f"news:{dael['id']}"]
    assert merged["fatalities"] == 11  # the row's best estimate, once
    assert "paper-one" in merged["sources"]
    assert "SOHR" in merged["sources"]


def test_an_unrelated_report_the_same_day_elsewhere_is_not_linked(run: dict[str, Any]) -> None:
    homs = _news(run["evidence"], "homs")
    assert homs["linked"] == []
    assert [(x["a"], x["b"]) for x in run["links"]] == [
        (f"news:{_news(run['evidence'], 'dael')['id']}", f"ucdp:{ROW}")
    ]


def test_undo_restores_two_incidents_and_the_count(run: dict[str, Any]) -> None:
    rows = _ucdp_rows_of_the_day()
    assert run["refused"] != 0  # a public account may not undo a link
    undone = run["undone"]["summary"]["incidents"]
    dael = f"news:{_news(run['evidence'], 'dael')['id']}"
    assert undone["total"] == len(rows) + 2  # the row, the Dael report and the Homs report
    assert {f"ucdp:{ROW}", dael} <= set(undone["incidents"])
    linked = run["linked"]["summary"]["incidents"]
    assert undone["fatalities_best"] == linked["fatalities_best"] + 11  # Dael's 11 twice again
    (link,) = run["links_after"]
    assert link["undone_by"] == "root"
    assert link["undo_reason"].startswith("the news report")
    assert run["audit"].startswith("audit log intact")  # the link and its undo are audited rows


def test_the_link_is_explained(run: dict[str, Any]) -> None:
    (link,) = run["links"]
    explanation = link["explanation"]
    assert explanation["criteria"] == {
        "different_feeds": True, "time_overlap": True, "place_within_precision": True,
        "actors_compatible": True, "type_compatible": True,
    }  # fmt: skip
    detail = explanation["detail"]
    assert detail["feeds"] == ["news", "ucdp"]
    assert detail["overlap_hours"] == 24  # both the local day of 18 Sept
    assert detail["within_m"] == 2000  # two exact locations (UCDP where_prec 1): 1 km each
    assert detail["distance_m"] < 1000  # the gazetteer's Dael and UCDP's point of it
    assert "side:government" in detail["shared"]  # Syrian army (news) and Government of Syria


# -- the criteria, one at a time, on incidents written here ----------------------------------
def _incident(system: str, ident: str, day: int = 18, lat: float = 32.7539, prec: int = 1,
              actor: str = "Government of Syria", category: str = "state_based",
              sub: str = "") -> Incident:  # fmt: skip
    from datetime import datetime

    start = datetime(2016, 9, day, tzinfo=TZ)
    end = datetime(2016, 9, day + 1, tzinfo=TZ)
    return Incident(
        source_system=system, source_id=ident,
        window=TimeWindow(start, end, Precision.DAY, start.date().isoformat()),
        place=Place("here", lat, 36.13, prec), actors=(IncidentActor(actor, "side_a"),),
        category=category, sub_category=sub,
    )  # fmt: skip


@pytest.fixture(scope="module")
def registry() -> ActorRegistry:
    from ceasefire.agreements.loader import default_registry

    return default_registry()


def test_each_criterion_is_needed(registry: ActorRegistry) -> None:
    row = _incident("ucdp", "1")
    news = _incident("news", "n", actor="SAA", category="Explosions/Remote violence",
                     sub="Air/drone strike")  # fmt: skip
    assert check_pair(row, news, registry).linked
    cases = {
        "different_feeds": _incident("ucdp", "2"),
        "time_overlap": _incident("news", "n", day=19, actor="SAA",
                                  category="Explosions/Remote violence", sub="Air/drone strike"),
        "place_within_precision": _incident("news", "n", lat=32.80, actor="SAA",
                                            category="Explosions/Remote violence",
                                            sub="Air/drone strike"),
        "actors_compatible": _incident("news", "n", actor="ISIS",
                                       category="Explosions/Remote violence",
                                       sub="Air/drone strike"),
        "type_compatible": _incident("news", "n", actor="SAA", category="Protests",
                                     sub="Peaceful protest"),
    }  # fmt: skip
    for criterion, other in cases.items():
        check = check_pair(row, other, registry)
        assert not check.linked, criterion
        assert [k for k, v in check.criteria.items() if not v] == [criterion]
    # ~5.3 km apart: within a where_prec 2 row's 25 km, not within two exact points' 2 km
    assert check_pair(_incident("ucdp", "3", prec=2), cases["place_within_precision"],
                      registry).linked  # fmt: skip
    # a row placed only to its governorate (where_prec 4, ±100 km) is too coarse to say
    coarse = check_pair(_incident("ucdp", "4", prec=4), news, registry)
    assert not coarse.linked
    assert not coarse.criteria["place_within_precision"]
    assert [(c.a, c.b) for c in find_links([row, news], registry)] == [("news:n", "ucdp:1")]


def test_a_report_that_fits_two_rows_of_one_feed_links_to_neither(registry: ActorRegistry) -> None:
    """Two UCDP rows of one town, day and dyad: a news report of "the" attack cannot say which;
    linking both would merge two events UCDP counts apart."""
    news = _incident("news", "n", actor="SAA", category="Explosions/Remote violence",
                     sub="Air/drone strike")  # fmt: skip
    rows = [_incident("ucdp", "1"), _incident("ucdp", "2")]
    assert all(check_pair(r, news, registry).linked for r in rows)
    assert find_links([*rows, news], registry) == []


# -- the candidates: every pair that meets the criteria, whatever the order or the density ----
def _other_feeds(rows: list[Incident], seed: int) -> list[Incident]:
    """Reports of some of the real rows by three other feeds: moved up to ~2 km and by up to
    30 hours, coded as attacks of some means (so that some match one row, some two, some none)."""
    import dataclasses
    import random
    from datetime import timedelta

    rng = random.Random(seed)
    out: list[Incident] = []
    for feed in ("report", "acled", "news"):
        for row in rows:
            if rng.random() < 0.5:
                continue
            place = row.place
            if place.lat is not None and place.lon is not None:
                place = dataclasses.replace(place, lat=place.lat + rng.uniform(-0.02, 0.02),
                                            lon=place.lon + rng.uniform(-0.02, 0.02))  # fmt: skip
            shift = timedelta(hours=rng.choice([-30, -12, 0, 0, 6, 30]))
            window = dataclasses.replace(row.window, start=row.window.start + shift,
                                         end=row.window.end + shift)  # fmt: skip
            out.append(dataclasses.replace(
                row, source_system=feed, source_id=f"{row.source_id}-{len(out)}", place=place,
                window=window, category="Explosions/Remote violence",
                sub_category=rng.choice(["Air/drone strike", "Shelling/artillery/missile attack",
                                         "Remote explosive/landmine/IED"]),
            ))  # fmt: skip
    return out


def _by_definition(
    incidents: list[Incident], registry: ActorRegistry, only: set[str] | None = None
) -> list[tuple[str, str]]:
    """The links as the module's docstring defines them, over every pair (no candidate search):
    all criteria met; then an incident meeting them with two of one other feed links to neither."""
    from collections import Counter
    from itertools import combinations

    linked: list[tuple[str, str]] = []
    for one, other in combinations(incidents, 2):
        if one.source_system == other.source_system:
            continue  # never linked (the first criterion), skipped here only to save time
        if only is not None and one.key not in only and other.key not in only:
            continue
        check = check_pair(one, other, registry)
        if check.linked:
            linked.append((check.a, check.b))
    matches: Counter[tuple[str, str]] = Counter()
    for a, b in linked:
        matches[(a, b.split(":")[0])] += 1
        matches[(b, a.split(":")[0])] += 1
    return sorted(
        (a, b) for a, b in linked
        if matches[(a, b.split(":")[0])] == 1 and matches[(b, a.split(":")[0])] == 1
    )  # fmt: skip


def test_the_candidate_search_finds_every_link_all_pairs_would(registry: ActorRegistry) -> None:
    """The real September rows of Aleppo, Idlib and Hama governorates with other feeds' reports
    of some of them: the links found are exactly those of checking every pair, for the whole
    set and for an import's few keys, in any input order."""
    from ceasefire.intake.ucdp import parse_ucdp

    rows = [i for i in parse_ucdp(UCDP_SEPT, TZ).records
            if any(g in i.place.admin1 for g in ("Aleppo", "Idlib", "Hama"))]  # fmt: skip
    pool = [*rows, *_other_feeds(rows, seed=7)]
    expected = _by_definition(pool, registry)
    assert len(expected) >= 20, "the set exercises linking"
    assert [(c.a, c.b) for c in find_links(pool, registry)] == expected
    assert [(c.a, c.b) for c in find_links(pool[::-1], registry)] == expected
    wanted = {i.key for i in pool[::9]}
    assert [(c.a, c.b) for c in find_links(pool, registry, wanted)] == _by_definition(
        pool, registry, wanted
    )


def _active_links(store: Any) -> list[tuple[str, str]]:
    """The pairs of the recorded links not undone, in order."""
    return sorted((str(a), str(b)) for a, b in store.conn.execute(
        "SELECT a, b FROM incident_links WHERE undone_at IS NULL"))  # fmt: skip


def test_an_import_links_what_linking_the_whole_store_would(tmp_path: Path) -> None:
    """The real September rows stored, then other feeds' reports of some of them imported in
    three batches: the links each import records (read from the store near its incidents in
    time and place) are those found over the whole store at once."""
    from ceasefire.intake.ucdp import parse_ucdp
    from ceasefire.model.batches import Batch
    from ceasefire.service import link_incidents
    from ceasefire.store import Store

    rows = parse_ucdp(UCDP_SEPT, TZ).records
    others = _other_feeds(rows, seed=11)

    with Store(tmp_path / "batches") as store:
        store.import_batch(Batch("ucdp", "rows.csv", list(rows)))
        for feed in ("report", "acled", "news"):
            batch = [i for i in others if i.source_system == feed]
            summary = store.import_batch(Batch(feed, f"{feed}.jsonl", batch))
            link_incidents(store, summary.changed_incidents)
        by_import = _active_links(store)
    with Store(tmp_path / "whole") as store:
        store.import_batch(Batch("all", "all", [*rows, *others]))
        link_incidents(store)
        whole = _active_links(store)
    assert len(whole) >= 20, "the set exercises linking"
    assert by_import == whole


def test_an_import_links_from_what_it_stored_as_from_the_store(tmp_path: Path) -> None:
    """Other feeds' reports stored first, then the real September rows imported: the import
    links from the incidents it has just stored (not decoded back from their bodies), and finds
    the links found over the whole store at once; a row revised since is read from the store."""
    from dataclasses import replace

    from ceasefire.intake.ucdp import parse_ucdp
    from ceasefire.model.batches import Batch
    from ceasefire.service import link_incidents
    from ceasefire.store import Store

    rows = parse_ucdp(UCDP_SEPT, TZ).records
    others = _other_feeds(rows, seed=11)

    with Store(tmp_path / "whole") as store:
        store.import_batch(Batch("all", "all", [*rows, *others]))
        link_incidents(store)
        whole = _active_links(store)
    assert len(whole) >= 20, "the set exercises linking"
    with Store(tmp_path / "import") as store:
        summary = store.import_batch(Batch("others", "others.jsonl", list(others)))
        link_incidents(store, summary.changed_incidents)
        summary = store.import_batch(Batch("ucdp", "rows.csv", list(rows)))
        assert sorted(summary.stored) == sorted(i.key for i in rows)
        link_incidents(store, summary.changed_incidents, summary.stored)
        assert _active_links(store) == whole
    assert any(b.startswith("ucdp:") for _, b in whole)
    # what an import stored but another revised since (moved 300 km north): read from the store
    found = []
    for name, known in (("known", True), ("read", False)):
        with Store(tmp_path / name) as store:
            store.import_batch(Batch("others", "others.jsonl", list(others)))
            summary = store.import_batch(Batch("ucdp", "rows.csv", list(rows)))
            moved = [replace(i, place=replace(i.place, lat=(i.place.lat or 0) + 3)) for i in rows]
            store.import_batch(Batch("ucdp", "moved.csv", moved))
            link_incidents(store, summary.changed_incidents, summary.stored if known else None)
            found.append(_active_links(store))
    assert found[0] == found[1]
    assert not set(found[0]) & set(whole)


def test_the_search_box_holds_every_point_close_enough_to_link() -> None:
    """Points 0–50 km from a box's corners and edges, in every direction, at the latitudes of
    Syria and far north: each lies in the box the search reads."""
    import math
    import random

    from ceasefire.compliance.linking import MAX_RADIUS_M, near_box
    from ceasefire.geo.zones import EARTH_RADIUS_M

    rng = random.Random(3)
    for lat0 in (32.3, 36.2, 37.3, 60.0, 75.0):
        box = (lat0, lat0 + 0.3, 36.0, 36.4)
        found = near_box(box)
        assert found is not None
        south, north, west, east = found
        for _ in range(2000):
            lat1 = rng.uniform(box[0], box[1])
            lon1 = rng.choice([box[2], box[3], rng.uniform(box[2], box[3])])
            bearing = rng.uniform(0, 2 * math.pi)
            d = rng.uniform(0.9, 1.0) * 2 * MAX_RADIUS_M / EARTH_RADIUS_M
            p1, l1 = math.radians(lat1), math.radians(lon1)
            p2 = math.asin(math.sin(p1) * math.cos(d)
                           + math.cos(p1) * math.sin(d) * math.cos(bearing))  # fmt: skip
            l2 = l1 + math.atan2(math.sin(bearing) * math.sin(d) * math.cos(p1),
                                 math.cos(d) - math.sin(p1) * math.sin(p2))  # fmt: skip
            assert south <= math.degrees(p2) <= north
            assert west <= math.degrees(l2) <= east
    assert near_box((84.0, 85.0, 0.0, 1.0)) is None  # near a pole a box cannot say it
