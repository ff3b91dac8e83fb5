"""Exports: lossless UCDP/ACLED round trips, cross-format mapping and GeoJSON."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ceasefire.export.tables import (
    geojson_feature_collection,
    write_acled_csv,
    write_geojson,
    write_ucdp_csv,
)
from ceasefire.intake.acled import ACLED_COLUMNS, parse_acled
from ceasefire.intake.ucdp import UCDP_COLUMNS, parse_ucdp
from ceasefire.model.incidents import Incident, IncidentActor, Place
from ceasefire.model.timewindow import Precision
from tests.conftest import STORELESS

pytestmark = STORELESS

UCDP_FIXTURE = Path("/work/shared/data/events/ucdp_ged_syria_2016-09-05_to_2016-09-26.csv")
DAMASCUS = ZoneInfo("Asia/Damascus")


def incidents_of(records: list[Any]) -> list[Incident]:
    assert all(isinstance(r, Incident) for r in records)
    return list(records)


@pytest.fixture(scope="module")
def ucdp() -> list[Incident]:
    batch = parse_ucdp(UCDP_FIXTURE, DAMASCUS)
    assert batch.problems == []
    return incidents_of(batch.records)


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def acled_fixture(path: Path) -> Path:
    """Invented ACLED rows (Syria, September 2016) exercising quoting, lists and precisions."""
    base = {c: "" for c in ACLED_COLUMNS}
    base.update(
        event_date="2016-09-16",
        year="2016",
        time_precision="1",
        disorder_type="Political violence",
        event_type="Battles",
        sub_event_type="Armed clash",
        actor1="Military Forces of Syria (2000-2024)",
        inter1="1",
        actor2="Jaish al-Fateh",
        inter2="2",
        interaction="12",
        iso="760",
        region="Middle East",
        country="Syria",
        admin1="Hama",
        admin2="Hama",
        location="Hama",
        latitude="35.1318",
        longitude="36.7578",
        geo_precision="1",
        source="SOHR",
        source_scale="National",
        fatalities="4",
        timestamp="1480000000",
    )
    rows = [
        {**base, "event_id_cnty": "SYR201", "notes": 'Synthetic, with "quotes", commas.'},
        {
            **base,
            "event_id_cnty": "SYR202",
            "event_date": "18 September 2016",
            "time_precision": "2",
            "assoc_actor_1": "Hezbollah; Liwa al-Quds",
            "source": "SOHR; Step News Agency",
            "notes": "Synthetic line one.\nSynthetic line two.",
            "geo_precision": "3",
        },
        {**base, "event_id_cnty": "SYR203", "time_precision": "3", "fatalities": "0"},
    ]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(ACLED_COLUMNS), lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_ucdp_round_trip_is_lossless(ucdp: list[Incident], tmp_path: Path) -> None:
    out = tmp_path / "ucdp_out.csv"
    with out.open("w", encoding="utf-8", newline="") as handle:
        assert write_ucdp_csv(ucdp, handle) == 313
    again = parse_ucdp(out, DAMASCUS)
    assert again.problems == []
    assert [i.content_hash() for i in again.records] == [i.content_hash() for i in ucdp]
    assert read_rows(out) == read_rows(UCDP_FIXTURE)
    with out.open(encoding="utf-8", newline="") as handle:
        assert next(csv.reader(handle)) == list(UCDP_COLUMNS)


def test_acled_round_trip_is_lossless(tmp_path: Path) -> None:
    source = acled_fixture(tmp_path / "acled.csv")
    first = incidents_of(parse_acled(source, DAMASCUS).records)
    assert len(first) == 3
    out = tmp_path / "acled_out.csv"
    with out.open("w", encoding="utf-8", newline="") as handle:
        assert write_acled_csv(first, handle) == 3
    again = parse_acled(out, DAMASCUS)
    assert again.problems == []
    assert [i.content_hash() for i in again.records] == [i.content_hash() for i in first]
    assert read_rows(out) == read_rows(source)
    assert read_rows(out)[1]["notes"] == "Synthetic line one.\nSynthetic line two."


def test_ucdp_incidents_written_as_acled_map_the_typed_fields(
    ucdp: list[Incident], tmp_path: Path
) -> None:
    out = tmp_path / "ucdp_as_acled.csv"
    with out.open("w", encoding="utf-8", newline="") as handle:
        assert write_acled_csv(ucdp, handle) == 313
    rows = {r["event_id_cnty"]: r for r in read_rows(out)}
    tartus = rows["ucdp:227449"]
    assert tartus["event_date"] == "2016-09-05"
    assert tartus["time_precision"] == "1"
    assert (tartus["actor1"], tartus["actor2"]) == ("Government of Syria", "IS")
    assert tartus["fatalities"] == "45"
    assert (tartus["latitude"], tartus["longitude"]) == ("34.88902", "35.88659")
    assert tartus["geo_precision"] == "1"
    assert (tartus["location"], tartus["admin1"]) == ("Tartus town", "Tartus Governorate")
    assert tartus["event_type"] == ""  # UCDP's violence types are not ACLED event types
    # The mapped file is a valid ACLED file: every row imports again.
    back = parse_acled(out, DAMASCUS)
    assert back.problems == []
    assert len(back.records) == 313
    week = [i for i in ucdp if i.window.precision is Precision.WEEK]
    assert week, "the fixture has week-precision events"
    assert {rows[i.key]["time_precision"] for i in week} == {"2"}


def test_foreign_incidents_written_as_ucdp_keep_dates_places_and_deaths(
    ucdp: list[Incident], tmp_path: Path
) -> None:
    """Without ``native`` the typed fields alone give back the coded UCDP columns."""
    stripped = [dataclasses.replace(i, source_system="report", native=()) for i in ucdp]
    buffer = io.StringIO()
    assert write_ucdp_csv(stripped, buffer) == 313
    written = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    original = read_rows(UCDP_FIXTURE)
    same = (
        "year", "type_of_violence", "side_a", "side_b", "number_of_sources", "source_office",
        "source_date", "where_prec", "where_coordinates", "adm_1", "adm_2", "latitude",
        "longitude", "country", "date_prec", "date_start", "date_end", "deaths_a", "deaths_b",
        "deaths_civilians", "deaths_unknown", "low", "best", "high",
    )  # fmt: skip
    for out, row in zip(written, original, strict=True):
        assert out["id"] == f"report:{row['id']}"
        assert {c: out[c] for c in same} == {c: row[c] for c in same}
    assert all(out["conflict_name"] == "" for out in written)


def test_acled_incidents_written_as_ucdp(tmp_path: Path) -> None:
    acled = incidents_of(parse_acled(acled_fixture(tmp_path / "a.csv"), DAMASCUS).records)
    buffer = io.StringIO()
    assert write_ucdp_csv(acled, buffer) == 3
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    week = rows[1]
    assert week["id"] == "acled:SYR202"
    assert (week["date_start"], week["date_end"], week["date_prec"]) == (
        "2016-09-15",
        "2016-09-21",
        "3",
    )
    # associated actors (Hezbollah; Liwa al-Quds) are not sides in UCDP's sense
    assert (week["side_a"], week["side_b"]) == (
        "Military Forces of Syria (2000-2024)",
        "Jaish al-Fateh",
    )
    assert (week["number_of_sources"], week["source_office"]) == ("2", "SOHR;Step News Agency")
    assert week["where_prec"] == "4"  # ACLED geo_precision 3 on the UCDP scale
    assert week["type_of_violence"] == ""
    month = rows[2]
    assert (month["date_start"], month["date_end"], month["date_prec"]) == (
        "2016-09-01",
        "2016-09-30",
        "4",
    )
    assert (month["best"], month["low"], month["high"]) == ("0", "", "")


def test_geojson_has_one_point_per_incident_in_syria(ucdp: list[Incident]) -> None:
    collection = geojson_feature_collection(ucdp)
    assert collection["type"] == "FeatureCollection"
    features = collection["features"]
    assert len(features) == 313
    for feature in features:
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] == "Point"
        lon, lat = feature["geometry"]["coordinates"]
        assert 35.5 <= lon <= 42.5
        assert 32.0 <= lat <= 37.5
    keys = [f["properties"]["key"] for f in features]
    assert keys == sorted(keys)
    tartus = next(f for f in features if f["properties"]["key"] == "ucdp:227449")
    assert tartus["geometry"]["coordinates"] == [35.88659, 34.88902]
    props = tartus["properties"]
    assert props["place"] == "Tartus town"
    assert props["admin1"] == "Tartus Governorate"
    assert props["actors"] == "Government of Syria; IS"
    assert props["fatalities_best"] == 45
    assert props["start"] == "2016-09-05T00:00:00+03:00"
    assert props["precision"] == "day"
    assert "qualification" not in props


def test_geojson_carries_findings_and_null_geometry(ucdp: list[Incident]) -> None:
    nowhere = dataclasses.replace(
        ucdp[0],
        source_system="report",
        source_id="R-1",
        place=Place("somewhere in Aleppo", None, None, None),
        actors=(IncidentActor("unknown armed group", "perpetrator"),),
    )
    findings = {
        "ucdp:227449": {"qualification": "violation", "codes": ["A.2", "B.1"]},
        "report:R-1": {"qualification": "unattributed", "codes": []},
    }
    features = geojson_feature_collection([*ucdp[:3], nowhere], findings)["features"]
    by_key = {f["properties"]["key"]: f for f in features}
    assert by_key["ucdp:227449"]["properties"]["qualification"] == "violation"
    assert by_key["ucdp:227449"]["properties"]["codes"] == "A.2,B.1"
    assert by_key["report:R-1"]["geometry"] is None
    assert by_key["report:R-1"]["properties"]["codes"] == ""
    others = [f for k, f in by_key.items() if k not in findings]
    assert others
    assert all("qualification" not in f["properties"] for f in others)


def test_geojson_rounds_coordinates_to_six_decimals(ucdp: list[Incident]) -> None:
    precise = dataclasses.replace(
        ucdp[0], place=dataclasses.replace(ucdp[0].place, lat=34.123456789, lon=36.987654321)
    )
    (feature,) = geojson_feature_collection([precise])["features"]
    assert feature["geometry"]["coordinates"] == [36.987654, 34.123457]


def test_geojson_output_is_deterministic_and_valid_json(ucdp: list[Incident]) -> None:
    first, second = io.StringIO(), io.StringIO()
    write_geojson(geojson_feature_collection(ucdp), first)
    write_geojson(geojson_feature_collection(list(reversed(ucdp))), second)
    text = first.getvalue()
    assert text == second.getvalue()
    assert text.endswith("}\n")
    assert text.count("\n") == 1
    parsed = json.loads(text)
    assert len(parsed["features"]) == 313
    compact = json.dumps(parsed, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert text == compact + "\n"


def test_geojson_keeps_non_ascii_names_readable(ucdp: list[Incident]) -> None:
    place = Place("حلب", 36.2, 37.15, 1, admin1="Aleppo")
    incident = dataclasses.replace(ucdp[0], place=place, source_system="report")
    buffer = io.StringIO()
    write_geojson(geojson_feature_collection([incident]), buffer)
    assert "حلب" in buffer.getvalue()


def test_cells_that_start_like_formulas_are_neutralised(tmp_path: Path) -> None:
    from ceasefire.export.tables import neutralised, write_hxl_csv

    hostile = [
        '=HYPERLINK("http://x","y")',
        "+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1)",
        "\t=1",
        "\r=1",
    ]
    for cell in hostile:
        assert neutralised(cell) == "'" + cell
    for cell in ("-12.5", "+3", "-1e5", "36.2", "Aleppo", "", "a=b"):
        assert neutralised(cell) == cell  # numbers and ordinary text are written as they are
    base = {c: "" for c in ACLED_COLUMNS}
    base.update(event_id_cnty="SYR1", event_date="2016-09-16", time_precision="1",
                event_type="Battles", sub_event_type="Armed clash", actor1=hostile[0],
                location="=1+1", latitude="-35.5", longitude="36.1", geo_precision="1",
                fatalities="0", notes="@SUM(A1)")  # fmt: skip
    source = tmp_path / "in.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(ACLED_COLUMNS), lineterminator="\n")
        writer.writeheader()
        writer.writerow(base)
    (incident,) = incidents_of(parse_acled(source, DAMASCUS).records)
    for write in (write_ucdp_csv, write_acled_csv, write_hxl_csv):
        out = io.StringIO()
        write([incident], out)
        cells = [c for row in csv.reader(io.StringIO(out.getvalue())) for c in row]
        assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")], write.__name__
        assert not [
            c for c in cells if c.startswith("-") and not c.lstrip("-").replace(".", "").isdigit()
        ]
    acled_rows = list(csv.DictReader(io.StringIO(_written(write_acled_csv, incident))))
    assert acled_rows[0]["actor1"] == "'" + hostile[0]
    assert acled_rows[0]["latitude"] == "-35.5"


def _written(write: Any, incident: Incident) -> str:
    out = io.StringIO()
    write([incident], out)
    return out.getvalue()
