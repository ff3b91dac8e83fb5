"""The pipeline's Arabic lexicons: dates, counts with qualifiers, violence cues, reporting sources.

Stages read a document with ``language == "ar"`` through these tables; they match over the
folded text (:func:`ceasefire.model.arabic.fold_with_offsets`) and report spans in the original.
Every table is written in folded spelling (ا for أ إ آ, ه for ة, ي for ى and ئ, no hamza on
the line, no harakat), so an entry matches however the source spelled it.

* :func:`date_matches`: weekdays (الخميس، يوم الخميس، الخميس الماضي، الخميس المقبل), أمس,
  اليوم, غدا, أول أمس, الليلة الماضية, "قبل ثلاثة أيام", and day–month(–year) dates with the
  Levantine (كانون الثاني … كانون الأول) or Egyptian (يناير … ديسمبر) month names, or both
  ("أيلول/سبتمبر"), or written 14/9/2016.  Each match carries the kind and groups of the English
  patterns in :mod:`ceasefire.pipeline.dates`, which resolves them with its one date helper.
* :func:`sentence_claims`: "مقتل 12 مدنياً", "ما لا يقل عن 20 قتيلاً", "أكثر من 30", "نحو 15",
  "حوالي", "12 شخصاً على الأقل", number words (ثلاثة، عشرة، خمسة وعشرين), killed vs wounded,
  as the English extractor's :class:`ClaimMention`.  "عشرات" (tens) and "مئات" are vague ranges, not
  counts: like "dozens" in English they make no claim.
"""

from __future__ import annotations

import re
from datetime import date

from ceasefire.model.arabic import fold, fold_with_offsets, stems
from ceasefire.pipeline.records import ClaimMention

__all__ = [
    "FUTURE",
    "REPORTING_SOURCES_AR",
    "TODAY",
    "VIOLENCE",
    "attribution",
    "content_words",
    "date_matches",
    "has_violence",
    "number_value",
    "sentence_claims",
]

_W = r"(?<![^\W\d_])"  # a word starts here (no letter before)
_E = r"(?![^\W\d_])"  # a word ends here

# -- numbers -------------------------------------------------------------------------------------

_UNIT_WORDS = {
    "واحد": 1, "واحده": 1, "اثنان": 2, "اثنين": 2, "اثنتان": 2, "اثنتين": 2, "ثلاثه": 3, "ثلاث": 3,
    "اربعه": 4, "اربع": 4, "خمسه": 5, "خمس": 5, "سته": 6, "ست": 6, "سبعه": 7, "سبع": 7,
    "ثمانيه": 8, "ثماني": 8, "ثمان": 8, "تسعه": 9, "تسع": 9, "عشره": 10, "عشر": 10,
}  # fmt: skip
_TEEN_HEADS = {"احد": 1, "احدي": 1, "اثنا": 2, "اثني": 2, "اثنتا": 2, "اثنتي": 2}
_TENS_WORDS = {
    "عشرون": 20, "عشرين": 20, "ثلاثون": 30, "ثلاثين": 30, "اربعون": 40, "اربعين": 40,
    "خمسون": 50, "خمسين": 50, "ستون": 60, "ستين": 60, "سبعون": 70, "سبعين": 70,
    "ثمانون": 80, "ثمانين": 80, "تسعون": 90, "تسعين": 90,
}  # fmt: skip
_HUNDREDS = {"ميه": 100, "مايه": 100, "مييه": 100, "ماييه": 100, "ميتين": 200, "مايتين": 200,
             "ميتان": 200, "مايتان": 200}  # fmt: skip
_NUMBER_WORD = sorted([*_UNIT_WORDS, *_TEEN_HEADS, *_TENS_WORDS, *_HUNDREDS], key=len, reverse=True)
_NW = "|".join(_NUMBER_WORD)
_NUMBER = re.compile(
    rf"{_W}(?:[وب])?(?:(?P<digits>\d{{1,3}}(?:,\d{{3}})+|\d+)(?!\d)(?![.,]\d)"
    rf"|(?P<words>(?:{_NW}){_E}(?:\s+و?(?:{_NW}){_E}){{0,3}}))"
)


