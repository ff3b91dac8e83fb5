"""Arabic text for matching: letter folding, clitic prefixes, digits, and the script of a text.

Every stage that reads Arabic matches through these functions, never displays their output:
offsets always point into ``Document.text`` as cleaned.

* :func:`fold` makes spellings meet: alef variants (أ إ آ ٱ → ا), hamza on a seat (ؤ → و,
  ئ → ي; a bare ء goes), ta marbuta (ة → ه), alef maqsura (ى → ي), tatweel and the harakat
  (fatha … sukun, dagger alef) removed, Eastern Arabic (٠-٩) and Persian (۰-۹) digits → ASCII.
* :func:`fold_with_offsets` does the same and says where each folded character came from, so a
  regular expression run over the folded text gives spans in the original.
* :func:`stems` are the readings of one word with its clitic prefixes stripped (و ف ب ل ك, the
  article ال and their combinations وال بال لل …): a name is matched on any of them, the bare
  word first, so "وبدمشق" meets "دمشق".
* :func:`detect_language` tells Arabic from Latin-script text by the share of letters.

The module sits in the model layer because the gazetteer (geo) and the pipeline stages both
fold with it; the pipeline's Arabic lexicons live in :mod:`ceasefire.pipeline.arabic`.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = [
    "ARABIC_LETTER",
    "DIGITS",
    "detect_language",
    "fold",
    "fold_with_offsets",
    "stem_readings",
    "stems",
    "strip_article",
]

ARABIC_LETTER = re.compile(r"[\u0620-\u064a\u0671-\u06d3\u06fa-\u06fc]")
_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")
# harakat, tanwin, shadda, sukun, superscript (dagger) alef, Quranic marks; tatweel
_REMOVED = frozenset(
    [chr(c) for c in range(0x064B, 0x0660)] + ["\u0670", "\u0640", "\u0621"]
    + [chr(c) for c in range(0x06D6, 0x06EE)]
)  # fmt: skip
DIGITS = str.maketrans(
    {**{chr(0x0660 + n): str(n) for n in range(10)}, **{chr(0x06F0 + n): str(n) for n in range(10)}}
)
_LETTERS = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ؤ": "و", "ئ": "ي", "ة": "ه", "ى": "ي", "ک": "ك",
     "ی": "ي", "٫": ".", "٬": ",", "،": ",", "؛": ";", "؟": "?"}
)  # fmt: skip
# clitic prefixes, longest first: conjunction (و ف), preposition (ب ل ك), article (ال);
# ل before ال writes لل
_PREFIXES = (
    "وبال", "فبال", "وكال", "فكال", "ولل", "فلل", "وال", "فال", "بال", "كال", "لل", "ال",
    "وب", "فب", "ول", "فل", "وك", "فك", "و", "ف", "ب", "ل", "ك",
)  # fmt: skip
MIN_STEM = 2  # letters a stem keeps after its prefixes go


def fold(text: str) -> str:
    """``text`` folded for matching (see the module docstring); not for display."""
    return "".join(ch for ch in text.translate(_LETTERS) if ch not in _REMOVED).translate(DIGITS)


def fold_with_offsets(text: str) -> tuple[str, tuple[int, ...]]:
    """``(folded, origin)``: ``origin[i]`` is the index in ``text`` of ``folded[i]``, and
    ``origin[len(folded)] == len(text)``, so a span ``(a, b)`` of the folded text is
    ``(origin[a], origin[b])`` in the original (a trailing removed mark stays outside)."""
    kept: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text.translate(_LETTERS)):
        if ch in _REMOVED:
            continue
        kept.append(ch)
        origin.append(i)
    origin.append(len(text))
    return "".join(kept).translate(DIGITS), tuple(origin)


def strip_article(word: str) -> str:
    """A folded word without its article ``ال`` when a stem of two letters or more remains."""
    return word[2:] if word.startswith("ال") and len(word) >= 2 + MIN_STEM + 1 else word


@lru_cache(maxsize=65536)
def stems(word: str) -> tuple[str, ...]:
    """Readings of one folded word: itself, then without each clitic prefix it may carry
    (longest prefix first), each at least :data:`MIN_STEM` + 1 letters long.

    "والجيش" → ("والجيش", "الجيش", "جيش"); a word that merely starts with one of the letters
    ("بصرى") keeps its own reading first, so a caller tries the bare word before the stems.
    """
    out = [word]
    for prefix in _PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) > MIN_STEM:
            stem = word[len(prefix) :]
            for reading in ("ال" + stem, stem) if prefix.endswith(("ال", "لل")) else (stem,):
                if reading not in out:
                    out.append(reading)
    return tuple(out)


@lru_cache(maxsize=65536)
def stem_readings(word: str) -> tuple[tuple[str, int], ...]:
    """The clitic-stripped readings of a word as written (harakat and all): ``(folded reading,
    characters of word before the stem)``, the bare word's own reading excluded; a reading
    "ال" + stem made up after "لل" starts where the stem does."""
    folded, origin = fold_with_offsets(word)
    out: list[tuple[str, int]] = []
    for reading in stems(folded)[1:]:
        cut = len(folded) - len(reading) + (0 if folded.endswith(reading) else 2)
        out.append((reading, origin[cut]))
    return tuple(out)


def detect_language(text: str, sample: int = 4000) -> str:
    """``"ar"`` when Arabic letters are at least half the letters of the text's first
    ``sample`` characters, ``"en"`` when Latin letters are (the only Latin-script resources the
    pipeline has are English), ``""`` for a text without letters.  Deterministic."""
    head = text[:sample]
    arabic = len(ARABIC_LETTER.findall(head))
    latin = len(_LATIN_LETTER.findall(head))
    if not arabic and not latin:
        return ""
    return "ar" if arabic >= latin else "en"
