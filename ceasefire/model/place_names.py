"""Place names: the keys under which different spellings of one name meet.

Two keys, one strict and one loose:

* :func:`place_key` folds case, accents, apostrophes, hyphens and Arabic articles
  (``normalise_name``), and the transliteration habits that differ between outlets: doubled
  letters (Raqqa/Raqa), ``ou``/``oo``/``u`` (Douma/Duma), ``ee``/``i`` (Deen/Din), a final
  ``-eh``/``-ah``/``-a`` (Hasakeh/Hasaka).  Arabic script keeps its letters; hamza seats,
  ``ة``/``ه``, ``ى``/``ي``, harakat and the article ``ال`` are folded
  (:func:`ceasefire.model.arabic.fold`).  The gazetteer indexes every name
  under this key.
* :func:`skeleton_key` keeps only the consonants, in one Latin alphabet for both scripts:
  vowels, ``y``/``w`` and the letters that stand for them (``ا و ي ى``), ``ʿayn`` and hamza
  (apostrophes) are dropped; ``q``/``k``/``c``, ``kh``/``k``, ``gh``/``g``, ``sh``/``s``,
  ``th``/``t``, ``dh``/``d`` meet; doubled letters collapse; a glued article (``Albu Kamal``,
  ``Elmashayekh``) is dropped.  So "Idlib", "Idleb", "Edlib" and "إدلب" share ``dlb``, and
  "Rif Dimashq" meets "ريف دمشق".  The key is lossy on purpose: it is a fallback for names the
  strict key misses, and a caller must treat two places sharing a skeleton as ambiguous.
"""

from __future__ import annotations

import re
import unicodedata

from ceasefire.model.actors import normalise_name
from ceasefire.model.arabic import fold, strip_article

__all__ = [
    "ARABIC",
    "ARTICLES",
    "fold_word",
    "place_key",
    "skeleton_key",
]

ARTICLES = frozenset(
    {
        "al",
        "el",
        "ad",
        "an",
        "ar",
        "as",
        "ash",
        "at",
        "az",
        "ul",
        "ez",
        "es",
        "ed",
        "er",
        "et",
        "en",
        "il",
    }
)
ARABIC = re.compile(r"[\u0600-\u06FF]")
_DOUBLE = re.compile(r"([a-z])\1+")
_VOWELS = frozenset("aeiou")


def fold_word(word: str) -> str:
    """Fold one already-normalised word (lower case, no punctuation)."""
    if ARABIC.search(word):
        return strip_article(fold(word))
    word = word.replace("ee", "i").replace("oo", "u")
    word = _DOUBLE.sub(r"\1", word)
    word = word.replace("ou", "u")
    if len(word) > 3 and word.endswith("h") and word[-2] in _VOWELS:
        word = word[:-1]
    if len(word) > 3 and word.endswith("e") and word[-2] not in _VOWELS:
        word = word[:-1] + "a"
    return word


def place_key(name: str) -> str:
    """The index key of a place name: ``place_key("Deir el-Zour") == place_key("Deir Ezzor")``?

    Not always: keys fold spelling habits, not every transliteration; variants the fold cannot
    reach are listed as alternate names in the gazetteer instead.
    """
    words = normalise_name(fold(name)).split()
    kept = [w for w in words if w not in ARTICLES] or words
    return " ".join(fold_word(w) for w in kept)


# -- the consonant skeleton -----------------------------------------------------------------------
# Arabic letters → the Latin consonant they are most often written with; long vowels, ʿayn and
# hamza → nothing.  ``ة`` is handled apart: "t" inside a construct (معرة النعمان → Maarat
# al-Numaan), nothing at the end of a name (حماة → Hama).
_ARABIC_CONSONANT = {
    "ب": "b", "ت": "t", "ث": "t", "ج": "j", "ح": "h", "خ": "k", "د": "d", "ذ": "d", "ر": "r",
    "ز": "z", "س": "s", "ش": "s", "ص": "s", "ض": "d", "ط": "t", "ظ": "z", "غ": "g", "ف": "f",
    "ق": "k", "ك": "k", "ل": "l", "م": "m", "ن": "n", "ه": "h", "ک": "k", "گ": "g", "پ": "b",
    "چ": "s",
}  # fmt: skip
_LATIN_DIGRAPHS = (
    ("sch", "s"),
    ("kh", "k"),
    ("gh", "g"),
    ("sh", "s"),
    ("ch", "s"),
    ("th", "t"),
    ("dh", "d"),
    ("ph", "f"),
    ("dj", "j"),
    ("zh", "z"),
)
_LATIN_CONSONANT = str.maketrans(
    {"q": "k", "c": "k", "p": "b", "v": "f", "x": "ks", **dict.fromkeys("aeiouyw", "")}
)
_GLUED_ARTICLE = re.compile(r"^(?:al|el)(?=[^aeiouyl\W])")
# Articles written before a sun letter as the letter's digraph ("Ath-Thawrah", "Adh-Dhahabiyah").
_SKELETON_ARTICLES = ARTICLES | {"ath", "adh"}
_LETTERS = re.compile(r"[^\W\d_]+")
_APOSTROPHES = re.compile(r"['’`‘ʿʾ]")
_REPEAT = re.compile(r"(.)\1+")


def _arabic_skeleton(word: str, last: bool) -> str:
    if word.endswith("ة"):  # "t" inside a construct, a vowel at the end of the name
        word = word[:-1] + ("" if last else "ت")
    elif word.endswith("ه"):  # a final -ah/-eh, as in Latin
        word = word[:-1]
    if word.startswith("ال") and len(word) >= 4:
        word = word[2:]
    return "".join(_ARABIC_CONSONANT.get(ch, "") for ch in word)


def _latin_skeleton(word: str) -> str:
    if len(word) >= 4:
        word = _GLUED_ARTICLE.sub("", word)
    if len(word) > 2 and word.endswith("h") and word[-2] in _VOWELS:
        word = word[:-1]
    for digraph, letter in _LATIN_DIGRAPHS:
        word = word.replace(digraph, letter)
    return word.translate(_LATIN_CONSONANT)


def skeleton_key(name: str) -> str:
    """The consonants of ``name`` in one Latin alphabet: ``skeleton_key("Idlib") == "dlb"``.

    Words are joined without spaces (``Tall Kalakh`` meets ``تلكلخ``); a doubled letter inside a
    word counts once.  Returns ``""`` for a name without consonants.
    """
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    words = _LETTERS.findall(_APOSTROPHES.sub("", text))
    kept = [w for w in words if w not in _SKELETON_ARTICLES] or words
    parts = []
    for i, word in enumerate(kept):
        if ARABIC.search(word):
            part = _arabic_skeleton(word, last=i == len(kept) - 1)
        else:
            part = _latin_skeleton(word)
        parts.append(_REPEAT.sub(r"\1", part))
    return "".join(parts)
