"""An agreement's zones as RFC 7946 GeoJSON: geometries, reference lines and their bands.

Zones without geometry are kept as features with ``geometry: null`` and their status, so a map
shows that they exist but were never delineated.  Bands drawn from an approximate reference line
carry ``approximate: true`` and the method.
"""

from __future__ import annotations

from typing import Any

from shapely.geometry import mapping
from shapely.geometry.polygon import orient

from ceasefire.geo.zones import Side, load_reference_line, packaged_line_path, side_band
from ceasefire.model.agreement import Agreement

__all__ = ["zones_geojson"]


def _round(coords: Any) -> Any:
    if isinstance(coords, (list, tuple)) and coords and isinstance(coords[0], (int, float)):
        return [round(float(c), 6) for c in coords]
    return [_round(c) for c in coords]


def _geometry(geom: Any) -> dict[str, Any]:
    if geom.geom_type == "Polygon":
        geom = orient(geom, 1.0)
    data = mapping(geom)
    return {"type": data["type"], "coordinates": _round(data["coordinates"])}


def zones_geojson(agreement: Agreement) -> dict[str, Any]:
    from ceasefire.geo.areas import zone_shapes

    shapes = zone_shapes(agreement)
    features: list[dict[str, Any]] = []
    for zone in agreement.zones:
        base = {"zone": zone.id, "type": zone.type, "title": zone.title, "status": zone.status,
                "active_in": list(agreement.zone_phases(zone.id)), "refs": list(zone.refs)}  # fmt: skip
        zs = shapes[zone.id]
        drawn = zs.certain is not None or (zone.type == "contact_line" and zs.possible is not None)
        if drawn and zs.possible is not None:
            how = {"approximate": zs.approximate, "method": zs.method}
            part = "zone" if zs.certain is not None else "line"
            features.append({"type": "Feature", "id": zone.id, "properties": {**base, **how, "part": part},
                             "geometry": _geometry(zs.possible)})  # fmt: skip
            if zs.certain is not None and not zs.certain.equals(zs.possible):
                features.append({"type": "Feature", "id": f"{zone.id}/certain",
                                 "properties": {**base, **how, "part": "certain"},
                                 "geometry": _geometry(zs.certain)})  # fmt: skip
        elif zone.reference_line is None:
            # listed, not drawn: never delineated (the admin areas it lies in are only a bound)
            features.append({"type": "Feature", "id": zone.id, "geometry": None,
                             "properties": {**base, "part": "zone", "note": "no geometry: " + zone.status,
                                            "within": list(zone.within)}})  # fmt: skip
        if zone.reference_line is None:
            continue
        line = load_reference_line(packaged_line_path(zone.reference_line))
        approx = {"approximate": line.approximate, "method": line.method}
        features.append({"type": "Feature", "id": f"{zone.id}/line",
                         "properties": {**base, **approx, "part": "reference_line"},
                         "geometry": _geometry(line.geometry)})  # fmt: skip
        for n, rule in enumerate(zone.rules):
            if rule.min_distance_m is None or rule.side not in ("north", "south", "east", "west"):
                continue
            side: Side = rule.side  # type: ignore[assignment]
            band = side_band(line, side, rule.min_distance_m)
            features.append({
                "type": "Feature", "id": f"{zone.id}/band/{n}",
                "properties": {**base, **approx, "part": "band", "bearer": rule.bearer, "side": rule.side,
                               "weapon_classes": list(rule.weapon_classes), "min_distance_m": rule.min_distance_m,
                               "rule_refs": list(rule.refs)},
                "geometry": _geometry(band),
            })  # fmt: skip
    return {"type": "FeatureCollection", "features": features}
