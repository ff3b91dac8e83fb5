"""Numeric claims in news text, the claims table, conflicts between sources, and story briefs.

A *claim* is a count the text gives for a quantity ("at least 40 people were killed"), with its
qualifier, its scope (one ``incident``, a ``period`` such as "since the truce began", or the whole
``conflict``), who the text says gives it, and the span of the number phrase in ``Document.text``.
The extractor is rule-based and keeps only definite numbers: "dozens" and "hundreds" are not
claims, nor are years, dates, ages, times, percentages, money or resolution numbers.  One person
named with "a" is a count of one ("a woman and a child were killed": 1, 1 and their total 2) when
the verb is right before or after it; a count of the killed and the hurt together ("88 killed and
injured") is neither quantity, so it never stands in for a toll; in a headline without commas
each count takes its own participle ("8 persons killed 58 others injured").

Counts of people joined by "and" or commas are summed: "30 soldiers and 39 rebels were killed"
gives the parts (30 and 39 killed) and a derived total (69 killed) whose ``parts`` cite both spans.

Known limits: a range is read at its high end ("40 to 50 killed" is as many as 50; "40-50" is
not read); counts in separate clauses are not summed ("30 soldiers were killed and 39 rebels
died"); the words around a number decide its quantity, so an unusual construction is missed
rather than guessed.

Counts are never averaged.  :func:`find_conflicts` compares the interval each qualifier implies
("at least 40" is [40, ∞), "about 40" is [36, 44]) between independent sources of one story, and
:func:`story_briefs` states a conflict in words built only from the extracted values.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ceasefire.pipeline import arabic
from ceasefire.pipeline.records import ClaimMention, DateMention, Document
from ceasefire.pipeline.registry import StageContext, stage

if TYPE_CHECKING:  # pragma: no cover
    from sentence_transformers import SentenceTransformer

__all__ = [
    "QUALIFIERS",
    "attribution",
    "claims_table",
    "extract_claims",
    "extract_claims_stage",
    "fatality_range",
    "find_conflicts",
    "interval",
    "parse_number_words",
    "story_briefs",
]

QUALIFIERS = ("exact", "at_least", "more_than", "as_many_as", "about", "estimated")

# ---------------------------------------------------------------------------------------------
# numbers

_UNITS = {
    word: value
    for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "  # noqa: SIM905
        "fifteen sixteen seventeen eighteen nineteen".split()
    )
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}  # fmt: skip
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000}
_NUMBER_WORDS = frozenset([*_UNITS, *_TENS, *_SCALES, "dozen"])
_WORD_ALT = "|".join(sorted(_NUMBER_WORDS, key=lambda w: (-len(w), w)))
_NUMBER = re.compile(
    rf"(?<![\w$£€.,/:#-])(?:"
    rf"(?P<digits>\d{{1,3}}(?:,\d{{3}})+|\d+(?:\.\d+)?)(?:\s+(?P<scale>hundred|thousand|million)\b)?"
    rf"|(?P<words>(?:an?\s+(?=dozen|hundred|thousand|million))?(?:{_WORD_ALT})"
    rf"(?:(?:\s+and\s+|[\s-]+)(?:{_WORD_ALT}))*)"
    rf")(?![\w$£€%]|[-/:.,]\w)",
    re.IGNORECASE,
)


def parse_number_words(text: str) -> tuple[int, int] | None:
    """Value of a leading English number phrase and how many characters of ``text`` it uses.

    ``"twenty-five people"`` → ``(25, 11)``; ``"a dozen"`` → ``(12, 7)``; ``"dozens"`` → ``None``.
    """
    tokens = list(re.finditer(r"[A-Za-z]+", text))
    total = current = used = 0
    last = ""  # kind of the previous number word: unit | teen | tens | hundred | scale | dozen | a
    for tok in tokens:
        word = tok.group(0).lower()
        between = text[used : tok.start()] if used else text[: tok.start()]
        if used and not re.fullmatch(r"\s+and\s+|[\s-]+", between):
            break
        if not used and between.strip():
            break
        if word in ("a", "an") and not used:
            kind, value = "a", 1
        elif word == "and" and last in ("hundred", "scale"):
            continue
        elif word in _UNITS:
            kind, value = ("teen" if _UNITS[word] >= 10 else "unit"), _UNITS[word]
        elif word in _TENS:
            kind, value = "tens", _TENS[word]
        elif word in ("dozen", "hundred"):
            kind, value = word, 0
        elif word in _SCALES:
            kind, value = "scale", 0
        else:
            break
        allowed = {
            "unit": ("", "tens", "hundred", "scale"),
            "teen": ("", "hundred", "scale"),
            "tens": ("", "hundred", "scale"),
            "hundred": ("a", "unit", "teen", "tens"),
            "scale": ("a", "unit", "teen", "tens", "hundred"),
            "dozen": ("a", "unit"),
            "a": ("",),
        }[kind]
        if last not in allowed or (kind == "hundred" and current >= 100):
            break
        if kind in ("unit", "teen", "tens"):
            current += value
        elif kind == "a":
            current = 1
        elif kind == "hundred":
            current *= 100
        elif kind == "dozen":
            current *= 12
        else:
            total += current * _SCALES[word]
            current = 0
        last, used = kind, tok.end()
        if kind == "dozen":
            break
    if last in ("", "a"):
        return None
    return total + current, used


# ---------------------------------------------------------------------------------------------
# cue lexicons

_MONTHS = (r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
           r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?")  # fmt: skip
_MONTH_ABBR = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = r"monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_QUALIFIER_CUES = (
    (
        "at_least",
        r"at\s+least|no\s+fewer\s+than|no\s+less\s+than|not\s+less\s+than|a\s+minimum\s+of",
    ),
    (
        "as_many_as",
        r"as\s+many\s+as|up\s+to|fewer\s+than|less\s+than|at\s+most|no\s+more\s+than|a\s+maximum\s+of",
    ),
    ("more_than", r"more\s+than|over|upwards\s+of|in\s+excess\s+of|above|exceeding"),
    ("estimated", r"an\s+estimated|estimated|est\."),
    ("about", r"about|around|nearly|almost|some|roughly|approximately|close\s+to|circa|approx\."),
    ("exact", r"only|just|exactly|a\s+total\s+of|a\s+total|in\s+total"),
)
_QUALIFIER = re.compile(
    r"\b(?:" + "|".join(f"(?P<{k}>{p})" for k, p in _QUALIFIER_CUES) + r")\s+$", re.IGNORECASE
)
_REJECT_BEFORE = re.compile(
    r"(?:\b(?:resolution|res\.|no\.|nos\.|number|article|paragraph|section|clause|chapter|phase|page"
    r"|route|highway|flight|brigade|division|regiment|battalion|aged|ages?\s+of|between\s+the\s+ages\s+of"
    r"|quarters?\s+of|half|halves\s+of|thirds?\s+of|fifths?\s+of|tenths?\s+of)"
    rf"|\b(?:{_MONTHS})\.?|[$£€#]|\bus\$|\busd|\beur)\s*$",
    re.IGNORECASE,
)
_REJECT_AFTER = re.compile(
    r"^\s*(?:%|percent\b|per\s*cent\b|years?[\s-]+old\b|-?years?\b|yrs\b|months?\b|weeks?\b|days?\b"
    r"|nights?\b|hours?\b|hrs\b|minutes?\b|mins?\b|seconds?\b|decades?\b|centur(?:y|ies)\b|km\b|kms\b"
    r"|kilomet(?:er|re)s?\b|miles?\b|met(?:er|re)s?\b|m\b|kg\b|kilo(?:gram)?s?\b|tons?\b|tonnes?\b|feet\b"
    r"|ft\b|inch(?:es)?\b|degrees?\b|°|times\b|am\b|pm\b|a\.m\.|p\.m\.|gmt\b|utc\b|o'clock\b|dollars?\b"
    r"|euros?\b|pounds\b|usd\b|lira\b|liras\b|billion\b|percentage\b|per\s+cent\b"
    rf"|(?:{_MONTHS})\b)",
    re.IGNORECASE,
)
_SUBCOUNT = re.compile(
    r"\b(?:including|among\s+them|among\s+whom|of\s+whom|of\s+them|incl\.|of\s+those)\s+"
    r"(?:[^.;:]{0,50}?\band\s+)?$",
    re.IGNORECASE,
)
_PARTITIVE = re.compile(r"^\s+of\s+(?:them|whom|the|those|these|its|their|which)\b", re.IGNORECASE)
_BETWEEN = re.compile(r"\bbetween\s+$", re.IGNORECASE)
_RANGE_START = re.compile(rf"^\s*(?:to|or)\s+(?:\d|(?:{_WORD_ALT})\b)", re.IGNORECASE)
_RANGE_END = re.compile(
    rf"(?:\bbetween\s+(?:\d[\d,]*|{_WORD_ALT})\s+and|\b(?:\d[\d,]*|{_WORD_ALT})\s+(?:to|or))\s+$",
    re.IGNORECASE,
)
_NOT_A_COUNT = re.compile(r"\b(?:no|any|every|each|this|that|the)\s+$", re.IGNORECASE)  # "no one"

# (quantity, pattern) for a verb or noun right before the number: "killed at least 22"
_BACKWARD = (
    ("killed", r"killed|killing|kills|kill|massacred|executed|executing|(?:claimed|claiming|cost|costing|took|taking)"
               r"\s+the\s+lives\s+of|(?:death\s+)?toll\s+(?:has\s+|had\s+)?(?:rose|risen|rises|climbed|climbs"
               r"|reached|reaches|jumped|hit|stood|stands|increased|was|is|now|had\s+been)(?:\s+to|\s+at)?"
               r"|(?:death\s+)?toll(?:\s+(?:since|from|in|for)\s+[^,.;]{1,40}?)?\s+(?:of|to|at)"
               r"|(?:death\s+)?toll\s+(?:from|in|for)\s+[^,.;\d]{41,140}?\s+to"
               r"|deaths?\s+of|killing\s+of|bodies\s+of|number\s+of\s+(?:dead|deaths|killed)\s+(?:rose\s+)?to"
               # a verb pair whose first is the killing ("killed and crucified five"); not one that
               # joins the killed and the hurt, the uprooted or the held ("killed and wounded 30")
               r"|(?:killed|killing|kills|executed|executing|massacred)\s+(?:and|then)\s+"
               r"(?!(?:wound|injur|hurt|displac|arrest|detain|abduct|kidnap|uproot))[a-z]+(?:ed|ing)"),
    ("wounded", r"wounded|wounding|wounds|injured|injuring|injures|injure|hurting|injuries\s+to"),
    ("displaced", r"displaced|displacing|displaces|uprooted|uprooting|displacement\s+of"),
    ("detained", r"arrested|arresting|arrests|detained|detaining|detains|abducted|abducting|kidnapped"
                 r"|kidnapping|arrest\s+of|detention\s+of|abduction\s+of"),
)  # fmt: skip
_BACKWARD_RE = tuple(
    (
        q,
        re.compile(
            rf"\b(?:{p})\s+(?:another\s+|a\s+further\s+|an\s+additional\s+)?$", re.IGNORECASE
        ),
    )
    for q, p in _BACKWARD
)
_LIVES_BEFORE = re.compile(r"\b(?:cost|costs|costing|claimed|claims|claiming|took|takes|taking)\s+$",
                           re.IGNORECASE)  # fmt: skip
_LIVES_AFTER = re.compile(r"\s+(?:(?:civilian|human|innocent)\s+)?lives\b", re.IGNORECASE)
_AUX_BEFORE = re.compile(
    r"\b(?:were|was|been|be|are|is|being|get|got)\s+(?:\w+ly\s+)?$", re.IGNORECASE
)

# words after the number: nouns (close) and verbs (within the clause)
_NOUN_TRIGGERS = {
    "deaths": "killed", "dead": "killed", "fatalities": "killed", "bodies": "killed", "corpses": "killed",
    "martyrs": "killed",
    "injuries": "wounded", "injured": "wounded", "wounded": "wounded",
    "violations": "violations", "breaches": "violations", "infringements": "violations",
    "trucks": "trucks", "lorries": "trucks", "truckloads": "trucks",
    "detainees": "detained", "displaced": "displaced",
}  # fmt: skip
_VERB_TRIGGERS = {
    "killed": "killed", "dead": "killed", "died": "killed", "die": "killed", "dies": "killed",
    "perished": "killed", "martyred": "killed", "slain": "killed", "executed": "killed", "lost": "killed",
    "wounded": "wounded", "injured": "wounded", "hurt": "wounded",
    "displaced": "displaced", "fled": "displaced", "flee": "displaced", "uprooted": "displaced",
    "arrested": "detained", "detained": "detained", "abducted": "detained", "kidnapped": "detained",
}  # fmt: skip
_TRANSITIVE = {"killed", "executed", "wounded", "injured", "hurt", "displaced", "uprooted", "arrested",
               "detained", "abducted", "kidnapped"}  # fmt: skip
_OBJECT_START = {"a", "an", "the", "his", "her", "their", "its", "at", "more", "over", "some", "about",
                 "nearly", "dozens", "scores", "hundreds", "thousands", "up", "as", "another"}  # fmt: skip
_NON_PERSON = {
    "rockets", "rocket", "shells", "shell", "bombs", "bomb", "strikes", "airstrikes", "raids", "missiles",
    "mortars", "attacks", "explosions", "blasts", "vehicles", "tanks", "jets", "planes", "warplanes",
    "helicopters", "drones", "car", "cars", "villages", "towns", "buildings", "hospitals", "schools",
    "sorties", "shots", "rounds", "grenades", "mines", "barrel", "ambulances", "convoys",
}  # fmt: skip
_PERSON_NOUNS = {"people", "civilians", "persons", "fighters", "soldiers", "children", "women", "men",
                 "rebels", "militants", "troops", "members", "residents", "refugees", "families"}  # fmt: skip
_AUX_WORDS = {"were", "was", "been", "be", "are", "is", "being", "reportedly", "reported", "also",
              "later"}  # fmt: skip
_CLAUSE_WORDS = {"when", "after", "before", "because", "while", "whereas", "but", "although",
                 "though"}  # fmt: skip
_VERB_WINDOW, _NOUN_WINDOW = 12, 4

# ---------------------------------------------------------------------------------------------
# scope

_WAR_WORDS = r"war|conflict|uprising|revolt|revolution|crisis|hostilities"
_WAR = rf"(?:{_WAR_WORDS})"
_NUMWORD = r"(?:\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_CONFLICT_CUES = re.compile(
    "|".join((
        rf"\bsince\s+the\s+(?:start|beginning|outbreak|onset)\s+of\s+(?:the\s+|syria'?s\s+)?(?:[\w-]+\s+)?{_WAR}",
        rf"\bsince\s+(?:the|an|its|syria'?s|the\s+country'?s)\s+(?:[\w-]+\s+){{0,2}}(?:{_WAR_WORDS}|protests|unrest)\b"
        r"[^.;]{0,50}?\b(?:began|begun|started|erupted|broke\s+out)",
        r"\bsince\s+(?:anti-government\s+)?protests\b[^.;]{0,50}?\b(?:began|started|erupted|broke\s+out)",
        r"\bmillions\s+(?:more\s+)?(?:have\s+been\s+|were\s+)?(?:displaced|forced|uprooted|fled)",
        r"\bhalf\s+(?:of\s+)?the\s+(?:country'?s\s+|pre-war\s+)?population\b|\binternally\s+displaced\b",
        r"\b(?:across|throughout)\s+the\s+war-[a-z]+\s+country\b",
        r"\b(?:killed|died|dead|displaced|uprooted|wounded|injured|lives)\s+(?:[\w-]+\s+){0,3}?(?:in|during|throughout"
        r"|over\s+the\s+course\s+of)\s+(?:the|syria'?s)\s+(?:[\w-]+\s+){0,2}(?:war|conflict|uprising|crisis)\b(?!-)",
        rf"\b{_WAR}\b[^.;]{{0,80}}?\b(?:has|have|had)\s+(?:so\s+far\s+|now\s+)?(?:killed|left|claimed|displaced|forced|cost|uprooted)",
        r"\b(?:has|have|had)\s+since\s+(?:killed|left|claimed|displaced|cost|uprooted)",
        rf"\b(?:in|over|across|after)\s+(?:the\s+(?:past|last)\s+|more\s+than\s+)?{_NUMWORD}\s+years\b",
        rf"\b{_NUMWORD}[\s-]+years?(?:-old)?\s+(?:of\s+)?(?:civil\s+)?{_WAR}",
        rf"\btoll\s+(?:from|of|in)\s+(?:the|syria'?s)\s+(?:[\w-]+\s+){{0,2}}{_WAR}\b",
    )),
    re.IGNORECASE,
)  # fmt: skip
_SINCE_YEAR = re.compile(rf"\b(?:since|from)\s+(?:(?:early|late|mid)[\s-]+)?(?:(?P<month>{_MONTHS})\s+)?(?P<year>(?:19|20)\d\d)\b",
                         re.IGNORECASE)  # fmt: skip
_PERIOD_CUES = re.compile(
    r"\bsince\s+(?:the\s+)?(?:start\s+of\s+the\s+|beginning\s+of\s+the\s+)?(?:truce|ceasefire|cease-fire|cessation"
    rf"|agreement|deal|lull|week|month|year|weekend)\b|\bsince\s+(?:last\s+)?(?:{_WEEKDAYS}|{_MONTHS}|week|month)\b"
    r"|\bsince\s+(?:it|the\s+[\w-]+)\s+(?:came|went|took|entered)\s+(?:into\s+)?(?:effect|force)\b"
    r"|\b(?:over|in|during)\s+the\s+(?:past|last)\s+(?:[\w-]+\s+)?(?:days|weeks|months|hours|week|month|year)\b"
    r"|\b(?:\d+|two|three|four|five|six|seven|eight|nine|ten|several)\s+(?:days|weeks|months)\s+of\s+(?:[\w-]+\s+)?(?:air\s*strikes|air\s+raids|raids|bombing|bombardments?"
    r"|shelling|fighting|clashes|attacks|violence|strikes)\b"
    r"|\bso\s+far\s+this\b|\b(?:this|last)\s+(?:week|month|year)\s+alone\b"
    r"|\b(?:during|throughout)\s+the\s+(?:truce|ceasefire|cessation)\b",
    re.IGNORECASE,
)  # fmt: skip
_CUE_REACH = 120  # characters between a number and a scope cue
_CLAUSE_BREAK = re.compile(r"[;:]|\s[-–—]\s|,?\s+\b(?:bringing|raising|pushing|taking|while|whereas|but)\b",
                           re.IGNORECASE)  # fmt: skip

# ---------------------------------------------------------------------------------------------
# attribution

_SOURCE_NOUNS = {
    "activists", "activist", "medics", "medic", "doctors", "doctor", "officials", "official", "sources",
    "source", "monitor", "monitors", "observatory", "ministry", "agency", "envoy", "spokesman",
    "spokeswoman", "spokesperson", "residents", "resident", "witnesses", "witness", "rescuers", "workers",
    "group", "hospital", "army", "military", "police", "governor", "council", "command", "commander",
    "media", "television", "tv", "committee", "committees", "coalition", "officer", "minister",
    "director", "chief", "team", "organisation", "organization", "mission", "office", "authorities",
    "agencies", "groups", "organisations", "organizations", "officers", "journalists", "reporters",
    "correspondents", "volunteers", "defence", "defense",
}  # fmt: skip
_SOURCE_MODIFIERS = {
    "health", "interior", "defence", "defense", "foreign", "state", "news", "local", "medical", "civil",
    "rescue", "opposition", "government", "pro-government", "rebel", "monitoring", "rights", "security",
    "britain-based", "uk-based", "london-based", "human", "humanitarian", "aid", "special", "senior",
    "regional", "international", "war", "relief",
}  # fmt: skip
_CONNECTORS = {"of", "for", "and"}
_PRONOUNS = {"it", "he", "she", "they", "we"}
_SAY_VERBS = r"said|says|say|reported|reports|told|announced|stated|confirmed|estimated|estimates|documented|added"
_TOLL_GIVER = re.compile(
    r"\b(?:put|puts|putting|raised|raises|gave|gives|revised|revises)\s+(?:the|its|their|a)\s+"
    r"(?:[\w-]+\s+)?(?:death\s+)?(?:toll|tally|count|number)\b",
    re.IGNORECASE,
)
# a sentence that sets two sources' figures side by side: "X said 20, while Y said 45"
_CONTRAST = re.compile(r",?\s+\b(?:while|whereas|but)\b\s+|;\s*", re.IGNORECASE)
_ACCORDING = re.compile(r"\baccording\s+to\s+", re.IGNORECASE)
_SAY = re.compile(rf"\b(?:{_SAY_VERBS})\b", re.IGNORECASE)
_REPORT_OF = re.compile(r"^(?:an?|the)\s+(?:statement|report|tally|count|toll|figures?)\s+(?:by|from|of)\s+",
                        re.IGNORECASE)  # fmt: skip
_NOT_SOURCE = re.compile(rf"^(?:{_WEEKDAYS}|{_MONTHS}|I)$", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z][\w'’.-]*[A-Za-z]|[A-Za-z]|[^\sA-Za-z]")


def _source_word(word: str) -> bool:
    bare = re.sub(r"(?:'s|’s|')$", "", word)
    lower = bare.lower()
    if lower in _SOURCE_NOUNS or lower in _SOURCE_MODIFIERS:
        return True
    return bare[:1].isupper() and bare[:1].isalpha() and not _NOT_SOURCE.match(bare)


def _normalise_source(words: list[str]) -> str:
    articles = [i for i, w in enumerate(words) if w.lower() in ("the", "a", "an")]
    if articles:
        words = words[articles[-1] + 1 :]
    while words and words[0].lower() in _CONNECTORS:
        words = words[1:]
    while words and words[-1].lower() in _CONNECTORS:
        words = words[:-1]
    words = [re.sub(r"(?:'s|’s|')$", "", w) for w in words][-8:]
    if not words or not any(w.lower() in _SOURCE_NOUNS or w[:1].isupper() for w in words):
        return ""
    phrase = " ".join(words)
    if re.search(r"observatory|\bsohr\b", phrase, re.IGNORECASE):
        return "Syrian Observatory for Human Rights"
    if all(w.lower() in _SOURCE_NOUNS | _SOURCE_MODIFIERS for w in words):
        return phrase.lower()
    return phrase


def _source_after(text: str) -> str:
    text = _REPORT_OF.sub("", text.lstrip())
    words: list[str] = []
    for tok in _WORD.findall(text)[:10]:
        if not words and tok.lower() in ("the", "a", "an"):
            continue
        if (tok.lower() in _CONNECTORS and words) or _source_word(tok):
            words.append(tok)
        else:
            break
    return _normalise_source(words)


def _source_before(text: str) -> str | None:
    """The reporting source right before a verb of saying; ``None`` for a pronoun ("it said")."""
    tokens = _WORD.findall(text)
    if tokens and tokens[-1].lower() in _PRONOUNS:
        return None
    words: list[str] = []
    for tok in reversed(tokens[-9:]):
        if tok.lower() in _CONNECTORS | {"the", "a", "an"} or _source_word(tok):
            words.insert(0, tok)
        else:
            break
    return _normalise_source(words)


def attribution(sentence: str) -> str | None:
    """Who the sentence says gives its numbers; "" for the outlet's own voice, None for "it said"."""
    match = _ACCORDING.search(sentence)
    if match and (found := _source_after(sentence[match.end() :])):
        return found
    giver = _TOLL_GIVER.search(sentence)  # "rescuers put the toll at 30"
    if giver and (found := _source_before(sentence[: giver.start()]) or ""):
        return found
    pronoun = False
    for say in _SAY.finditer(sentence):
        before = _source_before(sentence[: say.start()])
        if before is None:
            pronoun = True
        elif before:
            return before
        if after := _source_after(sentence[say.end() :]):
            return after
    return None if pronoun else ""


