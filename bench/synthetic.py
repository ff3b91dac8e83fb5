"""Synthetic event archives for the benches (labelled synthetic: never facts)."""

from __future__ import annotations

import csv
import gzip
import io
import random
from datetime import date, timedelta

from ceasefire.service import bundled_data

__all__ = ["synthetic_ucdp"]


def synthetic_ucdp(n: int, seed: int = 2016, first: date = date(2016, 9, 12), days: int = 8) -> str:
    """``n`` UCDP GED rows (CSV text) shaped like the real ones (the 313 events of 5–26 Sept 2016
    as templates), moved to seeded random places near the gazetteer's towns and to ``days`` days
    from ``first``: synthetic, never facts."""
    rng = random.Random(seed)
    with gzip.open(bundled_data("events/ucdp_ged_syria_2016-09-05_to_2016-09-26.csv.gz"), "rt",
                   encoding="utf-8", newline="") as handle:  # fmt: skip
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or ())
        templates = list(reader)
    with gzip.open(bundled_data("gazetteer/places.csv.gz"), "rt", encoding="utf-8") as handle:
        towns = [(r["name"], r["admin1"], float(r["lat"]), float(r["lon"]))
                 for r in csv.DictReader(handle) if r["kind"] == "populated_place" and r["admin1"]]  # fmt: skip
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for k in range(n):
        row = dict(templates[k % len(templates)])
        name, admin1, lat, lon = towns[rng.randrange(len(towns))]
        lat, lon = (
            round(lat + rng.uniform(-0.02, 0.02), 5),
            round(lon + rng.uniform(-0.02, 0.02), 5),
        )
        day = (first + timedelta(days=rng.randrange(days))).isoformat()
        row.update({"id": str(90_000_000 + k), "latitude": str(lat), "longitude": str(lon),
                    "geom_wkt": f"POINT ({lon} {lat})", "where_coordinates": f"{name} town",
                    "adm_1": f"{admin1} Governorate", "adm_2": "", "where_prec": "1", "date_prec": "1",
                    "date_start": day, "date_end": day})  # fmt: skip
        writer.writerow(row)
    return out.getvalue()
