"""OCHA administrative units of Syria by P-code: names, boundaries, and the lookups between them.

The units are the OCHA COD-AB Syria v02 governorates (level 1, ``SY01``…``SY14``), districts
(level 2, ``SY0100``…) and sub-districts (level 3, ``SY010000``…), bundled in
``ceasefire/data/boundaries/admin{1,2,3}.geojson.gz`` by ``scripts/build_boundaries.py``
(simplified: see that folder's ``manifest.json`` for each level's tolerance).  Areas are compared
by P-code, never by name: "Idleb", "Idlib governorate" and "محافظة إدلب" are all ``SY07``.

Names → P-codes (:meth:`AdminUnits.pcode_for_name`)
    A P-code passes through (checked).  Otherwise the words for a level (governorate,
    muhafazat, province, district, mintaqat, nahiya, sub-district, محافظة, منطقة, ناحية) are
    taken out and imply the level; the rest is matched against each unit's English and Arabic
    names and the gazetteer's spellings of it, first by :func:`place_key` (spelling habits) and
    then by :func:`skeleton_key` (consonants only, so "Jabal Saman" meets "Jebel Saman" and
    "Rif Dimashq" meets "ريف دمشق"; when a name matches exactly, a skeleton match counts only
    if it holds the exact one).  A leading "Markaz" (مركز, "centre of") that matches nothing is
    dropped: "Markaz Daraa district" is the district of Dar'a.  The most general unit wins when
    every other match lies inside it ("Idleb" is the governorate, not its central district);
    otherwise the name is ambiguous and the answer is ``None``: pass ``level`` or ``within`` (a
    parent P-code; sub-district names repeat across governorates).

Points → P-codes (:meth:`AdminUnits.locate`)
    Each level's polygons sit in an STRtree.  A point on a border shared by several units goes
    to the one inside the unit already chosen at the level above, then to the lowest P-code.  A
    point in no polygon but within the level's simplification tolerance of one (a sliver the
    simplification opened between neighbours, or the generalised national border) goes to the
    nearest.  Otherwise the level is absent from the answer.

Everything here is deterministic: same files, same answers.
"""

from __future__ import annotations

import difflib
import gzip
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.strtree import STRtree

from ceasefire.errors import ConfigError
from ceasefire.model.actors import normalise_name
from ceasefire.model.arabic import fold
from ceasefire.model.place_names import fold_word, place_key, skeleton_key

__all__ = ["LEVELS", "AdminUnit", "AdminUnits", "admin_units"]

LEVELS = (1, 2, 3)
LEVEL_NAMES = {1: "governorate", 2: "district", 3: "sub-district"}
MAX_NAME_CHARS = 200  # the longest unit name has 25 characters; longer input names none
_PCODE = re.compile(r"SY\d{2}(?:\d{2}){0,2}")
_WORD = re.compile(r"[^\W\d_]+(?:['’`‘][^\W\d_]+)*")
# Words that name a level rather than a place (compared by _word_key, so "Muhafazah" is
# "muhafaza" and "محافظة" is "محافظه").
_LEVEL_SPELLINGS = {
    1: ("governorate", "gouvernorat", "muhafazat", "muhafaza", "mohafazat", "mohafaza",
        "province", "محافظة"),
    2: ("district", "mintaqat", "mintaqa", "mantiqat", "mantiqa", "mintaka", "منطقة"),
    3: ("nahiya", "nahiyat", "nahia", "nahie", "subdistrict", "ناحية"),
}  # fmt: skip
_SUB = ("sub", "district")  # "sub-district", "sub district": two words, level 3
_FILLERS = frozenset({"of", "the"})  # "Governorate of Idlib"
_CENTRE = frozenset({"markaz", "مركز"})  # "Markaz Idlib": the central district of Idlib
# A skeleton shorter than this is not matched: two consonants ("hm") are shared by too many
# words ("home" would be Hama); such names meet by place_key or the gazetteer's spellings.
_MIN_SKELETON = 3