# ---------------------------------------------------------------------------------------------
# extraction


@dataclass(frozen=True)
class _Number:
    start: int  # of the number itself
    end: int
    value: int
    approximate: bool  # "a dozen", "a hundred"
    article: bool = False  # "a woman": the span is the article and its noun


# one person named with an indefinite article ("a woman", "an elderly man", "a 12-year-old boy"):
# a count of one.  Up to two words between, none of them a number word ("a dozen men" is not one).
_ONE_PERSON_NOUNS = (
    "man", "woman", "child", "boy", "girl", "baby", "infant", "toddler", "teenager", "youth",
    "civilian", "person", "resident", "soldier", "fighter", "rebel", "militant", "policeman",
    "officer", "guard", "doctor", "nurse", "medic", "paramedic", "journalist", "teacher",
    "student", "pupil", "farmer", "shepherd", "worker", "volunteer", "pilot", "commander",
)  # fmt: skip
_ONE_PERSON = re.compile(
    rf"\b(?:an?)\s+(?:(?!(?:{_WORD_ALT})\b)[\w'’-]+\s+){{0,2}}?(?:{'|'.join(_ONE_PERSON_NOUNS)})\b",
    re.IGNORECASE,
)


def _numbers(text: str, start: int, end: int) -> Iterable[_Number]:
    found = list(_digit_and_word_numbers(text, start, end))
    taken = [(n.start, n.end) for n in found]
    for m in _ONE_PERSON.finditer(text, start, end):
        if not any(a < m.end() and m.start() < b for a, b in taken):
            found.append(_Number(m.start(), m.end(), 1, False, article=True))
    return sorted(found, key=lambda n: n.start)