def number_value(phrase: str) -> int | None:
    """Value of a folded Arabic number phrase ("خمسه وعشرين" → 25, "ثلاثه عشر" → 13) or digits."""
    if phrase.isdigit():
        return int(phrase)
    total = 0
    words = [w[1:] if w.startswith("و") and w[1:] in _NUMBER_WORD else w for w in phrase.split()]
    i = 0
    while i < len(words):
        word = words[i]
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if word in _TEEN_HEADS and nxt in {"عشر", "عشره"}:
            total += 10 + _TEEN_HEADS[word]
            i += 2
            continue
        if word in _UNIT_WORDS and _UNIT_WORDS[word] < 10 and nxt in {"عشر", "عشره"}:
            total += 10 + _UNIT_WORDS[word]
            i += 2
            continue
        if word in _UNIT_WORDS:
            total += _UNIT_WORDS[word]
        elif word in _TENS_WORDS:
            total += _TENS_WORDS[word]
        elif word in _HUNDREDS:
            total += _HUNDREDS[word]
        else:
            return None
        i += 1
    return total or None


# -- dates ---------------------------------------------------------------------------------------

WEEKDAYS = {
    "الاثنين": "Monday", "الثلاثا": "Tuesday", "الاربعا": "Wednesday", "الخميس": "Thursday",
    "الجمعه": "Friday", "السبت": "Saturday", "الاحد": "Sunday",
}  # fmt: skip
MONTHS = {
    "كانون الثاني": "January", "شباط": "February", "اذار": "March", "نيسان": "April",
    "ايار": "May", "حزيران": "June", "تموز": "July", "اب": "August", "ايلول": "September",
    "تشرين الاول": "October", "تشرين الثاني": "November", "كانون الاول": "December",
    "يناير": "January", "فبراير": "February", "مارس": "March", "ابريل": "April",
    "مايو": "May", "يونيو": "June", "يونيه": "June", "يوليو": "July", "يوليه": "July",
    "اغسطس": "August", "سبتمبر": "September", "اكتوبر": "October", "نوفمبر": "November",
    "ديسمبر": "December",
}  # fmt: skip
_ENGLISH_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
_WD = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
_MON = "|".join(sorted(MONTHS, key=len, reverse=True))
_MONTH = rf"(?P<mon>{_MON})(?:\s*[/(-]\s*(?:{_MON})\)?)?"
_YEAR = r"(?:\s*(?:عام|سنه)?\s*(?P<y>(?:19|20)\d\d))?"
_PART = r"(?:صباح|مسا|ليله|فجر|ظهر|عصر|ظهيره)"
# (kind, pattern) over folded text; earlier patterns win when spans start together
_DATE_PATTERNS: tuple[tuple[str, str], ...] = (
    ("dm", rf"{_W}(?P<d>[0-3]?\d)\s*(?:من\s+)?(?:شهر\s+)?{_MONTH}{_E}{_YEAR}"),
    ("dmy", rf"{_W}(?P<d>[0-3]?\d)\s*[/.-]\s*(?P<m>[01]?\d)\s*[/.-]\s*(?P<y>(?:19|20)\d\d)(?!\d)"),
    ("my", rf"{_W}(?:شهر\s+)?{_MONTH}{_E}\s*(?:عام|سنه)?\s*(?P<y>(?:19|20)\d\d)(?!\d)"),
    ("day_before", rf"{_W}(?:[وف]?اول\s+امس|امس\s+الاول){_E}"),
    ("last_night", rf"{_W}(?:[وف]?(?:الليله|ليله)\s+(?:الماضيه|امس)|[وف]?مسا\s+امس){_E}"),
    ("weekday", rf"{_W}(?:[وف]?(?:في\s+)?(?:(?:يوم|نهار|{_PART})\s+)?(?:امس\s*[/،,]?\s*)?)?[وفب]?(?P<wd>{_WD}){_E}"
                r"(?:\s+(?P<mod>الماضي|المنصرم|الفايت|المقبل|القادم))?"),
    ("yesterday", rf"{_W}[وف]?(?:يوم\s+)?(?:امس|البارحه){_E}"),
    ("today", rf"{_W}[وف]?(?:اليوم|هذا\s+الصباح|صباح\s+اليوم|مسا\s+اليوم|الليله){_E}"),
    ("tomorrow", rf"{_W}[وف]?(?:غدا|يوم\s+غد){_E}"),
    ("ago", rf"{_W}[وف]?(?:قبل|منذ)\s+(?:(?P<n>\d+|{_NW})\s+)?(?P<unit>ايام|يوما|يومين|اسابيع|اسبوعين|اسبوع|اشهر|شهرين|شهر){_E}"),
)  # fmt: skip
_DATE_COMPILED = tuple((kind, re.compile(p)) for kind, p in _DATE_PATTERNS)
_PODS = {"صباح": "morning", "فجر": "dawn", "ظهر": "noon", "ظهيره": "noon", "عصر": "afternoon",
         "مسا": "evening", "ليله": "night"}  # fmt: skip