@dataclass(frozen=True)
class AdminUnit:
    """One OCHA admin unit.  ``adm1_pcode``/``adm2_pcode`` are its parents' P-codes (``None``
    where the level has no such parent); ``geometry`` is a shapely (Multi)Polygon, lon/lat."""

    pcode: str
    level: int
    name: str
    name_ar: str
    adm1_pcode: str | None = None
    adm2_pcode: str | None = None
    alt_names: tuple[str, ...] = ()
    geometry: Any = field(default=None, compare=False, repr=False)

    @property
    def parent(self) -> str | None:
        """The P-code of the unit one level up (``None`` for a governorate)."""
        return self.adm2_pcode if self.level == 3 else self.adm1_pcode

    def pcode_at(self, level: int) -> str | None:
        """This unit's P-code at ``level`` (its own, or an ancestor's); ``None`` below it."""
        if level == self.level:
            return self.pcode
        return {1: self.adm1_pcode, 2: self.adm2_pcode}.get(level) if level < self.level else None

    def lies_in(self, pcode: str) -> bool:
        """True if this unit is ``pcode`` or lies inside it."""
        return pcode in (self.pcode, self.adm1_pcode, self.adm2_pcode)

    def names(self) -> tuple[str, ...]:
        return (self.name, self.name_ar, *self.alt_names)


@dataclass
class _Layer:
    units: tuple[AdminUnit, ...]  # sorted by P-code; index i ↔ geometry i of the tree
    geoms: NDArray[Any]
    tree: Any  # STRtree
    tolerance: float


