"""ACLED CSV intake: typed fields, windows by time_precision, and quarantine of bad rows."""

from __future__ import annotations

import csv
import gzip
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ceasefire.errors import IntakeError
from ceasefire.intake.acled import ACLED_COLUMNS, parse_acled
from ceasefire.model.incidents import Axis, Incident
from ceasefire.model.timewindow import Precision
from tests.conftest import STORELESS

pytestmark = STORELESS

DAMASCUS = ZoneInfo("Asia/Damascus")


def acled_row(event_id: str, **values: str) -> dict[str, str]:
    """An invented but plausibly coded ACLED row (Syria, September 2016)."""
    row = {
        "event_id_cnty": event_id,
        "event_date": "2016-09-16",
        "year": "2016",
        "time_precision": "1",
        "disorder_type": "Political violence",
        "event_type": "Explosions/Remote violence",
        "sub_event_type": "Shelling/artillery/missile attack",
        "actor1": "Military Forces of Syria (2000-2024)",
        "assoc_actor_1": "",
        "inter1": "1",
        "actor2": "Civilians (Syria)",
        "assoc_actor_2": "",
        "inter2": "7",
        "interaction": "17",
        "civilian_targeting": "Civilian targeting",
        "iso": "760",
        "region": "Middle East",
        "country": "Syria",
        "admin1": "Aleppo",
        "admin2": "Jebel Saman",
        "admin3": "Jebel Saman",
        "location": "Aleppo - Al Mashhad",
        "latitude": "36.1869",
        "longitude": "37.1383",
        "geo_precision": "1",
        "source": "SOHR",
        "source_scale": "National",
        "notes": "Synthetic test row.",
        "fatalities": "2",
        "tags": "",
        "timestamp": "1480000000",
    }
    row.update(values)
    return row


def write_csv(
    path: Path, rows: list[dict[str, str]], columns: tuple[str, ...] = ACLED_COLUMNS
) -> Path:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def one(tmp_path: Path, **values: str) -> Incident:
    batch = parse_acled(write_csv(tmp_path / "one.csv", [acled_row("SYR1", **values)]), DAMASCUS)
    assert batch.problems == []
    assert len(batch.records) == 1
    record = batch.records[0]
    assert isinstance(record, Incident)
    return record


def problem_fields(tmp_path: Path, **values: str) -> list[str]:
    batch = parse_acled(write_csv(tmp_path / "bad.csv", [acled_row("SYR1", **values)]), DAMASCUS)
    assert batch.records == []
    return [p.field for p in batch.problems]


SYRIA_SEPT_2016 = [
    acled_row("SYR101", event_date="2016-09-12", fatalities="0", source="SOHR; Reuters"),
    acled_row("SYR102", event_date="2016-09-31"),  # line 3: no 31 September
    acled_row("SYR103", event_date="2016-09-19", time_precision="2", location="Idlib"),
    acled_row("SYR104", latitude="95"),  # line 5
    acled_row("SYR105", fatalities="several"),  # line 6
    acled_row("SYR106", event_date="20 September 2016", geo_precision="3"),
]


def test_good_rows_parse_and_bad_rows_are_quarantined_with_field_and_line(
    tmp_path: Path,
) -> None:
    path = write_csv(tmp_path / "syria.csv", SYRIA_SEPT_2016)
    batch = parse_acled(path, DAMASCUS)
    assert batch.kind == "acled"
    assert [i.source_id for i in batch.records] == ["SYR101", "SYR103", "SYR106"]
    assert [(p.line, p.field) for p in batch.problems] == [
        (3, "event_date"),
        (5, "latitude"),
        (6, "fatalities"),
    ]
    assert all(p.file == str(path) for p in batch.problems)
    assert "2016-09-31" in batch.problems[0].reason
    assert "95" in batch.problems[1].reason
    assert "'several' is not a whole number" in batch.problems[2].reason


def test_day_row_maps_to_typed_fields(tmp_path: Path) -> None:
    incident = one(
        tmp_path,
        assoc_actor_1="Hezbollah; Liwa Fatemiyoun",
        actor2="Fatah al-Sham Front",
        assoc_actor_2="",
        source="SOHR; Qasioun News Agency",
        fatalities="7",
    )
    assert incident.key == "acled:SYR1"
    assert incident.window.start == datetime(2016, 9, 16, tzinfo=DAMASCUS)
    assert incident.window.end == datetime(2016, 9, 17, tzinfo=DAMASCUS)
    assert incident.window.precision is Precision.DAY
    assert [(a.name, a.role) for a in incident.actors] == [
        ("Military Forces of Syria (2000-2024)", "actor1"),
        ("Hezbollah", "assoc_actor_1"),
        ("Liwa Fatemiyoun", "assoc_actor_1"),
        ("Fatah al-Sham Front", "actor2"),
    ]
    assert incident.category == "Explosions/Remote violence"
    assert incident.sub_category == "Shelling/artillery/missile attack"
    assert (incident.fatalities.low, incident.fatalities.best, incident.fatalities.high) == (
        None,
        7,
        None,
    )
    assert [(s.name, s.date) for s in incident.sources] == [
        ("SOHR", ""),
        ("Qasioun News Agency", ""),
    ]
    place = incident.place
    assert (place.name, place.lat, place.lon, place.precision) == (
        "Aleppo - Al Mashhad",
        36.1869,
        37.1383,
        1,
    )
    assert (place.admin1, place.admin2, place.country) == ("Aleppo", "Jebel Saman", "Syria")
    assert incident.known_from == datetime(2016, 9, 17, tzinfo=DAMASCUS)
    judgement = incident.latest(Axis.OCCURRENCE, None)
    assert judgement is not None
    assert (judgement.value, judgement.by) == ("corroborated", "ACLED coding")


