"""Crafted files against the importers (issue 13): each is quarantined with its line and field,
stored harmlessly, or refused whole with a message — never a traceback — and the workspace that
holds whatever was accepted still evaluates, reports and exports."""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ceasefire.cli import cli
from ceasefire.intake.common import MAX_GZIP_RATIO, MIN_GZIP_ALLOWANCE
from ceasefire.intake.jsonlines import MAX_LINE
from ceasefire.intake.ucdp import parse_ucdp
from ceasefire.service import bundled_data
from ceasefire.store import Store
from tests.conftest import TZ, UCDP_SEPT
from tests.test_acled import acled_row

with UCDP_SEPT.open(encoding="utf-8", newline="") as _handle:
    _reader = csv.DictReader(_handle)
    UCDP_HEADER = list(_reader.fieldnames or ())
    UCDP_ROW = next(_reader)  # id 227449: 5 sources, dated 2016-09-05 and 06

REPORT: dict[str, Any] = {
    "id": "r-1", "kind": "incident", "reported_at": "2016-09-15T10:00+03:00",
    "reporter": {"name": "monitor team 2", "type": "monitor"}, "time": {"at": "2016-09-15"},
    "place": {"name": "Aleppo", "lat": 36.2, "lon": 37.15, "admin1": "Aleppo Governorate"},
    "actors": [{"name": "Government of Syria", "role": "perpetrator"}], "category": "ATK.IND",
}  # fmt: skip
CLAIM: dict[str, Any] = json.loads(
    bundled_data("reports/syria-2016-09.jsonl").read_text(encoding="utf-8").splitlines()[0]
)
CONVOY: dict[str, Any] = json.loads(
    bundled_data("humanitarian/syria-2016-09.jsonl").read_text(encoding="utf-8").splitlines()[1]
)