class AdminUnits:
    """The admin units of levels 1–3, indexed by P-code, name and position.

    Construction takes the records and builds the indexes; it reads nothing.  Use
    :func:`admin_units` for the bundled units (read once), or :meth:`load` for another folder.
    """

    def __init__(
        self, units: Iterable[AdminUnit], tolerances: Mapping[int, float] | None = None
    ) -> None:
        ordered = sorted(units, key=lambda u: u.pcode)
        self._by_pcode: dict[str, AdminUnit] = {}
        for unit in ordered:
            if unit.level not in LEVELS:
                raise ConfigError(f"Admin unit {unit.pcode}: level {unit.level} is not 1, 2 or 3.")
            if unit.pcode in self._by_pcode:
                raise ConfigError(f"Admin unit {unit.pcode} is listed twice.")
            self._by_pcode[unit.pcode] = unit
        for unit in ordered:
            for parent in (unit.adm1_pcode, unit.adm2_pcode):
                if parent is not None and parent not in self._by_pcode:
                    raise ConfigError(f"Admin unit {unit.pcode}: parent {parent} is not listed.")
        self._layers: dict[int, _Layer] = {}
        for level in LEVELS:
            members = tuple(u for u in ordered if u.level == level)
            geoms = np.array([u.geometry for u in members], dtype=object)
            shapely.prepare(geoms)
            tolerance = (tolerances or {}).get(level, 0.0)
            self._layers[level] = _Layer(members, geoms, STRtree(geoms), tolerance)
        self._exact: dict[str, tuple[str, ...]] = _index(ordered, place_key)
        self._skeleton: dict[str, tuple[str, ...]] = _index(ordered, skeleton_key)
        self._resolve = lru_cache(maxsize=8192)(self._resolve_uncached)
        self._union = lru_cache(maxsize=256)(self._union_uncached)

    # -- loading ---------------------------------------------------------------------------
    @classmethod
    def load(cls, directory: Path | str | None = None) -> AdminUnits:
        """Read ``admin1``–``admin3.geojson.gz`` and ``manifest.json`` from ``directory``
        (default: the bundled ``ceasefire/data/boundaries``)."""
        folder = Path(directory) if directory is not None else _bundled()
        tolerances = _tolerances(folder / "manifest.json")
        units = [u for level in LEVELS for u in _read_layer(folder, level)]
        return cls(units, tolerances)

    # -- by P-code -------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._by_pcode)

    def __iter__(self) -> Iterator[AdminUnit]:
        return iter(self._by_pcode.values())

    def __contains__(self, pcode: object) -> bool:
        return pcode in self._by_pcode

    def unit(self, pcode: str) -> AdminUnit:
        """The unit with this P-code; :class:`ConfigError` naming the closest known one if none."""
        found = self._by_pcode.get(pcode.strip().upper()) if isinstance(pcode, str) else None
        if found is None:
            raise ConfigError(self._unknown(pcode))
        return found

    def units(self, level: int | None = None) -> tuple[AdminUnit, ...]:
        """All units of ``level`` (all levels if ``None``), sorted by P-code."""
        if level is None:
            return tuple(self._by_pcode.values())
        return self._layer(level).units

    def children(self, pcode: str) -> tuple[AdminUnit, ...]:
        """The units one level below ``pcode``, sorted by P-code."""
        parent = self.unit(pcode)
        if parent.level == LEVELS[-1]:
            return ()
        return tuple(u for u in self._layer(parent.level + 1).units if u.parent == parent.pcode)

    # -- by name ---------------------------------------------------------------------------
    def pcode_for_name(
        self, name: str, level: int | None = None, within: str | None = None
    ) -> str | None:
        """The P-code ``name`` stands for, or ``None`` if it names no unit or several.

        ``level`` restricts the answer to one level; ``within`` to the units inside a parent
        P-code.  An unknown ``within`` or a level other than 1–3 is a :class:`ConfigError`.
        """
        within = self._checked(level, within)
        if not _plausible(name):
            return None
        return self._resolve(name, level, within)

    def matches(
        self, name: str, level: int | None = None, within: str | None = None
    ) -> tuple[AdminUnit, ...]:
        """The unit ``name`` stands for, or every unit it could stand for when it is ambiguous
        (most general first); ``()`` when it names none.  Arguments as in
        :meth:`pcode_for_name`."""
        within = self._checked(level, within)
        if not _plausible(name):
            return ()
        return tuple(self._by_pcode[p] for p in self._candidates(name, level, within))

    def _checked(self, level: int | None, within: str | None) -> str | None:
        if level is not None:
            self._layer(level)
        return None if within is None else self.unit(within).pcode

    def _resolve_uncached(self, name: str, level: int | None, within: str | None) -> str | None:
        found = self._candidates(name, level, within)
        return found[0] if len(found) == 1 else None

    def _candidates(self, name: str, level: int | None, within: str | None) -> tuple[str, ...]:
        code = name.strip().upper()
        if _PCODE.fullmatch(code):
            unit = self._by_pcode.get(code)
            if unit is None or not self._allowed(unit, level, within):
                return ()
            return (code,)
        words, implied = _strip_level_words(name)
        if implied is not None:
            if level is not None and implied != level:
                return ()  # "Idlib governorate" is not a district
            level = implied
        if not words:
            return ()
        attempts = [words]
        if len(words) > 1 and _word_key(words[0]) in _CENTRE:
            attempts.append(words[1:])
        for attempt in attempts:
            text = " ".join(attempt)
            exact = [u for u in self._exact_matches(text) if self._allowed(u, level, within)]
            loose = [u for u in self._skeleton_matches(text) if self._allowed(u, level, within)]
            if exact:  # a looser match counts only as a unit holding an exact one
                loose = [u for u in loose if any(e.lies_in(u.pcode) for e in exact)]
            if exact or loose:
                return _chain_head([*exact, *loose])
        return ()

    def _exact_matches(self, text: str) -> list[AdminUnit]:
        return [self._by_pcode[p] for p in self._exact.get(place_key(text), ())]

    def _skeleton_matches(self, text: str) -> list[AdminUnit]:
        key = skeleton_key(text)
        if len(key) < _MIN_SKELETON:
            return []
        return [self._by_pcode[p] for p in self._skeleton.get(key, ())]

    @staticmethod
    def _allowed(unit: AdminUnit, level: int | None, within: str | None) -> bool:
        if level is not None and unit.level != level:
            return False
        return within is None or (unit.pcode != within and unit.lies_in(within))

    # -- by position -----------------------------------------------------------------------
    def locate(self, lon: float, lat: float) -> dict[int, str]:
        """``{level: P-code}`` of the units holding the point (lon/lat, WGS84); ``{}`` outside."""
        if not (math.isfinite(lon) and math.isfinite(lat)):
            return {}
        point = shapely.Point(lon, lat)
        found: dict[int, str] = {}
        for level in LEVELS:
            layer = self._layers[level]
            hits = layer.tree.query(point)
            if len(hits):
                hits = hits[shapely.intersects(layer.geoms[hits], point)]
            if not len(hits) and layer.tolerance > 0:
                hits = layer.tree.query_nearest(
                    point, max_distance=layer.tolerance, all_matches=True
                )
            if len(hits):
                found[level] = self._choose(layer, hits, found.get(level - 1))
        return found

    def locate_many(self, lons: Sequence[float], lats: Sequence[float]) -> list[dict[int, str]]:
        """:meth:`locate` for many points at once (same answers, one tree query per level)."""
        x = np.asarray(lons, dtype=float)
        y = np.asarray(lats, dtype=float)
        if x.shape != y.shape or x.ndim != 1:
            raise ConfigError("locate_many needs two equally long sequences of lon and lat.")
        finite = np.isfinite(x) & np.isfinite(y)
        points = shapely.points(np.where(finite, x, 0.0), np.where(finite, y, 0.0))
        answers: list[dict[int, str]] = [{} for _ in range(len(x))]
        for level in LEVELS:
            layer = self._layers[level]
            which, hits = layer.tree.query(points)
            inside = shapely.intersects(layer.geoms[hits], points[which]) & finite[which]
            which, hits = which[inside], hits[inside]
            groups: dict[int, list[int]] = {}
            for i, j in zip(which.tolist(), hits.tolist(), strict=True):
                groups.setdefault(i, []).append(j)
            if layer.tolerance > 0:
                missing = np.flatnonzero(finite & ~np.isin(np.arange(len(x)), which))
                if len(missing):
                    near_which, near_hits = layer.tree.query_nearest(
                        points[missing], max_distance=layer.tolerance, all_matches=True
                    )
                    for i, j in zip(missing[near_which].tolist(), near_hits.tolist(), strict=True):
                        groups.setdefault(i, []).append(j)
            for i, js in groups.items():
                answers[i][level] = self._choose(
                    layer, np.asarray(js, dtype=np.intp), answers[i].get(level - 1)
                )
        return answers

    @staticmethod
    def _choose(layer: _Layer, hits: NDArray[np.intp], parent: str | None) -> str:
        """One P-code of several candidates: inside ``parent`` first, then the lowest P-code."""
        if len(hits) == 1:
            return layer.units[int(hits[0])].pcode
        units: list[AdminUnit] = sorted((layer.units[int(i)] for i in hits), key=lambda u: u.pcode)
        inside = [u for u in units if parent is not None and u.lies_in(parent)]
        return (inside or units)[0].pcode

    # -- geometry --------------------------------------------------------------------------
    def union(self, pcodes: Iterable[str]) -> Any:
        """The union of the units' polygons, any mix of levels (a unit inside another listed
        unit adds nothing).  An unknown P-code is a :class:`ConfigError` naming the closest."""
        if isinstance(pcodes, str):
            pcodes = [pcodes]
        units = sorted({self.unit(code) for code in pcodes}, key=lambda u: u.pcode)
        if not units:
            raise ConfigError("A union of admin units needs at least one P-code.")
        listed = {u.pcode for u in units}
        kept = tuple(
            u.pcode for u in units if u.adm1_pcode not in listed and u.adm2_pcode not in listed
        )
        return self._union(kept)

    def _union_uncached(self, pcodes: tuple[str, ...]) -> Any:
        units = [self._by_pcode[p] for p in pcodes]
        if len(units) == 1:
            return units[0].geometry
        merged = _polygonal(shapely.union_all([u.geometry for u in units]))
        # Neighbours were simplified one by one, so thin slivers open between them; their
        # width is below the two tolerances together. A real hole (Damascus inside Rural
        # Damascus) is kilometres wide.
        width = 2 * max(self._layers[u.level].tolerance for u in units)
        return _without_slivers(merged, width)

    def geometry_for(
        self, name_or_pcode: str, level: int | None = None, within: str | None = None
    ) -> Any:
        """The polygon of the unit a name or P-code stands for; :class:`ConfigError` if none
        or several (the message lists them, or the closest name known)."""
        found = self.matches(name_or_pcode, level, within)
        if len(found) == 1:
            return found[0].geometry
        shown = _shown(name_or_pcode)
        where = "" if level is None else f" at level {level} ({LEVEL_NAMES[level]})"
        where += "" if within is None else f" within {within}"
        if found:
            options = ", ".join(f"{u.pcode} {u.name}" for u in found)
            raise ConfigError(
                f"{shown} names several admin units{where}: {options}. Give the P-code."
            )
        raise ConfigError(
            f"{shown} names no admin unit{where}; {self._closest_name(name_or_pcode)}"
        )

    # -- messages --------------------------------------------------------------------------
    def _unknown(self, pcode: object) -> str:
        shown = _shown(pcode)
        code = pcode.strip().upper() if isinstance(pcode, str) else ""
        message = f"{shown} is not an OCHA admin P-code of Syria (levels 1-3)."
        if _PCODE.fullmatch(code):
            close = self._closest_pcode(code)
            return f"{message} The closest known P-code is {close} ({self._by_pcode[close].name})."
        named = self.pcode_for_name(pcode) if isinstance(pcode, str) else None
        if named is not None:
            return f"{message} As a name it stands for {named} ({self._by_pcode[named].name})."
        return message

    def _closest_pcode(self, code: str) -> str:
        """The known P-code sharing the longest prefix with ``code``, then of its length."""

        def shared(known: str) -> int:
            n = 0
            while n < min(len(known), len(code)) and known[n] == code[n]:
                n += 1
            return n

        return min(self._by_pcode, key=lambda k: (-shared(k), abs(len(k) - len(code)), k))

    def _closest_name(self, name: str) -> str:
        if not _plausible(name):
            return "give a P-code."
        key = place_key(name)
        names = {place_key(u.name): u for u in self._by_pcode.values()}
        close = difflib.get_close_matches(key, list(names), n=1, cutoff=0.6)
        if not close:
            return "give a P-code."
        unit = names[close[0]]
        return f"the closest name known is {unit.name} ({unit.pcode})."

    def _layer(self, level: int) -> _Layer:
        layer = self._layers.get(level) if isinstance(level, int) else None
        if layer is None:
            raise ConfigError(f"Admin level {level!r} is not one of 1, 2, 3.")
        return layer