def _digit_and_word_numbers(text: str, start: int, end: int) -> Iterable[_Number]:
    for m in _NUMBER.finditer(text, start, end):
        if m.group("digits"):
            raw = m.group("digits").replace(",", "")
            scale = _SCALES.get((m.group("scale") or "").lower(), 1)
            number = float(raw) * scale
            if number != int(number):
                continue
            yield _Number(m.start(), m.end(), int(number), False)
            continue
        parsed = parse_number_words(m.group("words"))
        if parsed is None:
            continue
        value, used = parsed
        words = m.group("words")[:used]
        approx = bool(re.match(r"an?\s", words, re.IGNORECASE))
        yield _Number(m.start(), m.start() + used, value, approx)


def _forward_quantity(after: str) -> str | None:
    """The quantity a number is the subject of, from the words after it ("40 people were killed")."""
    tokens = re.findall(r"[A-Za-z][A-Za-z'’-]*|\d[\d,.]*|[.;:!?]", after)
    count = 0
    for i, tok in enumerate(tokens):
        lower = tok.lower()
        if lower in ".;:!?":
            return None
        if lower in _CLAUSE_WORDS:
            return None
        if tok[0].isdigit() or lower in _NUMBER_WORDS:
            if not any(
                t.lower() in ("including", "whom", "them") for t in tokens[max(0, i - 3) : i]
            ):
                return None
            continue
        count += 1
        if count > _VERB_WINDOW:
            return None
        if (count <= _NOUN_WINDOW and lower in _NOUN_TRIGGERS) or lower in _VERB_TRIGGERS:
            if lower == "lost" and " ".join(tokens[i + 1 : i + 3]).lower() != "their lives":
                continue
            if lower in _TRANSITIVE and _active(tokens, i):
                return None
            quantity = _NOUN_TRIGGERS.get(lower) or _VERB_TRIGGERS[lower]
            nxt = [t.lower() for t in tokens[i + 1 : i + 3]]
            joined = nxt[1] if nxt[:1] in (["and"], ["or"]) and len(nxt) > 1 else "".join(nxt[:1])
            if _KILLED_OR_HURT.get(joined, quantity) != quantity:
                return None  # "were killed and injured": the killed and the hurt together
            return quantity
        if lower in _NON_PERSON or lower == "among":
            return None  # a weapon, not a victim; or a part of a toll ("six women were among the dead")
    return None


