"""Zone geometry and spatial rules, on synthetic positions around the packaged Castello line.

Synthetic points are offset perpendicular from the line's midpoint with the module's own
projection; their distances are then checked with an independent haversine.
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from shapely.geometry import LineString, Point, Polygon

from ceasefire.errors import ComplianceError
from ceasefire.geo.zones import (
    EARTH_RADIUS_M,
    LocalFrame,
    Outcome,
    ReferenceLine,
    Side,
    ZoneGeometry,
    airspace_rule,
    buffer_zone,
    corridor,
    evaluate_band,
    evaluate_zone_rule,
    load_reference_line,
    precision_radius_m,
    reference_line_from_points,
    side_band,
)
from ceasefire.model.agreement import Agreement
from tests.conftest import STORELESS

pytestmark = STORELESS

HEAVY = ("heavy_vehicles",)
EQUIPMENT = ("other_military_equipment", "apc")
PERSONNEL = ("personnel",)


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


@pytest.fixture(scope="module")
def castello() -> ReferenceLine:
    return load_reference_line()


def offset_point(line: ReferenceLine, offset_m: float) -> tuple[float, float, float, float]:
    """A point ``offset_m`` north (negative: south) of the middle of the segment holding the
    line's midpoint, perpendicular to it. Returns (lon, lat, mid_lon, mid_lat).

    The middle of that segment rather than the midpoint itself: the digitised line zigzags,
    and this keeps the perpendicular's foot clear of the neighbouring segments."""
    frame = LocalFrame.around(line.geometry)
    m = frame.to_metric(line.geometry)
    assert isinstance(m, LineString)
    ends = [m.project(Point(c)) for c in m.coords]
    half = m.length / 2
    i = max(k for k in range(len(ends) - 1) if ends[k] <= half)
    s = (ends[i] + ends[i + 1]) / 2
    mid, ahead = m.interpolate(s), m.interpolate(s + 1.0)
    tx, ty = ahead.x - mid.x, ahead.y - mid.y
    norm = math.hypot(tx, ty)
    nx, ny = -ty / norm, tx / norm  # left normal
    if ny < 0:
        nx, ny = -nx, -ny  # the northern one
    xy = np.array([[mid.x, mid.y], [mid.x + nx * offset_m, mid.y + ny * offset_m]])
    (mid_lon, mid_lat), (lon, lat) = frame.inverse(xy)
    return float(lon), float(lat), float(mid_lon), float(mid_lat)


def test_packaged_line_is_approximate_and_sourced(castello: ReferenceLine) -> None:
    assert castello.approximate is True
    assert castello.method.startswith("digitised from gazetteer points:")
    for name in ("Kafr Hamrah village", "Alleramoon", "Youth Housing"):
        assert name in castello.method
    assert castello.sources
    assert len(castello.geometry.coords) == 4
    assert haversine_m(*castello.geometry.coords[0], *castello.geometry.coords[-1]) > 5_000


def test_reference_line_from_points_is_always_approximate() -> None:
    line = reference_line_from_points([(37.0, 36.2), (37.1, 36.2)], "two test points")
    assert line.approximate is True
    assert line.method == "two test points"
    with pytest.raises(ComplianceError):
        reference_line_from_points([(37.0, 36.2)], "one point")
    with pytest.raises(ComplianceError):
        reference_line_from_points([(37.0, 36.2), (37.1, 136.2)], "lat out of range")
    with pytest.raises(ComplianceError):
        reference_line_from_points([(37.0, 36.2), (37.1, 36.2)], " ")


@pytest.mark.parametrize("offset_m", [-2_000.0, 300.0, 800.0, 2_000.0, 3_500.0, 4_000.0])
def test_synthetic_offsets_check_out_with_haversine(
    castello: ReferenceLine, offset_m: float
) -> None:
    lon, lat, mid_lon, mid_lat = offset_point(castello, offset_m)
    assert haversine_m(lon, lat, mid_lon, mid_lat) == pytest.approx(abs(offset_m), rel=1e-3)
    assert (lat > mid_lat) == (offset_m > 0)