@lru_cache(maxsize=1)
def admin_units() -> AdminUnits:
    """The bundled OCHA admin units, read once per process."""
    return AdminUnits.load()


# -- helpers ------------------------------------------------------------------------------------
def _bundled() -> Path:
    return Path(str(resources.files("ceasefire").joinpath("data", "boundaries")))


def _index(units: Sequence[AdminUnit], key: Any) -> dict[str, tuple[str, ...]]:
    """{key: P-codes} over every name of every unit; a name "Markaz X" (مركز, the central
    unit named after X) is also indexed as "X", as OCHA's English names already do."""
    index: dict[str, set[str]] = {}
    for unit in units:
        for name in unit.names():
            words = name.split()
            variants = [name]
            if len(words) > 1 and _word_key(words[0]) in _CENTRE:
                variants.append(" ".join(words[1:]))
            for variant in variants:
                k = key(variant)
                if k:
                    index.setdefault(k, set()).add(unit.pcode)
    return {k: tuple(sorted(v)) for k, v in index.items()}


def _chain_head(found: Sequence[AdminUnit]) -> tuple[str, ...]:
    """The one most general unit when every match lies inside it ("Idleb": the governorate,
    its district and its sub-district); otherwise every match, sorted (ambiguous)."""
    top = min(u.level for u in found)
    heads = {u.pcode for u in found if u.level == top}
    if len(heads) == 1:
        head = heads.pop()
        if all(u.lies_in(head) for u in found):
            return (head,)
    return tuple(sorted({u.pcode for u in found}, key=lambda p: (len(p), p)))


