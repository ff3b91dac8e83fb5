"""Build ``ceasefire/data/boundaries/`` and ``ceasefire/data/control/`` from the shared data folder.

Writes (deterministic: sorted features, fixed key order, gzip mtime 0):

* ``boundaries/admin1.geojson.gz``               the 14 OCHA COD-AB governorates
* ``boundaries/admin2.geojson.gz``               the 62 districts (mintaqa)
* ``boundaries/admin3.geojson.gz``               the 272 sub-districts (nahiya)
* ``boundaries/aleppo_neighbourhoods.geojson.gz`` the 109 Aleppo-city neighbourhood polygons
  (OCHA layer rows with ``adm4_en == "Aleppo"``)
* ``boundaries/manifest.json``                   counts: features, geometries invalid in the
  source and repaired with ``shapely.make_valid``, geometries re-repaired after simplification
* ``control/aleppo_neighbourhood_control_2016.csv`` copied byte for byte (hand-labelled project
  data with source keys; see its ATTRIBUTION.md)

An admin feature has ``area_id`` (the P-code), ``level``, ``name`` (English), ``name_ar``, its
parents' P-codes (``adm1_pcode`` from level 2, ``adm2_pcode`` at level 3) and ``alt_names``:
the other spellings the bundled gazetteer (``ceasefire/data/gazetteer/places.csv.gz``, built
by ``scripts/build_gazetteer.py``) lists for the same P-code.  Rebuild the gazetteer first when
its spellings change.

Each geometry is repaired (``make_valid``, polygonal parts only), simplified
(``simplify(tolerance, preserve_topology=True)``) and snapped to a 1e-6 degree grid
(``set_precision``, which keeps it valid), i.e. coordinates rounded to 6 decimals.

Run: ``.venv/bin/python scripts/build_boundaries.py [--shared DIR]``
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.geometry.polygon import orient

ROOT = Path(__file__).resolve().parents[1]
OUT_BOUNDARIES = ROOT / "ceasefire" / "data" / "boundaries"
OUT_CONTROL = ROOT / "ceasefire" / "data" / "control"
CONTROL_CSV = "aleppo_neighbourhood_control_2016.csv"

# Degrees (0.0001 degree is about 11 m north-south, 9 m east-west at 36 N). Governorates keep the
# tolerance they were first bundled with. Districts and sub-districts are where incidents are
# attributed by P-code, and the smallest sub-district is about 0.25 km2, so they keep more
# detail: at 0.0002 (about 20 m) every sub-district keeps its area within 1 % and the 16,566
# UCDP 2016-2019 points fall in the same unit as with the full OCHA geometry except 2 (districts)
# and 3 (sub-districts), all within 20 m of a border; the two files are about 280 kB together.
# Neighbourhoods are a few hundred metres across, so they keep more still.
TOLERANCE = {"admin1": 0.0005, "admin2": 0.0002, "admin3": 0.0002, "neighbourhood": 0.0001}
ADMIN_LEVELS = (1, 2, 3)
GAZETTEER = ROOT / "ceasefire" / "data" / "gazetteer" / "places.csv.gz"
GRID = 1e-6
MAX_TOTAL_BYTES = 1_500_000


def polygonal(geom: Any) -> Any:
    """The polygonal part of ``geom`` as a Polygon or MultiPolygon (empty if none)."""
    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    parts: list[Polygon] = []
    for part in getattr(geom, "geoms", []):
        sub = polygonal(part)
        if isinstance(sub, Polygon):
            parts.append(sub)
        elif isinstance(sub, MultiPolygon):
            parts.extend(sub.geoms)
    parts = [p for p in parts if not p.is_empty]
    if len(parts) == 1:
        return parts[0]
    return MultiPolygon(parts)


def oriented(geom: Any) -> Any:
    """Counter-clockwise exteriors (RFC 7946 right-hand rule)."""
    if isinstance(geom, Polygon):
        return orient(geom, 1.0)
    return MultiPolygon([orient(p, 1.0) for p in geom.geoms])


def clean(geom: Any, tolerance: float, counts: dict[str, int]) -> Any:
    if not geom.is_valid:
        counts["invalid_in_source"] += 1
        geom = polygonal(shapely.make_valid(geom))
        counts["repaired_with_make_valid"] += 1
    geom = geom.simplify(tolerance, preserve_topology=True)
    geom = shapely.set_precision(geom, GRID)
    if not geom.is_valid or not isinstance(geom, Polygon | MultiPolygon):
        counts["repaired_after_simplify"] += 1
        geom = polygonal(shapely.make_valid(geom))
    if geom.is_empty or not geom.is_valid:
        raise SystemExit("a geometry is empty or invalid after repair; lower the tolerance")
    return oriented(geom)


def rounded(coords: Any) -> Any:
    if isinstance(coords, float | int):
        return round(float(coords), 6)
    return [rounded(c) for c in coords]


def feature(area_id: str, props: dict[str, Any], geom: Any) -> dict[str, Any]:
    gj = mapping(geom)
    return {
        "type": "Feature",
        "properties": {"area_id": area_id, **props},
        "geometry": {"type": gj["type"], "coordinates": rounded(gj["coordinates"])},
    }


def write_gz(path: Path, features: list[dict[str, Any]]) -> int:
    features.sort(key=lambda f: f["properties"]["area_id"])
    doc = {"type": "FeatureCollection", "features": features}
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n"
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(text.encode("utf-8"))
    path.write_bytes(buf.getvalue())
    return len(buf.getvalue())


def load(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        features: list[dict[str, Any]] = json.load(fh)["features"]
    return features


def new_counts() -> dict[str, int]:
    return {"invalid_in_source": 0, "repaired_with_make_valid": 0, "repaired_after_simplify": 0}


def gazetteer_spellings(path: Path) -> dict[str, list[str]]:
    """{P-code: names} of the gazetteer's admin rows (``source_id`` is the P-code)."""
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {
        row["source_id"]: [row["name"], *(a for a in row["alt_names"].split("|") if a)]
        for row in rows
        if row["kind"] in {"admin1", "admin2", "admin3"}
    }


