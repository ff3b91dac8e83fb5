"""Issue 4 acceptance through the whole chain: a monitor's position reports (JSON lines) →
store → compliance engine, against the Castello bands measured from the approximate line."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ceasefire.cli import cli
from ceasefire.geo.zones import load_reference_line
from tests.conftest import acled_haydariyeh_csv
from tests.test_zones import haversine_m, offset_point


def _report(
    rid: str, lon: float, lat: float, weapon: str, when: str, radius: float | None = None
) -> str:
    place: dict[str, object] = {"name": "Castello Road area", "lat": lat, "lon": lon, "admin1": "Aleppo Governorate",
                                "precision": 1}  # fmt: skip
    if radius is not None:
        place["radius_m"] = radius
    return json.dumps({
        "id": rid, "kind": "incident", "reported_at": "2016-09-16T12:00+03:00",
        "reporter": {"name": "monitor team 3", "type": "monitor"}, "time": {"at": when, "precision": "hour"},
        "place": place, "actors": [{"name": "Syrian Arab Army", "role": "perpetrator"}],
        "category": "POS.BAND", "sub_category": weapon, "occurrence": "observed",
    })  # fmt: skip


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    line = load_reference_line()
    north2 = offset_point(line, 2000)
    north4 = offset_point(line, 4000)
    edge = offset_point(line, 3500)
    south = offset_point(line, -2000)
    # the synthetic offsets are what they claim, measured independently
    assert haversine_m(north2[0], north2[1], north2[2], north2[3]) == pytest.approx(2000, rel=0.002)
    during = "2016-09-16T10:00:00+03:00"
    lines = [
        # a monitor's GPS fix: ±100 m; the edge case states a 5 km precision radius
        _report("p-2km", north2[0], north2[1], "heavy_vehicles", during, radius=100),
        _report("p-4km", north4[0], north4[1], "heavy_vehicles", during, radius=100),
        _report("p-edge", edge[0], edge[1], "heavy_vehicles", during, radius=5000),
        _report("p-south", south[0], south[1], "heavy_vehicles", during, radius=100),
        _report(
            "p-before",
            north2[0],
            north2[1],
            "heavy_vehicles",
            "2016-09-11T10:00:00+03:00",
            radius=100,
        ),
    ]
    folder = tmp_path_factory.mktemp("spatial")
    path = folder / "positions.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    runner = CliRunner()
    ws = str(folder / "ws")
    assert runner.invoke(cli, ["--workspace", ws, "import", "reports", str(path)]).exit_code == 0
    result = runner.invoke(
        cli, ["--workspace", ws, "evaluate", "--agreement", "syria-2016-09", "--format", "jsonl"]
    )
    assert result.exit_code == 0, result.output
    return {row["incident"]: row for row in map(json.loads, result.output.splitlines())}


def test_heavy_weapons_2_km_north_violate_the_band(findings: dict[str, dict[str, object]]) -> None:
    f = findings["report:p-2km"]
    assert f["qualification"] == "violation"
    assert "POS.BAND" in f["codes"]  # type: ignore[operator]
    assert f["obligations"] == ["O5_castello_withdrawal"]
    assert f["bearers"] == ["SAA"]
    assert "approximate" in str(f["explanation"])


def test_4_km_north_is_outside_the_band(findings: dict[str, dict[str, object]]) -> None:
    assert findings["report:p-4km"]["qualification"] == "not_violation"
    assert "NV.OUTSIDE_BAND" in findings["report:p-4km"]["codes"]  # type: ignore[operator]


def test_a_5_km_radius_across_the_edge_is_undetermined(
    findings: dict[str, dict[str, object]],
) -> None:
    assert findings["report:p-edge"]["qualification"] == "undetermined"
    assert "UNDET.SPATIAL" in findings["report:p-edge"]["codes"]  # type: ignore[operator]


def test_south_of_the_road_the_northern_bands_do_not_apply(
    findings: dict[str, dict[str, object]],
) -> None:
    assert findings["report:p-south"]["qualification"] == "not_violation"


def test_before_the_cessation_no_band_applies(findings: dict[str, dict[str, object]]) -> None:
    assert "NV.BEFORE_START" in findings["report:p-before"]["codes"]  # type: ignore[operator]


def test_control_cli(tmp_path: Path) -> None:
    runner = CliRunner()
    # Alleramoon (N0121), held by the government on 14 Sept 2016 (hand-labelled control file)
    from ceasefire.geo.control import packaged_areas

    _, geometry = packaged_areas("neighbourhood")["N0121"]
    point = geometry.representative_point()
    out = runner.invoke(cli, ["control", "at", "--date", "2016-09-14", "--lat", str(point.y), "--lon", str(point.x),
                              "--format", "json"])  # fmt: skip
    assert out.exit_code == 0, out.output
    answer = json.loads(out.output)
    assert answer["status"] == "held"
    assert answer["actors"] == ["SYR_GOV"]
    assert answer["sources"]
    sea = json.loads(runner.invoke(cli, ["control", "at", "--date", "2016-09-14", "--lat", "35.0", "--lon", "35.5",
                                         "--format", "json"]).output)  # fmt: skip
    assert sea["status"] == "unknown"
    assert sea["reason"]
    fc = json.loads(
        runner.invoke(cli, ["control", "map", "--date", "2016-09-14", "--format", "geojson"]).output
    )
    assert fc["type"] == "FeatureCollection"
    assert len(fc["features"]) >= 109
    # PROVENANCE: 1 of the 14 OCHA governorate geometries is invalid in the source; none of Aleppo's
    assert fc["ceasefire:geometry_repairs"] == {"admin1": 1, "neighbourhood": 0}


def test_zones_geojson_output() -> None:
    out = CliRunner().invoke(cli, ["zones", "--agreement", "syria-2016-09", "--format", "geojson"])
    assert out.exit_code == 0, out.output
    fc = json.loads(out.output)
    assert fc["type"] == "FeatureCollection"
    by_id = {f["id"]: f for f in fc["features"]}
    # never delineated: present, with no geometry and its status
    assert by_id["designated_areas"]["geometry"] is None
    assert by_id["designated_areas"]["properties"]["status"] == "unpublished"
    bands = [f for f in fc["features"] if f["properties"]["part"] == "band"]
    assert sorted(f["properties"]["min_distance_m"] for f in bands) == [500, 1000, 2500, 3500]
    for band in bands:
        assert band["properties"]["approximate"] is True
        ring = band["geometry"]["coordinates"][0]
        assert ring[0] == ring[-1]
        # RFC 7946: exterior rings counter-clockwise (positive signed area), lon before lat
        area = sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in itertools.pairwise(ring))
        assert area > 0
        assert all(36.5 < x < 37.6 and 35.9 < y < 36.6 for x, y in ring)
    assert out.output == CliRunner().invoke(cli, ["zones", "--agreement", "syria-2016-09"]).output


def test_analyst_statements_become_new_versions_and_history_survives(tmp_path: Path) -> None:
    """An analyst records that the army took Haydariyeh (N0122) earlier than the bundled label."""
    runner = CliRunner()
    ws = str(tmp_path / "ws")
    layer = tmp_path / "update.csv"
    layer.write_text(
        "area_id,status,actors,valid_from,valid_to,sources\n"
        "N0122,held,SYR_GOV,2016-11-20,2016-12-14,analyst-note-7\n"
        "N0999,held,SYR_GOV,2016-11-20,,analyst-note-8\n",
        encoding="utf-8",
    )
    out = runner.invoke(cli, ["--workspace", ws, "control", "import", str(layer)])
    assert out.exit_code == 0, out.output
    assert "added 1" in out.output
    assert "quarantined 1" in out.output
    assert f"{layer}:3: " in out.output
    again = runner.invoke(cli, ["--workspace", ws, "control", "import", str(layer)])
    assert "added 0, unchanged 1" in again.output

    def held(day: str, workspace: list[str]) -> dict[str, object]:
        res = runner.invoke(
            cli, [*workspace, "control", "at", "--date", day, "--area", "N0122", "--format", "json"]
        )
        return dict(json.loads(res.output))

    new = held("2016-11-25", ["--workspace", ws])
    assert new["actors"] == ["SYR_GOV"]
    assert new["sources"] == ["analyst-note-7"]
    # the bundled label (opposition on 15 Nov) still answers before the analyst's date …
    assert held("2016-11-16", ["--workspace", ws])["actors"] == ["SYR_INSURGENTS"]
    # … and without the workspace, the bundled history alone answers the 25th
    assert held("2016-11-25", ["--workspace", str(tmp_path / "empty")])["actors"] == [
        "SYR_INSURGENTS"
    ]


def test_acled_territorial_event_becomes_a_sourced_version(tmp_path: Path) -> None:
    """The army regains Haydariyeh on 22 Nov (acled_haydariyeh_csv)."""
    path = acled_haydariyeh_csv(tmp_path / "acled.csv")
    runner = CliRunner()
    ws = str(tmp_path / "ws")
    assert runner.invoke(cli, ["--workspace", ws, "import", "acled", str(path)]).exit_code == 0
    out = runner.invoke(cli, ["--workspace", ws, "control", "at", "--date", "2016-11-25", "--area", "N0122",
                              "--format", "json"])  # fmt: skip
    answer = json.loads(out.output)
    assert answer["actors"] == ["SYR_GOV"]
    assert answer["sources"] == ["acled:SYRTEST1"]
    before = json.loads(runner.invoke(cli, ["--workspace", ws, "control", "at", "--date", "2016-11-21", "--area",
                                            "N0122", "--format", "json"]).output)  # fmt: skip
    assert before["actors"] == ["SYR_INSURGENTS"]  # the bundled 15 Nov label still holds before


def test_restricted_airspace_is_not_evaluated_while_its_phase_is_inactive(tmp_path: Path) -> None:
    """A monitor reports a Syrian air force sortie over Idlib during the cessation: the designated
    areas apply only in the JIC phase, which never began, so nothing is evaluated against them."""
    line = json.dumps({
        "id": "air-1", "kind": "incident", "reported_at": "2016-09-16T12:00+03:00",
        "reporter": {"name": "monitor team 1", "type": "monitor"},
        "time": {"at": "2016-09-16T09:00:00+03:00", "precision": "hour"},
        "place": {"name": "Idlib countryside", "lat": 35.93, "lon": 36.63, "precision": 2},
        "actors": [{"name": "Syrian Air Force", "role": "perpetrator"}],
        "category": "AIR.RESTRICTED", "sub_category": "fixed_wing", "occurrence": "observed",
    })  # fmt: skip
    path = tmp_path / "air.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    runner = CliRunner()
    ws = str(tmp_path / "ws")
    assert runner.invoke(cli, ["--workspace", ws, "import", "reports", str(path)]).exit_code == 0
    out = runner.invoke(
        cli, ["--workspace", ws, "evaluate", "--agreement", "syria-2016-09", "--format", "jsonl"]
    )
    finding = json.loads(out.output.splitlines()[0])
    assert finding["qualification"] == "not_violation"
    assert "NV.PHASE_NOT_ACTIVE" in finding["codes"]
    assert "jic" in finding["explanation"]
