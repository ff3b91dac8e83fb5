"""Zone geometry and the spatial tests of zone rules (monitoring only).

Everything here answers one question about a *recorded* position: does it lie where an
agreement says a party's forces must not be? It never proposes places or ranks anything.

Metric frame
    Distances are measured in a local **azimuthal-equidistant** projection on a sphere of
    radius ``R = 6,371,008.8 m`` (the IUGG mean radius), centred on the geometry being tested
    (:class:`LocalFrame`). Distances from the centre are exact great-circle distances on that
    sphere; between two points within 50 km of the centre the scale error is below
    ``c²/6`` (``c`` the angular radius), i.e. < 0.002 %, far inside the 0.1 % budget
    (checked against haversine in ``tests/test_zones.py``). The sphere itself differs from the
    WGS84 ellipsoid by up to ~0.5 % depending on direction and latitude: irrelevant next to the
    positional uncertainty of gazetteer points, which is what limits every result here.

Outcomes (:class:`Outcome`)
    ``violation`` / ``not_violation`` only when the position's whole uncertainty disc supports
    the answer; ``undetermined`` when the disc straddles the band edge or the line;
    ``not_applicable`` when the rule does not speak to the position (other side of the line,
    weapon class not covered, actor not restricted); ``not_evaluated`` when the rule's phase is
    inactive; ``cannot_evaluate`` when the zone has no geometry or the rule no distance.
"""

from __future__ import annotations

import enum
import json
import math
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import LineString, Point, Polygon, shape
from shapely.geometry.base import BaseGeometry

from ceasefire.errors import ComplianceError
from ceasefire.model.agreement import Zone, ZoneRule

__all__ = [
    "EARTH_RADIUS_M",
    "AirspaceResult",
    "BandResult",
    "Checkpoint",
    "Corridor",
    "LocalFrame",
    "Outcome",
    "ReferenceLine",
    "Side",
    "ZoneGeometry",
    "airspace_rule",
    "buffer_zone",
    "corridor",
    "evaluate_band",
    "evaluate_zone_rule",
    "load_reference_line",
    "packaged_line_path",
    "precision_radius_m",
    "reference_line_from_points",
    "side_band",
    "zone_geometry",
]

EARTH_RADIUS_M = 6_371_008.8
Side = Literal["north", "south", "east", "west"]
_SIDES: tuple[str, ...] = ("north", "south", "east", "west")
_FloatArray = NDArray[np.float64]


class Outcome(enum.StrEnum):
    VIOLATION = "violation"
    NOT_VIOLATION = "not_violation"
    UNDETERMINED = "undetermined"
    NOT_APPLICABLE = "not_applicable"
    NOT_EVALUATED = "not_evaluated"
    CANNOT_EVALUATE = "cannot_evaluate"


# --- metric frame -------------------------------------------------------------------------