CASES = [
    # offset (m, + north), radius (m), class, rule classes, band (m), side, expected
    pytest.param(
        2_000,
        1_000,
        "heavy_vehicles",
        HEAVY,
        3_500,
        "north",
        Outcome.VIOLATION,
        id="heavy-2km-north",
    ),
    pytest.param(
        4_000,
        100,
        "heavy_vehicles",
        HEAVY,
        3_500,
        "north",
        Outcome.NOT_VIOLATION,
        id="heavy-4km-north",
    ),
    pytest.param(
        3_500,
        5_000,
        "heavy_vehicles",
        HEAVY,
        3_500,
        "north",
        Outcome.UNDETERMINED,
        id="heavy-3.5km-5km-radius",
    ),
    pytest.param(
        3_300,
        500,
        "heavy_vehicles",
        HEAVY,
        3_500,
        "north",
        Outcome.UNDETERMINED,
        id="straddles-band-edge",
    ),
    pytest.param(
        -2_000,
        100,
        "heavy_vehicles",
        HEAVY,
        3_500,
        "north",
        Outcome.NOT_APPLICABLE,
        id="heavy-south-of-line",
    ),
    pytest.param(
        2_000,
        math.inf,
        "heavy_vehicles",
        HEAVY,
        3_500,
        "north",
        Outcome.UNDETERMINED,
        id="no-precision",
    ),
    pytest.param(
        2_000, 100, "apc", EQUIPMENT, 2_500, "north", Outcome.VIOLATION, id="apc-2km-north"
    ),
    pytest.param(
        3_000, 100, "apc", EQUIPMENT, 2_500, "north", Outcome.NOT_VIOLATION, id="apc-3km-north"
    ),
    pytest.param(
        800,
        100,
        "personnel",
        PERSONNEL,
        1_000,
        "north",
        Outcome.VIOLATION,
        id="personnel-800m-north",
    ),
    pytest.param(
        800,
        100,
        "personnel",
        HEAVY,
        3_500,
        "north",
        Outcome.NOT_APPLICABLE,
        id="heavy-rule-not-personnel",
    ),
    pytest.param(
        -300,
        100,
        "personnel",
        PERSONNEL,
        500,
        "south",
        Outcome.VIOLATION,
        id="personnel-300m-south",
    ),
    pytest.param(
        800,
        100,
        "personnel",
        PERSONNEL,
        500,
        "south",
        Outcome.NOT_APPLICABLE,
        id="south-rule-north-point",
    ),
    pytest.param(
        300,
        1_000,
        "personnel",
        PERSONNEL,
        1_000,
        "north",
        Outcome.UNDETERMINED,
        id="disc-reaches-line",
    ),
]


@pytest.mark.parametrize(
    ("offset_m", "radius_m", "weapon", "classes", "band_m", "side", "expected"), CASES
)
def test_band_rules(
    castello: ReferenceLine,
    offset_m: float,
    radius_m: float,
    weapon: str,
    classes: tuple[str, ...],
    band_m: float,
    side: Side,
    expected: Outcome,
) -> None:
    lon, lat, _, _ = offset_point(castello, offset_m)
    res = evaluate_band(band_m, side, castello, lon, lat, radius_m, weapon, classes)
    assert res.result == expected, res.reason
    assert res.reason
    if weapon in classes:
        assert res.distance_m is not None
        # the foot of the perpendicular is the midpoint unless another segment is nearer
        assert res.distance_m <= abs(offset_m) + 1.0
        if abs(offset_m) <= 2_000:
            assert res.distance_m == pytest.approx(abs(offset_m), abs=1.0)
        assert "approximate line" in res.reason
    if expected == Outcome.NOT_APPLICABLE and weapon in classes:
        assert "other side" in res.reason


