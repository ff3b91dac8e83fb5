"""Date mentions resolved against the publication date, tense-aware, with parts of the day.

Stage ``ceasefire.dates.v1`` reads every date expression of a document and turns it into a
:class:`DateMention` with a first and last day and a precision (day | days | week | month | year):

* **Absolute** dates: "September 14, 2016", "14 September", "Sept. 14", "12-19 September",
  "September 2016", "in 2015", "2016-09-14".  A missing year is the one that puts the date
  nearest the publication date on the side the tense points to.
* **Weekdays**, by the tense of their clause: "on Monday, warplanes struck" is the Monday before
  publication; "will meet on Friday" the next Friday.  A weekday equal to the publication's
  weekday means a week earlier (later) unless the stage argument ``same_day_weekday`` is true
  (wire style: "said on Monday" in a Monday story) or the sentence says "today"/"this morning".
* **Relative**: "yesterday", "today", "last night", "overnight", "the day before yesterday",
  "tomorrow", "earlier this week", "last week", "this month", "last year", "three days ago",
  "in the past 24 hours".
* **Parts of the day**: "morning", "evening", "night", "dawn", "sundown" … attach to the date
  next to them.  Solar events ("from sundown on Monday") get ``local_time`` from
  :func:`ceasefire.agreements.solar.solar_instant` at the main place (else Damascus); clock
  times ("at 7 p.m.", "19:00") are kept as written.
* **Arabic** (``Document.language == "ar"``): the same kinds of expression from the tables of
  :mod:`ceasefire.pipeline.arabic`, resolved by the same code.
* A date that stamps the article ("Published 5 April 2017 …", "AFP Thursday 25 Sep 2014")
  gets ``method="dateline"``; it is not an event date.
* A date attached to a **verb of reporting** ("sources said Thursday", "the monitor said late on
  Friday", "told AFP on Monday", "the ministry on Friday announced") dates the report, not the
  event: the event happened on or before it.  Such a mention gets ``method="report"`` and a
  window that ends on the report's day and starts ``report_days`` (default 1) days earlier,
  precision ``days``.  A date attached to the event verb ("killed on Thursday, the ministry
  said") stays that day.

:func:`main_date` picks the date of the article's main event.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ceasefire.agreements.solar import solar_instant
from ceasefire.model.arabic import fold
from ceasefire.pipeline import arabic
from ceasefire.pipeline.places import main_place, sentence_has_trigger
from ceasefire.pipeline.records import DateMention, Document, PlaceMention
from ceasefire.pipeline.registry import StageContext, stage

__all__ = ["DAMASCUS", "find_dates", "main_date", "resolve_dates"]

DAMASCUS = (33.5138, 36.2765)
DEFAULT_TZ = ZoneInfo("Asia/Damascus")

_MONTHS = {
    name: n
    for n in range(1, 13)
    for name in {calendar.month_name[n].lower(), calendar.month_abbr[n].lower()}
}
_MONTHS["sept"] = 9
_WEEKDAYS = {calendar.day_name[n].lower(): n for n in range(7)}
_WEEKDAYS.update({calendar.day_abbr[n].lower(): n for n in range(7)})
_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "few": 3, "several": 3, "couple of": 2,
}  # fmt: skip

_MON = r"(?P<mon>January|February|March|April|May|June|July|August|September|October|November|December|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\b\.?)"
_WD = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun)\.?,?"
_ORD = r"(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(?P<y>(?:19|20)\d{2})\b)?"
_RANGE_SEP = r"\s*(?:-|–|to|and|through)\s*"

# (name, pattern); earlier patterns win when spans overlap at the same start
_PATTERNS: tuple[tuple[str, str], ...] = (
    ("range_dm", rf"\b(?:{_WD}\s+)?(?P<d1>\d{{1,2}}){_ORD}{_RANGE_SEP}(?P<d2>\d{{1,2}}){_ORD}\s+(?:of\s+)?{_MON}{_YEAR}"),
    ("range_md", rf"\b{_MON}\s+(?P<d1>\d{{1,2}}){_ORD}{_RANGE_SEP}(?P<d2>\d{{1,2}}){_ORD}\b{_YEAR}"),
    ("iso", r"\b(?P<y>(?:19|20)\d{2})-(?P<m>\d{2})-(?P<d>\d{2})\b"),
    ("dm", rf"\b(?:{_WD}\s+)?(?:the\s+)?(?P<d>\d{{1,2}}){_ORD}\s+(?:of\s+)?{_MON}{_YEAR}"),
    ("md", rf"\b(?:{_WD}\s+)?{_MON}\s+(?P<d>\d{{1,2}}){_ORD}\b(?!:)(?!\d){_YEAR}"),
    ("my", rf"\b{_MON},?\s+(?P<y>(?:19|20)\d{{2}})\b"),
    ("month", r"\b(?:in|since|during|until|by|throughout|early|late|mid-?)\s+(?:early\s+|late\s+|mid-?)?(?P<mon>January|February|March|April|May|June|July|August|September|October|November|December)\b(?!\s*,?\s*\d)"),
    ("year", r"\b(?:in|since|during|throughout|until|by|before|after|early|late|mid-?)\s+(?P<y>(?:19|20)\d{2})\b"),
    ("day_before", r"\b(?:the\s+)?day before yesterday\b"),
    ("yesterday", r"\byesterday\b"),
    ("today", r"\b(?:today|tonight|this (?P<pod>morning|afternoon|evening))\b"),
    ("tomorrow", r"\btomorrow\b"),
    ("last_night", r"\blast night\b"),
    ("overnight", r"\bovernight\b"),
    ("ago", r"\b(?P<n>\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|few|several|couple of)\s+(?P<unit>days?|weeks?|months?|years?)\s+ago\b"),
    ("past_n", r"\b(?:in|over|during|within)\s+the\s+(?:past|last)\s+(?:(?P<n>\d+|two|three|four|five|six|seven|few|several|couple of)\s+)?(?P<unit>hours|days|weeks|day|week)\b"),
    ("week", r"\b(?P<rel>earlier this|later this|this|last|past|next|the previous|the past)\s+week\b"),
    ("month_rel", r"\b(?P<rel>earlier this|later this|this|last|next|the previous)\s+month\b"),
    ("year_rel", r"\b(?P<rel>earlier this|later this|this|last|next|the previous)\s+year\b"),
    ("weekday", r"\b(?:(?P<edge>(?i:early|late))\s+(?:on\s+)?)?(?:(?P<mod>(?i:last|this|next|past|coming))\s+)?(?P<wd>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)(?:['’]?s)?\b(?:\s+(?P<pod>morning|afternoon|evening|night))?"),
)  # fmt: skip
# relative words match in any case; month and weekday names only capitalised ("may" is a verb)
_CASELESS = frozenset(
    {"day_before", "yesterday", "today", "tomorrow", "last_night", "overnight", "ago", "past_n"}
    | {"week", "month_rel", "year_rel"}
)
_COMPILED = tuple(
    (name, re.compile(pattern, re.IGNORECASE if name in _CASELESS else 0))
    for name, pattern in _PATTERNS
)

_SOLAR = re.compile(
    r"\b(?P<pod>sundown|sunset|sunrise|dawn|dusk|daybreak|noon|midday|midnight)\b", re.IGNORECASE
)
_SOLAR_EVENT = {
    "sundown": "sundown",
    "sunset": "sunset",
    "sunrise": "sunrise",
    "dawn": "dawn",
    "daybreak": "dawn",
    "dusk": "dusk",
    "noon": "noon",
    "midday": "noon",
}
_CLOCK = re.compile(
    r"\b(?:at\s+)?(?P<h>[01]?\d|2[0-3])(?:[:.](?P<m>[0-5]\d))?\s*(?P<ap>a\.?m\.?|p\.?m\.?)(?=\W|$)|\b(?:at\s+)?(?P<h24>[01]?\d|2[0-3]):(?P<m24>[0-5]\d)\b",
    re.IGNORECASE,
)
_FUTURE = re.compile(
    r"\b(?:will|won't|shall|'ll|would|next|upcoming|tomorrow|(?:is|are|was|were)\s+(?:going|expected|scheduled|set|due|slated|planned|planning|to)\s+to|"
    r"plans?\s+to|intends?\s+to|to\s+be\s+held|is\s+to|are\s+to|due\s+to\s+(?:meet|start|begin|take))\b",
    re.IGNORECASE,
)
_TODAY = re.compile(
    r"\b(?:today|this morning|this afternoon|this evening|tonight)\b", re.IGNORECASE
)
# a date that stamps the article, not an event: at the very start, or after an agency name
_DATELINE_BEFORE = re.compile(
    r"(?:^\s*(?:(?:published|posted|updated|last updated(?: at)?|date of publication)\s*:?\s*)?|"
    r"\b(?:AFP|Reuters|AP|DPA|dpa|Xinhua|Anadolu|SANA|Ahram Online|Agencies)\s*,?\s*)$",
    re.IGNORECASE,
)
_REPORT_VERBS = (
    r"said|says|say|told|tells|reported|reports|announced|announces|confirmed|confirms|added|adds"
    r"|stated|states|claimed|claims|declared|declares|estimated|tweeted|wrote"
)
# the verb right before the date: "said Thursday", "said late on Friday", "told AFP on Monday",
# "said in a statement on Friday", "reported on its website yesterday"
_REPORT_BEFORE = re.compile(
    rf"\b(?:{_REPORT_VERBS})"
    r"(?:\s+(?:in\s+a\s+(?:written\s+)?statement|on\s+(?:its|his|her|their)\s+(?:website|twitter|"
    r"telegram(?:\s+channel)?|facebook(?:\s+page)?)|(?:to\s+)?(?:reporters|journalists|the\s+press)"
    r"|(?:to\s+)?(?:the\s+)?[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3}))?"
    r"\s+(?:on\s+)?$"
)
# the verb right after it: "the Observatory on Thursday said", "rebels on Sunday claimed"
_REPORT_AFTER = re.compile(rf"^,?\s*(?:{_REPORT_VERBS})\b")
_REPORTABLE = frozenset(
    {"weekday", "yesterday", "today", "day_before", "week", "dm", "md", "iso", "last_night"}
)
# the event is on the report's day or the day before: FA-KES within ±1 day 0.767 (2 days: 0.717)
REPORT_DAYS = 1

_CLAUSE_BREAK = re.compile(
    r"[,;:()\u2014\u2013\"“”]|\s-\s|\b(?:but|while|whereas|after|before|when)\b"
)


@dataclass(frozen=True)
class _Found:
    start: int
    end: int
    kind: str
    groups: dict[str, str | None]


def _clause(text: str, start: int, end: int, bounds: tuple[int, int]) -> str:
    left = text[bounds[0] : start]
    right = text[end : bounds[1]]
    cut_left = [m.end() for m in _CLAUSE_BREAK.finditer(left)]
    left = left[cut_left[-1] :] if cut_left else left
    cut_right = _CLAUSE_BREAK.search(right)
    right = right[: cut_right.start()] if cut_right else right
    return f"{left} {text[start:end]} {right}"


def _tense(text: str, start: int, end: int, bounds: tuple[int, int], language: str = "en") -> str:
    clause = _clause(text, start, end, bounds)
    if language == "ar":
        return "future" if arabic.FUTURE.search(fold(clause)) else "past"
    return "future" if _FUTURE.search(clause) else "past"


def _weekday(ref: date, weekday: int, tense: str, same_day: bool) -> date:
    if tense == "future":
        ahead = (weekday - ref.weekday()) % 7
        return ref + timedelta(days=ahead if ahead or same_day else 7)
    back = (ref.weekday() - weekday) % 7
    return ref - timedelta(days=back if back or same_day else 7)


def _pick_year(ref: date, month: int, day: int, tense: str) -> date | None:
    options = []
    for year in (ref.year - 1, ref.year, ref.year + 1):
        try:
            options.append(date(year, month, day))
        except ValueError:
            continue
    if not options:
        return None
    if tense == "future":
        ahead = [d for d in options if d >= ref]
        return min(ahead) if ahead else max(options)
    past = [d for d in options if d <= ref + timedelta(days=1)]
    return max(past) if past else min(options)


def _month_span(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _number(value: str | None, default: int) -> int:
    if value is None:
        return default
    return int(value) if value.isdigit() else _NUMBERS.get(value.lower(), default)


def _month_of(value: str | None) -> int:
    return _MONTHS[(value or "").rstrip(".").lower()]


def _resolve(
    found: _Found, ref: date, tense: str, same_day: bool, today_in_clause: bool
) -> tuple[date, date, str, str, str] | None:
    """(first, last, precision, method, part_of_day) of one match, or None when it is not a date."""
    g = found.groups
    kind = found.kind
    try:
        if kind in {"range_dm", "range_md"}:
            month = _month_of(g["mon"])
            d1, d2 = int(g["d1"] or 0), int(g["d2"] or 0)
            if not 1 <= d1 < d2 <= 31:
                return None
            if g.get("y"):
                first, last = date(int(g["y"] or 0), month, d1), date(int(g["y"] or 0), month, d2)
            else:
                picked = _pick_year(ref, month, d1, tense)
                if picked is None:
                    return None
                first, last = picked, date(picked.year, month, d2)
            return first, last, "days", "absolute", ""
        if kind == "iso":
            day = date(int(g["y"] or 0), int(g["m"] or 0), int(g["d"] or 0))
            return day, day, "day", "absolute", ""
        if kind in {"dm", "md"}:
            month, dom = _month_of(g["mon"]), int(g["d"] or 0)
            if g.get("y"):
                day = date(int(g["y"] or 0), month, dom)
            else:
                picked = _pick_year(ref, month, dom, tense)
                if picked is None:
                    return None
                day = picked
            return day, day, "day", "absolute", ""
        if kind == "my":
            first, last = _month_span(int(g["y"] or 0), _month_of(g["mon"]))
            return first, last, "month", "absolute", ""
        if kind == "month":
            month = _month_of(g["mon"])
            year = ref.year
            if tense == "future" and month < ref.month:
                year += 1
            elif tense == "past" and month > ref.month:
                year -= 1
            first, last = _month_span(year, month)
            return first, last, "month", "absolute", ""
        if kind == "year":
            year = int(g["y"] or 0)
            return date(year, 1, 1), date(year, 12, 31), "year", "absolute", ""
    except ValueError:
        return None
    return _resolve_relative(found, ref, tense, same_day, today_in_clause)


def _resolve_relative(
    found: _Found, ref: date, tense: str, same_day: bool, today_in_clause: bool
) -> tuple[date, date, str, str, str] | None:
    g = found.groups
    kind = found.kind
    one = timedelta(days=1)
    if kind == "day_before":
        return ref - 2 * one, ref - 2 * one, "day", "relative", ""
    if kind == "yesterday":
        return ref - one, ref - one, "day", "relative", ""
    if kind == "today":
        text_pod = (g.get("pod") or "").lower()
        pod = text_pod or ("night" if "tonight" in (g.get("_text") or "").lower() else "")
        return ref, ref, "day", "relative", pod
    if kind == "tomorrow":
        return ref + one, ref + one, "day", "relative", ""
    if kind == "last_night":
        return ref - one, ref - one, "day", "relative", "night"
    if kind == "overnight":
        return ref - one, ref, "days", "relative", "night"
    if kind == "ago":
        n = _number(g.get("n"), 1)
        unit = (g.get("unit") or "day").lower().rstrip("s")
        if unit == "day":
            return ref - n * one, ref - n * one, "day", "relative", ""
        if unit == "week":
            day = ref - timedelta(weeks=n)
            return day - 3 * one, day + 3 * one, "week", "relative", ""
        if unit == "month":
            first = _add_months(ref, -n)
            return (*_month_span(first.year, first.month), "month", "relative", "")
        return date(ref.year - n, 1, 1), date(ref.year - n, 12, 31), "year", "relative", ""
    if kind == "past_n":
        unit = (g.get("unit") or "days").lower()
        n = _number(g.get("n"), 1 if unit in {"day", "week"} else 3)
        span = {"hours": max(1, round(n / 24)), "days": n, "day": 1, "weeks": 7 * n, "week": 7}[
            unit
        ]
        return ref - span * one, ref, "days", "relative", ""
    if kind == "week":
        rel = (g.get("rel") or "").lower()
        monday = ref - timedelta(days=ref.weekday())
        if rel in {"last", "the previous"}:
            return monday - 7 * one, monday - one, "week", "relative", ""
        if rel in {"past", "the past"}:
            return ref - 7 * one, ref, "week", "relative", ""
        if rel == "next":
            return monday + 7 * one, monday + 13 * one, "week", "relative", ""
        if rel == "earlier this":
            return monday, ref, "week", "relative", ""
        return monday, monday + 6 * one, "week", "relative", ""
    if kind == "month_rel":
        rel = (g.get("rel") or "").lower()
        shift = {"last": -1, "the previous": -1, "next": 1}.get(rel, 0)
        first = _add_months(ref, shift)
        start, end = _month_span(first.year, first.month)
        if rel == "earlier this":
            end = ref
        return start, end, "month", "relative", ""
    if kind == "year_rel":
        rel = (g.get("rel") or "").lower()
        year = ref.year + {"last": -1, "the previous": -1, "next": 1}.get(rel, 0)
        return date(year, 1, 1), date(year, 12, 31), "year", "relative", ""
    if kind == "weekday":
        weekday = _WEEKDAYS[(g.get("wd") or "").lower()]
        mod = (g.get("mod") or "").lower()
        if mod in {"next", "coming"}:
            tense = "future"
        elif mod in {"last", "past"}:
            tense = "past"
        same = same_day or (today_in_clause and weekday == ref.weekday())
        if mod == "this" and weekday == ref.weekday():
            same = True
        day = _weekday(ref, weekday, tense, same)
        pod = (g.get("pod") or "").lower()
        edge = (g.get("edge") or "").lower()
        if not pod and edge:
            pod = "morning" if edge == "early" else "night"
        return day, day, "day", "weekday", pod
    return None


def _scan(text: str) -> list[_Found]:
    found: list[tuple[int, int, int, _Found]] = []
    for priority, (name, pattern) in enumerate(_COMPILED):
        for m in pattern.finditer(text):
            groups: dict[str, str | None] = dict(m.groupdict())
            groups["_text"] = m.group()
            if (
                name in {"dm", "md", "my", "range_dm", "range_md"}
                and (groups.get("mon") or "").startswith("May")
                and not (groups.get("d") or groups.get("y") or groups.get("d1"))
            ):
                continue
            found.append(
                (
                    m.start(),
                    -(m.end() - m.start()),
                    priority,
                    _Found(m.start(), m.end(), name, groups),
                )
            )
    found.sort(key=lambda item: (item[0], item[1], item[2]))
    chosen: list[_Found] = []
    last_end = -1
    for start, _, _, item in found:
        if start >= last_end:
            chosen.append(item)
            last_end = item.end
    return chosen


def _scan_arabic(text: str) -> list[_Found]:
    """Arabic date expressions (:func:`ceasefire.pipeline.arabic.date_matches`), as the English
    patterns' matches: the same kinds and groups, resolved by the same :func:`_resolve`."""
    return [
        _Found(start, end, kind, groups) for start, end, kind, groups in arabic.date_matches(text)
    ]