def _active(tokens: list[str], i: int) -> bool:
    """A verb with an object after it and no auxiliary before it: "two gunmen killed a guard".

    A number after the verb that has its own participle is the next item of a headline list,
    not an object: "8 persons killed 58 others injured"."""
    nxt = tokens[i + 1].lower() if i + 1 < len(tokens) else ""
    prev = tokens[i - 1].lower() if i > 0 else ""
    if prev in _AUX_WORDS:
        return False
    if _LISTED.match(" " + " ".join(tokens[i + 1 : i + 5])):
        return False
    return bool(nxt) and (nxt in _OBJECT_START or nxt[0].isdigit() or nxt in _UNITS or nxt in _TENS)


_PARTICIPLE = r"injured|wounded|hurt|dead|killed|displaced|detained|arrested|abducted|kidnapped"
_LIST_NOUN = r"other|others|more|people|persons|civilians|children|women|men|soldiers|fighters"
# the participle right after a count, or after up to two nouns: "88 killed", "58 others injured"
_ADJACENT = re.compile(rf"((?:\s+(?:{_LIST_NOUN})){{0,2}})\s+({_PARTICIPLE})\b", re.IGNORECASE)
_LISTED = re.compile(
    rf"\s+(?:\d[\d,]*|(?:{_WORD_ALT}))(?:\s+(?:{_LIST_NOUN})){{0,2}}\s+(?:{_PARTICIPLE})\b",
    re.IGNORECASE,
)
# "killed and injured", "dead & wounded": one count of the killed and the hurt together, which
# is neither quantity
_COMBINED = re.compile(
    r"\s*(?:and|&|or|/)\s*(?:were\s+|was\s+)?(injured|wounded|hurt|killed|dead|died|injuring|wounding)\b",
    re.IGNORECASE,
)
_KILLED_OR_HURT = {"killed": "killed", "dead": "killed", "died": "killed", "injured": "wounded",
                   "wounded": "wounded", "hurt": "wounded", "injuring": "wounded",
                   "wounding": "wounded"}  # fmt: skip
_BOTH_BEFORE = re.compile(
    r"\b(?:kill(?:ed|ing|s)?|wound(?:ed|ing|s)?|injur(?:ed|ing|es|e))\s+(?:and|&|or)\s+"
    r"(?:kill(?:ed|ing|s)?|wound(?:ed|ing|s)?|injur(?:ed|ing|es|e))\s+$",
    re.IGNORECASE,
)
# after "a woman": its verb ("a woman was killed"), through one more person joined by "and"
_ONE_AFTER = re.compile(
    rf"(?:\s+and\s+(?:an?|one|his|her|their)\s+(?:[\w'’-]+\s+){{0,2}}?(?:{'|'.join(_ONE_PERSON_NOUNS)})\b)?"
    r"(?P<aux>\s+(?:was|were|is|are|had\s+been|has\s+been|have\s+been|got|being))?"
    r"(?:\s+(?:also|reportedly|later))?(?:\s+shot)?"
    r"\s+(?P<verb>killed|dead|died|martyred|slain|executed|wounded|injured|hurt)\b",
    re.IGNORECASE,
)
_OBJECT_AFTER = re.compile(
    rf"\s+(?:(?:{'|'.join(sorted(_OBJECT_START))})\b|\d|(?:{_WORD_ALT})\b)", re.IGNORECASE
)


def _combined(text: str, at: int, end: int, quantity: str) -> bool:
    """A participle of one quantity joined to one of the other ("killed and injured")."""
    both = _COMBINED.match(text, at, end)
    return both is not None and _KILLED_OR_HURT.get(both.group(1).lower(), quantity) != quantity


def _one_person_quantity(text: str, head: str, num: _Number, end: int) -> str | None:
    """The quantity of "a woman": the verb right before it ("killing a child") or right after
    it ("a woman and a child were killed"); an active verb ("a soldier killed two men") is not."""
    for quantity, pattern in _BACKWARD_RE:
        if quantity in ("killed", "wounded") and pattern.search(head):
            return None if _BOTH_BEFORE.search(head) else quantity
    after = _ONE_AFTER.match(text, num.end, end)
    if after is None:
        return None
    verb = after.group("verb").lower()
    if (
        not after.group("aux")
        and verb in _TRANSITIVE
        and _OBJECT_AFTER.match(text, after.end(), end)
    ):
        return None
    quantity = _VERB_TRIGGERS[verb]
    return None if _combined(text, after.end(), end, quantity) else quantity


def _quantity(
    text: str, sent_start: int, qual_start: int, num: _Number, sent_end: int
) -> str | None:
    head = text[sent_start:qual_start]
    if num.article:
        return _one_person_quantity(text, head, num, sent_end)
    # "Three killed over 70 injured" (a headline without commas): the participle right after
    # the number (or after up to two nouns: "58 others injured") names its quantity, not the
    # verb before it; with nouns between, only when the participle has no object or its object
    # is the next item of the list ("8 persons killed 58 others injured", not "40 soldiers
    # killed 12 rebels")
    adjacent = _ADJACENT.match(text, num.end, sent_end)
    if adjacent and adjacent.group(2).lower() in _VERB_TRIGGERS:
        quantity = _VERB_TRIGGERS[adjacent.group(2).lower()]
        if _combined(text, adjacent.end(), sent_end, quantity):
            return None
        listed = _LISTED.match(text, adjacent.end(), sent_end)
        if (
            not adjacent.group(1)
            or listed
            or not _OBJECT_AFTER.match(text, adjacent.end(), sent_end)
        ):
            return quantity
    # "the fighting cost more than 500 lives"
    if _LIVES_BEFORE.search(head) and _LIVES_AFTER.match(text, num.end, sent_end):
        return "killed"
    if _BOTH_BEFORE.search(head):
        return None  # "killed or wounded 30"
    for quantity, pattern in _BACKWARD_RE:
        match = pattern.search(head)
        if match and not _AUX_BEFORE.search(head[: match.start()]):
            return quantity
    return _forward_quantity(text[num.end : sent_end])