def _word_key(word: str) -> str:
    return fold_word(normalise_name(fold(word)).replace(" ", ""))


_LEVEL_WORDS = {_word_key(w): level for level, ws in _LEVEL_SPELLINGS.items() for w in ws}


def _strip_level_words(name: str) -> tuple[list[str], int | None]:
    """The words of ``name`` without the words naming a level, and the level they name."""
    words = [m.group() for m in _WORD.finditer(name)]
    keys = [_word_key(w) for w in words]
    kept: list[str] = []
    levels: set[int] = set()
    i = 0
    while i < len(words):
        if tuple(keys[i : i + 2]) == _SUB:
            levels.add(3)
            i += 2
            continue
        if keys[i] in _LEVEL_WORDS:
            levels.add(_LEVEL_WORDS[keys[i]])
        else:
            kept.append(words[i])
        i += 1
    if levels:
        kept = [w for w in kept if w.lower() not in _FILLERS]
    if len(levels) > 1:
        return [], None  # "district governorate": no single level, so no unit
    return kept, (levels.pop() if levels else None)


def _plausible(name: object) -> bool:
    return isinstance(name, str) and bool(name.strip()) and len(name) <= MAX_NAME_CHARS


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…'"


def _polygonal(geom: Any) -> Any:
    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon | MultiPolygon)]
    return shapely.union_all(parts) if parts else geom


