"""Clean: raw HTML or text in, the article's main text out, normalised, with sentence spans.

1. HTML goes through trafilatura (:func:`extract_html`): no fetching, no comments, no
   per-process deduplication cache (its cache outlives a call and made results depend on what
   was extracted before).  Hostile or broken markup never raises: nothing found is ``""``.
2. Plain text goes through :func:`clean_plain`: exact duplicate lines go, every line is scored
   (prose positive, furniture such as menus, dates, "Share this" negative) and the
   maximum-sum block of lines is kept; explicit furniture inside that block goes too.
3. :func:`normalise` makes the offsets every later stage records stable: NFC, entities and
   stray backslash escapes undone, curly quotes straight (one character for one), zero-width
   characters removed, spaces collapsed, ``\\n`` line endings.
4. Lines repeated across one source's documents in the batch (:func:`learn_boilerplate`) are
   removed from that source's texts.
5. :func:`split_sentences` gives character spans; newlines are hard breaks.
6. The document's ``language`` ("ar" or "en", by the share of Arabic letters:
   :func:`~ceasefire.model.arabic.detect_language`) tells later stages which lexicons to use.

A document whose text is empty or shorter than ``min_chars`` after cleaning is flagged
``quarantine:clean:empty_after_cleaning``; the runner quarantines it.

Work is bounded, so a hostile page costs seconds, not minutes: a page of more than
``MAX_HTML_ELEMENTS`` elements is not extracted (``quarantine:clean:too_complex``: trafilatura
spends about 0.3 ms per element, and the articles seen have at most a few thousand; a larger page
with one ``<article>`` or ``<main>`` element of fewer is read from that element alone), and a text
longer than ``MAX_TEXT_CHARS`` after cleaning is not passed on (``quarantine:clean:too_long``:
the longest article of the FA-KES set has 8,606 characters).  Each flag carries its reason.
"""

from __future__ import annotations

import copy
import html as html_lib
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from ceasefire.model.arabic import detect_language
from ceasefire.pipeline.records import Document
from ceasefire.pipeline.registry import StageContext, stage

__all__ = [
    "BOILERPLATE_RESOURCE",
    "DROP_REASONS",
    "EMPTY_FLAG",
    "MAX_HTML_ELEMENTS",
    "MAX_TEXT_CHARS",
    "SEEN_RESOURCE",
    "Keeper",
    "SourceLines",
    "clean_documents",
    "clean_plain",
    "clean_plain_report",
    "count_lines",
    "extract_html",
    "learn_boilerplate",
    "normalise",
    "remove_boilerplate",
    "score_extraction",
    "split_sentences",
]

EMPTY_FLAG = "quarantine:clean:empty_after_cleaning"
MAX_HTML_ELEMENTS = 8_000
MAX_TEXT_CHARS = 100_000
_MAX_VISIBLE_CHARS = 4 * MAX_TEXT_CHARS  # refused before extraction (a page's furniture aside)


def _too_long(chars: int, where: str) -> str:
    return (f"quarantine:clean:too_long: {chars:,} characters {where}; at most "
            f"{MAX_TEXT_CHARS:,} are passed on (not an article)")  # fmt: skip


# --- normalise ------------------------------------------------------------------------------

_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_BACKSLASH_QUOTE = re.compile(r"\\+([\"'’‘“”/])")
_BACKSLASH_BREAK = re.compile(r"(?:\\r)?\\n|\\r")
_BACKSLASH_TAB = re.compile(r"\\t")
_ONE_FOR_ONE = str.maketrans(
    dict.fromkeys("’‘‚‛", "'")
    | dict.fromkeys("“”„‟", '"')
    | dict.fromkeys(
        "\t\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000",
        " ",
    )
    | dict.fromkeys("\u0085\u2028\u2029", "\n")
)
# zero-width and invisible format characters, other C0/C1 controls, lone surrogates
_INVISIBLE = re.compile(
    "[\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u200e\u200f"
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff]"
)
_SPACES = re.compile(r" {2,}")
_BLANK_LINES = re.compile(r"\n{3,}")