def _bounds(sentences: tuple[tuple[int, int], ...], offset: int, length: int) -> tuple[int, int]:
    for start, end in sentences:
        if start <= offset < end:
            return start, end
    return 0, length


def _attach_times(
    text: str,
    mentions: list[DateMention],
    sentences: tuple[tuple[int, int], ...],
    where: tuple[float, float],
    tz: ZoneInfo,
) -> list[DateMention]:
    """Fold "sundown", "dawn", "at 7 p.m." into the date mention next to them."""
    out = list(mentions)
    for pattern in (_SOLAR, _CLOCK):
        for m in pattern.finditer(text):
            bounds = _bounds(sentences, m.start(), len(text))
            best: tuple[int, int] | None = None
            for i, mention in enumerate(out):
                if not (bounds[0] <= mention.start < bounds[1]):
                    continue
                gap = (
                    m.start() - mention.end if mention.end <= m.start() else mention.start - m.end()
                )
                if gap < 0 or gap > 25:
                    continue
                between = text[min(mention.end, m.end()) : max(mention.start, m.start())]
                if re.search(r"[.;]|\band\b", between):
                    continue
                if best is None or gap < best[0]:
                    best = (gap, i)
            if best is None:
                continue
            mention = out[best[1]]
            start, end = min(mention.start, m.start()), max(mention.end, m.end())
            if pattern is _SOLAR:
                pod = m.group("pod").lower()
                local = mention.local_time
                event = _SOLAR_EVENT.get(pod)
                if event and mention.first == mention.last:
                    local = solar_instant(event, mention.first, where[0], where[1], tz).strftime(
                        "%H:%M"
                    )
                elif pod == "midnight":
                    local = "00:00"
                out[best[1]] = replace(
                    mention,
                    start=start,
                    end=end,
                    text=text[start:end],
                    part_of_day=pod,
                    local_time=local,
                )
            else:
                hour = int(m.group("h") or m.group("h24"))
                minute = int(m.group("m") or m.group("m24") or 0)
                ap = (m.group("ap") or "").lower().replace(".", "")
                if ap == "pm" and hour < 12:
                    hour += 12
                if ap == "am" and hour == 12:
                    hour = 0
                out[best[1]] = replace(
                    mention,
                    start=start,
                    end=end,
                    text=text[start:end],
                    local_time=f"{hour:02d}:{minute:02d}",
                )
    return out


