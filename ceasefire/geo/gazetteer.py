"""The Syria gazetteer: places, their spellings, and a name index for matching running text.

The data is ``ceasefire/data/gazetteer/places.csv.gz`` (built by ``scripts/build_gazetteer.py``
from OCHA COD-AB and GeoNames; see the ATTRIBUTION.md beside it).  Constructing a
:class:`Gazetteer` does no I/O; the file is read the first time a lookup needs it.

Names meet through :func:`~ceasefire.model.place_names.place_key` (see that module for what
it folds): ``Deir-ez-Zor`` and ``Deir ez-Zor``, ``Raqqa`` and ``Raqa``, ``إدلب`` and ``ادلب``.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ceasefire.errors import ConfigError
from ceasefire.model.actors import normalise_name
from ceasefire.model.arabic import fold, stem_readings
from ceasefire.model.place_names import ARABIC, ARTICLES, fold_word, place_key

__all__ = [
    "BLOCKED_ARABIC",
    "BLOCKED_NAMES",
    "Gazetteer",
    "GazetteerHit",
    "Place",
    "Token",
    "place_key",
    "tokenise",
]

KINDS = (
    "country",
    "admin1",
    "admin2",
    "admin3",
    "populated_place",
    "neighbourhood",
    "feature",
    "foreign",
)
# A word of letters (Latin or Arabic, harakat inside it) with inner apostrophes ("A'zaz");
# digits are not names.
_LETTER = r"(?:[^\W\d_]|[\u064b-\u065f\u0670])"
_TOKEN = re.compile(rf"{_LETTER}+(?:['’`‘]{_LETTER}+)*")
_POSSESSIVE = re.compile(r"['’]s$", re.IGNORECASE)
_NOT_POSSESSIVE = frozenset({"hamas", "amas"})  # the movement, not "Hama's"
# Names of people and groups that are also hamlet names in GeoNames/UCDP ("Assad", "Rami"):
# never matched on their own; the hamlets stay reachable by their other names.
BLOCKED_NAMES = (
    "Assad", "Asad", "Bashar", "Hafez", "Rami", "Ali", "Hassan", "Hussein", "Omar", "Ahmad",
    "Ahmed", "Mohammed", "Muhammad", "Mohamed", "Khaled", "Khalid", "Abdullah", "Ibrahim",
    "Mustafa", "Mahmoud", "Youssef", "Yusuf", "Salman", "Faisal", "Hamza", "Abdel", "Abu",
    "Nusra", "Daesh", "Islam", "Jaish", "Ahrar", "Hezbollah", "Hizballah", "Sham", "Fateh",
    "Tahrir", "Jabhat", "Liwa", "Faylaq", "Ansar", "Observatory", "Coalition",
)  # fmt: skip


# Arabic words of every news text that are also names of some hamlet or neighbourhood ("مدينة",
# "الجنوبي"): never matched on their own, as above; longer names holding them still match.  Three
# OCHA units are among them (الثورة, الكرامة, الحاضر: "the revolution", "dignity", "the present");
# they stay reachable by their Latin names.
BLOCKED_ARABIC = (
    "مدينة", "بلدة", "قرية", "حي", "منطقة", "محافظة", "ناحية", "مخيم", "مطار", "ريف", "جبل", "سهل",
    "وادي", "طريق", "مركز", "سوق", "جامع", "مسجد", "مشفى", "مستشفى", "مدرسة", "جسر", "سد", "نهر",
    "قلعة", "الحدود", "شمال", "جنوب", "شرق", "غرب", "الشمالي", "الجنوبي", "الشرقي", "الغربي",
    "الشمالية", "الجنوبية", "الشرقية", "الغربية", "الأوسط", "الوسطى", "الجيش", "قوات", "النظام",
    "الدولة", "الثورة", "السلام", "النصر", "الشهداء", "الأمن", "الحرية", "العاصمة", "المعارضة",
    "الهلال", "المرصد", "الدفاع", "المدني", "الأحد", "الاثنين", "الثلاثاء", "الأربعاء", "الخميس",
    "الجمعة", "السبت", "اليوم", "أمس", "غارة", "غارات", "قصف", "الطيران", "مقتل", "قتلى", "جرحى",
    "المدنيين", "الأطفال", "النساء", "الرئيس", "الحكومة", "المنطقة", "المدينة", "البلدة", "القرية",
    "الحي", "المخيم", "المطار", "الريف", "الجبل", "السوق", "الجامع", "المسجد", "المركز", "الطريق",
    "النهر", "السد", "الجسر", "القلعة", "المدرسة", "المستشفى", "المشفى", "عين",
    "الحرب", "البلد", "الوطن", "الكرامة", "التحرير", "الفتح", "الإسلام", "العرب", "الحاضر",
)  # fmt: skip


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    key: str  # folded word; "" for an article ("al", "el", …)
    article: bool
    capital: bool  # starts with an upper-case letter, or is Arabic script
    hyphen_after: bool
    # an Arabic word's readings without its clitic prefixes ("وبدمشق" → "دمشق"): (key, start)
    clitic: tuple[tuple[str, int], ...] = ()


def tokenise(text: str) -> list[Token]:
    """Words of ``text`` with their folded keys; a possessive ``'s`` is left out of the span."""
    tokens: list[Token] = []
    for match in _TOKEN.finditer(text):
        start, end = match.span()
        cut, key, article, capital, clitic = _analyse(match.group())
        end -= cut
        tokens.append(
            Token(
                start=start,
                end=end,
                key=key,
                article=article,
                capital=capital,
                hyphen_after=text[end : end + 1] in {"-", "‐"},
                clitic=tuple((k, start + at) for k, at in clitic) if clitic else (),
            )
        )
    return tokens


