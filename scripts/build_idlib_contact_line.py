"""Build ``ceasefire/data/agreements/syria-2018-09.zones.geojson``: an APPROXIMATE Idlib contact line.

No official map of the line of contact around the Idlib de-escalation area was published with the
Sochi memorandum of 17 September 2018 (UN doc S/2018/852), so the line is derived, not digitised:

1. the area is the union of the OCHA admin units (P-codes) listed for the zone ``idlib_area`` in
   ``syria-2018-09.yaml`` (read from the agreement file, never typed in here), built with
   :func:`ceasefire.geo.admin.admin_units` from the bundled ``ceasefire/data/boundaries``;
2. Syria's outer border (admin0) is the boundary of the union of the 14 bundled governorates;
3. the contact line is the area's boundary minus the part that lies within ``BORDER_TOLERANCE``
   degrees of that border (the Turkish border segment: the area touches no other border) and
   minus the part shared with the units in ``NOT_FACING_GOVERNMENT`` — Afrin district (SY0203),
   held by Turkey and the Syrian National Army from 18 March 2018, so in September 2018 a
   boundary between the area and other non-government ground, not a line of contact with the
   government (the agreement file's zone ``method`` gives the source);
4. the remaining pieces are merged; pieces shorter than ``MIN_PIECE_DEGREES`` (slivers where the
   two simplified boundaries part for a few metres) are dropped, then the line is snapped to a
   1e-6 degree grid and normalised so that the output is byte-for-byte reproducible.

The line is therefore the edge of a union of sub-districts, not the front line itself: it is off
the real front wherever a sub-district was split by it (see the zone's ``method`` in the agreement
file). It is for judging incidents against the 15-20 km band, not for anything finer.

Deterministic output (sorted keys, fixed rounding, no timestamps). Run:
``.venv/bin/python scripts/build_idlib_contact_line.py [--agreement FILE] [--out FILE]``
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

import shapely
import yaml
from shapely.geometry import mapping

from ceasefire.geo.admin import admin_units

ROOT = Path(__file__).resolve().parents[1]
AGREEMENT = ROOT / "ceasefire" / "data" / "agreements" / "syria-2018-09.yaml"
OUT = ROOT / "ceasefire" / "data" / "agreements" / "syria-2018-09.zones.geojson"
AREA_ZONE = "idlib_area"
FEATURE_ID = "idlib_contact_line"
# Degrees. Governorates are simplified at 0.0005 and sub-districts at 0.0002 (boundaries manifest),
# so the area's edge and the national outline may part by up to ~0.0007 where they are the same
# border; 0.002 (about 200 m) removes the shared border with a margin and nothing else.
BORDER_TOLERANCE = 0.002
# Admin units next to the area that were not government-held in September 2018: the area's edge
# with them is not a line of contact with the government.
NOT_FACING_GOVERNMENT = ("SY0203",)  # Afrin district
MIN_PIECE_DEGREES = 0.01  # about 1 km
GRID = 1e-6
LOG = logging.getLogger("build_idlib_contact_line")


def area_pcodes(agreement: Path) -> list[str]:
    """The P-codes of the zone ``idlib_area`` as the agreement file lists them."""
    doc = yaml.safe_load(agreement.read_text(encoding="utf-8"))
    for zone in doc["agreement"]["zones"]:
        if zone["id"] == AREA_ZONE:
            pcodes = zone.get("pcodes") or []
            if not pcodes:
                raise SystemExit(f"{agreement}: zone {AREA_ZONE!r} lists no pcodes.")
            return [str(p) for p in pcodes]
    raise SystemExit(f"{agreement}: no zone {AREA_ZONE!r}; the agreement file changed.")


def contact_line(pcodes: list[str]) -> tuple[Any, dict[str, Any]]:
    """The area's boundary minus the national border, merged, cleaned, snapped and normalised."""
    units = admin_units()
    area = units.union(pcodes)
    outline = units.union([u.pcode for u in units.units(1)]).boundary
    near_border = outline.buffer(BORDER_TOLERANCE)
    neighbours = units.union(list(NOT_FACING_GOVERNMENT)).boundary
    near_neighbours = neighbours.buffer(BORDER_TOLERANCE)
    edge = area.boundary
    merged = shapely.line_merge(edge.difference(near_border).difference(near_neighbours))
    pieces = [p for p in getattr(merged, "geoms", [merged]) if p.length >= MIN_PIECE_DEGREES]
    if not pieces:
        raise SystemExit("The area's boundary lies entirely on the national border.")
    line = pieces[0] if len(pieces) == 1 else shapely.MultiLineString(pieces)
    line = shapely.normalize(shapely.set_precision(line, GRID))
    stats = {
        "area_boundary_degrees": round(edge.length, 6),
        "border_part_degrees": round(edge.intersection(near_border).length, 6),
        "non_government_neighbour_part_degrees": round(
            edge.difference(near_border).intersection(near_neighbours).length, 6
        ),
        "contact_line_degrees": round(line.length, 6),
        "pieces": len(pieces),
    }
    return line, stats


def build(agreement: Path) -> dict[str, Any]:
    pcodes = area_pcodes(agreement)
    line, stats = contact_line(pcodes)
    feature = {
        "type": "Feature",
        "id": FEATURE_ID,
        "geometry": mapping(line),
        "properties": {
            "id": FEATURE_ID,
            "approximate": True,
            "area_zone": AREA_ZONE,
            "area_pcodes": sorted(pcodes),
            "method": (
                "boundary of the union of the OCHA COD-AB v02 units listed for idlib_area in "
                f"syria-2018-09.yaml, minus the part within {BORDER_TOLERANCE} degrees of "
                "Syria's outer border (boundary of the union of the 14 bundled governorates) "
                f"and of the units {', '.join(NOT_FACING_GOVERNMENT)} (not government-held in "
                f"September 2018); pieces shorter than {MIN_PIECE_DEGREES} degrees dropped; "
                f"snapped to {GRID} "
                "degrees; built by scripts/build_idlib_contact_line.py"
            ),
            "caveat": (
                "Derived from admin-unit edges, not from a map of the front: where a sub-district "
                "was split by the front the line follows the unit's edge instead. No official map "
                "of the line was published. Not a delineation."
            ),
            "stats": stats,
        },
    }
    return {"type": "FeatureCollection", "features": [feature]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agreement", type=Path, default=AGREEMENT)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    doc = build(args.agreement)
    stats = doc["features"][0]["properties"]["stats"]
    LOG.info(
        "area boundary %.4f deg; removed: border %.4f deg, non-government neighbours %.4f deg; "
        "contact line %.4f deg in %d piece(s)",
        stats["area_boundary_degrees"],
        stats["border_part_degrees"],
        stats["non_government_neighbour_part_degrees"],
        stats["contact_line_degrees"],
        stats["pieces"],
    )
    args.out.write_text(
        json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    LOG.info("wrote %s", args.out)


if __name__ == "__main__":
    main()