_POD_BEFORE = re.compile(rf"{_W}(?P<pod>{_PART}){_E}\s+(?:يوم\s+)?(?:امس\s*[/،,]?\s*)?[وفب]?$")
FUTURE = re.compile(
    rf"{_W}(?:سوف|غدا|المقبل|المقبله|القادم|القادمه|من\s+المقرر|من\s+المنتظر|سيتم|سيدخل|ستدخل"
    rf"|سيبدا|ستبدا|سيعقد|ستعقد|سينطلق|ستنطلق|سيسري|تسري|يسري|يعتزم|تعتزم){_E}"
)
TODAY = re.compile(rf"{_W}[وف]?(?:اليوم|هذا\s+الصباح|صباح\s+اليوم){_E}")
_UNITS = {"ايام": "days", "يوما": "days", "يومين": "days", "اسابيع": "weeks", "اسبوعين": "weeks",
          "اسبوع": "weeks", "اشهر": "months", "شهرين": "months", "شهر": "months"}  # fmt: skip


def date_matches(text: str) -> list[tuple[int, int, str, dict[str, str | None]]]:
    """``(start, end, kind, groups)`` of every Arabic date expression, offsets into ``text``,
    groups named as the English patterns of :mod:`ceasefire.pipeline.dates` (weekday and month
    names given in English), non-overlapping, earliest and longest first."""
    folded, origin = fold_with_offsets(text)
    found: list[tuple[int, int, int, str, dict[str, str | None]]] = []
    for priority, (kind, pattern) in enumerate(_DATE_COMPILED):
        for m in pattern.finditer(folded):
            groups: dict[str, str | None] = dict(m.groupdict())
            out_kind = kind
            if kind == "dmy":
                month = int(groups.pop("m") or 0)
                if not 1 <= month <= 12:
                    continue
                groups["mon"], out_kind = _ENGLISH_MONTHS[month - 1], "dm"
            elif groups.get("mon"):
                groups["mon"] = MONTHS[groups["mon"] or ""]
            if kind == "weekday":
                groups["wd"] = WEEKDAYS[groups["wd"] or ""]
                mod = groups.get("mod") or ""
                groups["mod"] = (
                    "last" if mod in {"الماضي", "المنصرم", "الفايت"} else ("next" if mod else None)
                )
                pod = _POD_BEFORE.search(folded[max(0, m.start() - 30) : m.start("wd")])
                part = re.search(rf"{_W}(?P<pod>{_PART}){_E}", m.group())
                cue = part or pod
                groups["pod"] = _PODS.get(cue.group("pod")) if cue is not None else None
            if kind == "ago":
                unit = groups.get("unit") or ""
                count = groups.get("n")
                if count is None:
                    count = "2" if unit in {"يومين", "اسبوعين", "شهرين"} else "1"
                value = number_value(count)
                if value is None:
                    continue
                groups["n"], groups["unit"] = str(value), _UNITS[unit]
            groups["_text"] = text[origin[m.start()] : origin[m.end()]]
            found.append(
                (
                    m.start(),
                    -(m.end() - m.start()),
                    priority,
                    out_kind,
                    {**groups, "_end": str(m.end())},
                )
            )
    found.sort(key=lambda item: (item[0], item[1], item[2]))
    chosen: list[tuple[int, int, str, dict[str, str | None]]] = []
    last_end = -1
    for start, neg_len, _, kind, groups in found:
        end = start - neg_len
        if start >= last_end:
            groups.pop("_end", None)
            chosen.append((origin[start], origin[end], kind, groups))
            last_end = end
    return chosen