def _csv(header: list[str], rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def ucdp(**values: str) -> bytes:
    return _csv(UCDP_HEADER, [{**UCDP_ROW, **values}])


def acled(**values: str) -> bytes:
    row = acled_row("SYR900", **values)
    return _csv(list(row), [row])


def jsonl(*objects: Any) -> bytes:
    return "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects).encode("utf-8")


def report(**values: Any) -> bytes:
    return jsonl({**REPORT, **values})


def with_place(**values: Any) -> bytes:
    return report(place={**REPORT["place"], **values})


def convoy_event(**values: Any) -> bytes:
    first = {**CONVOY["events"][0], **values}
    return jsonl({**CONVOY, "events": [first, *CONVOY["events"][1:]]})


def corrupt_gzip(data: bytes) -> bytes:
    packed = bytearray(gzip.compress(data, mtime=0))
    packed[len(packed) // 2] ^= 0xFF  # a byte inside the deflate stream: a corrupt block
    return bytes(packed)


def gzip_bomb() -> bytes:
    """A valid CSV header, then zeros: decompresses about 1,000 times its size."""
    text = ",".join(UCDP_HEADER).encode("utf-8") + b"\n"
    return gzip.compress(text + b"0" * (MIN_GZIP_ALLOWANCE + (1 << 20)), compresslevel=9, mtime=0)


# (case id, import kind, file name, content, expected): expected is ("quarantined", field),
# ("stored", "") or ("refused", words of the message).  The values are the ones issue 13 names
# (a UCDP date 2016-02-30, years 1 and 9999, 5,000-digit integers, `fatalities: [1]`, a corrupt
# gzip block…) and their neighbours.
Case = tuple[str, str, str, Callable[[], bytes], tuple[str, str]]
CASES: list[Case] = [
    ("ucdp-start-feb-30", "ucdp", "u.csv", lambda: ucdp(date_start="2016-02-30"), ("quarantined", "date_start")),
    ("ucdp-end-feb-30", "ucdp", "u.csv", lambda: ucdp(date_end="2016-02-30"), ("quarantined", "date_end")),
    ("ucdp-source-date-feb-30", "ucdp", "u.csv", lambda: ucdp(source_date="2016-02-30;2016-09-05"), ("stored", "")),
    ("ucdp-year-1", "ucdp", "u.csv", lambda: ucdp(date_start="0001-01-01", date_end="0001-01-01"), ("quarantined", "date_start")),
    ("ucdp-year-9999", "ucdp", "u.csv", lambda: ucdp(date_start="9999-12-31", date_end="9999-12-31"), ("quarantined", "date_start")),
    ("ucdp-end-year-9999", "ucdp", "u.csv", lambda: ucdp(date_end="9999-12-31"), ("quarantined", "date_end")),
    ("ucdp-source-year-9999", "ucdp", "u.csv", lambda: ucdp(source_date="9999-12-31"), ("stored", "")),
    ("ucdp-source-year-1", "ucdp", "u.csv", lambda: ucdp(source_date="0001-01-01"), ("stored", "")),
    ("ucdp-best-5000-digits", "ucdp", "u.csv", lambda: ucdp(best="9" * 5000), ("quarantined", "best")),
    ("ucdp-where-prec-5000-digits", "ucdp", "u.csv", lambda: ucdp(where_prec="1" * 5000), ("quarantined", "where_prec")),
    ("ucdp-latitude-5000-digits", "ucdp", "u.csv", lambda: ucdp(latitude="3" * 5000), ("quarantined", "latitude")),
    ("ucdp-best-400-digits-dot-0", "ucdp", "u.csv", lambda: ucdp(best="9" * 400 + ".0"), ("quarantined", "best")),
    ("ucdp-latitude-nan", "ucdp", "u.csv", lambda: ucdp(latitude="nan"), ("quarantined", "latitude")),
    ("ucdp-longitude-inf", "ucdp", "u.csv", lambda: ucdp(longitude="inf"), ("quarantined", "longitude")),
    ("ucdp-deaths-negative", "ucdp", "u.csv", lambda: ucdp(deaths_a="-1"), ("quarantined", "deaths_a")),
    ("ucdp-best-exponent", "ucdp", "u.csv", lambda: ucdp(best="1e3"), ("quarantined", "best")),
    ("ucdp-best-boolean", "ucdp", "u.csv", lambda: ucdp(best="true"), ("quarantined", "best")),
    ("ucdp-side-a-comma", "ucdp", "u.csv", lambda: ucdp(side_a=","), ("quarantined", "side_a")),
    ("ucdp-side-b-comma", "ucdp", "u.csv", lambda: ucdp(side_b=" , "), ("quarantined", "side_b")),
    ("ucdp-violence-boolean", "ucdp", "u.csv", lambda: ucdp(type_of_violence="true"), ("quarantined", "type_of_violence")),
    ("ucdp-place-too-long", "ucdp", "u.csv", lambda: ucdp(where_coordinates="x" * 400), ("quarantined", "place.name")),
    ("ucdp-row-short", "ucdp", "u.csv", lambda: ucdp() + b"227999,2016\n", ("quarantined", "(row)")),
    ("ucdp-corrupt-gzip-block", "ucdp", "u.csv.gz", lambda: corrupt_gzip(ucdp() * 50), ("refused", "corrupt")),
    ("ucdp-truncated-gzip", "ucdp", "u.csv.gz", lambda: gzip.compress(ucdp() * 50)[:300], ("refused", "corrupt")),
    ("ucdp-gzip-bomb", "ucdp", "u.csv.gz", gzip_bomb, ("refused", "gzip bomb")),
    ("ucdp-nul-byte", "ucdp", "u.csv", lambda: ucdp(adm_1="Aleppo\x00"), ("quarantined", "place.admin1")),
    ("ucdp-latin-1", "ucdp", "u.csv", lambda: ucdp(adm_1="Alep é").replace("é".encode(), b"\xe9"), ("refused", "not UTF-8")),
    ("ucdp-missing-column", "ucdp", "u.csv", lambda: _csv([c for c in UCDP_HEADER if c != "best"], [UCDP_ROW]), ("refused", "missing column")),
    ("ucdp-600-columns", "ucdp", "u.csv", lambda: _csv(UCDP_HEADER + [f"c{i}" for i in range(600)], [UCDP_ROW]), ("refused", "at most 500")),
    ("acled-feb-31", "acled", "a.csv", lambda: acled(event_date="31-Feb-2016"), ("quarantined", "event_date")),
    ("acled-year-1", "acled", "a.csv", lambda: acled(event_date="16 September 0001"), ("quarantined", "event_date")),
    ("acled-year-9999", "acled", "a.csv", lambda: acled(event_date="9999-12-31"), ("quarantined", "event_date")),
    ("acled-fatalities-5000-digits", "acled", "a.csv", lambda: acled(fatalities="9" * 5000), ("quarantined", "fatalities")),
    ("acled-fatalities-boolean", "acled", "a.csv", lambda: acled(fatalities="True"), ("quarantined", "fatalities")),
    ("acled-actor-comma", "acled", "a.csv", lambda: acled(actor1=","), ("quarantined", "actor1")),
    ("acled-latitude-nan", "acled", "a.csv", lambda: acled(latitude="NaN"), ("quarantined", "latitude")),
    ("acled-last-month-of-2100", "acled", "a.csv", lambda: acled(event_date="2100-12-31", time_precision="3"), ("stored", "")),
    ("report-fatalities-list", "reports", "r.jsonl", lambda: report(fatalities=[1]), ("quarantined", "fatalities")),
    ("report-year-1-at-plus-14", "reports", "r.jsonl", lambda: report(reported_at="0001-01-01T00:00+14:00"), ("quarantined", "reported_at")),
    ("report-year-9999", "reports", "r.jsonl", lambda: report(time={"at": "9999-12-31"}), ("quarantined", "time.at")),
    ("report-time-feb-30", "reports", "r.jsonl", lambda: report(time={"at": "2016-02-30"}), ("quarantined", "time.at")),
    ("report-claim-value-5000-digits", "reports", "r.jsonl", lambda: jsonl(CLAIM).replace(b'"value": 23', b'"value": ' + b"9" * 5000), ("quarantined", "(json)")),
    ("report-radius-nan", "reports", "r.jsonl", lambda: with_place(radius_m=1.0).replace(b"1.0", b"NaN"), ("quarantined", "place.radius_m")),
    ("report-actor-comma", "reports", "r.jsonl", lambda: report(actors=[{"name": ",", "role": "perpetrator"}]), ("quarantined", "actors[0].name")),
    ("report-judgement-actors-int", "reports", "r.jsonl", lambda: report(judgements=[{"axis": "attribution", "value": "established", "known_from": "2016-09-16", "by": "monitors", "actors": [1]}]), ("quarantined", "judgements[0].actors[0]")),
    ("report-precision-object", "reports", "r.jsonl", lambda: with_place(precision={}), ("quarantined", "place.precision")),
    ("report-precision-boolean", "reports", "r.jsonl", lambda: with_place(precision=True), ("quarantined", "place.precision")),
    ("report-nul-in-name", "reports", "r.jsonl", lambda: report(reporter={"name": "team\x00", "type": "monitor"}), ("quarantined", "reporter.name")),
    ("report-nested-10000-deep", "reports", "r.jsonl", lambda: b"[" * 10000 + b"]" * 10000 + b"\n", ("quarantined", "(json)")),
    ("report-line-too-long", "reports", "r.jsonl", lambda: b'{"id": "' + b"x" * (MAX_LINE + 10) + b'"}\n' + report(), ("quarantined", "(line)")),
    ("report-claim-period-bare-dates", "reports", "r.jsonl", lambda: jsonl({**CLAIM, "period": {"from": "2016-09-12", "to": "2016-09-13"}}), ("stored", "")),
    ("report-naive-date-times", "reports", "r.jsonl", lambda: report(reported_at="2016-09-15T10:00", time={"at": "2016-09-15T08:00"}), ("stored", "")),
    ("humanitarian-casualty-boolean", "humanitarian", "h.jsonl", lambda: convoy_event(casualties=[{"qualifier": "exact", "value": True, "ref": "S1"}]), ("quarantined", "events[0].casualties[0].value")),
    ("humanitarian-year-9999", "humanitarian", "h.jsonl", lambda: convoy_event(at="9999-12-31"), ("quarantined", "events[0].at")),
    ("humanitarian-latitude-text", "humanitarian", "h.jsonl", lambda: convoy_event(lat="36"), ("quarantined", "events[0].lat")),
    ("humanitarian-no-events", "humanitarian", "h.jsonl", lambda: jsonl({**CONVOY, "events": []}), ("quarantined", "events")),
]  # fmt: skip


def _import(ws: Path, kind: str, path: Path) -> Any:
    return CliRunner().invoke(cli, ["--workspace", str(ws), "import", kind, str(path)])


@pytest.mark.parametrize(("kind", "name", "content", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_crafted_file_is_quarantined_stored_or_refused_never_a_traceback(
    tmp_path: Path, kind: str, name: str, content: Callable[[], bytes], expected: tuple[str, str]
) -> None:
    path = tmp_path / name
    path.write_bytes(content())
    result = _import(tmp_path / "ws", kind, path)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    outcome, detail = expected
    if outcome == "refused":
        assert result.exit_code == 2, result.output
        assert f"error: {path}" in result.output
        assert detail in result.output
        with Store(tmp_path / "ws") as store:
            assert store.count_incidents() == 0
        return
    assert result.exit_code == 0, result.output
    if outcome == "quarantined":
        assert f"quarantined: {path}:" in result.output
        assert f": {detail}: " in result.output, result.output
    else:
        assert "quarantined 0" in result.output, result.output


def test_a_source_date_that_is_no_date_is_flagged_and_ignored(tmp_path: Path) -> None:
    path = tmp_path / "u.csv"
    path.write_bytes(ucdp(source_date="2016-02-30;9999-12-31;2016-09-05", source_office="A;B;C"))
    (incident,) = parse_ucdp(path, TZ).records
    assert [(s.name, s.date) for s in incident.sources] == [
        ("A", ""),
        ("B", ""),
        ("C", "2016-09-05"),
    ]
    assert "2016-02-30, 9999-12-31 are not dates within 1900–2100" in incident.notes
    assert incident.known_from is not None
    assert incident.known_from.isoformat() == "2016-09-06T00:00:00+03:00"  # day after 5 Sept


def test_a_gzip_bomb_stops_at_its_bound(tmp_path: Path) -> None:
    path = tmp_path / "bomb.csv.gz"
    path.write_bytes(gzip_bomb())
    assert MAX_GZIP_RATIO * path.stat().st_size < MIN_GZIP_ALLOWANCE  # the bound is the floor
    result = _import(tmp_path / "ws", "ucdp", path)
    assert result.exit_code == 2
    assert f"decompresses to more than {MIN_GZIP_ALLOWANCE:,} bytes" in result.output


def test_the_workspace_holding_every_accepted_crafted_row_still_answers(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    assert _import(ws, "ucdp", UCDP_SEPT).exit_code == 0
    for number, (_, kind, name, content, (outcome, _)) in enumerate(CASES):
        if outcome == "refused":
            continue
        path = tmp_path / f"{number}-{name}"
        path.write_bytes(content())
        result = _import(ws, kind, path)
        assert result.exit_code == 0, result.output
    runner = CliRunner()
    commands = [
        ["evaluate", "--agreement", "syria-2016-09", "--format", "jsonl"],
        *(["report", "daily", "--agreement", "syria-2016-09", "--date", "2016-09-15", "--format", f]
          for f in ("md", "html", "json")),
        ["report", "daily", "--agreement", "syria-2016-09", "--date", "2016-09-13"],
        *(["export", layout, "--agreement", "syria-2016-09"] for layout in ("ucdp", "acled", "geojson", "hxl")),
        ["export", "parquet", "--output", str(tmp_path / "all.parquet")],
    ]  # fmt: skip
    for command in commands:
        result = runner.invoke(cli, ["--workspace", str(ws), *command])
        assert result.exit_code == 0, (command, result.output[-2000:], result.exception)
    with Store(ws) as store:
        keys = {i.key for i in store.incidents()}
    assert "acled:SYR900" in keys  # the month of December 2100 is kept (its window ends 2101)
    assert "report:r-1" in keys