@dataclass(frozen=True)
class LocalFrame:
    """Spherical azimuthal-equidistant projection centred on ``(lon0, lat0)``; x east, y north, m."""

    lon0: float
    lat0: float

    @classmethod
    def around(cls, geometry: BaseGeometry) -> LocalFrame:
        c = geometry.centroid
        return cls(lon0=float(c.x), lat0=float(c.y))

    def forward(self, coords: _FloatArray) -> _FloatArray:
        """``(N, 2)`` array of lon, lat (degrees) → ``(N, 2)`` array of x, y (metres)."""
        lam = np.radians(coords[:, 0] - self.lon0)
        phi = np.radians(coords[:, 1])
        phi0 = math.radians(self.lat0)
        cos_c = np.clip(
            math.sin(phi0) * np.sin(phi) + math.cos(phi0) * np.cos(phi) * np.cos(lam), -1.0, 1.0
        )
        c = np.arccos(cos_c)
        sin_c = np.sin(c)
        k = np.where(c < 1e-12, 1.0, c / np.where(sin_c == 0.0, 1.0, sin_c))
        x = EARTH_RADIUS_M * k * np.cos(phi) * np.sin(lam)
        y = (
            EARTH_RADIUS_M
            * k
            * (math.cos(phi0) * np.sin(phi) - math.sin(phi0) * np.cos(phi) * np.cos(lam))
        )
        return np.column_stack([x, y])

    def inverse(self, xy: _FloatArray) -> _FloatArray:
        """``(N, 2)`` array of x, y (metres) → ``(N, 2)`` array of lon, lat (degrees)."""
        x, y = xy[:, 0], xy[:, 1]
        rho = np.hypot(x, y)
        c = rho / EARTH_RADIUS_M
        phi0 = math.radians(self.lat0)
        safe_rho = np.where(rho == 0.0, 1.0, rho)
        sin_c, cos_c = np.sin(c), np.cos(c)
        phi = np.arcsin(
            np.clip(cos_c * math.sin(phi0) + y * sin_c * math.cos(phi0) / safe_rho, -1.0, 1.0)
        )
        lam = np.arctan2(x * sin_c, rho * math.cos(phi0) * cos_c - y * math.sin(phi0) * sin_c)
        lon = np.where(rho == 0.0, self.lon0, self.lon0 + np.degrees(lam))
        lat = np.where(rho == 0.0, self.lat0, np.degrees(phi))
        return np.column_stack([lon, lat])

    def to_metric(self, geometry: BaseGeometry) -> BaseGeometry:
        return shapely.transform(geometry, self.forward)

    def to_wgs84(self, geometry: BaseGeometry) -> BaseGeometry:
        return shapely.transform(geometry, self.inverse)

    def point(self, lon: float, lat: float) -> Point:
        x, y = self.forward(np.array([[lon, lat]], dtype=np.float64))[0]
        return Point(float(x), float(y))


# --- records ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferenceLine:
    """A line a zone is measured from (a road). Digitised lines are always ``approximate``."""

    geometry: LineString  # WGS84, (lon, lat)
    method: str
    approximate: bool = True
    sources: tuple[str, ...] = ()
    id: str = ""


@dataclass(frozen=True)
class ZoneGeometry:
    id: str
    geometry: BaseGeometry  # WGS84, (lon, lat)
    approximate: bool
    method: str
    status: str  # delineated | approximate | …, as the agreement says


@dataclass(frozen=True)
class Checkpoint:
    name: str
    lon: float
    lat: float
    distance_to_line_m: float


@dataclass(frozen=True)
class Corridor:
    geometry: Polygon  # WGS84
    width_m: float
    checkpoints: tuple[Checkpoint, ...]
    approximate: bool
    method: str


@dataclass(frozen=True)
class BandResult:
    result: Outcome
    distance_m: float | None  # distance of the recorded position from the line (metres)
    reason: str


@dataclass(frozen=True)
class AirspaceResult:
    result: Outcome
    reason: str


# --- construction -------------------------------------------------------------------------


def reference_line_from_points(
    points: Sequence[tuple[float, float]],
    method: str,
    *,
    sources: Iterable[str] = (),
    id: str = "",
) -> ReferenceLine:
    """An approximate line through gazetteer points given as ``(lon, lat)``, in order."""
    if len(points) < 2:
        raise ComplianceError(
            f"A reference line needs at least two points; got {len(points)}. "
            "Give the points in order along the feature as (lon, lat)."
        )
    for lon, lat in points:
        if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
            raise ComplianceError(f"Point ({lon}, {lat}) is not a (lon, lat) pair in degrees.")
    if not method.strip():
        raise ComplianceError("An approximate reference line must say how it was digitised.")
    return ReferenceLine(
        geometry=LineString(points),
        method=method,
        approximate=True,
        sources=tuple(sources),
        id=id,
    )


def load_reference_line(path: str | Path | None = None) -> ReferenceLine:
    """Read a one-feature GeoJSON line (default: the packaged Castello Road reference)."""
    if path is None:
        text = (
            resources.files("ceasefire")
            .joinpath("data/zones/castello_reference.geojson")
            .read_text(encoding="utf-8")
        )
        where = "ceasefire/data/zones/castello_reference.geojson"
    else:
        text = Path(path).read_text(encoding="utf-8")
        where = str(path)
    doc: dict[str, Any] = json.loads(text)
    features = doc.get("features", [doc])
    if len(features) != 1 or features[0].get("geometry", {}).get("type") != "LineString":
        raise ComplianceError(f"{where}: expected one LineString feature.")
    feature = features[0]
    props: dict[str, Any] = feature.get("properties") or {}
    return ReferenceLine(
        geometry=LineString(feature["geometry"]["coordinates"]),
        method=str(props.get("method", "")),
        approximate=bool(props.get("approximate", True)),
        sources=tuple(str(s) for s in props.get("sources", ())),
        id=str(props.get("id", "")),
    )


