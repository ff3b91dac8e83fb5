"""Daily reports: outline, traceable numbers, determinism, hostile text escaped."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from ceasefire.cli import cli
from ceasefire.reports import Replay, render_html, render_json, render_markdown
from ceasefire.service import bundled_data, import_file, replay_from_store
from ceasefire.store import Store
from ceasefire.visibility import OPERATOR
from tests.conftest import TZ, UCDP_SEPT


@pytest.fixture(scope="module")
def replay() -> Replay:
    store = Store.memory()
    import_file(store, "ucdp", UCDP_SEPT, TZ)
    import_file(store, "humanitarian", bundled_data("humanitarian/syria-2016-09.jsonl"), TZ)
    import_file(store, "reports", bundled_data("reports/syria-2016-09.jsonl"), TZ)
    from ceasefire.agreements import load_agreement

    return replay_from_store(store, load_agreement("syria-2016-09"), audience=OPERATOR)


def test_outline_and_header(replay: Replay) -> None:
    report = replay.report(date(2016, 9, 14))
    header = report["header"]
    assert header["report_number"] == 3
    assert header["as_of"] == "2016-09-15T00:00:00+03:00"
    assert header["phase"] == "cessation"
    for section in (
        "summary",
        "incidents_by_governorate",
        "zones",
        "airspace",
        "humanitarian",
        "claims",
        "annex",
    ):
        assert section in report
    md = render_markdown(report)
    for title in ("## 1. Summary", "## 2. Incidents by governorate", "## 3. Zones", "## 4. Airspace",
                  "## 5. Humanitarian access", "## 6. Claims ledger", "## 7. Territory", "## 8. Annex"):  # fmt: skip
        assert title in md


def test_every_number_is_traceable(replay: Replay) -> None:
    report = replay.report(date(2016, 9, 14))
    annex = {row["incident"] for row in report["annex"]}
    summary = report["summary"]["incidents"]
    assert summary["total"] == len(annex) == len(summary["incidents"])
    assert set(summary["incidents"]) == annex
    assert sum(g["total"] for g in report["incidents_by_governorate"]) == summary["total"]
    assert summary["fatalities_high"] == sum(r["fatalities"] or 0 for r in report["annex"])
    assert summary["fatalities_best"] == pytest.approx(
        sum(r["fatalities_in_period"] or 0 for r in report["annex"]), abs=0.01
    )
    # the UCDP fixture has 2 events dated 14 Sept (227762, 319410) besides longer windows
    assert {"ucdp:227762", "ucdp:319410"} <= annex


def test_a_multi_day_toll_is_apportioned_not_counted_whole_each_day(
    replay: Replay, sept_rows: list[dict[str, str]]
) -> None:
    # UCDP 227823: Government of Syria v IS, coded 13–15 Sept with 5 deaths (best)
    row = next(r for r in sept_rows if r["id"] == "227823")
    first, last = date.fromisoformat(row["date_start"]), date.fromisoformat(row["date_end"])
    days = (last - first).days + 1
    present = 0
    for n in range(days + 7):  # reports of later days list it once it is known
        report = replay.report(first + timedelta(days=n))
        annex = {r["incident"]: r for r in report["annex"]}
        if "ucdp:227823" not in annex:
            continue
        assert n < days  # only the days it spans
        row_out = annex["ucdp:227823"]
        assert row_out["fatalities"] == int(row["best"])  # the whole toll is kept on the row
        # …and a third of it counted on each of its three days, never the whole on each
        assert row_out["fatalities_in_period"] == pytest.approx(int(row["best"]) / days, abs=0.01)
        present += 1
    assert present >= 1


def test_report_uses_only_what_was_known(replay: Replay) -> None:
    # UCDP events of 20 Sept were first reported on the 20th: not in the report of the 19th
    report = replay.report(date(2016, 9, 19))
    assert not any(r["start"].startswith("2016-09-20") for r in report["annex"])
    assert all(r["start"] < "2016-09-20" for r in report["annex"])


def test_convoys_claims_and_conflicting_tolls(replay: Replay) -> None:
    report = replay.report(date(2016, 9, 19))
    convoys = {c["convoy"]: c for c in report["humanitarian"]["convoys"]}
    assert convoys["un-cilvegozu-1"]["status"] == "blocked"
    attack = convoys["un-sarc-urum-al-kubra"]
    assert attack["status"] == "attacked"
    values = sorted(c["value"] for e in attack["events_today"] for c in e["casualty_claims"])
    assert values == [10, 14, 18]
    md = render_markdown(report)
    assert "not averaged" in md
    day1 = replay.report(date(2016, 9, 13))
    (claim,) = day1["claims"]
    assert claim["claimant"] == "RUS"
    assert claim["value"] == 23
    assert claim["assessment"].startswith("recorded, not confirmed")


def test_reports_are_byte_identical_across_runs(tmp_path: Path) -> None:
    outputs = []
    for run in ("a", "b"):
        ws = tmp_path / run
        result = CliRunner().invoke(cli, ["--workspace", str(ws), "demo", "--first", "2016-09-13",
                                          "--last", "2016-09-14", "--no-serve"])  # fmt: skip
        assert result.exit_code == 0, result.output
        outputs.append({p.name: p.read_bytes() for p in sorted((ws / "reports").iterdir())})
    assert outputs[0] == outputs[1]
    assert set(outputs[0]) == {
        f"daily-syria-2016-09-2016-09-1{d}.{e}" for d in (3, 4) for e in ("md", "html", "json")
    }


def test_hostile_text_is_escaped_in_html(tmp_path: Path) -> None:
    line = {
        "id": "r1", "kind": "incident", "reported_at": "2016-09-15T10:00+03:00",
        "reporter": {"name": "<img src=x onerror=alert(1)>", "type": "party"},
        "time": {"at": "2016-09-15"}, "place": {"name": "<script>alert(1)</script>", "admin1": "Aleppo Governorate"},
        "actors": [{"name": "Government of Syria", "role": "perpetrator"}], "category": "ATK.IND",
    }  # fmt: skip
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    store = Store.memory()
    assert import_file(store, "reports", path, TZ).added == 1
    from ceasefire.agreements import load_agreement

    html = render_html(
        replay_from_store(store, load_agreement("syria-2016-09"), audience=OPERATOR).report(
            date(2016, 9, 15)
        )
    )
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
    assert "<img src=x" not in html


def test_json_render_is_valid_and_sorted(replay: Replay) -> None:
    text = render_json(replay.report(date(2016, 9, 16)))
    assert json.loads(text)["header"]["date"] == "2016-09-16"
    assert text == render_json(json.loads(text))


def test_territory_section_places_incidents_in_neighbourhoods(replay: Replay) -> None:
    report = replay.report(date(2016, 9, 14))
    terr = report["territory"]
    assert terr["mapped"]
    assert len(terr["areas"]) == 109
    # hand-labelled control of 12 Sept carried to 14 Sept; every area has a status and sources
    assert sum(terr["by_status"].values()) == 109
    assert all(a["sources"] for a in terr["areas"] if a["status"] != "unknown")
    placed = {i for a in terr["areas"] for i in a["incidents"]}
    annex = {r["incident"]: r for r in report["annex"]}
    assert placed <= set(annex)
    for key in placed:
        assert annex[key]["control"]["at_coded_point"] is not None
    assert "## 7. Territory" in render_markdown(report)


def test_reports_without_control_data_say_so() -> None:
    store = Store.memory()
    import_file(store, "ucdp", UCDP_SEPT, TZ)
    from ceasefire.agreements import load_agreement

    report = replay_from_store(
        store, load_agreement("syria-2016-09"), control=None, audience=OPERATOR
    ).report(date(2016, 9, 14))
    assert report["territory"] == {"mapped": False, "areas": [], "by_status": {}}
    assert "No control data for this day." in render_markdown(report)


def test_hostile_text_is_escaped_in_markdown(tmp_path: Path) -> None:
    line = {
        "id": "r-md", "kind": "incident", "reported_at": "2016-09-15T10:00+03:00",
        "reporter": {"name": "<img src=x onerror=alert(1)>", "type": "party"}, "time": {"at": "2016-09-15"},
        "place": {"name": "<script>alert(1)</script> [click](javascript:alert(1)) a|b `x` \\ & more",
                  "admin1": "Aleppo Governorate"},
        "actors": [{"name": "<b>Government</b> of Syria", "role": "perpetrator"}], "category": "ATK.IND",
    }  # fmt: skip
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    store = Store.memory()
    assert import_file(store, "reports", path, TZ).added == 1
    from ceasefire.agreements import load_agreement

    # a party's submission (reporter type "party"): the centre's own rendering shows it
    report = replay_from_store(store, load_agreement("syria-2016-09"), audience=OPERATOR).report(
        date(2016, 9, 15)
    )
    md = render_markdown(report)
    assert "<script>" not in md
    assert "<b>" not in md
    assert not re.search(r"(?<!\\)\]\(javascript:", md)  # no link can be formed
    place = r"&lt;script&gt;alert(1)&lt;/script&gt; \[click\](javascript:alert(1)) a\|b \`x\` \\ &amp; more"
    assert place in md
    annex = [row for row in md.splitlines() if row.startswith("| report:r-md")]
    assert len(annex) == 1
    assert annex[0].count(" | ") == 8  # the pipe in the place name did not add a column
    assert "&lt;b&gt;Government&lt;/b&gt; of Syria" in md