# -- counts --------------------------------------------------------------------------------------

_KILLED_AFTER = {"قتيل", "قتيلا", "قتلي", "قتيلين", "شهيد", "شهيدا", "شهدا", "ضحيه", "ضحايا",
                 "جثه", "جثث", "قتلوا", "لقوا", "قضوا", "استشهدوا", "قتلو", "حتفهم", "حتفه",
                 "حتفها", "حتفهن"}  # fmt: skip
_WOUNDED_AFTER = {"جريح", "جريحا", "جرحي", "مصاب", "مصابا", "مصابين", "اصابه", "اصابات", "اصيبوا",
                  "جرحوا", "اصيبو"}  # fmt: skip
_KILLED_BEFORE = re.compile(
    rf"{_W}(?:[وفبل]|ال|وال|بال|لل)?(?:مقتل|قتل|قتلت|استشهاد|استشهد|استشهدت|قضي|مصرع|وفاه|توفي|اعدام|القتلي|قتلي|الضحايا|ضحايا"
    rf"|الشهدا|حصيله|حياه|ارواح|حتف){_E}"
)
_WOUNDED_BEFORE = re.compile(
    rf"{_W}(?:[وفبل]|ال|وال|بال|لل)?(?:اصابه|اصيب|اصيبت|جرح|جرحت|الجرحي|جرحي|المصابين|الاصابات"
    rf"|اصابات){_E}"
)
_QUALIFIERS_BEFORE = (
    ("at_least", r"(?:ما\s+)?لا\s+يقل\s+(?:عن|عدد[هم]*\s+عن)"),
    ("more_than", r"اكثر\s+من|ما\s+يزيد\s+(?:عن|علي)|يزيد\s+(?:عن|علي)|ما\s+يربو\s+علي|يربو\s+علي|اكثر\s+من"),
    ("as_many_as", r"ما\s+يصل\s+الي|يصل\s+الي|حتي|اقل\s+من|لا\s+يزيد\s+عن"),
    ("estimated", r"ما\s+يقدر\s+ب|يقدر\s+ب|يقدر\s+عددهم\s+ب"),
    ("about", r"[بل]?نحو|[بل]?حوالي|قرابه|زهاء|ما\s+يقارب|ما\s+يقرب\s+من|يقارب|تقريبا"),
)  # fmt: skip
_QUALIFIER_BEFORE = re.compile(
    r"(?:" + "|".join(f"(?P<{k}>{_W}[وف]?(?:{p}))" for k, p in _QUALIFIERS_BEFORE) + r")\s*$"
)
# "ارتفعت حصيلة القتلى جراء القصف … إلى 32": a toll that rises to the number
_TOLL_RISE = re.compile(
    rf"{_W}(?:ال)?(?:حصيله(?:\s+(?:ال)?(?:قتلي|ضحايا|وفيات|شهدا|جرحي|مصابين|اصابات))?"
    rf"|عدد\s+(?:ال)?(?:قتلي|ضحايا|وفيات|شهدا|جرحي|مصابين|اصابات))[^.;:]{{0,90}}?{_W}(?:الي|ب)\s*$"
)
# the dual of "a killed" / "a wounded" (the plurals are قتلى / جرحى, so these forms are unambiguous)
_DUAL = re.compile(rf"{_W}(?:[وف]?(?:ب|ل)?)(?P<noun>قتيلان|قتيلين|جريحان|جريحين){_E}")
_AT_LEAST_AFTER = re.compile(r"^(?:\s+[^\W\d_]+){0,2}\s+علي\s+الاقل")
_ABOUT_AFTER = re.compile(r"^(?:\s+[^\W\d_]+){0,2}\s+تقريبا")
_SUBCOUNT = re.compile(rf"{_W}(?:بينهم|بينهن|منهم|منهن|بينها|منها){_E}[^.;:]{{0,30}}$")
_NOT_COUNT_AFTER = re.compile(
    rf"^\s*(?:%|بالميه|في\s+الميه|عاما|عام|سنه|سنوات|اعوام|يوما|ايام|يوم|ساعه|ساعات|دقيقه|دقايق"
    rf"|كم|كيلومتر|كيلومترات|كيلو|متر|مترا|امتار|دولار|ليره|طن|اطنان|{_MON}){_E}"
)
_RANGE_AFTER = re.compile(r"^\s*(?:-|و|الي|او)\s*\d")
_RANGE_BEFORE = re.compile(rf"(?:{_W}بين\s+\d+\s+و|\d+\s*(?:-|الي|او)\s*)$")
_CLAUSE = re.compile(r"[.;:!?،,]")
_WINDOW_WORDS = 4
_CONFLICT = re.compile(
    rf"{_W}(?:منذ\s+(?:بدايه|بدء|اندلاع|انطلاق)\s+(?:ال)?(?:حرب|نزاع|صراع|ازمه|ثوره|احداث)"
    rf"|منذ\s+(?:عام\s+)?(?:2011|2012)){_E}"
)
_PERIOD = re.compile(
    rf"{_W}(?:منذ\s+(?:بدايه|بدء|دخول|سريان)\s+(?:ال)?(?:هدنه|وقف|اتفاق)|خلال\s+(?:ال)?(?:اسبوع|شهر|ايام|ساعات)"
    rf"\s+(?:ال)?(?:ماضي|ماضيه|اخير|اخيره))"
)