def test_beyond_the_end_of_the_line(castello: ReferenceLine) -> None:
    west_lon, west_lat = castello.geometry.coords[0]
    near = evaluate_band(3_500, "north", castello, west_lon - 0.02, west_lat, 0, "apc", EQUIPMENT)
    assert near.result == Outcome.UNDETERMINED
    assert "beyond the end" in near.reason
    far = evaluate_band(3_500, "north", castello, west_lon - 0.2, west_lat, 0, "apc", EQUIPMENT)
    assert far.result == Outcome.NOT_VIOLATION


def test_agreement_rules_through_evaluate_zone_rule(
    agreement: Agreement, castello: ReferenceLine
) -> None:
    zone = next(z for z in agreement.zones if z.id == "castello_dmz")
    heavy = next(r for r in zone.rules if "heavy_vehicles" in r.weapon_classes)
    lon, lat, _, _ = offset_point(castello, 2_000)
    res = evaluate_zone_rule(heavy, castello, lon, lat, precision_radius_m(1), "heavy_vehicles")
    assert res.result == Outcome.VIOLATION
    lon, lat, _, _ = offset_point(castello, 4_000)
    res = evaluate_zone_rule(heavy, castello, lon, lat, 100, "heavy_vehicles")
    assert res.result == Outcome.NOT_VIOLATION
    opposition = next(r for r in zone.rules if r.min_distance_m is None)
    res = evaluate_zone_rule(opposition, castello, lon, lat, 100, "personnel")
    assert res.result == Outcome.CANNOT_EVALUATE
    assert evaluate_zone_rule(heavy, None, lon, lat, 100, "x").result == Outcome.CANNOT_EVALUATE
    assert evaluate_zone_rule(heavy, castello, None, None, 100, "x").result == (
        Outcome.CANNOT_EVALUATE
    )


@pytest.mark.parametrize("side", ["north", "south"])
def test_side_band_is_valid_and_on_its_side(castello: ReferenceLine, side: Side) -> None:
    band = side_band(castello, side, 3_500)
    assert isinstance(band, Polygon)
    assert band.is_valid
    line_lat = castello.geometry.centroid.y
    assert (band.centroid.y > line_lat) == (side == "north")
    lon, lat, _, _ = offset_point(castello, 2_000 if side == "north" else -2_000)
    assert band.contains(Point(lon, lat))
    lon, lat, _, _ = offset_point(castello, -2_000 if side == "north" else 2_000)
    assert not band.contains(Point(lon, lat))


def test_side_band_refuses_a_side_the_line_does_not_have(castello: ReferenceLine) -> None:
    with pytest.raises(ComplianceError):
        side_band(castello, "east", 1_000)
    north_south = LineString([(37.1, 36.1), (37.1, 36.3)])
    east = side_band(north_south, "east", 1_000)
    assert east.centroid.x > 37.1
    with pytest.raises(ComplianceError):
        side_band(castello, "north", 0)


@pytest.mark.parametrize(
    ("where_prec", "radius"),
    [
        (1, 1_000.0),
        (2, 25_000.0),
        (3, 50_000.0),
        (4, 100_000.0),
        (5, math.inf),
        (7, math.inf),
        (None, math.inf),
    ],
)
def test_precision_radius(where_prec: int | None, radius: float) -> None:
    assert precision_radius_m(where_prec) == radius


def test_projection_error_within_50_km_is_below_a_tenth_of_a_percent() -> None:
    frame = LocalFrame(lon0=37.12, lat0=36.24)
    rng = random.Random(7)
    pts = []
    for _ in range(200):
        bearing, dist = rng.uniform(0, 2 * math.pi), rng.uniform(0, 50_000)
        pts.append([dist * math.sin(bearing), dist * math.cos(bearing)])
    xy = np.array(pts)
    lonlat = frame.inverse(xy)
    assert np.allclose(frame.forward(lonlat), xy, atol=1e-6)
    worst = 0.0
    for i in range(len(pts) - 1):
        a, b = lonlat[i], lonlat[i + 1]
        true = haversine_m(a[0], a[1], b[0], b[1])
        plane = math.dist(xy[i], xy[i + 1])
        if true > 100:
            worst = max(worst, abs(plane - true) / true)
        from_centre = haversine_m(frame.lon0, frame.lat0, a[0], a[1])
        assert math.hypot(*xy[i]) == pytest.approx(from_centre, rel=1e-9, abs=1e-6)
    assert worst < 1e-3