def packaged_line_path(name: str) -> Path:
    """The packaged reference line ``name`` (``ceasefire/data/zones/<name>.geojson``)."""
    return Path(str(resources.files("ceasefire") / "data" / "zones" / f"{name}.geojson"))


def zone_geometry(zone: Zone, *, method: str = "") -> ZoneGeometry | None:
    """The agreement zone's geometry as a :class:`ZoneGeometry`, or ``None`` if it has none."""
    if zone.geometry is None:
        return None
    return ZoneGeometry(
        id=zone.id,
        geometry=shape(zone.geometry),
        approximate=zone.status != "delineated",
        method=method or f"geometry given in the agreement (status {zone.status})",
        status=zone.status,
    )


def _line_geometry(line: ReferenceLine | LineString) -> LineString:
    return line.geometry if isinstance(line, ReferenceLine) else line


def _side_sign(line_m: LineString, side: str) -> int:
    """+1 if ``side`` is the line's left-hand side (shapely's positive single-sided buffer)."""
    if side not in _SIDES:
        raise ComplianceError(f"Side {side!r} is not one of {', '.join(_SIDES)}.")
    probe = max(line_m.length / 4.0, 1.0)
    left = shapely.buffer(line_m, probe, single_sided=True).centroid
    base = line_m.centroid
    dx, dy = left.x - base.x, left.y - base.y
    along, across = (dy, dx) if side in ("north", "south") else (dx, dy)
    if abs(along) <= abs(across):
        raise ComplianceError(
            f"The line has no clear {side} side (its sides face more "
            f"{'east/west' if side in ('north', 'south') else 'north/south'}); "
            "state the rule's side accordingly."
        )
    left_is_positive = along > 0
    positive = side in ("north", "east")
    return 1 if left_is_positive == positive else -1


def side_band(line: ReferenceLine | LineString, side: Side, distance_m: float) -> Polygon:
    """The area on ``side`` of the line up to ``distance_m`` (WGS84 polygon, flat ends)."""
    if distance_m <= 0:
        raise ComplianceError(f"A band distance must be positive; got {distance_m} m.")
    geom = _line_geometry(line)
    frame = LocalFrame.around(geom)
    line_m = frame.to_metric(geom)
    assert isinstance(line_m, LineString)
    sign = _side_sign(line_m, side)
    band = shapely.buffer(line_m, sign * distance_m, single_sided=True)
    out = frame.to_wgs84(band)
    assert isinstance(out, Polygon)
    return out


def buffer_zone(geometry: BaseGeometry, distance_m: float) -> BaseGeometry:
    """Everything within ``distance_m`` of ``geometry`` (WGS84 in, WGS84 out)."""
    frame = LocalFrame.around(geometry)
    return frame.to_wgs84(frame.to_metric(geometry).buffer(distance_m))


def corridor(
    line: ReferenceLine | LineString,
    width_m: float,
    checkpoints: Sequence[tuple[str, float, float]],
) -> Corridor:
    """A corridor ``width_m`` wide in total (half each side) along the line, with its
    checkpoints given as ``(name, lon, lat)`` and their distance from the line."""
    geom = _line_geometry(line)
    frame = LocalFrame.around(geom)
    line_m = frame.to_metric(geom)
    area = frame.to_wgs84(line_m.buffer(width_m / 2.0, cap_style="flat"))
    assert isinstance(area, Polygon)
    cps = tuple(
        Checkpoint(name, lon, lat, float(line_m.distance(frame.point(lon, lat))))
        for name, lon, lat in checkpoints
    )
    approximate = line.approximate if isinstance(line, ReferenceLine) else True
    method = line.method if isinstance(line, ReferenceLine) else "line given without a method"
    return Corridor(area, width_m, cps, approximate, method)


