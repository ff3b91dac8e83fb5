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
from dataclasses import dataclass, replace
from typing import Any

from ceasefire.model.arabic import detect_language
from ceasefire.pipeline.records import Document
from ceasefire.pipeline.registry import StageContext, stage

__all__ = [
    "EMPTY_FLAG",
    "MAX_HTML_ELEMENTS",
    "MAX_TEXT_CHARS",
    "clean_documents",
    "clean_plain",
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
    r"|(?:share|watch|listen|photos?|images?|videos?|credits?|tags?|topics?|categories|related"
    r"|advertisement|sponsored|promoted)\s*:)"
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


def clean_plain(text: str) -> str:
    """Keep the prose block of a plain text; drop duplicate lines and the furniture around it.

    A text of one long line (most feeds and data sets) comes through whole.
    """
    seen: set[str] = set()
    lines: list[str] = []
    for raw_line in text.splitlines():
        line = " ".join(raw_line.split())
        if line:
            if line in seen:
                continue
            seen.add(line)
        lines.append(line)
    scores = [_line_score(line) for line in lines]
    start, end = _best_block(scores)
    kept = [
        line
        for line, score in zip(lines[start:end], scores[start:end], strict=True)
        if not (score < 0 and len(line) < _FURNITURE_MAX_CHARS and _FURNITURE.search(line))
    ]
    return _BLANK_LINES.sub("\n\n", "\n".join(kept)).strip()


# --- per-source boilerplate -----------------------------------------------------------------


def _line_key(line: str) -> str:
    return " ".join(line.split())


def learn_boilerplate(
    docs: list[Document],
    min_docs: int = 3,
    min_share: float = 0.3,
    max_chars: int = 200,
) -> dict[str, frozenset[str]]:
    """Lines that recur across one source's documents: ``{source: lines}``.

    A line is boilerplate for a source when at least ``min_docs`` of its documents and at least
    ``min_share`` of them contain it.  Identical texts count once, and lines longer than
    ``max_chars`` are never boilerplate: copies of one story share whole paragraphs, and telling
    copies apart is the syndication stage's work, not this one's.  Reads ``Document.text``.
    """
    texts: defaultdict[str, set[str]] = defaultdict(set)
    for doc in docs:
        texts[doc.source].add(doc.text)
    learned: dict[str, frozenset[str]] = {}
    for source, distinct in sorted(texts.items()):
        counts: Counter[str] = Counter()
        for text in distinct:
            counts.update(
                {key for line in text.splitlines() if 0 < len(key := _line_key(line)) <= max_chars}
            )
        lines = frozenset(
            line for line, n in counts.items() if n >= min_docs and n >= min_share * len(distinct)
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
    assigns=("text", "dropped_chars", "title", "sentences", "language"),
)
def clean_documents(docs: list[Document], ctx: StageContext) -> list[Document]:
    """Main text of each document (HTML extracted, plain text cleaned), normalised.

    Arguments: ``min_chars`` (40): shorter texts are flagged for quarantine;
    ``boilerplate_min_docs`` (3) and ``boilerplate_min_share`` (0.3): when a line counts as
    boilerplate of a source within the batch (so a source with fewer documents learns none).
    """
    min_chars = int(ctx.args.get("min_chars", 40))
    min_docs = int(ctx.args.get("boilerplate_min_docs", 3))
    min_share = float(ctx.args.get("boilerplate_min_share", 0.3))

    cleaned: list[Document] = []
    visible: list[int] = []
    for doc in docs:
        refused = ""
        if doc.is_html:
            found = _extract(doc.raw)
            text, title, seen = normalise(found.text), doc.title or found.title, found.visible_chars
            refused = found.refused
        else:
            text, title, seen = normalise(clean_plain(normalise(doc.raw))), doc.title, len(doc.raw)
        if not refused and len(text) > MAX_TEXT_CHARS:
            refused = _too_long(len(text), "after cleaning")
        if refused:
            text = ""
        flags = (*doc.flags, refused) if refused else doc.flags
        cleaned.append(replace(doc, text=text, title=title, flags=flags))
        visible.append(seen)

    boilerplate = learn_boilerplate(cleaned, min_docs=min_docs, min_share=min_share)
    out: list[Document] = []
    for doc, seen in zip(cleaned, visible, strict=True):
        text = remove_boilerplate(doc.text, boilerplate.get(doc.source, frozenset()))
        flags = doc.flags
        if len(text) < min_chars and not any(f.startswith("quarantine:") for f in flags):
            flags = (*flags, EMPTY_FLAG)
        out.append(
            replace(
                doc,
                text=text,
                dropped_chars=max(0, seen - len(text)),
                language=detect_language(text),
                sentences=split_sentences(text),
                flags=flags,
            )
        )
    return out