def _without_slivers(geom: Any, width: float) -> Any:
    """``geom`` without the holes whose mean width (2 · area / perimeter) is at most ``width``."""
    if width <= 0:
        return geom
    parts = []
    for part in getattr(geom, "geoms", [geom]):
        holes = [r for r in part.interiors if 2 * Polygon(r).area / r.length > width]
        parts.append(Polygon(part.exterior, holes))
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def _tolerances(path: Path) -> dict[int, float]:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        return {
            level: float(manifest["layers"][f"admin{level}"]["simplify_tolerance_degrees"])
            for level in LEVELS
        }
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(
            f"Cannot read the admin tolerances from {path}: {exc}. "
            "Rebuild it with scripts/build_boundaries.py."
        ) from exc


def _read_layer(folder: Path, level: int) -> list[AdminUnit]:
    path = folder / f"admin{level}.geojson.gz"
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            features = json.load(fh)["features"]
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(
            f"Cannot read the admin boundaries {path}: {exc}. "
            "Rebuild them with scripts/build_boundaries.py."
        ) from exc
    units = []
    for n, feat in enumerate(features):
        try:
            props = feat["properties"]
            unit = AdminUnit(
                pcode=str(props["area_id"]),
                level=int(props["level"]),
                name=str(props["name"]),
                name_ar=str(props["name_ar"]),
                adm1_pcode=props.get("adm1_pcode"),
                adm2_pcode=props.get("adm2_pcode"),
                alt_names=tuple(str(a) for a in props.get("alt_names", ())),
                geometry=shape(feat["geometry"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(f"{path}: feature {n}: {exc!r} is missing or malformed.") from exc
        if unit.level != level:
            raise ConfigError(f"{path}: {unit.pcode} has level {unit.level}, expected {level}.")
        units.append(unit)
    return units