def _scope(sentence: str, offset: int, as_of: date | None) -> str:
    """incident | period | conflict for the number at ``offset``: the nearest cue of its clause wins."""
    breaks = [0, *(m.start() for m in _CLAUSE_BREAK.finditer(sentence)), len(sentence)]
    lo = max(b for b in breaks if b <= offset)
    hi = min(b for b in breaks if b > offset)
    cues: list[tuple[int, int, str]] = []  # (distance, order, scope)
    for order, (pattern, kind) in enumerate(
        ((_CONFLICT_CUES, "conflict"), (_SINCE_YEAR, "since"), (_PERIOD_CUES, "period"))
    ):
        for m in pattern.finditer(sentence):
            if m.start() >= hi or m.end() <= lo:
                continue
            distance = max(m.start() - offset, offset - m.end(), 0)
            if distance > _CUE_REACH:
                continue
            if kind == "since":
                kind = "conflict"
                if as_of is not None:
                    started = date(
                        int(m.group("year")), _month_number(m.group("month") or "jan"), 1
                    )
                    kind = "conflict" if (as_of - started).days > 365 else "period"
            cues.append((distance, order, kind))
    return min(cues)[2] if cues else "incident"


def _month_number(name: str) -> int:
    return _MONTH_ABBR.index(name[:3].lower()) + 1


def _is_year(text: str, num: _Number) -> bool:
    raw = text[num.start : num.end]
    if not re.fullmatch(r"(?:19|20)\d\d", raw):
        return False
    nxt = re.match(r"\s+(?:[a-z-]+\s+)?([a-z]+)", text[num.end : num.end + 40])
    return not (nxt and (nxt.group(1) in _PERSON_NOUNS or nxt.group(1) in _VERB_TRIGGERS))


def _rejected(text: str, s: int, e: int, num: _Number) -> bool:
    """Not a count: a year, an age, a resolution number, a part of a range or of a larger count."""
    before, after = text[s : num.start], text[num.end : e]
    if _REJECT_BEFORE.search(before) or _REJECT_AFTER.match(after) or _is_year(text, num):
        return True
    if _PARTITIVE.match(after) or re.match(r"one\s+of\b", text[num.start : e], re.IGNORECASE):
        return True
    if _NOT_A_COUNT.search(before) and text[num.start : num.end].lower() == "one":
        return True
    return bool(
        _RANGE_START.match(after) or (_BETWEEN.search(before) and re.match(r"\s+and\s", after))
    )


def _clause_sources(text: str, s: int, e: int, source: str) -> list[tuple[int, str]]:
    """(clause start, source) of a sentence that contrasts sources ("the Observatory said 20,
    while rescuers put the toll at 30"): each clause's own source, else the sentence's."""
    cuts = [s, *(s + m.end() for m in _CONTRAST.finditer(text[s:e]))]
    if len(cuts) == 1:
        return [(s, source)]
    ends = [*(s + m.start() for m in _CONTRAST.finditer(text[s:e])), e]
    return [(a, attribution(text[a:b]) or source) for a, b in zip(cuts, ends, strict=True)]


def _sentence_claims(
    text: str, s: int, e: int, as_of: date | None, source: str
) -> list[ClaimMention]:
    out: list[ClaimMention] = []
    numbers = list(_numbers(text, s, e))
    clauses = _clause_sources(text, s, e, source)
    for num in numbers:
        if _rejected(text, s, e, num):
            continue  # a range is read at its high end
        qual = _QUALIFIER.search(text[s : num.start])
        qual_start = s + qual.start() if qual else num.start
        if _SUBCOUNT.search(text[s:qual_start]):
            continue
        ranged = _RANGE_END.search(text[s:qual_start])
        if ranged:
            qual_start = s + ranged.start()  # "between 40 and 50": as many as 50
        quantity = _quantity(text, s, qual_start, num, e)
        if quantity is None or (num.value == 0 and quantity != "violations"):
            continue
        qualifier = next((k for k, _ in _QUALIFIER_CUES if qual and qual.group(k)), "exact")
        if qualifier == "exact" and num.approximate:
            qualifier = "about"
        if ranged:
            qualifier = "as_many_as"
        out.append(ClaimMention(
            start=qual_start, end=num.end, text=text[qual_start : num.end], quantity=quantity,
            value=num.value, qualifier=qualifier, scope=_scope(text[s:e], num.start - s, as_of),
            attribution=next(src for a, src in reversed(clauses) if a <= num.start), as_of=as_of,
        ))  # fmt: skip
    return out + _compound_claims(text, s, e, numbers, out)


# counts of people joined by "and" or commas: "30 soldiers and 39 rebels", "12 civilians, five
# children and three rescue workers" (up to two words before each noun)
_PART_NOUNS = (
    "people", "civilians", "persons", "fighters", "soldiers", "children", "women", "men", "rebels",
    "militants", "troops", "members", "residents", "refugees", "workers", "policemen", "police",
    "officers", "guards", "gunmen", "insurgents", "militiamen", "jihadists", "combatants",
    "personnel", "servicemen", "volunteers", "journalists", "medics", "doctors", "nurses",
    "students", "girls", "boys", "others", "teachers", "pupils", "schoolchildren", "babies",
    "infants", "farmers", "shepherds", "staff", "employees", "passengers", "patients", "pilots",
    "commanders", "officials", "relatives", "worshippers", *_ONE_PERSON_NOUNS,
)  # fmt: skip
_PART_NOUN = (  # a singular noun ("rebel") is no part noun when a plural follows ("rebel fighters")
    rf"(?:[a-z][\w'’-]*\s+){{0,2}}?(?P<noun>{'|'.join(_PART_NOUNS)})(?!\s+(?:{'|'.join(_PART_NOUNS)})\b)"
)
_PART_CUE = "|".join(p for _, p in _QUALIFIER_CUES)
# a short modifier after a part's noun, before the join: "14 jihadists from the IS group and
# five civilians"; a preposition, then up to four words, none a verb, an auxiliary or a clause word
_MODIFIER_STOP = "|".join(sorted({*_VERB_TRIGGERS, *_AUX_WORDS, *_CLAUSE_WORDS, "and", "or"}))
_PART_MODIFIER = (
    r"\s+(?:from|of|in|with|loyal\s+to|belonging\s+to|affiliated\s+(?:to|with))"
    rf"(?:\s+(?!(?-i:{_MODIFIER_STOP})\b)[a-z][\w'’-]*){{1,4}}?"
)
_PART_JOIN = re.compile(
    rf"\s+{_PART_NOUN}(?:\s*,\s*(?:and\s+)?|\s+and\s+)(?:(?:{_PART_CUE})\s+)?", re.IGNORECASE
)
# after a modifier only "and" joins, and only a count follows (not "a doctor" after a comma)
_PART_JOIN_MODIFIED = re.compile(
    rf"\s+{_PART_NOUN}{_PART_MODIFIER}\s+and\s+(?:(?:{_PART_CUE})\s+)?", re.IGNORECASE
)
# a headline lists its parts with nothing between them: "40 Civilians 25 YPG Fighters Killed";
# only when the part's noun is capitalised as in a title, as prose never runs counts together
_PART_RUN = re.compile(rf"\s+{_PART_NOUN}\s+", re.IGNORECASE)
_PART_LAST = re.compile(rf"\s+{_PART_NOUN}\b", re.IGNORECASE)
_JOIN_ONLY = re.compile(  # after "a woman", whose noun is part of its span
    rf"(?:\s*,\s*(?:and\s+)?|\s+and\s+)(?:(?:{_PART_CUE})\s+)?", re.IGNORECASE
)
_LOWER_BOUNDS = {"exact", "at_least", "more_than"}
_UPPER_BOUNDS = {"exact", "as_many_as"}