REPORTING_SOURCES_AR = (
    "المرصد السوري لحقوق الإنسان", "المرصد السوري", "المرصد", "سانا", "وكالة سانا",
    "وكالة الأنباء السورية", "الدفاع المدني", "الخوذ البيضاء", "ناشطون", "ناشطين", "رويترز",
    "فرانس برس", "وكالة فرانس برس", "الأناضول", "التلفزيون الرسمي", "التلفزيون السوري",
    "مصادر محلية", "مصادر طبية", "لجان التنسيق المحلية",
)  # fmt: skip
_ACCORDING = re.compile(
    rf"{_W}[وف]?(?:بحسب|حسب|وفق|وفقا\s+ل|نقلا\s+عن|قال|قالت|افاد|افادت|ذكر|ذكرت|اكد|اكدت)\s+"
)
_SOURCE_WORD = re.compile(r"[^\W\d_]+")
_NOT_SOURCE = frozenset({"ان", "انه", "بان", "في", "من", "الي", "عن", "علي", "ايضا"})

VIOLENCE = re.compile(
    rf"{_W}(?:[وفبل]|ال|وال|بال|لل)?(?:مقتل|قتل|قتلي|قتيل|قتيلا|جرحي|جريح|اصابه|اصابات|اصيب|مصرع|شهيد|شهدا"
    rf"|استشهاد|ضحايا|قصف|غاره|غارات|اشتباكات|اشتباك|معارك|انفجار|تفجير|هجوم|قذايف|صواريخ|براميل"
    rf"|هدنه|خرق|خروقات|انتهاك|انتهاكات|مجزره|استهداف|استهدف|استهدفت)"
)


