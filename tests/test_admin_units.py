"""OCHA admin units (ceasefire.geo.admin) on the real OCHA and UCDP files.

Expected P-codes come from the OCHA COD-AB source files in the shared data folder (the table of
governorates below was copied by hand from ``syr_admin1_ocha_codab.geojson.gz``), never from
the code under test.
"""

from __future__ import annotations

import ast
import csv
import gzip
import json
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import shapely
from shapely.geometry import Polygon, shape

from ceasefire.errors import ConfigError
from ceasefire.geo.admin import AdminUnit, AdminUnits, admin_units
from ceasefire.model.place_names import skeleton_key
from tests.conftest import ROOT, SHARED, STORELESS, UCDP_FULL

pytestmark = STORELESS

BOUNDARIES = ROOT / "ceasefire" / "data" / "boundaries"
RAW = SHARED / "boundaries"

# OCHA COD-AB v02 governorates: P-code -> adm1_name (syr_admin1_ocha_codab.geojson.gz).
GOVERNORATES = {
    "SY01": "Damascus",
    "SY02": "Aleppo",
    "SY03": "Rural Damascus",
    "SY04": "Homs",
    "SY05": "Hama",
    "SY06": "Lattakia",
    "SY07": "Idleb",
    "SY08": "Al-Hasakeh",
    "SY09": "Deir-ez-Zor",
    "SY10": "Tartous",
    "SY11": "Ar-Raqqa",
    "SY12": "Dar'a",
    "SY13": "As-Sweida",
    "SY14": "Quneitra",
}
# Every distinct non-empty UCDP GED adm_1 value in ucdp_ged_syria_2016_2019.csv.gz -> the
# governorate it names (read by hand against the table above).
UCDP_ADM1 = {
    "Al Hasakah Governorate": "SY08",
    "Aleppo Governorate": "SY02",
    "Ar Raqqah Governorate": "SY11",
    "As Suwayda Governorate": "SY13",
    "Damascus Governorate": "SY01",
    "Daraa Governorate": "SY12",
    "Deir ez Zor Governorate": "SY09",
    "Hamah Governorate": "SY05",
    "Homs Governorate": "SY04",
    "Idlib Governorate": "SY07",
    "Latakia Governorate": "SY06",
    "Quneitra Governorate": "SY14",
    "Rif Dimashq Governorate": "SY03",
    "Tartus Governorate": "SY10",
}
# Spellings from other sources and plain English, with the governorate each names.
OTHER_SPELLINGS = {
    # ACLED admin1 (the OCHA English names)
    "Idleb": "SY07",
    "Ar-Raqqa": "SY11",
    "Al-Hasakeh": "SY08",
    "Deir-ez-Zor": "SY09",
    "Rural Damascus": "SY03",
    "Dar'a": "SY12",
    "Lattakia": "SY06",
    "Quneitra": "SY14",
    "Tartous": "SY10",
    "As-Sweida": "SY13",
    # plain and press spellings
    "Idlib": "SY07",
    "Raqqa": "SY11",
    "Hasaka": "SY08",
    "Deir ez-Zor": "SY09",
    "Damascus countryside": "SY03",
    "IDLIB PROVINCE": "SY07",
    "Governorate of Aleppo": "SY02",
    "Muhafazat Halab": "SY02",
    "Hims": "SY04",
    "Dara'a": "SY12",
    "Deraa": "SY12",
    "Lattaquié": "SY06",
    "Ḥamāh": "SY05",
    "Dayr az-Zawr": "SY09",
    "al-Raqqah": "SY11",
    # Arabic, with and without the word for governorate (the OCHA adm1_name1 values)
    "محافظة إدلب": "SY07",
    "ريف دمشق": "SY03",
    "الحسكة": "SY08",
    "دير الزور": "SY09",
}


@pytest.fixture(scope="module")
def units() -> AdminUnits:
    return admin_units()