def _summed_qualifier(qualifiers: list[str]) -> str:
    """The qualifier of a sum: the parts' own when they share one; "at least" for exact, at least
    and more than parts; "as many as" for exact and as many as parts; else "about"."""
    kinds = set(qualifiers)
    if len(kinds) == 1:
        return qualifiers[0]
    if kinds <= _LOWER_BOUNDS:
        return "at_least"
    return "as_many_as" if kinds <= _UPPER_BOUNDS else "about"


def _compound_claims(
    text: str, s: int, e: int, numbers: list[_Number], claims: list[ClaimMention]
) -> list[ClaimMention]:
    """Totals of coordinated counts of one quantity ("30 soldiers and 39 rebels were killed": 69).

    A chain is two or more counts of people joined by "and" or commas, nothing else between
    them.  When the extractor gave at least one of them a quantity (and no other quantity), every
    part becomes a claim of that quantity and the total a derived claim whose ``parts`` are the
    parts' spans.  A part the rules reject (a year, an age, a count after "including") or one
    given a different quantity breaks the chain."""
    by_end = {c.end: c for c in claims}
    chains: list[list[_Number]] = []
    current: list[_Number] = []
    for k, num in enumerate(numbers):
        nxt = numbers[k + 1] if k + 1 < len(numbers) else None
        joined = nxt is not None and (
            (_JOIN_ONLY if num.article else _PART_JOIN).fullmatch(text, num.end, nxt.start)
            is not None
            or (
                not num.article
                and not nxt.article
                and _PART_JOIN_MODIFIED.fullmatch(text, num.end, nxt.start) is not None
            )
            or (
                not num.article
                and (run := _PART_RUN.fullmatch(text, num.end, nxt.start)) is not None
                and run.group("noun")[0].isupper()
            )
        )
        if not current and joined:
            current = [num]
        if joined and nxt is not None:
            current.append(nxt)
            continue
        if len(current) >= 2:
            chains.append(current)
        current = []
    out: list[ClaimMention] = []
    for chain in chains:
        last_end = chain[-1].end if chain[-1].article else None
        if last_end is None and (last := _PART_LAST.match(text, chain[-1].end, e)):
            last_end = last.end()
        found = [by_end[n.end] for n in chain if n.end in by_end]
        quantities = {c.quantity for c in found}
        if last_end is None or len(quantities) != 1:
            continue
        if any(n.end not in by_end and _rejected(text, s, e, n) for n in chain):
            continue
        if any(_SUBCOUNT.search(text[s : n.start]) for n in chain):
            continue
        template = found[0]
        parts: list[ClaimMention] = []
        for num in chain:
            if num.end in by_end:
                parts.append(by_end[num.end])
                continue
            qual = _QUALIFIER.search(text[s : num.start])
            qualifier = next((k for k, _ in _QUALIFIER_CUES if qual and qual.group(k)), "exact")
            if qualifier == "exact" and num.approximate:
                qualifier = "about"
            start = s + qual.start() if qual else num.start
            parts.append(replace(
                template, start=start, end=num.end, text=text[start : num.end], value=num.value,
                qualifier=qualifier,
            ))  # fmt: skip
        out.extend(p for p in parts if p.end not in by_end)
        start, end = parts[0].start, last_end
        out.append(replace(
            template, start=start, end=end, text=text[start:end],
            value=sum(p.value for p in parts),
            qualifier=_summed_qualifier([p.qualifier for p in parts]),
            parts=tuple((p.start, p.end) for p in parts),
        ))  # fmt: skip
    return out


def extract_claims(doc: Document) -> tuple[ClaimMention, ...]:
    """Every definite count in ``doc.text`` with its quantity, qualifier, scope and attribution."""
    as_of = doc.published.date() if doc.published else None
    sentences = doc.sentences or ((0, len(doc.text)),)
    claims: list[ClaimMention] = []
    last_source = ""
    if doc.language == "ar":
        return _arabic_claims(doc, sentences, as_of)
    for s, e in sentences:
        found = attribution(doc.text[s:e])
        source = last_source if found is None else found
        if found:
            last_source = found
        claims.extend(_sentence_claims(doc.text, s, e, as_of, source))
    return tuple(sorted(claims, key=lambda c: (c.start, c.end)))


def _arabic_claims(
    doc: Document, sentences: tuple[tuple[int, int], ...], as_of: date | None
) -> tuple[ClaimMention, ...]:
    """The counts of an Arabic document (:func:`ceasefire.pipeline.arabic.sentence_claims`); a
    sentence without its own source keeps the last one named."""
    claims: list[ClaimMention] = []
    last_source = ""
    for s, e in sentences:
        source = arabic.attribution(doc.text[s:e]) or last_source
        last_source = source
        claims.extend(arabic.sentence_claims(doc.text, s, e, as_of, source))
    return tuple(sorted(claims, key=lambda c: (c.start, c.end)))


@stage("ceasefire.claims.v1", requires=("text", "sentences", "published"), assigns=("claims",))
def extract_claims_stage(docs: list[Document], ctx: StageContext) -> list[Document]:
    """Counts with qualifiers (killed, wounded, displaced, detained, violations, trucks), rule-based."""
    return [replace(doc, claims=extract_claims(doc)) for doc in docs]


# ---------------------------------------------------------------------------------------------
# the claims table and conflicts

_Key = tuple[str, str, str, int, str]  # story, quantity, scope, value, qualifier


def _story(doc: Document) -> str:
    return doc.story or doc.id


def _group(doc: Document) -> str:
    return doc.syndication_group or f"doc:{doc.id}"


def _claim_id(key: _Key) -> str:
    story, quantity, scope, value, qualifier = key
    return f"{story}/{quantity}/{scope}/{qualifier}/{value}"


def claims_table(docs: list[Document]) -> list[dict[str, Any]]:
    """One entry per (story, quantity, scope, value, qualifier), with every document carrying it.

    ``independent_sources`` counts distinct syndication groups (wire copies count once; a document
    without a group is its own).  ``attribution`` joins the distinct named sources with "; ".
    """
    found: dict[_Key, list[tuple[Document, ClaimMention]]] = defaultdict(list)
    for doc in docs:
        for claim in doc.claims:
            found[(_story(doc), claim.quantity, claim.scope, claim.value, claim.qualifier)].append(
                (doc, claim)
            )
    table = []
    for key in sorted(found, key=lambda k: (k[0], k[1], k[2], k[3], QUALIFIERS.index(k[4]))):
        members = found[key]
        table.append({
            "id": _claim_id(key),
            "story": key[0],
            "quantity": key[1],
            "value": key[3],
            "qualifier": key[4],
            "scope": key[2],
            "attribution": "; ".join(sorted({c.attribution for _, c in members if c.attribution})),
            "documents": sorted({d.id for d, _ in members}),
            "independent_sources": len({_group(d) for d, _ in members}),
            "sources": [{"document": d.id, "outlet": d.source, "attribution": c.attribution,
                         "syndication_group": d.syndication_group,
                         "as_of": c.as_of.isoformat() if c.as_of else None}
                        for d, c in sorted(members, key=lambda m: (m[0].id, m[1].start))],
            "spans": [{"document": d.id, "start": c.start, "end": c.end,
                       **({"parts": [list(p) for p in c.parts]} if c.parts else {})}
                      for d, c in sorted(members, key=lambda m: (m[0].id, m[1].start))],
        })  # fmt: skip
    return table


def interval(value: int, qualifier: str) -> tuple[float, bool, float, bool]:
    """(low, low open, high, high open) the qualifier allows: "more than 50" → (50, True, inf, False)."""
    if qualifier == "at_least":
        return float(value), False, math.inf, False
    if qualifier == "more_than":
        return float(value), True, math.inf, False
    if qualifier == "as_many_as":
        return 0.0, False, float(value), False
    if qualifier in ("about", "estimated"):
        return 0.9 * value, False, 1.1 * value, False
    return float(value), False, float(value), False


_TITLE_SEARCH = 300  # characters of the text's opening (a dateline, a byline) before its title
_LEAD_MIN = 20  # characters of a sentence past the title for it to be the body's lead
# a site's suffix to a title: " - Region - World - Ahram Online", " | Jordan Times"
_TITLE_SUFFIX = re.compile(r"\s+[-|–]\s+.*$")


