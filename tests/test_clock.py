"""The clock and the phases, replaying 12–19 Sept 2016 (status as the CLI prints it)."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from ceasefire.agreements.loader import load_agreement, resolve_agreement_path
from ceasefire.cli import cli
from ceasefire.compliance.clock import build_clock, status_at
from ceasefire.intake.jsonlines import parse_humanitarian
from ceasefire.model.agreement import Agreement
from ceasefire.model.humanitarian import Convoy, ConvoyEvent
from ceasefire.model.incidents import Incident
from ceasefire.model.timewindow import Precision, TimeWindow
from ceasefire.service import bundled_data
from tests.conftest import TZ, UCDP_SEPT

START = datetime(2016, 9, 12, 19, 0, tzinfo=TZ)


def _convoys() -> list[Convoy]:
    batch = parse_humanitarian(bundled_data("humanitarian/syria-2016-09.jsonl"), TZ)
    return [r for r in batch.records if isinstance(r, Convoy)]


def _share(row: dict[str, str], start: datetime, end: datetime) -> float:
    """Independent pro-rata share of a day-coded UCDP row inside [start, end)."""
    first = datetime.combine(date.fromisoformat(row["date_start"]), datetime.min.time(), tzinfo=TZ)
    last = datetime.combine(
        date.fromisoformat(row["date_end"]), datetime.min.time(), tzinfo=TZ
    ) + timedelta(days=1)
    overlap = (min(last, end) - max(first, start)).total_seconds()
    return max(0.0, overlap) / (last - first).total_seconds()


def _in_scope(row: dict[str, str]) -> bool:
    names = {p.strip() for p in (row["side_a"] + "," + row["side_b"]).split(",")}
    return not names & {"IS", "Jabhat Fateh al-Sham"}


def test_baseline_and_daily_metric_match_the_csv(
    agreement: Agreement, sept_incidents: list[Incident], sept_rows: list[dict[str, str]]
) -> None:
    clock = build_clock(agreement, sept_incidents, _convoys())
    base_start = datetime(2016, 9, 5, tzinfo=TZ)
    base_end = datetime(2016, 9, 12, tzinfo=TZ)
    total = sum(int(r["best"]) * _share(r, base_start, base_end) for r in sept_rows if _in_scope(r))
    assert clock.baseline["C_reduced_violence"]["daily_mean"] == pytest.approx(total / 7, abs=0.01)
    assert clock.baseline["C_reduced_violence"]["threshold"] == pytest.approx(total / 14, abs=0.01)
    assert len(clock.days) == 7  # 12 Sept 19:00 to 19 Sept 19:00 after two extensions
    for day in clock.days:
        expected = sum(
            int(r["best"]) * _share(r, day.start, day.end) for r in sept_rows if _in_scope(r)
        )
        got = day.conditions["C_reduced_violence"]
        assert got["estimate"] == pytest.approx(expected, abs=0.01), day.number
        assert got["state"] == ("met" if expected <= total / 14 else "unmet")
        # no convoy reached eastern Aleppo on any day: no day counts toward the seven
        assert day.conditions["C_aid_delivered"]["state"] == "unmet"
        assert not day.counts
        assert day.count == 0


@pytest.mark.parametrize(
    ("at", "phase", "day"),
    [
        ("2016-09-12T18:59:00+03:00", None, None),
        ("2016-09-12T19:00:00+03:00", "cessation", 1),
        ("2016-09-14T20:00:00+03:00", "cessation", 3),  # extended by joint decision D1
        ("2016-09-17T12:00:00+03:00", "cessation", 5),
        ("2016-09-19T18:59:00+03:00", "cessation", 7),
        ("2016-09-19T19:00:00+03:00", None, None),
    ],
)
def test_phase_and_day(agreement: Agreement, sept_incidents: list[Incident], at: str, phase: str | None,
                       day: int | None) -> None:  # fmt: skip
    status = status_at(
        build_clock(agreement, sept_incidents, _convoys()), datetime.fromisoformat(at)
    )
    assert (status["phase"], status["day"]) == (phase, day)


def test_jic_is_never_reached_and_says_why(
    agreement: Agreement, sept_incidents: list[Incident]
) -> None:
    clock = build_clock(agreement, sept_incidents, _convoys())
    during = status_at(clock, datetime(2016, 9, 16, 12, tzinfo=TZ))
    assert during["phases"]["jic"]["state"] == "not_reached"
    after = status_at(clock, datetime(2016, 9, 20, tzinfo=TZ))
    jic = after["phases"]["jic"]
    assert jic["state"] == "never_reached"
    unmet = {u["condition"]: u for u in jic["unmet"]}
    assert set(unmet) == {"C_seven_days", "C_air_halted"}
    assert unmet["C_seven_days"]["detail"] == "0 of 7 days"
    assert "no geometry" in unmet["C_air_halted"]["detail"]
    assert any("C_aid_delivered not met on day(s) 1, 2, 3, 4, 5, 6, 7" in w
               for w in after["conditions"]["C_seven_days"]["why_not"])  # fmt: skip


def _daily_delivery() -> list[Convoy]:
    events = tuple(
        ConvoyEvent(
            "delivered",
            TimeWindow(
                START + timedelta(days=n, hours=14),
                START + timedelta(days=n, hours=15),
                Precision.HOUR,
            ),
            place="east Aleppo",
        )
        for n in range(12)
    )
    return [Convoy("test", "UN", "castello_road", "Turkey", "east_aleppo", 20, None, events)]


def _jic_on_clock_only(
    tmp_path: Path, reset: str = "by_joint_decision", extra: str = ""
) -> Agreement:
    text = resolve_agreement_path("syria-2016-09").read_text(encoding="utf-8")
    text = text.replace("{all_of: [C_seven_days, C_air_halted]}", "{all_of: [C_seven_days]}")
    text = text.replace("reset: {type: by_joint_decision, of: [USA, RUS], trigger: serious_violation",
                        f"reset: {{type: {reset}, of: [USA, RUS], trigger: serious_violation")  # fmt: skip
    text = text.replace('until: "2016-09-19T19:00+03:00"', 'until: "2016-09-26T19:00+03:00"')
    text = text.replace("  monitoring:\n", extra + "  monitoring:\n")
    path = tmp_path / "a.yaml"
    path.write_text(text, encoding="utf-8")
    return load_agreement(str(path))


def test_seven_quiet_days_with_aid_open_the_jic_phase(tmp_path: Path) -> None:
    agreement = _jic_on_clock_only(tmp_path)
    clock = build_clock(agreement, [], _daily_delivery())
    assert [d.count for d in clock.days[:7]] == [1, 2, 3, 4, 5, 6, 7]
    before = status_at(clock, START + timedelta(days=6, hours=23))
    assert before["phases"]["jic"]["state"] == "not_reached"
    assert before["consecutive_days"] == 6
    after = status_at(clock, START + timedelta(days=7))
    assert after["phases"]["jic"]["state"] == "in_force"


def test_reset_only_by_joint_decision(tmp_path: Path) -> None:
    clock = build_clock(_jic_on_clock_only(tmp_path), [], _daily_delivery())
    assert [d.count for d in clock.days[:5]] == [1, 2, 3, 4, 5]
    reset = (
        "    - id: D3_reset\n      kind: reset_clock\n      subject: C_seven_days\n"
        '      decided_at: "2016-09-15T12:00+03:00"\n      approvals: [USA, RUS]\n'
    )
    text = Path(_jic_on_clock_only(tmp_path).source_file).read_text(encoding="utf-8")
    text = text.replace("      refs: [S39, S40]\n", "      refs: [S39, S40]\n" + reset, 1)
    path = tmp_path / "reset.yaml"
    path.write_text(text, encoding="utf-8")
    clock = build_clock(load_agreement(str(path)), [], _daily_delivery())
    # the reset takes effect during day 3 (15 Sept 12:00): the count restarts there
    assert [d.count for d in clock.days[:5]] == [1, 2, 1, 2, 3]
    assert clock.days[2].reset_by == "D3_reset"
    path.write_text(
        text.replace("approvals: [USA, RUS]\n" + "", "approvals: [USA, RUS]\n").replace(
            '"2016-09-15T12:00+03:00"\n      approvals: [USA, RUS]',
            '"2016-09-15T12:00+03:00"\n      approvals: [USA]',
        ),
        encoding="utf-8",
    )
    clock = build_clock(load_agreement(str(path)), [], _daily_delivery())
    # one guarantor alone cannot reset the clock
    assert clock.days[2].reset_by is None
    assert clock.days[4].count == 5


def test_automatic_reset_on_a_failing_day(tmp_path: Path) -> None:
    agreement = _jic_on_clock_only(tmp_path, reset="automatic")
    convoy = _daily_delivery()[0]
    gap = dataclasses.replace(
        convoy, events=tuple(e for i, e in enumerate(convoy.events) if i != 2)
    )
    clock = build_clock(agreement, [], [gap])
    assert [d.count for d in clock.days[:5]] == [1, 2, 0, 1, 2]


def test_cli_status_json(tmp_path: Path) -> None:
    runner = CliRunner()
    ws = str(tmp_path / "ws")
    assert runner.invoke(cli, ["--workspace", ws, "import", "ucdp", str(UCDP_SEPT)]).exit_code == 0
    result = runner.invoke(cli, ["--workspace", ws, "status", "--agreement", "syria-2016-09",
                                 "--at", "2016-09-14T12:00", "--format", "json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["phase"] == "cessation"
    assert data["day"] == 2
    assert data["consecutive_days"] == 0
    assert set(data["conditions"]) == {
        "C_reduced_violence",
        "C_aid_delivered",
        "C_seven_days",
        "C_air_halted",
    }
    bad = runner.invoke(
        cli, ["--workspace", ws, "status", "--agreement", "syria-2016-09", "--at", "14 Sept"]
    )
    assert bad.exit_code == 2
    assert "not an ISO 8601 date-time" in bad.output