@pytest.fixture(scope="module")
def ucdp_rows() -> list[dict[str, str]]:
    with gzip.open(UCDP_FULL, "rt", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def raw_features(level: int) -> list[dict[str, Any]]:
    with gzip.open(RAW / f"syr_admin{level}_ocha_codab.geojson.gz", "rt", encoding="utf-8") as fh:
        features: list[dict[str, Any]] = json.load(fh)["features"]
    return features


def tolerance(level: int) -> float:
    manifest = json.loads((BOUNDARIES / "manifest.json").read_text(encoding="utf-8"))
    return float(manifest["layers"][f"admin{level}"]["simplify_tolerance_degrees"])


# -- the bundled files ----------------------------------------------------------------------------
@pytest.mark.parametrize("level", [1, 2, 3])
def test_bundled_units_carry_the_source_codes_names_and_parents(
    units: AdminUnits, level: int
) -> None:
    raw = {f["properties"][f"adm{level}_pcode"]: f["properties"] for f in raw_features(level)}
    bundled = units.units(level)
    assert {u.pcode for u in bundled} == set(raw)
    assert len(bundled) == {1: 14, 2: 62, 3: 272}[level]
    for unit in bundled:
        props = raw[unit.pcode]
        assert (unit.level, unit.name, unit.name_ar) == (
            level,
            props[f"adm{level}_name"].strip(),
            props[f"adm{level}_name1"].strip(),
        )
        assert unit.adm1_pcode == (props["adm1_pcode"] if level > 1 else None)
        assert unit.adm2_pcode == (props["adm2_pcode"] if level > 2 else None)
        assert unit.geometry.is_valid
        assert not unit.geometry.is_empty
        assert unit.geometry.geom_type in {"Polygon", "MultiPolygon"}
    if level == 1:
        assert {u.pcode: u.name for u in bundled} == GOVERNORATES


@pytest.mark.parametrize("level", [1, 2, 3])
def test_bundled_files_are_deterministic(level: int) -> None:
    raw = (BOUNDARIES / f"admin{level}.geojson.gz").read_bytes()
    assert raw[4:8] == b"\0\0\0\0"  # gzip mtime 0
    text = gzip.decompress(raw).decode("utf-8")
    doc = json.loads(text)
    ids = [f["properties"]["area_id"] for f in doc["features"]]
    assert ids == sorted(ids)
    again = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n"
    assert text == again  # sorted keys, compact, nothing else
    manifest = json.loads((BOUNDARIES / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["layers"][f"admin{level}"]["features"] == len(ids)


def test_simplified_units_stay_within_their_tolerance_of_the_source() -> None:
    for level in (2, 3):
        tol = tolerance(level)
        bundled = {u.pcode: u.geometry for u in admin_units().units(level)}
        for f in raw_features(level):
            source = shapely.make_valid(shape(f["geometry"]))
            mine = bundled[f["properties"][f"adm{level}_pcode"]]
            # a band of width tol along the boundary bounds what simplification can move
            moved = shapely.symmetric_difference(source, mine).area
            assert moved <= tol * source.length, f["properties"][f"adm{level}_pcode"]


# -- names -> P-codes ----------------------------------------------------------------------------
def test_every_ucdp_adm1_value_resolves_to_its_governorate(
    units: AdminUnits, ucdp_rows: list[dict[str, str]]
) -> None:
    values = {r["adm_1"] for r in ucdp_rows if r["adm_1"]}
    assert values == set(UCDP_ADM1)  # a new spelling in the data must be added above
    resolved = {v: units.pcode_for_name(v) for v in sorted(values)}
    assert resolved == UCDP_ADM1
    assert {v: units.pcode_for_name(v, level=1) for v in sorted(values)} == UCDP_ADM1


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Idlib", "Idleb"),
        ("Edlib", "إدلب"),
        ("Jabal Saman", "Jebel Saman"),
        ("Rif Dimashq", "ريف دمشق"),
        ("Maarat al-Numaan", "معرة النعمان"),  # ة inside a construct is "t"
        ("Hamah", "حماة"),  # a final ة is a vowel
        ("Jisr ash-Shughur", "Jisr-Ash-Shugur"),
        ("Al Qamishli", "Quamishli"),
        ("Albu Kamal", "البوكمال"),
        ("Ath-Thawrah", "الثورة"),
        ("Tall Kalakh", "تلكلخ"),
    ],
)
def test_skeletons_meet_across_transliterations(a: str, b: str) -> None:
    assert skeleton_key(a) == skeleton_key(b)


@pytest.mark.parametrize(("a", "b"), [("Hama", "Homs"), ("Idlib", "Adlia"), ("Tadmur", "Tartus")])
def test_skeletons_keep_different_names_apart(a: str, b: str) -> None:
    assert skeleton_key(a) != skeleton_key(b)


def test_the_normaliser_alone_never_picks_a_wrong_governorate(units: AdminUnits) -> None:
    """Without the gazetteer's spellings (alt_names) only OCHA's own English and Arabic names
    are left: a UCDP value then resolves to its governorate or to nothing, never elsewhere, and
    it misses only where the documented limit applies (a skeleton of under three consonants,
    e.g. "Suwayda" ~ "Sweida": s-d, is never matched)."""
    bare = AdminUnits([replace(u, alt_names=()) for u in units], {1: 0.0005})
    resolved = {v: bare.pcode_for_name(v, level=1) for v in UCDP_ADM1}
    wrong = {v: p for v, p in resolved.items() if p is not None and p != UCDP_ADM1[v]}
    assert not wrong
    missed = [v for v, p in resolved.items() if p is None]
    assert all(len(skeleton_key(v.replace("Governorate", ""))) < 3 for v in missed), missed
    assert len(missed) <= 2, missed


@pytest.mark.parametrize(("name", "pcode"), sorted(OTHER_SPELLINGS.items()))
def test_other_spellings_resolve(units: AdminUnits, name: str, pcode: str) -> None:
    assert units.pcode_for_name(name) == pcode
    assert units.pcode_for_name(name, level=1) == pcode


def test_ucdp_adm2_values_resolve_to_a_district_of_the_rows_governorate(
    units: AdminUnits, ucdp_rows: list[dict[str, str]]
) -> None:
    pairs = sorted({(r["adm_1"], r["adm_2"]) for r in ucdp_rows if r["adm_2"]})
    assert len({d for _, d in pairs}) == len(pairs)  # each adm_2 value under one adm_1
    misses = []
    for adm1, adm2 in pairs:
        pcode = units.pcode_for_name(adm2, level=2)  # no `within`: the parent is checked below
        if pcode is None or units.unit(pcode).adm1_pcode != UCDP_ADM1[adm1]:
            misses.append((adm1, adm2, pcode))
    share = 1 - len(misses) / len(pairs)
    assert share >= 0.95, f"{share:.1%} of {len(pairs)} resolved; misses: {misses}"


def test_ucdp_districts_ocha_lacks_are_its_sub_districts(units: AdminUnits) -> None:
    """UCDP codes Atarib and Dayr Hafir as districts; OCHA has them as sub-districts
    (SY020001 Atareb in Jebel Saman, SY020202 Dayr Hafir in Al Bab)."""
    admin2_names = {f["properties"]["adm2_name"] for f in raw_features(2)}
    assert not admin2_names & {"Atareb", "Atarib", "Dayr Hafir", "Deir Hafer"}
    assert units.pcode_for_name("Atarib district", level=2) is None
    assert units.pcode_for_name("Dayr Hafir district") is None  # "district" implies level 2
    assert units.pcode_for_name("Atarib", level=3, within="SY02") == "SY020001"
    assert units.pcode_for_name("Dayr Hafir", level=3) == "SY020202"


@pytest.mark.parametrize(
    ("name", "level", "pcode"),
    [
        ("Ariha district", None, "SY0705"),
        ("Ariha", 2, "SY0705"),
        ("Nahiya Ariha", None, "SY070500"),
        ("Ariha sub-district", None, "SY070500"),
        ("ناحية أريحا", None, "SY070500"),
        ("Mintaqat Markaz Hamah district", None, "SY0501"),  # مركز حماة
        ("Markaz Daraa district", None, "SY1200"),  # OCHA English "Dar'a", the central district
        ("Maarat al-Numaan district", None, "SY0702"),  # OCHA Arabic معرة النعمان
        ("Albu Kamal district", None, "SY0902"),  # OCHA "Abu Kamal", البوكمال
        ("Jisr ash Shughur district", None, "SY0704"),  # OCHA "Jisr-Ash-Shugur"
        ("Tall Abyad district", None, "SY1102"),  # OCHA "Tell Abiad"
        ("Idleb", None, "SY07"),  # the governorate before its central district
        ("Idleb", 2, "SY0700"),
        ("Idleb", 3, "SY070000"),
    ],
)
def test_district_and_sub_district_names(
    units: AdminUnits, name: str, level: int | None, pcode: str
) -> None:
    assert units.pcode_for_name(name, level=level) == pcode


def test_level_words_must_agree_with_the_level_asked(units: AdminUnits) -> None:
    assert units.pcode_for_name("Idlib governorate", level=2) is None
    assert units.pcode_for_name("Ariha district", level=3) is None


def test_within_separates_names_that_repeat_across_governorates(units: AdminUnits) -> None:
    by_name: dict[str, list[dict[str, Any]]] = {}
    for f in raw_features(3):
        by_name.setdefault(f["properties"]["adm3_name"], []).append(f["properties"])
    repeated = {n: ps for n, ps in by_name.items() if len({p["adm1_pcode"] for p in ps}) > 1}
    assert repeated  # "Suran" is a sub-district of both Aleppo and Hama
    for name, props in repeated.items():
        assert units.pcode_for_name(name, level=3) is None  # ambiguous
        for p in props:
            assert units.pcode_for_name(name, level=3, within=p["adm1_pcode"]) == p["adm3_pcode"]
            assert units.pcode_for_name(name, within=p["adm2_pcode"]) == p["adm3_pcode"]


@pytest.mark.parametrize("level", [1, 2, 3])
def test_every_unit_is_found_by_its_own_names(units: AdminUnits, level: int) -> None:
    for unit in units.units(level):
        for name in unit.names():
            assert units.pcode_for_name(name, level=level, within=unit.parent) == unit.pcode


def test_unit_records(units: AdminUnits) -> None:
    ariha = units.unit("SY070500")
    assert (ariha.parent, ariha.pcode_at(1), ariha.pcode_at(2), ariha.pcode_at(3)) == (
        "SY0705",
        "SY07",
        "SY0705",
        "SY070500",
    )
    assert units.unit("SY07").pcode_at(2) is None
    assert units.unit("SY07").parent is None
    assert ariha.lies_in("SY07")
    assert not ariha.lies_in("SY02")
    assert [u.pcode for u in units.children("SY07")] == [
        "SY0700",
        "SY0702",
        "SY0703",
        "SY0704",
        "SY0705",
    ]  # the five OCHA districts of Idleb


def test_pcodes_pass_through_checked(units: AdminUnits) -> None:
    assert units.pcode_for_name("SY0705") == "SY0705"
    assert units.pcode_for_name(" sy07 ") == "SY07"
    assert units.pcode_for_name("SY0705", level=1) is None
    assert units.pcode_for_name("SY0705", within="SY02") is None
    assert units.pcode_for_name("SY0799") is None


# -- hostile input ----------------------------------------------------------------------------------
HOSTILE = [
    "",
    "   ",
    "SY9999",
    "SY07999",
    "x" * 100_000,
    "Idlib " * 5_000,
    "../../etc/passwd",
    "/etc/passwd",
    "C:\\Windows\\system32",
    "'; DROP TABLE units; --",
    "\u202eبلدإ",
    "🔥🔥",
    "district",
    "governorate of",
    "home",
]


@pytest.mark.parametrize("name", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_names_give_none_or_a_config_error(units: AdminUnits, name: str) -> None:
    assert units.pcode_for_name(name) is None
    assert units.matches(name) == ()
    with pytest.raises(ConfigError) as caught:
        units.geometry_for(name)
    assert len(str(caught.value)) < 300
    with pytest.raises(ConfigError):
        units.union([name])
    with pytest.raises(ConfigError):
        units.unit(name)


def test_bad_arguments_are_config_errors(units: AdminUnits) -> None:
    with pytest.raises(ConfigError, match="level 4"):
        units.pcode_for_name("Idlib", level=4)
    with pytest.raises(ConfigError, match="SY99"):
        units.pcode_for_name("Ariha", within="SY99")
    with pytest.raises(ConfigError, match="at least one"):
        units.union([])


def test_unknown_pcode_error_names_it_and_the_closest(units: AdminUnits) -> None:
    with pytest.raises(ConfigError) as caught:
        units.union(["SY07", "SY0799"])
    message = str(caught.value)
    assert "'SY0799'" in message
    # the closest shares the longest prefix (the governorate SY07) and has the same length
    assert "The closest known P-code is SY0700 (Idleb)." in message
    with pytest.raises(ConfigError, match=r"As a name it stands for SY07 \(Idleb\)"):
        units.union(["Idlib"])


def test_ambiguous_name_error_lists_the_units(units: AdminUnits) -> None:
    with pytest.raises(ConfigError, match=r"SY020405 Suran, SY050101 Suran"):
        units.geometry_for("Suran", level=3)


# -- points -> P-codes ----------------------------------------------------------------------------
def test_ucdp_points_fall_in_the_governorate_their_adm1_names(
    units: AdminUnits, ucdp_rows: list[dict[str, str]]
) -> None:
    rows = [r for r in ucdp_rows if r["where_prec"] in {"1", "2"} and r["adm_1"]]
    found = units.locate_many(
        [float(r["longitude"]) for r in rows], [float(r["latitude"]) for r in rows]
    )
    wrong = Counter(
        (r["adm_1"], f.get(1))
        for r, f in zip(rows, found, strict=True)
        if f.get(1) != UCDP_ADM1[r["adm_1"]]
    )
    share = 1 - sum(wrong.values()) / len(rows)
    assert share >= 0.97, f"{share:.2%} of {len(rows)}; commonest misses {wrong.most_common(5)}"


def test_locate_many_equals_locate(units: AdminUnits, ucdp_rows: list[dict[str, str]]) -> None:
    rows = ucdp_rows[::50]
    lons = [float(r["longitude"]) for r in rows] + [float("nan"), 0.0, 36.0]
    lats = [float(r["latitude"]) for r in rows] + [35.0, 0.0, float("inf")]
    assert units.locate_many(lons, lats) == [
        units.locate(x, y) for x, y in zip(lons, lats, strict=True)
    ]


def test_locate_agrees_with_the_unsimplified_source(
    units: AdminUnits, ucdp_rows: list[dict[str, str]]
) -> None:
    """Every 10th UCDP point, located in the full-detail OCHA polygons of the shared folder:
    the bundled answer is the same unless the point is within the tolerance of a border."""
    rows = ucdp_rows[::10]
    for level in (1, 2, 3):
        feats = raw_features(level)
        geoms = [shapely.make_valid(shape(f["geometry"])) for f in feats]
        codes = [f["properties"][f"adm{level}_pcode"] for f in feats]
        tree = shapely.STRtree(geoms)
        near_border = 0
        for r in rows:
            point = shapely.Point(float(r["longitude"]), float(r["latitude"]))
            hits = tree.query(point, predicate="intersects")
            expected = codes[hits[0]] if len(hits) == 1 else None
            got = units.locate(point.x, point.y).get(level)
            if got != expected:
                boundary = shapely.union_all(
                    [geoms[i].boundary for i in tree.query(point.buffer(0.01))]
                )
                assert point.distance(boundary) <= tolerance(level), (r["id"], level, got, expected)
                near_border += 1
        assert near_border <= len(rows) // 1000 + 2, (level, near_border)


def test_locate_outside_syria_is_empty(units: AdminUnits) -> None:
    assert units.locate(35.5, 35.0) == {}  # the sea off Latakia
    assert units.locate(44.36, 33.31) == {}  # Baghdad
    assert units.locate(float("nan"), 35.0) == {}
    assert units.locate(36.6333, 35.9306)[1] == "SY07"  # Idlib city


def tiny_units() -> AdminUnits:
    """Two governorates sharing the edge x = 1, each with one district and sub-district."""

    def square(x: float) -> Polygon:
        return Polygon([(x, 0), (x + 1, 0), (x + 1, 1), (x, 1)])

    records = [
        AdminUnit("SY01", 1, "West", "غرب", geometry=square(0)),
        AdminUnit("SY02", 1, "East", "شرق", geometry=square(1)),
        # pcodes chosen so the lowest district code belongs to the *other* governorate
        AdminUnit("SY0101", 2, "West D", "", "SY01", geometry=square(0)),
        AdminUnit("SY0200", 2, "East D", "", "SY02", geometry=square(1)),
        AdminUnit("SY010100", 3, "West S", "", "SY01", "SY0101", geometry=square(0)),
        AdminUnit("SY020000", 3, "East S", "", "SY02", "SY0200", geometry=square(1)),
    ]
    return AdminUnits(records, {1: 0.01, 2: 0.01, 3: 0.01})


def test_a_point_on_a_shared_border_is_resolved_deterministically() -> None:
    tiny = tiny_units()
    # level 1: the lowest P-code; below it, the unit inside the chosen governorate even though
    # the other governorate's district has the lower code
    assert tiny.locate(1.0, 0.5) == {1: "SY01", 2: "SY0101", 3: "SY010100"}
    assert tiny.locate_many([1.0], [0.5]) == [tiny.locate(1.0, 0.5)]
    assert tiny.locate(2.005, 0.5) == {1: "SY02", 2: "SY0200", 3: "SY020000"}  # within tolerance
    assert tiny.locate(2.05, 0.5) == {}


# -- geometry -------------------------------------------------------------------------------------
def test_sub_districts_cover_their_district(units: AdminUnits) -> None:
    t2, t3 = tolerance(2), tolerance(3)
    for district in units.units(2):
        children = units.children(district.pcode)
        assert children
        merged = units.union([c.pcode for c in children])
        area = district.geometry.area
        # OCHA's districts are exactly the union of their sub-districts; what separates them
        # here is simplification: at most a band of the tolerance along each boundary.
        band = t2 * district.geometry.length + t3 * sum(c.geometry.length for c in children)
        covered = shapely.intersection(merged, district.geometry).area / area
        assert covered >= 1 - band / area, district.pcode
        assert merged.area / area <= 1 + band / area, district.pcode
        assert sum(len(p.interiors) for p in getattr(merged, "geoms", [merged])) == sum(
            len(p.interiors) for p in getattr(district.geometry, "geoms", [district.geometry])
        ), f"slivers left inside {district.pcode}"


def test_union_of_mixed_levels(units: AdminUnits) -> None:
    idleb = units.unit("SY07").geometry
    assert units.union(["SY07", "SY0705", "SY070500"]).equals(idleb)  # nested units add nothing
    both = units.union(["SY0705", "SY0202"])  # Ariha district, Al Bab district: apart
    assert both.area == pytest.approx(
        units.unit("SY0705").geometry.area + units.unit("SY0202").geometry.area
    )
    # Rural Damascus keeps Damascus as a hole when built from its districts
    rural = units.union([u.pcode for u in units.children("SY03")])
    assert not rural.contains(units.unit("SY01").geometry.representative_point())
    assert units.union(["SY0705"]) is units.unit("SY0705").geometry


def test_geometry_for_a_name(units: AdminUnits) -> None:
    assert units.geometry_for("Ariha district") is units.unit("SY0705").geometry
    assert units.geometry_for("SY0705") is units.unit("SY0705").geometry
    with pytest.raises(ConfigError, match="closest name known is Idleb"):
        units.geometry_for("Idlibx")


# -- layering -------------------------------------------------------------------------------------
def test_admin_module_imports_only_the_lower_layers() -> None:
    source = (ROOT / "ceasefire" / "geo" / "admin.py").read_text(encoding="utf-8")
    modules = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
        elif isinstance(node, ast.Import):
            modules.update(a.name for a in node.names)
    ours = {m for m in modules if m.startswith("ceasefire")}
    assert all(m == "ceasefire.errors" or m.startswith("ceasefire.model") for m in ours), ours
    third_party = {m.split(".")[0] for m in modules} - {"ceasefire", "__future__"}
    import sys

    assert third_party - set(sys.stdlib_module_names) <= {"numpy", "shapely"}


def test_construction_reads_nothing(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Cannot read the admin"):
        AdminUnits.load(tmp_path)
    assert len(tiny_units()) == 6