@lru_cache(maxsize=65536)
def _analyse(
    word: str,
) -> tuple[int, str, bool, bool, tuple[tuple[str, int], ...]]:
    """(characters of a possessive ``'s`` to leave out, key, is an article, is capitalised or
    Arabic, clitic readings) of one word as :func:`tokenise` reads it; cached, because words
    repeat a lot and news texts are tokenised word by word."""
    possessive = _POSSESSIVE.search(word)
    cut = 0
    if possessive:
        cut = len(possessive.group())
        word = word[: possessive.start()]
    key, article, arabic = _word_key(word)
    clitic = _clitic_keys(word) if arabic else ()
    return cut, key, article, arabic or word[:1].isupper(), clitic


@lru_cache(maxsize=65536)
def _clitic_keys(word: str) -> tuple[tuple[str, int], ...]:
    """(key, characters of ``word`` before the stem) of each reading of an Arabic word without
    its clitic prefixes (:func:`~ceasefire.model.arabic.stem_readings`), its own key excluded."""
    own = _word_key(word)[0]
    out: list[tuple[str, int]] = []
    for reading, cut in stem_readings(word):
        key = fold_word(reading)
        if key != own and all(key != k for k, _ in out):
            out.append((key, cut))
    return tuple(out)


@lru_cache(maxsize=65536)
def _word_key(word: str) -> tuple[str, bool, bool]:
    """(folded key, is an article, is Arabic script) of one word; cached, words repeat a lot."""
    folded = normalise_name(fold(word)).replace(" ", "")
    article = folded in ARTICLES
    return ("" if article else fold_word(folded)), article, bool(ARABIC.search(word))


@dataclass(frozen=True)
class Place:
    id: str
    name: str
    alt_names: tuple[str, ...]
    lat: float | None  # None for foreign names (kept only to recognise them)
    lon: float | None
    kind: str  # see KINDS
    precision: int  # UCDP where_prec of a bare mention of this place
    admin1: str
    admin1_pcode: str
    admin2: str
    admin2_pcode: str
    city: str  # parent city of a neighbourhood ("Aleppo")
    population: int
    source: str
    source_id: str

    @property
    def foreign(self) -> bool:
        return self.kind == "foreign"

    def names(self) -> tuple[str, ...]:
        return (self.name, *self.alt_names)