def test_notes_prose_stays_only_in_native(tmp_path: Path) -> None:
    incident = one(tmp_path, notes="Synthetic note about shelling.")
    assert incident.notes == ""
    assert ("notes", "Synthetic note about shelling.") in incident.native
    assert [k for k, _ in incident.native] == list(ACLED_COLUMNS)


def test_a_single_source_is_only_alleged(tmp_path: Path) -> None:
    judgement = one(tmp_path, source="SOHR").latest(Axis.OCCURRENCE, None)
    assert judgement is not None
    assert judgement.value == "alleged"


@pytest.mark.parametrize(
    "text", ["16 September 2016", "16 Sep 2016", "16-Sep-2016", "16-September-2016"]
)
def test_acled_spreadsheet_date_forms_parse(tmp_path: Path, text: str) -> None:
    incident = one(tmp_path, event_date=text)
    assert incident.window.start.date() == date(2016, 9, 16)
    assert incident.window.precision is Precision.DAY


def test_week_precision_is_three_days_either_side(tmp_path: Path) -> None:
    incident = one(tmp_path, event_date="2016-09-19", time_precision="2")
    assert incident.window.precision is Precision.WEEK
    assert incident.window.start == datetime(2016, 9, 16, tzinfo=DAMASCUS)
    assert incident.window.end == datetime(2016, 9, 23, tzinfo=DAMASCUS)
    assert incident.window.end - incident.window.start == timedelta(days=7)
    assert incident.known_from == incident.window.end


def test_month_precision_is_the_calendar_month(tmp_path: Path) -> None:
    incident = one(tmp_path, event_date="2016-02-10", time_precision="3")
    assert incident.window.precision is Precision.MONTH
    assert incident.window.start == datetime(2016, 2, 1, tzinfo=DAMASCUS)
    assert incident.window.end == datetime(2016, 3, 1, tzinfo=DAMASCUS)  # leap year: 29 days
    assert incident.known_from == datetime(2016, 3, 1, tzinfo=DAMASCUS)


def test_region_level_geo_precision_maps_to_ucdp_scale_and_native_keeps_acled(
    tmp_path: Path,
) -> None:
    incident = one(tmp_path, geo_precision="3")
    assert incident.place.precision == 4
    assert ("geo_precision", "3") in incident.native
    assert one(tmp_path, geo_precision="2").place.precision == 2


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"event_id_cnty": " "}, "event_id_cnty"),
        ({"event_date": "2016-02-30"}, "event_date"),
        ({"event_date": "16 Septober 2016"}, "event_date"),
        ({"event_date": ""}, "event_date"),
        ({"time_precision": "4"}, "time_precision"),
        ({"time_precision": ""}, "time_precision"),
        ({"latitude": "north"}, "latitude"),
        ({"longitude": "-181"}, "longitude"),
        ({"geo_precision": "0"}, "geo_precision"),
        ({"fatalities": "-1"}, "fatalities"),
        ({"fatalities": "2.5"}, "fatalities"),
        ({"fatalities": ""}, "fatalities"),
    ],
)
def test_invalid_values_are_quarantined_on_their_field(
    tmp_path: Path, values: dict[str, str], field: str
) -> None:
    assert problem_fields(tmp_path, **values) == [field]


def test_duplicate_event_id_is_quarantined_naming_the_first_line(tmp_path: Path) -> None:
    rows = [acled_row("SYR7"), acled_row("SYR8"), acled_row("SYR7", fatalities="9")]
    batch = parse_acled(write_csv(tmp_path / "dup.csv", rows), DAMASCUS)
    assert [i.source_id for i in batch.records] == ["SYR7", "SYR8"]
    assert batch.records[0].fatalities.best == 2  # the first one is kept
    assert [(p.line, p.field) for p in batch.problems] == [(4, "event_id_cnty")]
    assert "repeats line 2" in batch.problems[0].reason


def test_gzip_input_gives_the_same_incidents(tmp_path: Path) -> None:
    plain = parse_acled(write_csv(tmp_path / "syria.csv", SYRIA_SEPT_2016), DAMASCUS)
    zipped = parse_acled(write_csv(tmp_path / "syria.csv.gz", SYRIA_SEPT_2016), DAMASCUS)
    assert len(zipped.records) == 3
    assert [i.content_hash() for i in zipped.records] == [i.content_hash() for i in plain.records]
    assert [(p.line, p.field) for p in zipped.problems] == [
        (p.line, p.field) for p in plain.problems
    ]


def test_missing_required_column_is_an_intake_error_naming_it(tmp_path: Path) -> None:
    columns = tuple(c for c in ACLED_COLUMNS if c != "geo_precision")
    rows = [{k: v for k, v in acled_row("SYR1").items() if k != "geo_precision"}]
    with pytest.raises(IntakeError, match="geo_precision"):
        parse_acled(write_csv(tmp_path / "short.csv", rows, columns), DAMASCUS)


def test_extra_columns_are_accepted_and_kept(tmp_path: Path) -> None:
    columns = (*ACLED_COLUMNS, "population_best")
    rows = [acled_row("SYR1", population_best="12000")]
    batch = parse_acled(write_csv(tmp_path / "extra.csv", rows, columns), DAMASCUS)
    assert batch.problems == []
    assert batch.records[0].native[-1] == ("population_best", "12000")


def test_row_with_wrong_field_count_is_quarantined(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "ragged.csv", [acled_row("SYR1")])
    with path.open("a", encoding="utf-8") as handle:
        handle.write("SYR2,2016-09-16,2016\n")
    batch = parse_acled(path, DAMASCUS)
    assert [i.source_id for i in batch.records] == ["SYR1"]
    assert [(p.line, p.field) for p in batch.problems] == [(3, "(row)")]