def _reported(text: str, found: _Found, bounds: tuple[int, int]) -> bool:
    """Whether the date is attached to a verb of reporting, right before or right after it."""
    if found.kind not in _REPORTABLE:
        return False
    before = text[max(bounds[0], found.start - 60) : found.start]
    after = text[found.end : min(bounds[1], found.end + 20)]
    return bool(_REPORT_BEFORE.search(before) or _REPORT_AFTER.match(after))


def resolve_dates(
    text: str,
    sentences: tuple[tuple[int, int], ...],
    published: datetime,
    *,
    where: tuple[float, float] = DAMASCUS,
    same_day_weekday: bool = False,
    report_days: int = REPORT_DAYS,
    language: str = "en",
) -> list[DateMention]:
    """Every date expression in ``text``, resolved against ``published`` (an aware datetime);
    ``language="ar"`` reads Arabic expressions instead of English ones.

    A date attached to a verb of reporting (English) bounds the event: a ``report_days`` window
    ending on it (``method="report"``)."""
    if published.tzinfo is None:
        raise ValueError("published must be an aware datetime (with its IANA zone)")
    tz = published.tzinfo if isinstance(published.tzinfo, ZoneInfo) else DEFAULT_TZ
    ref = published.astimezone(tz).date()
    mentions: list[DateMention] = []
    for found in _scan_arabic(text) if language == "ar" else _scan(text):
        bounds = _bounds(sentences, found.start, len(text))
        reported = language != "ar" and _reported(text, found, bounds)
        # a report is in the past whatever the reported speech says ("said Monday it would")
        tense = "past" if reported else _tense(text, found.start, found.end, bounds, language)
        sentence = text[bounds[0] : bounds[1]]
        today_cue = (
            arabic.TODAY.search(fold(sentence)) if language == "ar" else _TODAY.search(sentence)
        )
        today = bool(today_cue)
        resolved = _resolve(found, ref, tense, same_day_weekday, today)
        if resolved is None:
            continue
        first, last, precision, method, pod = resolved
        if method == "absolute" and _DATELINE_BEFORE.search(
            text[max(0, found.start - 40) : found.start]
        ):
            method = "dateline"
        elif reported:
            first, precision, method, pod = (
                first - timedelta(days=report_days),
                "days",
                "report",
                "",
            )
        mentions.append(
            DateMention(
                start=found.start,
                end=found.end,
                text=text[found.start : found.end],
                first=first,
                last=last,
                precision=precision,
                part_of_day=pod,
                method=method,
            )
        )
    return _attach_times(text, mentions, sentences, where, tz)