def has_violence(text: str) -> bool:
    """Whether an Arabic sentence reports violence (or a truce and its breaches)."""
    return VIOLENCE.search(fold(text)) is not None


def attribution(sentence: str) -> str:
    """Who an Arabic sentence says gives its numbers ("" for the outlet's own voice)."""
    folded = fold(sentence)
    if "المرصد" in folded:
        return "Syrian Observatory for Human Rights"
    match = _ACCORDING.search(folded)
    if match is None:
        return ""
    words: list[str] = []
    phrase = re.split(r"[.;:!?،,]", folded[match.end() : match.end() + 60], maxsplit=1)[0]
    for word in _SOURCE_WORD.findall(phrase)[:3]:
        # a function word, or the next clause's verb of violence, ends the source's name
        if word in _NOT_SOURCE or VIOLENCE.match(word) or _KILLED_BEFORE.match(word):
            break
        words.append(word)
    return " ".join(words)


def _quantity(
    folded: str, clause_start: int, head_end: int, num_end: int, clause_end: int
) -> str | None:
    after_words = _SOURCE_WORD.findall(folded[num_end:clause_end])[:_WINDOW_WORDS]
    for n, word in enumerate(after_words):
        if (
            word.startswith("و")
            and n > 0
            and (word[1:] in _KILLED_AFTER or word[1:] in _WOUNDED_AFTER)
        ):
            break  # "مقتل 12 مدنيا واصابه 20": the next conjunct's word
        if word in _KILLED_AFTER or (
            word.startswith("ال") and word[2:] in _KILLED_AFTER and n == 0
        ):
            if word == "لقوا" and "حتف" not in folded[num_end:clause_end]:
                continue
            return "killed"
        if word in _WOUNDED_AFTER:
            return "wounded"
    rise = _TOLL_RISE.search(folded, clause_start, head_end)
    if rise is not None:
        return "wounded" if re.search(r"جرحي|مصابين|اصابات", rise.group()) else "killed"
    head = folded[clause_start:head_end]
    words = list(re.finditer(r"[^\W\d_]+", head))[-_WINDOW_WORDS:]
    window_start = clause_start + (words[0].start() if words else len(head))
    best: tuple[int, str] | None = None
    for quantity, pattern in (("killed", _KILLED_BEFORE), ("wounded", _WOUNDED_BEFORE)):
        for m in pattern.finditer(folded, window_start, head_end):
            if best is None or m.start() > best[0]:
                best = (m.start(), quantity)
    return best[1] if best else None


