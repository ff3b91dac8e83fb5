"""Build ``ceasefire/data/zones/castello_reference.geojson``: an APPROXIMATE Castello Road line.

No road geometry is among the shared inputs, so the line is digitised from gazetteer points:
every vertex is a named row of a shared file (see ``--shared``/gazetteer and its PROVENANCE.md),
read here, never typed in. West to east:

* ``Kafr Hamrah village`` — UCDP GED place name, where_prec 1 (the north-western end of the road)
* ``Alleramoon`` (N0121) — OCHA COD-AB neighbourhood, Layramoun, south of the road
* ``Youth Housing`` (N0119) — OCHA neighbourhood (Bani Zeid youth housing), south of the road
* ``Ash-Sheikh Maqsoud`` (N0123) — OCHA neighbourhood by the Jandoul end of the road

Neighbourhood points are representative points of polygons that *adjoin* the road, not points
on it: the line may be off the real road by a kilometre or more. Mallah farms and Handarat lie
north of the road (they are where the northern band falls), so they are not used as vertices.
Check the line against a map before relying on it for anything but a synthetic test.

Deterministic output (sorted keys). Run:
``.venv/bin/python scripts/build_castello_reference.py [--shared DIR] [--out FILE]``
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOG = logging.getLogger("build_castello_reference")


@dataclass(frozen=True)
class Pick:
    file: str  # under gazetteer/
    key: str  # column to match
    value: str
    name_column: str
    lat_column: str
    lon_column: str
    also: tuple[tuple[str, str], ...] = ()  # further column == value filters


PICKS = (
    Pick(
        "ucdp_ged_syria_place_names_derived.csv",
        "where_coordinates",
        "Kafr Hamrah village",
        "where_coordinates",
        "latitude",
        "longitude",
        (("where_prec", "1"),),
    ),
    Pick("syria_gazetteer_combined.csv", "source_id", "N0121", "name", "lat", "lon"),
    Pick("syria_gazetteer_combined.csv", "source_id", "N0119", "name", "lat", "lon"),
    Pick("syria_gazetteer_combined.csv", "source_id", "N0123", "name", "lat", "lon"),
)

SOURCES = {
    "syria_gazetteer_combined.csv": "OCHA COD-AB Syria neighbourhoods (v02, 2016-09-05), "
    "representative points, via shared/data/gazetteer/syria_gazetteer_combined.csv",
    "ucdp_ged_syria_place_names_derived.csv": "UCDP GED place names "
    "(shared/data/gazetteer/ucdp_ged_syria_place_names_derived.csv)",
}


def read_vertex(shared: Path, pick: Pick) -> dict[str, object]:
    path = shared / "gazetteer" / pick.file
    with path.open(encoding="utf-8", newline="") as fh:
        for line_no, row in enumerate(csv.DictReader(fh), start=2):
            if row[pick.key] != pick.value:
                continue
            if any(row[col] != val for col, val in pick.also):
                continue
            return {
                "name": row[pick.name_column],
                "lon": float(row[pick.lon_column]),
                "lat": float(row[pick.lat_column]),
                "file": f"gazetteer/{pick.file}",
                "line": line_no,
                "match": f"{pick.key}={pick.value}" + "".join(f", {c}={v}" for c, v in pick.also),
            }
    raise SystemExit(f"{path}: no row with {pick.key}={pick.value!r}; the shared file changed.")


def build(shared: Path) -> dict[str, object]:
    vertices = [read_vertex(shared, pick) for pick in PICKS]
    names = ", ".join(str(v["name"]) for v in vertices)
    feature = {
        "type": "Feature",
        "geometry": {
            "type": "LineString",
            "coordinates": [[v["lon"], v["lat"]] for v in vertices],
        },
        "properties": {
            "id": "castello_road_reference",
            "feature": "Castello Road, north of Aleppo",
            "approximate": True,
            "method": f"digitised from gazetteer points: {names} (west to east)",
            "caveat": "Neighbourhood points adjoin the road rather than lie on it; the line "
            "may be off the real road by a kilometre or more. Not a delineation.",
            "sources": sorted({SOURCES[p.file] for p in PICKS}),
            "vertices": vertices,
        },
    }
    return {"type": "FeatureCollection", "features": [feature]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path("/work/shared/data"))
    parser.add_argument(
        "--out", type=Path, default=ROOT / "ceasefire/data/zones/castello_reference.geojson"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    doc = build(args.shared)
    for v in doc["features"][0]["properties"]["vertices"]:  # type: ignore[index]
        LOG.info(
            "vertex %s (lon %s, lat %s) from %s line %s [%s]",
            v["name"],
            v["lon"],
            v["lat"],
            v["file"],
            v["line"],
            v["match"],
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    LOG.info("wrote %s", args.out)


if __name__ == "__main__":
    main()