def find_dates(
    doc: Document, *, same_day_weekday: bool = False, report_days: int = REPORT_DAYS
) -> list[DateMention]:
    """The date mentions of a document; solar times at its main place, else Damascus."""
    if doc.published is None:
        return []
    place = doc.meta.get("main_place")
    if not isinstance(place, PlaceMention):
        place = main_place(doc) if doc.places else None
    where = (place.lat, place.lon) if place is not None else DAMASCUS
    return resolve_dates(
        doc.text,
        doc.sentences,
        doc.published,
        where=where,
        same_day_weekday=same_day_weekday,
        report_days=report_days,
        language=doc.language,
    )


def main_date(doc: Document, *, first_sentences: int = 3) -> DateMention | None:
    """The date of the main event: the earliest past date (day precision, datelines excluded,
    at most 31 days before publication) in the first sentences that report violence; else the
    window a report date bounds ("said Thursday": on or before Thursday, the earliest report);
    else the publication date (``method="publication"``); ``None`` without either."""
    if doc.published is None:
        return None
    tz = doc.published.tzinfo if isinstance(doc.published.tzinfo, ZoneInfo) else DEFAULT_TZ
    ref = doc.published.astimezone(tz).date()
    sentences = doc.sentences[:first_sentences] or ((0, len(doc.text)),)
    pool: list[DateMention] = []
    for start, end in sentences:
        if not sentence_has_trigger(doc.text[start:end]):
            continue
        pool.extend(
            d
            for d in doc.dates
            if start <= d.start < end
            and d.method != "dateline"
            and d.precision in {"day", "days"}
            and d.first <= ref
            and (ref - d.first).days <= 31
        )
    events = [d for d in pool if d.method != "report"]
    if events:
        return min(events, key=lambda d: (d.first, d.start))
    if pool:
        return min(pool, key=lambda d: (d.last, d.start))
    return DateMention(
        start=0, end=0, text="", first=ref, last=ref, precision="day", method="publication"
    )


@stage("ceasefire.dates.v1", requires=("text", "sentences", "published"), assigns=("dates",))
def resolve_document_dates(docs: list[Document], ctx: StageContext) -> list[Document]:
    """Resolve date expressions against the publication date (tense-aware weekdays, relative
    expressions, parts of the day, solar times); sets ``meta["main_date"]`` (:func:`main_date`).

    Arguments: ``same_day_weekday`` (bool, default false), ``first_sentences`` (default 3),
    ``report_days`` (default 1: how far before a report date its event may be).
    """
    same_day = bool(ctx.args.get("same_day_weekday", False))
    first = int(ctx.args.get("first_sentences", 3))
    report_days = int(ctx.args.get("report_days", REPORT_DAYS))
    out = []
    for doc in docs:
        found = find_dates(doc, same_day_weekday=same_day, report_days=report_days)
        dated = replace(doc, dates=tuple(found))
        out.append(
            replace(dated, meta={**doc.meta, "main_date": main_date(dated, first_sentences=first)})
        )
    return out