@dataclass(frozen=True)
class GazetteerHit:
    """A span of text whose words name one or more gazetteer places."""

    start: int
    end: int
    text: str
    key: str
    candidates: tuple[Place, ...]
    token_index: int  # index of the first token of the span
    token_count: int


_BLOCKED = frozenset(place_key(name) for name in (*BLOCKED_NAMES, *BLOCKED_ARABIC))


def _default_path() -> Path:
    return Path(str(resources.files("ceasefire") / "data" / "gazetteer" / "places.csv.gz"))


def _float(value: str) -> float | None:
    return float(value) if value else None


class Gazetteer:
    """Places by folded name.  ``exclude_sources`` drops rows by their ``source`` prefix.

    Evaluating on UCDP GED?  Pass ``exclude_sources=("ucdp_ged_derived",)`` so the village names
    derived from GED itself do not leak into the geocoder.
    """

    max_tokens = 6

    def __init__(
        self, path: Path | str | None = None, *, exclude_sources: Iterable[str] = ()
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.exclude_sources = tuple(exclude_sources)
        self._places: tuple[Place, ...] | None = None
        self._index: dict[str, tuple[Place, ...]] = {}
        self._by_name: dict[str, Place] = {}
        self._first_words: frozenset[str] = frozenset()
        self._cities: frozenset[str] = frozenset()

    # -- loading -------------------------------------------------------------------------
    def load(self) -> Gazetteer:
        """Read the file now (it is otherwise read at the first lookup)."""
        if self._places is None:
            self._places = tuple(self._read())
            index: dict[str, list[Place]] = {}
            for place in self._places:
                for name in place.names():
                    key = place_key(name)
                    if not key or key in _BLOCKED:
                        continue
                    bucket = index.setdefault(key, [])
                    if place not in bucket:
                        bucket.append(place)
                self._by_name.setdefault(place.name, place)
            self._index = {key: tuple(bucket) for key, bucket in index.items()}
            self._first_words = frozenset(key.split(" ", 1)[0] for key in self._index)
            self._cities = frozenset(p.city for p in self._places if p.city)
        return self

    def _read(self) -> Iterator[Place]:
        path = self.path or _default_path()
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ConfigError(
                f"Cannot read the gazetteer {path}: {exc}. Rebuild it with scripts/build_gazetteer.py."
            ) from exc
        if path.suffix == ".gz":
            raw = gzip.decompress(raw)
        for line, row in enumerate(csv.DictReader(io.StringIO(raw.decode("utf-8"))), start=2):
            if any(row["source"].startswith(prefix) for prefix in self.exclude_sources):
                continue
            if row["kind"] not in KINDS:
                raise ConfigError(
                    f"{path}:{line}: kind: {row['kind']!r} is not one of {', '.join(KINDS)}."
                )
            yield Place(
                id=row["id"],
                name=row["name"],
                alt_names=tuple(a for a in row["alt_names"].split("|") if a),
                lat=_float(row["lat"]),
                lon=_float(row["lon"]),
                kind=row["kind"],
                precision=int(row["precision"]),
                admin1=row["admin1"],
                admin1_pcode=row["admin1_pcode"],
                admin2=row["admin2"],
                admin2_pcode=row["admin2_pcode"],
                city=row["city"],
                population=int(row["population"] or 0),
                source=row["source"],
                source_id=row["source_id"],
            )

    # -- lookups -------------------------------------------------------------------------
    @property
    def places(self) -> tuple[Place, ...]:
        self.load()
        assert self._places is not None
        return self._places

    def __len__(self) -> int:
        return len(self.places)

    def lookup(self, name: str) -> tuple[Place, ...]:
        """Every place one of whose names folds to the same key as ``name``."""
        return self.lookup_key(place_key(name))

    def lookup_key(self, key: str) -> tuple[Place, ...]:
        self.load()
        return self._index.get(key, ())

    @property
    def cities(self) -> frozenset[str]:
        """Names of the cities that have neighbourhoods ("Aleppo", "Damascus", …)."""
        self.load()
        return self._cities

    def get(self, name: str) -> Place | None:
        """The first place whose primary name is exactly ``name``."""
        self.load()
        return self._by_name.get(name)

    def scan(self, text: str, tokens: list[Token] | None = None) -> list[GazetteerHit]:
        """Longest-first matches of gazetteer names over the words of ``text``.

        A span must hold a capitalised (or Arabic) word, may not start on a loose article
        ("at", "as" before a space), and takes a possessive or a stripped possessive
        ("Aleppo's", "Aleppos") when the bare name is a town, district or governorate.
        """
        self.load()
        tokens = tokenise(text) if tokens is None else tokens
        hits: list[GazetteerHit] = []
        i = 0
        while i < len(tokens):
            first = tokens[i]
            loose_article = (
                first.article
                and not first.hyphen_after
                and first.key == ""
                and text[first.start : first.end].lower() not in {"al", "el"}
            )
            if loose_article:
                i += 1
                continue
            known = (
                first.key in self._first_words
                or (first.key.endswith("s") and first.key[:-1] in self._first_words)
                or (bool(first.clitic) and any(k in self._first_words for k, _ in first.clitic))
            )
            if not known and not (first.article and i + 1 < len(tokens)):
                i += 1
                continue
            hit = self._match_at(text, tokens, i)
            if hit is None:
                i += 1
                continue
            hits.append(hit)
            i += hit.token_count
        return hits

    def _match_at(self, text: str, tokens: list[Token], i: int) -> GazetteerHit | None:
        limit = min(self.max_tokens, len(tokens) - i)
        first = tokens[i]
        # a gap other than space or hyphen (a comma, a full stop) ends a name: no span crosses
        # it, so the gaps are read once here rather than again for every span length
        joined = 1
        while joined < limit and _joins(
            text[tokens[i + joined - 1].end : tokens[i + joined].start]
        ):
            joined += 1
        # the first word as written, then without its Arabic clitic prefixes ("بريف دمشق")
        readings = ((first.key, first.start), *first.clitic)
        for n in range(joined, 0, -1):
            span = tokens[i : i + n]
            if not any(t.capital for t in span if not t.article):
                continue
            if span[-1].article:
                continue
            for reading, start in readings:
                hit = self._match_span(text, span, i, n, reading, start)
                if hit is not None:
                    return hit
        return None

    def _match_span(
        self, text: str, span: list[Token], i: int, n: int, reading: str, start: int
    ) -> GazetteerHit | None:
        """The hit of ``span`` whose first word is read as ``reading`` (starting at ``start``)."""
        first = span[0]
        if first.article and reading == first.key:
            words = [t.key for t in span[1:] if not t.article]
        else:
            words = [reading, *(t.key for t in span[1:] if not t.article)]
        if not words:
            return None
        key = " ".join(words)
        found = self._index.get(key)
        if (
            not found
            and len(words[-1]) > 4
            and words[-1].endswith("s")
            and key not in _NOT_POSSESSIVE
        ):
            stripped = " ".join([*words[:-1], words[-1][:-1]])
            found = tuple(p for p in self._index.get(stripped, ()) if _takes_bare_possessive(p))
            if found:
                key = stripped
        if not found:
            return None
        end = span[-1].end
        return GazetteerHit(start, end, text[start:end], key, found, i, n)


def _joins(gap: str) -> bool:
    return gap in {" ", "-", "‐", " - "} or (
        gap.strip() == "" and "\n" not in gap and len(gap) <= 2
    )


def _takes_bare_possessive(place: Place) -> bool:
    """ "Aleppos" (an apostrophe lost in transit) reads as Aleppo's for well-known places only."""
    return place.kind in {"country", "admin1", "admin2"} or place.population >= 20000