def _unescape_entities(text: str) -> str:
    for _ in range(3):  # "&amp;quot;" is escaped twice; stop at a fixpoint
        undone = _ENTITY.sub(lambda m: html_lib.unescape(m.group(0)), text)
        if undone == text:
            break
        text = undone
    return text


def normalise(text: str) -> str:
    """Return ``text`` as every later stage sees it; offsets are into this string.

    Entities need their ``;`` (so "AT&T" and "&copy" in prose stay); curly quotes map one
    character for one; lines are stripped, runs of spaces and of blank lines collapsed.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _unescape_entities(text)
    text = _BACKSLASH_QUOTE.sub(r"\1", text)
    text = _BACKSLASH_BREAK.sub("\n", text)
    text = _BACKSLASH_TAB.sub(" ", text)
    text = _INVISIBLE.sub("", text)
    text = unicodedata.normalize("NFC", text).translate(_ONE_FOR_ONE)
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


# --- HTML -----------------------------------------------------------------------------------

_DOCUMENT_TAG = re.compile(r"<(?:html|body)[\s>/]", re.IGNORECASE)
_TITLE_PATHS = (
    "//meta[@property='og:title']/@content",
    "//meta[@name='twitter:title']/@content",
    "//meta[@property='twitter:title']/@content",
)
_INVISIBLE_TAGS = frozenset({"script", "style", "noscript", "template"})


@dataclass(frozen=True)
class _Extraction:
    text: str
    title: str
    visible_chars: int  # whitespace-collapsed text of the whole page body
    refused: str = ""  # the quarantine flag (with its reason) of a page not extracted


def _extract(markup: str) -> _Extraction:
    import trafilatura  # deferred: importing it costs ~0.5 s and no stage may pay at import

    markup = _INVISIBLE.sub("", markup)
    if not markup.strip():
        return _Extraction("", "", 0)
    if not _DOCUMENT_TAG.search(markup):
        # trafilatura rejects a bare fragment ("<p>…</p>") as not-quite-HTML
        markup = f"<html><body>{markup}</body></html>"
    tree = trafilatura.load_html(markup)
    if tree is None:
        return _Extraction("", "", 0)
    elements = sum(1 for _ in tree.iter())
    if elements > MAX_HTML_ELEMENTS:
        # a page of navigation round an article: read the article element alone
        part = _article_part(tree)
        if part is None:
            return _Extraction("", "", 0, f"quarantine:clean:too_complex: the page has "
                               f"{elements:,} elements and no <article> or <main> of at most "
                               f"{MAX_HTML_ELEMENTS:,}; not read (not an article)")  # fmt: skip
        title, tree = _title_of(tree), part
    else:
        title = ""
    visible = _visible_chars(tree)
    if visible > _MAX_VISIBLE_CHARS:  # the main text is a part of it: surely too long
        return _Extraction("", "", visible, _too_long(visible, "visible on the page"))
    text = trafilatura.extract(
        tree,
        favor_precision=True,  # the 20 gold pages: precision 0.947 → 0.983, recall the same
        include_comments=False,
        include_tables=True,  # one gold page lays its article out in a table: F1 0.32 → 0.98
        include_images=False,
        include_links=False,
        deduplicate=False,  # its cache outlives the call: results would depend on earlier pages
        with_metadata=False,  # metadata runs htmldate: seconds on a multi-megabyte page
    )
    text = text or ""
    return _Extraction(text, title or _title_of(tree), visible)


_ARTICLE_PATHS = ("//article", "//main", "//*[@itemprop='articleBody']", "//*[@role='main']")


def _article_part(tree: Any) -> Any:
    """The page's one article (or main) element, as a page of its own, when it is small enough
    to read; ``None`` otherwise."""
    for path in _ARTICLE_PATHS:
        found = tree.xpath(path)
        if len(found) == 1 and sum(1 for _ in found[0].iter()) <= MAX_HTML_ELEMENTS:
            page = tree.makeelement("html", {})
            body = page.makeelement("body", {})
            page.append(body)
            body.append(copy.deepcopy(found[0]))
            return page
    return None


def _visible_chars(tree: Any) -> int:
    """Characters of text in the page body outside scripts and styles, whitespace collapsed."""
    body = tree.find(".//body")
    total = 0
    for element in (body if body is not None else tree).iter():
        if element.text and element.tag not in _INVISIBLE_TAGS and isinstance(element.tag, str):
            total += len(" ".join(element.text.split()))
        if element.tail and element is not body:
            total += len(" ".join(element.tail.split()))
    return total


def _title_of(tree: Any) -> str:
    for path in _TITLE_PATHS:
        for value in tree.xpath(path, smart_strings=False):
            if title := " ".join(str(value).split()):
                return title
    headings = tree.findall(".//h1")
    if len(headings) == 1 and (title := " ".join(headings[0].text_content().split())):
        return title
    element = tree.find(".//title")
    if element is not None:
        return " ".join(element.text_content().split())
    return ""


def extract_html(html: str) -> tuple[str, str]:
    """Return ``(main text, title)`` of a page; ``("", "")`` when nothing is found.

    Works on the markup alone (no network).  Broken, empty or hostile markup gives empty
    strings, never an exception; script and style content never reaches the text.
    """
    found = _extract(html)
    return found.text, found.title


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


# --- plain text -----------------------------------------------------------------------------

_FURNITURE = re.compile(
    # a phrase that opens a line of page furniture
    r"^\W{0,3}(?:share (?:this|on|via|the (?:article|story))|e-?mail this|print this"
    r"|read (?:more|next|also)\b|see also\b|related (?:articles|stories|coverage|content|news)"
    r"|more (?:from|on|stories)\b|most (?:read|popular|viewed)\b|subscribe (?:to|now|for)\b"
    r"|sign (?:up|in) (?:to|for|now)\b|log in to\b|follow us\b|like us on\b"
    r"|download (?:our|the) app|skip (?:to|ad)\b|we use cookies|accept (?:all )?cookies"
    r"|cookie (?:policy|settings|preferences)|privacy policy|terms of (?:use|service)"
    r"|contact us\b|about us\b|click here\b|tap here\b|leave a (?:comment|reply)"
    r"|load(?:ing)? comments|filed under\b|back to top\b|continue reading\b"
    r"|(?:next|previous) (?:article|story)\b"
    r"|(?:this|our) (?:site|website) uses cookies|by (?:continuing|using) (?:to (?:use|browse) )?"
    r"(?:this|our|the) (?:site|website)|(?:get|sign up for) (?:our|the) newsletter"
    r"|(?:share|watch|listen|photos?|images?|pictures?|videos?|credits?|tags?|topics?|categories"
    r"|related|advertisement|sponsored|promoted|sources?|via|caption)\s*:)"
    # a label that is the whole line
    r"|^\W{0,3}(?:share|tweet|e-?mail|print|related|recommended|trending|subscribe|register"
    r"|newsletter|advertisement|sponsored|promoted|comments?|home|menu|search|close|log ?in"
    r"|sign (?:in|up)|more)(?:\s*\(\d+\))?\W{0,3}$"
    # ownership lines, anywhere in a short line
    r"|©|\(c\) ?\d{4}|copyright\s*(?:©|\(c\)|\d{4})|all rights reserved|getty images",
    re.IGNORECASE,
)
_DATE_WORDS = _wordset(
    "jan feb mar apr may jun jul aug sep sept oct nov dec january february march april"
    " june july august september october november december mon tue tues wed thu thur thurs"
    " fri sat sun monday tuesday wednesday thursday friday saturday sunday at on am pm a m"
    " gmt utc est edt bst cet cest eet eest ast updated published posted last modified ago"
    " hour hours minute minutes min mins day days h th st nd rd local time"
)
_TOKENS = re.compile(r"[^\W\d_]+|\d+")
_MENU_SEPARATORS = re.compile(r"\s[|•·»›>/]\s|\s[|•·»›]|[|•·»›]\s")
_FUNCTION_WORDS = _wordset(
    "a an the of in on to for and or at with by from as after over is are was were has"
    " have had be will said says"
)
_SENTENCE_END = ".!?\"')]:;"
_FURNITURE_MAX_CHARS = 160  # a longer line is prose that happens to begin "Related…"


def _is_date_only(line: str) -> bool:
    tokens = _TOKENS.findall(line.lower())
    return (
        any(t.isdigit() for t in tokens)
        and all(t.isdigit() or t in _DATE_WORDS for t in tokens)
        and len(line) < 60
    )


def _line_score(line: str) -> float:
    """Positive for prose (its length), negative for page furniture; 0 for a blank line."""
    if not line:
        return 0.0
    size = len(line)
    if size < _FURNITURE_MAX_CHARS and _FURNITURE.search(line):
        return -40.0 - size
    if _is_date_only(line):
        return -20.0
    letters = [c for c in line if c.isalpha()]
    words = line.split()
    if len(letters) < size / 2:
        return -10.0
    if size < 80 and sum(c.isupper() for c in letters) > 0.8 * len(letters) and len(words) > 1:
        return -30.0  # an all-caps menu or label
    separators = len(_MENU_SEPARATORS.findall(line))
    if separators >= 2 and separators * 5 >= len(words):
        return -20.0 - size / 2  # "Home | World | Sport": a separator every few words
    ends_sentence = line[-1] in _SENTENCE_END
    if (
        len(words) >= 3
        and not ends_sentence
        and all(not w[0].isalpha() or w[0].isupper() for w in words)
        and not any(w in _FUNCTION_WORDS for w in words)
    ):
        return -20.0 - size / 4  # every word capitalised, no function word: a menu
    if len(words) >= 8 or (len(words) >= 4 and ends_sentence):
        return float(size)
    if len(words) <= 3:
        return -15.0
    return -5.0  # a heading or a byline: kept inside the article, trimmed at its edges


def _best_block(scores: list[float]) -> tuple[int, int]:
    """Kadane: the ``[start, end)`` block of lines with the largest score sum (earliest wins)."""
    best, best_span = 0.0, (0, 0)
    total, start = 0.0, 0
    for i, score in enumerate(scores):
        if total <= 0.0:
            total, start = 0.0, i
        total += score
        if total > best:
            best, best_span = total, (start, i + 1)
    return best_span


_URL_LINE = re.compile(r"^\W{0,3}(?:https?://|www\.)\S+\W{0,3}$", re.IGNORECASE)
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")  # fmt: skip
_STAMP = re.compile(
    # a dateline or timestamp as headline lists carry them
    rf"\b\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}\b|\b\d{{4}}-\d{{2}}-\d{{2}}\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}\.?,?\s+\d{{4}}\b|\b{_MONTH}\.?\s+\d{{1,2}},?\s+\d{{4}}\b"
    r"|\b\d{1,2}:\d{2}\b|\b\d+\s+(?:minutes?|mins?|hours?|hrs?|days?|weeks?)\s+ago\b",
    re.IGNORECASE,
)
_LIST_MIN_RUN = 3  # short lines in a row without a sentence end: a list of links or headlines
_LIST_MAX_WORDS = 20
_HEADLINE_MAX_CHARS = 200

# reason codes of what cleaning drops (``Document.dropped``)
DROP_REASONS = {
    "duplicate_line": "the same line appeared earlier in the text",
    "furniture": "page furniture: share, cookie, subscribe, 'Source:' / 'Photo:' lines, menus",
    "dated_headline": "a short line carrying a dateline or timestamp: another story's headline",
    "link_list": "one of three or more short lines in a row that end no sentence: a list",
    "url": "a bare link",
    "outside_article": "outside the article's prose block",
    "source_boilerplate": "a line that recurs across the source's documents",
}


def _ends_sentence(line: str) -> bool:
    return bool(line) and line[-1] in _SENTENCE_END


def _structure(lines: list[str]) -> list[str]:
    """Each line's structural boilerplate reason ('' for none): URLs, dated headlines, and runs
    of :data:`_LIST_MIN_RUN` or more short lines that end no sentence."""
    reasons = ["" for _ in lines]
    listy = []
    for i, line in enumerate(lines):
        words = len(line.split())
        if _URL_LINE.match(line):
            reasons[i] = "url"
        elif (
            line
            and len(line) < _HEADLINE_MAX_CHARS
            and _STAMP.search(line)
            and not (_ends_sentence(line) and words >= 12)
        ):
            reasons[i] = "dated_headline"
        listy.append(bool(line) and words <= _LIST_MAX_WORDS and not _ends_sentence(line))
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and listy[j]:
            j += 1
        if j - i >= _LIST_MIN_RUN:
            for k in range(i, j):
                reasons[k] = reasons[k] or "link_list"
        i = max(j, i + 1)
    return reasons


_QUOTE = re.compile(r'"[^"\n]{12,}"|«[^»\n]{12,}»')
_TOLL_NOUNS = (r"(?:killed|dead|died|deaths?|injured|wounded|wounding|injuring|casualties|hurt"
               r"|bodies|massacred|executed|toll)")  # fmt: skip
_TOLL = re.compile(
    rf"(?:\b\d[\d,.]*\b|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
    rf"|[a-z]+teen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundreds?|thousands?"
    rf"|dozens?|scores?)\b)[^.;\n]{{0,60}}?\b{_TOLL_NOUNS}\b"
    rf"|\b{_TOLL_NOUNS}\b[^.;\n]{{0,40}}?\b\d",
    re.IGNORECASE,
)
_PARAGRAPH_MIN_WORDS = 6


class Keeper:
    """Why a paragraph must never be dropped: it states a toll, names a gazetteer place, or
    quotes someone ('' when none).  Only prose counts as a paragraph (at least
    :data:`_PARAGRAPH_MIN_WORDS` words, ending a sentence); a headline in a list is not one.
    The gazetteer is opened only when a line needs it."""

    def __init__(self, gazetteer: Callable[[], Any] | None = None) -> None:
        self._gazetteer = gazetteer

    def __call__(self, line: str) -> str:
        if len(line.split()) < _PARAGRAPH_MIN_WORDS or not _ends_sentence(line):
            return ""
        if _TOLL.search(line):
            return "toll"
        if _QUOTE.search(line):
            return "quote"
        if self._gazetteer is not None:
            hits = self._gazetteer().scan(line)
            if any(not p.foreign for hit in hits for p in hit.candidates):
                return "place"
        return ""


def clean_plain_report(
    text: str, keep: Callable[[str], str] | None = None
) -> tuple[str, tuple[tuple[int, int, str], ...]]:
    """:func:`clean_plain` with what it dropped: ``(start, end, reason)`` spans into ``text``.

    ``keep`` names why a line must stay (default :class:`Keeper` without a gazetteer): a line
    it names is kept whatever its score.
    """
    keep = keep or Keeper()
    seen: set[str] = set()
    lines: list[str] = []
    offsets: list[int] = []
    dropped: list[tuple[int, int, str]] = []
    position = 0
    for raw_line in text.split("\n"):
        line = " ".join(raw_line.split())
        lead = len(raw_line) - len(raw_line.lstrip())
        start, end = position + lead, position + lead + len(raw_line.strip())
        position += len(raw_line) + 1
        if line:
            if line in seen:
                dropped.append((start, end, "duplicate_line"))
                continue
            seen.add(line)
        lines.append(line)
        offsets.append(start)
    # a text of one line has no structure to read (a feed's headline-only item stays whole)
    structure = _structure(lines) if sum(1 for x in lines if x) > 1 else ["" for _ in lines]
    scores = [
        (-40.0 - len(line)) if why else _line_score(line)
        for line, why in zip(lines, structure, strict=True)
    ]
    first, last = _best_block(scores)
    kept: list[str] = []
    for i, (line, score, why) in enumerate(zip(lines, scores, structure, strict=True)):
        if not line:
            kept.append(line)
            continue
        furniture = score < 0 and len(line) < _FURNITURE_MAX_CHARS and bool(_FURNITURE.search(line))
        reason = "furniture" if furniture else why
        if not reason and not first <= i < last:
            reason = "outside_article"
        if reason and not keep(line):
            dropped.append((offsets[i], offsets[i] + len(line), reason))
            continue
        kept.append(line)
    return _BLANK_LINES.sub("\n\n", "\n".join(kept)).strip(), tuple(sorted(dropped))


def clean_plain(text: str) -> str:
    """Keep the prose block of a plain text; drop duplicate lines and the furniture around it,
    and boilerplate found by its structure (dated headline lists, link lists, bare links).

    A text of one long line (most feeds and data sets) comes through whole; a paragraph with a
    toll or a quote is never dropped (:class:`Keeper`).
    """
    return clean_plain_report(text)[0]


# --- per-source boilerplate -----------------------------------------------------------------


def _line_key(line: str) -> str:
    return " ".join(line.split())


BOILERPLATE_RESOURCE = "clean.boilerplate"  # {source: SourceLines} known from earlier runs
SEEN_RESOURCE = "clean.boilerplate_seen"  # {source: SourceLines} counted in this run


@dataclass(frozen=True)
class SourceLines:
    """How many distinct documents of one source were seen, and in how many each short line."""

    documents: int
    lines: dict[str, int]


def count_lines(docs: list[Document], max_chars: int = 200) -> dict[str, SourceLines]:
    """Per source: its distinct texts, and in how many of them each line of at most
    ``max_chars`` characters occurs.  Identical texts count once; longer lines are never
    boilerplate (copies of one story share whole paragraphs: that is syndication's work)."""
    texts: defaultdict[str, set[str]] = defaultdict(set)
    for doc in docs:
        texts[doc.source].add(doc.text)
    out: dict[str, SourceLines] = {}
    for source, distinct in sorted(texts.items()):
        counts: Counter[str] = Counter()
        for text in distinct:
            counts.update(
                {key for line in text.splitlines() if 0 < len(key := _line_key(line)) <= max_chars}
            )
        out[source] = SourceLines(len(distinct), dict(counts))
    return out


def learn_boilerplate(
    docs: list[Document],
    min_docs: int = 3,
    min_share: float = 0.3,
    max_chars: int = 200,
    known: dict[str, SourceLines] | None = None,
) -> dict[str, frozenset[str]]:
    """Lines that recur across one source's documents: ``{source: lines}``.

    A line is boilerplate for a source when at least ``min_docs`` of its documents and at least
    ``min_share`` of them contain it, counting this batch (:func:`count_lines`) and the counts
    ``known`` from earlier runs (the workspace keeps them).  Reads ``Document.text``.
    """
    known = known or {}
    batch = count_lines(docs, max_chars)
    learned: dict[str, frozenset[str]] = {}
    for source, seen in sorted(batch.items()):
        before = known.get(source, SourceLines(0, {}))
        total = seen.documents + before.documents
        lines = frozenset(
            line
            for line, here in seen.lines.items()
            if (n := here + before.lines.get(line, 0)) >= min_docs and n >= min_share * total
        )
        if lines:
            learned[source] = lines
    return learned


def remove_boilerplate(text: str, lines: frozenset[str]) -> str:
    """``text`` without the lines (compared whitespace-collapsed) in ``lines``."""
    if not lines:
        return text
    kept = [line for line in text.split("\n") if _line_key(line) not in lines]
    return _BLANK_LINES.sub("\n\n", "\n".join(kept)).strip()


# --- sentences ------------------------------------------------------------------------------

_TITLES = _wordset(
    "mr mrs ms dr prof gen lt col maj capt cpt sgt cpl pvt adm cmdr brig gov sen rep rev"
    " hon pres st mt ft messrs mme mlle sheikh"
)
_ABBREVIATIONS = _wordset(
    "jan feb mar apr jun jul aug sep sept oct nov dec no nos vol fig approx dept est inc"
    " ltd co corp jr sr etc vs al ca cf para art"
)
_WEEKDAYS_MONTHS = _wordset(
    "monday tuesday wednesday thursday friday saturday sunday january february march"
    " april may june july august september october november december"
)
_CANDIDATE_END = re.compile(r"[.!?؟]+['\")\]’”»]*(?=\s)")
_DOTTED = re.compile(r"(?:[A-Za-z]\.){2,}")


def _is_break(line: str, punct_start: int, after: int) -> bool:
    """Does the sentence end at ``line[punct_start]`` (next word starts at ``after``)?"""
    following = line[after]
    if following.islower():
        return False
    if line[punct_start] != ".":
        return True
    token_start = line.rfind(" ", 0, punct_start) + 1
    token = line[token_start : punct_start + 1].lstrip("\"'([")
    word = token[:-1].lower()
    if word in _TITLES:
        return False  # "Lt. Gen. Vladimir Savchenko"
    if len(token) == 2 and token[0].isupper():
        return False  # an initial: "John F. Kennedy"
    if _DOTTED.fullmatch(token):
        if token[0].isupper():
            return False  # "U.S. Army", "U.N. envoy"
        next_word = line[after:].split(" ", 1)[0].strip(".,;:").lower()
        return next_word not in _WEEKDAYS_MONTHS  # "9 a.m. Monday" goes on
    if word in _ABBREVIATIONS:
        return not following.isdigit()  # "Sept. 12", "No. 3"
    return True


def split_sentences(text: str) -> tuple[tuple[int, int], ...]:
    """Sentence spans ``(start, end)`` into ``text``; a newline always ends a sentence."""
    spans: list[tuple[int, int]] = []
    offset = 0
    for line in text.split("\n"):
        start = 0
        for match in _CANDIDATE_END.finditer(line):
            after = match.end()
            while after < len(line) and line[after].isspace():
                after += 1
            if after < len(line) and _is_break(line, match.start(), after):
                _add_span(spans, line, offset, start, match.end())
                start = after
        _add_span(spans, line, offset, start, len(line))
        offset += len(line) + 1
    return tuple(spans)


def _add_span(spans: list[tuple[int, int]], line: str, offset: int, start: int, end: int) -> None:
    chunk = line[start:end]
    stripped = chunk.strip()
    if stripped:
        lead = len(chunk) - len(chunk.lstrip())
        spans.append((offset + start + lead, offset + start + lead + len(stripped)))


# --- scoring --------------------------------------------------------------------------------

_WORD = re.compile(r"\w+")


def score_extraction(extracted: str, gold: str) -> tuple[float, float, float]:
    """Token precision, recall and F1 of ``extracted`` against ``gold`` (bags of lower-case words).

    As in the scrapinghub article-extraction benchmark: the overlap is the multiset
    intersection.  An empty extraction scores 0 unless the gold text is empty too.
    """
    got = Counter(_WORD.findall(extracted.lower()))
    want = Counter(_WORD.findall(gold.lower()))
    n_got, n_want = sum(got.values()), sum(want.values())
    if not n_got or not n_want:
        same = float(n_got == n_want)
        return same, same, same
    overlap = sum((got & want).values())
    precision, recall = overlap / n_got, overlap / n_want
    f1 = 2 * precision * recall / (precision + recall) if overlap else 0.0
    return precision, recall, f1


# --- the stage ------------------------------------------------------------------------------


@stage(
    "ceasefire.clean.v1",
    requires=("raw",),
    assigns=("text", "dropped_chars", "dropped", "title", "sentences", "language"),
)
def clean_documents(docs: list[Document], ctx: StageContext) -> list[Document]:
    """Main text of each document (HTML extracted, plain text cleaned), normalised, with what
    was dropped and why.

    Arguments: ``min_chars`` (40): shorter texts are flagged for quarantine;
    ``boilerplate_min_docs`` (3) and ``boilerplate_min_share`` (0.3): when a line counts as
    boilerplate of a source, over this batch and the counts of earlier runs in the resource
    :data:`BOILERPLATE_RESOURCE` (the caller loads them from the workspace); this run's counts
    are left in :data:`SEEN_RESOURCE` for the caller to keep.  A paragraph with a toll, a
    gazetteer place or a quote is never dropped (:class:`Keeper`).
    """
    min_chars = int(ctx.args.get("min_chars", 40))
    min_docs = int(ctx.args.get("boilerplate_min_docs", 3))
    min_share = float(ctx.args.get("boilerplate_min_share", 0.3))
    keep = Keeper(lambda: _run_gazetteer(ctx))

    cleaned: list[Document] = []
    visible: list[int] = []
    for doc in docs:
        refused = ""
        dropped: tuple[tuple[int, int, str], ...] = ()
        if doc.is_html:
            found = _extract(doc.raw)
            text, title, seen = normalise(found.text), doc.title or found.title, found.visible_chars
            refused = found.refused
        else:
            text, dropped = clean_plain_report(normalise(doc.raw), keep)
            text, title, seen = normalise(text), doc.title, len(doc.raw)
        if not refused and len(text) > MAX_TEXT_CHARS:
            refused = _too_long(len(text), "after cleaning")
        if refused:
            text = ""
        flags = (*doc.flags, refused) if refused else doc.flags
        cleaned.append(replace(doc, text=text, title=title, flags=flags, dropped=dropped))
        visible.append(seen)

    known = ctx.resources.get(BOILERPLATE_RESOURCE) or {}
    boilerplate = learn_boilerplate(cleaned, min_docs=min_docs, min_share=min_share, known=known)
    ctx.resources[SEEN_RESOURCE] = count_lines(cleaned)
    out: list[Document] = []
    for doc, seen in zip(cleaned, visible, strict=True):
        lines = boilerplate.get(doc.source, frozenset())
        text = remove_boilerplate(doc.text, frozenset(x for x in lines if not keep(x)))
        dropped = doc.dropped
        if text != doc.text:
            dropped = tuple(sorted((*dropped, *_boilerplate_spans(doc, lines, keep))))
        flags = doc.flags
        if len(text) < min_chars and not any(f.startswith("quarantine:") for f in flags):
            flags = (*flags, EMPTY_FLAG)
        out.append(
            replace(
                doc,
                text=text,
                dropped_chars=max(0, seen - len(text)),
                dropped=dropped,
                language=detect_language(text),
                sentences=split_sentences(text),
                flags=flags,
            )
        )
    return out


def _run_gazetteer(ctx: StageContext) -> Any:
    from ceasefire.pipeline.places import run_gazetteer  # deferred: loaded only when needed

    return run_gazetteer(ctx)[1]


def _boilerplate_spans(
    doc: Document, lines: frozenset[str], keep: Callable[[str], str]
) -> list[tuple[int, int, str]]:
    """Where the source's boilerplate lines were: spans into the text the cleaner read (the
    normalised input of a plain text, the extracted text of a page)."""
    read = doc.text if doc.is_html else normalise(doc.raw)
    spans = []
    for line in sorted({_line_key(x) for x in doc.text.split("\n")} & lines):
        if keep(line):
            continue
        at = read.find(line)
        if at >= 0:
            spans.append((at, at + len(line), "source_boilerplate"))
    return spans