def headline_and_lead(doc: Document) -> tuple[int, int]:
    """(end of the title, end of the lead) when the text repeats its title at its opening, else
    (0, 0).  The lead is the first sentence of the body (it may share a sentence with the title
    when no full stop divides them).

    A headline states a count in a few words (a subgroup, a rounded figure, a total over places
    the body reports one by one); the lead restates it precisely, so the toll takes the lead's
    count over the headline's (:mod:`ceasefire.pipeline.evidence`).  A count further down the
    body is often another incident's, so only the lead's displaces the headline's."""
    for title in (doc.title, _TITLE_SUFFIX.sub("", doc.title)):
        words = title.split()
        if not words:
            continue
        pattern = r"\s+".join(re.escape(w) for w in words)
        found = re.search(pattern, doc.text[: len(title) + _TITLE_SEARCH], re.IGNORECASE)
        if found:
            end = found.end()
            sentences = doc.sentences or ((0, len(doc.text)),)
            lead = next((e for s, e in sentences if e - max(s, end) > _LEAD_MIN), end)
            return end, lead
    return 0, 0


def fatality_range(value: int, qualifier: str) -> tuple[int | None, int | None, int | None]:
    """(low, best, high) a stated count gives an incident's fatalities; None where it says nothing.

    exact 12 → (12, 12, 12); at least 12 → (12, 12, None); more than 12 → (13, 13, None);
    as many as / up to 30 → (None, None, 30); about / estimated 40 → (None, 40, None)."""
    if qualifier == "at_least":
        return value, value, None
    if qualifier == "more_than":
        return value + 1, value + 1, None
    if qualifier == "as_many_as":
        return None, None, value
    if qualifier in ("about", "estimated"):
        return None, value, None
    return value, value, value


def _bounds_json(value: int, qualifier: str) -> list[float | None]:
    low, _, high, _ = interval(value, qualifier)
    return [round(low, 6), None if math.isinf(high) else round(high, 6)]


def _disjoint(a: tuple[float, bool, float, bool], b: tuple[float, bool, float, bool]) -> bool:
    def below(x: tuple[float, bool, float, bool], y: tuple[float, bool, float, bool]) -> bool:
        return x[2] < y[0] or (x[2] == y[0] and (x[3] or y[1]))

    return below(a, b) or below(b, a)


@dataclass(frozen=True)
class _Toll:
    doc: Document
    claim: ClaimMention
    towns: frozenset[str]  # places below governorate named in the claim's sentence
    regions: frozenset[str]  # their governorates
    days: tuple[date, date] | None  # the dates the sentence names


def _toll(doc: Document, claim: ClaimMention) -> _Toll:
    s, e = doc.sentence_of(claim.start)
    usable = [p for p in doc.places if not p.metonymy and p.kind != "country"]
    places = [p for p in usable if s <= p.start < e]
    if not places:  # the lead names the place of the story's incident
        lead_end = (
            doc.sentences[min(1, len(doc.sentences) - 1)][1] if doc.sentences else len(doc.text)
        )
        places = [p for p in usable if p.start < lead_end]
    towns = frozenset(p.city or p.name for p in places if not p.kind.startswith("admin"))
    # the day that stamps the article ("AFP Tuesday 20 Sep 2016") is not an event's day
    dates = [d for d in doc.dates if s <= d.start < e and d.method != "dateline"]
    days = (min(d.first for d in dates), max(d.last for d in dates)) if dates else None
    return _Toll(doc, claim, towns, frozenset(p.admin1 for p in places if p.admin1), days)


def _comparable(a: _Toll, b: _Toll, max_days: int) -> bool:
    """Could the two counts be about the same incident? Different places or days say no."""
    if a.claim.as_of and b.claim.as_of and abs((a.claim.as_of - b.claim.as_of).days) > max_days:
        return False
    if a.towns and b.towns and not a.towns & b.towns:
        return False
    if a.regions and b.regions and not a.regions & b.regions:
        return False
    return not (a.days and b.days and (a.days[1] < b.days[0] or b.days[1] < a.days[0]))


def _elsewhere(doc: Document, toll: _Toll) -> bool:
    """Whether the document itself puts the count at another incident than its main one: its
    sentence names only days outside the main event's date (datelines aside), or only
    governorates its lead does not name ("IS also hit a crossing in Idlib on 6 October, killing
    29": background, not the document's toll).  Without a dated main event or places in the
    lead, nothing is elsewhere."""
    main = doc.meta.get("main_date")
    s, e = doc.sentence_of(toll.claim.start)
    days = [d for d in doc.dates if s <= d.start < e and d.method != "dateline"]
    if (
        isinstance(main, DateMention)
        and main.method != "publication"
        and days
        and all(d.last < main.first or main.last < d.first for d in days)
    ):
        return True
    if not toll.regions:
        return False
    lead_end = doc.sentences[min(1, len(doc.sentences) - 1)][1] if doc.sentences else len(doc.text)
    lead = {
        p.admin1
        for p in doc.places
        if p.admin1 and not p.metonymy and p.kind != "country" and p.start < lead_end
    }
    return bool(lead) and not toll.regions & lead


def _contrasted(doc: Document) -> list[ClaimMention]:
    """Incident counts in sentences that set two named sources' figures side by side."""
    out = []
    for claim in doc.claims:
        if claim.scope != "incident" or not claim.attribution:
            continue
        s, e = doc.sentence_of(claim.start)
        if not _CONTRAST.search(doc.text[s:e]):
            continue
        others = {
            c.attribution
            for c in doc.claims
            if c.quantity == claim.quantity and c.attribution and s <= c.start < e
        }
        if len(others) > 1:
            out.append(claim)
    return out


def _side_by_side(a: _Toll, b: _Toll) -> bool:
    """Two sources' figures in one sentence of one document ("X said 20, while Y said 45")."""
    return (
        a.doc.id == b.doc.id
        and bool(a.claim.attribution and b.claim.attribution)
        and a.claim.attribution != b.claim.attribution
        and a.doc.sentence_of(a.claim.start) == b.doc.sentence_of(b.claim.start)
    )


def find_conflicts(docs: list[Document], max_days: int = 2) -> list[dict[str, Any]]:
    """Incident counts of one quantity in one story that independent sources give incompatibly.

    Each document contributes its toll: its largest incident-scope value of the quantity (smaller
    counts in the same document are usually parts of it, "16 of them in Douma"), leaving out
    counts it places at another day or governorate than its main event when it gives counts of
    the main event too (background: an earlier attack elsewhere, :func:`_elsewhere`).  Two tolls
    conflict when their qualifier intervals are disjoint, their documents are in different
    syndication groups (a wire copy never conflicts with itself) or one sentence sets two named
    sources' figures side by side ("the Observatory said 20, while rescuers put the toll at
    30"), and they could be about the
    same incident: published on days at most ``max_days`` apart (a Saturday report of a Thursday
    event beside Thursday's wire), and not naming different towns,
    governorates or dates in their sentences.  ``claims`` are ids of :func:`claims_table` entries.
    """
    tolls: dict[tuple[str, str], list[_Toll]] = defaultdict(list)
    for doc in docs:
        best: dict[str, list[ClaimMention]] = defaultdict(list)
        incident = [c for c in doc.claims if c.scope == "incident"]
        here = [c for c in incident if not _elsewhere(doc, _toll(doc, c))]
        for claim in incident:
            if claim not in here and any(c.quantity == claim.quantity for c in here):
                continue  # a background count, beside counts of the main event
            kept = best[claim.quantity]
            if not kept or claim.value > kept[0].value:
                best[claim.quantity] = [claim]
            elif claim.value == kept[0].value:
                kept.append(claim)
        for claim in _contrasted(doc):  # "X said 20, while Y said 45": two sources' figures
            kept = best[claim.quantity]
            if all(c is not claim for c in kept):
                kept.append(claim)
        for quantity, claims in best.items():
            tolls[(_story(doc), quantity)].extend(_toll(doc, c) for c in claims)
    conflicts = []
    for (story, quantity), members in sorted(tolls.items()):
        involved: set[_Key] = set()
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if _group(a.doc) == _group(b.doc) and not _side_by_side(a, b):
                    continue
                if not _comparable(a, b, max_days):
                    continue
                if _disjoint(
                    interval(a.claim.value, a.claim.qualifier),
                    interval(b.claim.value, b.claim.qualifier),
                ):
                    involved.add((story, quantity, "incident", a.claim.value, a.claim.qualifier))
                    involved.add((story, quantity, "incident", b.claim.value, b.claim.qualifier))
        if involved:
            ordered = sorted(involved, key=lambda k: (k[3], QUALIFIERS.index(k[4])))
            conflicts.append({
                "quantity": quantity,
                "story": story,
                "values": sorted({k[3] for k in involved}),
                "claims": [_claim_id(k) for k in ordered],
                "sources": [_conflict_source(k, members) for k in ordered],
            })  # fmt: skip
    return conflicts