SQUARE = ZoneGeometry(
    id="test_area",
    geometry=Polygon([(37.0, 36.0), (37.2, 36.0), (37.2, 36.2), (37.0, 36.2)]),
    approximate=True,
    method="synthetic test square",
    status="approximate",
)


@pytest.mark.parametrize(
    ("zone", "active", "restricted", "point", "radius", "expected"),
    [
        pytest.param(
            SQUARE, False, True, (37.1, 36.1), 1_000.0, Outcome.NOT_EVALUATED, id="phase-inactive"
        ),
        pytest.param(
            None,
            False,
            True,
            (37.1, 36.1),
            1_000.0,
            Outcome.NOT_EVALUATED,
            id="inactive-no-geometry",
        ),
        pytest.param(
            None, True, True, (37.1, 36.1), 1_000.0, Outcome.CANNOT_EVALUATE, id="no-geometry"
        ),
        pytest.param(
            SQUARE,
            True,
            False,
            (37.1, 36.1),
            1_000.0,
            Outcome.NOT_APPLICABLE,
            id="actor-not-restricted",
        ),
        pytest.param(SQUARE, True, True, (37.1, 36.1), 1_000.0, Outcome.VIOLATION, id="inside"),
        pytest.param(
            SQUARE, True, True, (37.5, 36.1), 1_000.0, Outcome.NOT_VIOLATION, id="outside"
        ),
        pytest.param(SQUARE, True, True, (37.2, 36.1), 1_000.0, Outcome.UNDETERMINED, id="on-edge"),
        pytest.param(SQUARE, True, True, (37.1, 36.1), 25_000.0, Outcome.UNDETERMINED, id="coarse"),
        pytest.param(SQUARE, True, True, None, 1_000.0, Outcome.CANNOT_EVALUATE, id="no-point"),
    ],
)
def test_airspace_rule(
    zone: ZoneGeometry | None,
    active: bool,
    restricted: bool,
    point: tuple[float, float] | None,
    radius: float,
    expected: Outcome,
) -> None:
    res = airspace_rule(zone, active, restricted, point, radius)
    assert res.result == expected, res.reason
    if expected == Outcome.NOT_EVALUATED:
        assert "phase is inactive" in res.reason
    if expected == Outcome.CANNOT_EVALUATE and zone is None:
        assert "no geometry" in res.reason


def test_agreement_airspace_zone_has_no_geometry(agreement: Agreement) -> None:
    from ceasefire.geo.zones import zone_geometry

    zone = next(z for z in agreement.zones if z.id == "designated_areas")
    geom = zone_geometry(zone)
    assert geom is None
    assert airspace_rule(geom, True, True, (37.1, 36.2), 1_000).result == (Outcome.CANNOT_EVALUATE)


def test_buffer_zone_and_corridor(castello: ReferenceLine) -> None:
    disc = buffer_zone(Point(37.12, 36.24), 1_000)
    frame = LocalFrame(37.12, 36.24)
    assert frame.to_metric(disc).area == pytest.approx(math.pi * 1_000**2, rel=1e-2)
    west, east = castello.geometry.coords[0], castello.geometry.coords[-1]
    c = corridor(castello, 200, [("western entrance", *west), ("eastern entrance", *east)])
    assert c.geometry.is_valid
    assert c.approximate
    assert [cp.name for cp in c.checkpoints] == ["western entrance", "eastern entrance"]
    assert all(cp.distance_to_line_m < 1.0 for cp in c.checkpoints)
    lon, lat, _, _ = offset_point(castello, 50)
    assert c.geometry.contains(Point(lon, lat))
    lon, lat, _, _ = offset_point(castello, 150)
    assert not c.geometry.contains(Point(lon, lat))
