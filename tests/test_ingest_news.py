"""`ceasefire ingest news` end to end, as the issue's acceptance checks call it.

The articles are written for this test (no third-party text): two wire copies of one report with
different outlet furniture, an independent write-up of the same incident, and a different
incident on the same day elsewhere.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ceasefire.cli import cli

WIRE = (
    "Government warplanes struck the town of Maarat al-Numan in Idlib province on Tuesday, killing "
    "at least 14 civilians, the Syrian Observatory for Human Rights said. The strikes hit a market "
    "and a bakery in the centre of the town, residents said. Rescue workers were searching the rubble "
    "for survivors on Tuesday evening. The opposition-held town has been hit repeatedly this month."
)
INDEPENDENT = (
    "Air raids on Maarat al-Numan in Idlib killed nine people on Tuesday as shoppers gathered at the "
    "central market, local medics told our correspondent. A bakery nearby was destroyed and rescuers "
    "worked through the night. Activists blamed government jets for the raids on the town."
)
OTHER = (
    "A car bomb exploded at a checkpoint in the city of Homs on Tuesday, killing five soldiers, state "
    "media reported. The blast struck the entrance of the Zahraa neighbourhood. No group claimed the "
    "attack."
)


@pytest.fixture(scope="module")
def evidence(tmp_path_factory: pytest.TempPathFactory) -> dict:  # type: ignore[type-arg]
    folder = tmp_path_factory.mktemp("news")
    lines = [
        {"id": "wire-a", "published": "2016-10-18T15:00:00+03:00", "source": "agency-one",
         "text": "MAARAT AL-NUMAN, Syria (Agency One) - " + WIRE + "\nShare this story\nCopyright Agency One"},
        {"id": "wire-b", "published": "2016-10-18T16:10:00+03:00", "source": "daily-two",
         "html": "<html><head><title>Strikes on Idlib town</title><script>var ad=1;</script></head><body>"
                 "<nav><a href='/'>Home</a> | <a href='/world'>World</a></nav><article><p>"
                 + WIRE.replace(". ", ".</p><p>") + "</p></article><footer>Subscribe now</footer></body></html>"},
        {"id": "own", "published": "2016-10-18T18:00:00+03:00", "source": "paper-three", "text": INDEPENDENT},
        {"id": "homs", "published": "2016-10-18T17:00:00+03:00", "source": "paper-three", "text": OTHER},
        {"id": "undated", "source": "paper-three", "text": OTHER},
    ]  # fmt: skip
    path = folder / "articles.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n{broken\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        ["--workspace", str(folder / "ws"), "ingest", "news", str(path), "--agreement", "syria-2016-09",
         "--format", "json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data: dict = json.loads(result.output)  # type: ignore[type-arg]
    return data


def test_wire_copies_share_a_group_and_independent_reports_a_story(evidence: dict) -> None:  # type: ignore[type-arg]
    groups = [g for g in evidence["syndication_groups"] if len(g) > 1]
    assert groups == [["wire-a", "wire-b"]]
    story_of = {d["id"]: d["story"] for d in evidence["documents"]}
    assert story_of["wire-a"] == story_of["wire-b"] == story_of["own"]
    assert story_of["homs"] != story_of["own"]


def test_bad_lines_are_quarantined_and_the_run_goes_on(evidence: dict) -> None:  # type: ignore[type-arg]
    reasons = {(q["line"], q["stage"]) for q in evidence["quarantined"]}
    assert (5, "published") in reasons
    assert (6, "(json)") in reasons
    assert len(evidence["documents"]) == 4


def test_every_claim_and_incident_has_a_source_span(evidence: dict) -> None:  # type: ignore[type-arg]
    texts = {d["id"]: d for d in evidence["documents"]}
    assert evidence["incidents"]
    for incident in evidence["incidents"]:
        assert incident["sources"]
        for span in incident["sources"]:
            assert span["document"] in texts
            assert 0 <= span["start"] < span["end"]
    assert evidence["claims"]
    for claim in evidence["claims"]:
        assert claim["documents"]
        assert claim["spans"]


def test_conflicting_tolls_are_listed_not_averaged(evidence: dict) -> None:  # type: ignore[type-arg]
    killed = [c for c in evidence["conflicts"] if c["quantity"] == "killed"]
    assert len(killed) == 1, evidence["claims"]
    # "at least 14" (one wire, two copies) and "nine" (an independent report) cannot both hold
    assert killed[0]["values"] == [9, 14]
    at_least = next(c for c in evidence["claims"] if c["quantity"] == "killed" and c["value"] == 14)
    assert at_least["qualifier"] == "at_least"
    assert at_least["independent_sources"] == 1  # the two wire copies count once
    assert sorted(at_least["documents"]) == ["wire-a", "wire-b"]
    summary = next(s for s in evidence["stories"] if "own" in s["documents"])["summary"]
    assert any(
        line["generated"] and "9" in line["text"] and "14" in line["text"] for line in summary
    )


def test_incidents_meet_the_engine(evidence: dict) -> None:  # type: ignore[type-arg]
    idlib = [i for i in evidence["incidents"] if (i["place"] or {}).get("admin1") == "Idleb"]
    assert idlib
    assert all(i["finding"]["qualification"] in {"not_violation", "undetermined", "violation", "out_of_scope"}
               for i in idlib)  # fmt: skip
    # October 2016 is after the cessation of 12–19 Sept: not a violation of it, with the reason
    assert {"NV.AFTER_END"} <= {code for i in idlib for code in i["finding"]["codes"]}


def test_documents_report_drops_and_their_own_passages(evidence: dict) -> None:  # type: ignore[type-arg]
    docs = {d["id"]: d for d in evidence["documents"]}
    assert {"furniture"} <= {x["reason"] for x in docs["wire-a"]["dropped"]}  # "Share this story"
    assert docs["wire-a"]["shared_passages"]  # the wire text it shares with wire-b
    assert docs["own"]["own_passages"]  # no copy: all its passages are its own
    assert not docs["own"]["shared_passages"]


def test_incident_tolls_are_fatalities_with_spans(evidence: dict) -> None:  # type: ignore[type-arg]
    chars = {d["id"]: d["text_chars"] for d in evidence["documents"]}
    idlib = [i for i in evidence["incidents"] if (i["place"] or {}).get("admin1") == "Idleb"]
    tolled = [i["fatalities"] for i in idlib if i["fatalities"]]
    assert tolled, idlib
    values = {(e["value"], e["qualifier"]) for toll in tolled for e in toll["estimates"]}
    assert values == {(14, "at_least"), (9, "exact")}  # one estimate per independent source
    toll = next(t for t in tolled if len(t["estimates"]) == 2)
    # the smallest stated count is the best estimate; [low, high] covers both, never averaged
    assert (toll["low"], toll["best"], toll["high"]) == (9, 9, 14)
    spans = {e["value"]: e["spans"] for e in toll["estimates"]}
    assert {s["document"] for s in spans[14]} == {"wire-a", "wire-b"}  # both copies cited
    assert {s["document"] for s in spans[9]} == {"own"}
    for span in [*spans[14], *spans[9]]:
        assert 0 <= span["start"] < span["end"] <= chars[span["document"]]
    homs = [i for i in evidence["incidents"] if (i["place"] or {}).get("admin1") == "Homs"]
    assert [e["value"] for i in homs if i["fatalities"] for e in i["fatalities"]["estimates"]] == [
        5
    ]