def sentence_claims(
    text: str, start: int, end: int, as_of: date | None, source: str
) -> list[ClaimMention]:
    """The counts of killed and wounded in ``text[start:end]``, an Arabic sentence."""
    folded, origin = fold_with_offsets(text[start:end])
    out: list[ClaimMention] = []
    for m in _NUMBER.finditer(folded):
        raw = m.group("digits") or m.group("words") or ""
        value = number_value(raw.replace(",", "")) if m.group("digits") else number_value(raw)
        if value is None or value == 0:
            continue
        n_start = m.start("digits") if m.group("digits") else m.start("words")
        n_end = m.end()
        if m.group("digits") and re.fullmatch(r"(?:19|20)\d\d", raw):
            continue  # a year
        before, after = folded[:n_start], folded[n_end:]
        if _NOT_COUNT_AFTER.match(after) or _RANGE_AFTER.match(after) or _SUBCOUNT.search(before):
            continue
        clause_start = max((c.end() for c in _CLAUSE.finditer(folded, 0, n_start)), default=0)
        clause_end = next((c.start() for c in _CLAUSE.finditer(folded, n_end)), len(folded))
        qual = _QUALIFIER_BEFORE.search(folded, clause_start, n_start)
        head_end = qual.start() if qual else n_start
        qualifier = next((k for k, _ in _QUALIFIERS_BEFORE if qual and qual.group(k)), "exact")
        if _RANGE_BEFORE.search(before):
            qualifier = "as_many_as"
        elif qualifier == "exact" and _AT_LEAST_AFTER.match(folded[n_end:clause_end]):
            qualifier = "at_least"
        elif qualifier == "exact" and _ABOUT_AFTER.match(folded[n_end:clause_end]):
            qualifier = "about"
        quantity = _quantity(folded, clause_start, head_end, n_end, clause_end)
        if quantity is None:
            continue
        clause = folded[clause_start:clause_end]
        scope = (
            "conflict"
            if _CONFLICT.search(clause)
            else ("period" if _PERIOD.search(clause) else "incident")
        )
        c_start, c_end = start + origin[head_end], start + origin[n_end]
        out.append(ClaimMention(
            start=c_start, end=c_end, text=text[c_start:c_end], quantity=quantity, value=value,
            qualifier=qualifier, scope=scope, attribution=source, as_of=as_of,
        ))  # fmt: skip
    for m in _DUAL.finditer(folded):  # "سقط قتيلان": the dual noun is the count
        if _SUBCOUNT.search(folded[: m.start()]):
            continue
        clause_start = max((c.end() for c in _CLAUSE.finditer(folded, 0, m.start())), default=0)
        clause_end = next((c.start() for c in _CLAUSE.finditer(folded, m.end())), len(folded))
        clause = folded[clause_start:clause_end]
        scope = (
            "conflict"
            if _CONFLICT.search(clause)
            else ("period" if _PERIOD.search(clause) else "incident")
        )
        c_start, c_end = start + origin[m.start("noun")], start + origin[m.end("noun")]
        out.append(ClaimMention(
            start=c_start, end=c_end, text=text[c_start:c_end],
            quantity="killed" if m.group("noun").startswith("قتيل") else "wounded", value=2,
            qualifier="exact", scope=scope, attribution=source, as_of=as_of,
        ))  # fmt: skip
    return sorted(out, key=lambda c: (c.start, c.end))


# -- words for comparing texts -------------------------------------------------------------------

_FUNCTION_WORDS = frozenset(
    fold(word)
    for word in [
        "في",
        "من",
        "إلى",
        "على",
        "عن",
        "مع",
        "أن",
        "إن",
        "أنه",
        "بأن",
        "كما",
        "قد",
        "لقد",
        "ما",
        "لا",
        "لم",
        "لن",
        "هذا",
        "هذه",
        "ذلك",
        "تلك",
        "التي",
        "الذي",
        "الذين",
        "بعد",
        "قبل",
        "خلال",
        "حتى",
        "منذ",
        "بين",
        "عند",
        "أو",
        "ثم",
        "كان",
        "كانت",
        "يكون",
        "تكون",
        "وقال",
        "وقالت",
        "قال",
        "قالت",
        "أمس",
        "اليوم",
        "أيضا",
        "كل",
        "بعض",
        "غير",
        "حيث",
        "وفق",
        "بحسب",
        "حسب",
        "نحو",
        "حوالي",
        "أكثر",
        "أقل",
    ]
)
_ARABIC_WORD = re.compile(r"[\u0620-\u064a]{2,}")


def content_words(text: str) -> frozenset[str]:
    """The folded content words of an Arabic text without their clitic prefixes (the shortest
    reading), function words left out: what two reports of one event share."""
    out = set()
    for word in _ARABIC_WORD.findall(fold(text)):
        if word in _FUNCTION_WORDS:
            continue
        stem = stems(word)[-1]
        if stem not in _FUNCTION_WORDS:
            out.add(stem)
    return frozenset(out)
