"""Build ``tests/data/analyst_keys/<agreement>.csv``: an analyst's key for three Syrian ceasefires.

The key is written from the agreement texts and from UCDP GED's own coding (sides, admin names,
place names, dates and precisions). It does not import or read the ``ceasefire`` package, so it
can be used to check the package's engine. The rules, the district lists and the sources behind
them are explained in ``tests/data/analyst_keys/README.md``.

Each UCDP event gets, per agreement, one of:

* ``not_violation`` — an excluded group is on a side (``excluded_group``), or the event lies
  wholly outside the agreement's areas (``outside_area``) or wholly before its start
  (``outside_period``);
* ``covered`` — parties the agreement binds fight each other (or a bound party hits civilians)
  inside its area and period (``covered_inside``);
* ``not_party`` — inside area and period, but the dyad is not one the agreement binds
  (``not_party_inside``);
* no row at all — the analyst cannot decide confidently (imprecise place or date, a district only
  partly inside an area, an actor whose status the texts do not settle, an unknown actor string).

Standard library only. Deterministic output: rows sorted by UCDP id, ``\\n`` line endings. Run:
``python3 scripts/build_analyst_keys.py [SHARED_DATA_DIR] [--out DIR]``
(default ``../shared/data`` beside the work tree).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = ROOT.parent / "shared" / "data"
UCDP_FILE = Path("events") / "ucdp_ged_syria_2016_2019.csv.gz"
LOG = logging.getLogger("build_analyst_keys")

# ---------------------------------------------------------------------------------------------
# Actors, by UCDP's own spelling. A side string may join several actors with ", ".
# ---------------------------------------------------------------------------------------------

# ISIL/Daesh, the Nusra lineage (JFS from 28 Jul 2016, HTS from 28 Jan 2017), al-Qaida and other
# UNSC-designated groups (ETIM is on the 1267 list; Hurras ad-Din is al-Qaida's Syrian branch).
EXCLUDED = frozenset(
    {"IS", "Jabhat Fateh al-Sham", "HTS", "al-Qaida", "Tanzim Hurras ad-Din", "ETIM"}
)
GOVERNMENT = frozenset({"Government of Syria"})  # UCDP folds Russian strikes into this side
INSURGENTS = frozenset({"Syrian insurgents"})  # UCDP's aggregate of the armed opposition
CIVILIANS = frozenset({"Civilians"})
SDF = frozenset({"SDF"})
# States that are not parties to the Syrian conflict these texts regulate (Turkey and Iran are
# guarantors of Astana, Turkey a signatory of Sochi; none is a "conflicting party").
FOREIGN_STATES = frozenset(
    {
        "Government of Iran",
        "Government of Iraq",
        "Government of Israel",
        "Government of Jordan",
        "Government of Turkey",
        "Government of United States of America",
    }
)
FOREIGN_NON_STATE = frozenset({"Hezbollah", "PIJ", "PKK"})
# Named Syrian armed opposition groups (none UNSC-designated).
OPPOSITION_GROUPS = frozenset(
    {
        "13th Division",
        "23rd Division",
        "Ahrar al-Sham",
        "Ahrar al-Sharqiya",
        "Ajnad al-Sham",
        "Aknaf Bait al-Maqdis",
        "Al-Jabha al-Shamiyyah",
        "Al-Sultan Mohammad al-Fatih",
        "FSA",
        "Fatah Halab",
        "First Regiment",
        "Fistaqim Kama Umirat",
        "Furqan Brigades",
        "Hamza Division",
        "Hawar Kilis Operations Room",
        "Humat al-Aqida",
        "Islamic Front",
        "Jaysh Asoud al-Sharqiya",
        "Jaysh al Nasr",
        "Jaysh al-Islam",
        "Jaysh al-Nukhba",
        "Jaysh al-Sunna",
        "Levant Front",
        "Liwa al-Haq Idlib",
        "Liwa al-Sultan Murad",
        "Mare' Operations Room",
        "Martyr Lieutenant Ahmed Abdou Brigades",
        "Mujahideen Army",
        "NSA",
        "National Front for Liberation",
        "Northern Hawks Brigade",
        "Nour al-Din al-Zenki",
        "Qawim movement",
        "Rahman Corps",
        "Rahman Corps - “Abu al-Joud al-Arbini” faction",
        "SNA",
        "SRF",
        "Sham Legion",
        "Sons of Yarmouk Movement",
        "Southern Front",
        "Suqour al-Sham Brigades",
        "Syrian Liberation Front",
        "Syrian National Coalition",
        "Tahrir al- Sham Army",
        "Tajamu Shuhada al-Sharqiya",
        "al-Majd Legion",
        "al-Moutasem Brigade",
    }
)
# Known strings whose standing the texts do not settle (IS-leaning splinters that no UNSC list
# names, tribal and clan forces, pro-government militias and Palestinian factions): never
# covered or not_party on their own; an excluded group on the other side still decides.
UNSETTLED = frozenset(
    {
        "Ajnad al-Kavkaz",
        "Jaysh al-Asha’er",
        "Jund al-Malahem",
        "Liwa al-Aqsa",
        "NDF (Syria)",
        "PFLP-GC",
        "PLO",
        "Shohadaa al-Yarmouk",
        "Tel Khamis Brigades",
        "Wahab clan",
        "al-Bakkara clan",
        "al-Nasser clan",
        "al-Sultan clan",
    }
)

ROLES = (
    ("excluded", EXCLUDED),
    ("government", GOVERNMENT),
    ("insurgents", INSURGENTS),
    ("civilians", CIVILIANS),
    ("sdf", SDF),
    ("foreign_state", FOREIGN_STATES),
    ("foreign_non_state", FOREIGN_NON_STATE),
    ("opposition", OPPOSITION_GROUPS),
    ("unsettled", UNSETTLED),
)


def side_role(side: str) -> str | None:
    """The role of one UCDP side string; None for a string this key does not know."""
    roles = set()
    for actor in side.split(", "):
        role = next((name for name, members in ROLES if actor in members), None)
        if role is None:
            return None
        roles.add(role)
    if "excluded" in roles:
        return "excluded"
    return roles.pop() if len(roles) == 1 else "unsettled"


# ---------------------------------------------------------------------------------------------
# Dyads each agreement binds (unordered role pairs).
# ---------------------------------------------------------------------------------------------

_GOV_VS_OPPOSITION = {
    frozenset({"government", "insurgents"}),
    frozenset({"government", "opposition"}),
    frozenset({"government", "civilians"}),
    frozenset({"insurgents", "civilians"}),
    frozenset({"opposition", "civilians"}),
}
# The 2016 Terms apply to any party in hostilities other than the excluded groups; the YPG (the
# SDF's core) said publicly it would abide by them, so government-SDF fighting is covered too.
COVERED_DYADS = {
    "syria-2016-02": _GOV_VS_OPPOSITION
    | {frozenset({"government", "sdf"}), frozenset({"sdf", "civilians"})},
    "syria-2017-05": _GOV_VS_OPPOSITION,
    "syria-2018-09": _GOV_VS_OPPOSITION,
}


def dyad_key(agreement: str, role_a: str, role_b: str) -> str | None:
    """``covered``, ``not_party`` or None (the texts do not settle this dyad)."""
    if frozenset({role_a, role_b}) in COVERED_DYADS[agreement]:
        return "covered"
    if "foreign_state" in (role_a, role_b) and "unsettled" not in (role_a, role_b):
        return "not_party"
    return None


# ---------------------------------------------------------------------------------------------
# Periods: UCDP days are read as Damascus calendar days.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    last_day_before: date  # every day up to this one is wholly before the start
    first_day_inside: date  # every day from this one is wholly inside (no agreement has an end)


PERIODS = {
    # 00:00 Damascus time on 27 Feb 2016, a day boundary.
    "syria-2016-02": Period(date(2016, 2, 26), date(2016, 2, 27)),
    # Cessation from 00:00 on 6 May 2017; the memorandum itself says it enters into force the
    # day after signature (5 May), so 5 May is left open.
    "syria-2017-05": Period(date(2017, 5, 4), date(2017, 5, 6)),
    # Signed in the evening of 17 Sep 2018: that day holds the start.
    "syria-2018-09": Period(date(2018, 9, 16), date(2018, 9, 18)),
}


def period_status(period: Period, start: date, end: date) -> str | None:
    if end <= period.last_day_before:
        return "before"
    if start >= period.first_day_inside:
        return "inside"
    return None


# ---------------------------------------------------------------------------------------------
# Areas. Names are UCDP's adm_1/adm_2 and where_coordinates spellings.
# ---------------------------------------------------------------------------------------------

ALEPPO, HAMA, LATAKIA, HOMS = (
    "Aleppo Governorate",
    "Hamah Governorate",
    "Latakia Governorate",
    "Homs Governorate",
)
RIF, DAMASCUS, DARAA, QUNEITRA = (
    "Rif Dimashq Governorate",
    "Damascus Governorate",
    "Daraa Governorate",
    "Quneitra Governorate",
)
IDLIB = "Idlib Governorate"

IDLIB_AREA = "Idlib area"
HOMS_AREA = "northern Homs"
GHOUTA_AREA = "eastern Ghouta"
SOUTH_AREA = "southern Syria"


@dataclass(frozen=True)
class AreaMap:
    governorates_in: dict[str, str]  # whole governorate -> area
    districts_in: dict[tuple[str, str], str]  # whole district -> area
    districts_part: frozenset[tuple[str, str]]  # only partly inside (or borderline)
    places_in: dict[tuple[str, str, str], str] = field(default_factory=dict)  # where_prec 1
    places_out: frozenset[tuple[str, str, str]] = frozenset()  # where_prec 1
    regions_in: dict[tuple[str, str], str] = field(default_factory=dict)  # UCDP named regions
    open_until: dict[str, date] = field(default_factory=dict)  # area lapsed after this day
    near: frozenset[str] = frozenset()  # districts within ~25 km of ground of another status


_IDLIB_PART = frozenset(
    {
        (ALEPPO, "Jabal Saman district"),
        (ALEPPO, "As Safirah district"),
        (HAMA, "As Suqaylibiyah district"),
        (HAMA, "Muhradah district"),
        (HAMA, "Mintaqat Markaz Hamah district"),
        (HAMA, "Salamiyah district"),
        (LATAKIA, "Al Haffah district"),
        (LATAKIA, "Latakia district"),
    }
)
# Northern Hama towns held by the opposition from before May 2017 until August 2019.
_IDLIB_PLACES_IN = {
    (HAMA, "Muhradah district", "Al Lataminah town"): IDLIB_AREA,
    (HAMA, "Muhradah district", "Kafr Zayta town"): IDLIB_AREA,
    (HAMA, "Muhradah district", "Latmin town"): IDLIB_AREA,
    (HAMA, "Mintaqat Markaz Hamah district", "Morek town"): IDLIB_AREA,
    (HAMA, "Mintaqat Markaz Hamah district", "Lahaya village"): IDLIB_AREA,
}
# Hama city, government-held throughout, some 20 km from the nearest area ground.
_HAMA_CITY = frozenset(
    {
        (HAMA, "Mintaqat Markaz Hamah district", "Hamah town"),
        (HAMA, "Mintaqat Markaz Hamah district", "Hamah Military Airport"),
    }
)
_IDLIB_DISTRICTS_IN = {(ALEPPO, "Atarib district"): IDLIB_AREA}
_IDLIB_NEAR = frozenset(
    {
        "Ariha district",
        "Harim district",
        "Jisr ash Shughur district",
        "Maarat al-Numaan district",
        "Markaz Idlib district",
        "Atarib district",
        "Afrin district",
        "Al Bab district",
        "Dayr Hafir district",
        "Manbij district",
        "Mintaqat Azaz district",
        "Ath Thawrah district",
        "Masyaf district",
        "Al Mukharram district",
        "Al Qusayr district",
        "Tadmur district",
        "Jablah district",
        "Qardahah district",
        "Baniyas district",
    }
)

AREAS = {
    "syria-2017-05": AreaMap(
        governorates_in={IDLIB: IDLIB_AREA},
        districts_in=_IDLIB_DISTRICTS_IN,
        districts_part=_IDLIB_PART
        | {
            (HOMS, "Ar Rastan district"),
            (HOMS, "Mintaqat Markaz Homs district"),
            (RIF, "Duma district"),
            (RIF, "Markaz Rif Dimashq district"),
            (DAMASCUS, "Damascus district"),
            (DARAA, "As Sanamayn district"),
            (DARAA, "Izra district"),
            (DARAA, "Markaz Daraa district"),
            (QUNEITRA, "Markaz al Quneitra district"),
        },
        places_in=_IDLIB_PLACES_IN
        | {
            # The northern Homs pocket (the towns named in the May 2018 evacuation deal).
            (HOMS, "Ar Rastan district", "Ar Rastan  town"): HOMS_AREA,
            (HOMS, "Ar Rastan district", "Tallbisah  town"): HOMS_AREA,
            (HOMS, "Ar Rastan district", "Teir Maaleh village"): HOMS_AREA,
            (HOMS, "Ar Rastan district", "Al Ghantu town"): HOMS_AREA,
            (HOMS, "Mintaqat Markaz Homs district", "Houla town"): HOMS_AREA,
            (HOMS, "Mintaqat Markaz Homs district", "Kafr Laha village"): HOMS_AREA,
            (HOMS, "Mintaqat Markaz Homs district", "Taldou town"): HOMS_AREA,
            (HOMS, "Mintaqat Markaz Homs district", "Tall Dhahab village"): HOMS_AREA,
            # The besieged eastern Ghouta towns (Harasta left out: the town was split).
            **{
                (RIF, district, place): GHOUTA_AREA
                for district, place in (
                    ("Duma district", "Duma town"),
                    ("Duma district", "Misraba town"),
                    ("Duma district", "Mudayra village"),
                    ("Markaz Rif Dimashq district", "Arbin town"),
                    ("Markaz Rif Dimashq district", "Hamouriyah town"),
                    ("Markaz Rif Dimashq district", "Saqba suburb"),
                    ("Markaz Rif Dimashq district", "Eftreis suburb"),
                    ("Markaz Rif Dimashq district", "Jisrein suburb"),
                    ("Markaz Rif Dimashq district", "Beit Sawa suburb"),
                    ("Markaz Rif Dimashq district", "Zamalka town"),
                    ("Markaz Rif Dimashq district", "Ein Terma suburb"),
                    ("Markaz Rif Dimashq district", "Hezzeh suburb"),
                    ("Markaz Rif Dimashq district", "Kafr Batna suburb"),
                )
            },
        },
        places_out=_HAMA_CITY,
        regions_in={(RIF, "Eastern Ghouta"): GHOUTA_AREA},
        open_until={
            GHOUTA_AREA: date(2018, 4, 14),
            HOMS_AREA: date(2018, 5, 16),
            SOUTH_AREA: date(2018, 7, 31),
        },
        near=_IDLIB_NEAR
        | {
            "Markaz as Suwayda district",
            "Salkhad district",
            "Shahba district",
            "Al Nabk district",
            "Al Qutayfah district",
            "At Tall district",
            "Darayya district",
            "Mintaqat az Zabadani district",
            "Qatana district",
            "Markaz Tartus district",
        },
    ),
    "syria-2018-09": AreaMap(
        governorates_in={IDLIB: IDLIB_AREA},
        districts_in=_IDLIB_DISTRICTS_IN,
        districts_part=_IDLIB_PART,
        places_in=_IDLIB_PLACES_IN,
        places_out=_HAMA_CITY,
        near=_IDLIB_NEAR | {"Ar Rastan district", "Mintaqat Markaz Homs district"},
    ),
}


def area_status(areas: AreaMap, row: dict[str, str]) -> tuple[str | None, str | None]:
    """(``inside``/``outside``/None, area name) for one UCDP row."""
    adm1, adm2, place = row["adm_1"], row["adm_2"], row["where_coordinates"]
    prec = int(row["where_prec"])
    if (adm1, place) in areas.regions_in and prec <= 5:
        return "inside", areas.regions_in[(adm1, place)]
    if prec >= 5 or not adm1:
        return None, None
    partial_governorates = {g for g, _ in areas.districts_part} | {g for g, _ in areas.districts_in}
    if prec == 4 or not adm2:
        if prec in (1, 2):
            return None, None  # a place with no district: too vague near any line
        if adm1 in areas.governorates_in:
            return "inside", areas.governorates_in[adm1]
        return (None, None) if adm1 in partial_governorates else ("outside", None)
    district = (adm1, adm2)
    if prec == 1 and (adm1, adm2, place) in areas.places_in:
        return "inside", areas.places_in[(adm1, adm2, place)]
    if prec == 1 and (adm1, adm2, place) in areas.places_out:
        return "outside", None
    if district in areas.districts_part:
        return None, None
    if prec == 2 and adm2 in areas.near:
        return None, None
    if adm1 in areas.governorates_in:
        return "inside", areas.governorates_in[adm1]
    if district in areas.districts_in:
        return "inside", areas.districts_in[district]
    return "outside", None


# ---------------------------------------------------------------------------------------------
# The key.
# ---------------------------------------------------------------------------------------------

AGREEMENTS = ("syria-2016-02", "syria-2017-05", "syria-2018-09")


def key_event(agreement: str, row: dict[str, str]) -> tuple[str, str] | None:
    """(key, reason) for one UCDP row and agreement, or None when left unkeyed."""
    role_a, role_b = side_role(row["side_a"]), side_role(row["side_b"])
    if role_a is None or role_b is None:
        return None
    if "excluded" in (role_a, role_b):
        return "not_violation", "excluded_group"
    start, end = date.fromisoformat(row["date_start"]), date.fromisoformat(row["date_end"])
    period = period_status(PERIODS[agreement], start, end)
    if period == "before":
        return "not_violation", "outside_period"
    areas = AREAS.get(agreement)  # None: nationwide (every row of the file is in Syria)
    where, area = ("inside", None) if areas is None else area_status(areas, row)
    if where == "outside":
        return "not_violation", "outside_area"
    if period is None or where is None:
        return None
    if areas is not None and area in areas.open_until and end > areas.open_until[area]:
        return None  # after the government retook the area; the texts say nothing of it
    relation = dyad_key(agreement, role_a, role_b)
    if relation == "covered":
        return "covered", "covered_inside"
    if relation == "not_party":
        return "not_party", "not_party_inside"
    return None


def build(shared: Path, out_dir: Path) -> dict[str, Counter[str]]:
    with gzip.open(shared / UCDP_FILE, "rt", encoding="utf-8", newline="") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda r: int(r["id"]))
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, Counter[str]] = {}
    for agreement in AGREEMENTS:
        tally: Counter[str] = Counter()
        path = out_dir / f"{agreement}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["ucdp_id", "key", "reason"])
            for row in rows:
                keyed = key_event(agreement, row)
                tally[keyed[1] if keyed else "unkeyed"] += 1
                if keyed:
                    writer.writerow([row["id"], *keyed])
        counts[agreement] = tally
        LOG.info(
            "%s: %s",
            path.relative_to(ROOT) if path.is_relative_to(ROOT) else path,
            dict(sorted(tally.items())),
        )
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "shared",
        nargs="?",
        type=Path,
        default=DEFAULT_SHARED,
        help="the shared data folder holding events/ (default: %(default)s)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "tests" / "data" / "analyst_keys",
        help="output folder (default: %(default)s)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    build(args.shared, args.out)


if __name__ == "__main__":
    main()
