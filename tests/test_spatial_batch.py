"""Batch spatial evaluation: control versions and active zones for many points at once."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from shapely.geometry import Point, box

from ceasefire.geo.control import ControlMap, ControlVersion
from ceasefire.geo.spatial_batch import SpatialBatch, ZoneSpec, as_day_numbers
from tests.conftest import STORELESS

pytestmark = STORELESS

EPOCH = date(1970, 1, 1)


def day(d: date) -> int:
    return (d - EPOCH).days


def version(
    area_id: str, geom: object, first: date, last: date | None, status: str = "held"
) -> ControlVersion:
    return ControlVersion(
        area_id=area_id,
        kind="geojson",
        name=area_id,
        geometry=geom,
        actors=("TEST_ACTOR",),
        status=status,
        valid_from=first,
        valid_to=last,
        sources=("TEST-synthetic",),
        confidence="low",
        recorded_by="test",
    )


@pytest.fixture
def control() -> ControlMap:
    # A: 0..10 square, v1 in January, v2 from February on; B: 20..30 square, March only;
    # C: a small square inside A, July only (the most specific area wins while it has a version)
    return ControlMap(
        [
            version("A", box(0, 0, 10, 10), date(2016, 1, 1), date(2016, 1, 31)),
            version("A", box(0, 0, 10, 10), date(2016, 2, 1), None, status="contested"),
            version("B", box(20, 0, 30, 10), date(2016, 3, 1), date(2016, 3, 31)),
            version("C", box(6, 6, 8, 8), date(2016, 7, 1), date(2016, 7, 31)),
        ]
    )


@pytest.fixture
def zones() -> list[ZoneSpec]:
    return [
        ("Z0", box(1, 1, 3, 3), day(date(2016, 1, 10)), day(date(2016, 1, 20))),
        ("Z1", box(2, 2, 4, 4), day(date(2016, 1, 1)), day(date(2016, 12, 31))),
        ("Z2", box(21, 1, 22, 2), day(date(2016, 6, 1)), day(date(2016, 6, 1))),
    ]


def test_hand_checked_points(control: ControlMap, zones: list[ZoneSpec]) -> None:
    pts = [
        (2.5, 2.5, date(2016, 1, 15)),  # 0: A v1; in Z0 and Z1 (overlap) → twice
        (2.5, 2.5, date(2016, 2, 1)),  # 1: A v2; Z0 inactive → Z1 only
        (1.5, 1.5, date(2016, 2, 1)),  # 2: inside Z0's shape, outside its interval → none
        (1.0, 1.0, date(2016, 1, 10)),  # 3: Z0's corner on its first day (both inclusive)
        (50.0, 50.0, date(2016, 1, 15)),  # 4: outside every area → -1
        (25.0, 5.0, date(2016, 1, 15)),  # 5: in B, but no version of B covers January → -1
        (21.5, 1.5, date(2016, 6, 1)),  # 6: B has no version in June → -1; Z2's single day
        (7.0, 7.0, date(2016, 7, 10)),  # 7: C (smaller) wins over A
        (7.0, 7.0, date(2016, 8, 10)),  # 8: C has no version in August → A v2
        (3.0, 3.0, date(2016, 1, 20)),  # 9: on both zones' boundaries, Z0's last day → both
    ]
    lons = np.array([p[0] for p in pts])
    lats = np.array([p[1] for p in pts])
    days = np.array([day(p[2]) for p in pts])
    result = SpatialBatch(control, zones).evaluate(lons, lats, days)

    assert result.control_version.dtype == np.int64
    assert result.control_version.tolist() == [1, 2, 2, 1, -1, -1, -1, 4, 2, 1]
    pairs = list(zip(result.zone_point_idx.tolist(), result.zone_idx.tolist(), strict=True))
    assert pairs == [(0, 0), (0, 1), (1, 1), (3, 0), (6, 2), (9, 0), (9, 1)]
    assert result.zone_counts.tolist() == [3, 3, 1]
    assert result.zones_of(0) == [0, 1]
    assert result.zones_of(2) == []
    assert result.zone_names == ("Z0", "Z1", "Z2")


def test_datetime64_days_and_empty_inputs(control: ControlMap, zones: list[ZoneSpec]) -> None:
    batch = SpatialBatch(control, zones)
    as_dt = np.array(["2016-01-15", "2016-02-01"], dtype="datetime64[D]")
    assert as_day_numbers(as_dt).tolist() == [day(date(2016, 1, 15)), day(date(2016, 2, 1))]
    result = batch.evaluate([2.5, 2.5], [2.5, 2.5], as_dt)
    assert result.control_version.tolist() == [1, 2]
    assert result.zone_idx.tolist() == [0, 1, 1]

    empty = batch.evaluate(np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int64))
    assert empty.control_version.shape == (0,)
    assert empty.zone_point_idx.shape == empty.zone_idx.shape == (0,)
    assert empty.zone_counts.tolist() == [0, 0, 0]

    no_zones = SpatialBatch(control).evaluate([2.5], [2.5], [day(date(2016, 1, 15))])
    assert no_zones.control_version.tolist() == [1]
    assert no_zones.zone_counts.shape == (0,)


def test_nan_coordinates_are_unknown(control: ControlMap, zones: list[ZoneSpec]) -> None:
    result = SpatialBatch(control, zones).evaluate(
        [np.nan, 2.5], [2.5, np.nan], [day(date(2016, 1, 15))] * 2
    )
    assert result.control_version.tolist() == [-1, -1]
    assert result.zone_idx.shape == (0,)


def test_bad_input_is_refused(control: ControlMap) -> None:
    with pytest.raises(ValueError, match="end_day is before start_day"):
        SpatialBatch(control, [("bad", box(0, 0, 1, 1), 10, 9)])
    with pytest.raises(ValueError, match="same length"):
        SpatialBatch(control).evaluate([1.0, 2.0], [1.0], [1, 2])


def test_agrees_with_per_point_lookups() -> None:
    rng = np.random.default_rng(42)
    jan1 = date(2016, 1, 1)
    versions = []
    # a 3 x 3 grid of unit squares plus two nested squares, each with random versions
    cells = [(f"G{i}{j}", box(i, j, i + 1, j + 1)) for i in range(3) for j in range(3)]
    cells += [("N1", box(0.2, 0.2, 0.7, 0.7)), ("N2", box(1.4, 1.4, 2.6, 2.6))]
    for area_id, geom in cells:
        for _ in range(int(rng.integers(1, 5))):
            first = int(rng.integers(0, 300))
            last = first + int(rng.integers(0, 120))
            versions.append(version(area_id, geom, jan1 + timedelta(first), jan1 + timedelta(last)))
    control = ControlMap(versions)
    zones: list[ZoneSpec] = []
    for z in range(5):
        x, y = rng.uniform(0.0, 3.0, 2)
        first = day(jan1) + int(rng.integers(0, 300))
        zones.append((f"Z{z}", Point(x, y).buffer(rng.uniform(0.2, 0.8)), first, first + 90))

    n = 200
    lons, lats = rng.uniform(-0.5, 3.5, n), rng.uniform(-0.5, 3.5, n)
    days = day(jan1) + rng.integers(0, 366, n)
    result = SpatialBatch(control, zones).evaluate(lons, lats, days)

    assert len(result.zone_idx) > 0  # the check below would be vacuous otherwise
    for i in range(n):
        on = EPOCH + timedelta(days=int(days[i]))
        answer = control.at(float(lats[i]), float(lons[i]), on)
        assert result.control_version[i] == (answer.version or -1), i
        p = Point(lons[i], lats[i])
        want = [k for k, (_, g, s, e) in enumerate(zones) if s <= days[i] <= e and g.covers(p)]
        assert result.zones_of(i) == want, i
    assert (
        result.zone_counts.tolist() == np.bincount(result.zone_idx, minlength=len(zones)).tolist()
    )


def test_cell_grid_gives_the_same_answers_as_the_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    """Large batches answer points in cells inside one area from a grid; never differently."""
    import ceasefire.geo.control as control_module
    from ceasefire.geo.control import load_aleppo_2016

    rng = np.random.default_rng(11)
    n = 150_000  # above GRID_MIN_POINTS
    lons = rng.uniform(37.05, 37.25, n)  # Aleppo city and around it
    lats = rng.uniform(36.12, 36.28, n)
    days = np.full(n, np.datetime64("2016-09-14"))
    with_grid = load_aleppo_2016().at_many(lats, lons, days)
    monkeypatch.setattr(control_module, "GRID_MIN_POINTS", 10**12)
    without_grid = load_aleppo_2016().at_many(lats, lons, days)
    assert (with_grid >= 0).sum() > 10_000  # the sample really lands in mapped neighbourhoods
    np.testing.assert_array_equal(with_grid, without_grid)