# --- evaluation ---------------------------------------------------------------------------


def precision_radius_m(where_prec: int | None) -> float:
    """Radius (m) of the disc a UCDP ``where_prec`` code places an event in.

    From the UCDP GED codebook (19.1) definitions: 1 exact location → 1 km (a village or
    neighbourhood point, not a building); 2 "within ~25 km of a known point" → 25 km; 3 second
    order administrative division → 50 km; 4 first order division → 100 km; 5 (a part of the
    country or a linear feature), 6 (country), 7 (international waters/airspace), unknown or
    missing → infinity: such a record cannot place anything inside or outside a band.
    """
    radii = {1: 1_000.0, 2: 25_000.0, 3: 50_000.0, 4: 100_000.0}
    if where_prec is None:
        return math.inf
    return radii.get(where_prec, math.inf)


def _position(line_m: LineString, p: Point) -> tuple[float, int | None]:
    """Distance from the line and the side (+1 left, -1 right, None beyond an end)."""
    coords = np.asarray(line_m.coords, dtype=np.float64)
    seg = np.diff(coords, axis=0)
    lengths = np.hypot(seg[:, 0], seg[:, 1])
    cum = np.concatenate([[0.0], np.cumsum(lengths)])
    s = float(line_m.project(p))
    i = min(max(bisect_right(cum.tolist(), s) - 1, 0), len(seg) - 1)
    q = line_m.interpolate(s)
    vx, vy = p.x - q.x, p.y - q.y
    d = float(math.hypot(vx, vy))
    tol = 1e-6 * max(1.0, float(cum[-1]))
    t0, t1 = seg[0] / lengths[0], seg[-1] / lengths[-1]
    if (s <= tol and vx * t0[0] + vy * t0[1] < -tol) or (
        s >= cum[-1] - tol and vx * t1[0] + vy * t1[1] > tol
    ):
        return d, None
    cross = seg[i][0] * vy - seg[i][1] * vx
    if abs(cross) <= tol * lengths[i]:
        return d, 0  # on the line
    return d, 1 if cross > 0 else -1


def evaluate_band(
    rule_distance_m: float,
    side: Side,
    line: ReferenceLine | LineString,
    point_lon: float,
    point_lat: float,
    radius_m: float,
    weapon_class: str,
    rule_weapon_classes: Iterable[str],
    *,
    line_uncertainty_m: float = 0.0,
) -> BandResult:
    """Is a recorded position of ``weapon_class`` inside the band the rule keeps clear?

    ``radius_m`` is the position's uncertainty (see :func:`precision_radius_m`);
    ``line_uncertainty_m`` widens it for a line's own error (default 0: the line as given).
    """
    classes = tuple(rule_weapon_classes)
    if weapon_class not in classes:
        return BandResult(
            Outcome.NOT_APPLICABLE,
            None,
            f"The rule covers {', '.join(classes) or 'no class'}, not {weapon_class}.",
        )
    geom = _line_geometry(line)
    frame = LocalFrame.around(geom)
    line_m = frame.to_metric(geom)
    assert isinstance(line_m, LineString)
    sign = _side_sign(line_m, side)
    d, where = _position(line_m, frame.point(point_lon, point_lat))
    r = radius_m + line_uncertainty_m
    band = rule_distance_m
    basis = ""
    if isinstance(line, ReferenceLine) and line.approximate:
        basis = f" Measured from an approximate line ({line.method})."
    if math.isinf(r):
        return BandResult(
            Outcome.UNDETERMINED,
            d,
            "The position's precision is too coarse to place it relative to the band." + basis,
        )
    if where in (1, -1) and d > r:
        if where != sign:
            return BandResult(
                Outcome.NOT_APPLICABLE,
                d,
                f"The position lies on the other side of the line from the {side} band this "
                "rule sets; another rule may cover that side." + basis,
            )
        if d - r >= band:
            return BandResult(
                Outcome.NOT_VIOLATION,
                d,
                f"{d:,.0f} m {side} of the line, ±{r:,.0f} m: outside the {band:,.0f} m band."
                + basis,
            )
    elif d - r >= band:
        return BandResult(
            Outcome.NOT_VIOLATION,
            d,
            f"{d:,.0f} m from the line (beyond its end), ±{r:,.0f} m: farther than the "
            f"{band:,.0f} m band on either side." + basis,
        )
    else:
        why = "beyond the end of the line" if where is None else "its uncertainty reaches the line"
        return BandResult(
            Outcome.UNDETERMINED,
            d,
            f"{d:,.0f} m from the line, ±{r:,.0f} m, {why}: its side cannot be told." + basis,
        )
    if d + r < band:
        return BandResult(
            Outcome.VIOLATION,
            d,
            f"{d:,.0f} m {side} of the line, ±{r:,.0f} m: inside the {band:,.0f} m band." + basis,
        )
    return BandResult(
        Outcome.UNDETERMINED,
        d,
        f"{d:,.0f} m {side} of the line, ±{r:,.0f} m: the uncertainty straddles the "
        f"{band:,.0f} m band edge; not guessed." + basis,
    )