def admin_layer(
    src: Path, level: int, spellings: dict[str, list[str]]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Features and manifest entry of OCHA admin level ``level``."""
    counts = new_counts()
    name = f"syr_admin{level}_ocha_codab.geojson.gz"
    features = []
    for f in load(src / name):
        p = f["properties"]
        pcode = p[f"adm{level}_pcode"]
        english, arabic = p[f"adm{level}_name"].strip(), p[f"adm{level}_name1"].strip()
        props: dict[str, Any] = {"level": level, "name": english, "name_ar": arabic}
        for parent in range(1, level):
            props[f"adm{parent}_pcode"] = p[f"adm{parent}_pcode"]
        props["alt_names"] = sorted(set(spellings.get(pcode, [])) - {english, arabic})
        geom = clean(shape(f["geometry"]), TOLERANCE[f"admin{level}"], counts)
        features.append(feature(pcode, props, geom))
    entry = {
        "file": f"admin{level}.geojson.gz",
        "source": f"OCHA COD-AB Syria v02, {name}",
        "features": len(features),
        "simplify_tolerance_degrees": TOLERANCE[f"admin{level}"],
        **counts,
    }
    return features, entry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path("/work/shared/data"))
    args = parser.parse_args(argv)
    src = args.shared / "boundaries"
    OUT_BOUNDARIES.mkdir(parents=True, exist_ok=True)
    OUT_CONTROL.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {"grid_degrees": GRID, "layers": {}}
    sizes = []

    spellings = gazetteer_spellings(GAZETTEER)
    for level in ADMIN_LEVELS:
        features, entry = admin_layer(src, level, spellings)
        entry["bytes"] = write_gz(OUT_BOUNDARIES / entry["file"], features)
        manifest["layers"][f"admin{level}"] = entry
        sizes.append(entry["bytes"])

    hood_counts = new_counts()
    all_hoods = load(src / "syr_neighborhoods_ocha_codab.geojson.gz")
    invalid_full_layer = sum(1 for f in all_hoods if not shape(f["geometry"]).is_valid)
    hoods = [
        feature(
            f["properties"]["neighbor_2"],
            {
                "name": f["properties"]["neighborho"],
                "name_ar": f["properties"]["neighbor_1"].splitlines()[0].strip(),
                "city": f["properties"]["adm4_en"],
            },
            clean(shape(f["geometry"]), TOLERANCE["neighbourhood"], hood_counts),
        )
        for f in all_hoods
        if f["properties"]["adm4_en"] == "Aleppo"
    ]
    size_n = write_gz(OUT_BOUNDARIES / "aleppo_neighbourhoods.geojson.gz", hoods)

    manifest["layers"]["neighbourhood"] = {
        "file": "aleppo_neighbourhoods.geojson.gz",
        "source": "OCHA COD-AB Syria v02, syr_neighborhoods_ocha_codab.geojson.gz, adm4_en == Aleppo",
        "features": len(hoods),
        "simplify_tolerance_degrees": TOLERANCE["neighbourhood"],
        "bytes": size_n,
        "invalid_in_source_all_cities": invalid_full_layer,
        "source_features_all_cities": len(all_hoods),
        **hood_counts,
    }
    (OUT_BOUNDARIES / "manifest.json").write_text(
        json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    shutil.copyfile(args.shared / "control" / CONTROL_CSV, OUT_CONTROL / CONTROL_CSV)
    sizes.append(size_n)
    if sum(sizes) > MAX_TOTAL_BYTES:
        sys.stderr.write(f"boundaries are {sum(sizes)} bytes, over {MAX_TOTAL_BYTES}\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
