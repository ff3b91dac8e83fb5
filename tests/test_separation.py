"""Separation monitoring: fronts and overlaps between covered/unknown and excluded groups' areas.

Expected lengths and areas are computed here independently of the module: haversine for the
length of a meridian edge and the exact spherical area of a latitude-longitude box.
"""

from __future__ import annotations

import json
import math
from datetime import date
from typing import Any

import pytest
from shapely.geometry import Polygon, box

import ceasefire.compliance.separation as separation
from ceasefire.agreements import load_agreement
from ceasefire.compliance.separation import over_time, separation_report
from ceasefire.geo.control import ControlMap, ControlVersion, load_aleppo_2016
from ceasefire.model.agreement import Agreement

R = 6_371_008.8
LON0, LAT0 = 37.10, 36.20  # near Aleppo
DLAT = math.degrees(1_000.0 / R)  # 1 km north-south
DLON = math.degrees(1_000.0 / (R * math.cos(math.radians(LAT0 + DLAT / 2))))  # ≈ 1 km east-west
DAY = date(2016, 9, 19)


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * R * math.asin(math.sqrt(h))


def box_km2(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Exact area on the sphere of a longitude-latitude box, km²."""
    lam = math.radians(lon2 - lon1)
    return R * R * lam * (math.sin(math.radians(lat2)) - math.sin(math.radians(lat1))) / 1e6


def cell(x0: float, x1: float, y0: float = 0.0, y1: float = 1.0) -> Polygon:
    """A box in units of ~1 km from (LON0, LAT0)."""
    return box(LON0 + x0 * DLON, LAT0 + y0 * DLAT, LON0 + x1 * DLON, LAT0 + y1 * DLAT)


def version(
    area_id: str, geometry: Any, actors: tuple[str, ...], status: str = "held"
) -> ControlVersion:
    return ControlVersion(
        area_id=area_id,
        kind="geojson",
        name=area_id,
        geometry=geometry,
        actors=actors,
        status=status,
        valid_from=date(2016, 9, 1),
        valid_to=date(2016, 9, 30),
        sources=(f"TEST-{area_id}",),
        confidence="test",
        recorded_by="tests/test_separation.py (synthetic, not control facts)",
    )


@pytest.fixture(scope="module")
def agreement() -> Agreement:
    return load_agreement("syria-2016-09")


def test_module_says_it_never_designates_targets() -> None:
    doc = separation.__doc__ or ""
    assert "It describes areas held and never designates anything as open to attack." in doc
    assert "never designates anything as open to attack" in doc
    assert "never designates anything as open to attack" in separation.STATEMENT


def test_bundled_aleppo_map_is_honestly_empty(agreement: Agreement) -> None:
    report = separation_report(load_aleppo_2016(), agreement, DAY)
    assert report["note"] == "no areas held by excluded groups are mapped on 2016-09-19"
    assert report["covered"] == []
    assert report["unknown"] == []
    assert report["areas"]["excluded"] == []
    assert report["areas"]["covered"]  # SYR_GOV neighbourhoods are mapped
    assert report["areas"]["unknown"]  # SYR_INSURGENTS, YPG, contested without actors
    assert report["totals"] == {
        "covered": {"pairs": 0, "front_m": 0.0, "overlap_km2": 0.0},
        "unknown": {"pairs": 0, "front_m": 0.0, "overlap_km2": 0.0},
    }
    assert report["obligation"]["id"] == "O6_separate_from_excluded"
    assert report["actors"]["SYR_GOV"]["coverage"] == "covered"
    assert report["actors"]["(contested: actors not recorded)"]["coverage"] == "unknown"
    json.dumps(report)  # JSON-ready


def test_day_without_versions_says_so(agreement: Agreement) -> None:
    report = separation_report(load_aleppo_2016(), agreement, date(2015, 1, 1))
    assert "no version covering 2015-01-01" in report["note"]
    assert "no areas held by excluded groups are mapped on 2015-01-01" in report["note"]


def test_adjacent_squares_share_a_one_km_front(agreement: Agreement) -> None:
    control = ControlMap(
        [version("A", cell(-1, 0), ("AHRAR",)), version("B", cell(0, 1), ("JFS",))]
    )
    expected = haversine_m(LON0, LAT0, LON0, LAT0 + DLAT)
    assert expected == pytest.approx(1_000.0, rel=1e-9)
    report = separation_report(control, agreement, DAY)
    assert report["covered"] == []
    [pair] = report["unknown"]
    assert (pair["actor"], pair["excluded_actor"]) == ("AHRAR", "JFS")
    assert pair["front_m"] == pytest.approx(expected, rel=0.02)
    assert pair["front_m"] == pytest.approx(expected, abs=2.0)  # the ends are trimmed
    assert pair["overlap_km2"] == 0.0
    assert (pair["area_ids"], pair["excluded_area_ids"]) == (["A"], ["B"])
    assert pair["contacts"][0]["sources"] == ["TEST-A", "TEST-B"]
    assert report["totals"]["unknown"]["pairs"] == 1
    assert report["totals"]["unknown"]["front_m"] == pair["front_m"]
    assert report["actors"]["AHRAR"]["coverage"] == "unknown"
    assert report["actors"]["JFS"]["coverage"] == "excluded"
    assert report["note"] == ""


@pytest.mark.parametrize(("gap_m", "counts"), [(20.0, True), (40.0, False)])
def test_gap_within_the_band_counts(agreement: Agreement, gap_m: float, counts: bool) -> None:
    gap = gap_m / 1_000.0
    control = ControlMap(
        [version("A", cell(-1, 0), ("SYR_GOV",)), version("B", cell(gap, 1 + gap), ("JFS",))]
    )
    report = separation_report(control, agreement, DAY)
    if counts:
        [pair] = report["covered"]
        assert pair["front_m"] == pytest.approx(1_000.0, rel=0.02)
        assert report["totals"]["covered"]["pairs"] == 1
    else:
        assert report["covered"] == []
        assert "none lies within 25 m" in report["note"]


def test_overlapping_polygons_report_the_shared_area(agreement: Agreement) -> None:
    control = ControlMap(
        [version("A", cell(0, 2, 0, 2), ("AHRAR",)), version("B", cell(1, 3, 1, 3), ("JFS",))]
    )
    expected = box_km2(LON0 + DLON, LAT0 + DLAT, LON0 + 2 * DLON, LAT0 + 2 * DLAT)
    assert expected == pytest.approx(1.0, rel=0.01)
    [pair] = separation_report(control, agreement, DAY)["unknown"]
    assert pair["overlap_km2"] == pytest.approx(expected, rel=0.005)


def test_mixed_area_listing_both_counts_whole_area(agreement: Agreement) -> None:
    control = ControlMap([version("M", cell(0, 1), ("AHRAR", "JFS"), status="mixed")])
    expected = box_km2(LON0, LAT0, LON0 + DLON, LAT0 + DLAT)
    report = separation_report(control, agreement, DAY)
    [pair] = report["unknown"]
    assert pair["overlap_km2"] == pytest.approx(expected, rel=0.005)
    assert pair["front_m"] == 0.0
    assert pair["contacts"][0]["basis"] == "one area lists both (status mixed)"
    assert report["areas"]["excluded"] == ["M"]
    assert report["areas"]["unknown"] == ["M"]


def test_contested_without_actors_is_unknown_never_excluded(agreement: Agreement) -> None:
    control = ControlMap(
        [
            version("C", cell(-1, 0), (), status="contested"),
            version("D", cell(1, 2), (), status="contested"),
        ]
    )
    report = separation_report(control, agreement, DAY)
    assert report["areas"]["excluded"] == []
    assert report["areas"]["unknown"] == ["C", "D"]
    assert report["note"] == "no areas held by excluded groups are mapped on 2016-09-19"
    control.add(version("B", cell(0, 1), ("JFS",)))
    report = separation_report(control, agreement, DAY)
    [pair] = report["unknown"]
    assert pair["actor"] == "(contested: actors not recorded)"
    assert pair["area_ids"] == ["C", "D"]
    assert pair["front_m"] == pytest.approx(2_000.0, rel=0.02)
    assert [c["area_id"] for c in pair["contacts"]] == ["C", "D"]


def test_groups_kept_apart_and_ordered(agreement: Agreement) -> None:
    control = ControlMap(
        [
            version("Z", cell(1, 2), ("SYR_GOV",)),
            version("B", cell(0, 1), ("JFS",)),
            version("A", cell(-1, 0), ("AHRAR",)),
            version("U", cell(5, 6), ("SYR_GOV",), status="unknown"),
            version("far", cell(10, 11), ("JFS",)),
        ]
    )
    first = separation_report(control, agreement, DAY)
    assert [p["actor"] for p in first["covered"]] == ["SYR_GOV"]
    assert [p["actor"] for p in first["unknown"]] == ["AHRAR"]
    assert first["areas"]["status_unknown"] == ["U"]
    assert first["areas"]["excluded"] == ["B", "far"]
    assert first["covered"][0]["excluded_area_ids"] == ["B"]
    assert json.dumps(first) == json.dumps(separation_report(control, agreement, DAY))


def test_over_time_follows_the_dates(agreement: Agreement) -> None:
    control = ControlMap(
        [
            version("A", cell(-1, 0), ("AHRAR",)),
            ControlVersion(
                area_id="B",
                kind="geojson",
                name="B",
                geometry=cell(0, 1),
                actors=("JFS",),
                status="held",
                valid_from=date(2016, 9, 15),
                valid_to=None,
                sources=("TEST-B",),
                confidence="test",
                recorded_by="tests (synthetic)",
            ),
        ]
    )
    days = [date(2016, 9, 10), date(2016, 9, 20)]
    series = over_time(control, agreement, days)
    assert [r["date"] for r in series] == ["2016-09-10", "2016-09-20"]
    assert series[0]["unknown"] == []
    assert series[0]["note"] == "no areas held by excluded groups are mapped on 2016-09-10"
    assert series[1]["unknown"][0]["front_m"] == pytest.approx(1_000.0, rel=0.02)
    assert series == [separation_report(control, agreement, d) for d in days]


def test_rejects_bad_tolerance(agreement: Agreement) -> None:
    with pytest.raises(ValueError, match="tolerance_m"):
        separation_report(ControlMap(), agreement, DAY, tolerance_m=0.0)


def test_separation_cli_on_the_bundled_map() -> None:
    import json as _json

    from click.testing import CliRunner

    from ceasefire.cli import cli

    out = CliRunner().invoke(
        cli, ["control", "separation", "--agreement", "syria-2016-09", "--date", "2016-09-19"]
    )
    assert out.exit_code == 0, out.output
    report = _json.loads(out.output)
    assert "no areas held by excluded groups are mapped on 2016-09-19" in report["note"]