def evaluate_zone_rule(
    rule: ZoneRule,
    line: ReferenceLine | LineString | None,
    point_lon: float | None,
    point_lat: float | None,
    radius_m: float,
    weapon_class: str,
    *,
    line_uncertainty_m: float = 0.0,
) -> BandResult:
    """:func:`evaluate_band` for an agreement :class:`ZoneRule` (bearer checked by the caller)."""
    if rule.min_distance_m is None or rule.side not in _SIDES:
        return BandResult(
            Outcome.CANNOT_EVALUATE,
            None,
            f"The rule states no distance and side ({rule.text or 'no text'}).",
        )
    if line is None:
        return BandResult(Outcome.CANNOT_EVALUATE, None, "The zone has no reference line.")
    if point_lon is None or point_lat is None:
        return BandResult(Outcome.CANNOT_EVALUATE, None, "The record has no coordinates.")
    side: Side = rule.side  # type: ignore[assignment]  # checked against _SIDES above
    return evaluate_band(
        rule.min_distance_m,
        side,
        line,
        point_lon,
        point_lat,
        radius_m,
        weapon_class,
        rule.weapon_classes,
        line_uncertainty_m=line_uncertainty_m,
    )


def airspace_rule(
    zone: ZoneGeometry | None,
    phase_active: bool,
    actor_is_restricted: bool,
    point: tuple[float, float] | None,
    radius_m: float,
) -> AirspaceResult:
    """Restricted airspace: is a recorded air activity ``point`` ``(lon, lat)`` inside it?"""
    if not phase_active:
        return AirspaceResult(
            Outcome.NOT_EVALUATED, "Not evaluated: the restriction's phase is inactive."
        )
    if not actor_is_restricted:
        return AirspaceResult(Outcome.NOT_APPLICABLE, "The actor is not restricted here.")
    if zone is None:
        return AirspaceResult(
            Outcome.CANNOT_EVALUATE,
            "The restricted area has no geometry (not delineated or not published).",
        )
    if point is None:
        return AirspaceResult(Outcome.CANNOT_EVALUATE, "The record has no coordinates.")
    if math.isinf(radius_m):
        return AirspaceResult(
            Outcome.UNDETERMINED, "The position's precision is too coarse to place it."
        )
    frame = LocalFrame(lon0=point[0], lat0=point[1])
    area = frame.to_metric(zone.geometry)
    disc = Point(0.0, 0.0).buffer(radius_m) if radius_m > 0 else Point(0.0, 0.0)
    note = f" Zone geometry is approximate ({zone.method})." if zone.approximate else ""
    if area.contains(disc):
        return AirspaceResult(
            Outcome.VIOLATION, f"Inside the restricted area (±{radius_m:,.0f} m)." + note
        )
    if area.disjoint(disc):
        return AirspaceResult(
            Outcome.NOT_VIOLATION, f"Outside the restricted area (±{radius_m:,.0f} m)." + note
        )
    return AirspaceResult(
        Outcome.UNDETERMINED,
        f"The position's uncertainty (±{radius_m:,.0f} m) crosses the area's edge; not guessed."
        + note,
    )