def _conflict_source(key: _Key, members: list[_Toll]) -> dict[str, Any]:
    """One value of a conflict with who gives it: outlets, named sources, independent sources,
    and the bounds its qualifier allows ("at least 20" is [20, None])."""
    _, _, _, value, qualifier = key
    carrying = [t for t in members if t.claim.value == value and t.claim.qualifier == qualifier]
    return {
        "value": value,
        "qualifier": qualifier,
        "bounds": _bounds_json(value, qualifier),
        "documents": sorted({t.doc.id for t in carrying}),
        "outlets": sorted({t.doc.source for t in carrying}),
        "attribution": "; ".join(
            sorted({t.claim.attribution for t in carrying if t.claim.attribution})
        ),
        "independent_sources": len({_group(t.doc) for t in carrying}),
    }


# ---------------------------------------------------------------------------------------------
# story briefs

_LEAD_PARAGRAPHS, _LEAD_SENTENCES = 2, 4
_NEAR_DUPLICATE = 0.75
_MMR_LAMBDA = 0.7
_STOP = frozenset(
    "a an the of in on at to for from by with and or but is are was were be been has have had it its "  # noqa: SIM905
    "this that these those as said says their they he she his her who which after before over into "
    "than also not no".split()
)
_QUALIFIER_WORDS = {"exact": "", "at_least": "at least ", "more_than": "more than ",
                    "as_many_as": "as many as ", "about": "about ", "estimated": "an estimated "}  # fmt: skip
_QUANTITY_WORDS = {"killed": "the number killed", "wounded": "the number wounded",
                   "displaced": "the number displaced", "detained": "the number detained",
                   "violations": "the number of violations", "trucks": "the number of trucks"}  # fmt: skip


@dataclass
class _Candidate:
    text: str
    words: frozenset[str]
    sources: set[str]
    claims: bool
    events: bool
    position: int


def _words(text: str) -> frozenset[str]:
    return frozenset(w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOP)


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / math.sqrt(len(a) * len(b)) if a and b else 0.0


def _lead(doc: Document) -> list[tuple[int, int]]:
    paragraphs = [m.end() for m in re.finditer(r"\n\s*\n|\n", doc.text)]
    limit = (
        paragraphs[_LEAD_PARAGRAPHS - 1] if len(paragraphs) >= _LEAD_PARAGRAPHS else len(doc.text)
    )
    sentences = doc.sentences or ((0, len(doc.text)),)
    return [(s, e) for s, e in sentences if s < limit][:_LEAD_SENTENCES]


def _candidates(docs: list[Document]) -> list[_Candidate]:
    out: list[_Candidate] = []
    for doc in sorted(docs, key=lambda d: d.id):
        for position, (s, e) in enumerate(_lead(doc)):
            text = " ".join(doc.text[s:e].split())
            words = _words(text)
            if len(words) < 3:
                continue
            claims = any(s <= c.start < e for c in doc.claims)
            events = any(s <= ev.start < e or ev.start <= s < ev.end for ev in doc.events)
            twin = next(
                (c for c in out if _jaccard(c.words, words) >= _NEAR_DUPLICATE),
                None,
            )
            if twin is not None:
                twin.sources.add(doc.id)
                twin.claims, twin.events = twin.claims or claims, twin.events or events
                twin.position = min(twin.position, position)
                continue
            out.append(_Candidate(text, words, {doc.id}, claims, events, position))
    return out


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def _similarities(
    cands: list[_Candidate], vectors: dict[str, npt.NDArray[np.float32]] | None
) -> list[list[float]]:
    """Cosines of the candidates' embeddings (``vectors``: text → unit vector), else word overlap."""
    if vectors is None:
        return [[_overlap(a.words, b.words) for b in cands] for a in cands]
    stacked = np.stack([vectors[c.text] for c in cands])
    matrix = stacked @ stacked.T
    return [[round(float(x), 6) for x in row] for row in matrix]


def _select(cands: list[_Candidate], sims: list[list[float]], k: int) -> list[int]:
    weights = [len(c.sources) for c in cands]
    total = sum(weights)
    relevance = []
    for i, c in enumerate(cands):
        centrality = sum(w * sims[i][j] for j, w in enumerate(weights) if j != i) / max(
            total - weights[i], 1
        )
        relevance.append(
            centrality
            + 0.15 * c.claims
            + 0.10 * c.events
            + 0.05 * math.log(len(c.sources))
            + 0.05 / (1 + c.position)
        )
    chosen: list[int] = []
    while len(chosen) < min(k, len(cands)):
        best, best_score = -1, -math.inf
        for i in range(len(cands)):
            if i in chosen:
                continue
            redundancy = max((sims[i][j] for j in chosen), default=0.0)
            score = round(_MMR_LAMBDA * relevance[i] - (1 - _MMR_LAMBDA) * redundancy, 9)
            if score > best_score:
                best, best_score = i, score
        chosen.append(best)
    return chosen


def _conflict_sentence(
    conflict: dict[str, Any], table: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    parts, sources = [], set()
    for claim_id in conflict["claims"]:
        entry = table[claim_id]
        said = f" per {entry['attribution']}" if entry["attribution"] else ""
        parts.append(
            f"{_QUALIFIER_WORDS[entry['qualifier']]}{entry['value']:,}{said} ({', '.join(entry['documents'])})"
        )
        sources.update(entry["documents"])
    noun = _QUANTITY_WORDS.get(conflict["quantity"], f"the number {conflict['quantity']}")
    return {
        "text": f"Sources disagree on {noun}: {'; '.join(parts)}.",
        "sources": sorted(sources),
        "generated": True,
    }


def story_briefs(
    docs: list[Document],
    max_sentences: int = 5,
    model: SentenceTransformer | None = None,
    claims: list[dict[str, Any]] | None = None,
    conflicts_found: list[dict[str, Any]] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Story id → an extractive summary: ``{text, sources, generated}`` per sentence.

    Sentences come from the documents' leads, chosen by maximal marginal relevance over sentence
    embeddings (``model``, e.g. :func:`ceasefire.pipeline.embeddings.load_minilm`) or, without a
    model, over word overlap.  Sentences carrying claims or events are preferred; near-identical
    sentences (wire copies) are one sentence listing every document.  A story with conflicting
    counts ends with a generated sentence that states the extracted values and their documents.
    """
    stories: dict[str, list[Document]] = defaultdict(list)
    for doc in docs:
        stories[_story(doc)].append(doc)
    table = {entry["id"]: entry for entry in (claims if claims is not None else claims_table(docs))}
    conflicts: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for conflict in conflicts_found if conflicts_found is not None else find_conflicts(docs):
        conflicts[conflict["story"]].append(conflict)
    candidates = {story: _candidates(stories[story]) for story in sorted(stories)}
    # one independent source: redundancy is lexical (wire furniture), embeddings add nothing
    embedded = {
        story
        for story in candidates
        if model is not None and len({d.syndication_group or d.id for d in stories[story]}) > 1
    }
    vectors: dict[str, npt.NDArray[np.float32]] = {}
    if model is not None and embedded:
        from ceasefire.pipeline.embeddings import embed

        # every story's sentences in one call: batches of similar length, each text once
        texts = sorted({c.text for story in embedded for c in candidates[story]})
        vectors = dict(zip(texts, embed(model, texts), strict=True))
    briefs: dict[str, list[dict[str, Any]]] = {}
    for story in sorted(stories):
        stated = [_conflict_sentence(c, table) for c in conflicts[story]]
        cands = candidates[story]
        budget = max(1, max_sentences - len(stated))
        sims = _similarities(cands, vectors if story in embedded else None) if cands else []
        chosen = _select(cands, sims, budget) if cands else []
        summary: list[dict[str, Any]] = [
            {"text": cands[i].text, "sources": sorted(cands[i].sources), "generated": False}
            for i in chosen
        ]
        briefs[story] = [*summary, *stated][: max(max_sentences, 0)]
    return briefs
