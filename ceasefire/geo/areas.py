"""Where an incident lies relative to an agreement's zones, within the precision of its place.

A zone's shape has a *certain* part and a *possible* part: equal for a mapped area, different for
a band whose depth is given as a range (a 15–20 km demilitarised zone is certainly the first 15 km
and possibly the next 5).  Zones come from inline or file GeoJSON, from OCHA admin units by
P-code (:mod:`ceasefire.geo.admin`), or as a band along a contact line inside another zone.

An incident's *footprint* is the area it may have happened in: the disc of a stated radius, the
disc of UCDP's ``where_prec`` around the coded point, or — when the source codes the place only to
a district or governorate — that admin unit's polygon.  The footprint is *inside* a zone when the
zone's certain part holds it, *outside* when it does not touch the possible part, and otherwise
*straddles* the edge: undetermined, never guessed.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from ceasefire.geo.zones import EARTH_RADIUS_M, buffer_zone, precision_radius_m
from ceasefire.model.agreement import Agreement, Zone
from ceasefire.model.incidents import Place

__all__ = [
    "Footprint",
    "Relation",
    "ZoneShape",
    "admin_pcode",
    "footprint",
    "prime",
    "relate",
    "zone_shapes",
]

# Share of a footprint's area allowed across a simplified boundary before it counts as crossing it
# (OCHA boundaries are simplified to ~50 m; a district's own polygon must count as inside the
# union of the districts it belongs to).
EDGE_TOLERANCE = 0.002
POINT_RADIUS_M = 50.0  # an exact point still has the width of a place


class Relation(enum.StrEnum):
    INSIDE = "inside"
    OUTSIDE = "outside"
    STRADDLES = "straddles"
    UNKNOWN = "unknown"  # the zone has no geometry
    UNPLACED = "unplaced"  # the place is known too coarsely


@dataclass(frozen=True)
class ZoneShape:
    zone: str
    certain: BaseGeometry | None
    possible: BaseGeometry | None
    approximate: bool
    method: str
    reason: str = ""  # why there is no shape

    @property
    def mapped(self) -> bool:
        return self.certain is not None


@dataclass(frozen=True)
class Footprint:
    geometry: BaseGeometry | None
    describe: str  # "±25,000 m around (36.2, 37.1)", "district SY0703 (coded to the district)"
    key: tuple[Any, ...] = ()


def zone_shapes(agreement: Agreement) -> dict[str, ZoneShape]:
    """The shape of every zone of ``agreement`` (built once, kept in the agreement's memo)."""
    cached: dict[str, ZoneShape] | None = agreement.cache.get("zone_shapes")
    if cached is None:
        cached = {}
        for zone in agreement.zones:
            cached[zone.id] = _shape(agreement, zone, cached)
        agreement.cache["zone_shapes"] = cached
    return cached


def _shape(agreement: Agreement, zone: Zone, done: dict[str, ZoneShape]) -> ZoneShape:
    approximate = zone.status != "delineated"
    if zone.geometry is not None:
        geom = shape(zone.geometry)
        method = zone.method or f"geometry given with the agreement ({zone.status})"
        if zone.type == "contact_line":
            return ZoneShape(zone.id, None, geom, approximate, method, "a line, not an area")
        return _prepared(ZoneShape(zone.id, geom, geom, approximate, method))
    if zone.pcodes:
        from ceasefire.geo.admin import admin_units

        geom = admin_units().union(zone.pcodes)
        method = zone.method or f"union of OCHA admin units {', '.join(zone.pcodes)}"
        return _prepared(ZoneShape(zone.id, geom, geom, approximate, method))
    if zone.band is not None:
        line_zone = agreement.zone(zone.band.line)
        line = shape(line_zone.geometry) if line_zone.geometry is not None else None
        if line is None:
            return ZoneShape(
                zone.id, None, None, True, "", f"its contact line {line_zone.id} has no geometry"
            )
        certain = buffer_zone(line, zone.band.depth_min_m)
        possible = buffer_zone(line, zone.band.depth_max_m)
        within = zone.band.within
        if within is not None:
            parent = done.get(within) or _shape(agreement, agreement.zone(within), done)
            if parent.certain is None or parent.possible is None:
                return ZoneShape(
                    zone.id, None, None, True, "", f"the zone it lies in ({within}) has no geometry"
                )
            certain = certain.intersection(parent.certain)
            possible = possible.intersection(parent.possible)
        method = zone.method or (
            f"{zone.band.depth_min_m / 1000:g}–{zone.band.depth_max_m / 1000:g} km band along "
            f"{line_zone.id}" + (f" inside {within}" if within else "")
        )
        return _prepared(ZoneShape(zone.id, certain, possible, True, method))
    if zone.reference_line is not None:
        return ZoneShape(
            zone.id, None, None, True, "", "measured by its distance bands from a reference line"
        )
    reason = f"the zone has no geometry (status: {zone.status})"
    if zone.within:
        # no geometry, but the admin areas it lies in: an incident clearly outside them is
        # outside the zone; inside them, whether it is in the zone cannot be evaluated
        from ceasefire.geo.admin import admin_units

        units = admin_units()
        codes = [units.pcode_for_name(w) or w for w in zone.within]
        known = [c for c in codes if c in units]
        if known:
            lies = f"{reason}; it lies in {', '.join(known)}"
            return ZoneShape(zone.id, None, units.union(known), approximate, "", lies)
    return ZoneShape(zone.id, None, None, approximate, "", reason)


def _prepared(zs: ZoneShape) -> ZoneShape:
    for geom in (zs.certain, zs.possible):
        if geom is not None:
            shapely.prepare(geom)
    return zs


def footprint(place: Place, cache: dict[Any, Footprint] | None = None) -> Footprint:
    """The area an incident at ``place`` may have happened in (``None`` geometry: unknown)."""
    key = _key(place)
    if cache is not None and key in cache:
        return cache[key]
    fp = _footprint(place, key)
    if cache is not None:
        cache[key] = fp
    return fp


def _footprint(place: Place, key: tuple[Any, ...]) -> Footprint:
    has_point = place.lat is not None and place.lon is not None
    if has_point and place.radius_m is not None:
        return _disc(place, max(place.radius_m, POINT_RADIUS_M), key)
    if place.precision in (3, 4):
        level = 2 if place.precision == 3 else 1
        unit = _admin_unit(place, level)
        if unit is not None:
            return Footprint(
                unit[1], f"admin unit {unit[0]} (the source codes the place only to it)", key
            )
    if has_point:
        radius = precision_radius_m(place.precision)
        if math.isfinite(radius):
            return _disc(place, radius, key)
    if not has_point and place.precision not in (5, 6, 7):
        unit = _admin_unit(place, 1)
        if unit is not None:
            return Footprint(unit[1], f"admin unit {unit[0]} (the place is known only to it)", key)
    return Footprint(None, "the place cannot be located precisely enough", key)


def _disc(place: Place, radius_m: float, key: tuple[Any, ...]) -> Footprint:
    assert place.lat is not None
    assert place.lon is not None
    (disc,) = _discs(np.array([place.lon]), np.array([place.lat]), np.array([radius_m]))
    return Footprint(disc, disc_description(place.lat, place.lon, radius_m), key)


def disc_description(lat: float, lon: float, radius_m: float) -> str:
    """How a disc footprint is named in findings (each place's own words)."""
    return f"±{radius_m:,.0f} m around ({lat:.4f}, {lon:.4f})"


def _admin_unit(place: Place, level: int) -> tuple[str, BaseGeometry] | None:
    from ceasefire.geo.admin import admin_units

    units = admin_units()
    adm1 = units.pcode_for_name(place.admin1, level=1) if place.admin1 else None
    if level == 1:
        code = adm1
    else:
        code = units.pcode_for_name(place.admin2, level=2, within=adm1) if place.admin2 else None
    if code is None:
        return None
    return code, units.unit(code).geometry


def admin_pcode(place: Place) -> str | None:
    """The governorate P-code of a place: from its coded name, else from its point."""
    from ceasefire.geo.admin import admin_units

    units = admin_units()
    if place.admin1:
        code: str | None = units.pcode_for_name(place.admin1, level=1)
        if code is not None:
            return code
    if place.lat is not None and place.lon is not None:
        located: str | None = units.locate(place.lon, place.lat).get(1)
        return located
    return None


def relate(zs: ZoneShape, fp: Footprint) -> tuple[Relation, str]:
    """Is the footprint inside the zone, outside it, or across its edge?"""
    if fp.geometry is None:
        return Relation.UNPLACED, fp.describe
    geom = fp.geometry
    if zs.possible is not None and zs.certain is None:
        if zs.possible.disjoint(geom):
            return Relation.OUTSIDE, f"{fp.describe} lies outside the admin areas of {zs.zone}"
        return Relation.UNKNOWN, zs.reason
    if zs.possible is None or zs.certain is None:
        return Relation.UNKNOWN, zs.reason or "the zone has no geometry"
    note = f" (zone approximate: {zs.method})" if zs.approximate else ""
    if zs.certain.contains(geom):
        return Relation.INSIDE, f"{fp.describe} lies inside {zs.zone}{note}"
    if zs.possible.disjoint(geom):
        return Relation.OUTSIDE, f"{fp.describe} lies outside {zs.zone}{note}"
    area = geom.area
    if area > 0:
        # the zone clipped to the footprint's box first: a large zone's edge near it is all
        # that matters, and the overlay is then cheap
        box = geom.bounds
        certain = shapely.clip_by_rect(zs.certain, *box)
        outside_share = 1.0 - geom.intersection(certain).area / area
        if outside_share <= EDGE_TOLERANCE:
            return Relation.INSIDE, f"{fp.describe} lies inside {zs.zone}{note}"
        inside_share = geom.intersection(shapely.clip_by_rect(zs.possible, *box)).area / area
        if inside_share <= EDGE_TOLERANCE:
            return Relation.OUTSIDE, f"{fp.describe} lies outside {zs.zone}{note}"
    return Relation.STRADDLES, f"{fp.describe} crosses the edge of {zs.zone}{note}; not guessed"


def union(geoms: list[BaseGeometry]) -> BaseGeometry:
    return unary_union(geoms)


def prime(agreement: Agreement, places: Iterable[Place]) -> None:
    """Footprints of many places and their relations to every zone at once (vectorised), kept in
    the agreement's memo where :func:`footprint` and the engine find them: the answers are the
    same as one by one, only computed together."""
    cache: dict[Any, Footprint] = agreement.cache.setdefault("footprints", {})
    todo: dict[tuple[Any, ...], Place] = {}
    for place in places:
        key = _key(place)
        if key not in cache and key not in todo:
            todo[key] = place
    discs = [(k, p) for k, p in todo.items() if _disc_radius(p) is not None]
    if discs:
        radii = np.array([_disc_radius(p) for _, p in discs], dtype=np.float64)
        lons = np.array([p.lon for _, p in discs], dtype=np.float64)
        lats = np.array([p.lat for _, p in discs], dtype=np.float64)
        polygons = _discs(lons, lats, radii)
        for (key, place), polygon, radius in zip(discs, polygons, radii.tolist(), strict=True):
            text = disc_description(place.lat or 0.0, place.lon or 0.0, radius)  # a disc has both
            cache[key] = Footprint(polygon, text, key)
    for key, place in todo.items():
        if key not in cache:
            cache[key] = _footprint(place, key)
    shapes = zone_shapes(agreement)
    memo: dict[Any, tuple[Relation, str]] = agreement.cache.setdefault("relations", {})
    fps = [fp for fp in {fp.key: fp for fp in cache.values()}.values() if fp.geometry is not None]
    for zone_id, zs in shapes.items():
        pending = [fp for fp in fps if (zone_id, fp.key) not in memo]
        if not pending or zs.possible is None:
            continue
        geoms = np.array([fp.geometry for fp in pending], dtype=object)
        outside = shapely.disjoint(zs.possible, geoms)
        inside = (
            shapely.contains(zs.certain, geoms)
            if zs.certain is not None
            else np.zeros(len(pending), bool)
        )
        note = f" (zone approximate: {zs.method})" if zs.approximate else ""
        for fp, out, ins in zip(pending, outside.tolist(), inside.tolist(), strict=True):
            if zs.certain is None:
                memo[(zone_id, fp.key)] = (
                    (Relation.OUTSIDE, f"{fp.describe} lies outside the admin areas of {zs.zone}")
                    if out else (Relation.UNKNOWN, zs.reason)
                )  # fmt: skip
            elif ins:
                memo[(zone_id, fp.key)] = (
                    Relation.INSIDE,
                    f"{fp.describe} lies inside {zs.zone}{note}",
                )
            elif out:
                memo[(zone_id, fp.key)] = (
                    Relation.OUTSIDE,
                    f"{fp.describe} lies outside {zs.zone}{note}",
                )
            else:
                memo[(zone_id, fp.key)] = relate(zs, fp)


def _key(place: Place) -> tuple[Any, ...]:
    return (place.lat, place.lon, place.radius_m, place.precision, place.admin1, place.admin2)


def disc_misses(
    bounds: tuple[float, float, float, float], lon: float, lat: float, radius: float
) -> bool:
    """True when a disc of ``radius`` metres round the point certainly misses ``bounds`` (min lon,
    min lat, max lon, max lat).  The disc's extent in degrees is over-estimated (2 % and a metre
    more, the longitude scale taken at the disc's edge nearer the pole), so a disc that might
    touch is never said to miss.  :func:`discs_miss` is the same bound over arrays."""
    half_lat = (radius * 1.02 + 1.0) / 111_000.0
    edge = min(abs(lat) + half_lat, 89.0)
    half_lon = (radius * 1.02 + 1.0) / (111_000.0 * math.cos(math.radians(edge)))
    min_lon, min_lat, max_lon, max_lat = bounds
    return (lon + half_lon < min_lon or lon - half_lon > max_lon
            or lat + half_lat < min_lat or lat - half_lat > max_lat)  # fmt: skip


def discs_miss(
    bounds: tuple[float, float, float, float],
    lons: NDArray[np.float64],
    lats: NDArray[np.float64],
    radii: NDArray[np.float64],
) -> NDArray[np.bool_]:
    """:func:`disc_misses` for many discs at once (a non-finite radius never misses)."""
    with np.errstate(invalid="ignore", over="ignore"):
        half_lat = (radii * 1.02 + 1.0) / 111_000.0
        edge = np.minimum(np.abs(lats) + half_lat, 89.0)
        half_lon = (radii * 1.02 + 1.0) / (111_000.0 * np.cos(np.radians(edge)))
        min_lon, min_lat, max_lon, max_lat = bounds
        miss = ((lons + half_lon < min_lon) | (lons - half_lon > max_lon)
                | (lats + half_lat < min_lat) | (lats - half_lat > max_lat))  # fmt: skip
    return np.asarray(miss & np.isfinite(radii), dtype=np.bool_)


def disc_radius(place: Place) -> float | None:
    """The radius of the disc a place's footprint is, or ``None`` when it is not a disc."""
    return _disc_radius(place)


def _disc_radius(place: Place) -> float | None:
    """The radius of the disc a place's footprint is, or ``None`` when it is not a disc."""
    if place.lat is None or place.lon is None:
        return None
    if place.radius_m is not None:
        return max(place.radius_m, POINT_RADIUS_M)
    if place.precision in (3, 4):
        return None  # the admin unit, when it resolves (see _footprint)
    radius = precision_radius_m(place.precision)
    return radius if math.isfinite(radius) else None


_TEMPLATE = np.column_stack(
    [np.cos(np.linspace(0.0, 2.0 * math.pi, 33)), np.sin(np.linspace(0.0, 2.0 * math.pi, 33))]
)


def _discs(
    lons: NDArray[np.float64], lats: NDArray[np.float64], radii: NDArray[np.float64]
) -> list[BaseGeometry]:
    """Discs of ``radii`` metres around each point, in WGS84: each in its own azimuthal-equidistant
    frame (as :class:`LocalFrame`), all at once."""
    x = _TEMPLATE[None, :, 0] * radii[:, None]
    y = _TEMPLATE[None, :, 1] * radii[:, None]
    rho = np.hypot(x, y)
    c = rho / EARTH_RADIUS_M
    phi0 = np.radians(lats)[:, None]
    safe = np.where(rho == 0.0, 1.0, rho)
    sin_c, cos_c = np.sin(c), np.cos(c)
    phi = np.arcsin(np.clip(cos_c * np.sin(phi0) + y * sin_c * np.cos(phi0) / safe, -1.0, 1.0))
    lam = np.arctan2(x * sin_c, rho * np.cos(phi0) * cos_c - y * np.sin(phi0) * sin_c)
    lon = lons[:, None] + np.degrees(lam)
    lat = np.degrees(phi)
    rings = np.stack([lon, lat], axis=-1)
    rings[:, -1, :] = rings[:, 0, :]  # closed exactly
    return list(shapely.polygons(rings))
