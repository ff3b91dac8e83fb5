"""Five outlets on one event, built at test time from FA-KES: three wire copies in different
dress and two independent reports of the same day.

One FA-KES article (read from the shared data, never copied here) is dressed three ways by
transformations written below: a new lede in place of its first paragraph and its last 20–40 %
trimmed; its last 20–40 % trimmed; a photo caption inserted and the whole saved as a page capture in a site's chrome
(dated headline lists, "Source:" and share / cookie lines, related links).  Two FA-KES articles of
other outlets on the same day are the independent reports.  The copies must form one group, the
others stay apart, the chrome must go and no paragraph of the article may be lost.

Development articles and chrome are ``DEV``; the held-out ones (other articles, other ledes,
captions and chrome, written after the method was settled) are ``HELD_OUT``.
"""

from __future__ import annotations

import csv
import gzip
import random
from dataclasses import dataclass
from datetime import datetime
from itertools import combinations
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ceasefire.pipeline.clean import clean_documents, normalise, split_sentences
from ceasefire.pipeline.records import Document
from ceasefire.pipeline.registry import StageContext
from ceasefire.pipeline.syndication import syndicate

FA_KES = (
    Path(__file__).resolve().parent.parent.parent / "shared/data/news/fa_kes_syrian_war_news.csv.gz"
)
TZ = ZoneInfo("Asia/Damascus")
SETS_PER_SPLIT = 12


@dataclass(frozen=True)
class Dress:
    """What a split writes around an article: ledes, captions and a site's chrome."""

    ledes: tuple[str, ...]
    captions: tuple[str, ...]
    headlines: tuple[str, ...]  # formatted with a date
    top: tuple[str, ...]
    bottom: tuple[str, ...]


DEV = Dress(
    ledes=(
        "Residents described another night of fear as fresh violence was reported across the "
        "country, with rescue crews stretched thin and roads closed in several districts.",
        "The latest reports from the ground point to a sharp escalation, monitors and local "
        "officials said, as families counted their losses and aid convoys waited at checkpoints.",
        "A new wave of violence swept through the area, witnesses told reporters by telephone, "
        "while hospitals appealed for fuel and medical supplies to keep their generators running.",
    ),
    captions=(
        "Photo: A man walks past damaged buildings after the attack. (Agency photo)",
        "Image: Smoke rises over rooftops in a photo shared by activists.",
    ),
    headlines=(
        "Aid convoy reaches besieged town after weeks of talks - {date}",
        "Talks on prisoner exchange stall again {date}",
        "{date} | Winter storm cuts power to displaced camps",
        "Football: national side wins friendly match - {date}",
        "Oil prices steady as markets wait for data {date}",
        "Opinion: what the new year holds for the region - {date}",
        "UN envoy to brief the Security Council - {date}",
        "Schools reopen in liberated areas {date}",
        "Currency slides to a new low against the dollar - {date}",
        "{date} | Parliament debates budget for the coming year",
        "Exhibition of local crafts opens in the old city - {date}",
        "Health ministry launches polio vaccination campaign {date}",
    ),
    top=(
        "Home | World | Middle East | Business | Sport | Opinion",
        "Search",
        "Subscribe to our newsletter",
        "Latest news",
    ),
    bottom=(
        "Source: AFP",
        "Share this article",
        "Share on Facebook",
        "Tweet",
        "We use cookies to improve your experience on our site.",
        "Related articles",
        "https://example-news.invalid/world/middle-east/1234",
        "https://example-news.invalid/world/middle-east/5678",
        "Most read",
        "© 2017 Example News. All rights reserved.",
    ),
)

HELD_OUT = Dress(
    ledes=(
        "Fighting and air raids were reported again on the day, according to accounts gathered "
        "by this newspaper from residents, medics and officials on several sides.",
        "Local sources painted a grim picture of the situation late in the day, describing "
        "collapsed buildings, blocked roads and queues of people outside the only open clinic.",
    ),
    captions=(
        "Picture: Civil defence workers search through rubble in a handout image.",
        "Caption: Residents inspect a crater left in a street; the image could not be verified.",
    ),
    headlines=(
        "MORE STORIES {date}",
        "{date} 09:41 Wheat harvest expected to fall by a third",
        "{date} 10:15 Central bank holds interest rates",
        "{date} 11:02 Power cuts return to the capital",
        "{date} 12:30 Transport strike called off after deal",
        "{date} 13:47 Film festival announces its winners",
        "{date} 14:05 New bridge opens to traffic",
        "{date} 15:20 Weather: dust storm warning for the east",
        "{date} 16:38 Border crossing reopens for trade",
        "{date} 17:12 Exam results published online",
        "{date} 18:54 Veterans' pensions to rise next month",
        "{date} 19:33 Archaeologists restore ancient mosaic",
        "{date} 20:10 Football league resumes after break",
    ),
    top=(
        "MENU",
        "Log in",
        "Breaking | Politics | Economy | Culture",
        "This website uses cookies. By continuing to browse the site you agree to their use.",
    ),
    bottom=(
        "Sources: Reuters, AFP",
        "Photo: agencies",
        "Email this",
        "Print this page",
        "Read more: Why the truce talks keep failing",
        "Read more: The towns that changed hands this year",
        "www.example-daily.invalid/section/region",
        "Follow us on social media",
        "Sign up for our newsletter",
        "Copyright 2017 Example Daily",
    ),
)


def _rows() -> list[dict[str, str]]:
    with gzip.open(FA_KES, "rt", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _paragraphs(text: str) -> list[str]:
    """The article's sentences in paragraphs of two (FA-KES keeps each article on one line)."""
    sentences = [text[a:b] for a, b in split_sentences(text)]
    return [" ".join(sentences[i : i + 2]) for i in range(0, len(sentences), 2)]


@dataclass(frozen=True)
class OutletSet:
    docs: list[Document]
    copies: frozenset[str]  # ids of the three wire copies
    article: list[str]  # the article's paragraphs
    capture: str  # id of the page capture


def _runs(text: str, size: int = 8) -> set[tuple[str, ...]]:
    words = normalise(text).lower().split()
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


def _eligible(rows: list[dict[str, str]]) -> list[tuple[dict[str, str], list[dict[str, str]]]]:
    """Articles of at least eight paragraphs with two other outlets' articles of the same day
    that share no run of eight words with it (FA-KES holds real wire copies too: those are not
    independent outlets)."""
    by_date: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_date.setdefault(row["date"], []).append(row)
    out = []
    for row in sorted(rows, key=lambda r: r["unit_id"]):
        text = normalise(row["article_content"])
        if len(_paragraphs(text)) < 8:
            continue
        mine = _runs(row["article_content"])
        others = [
            r
            for r in sorted(by_date[row["date"]], key=lambda r: r["unit_id"])
            if r["source"] != row["source"]
            and len(r["article_content"]) > 400
            and not mine & _runs(r["article_content"])
        ]
        for i, first in enumerate(others):
            theirs = _runs(first["article_content"])
            second = next(
                (
                    r
                    for r in others[i + 1 :]
                    if r["source"] != first["source"] and not theirs & _runs(r["article_content"])
                ),
                None,
            )
            if second is not None:
                out.append((row, [first, second]))
                break
    return out


def _doc(doc_id: str, source: str, day: str, raw: str) -> Document:
    month, dd, year = (int(x) for x in day.split("/"))
    return Document(
        id=doc_id,
        source=source,
        published=datetime(year, month, dd, 12, tzinfo=TZ),
        published_precision="day",
        raw=raw,
    )


def build_sets(split: str) -> list[OutletSet]:
    """The split's five-outlet sets: dev and held-out take different articles (a seeded shuffle)."""
    dress = DEV if split == "dev" else HELD_OUT
    eligible = _eligible(_rows())
    random.Random(2024).shuffle(eligible)
    chosen = (
        eligible[:SETS_PER_SPLIT]
        if split == "dev"
        else eligible[SETS_PER_SPLIT : 2 * SETS_PER_SPLIT]
    )
    sets = []
    for n, (row, others) in enumerate(chosen):
        rng = random.Random(f"{split}-{n}")
        paragraphs = _paragraphs(normalise(row["article_content"]))
        date = datetime.strptime(row["date"], "%m/%d/%Y").strftime("%d %B %Y")  # noqa: DTZ007
        lede = rng.choice(dress.ledes)
        keep = len(paragraphs) - max(1, round(len(paragraphs) * rng.uniform(0.2, 0.4)))
        keep_lede = len(paragraphs) - max(1, round(len(paragraphs) * rng.uniform(0.2, 0.4)))
        caption = rng.choice(dress.captions)
        headlines = [h.format(date=date) for h in dress.headlines]
        rng.shuffle(headlines)
        capture_body = [paragraphs[0], caption, *paragraphs[1:]]
        capture = "\n".join(
            [*dress.top, *headlines[:6], "", *capture_body, "", *dress.bottom, *headlines[6:]]
        )
        first, second = others
        prefix = f"{split}{n}"
        docs = [
            _doc(
                f"{prefix}-lede",
                "outlet-a",
                row["date"],
                "\n\n".join([lede, *paragraphs[1:keep_lede]]),
            ),
            _doc(f"{prefix}-trim", "outlet-b", row["date"], "\n\n".join(paragraphs[:keep])),
            _doc(f"{prefix}-page", "outlet-c", row["date"], capture),
            _doc(f"{prefix}-x1", first["source"], row["date"], first["article_content"]),
            _doc(f"{prefix}-x2", second["source"], row["date"], second["article_content"]),
        ]
        copies = frozenset(d.id for d in docs[:3])
        sets.append(OutletSet(docs, copies, paragraphs, f"{prefix}-page"))
    return sets


def run_set(one: OutletSet, ctx: StageContext) -> list[Document]:
    return syndicate(clean_documents(one.docs, ctx), StageContext())


def pair_scores(sets: list[OutletSet], ctx: StageContext) -> tuple[float, float, int, int]:
    """Pairwise precision and recall of "same syndication group" over every set's ten pairs."""
    tp = fp = fn = 0
    for one in sets:
        group = {d.id: d.syndication_group for d in run_set(one, ctx)}
        for a, b in combinations(sorted(group), 2):
            truth = a in one.copies and b in one.copies
            said = group[a] == group[b]
            tp += truth and said
            fp += said and not truth
            fn += truth and not said
    return tp / max(1, tp + fp), tp / max(1, tp + fn), tp, fp + fn


@pytest.fixture(scope="module")
def ctx() -> StageContext:
    return StageContext(args={"min_chars": 40})


@pytest.mark.parametrize("split", ["dev", "held_out"])
def test_wire_copies_group_and_independent_outlets_stay_apart(
    split: str, ctx: StageContext
) -> None:
    sets = build_sets(split)
    assert len(sets) == SETS_PER_SPLIT
    for one in sets:
        group = {d.id: d.syndication_group for d in run_set(one, ctx)}
        assert len({group[i] for i in one.copies}) == 1, (split, group)
        others = [group[i] for i in group if i not in one.copies]
        assert len(set(others)) == 2, (split, group)
        assert not set(others) & {group[i] for i in one.copies}, (split, group)
    precision, recall, _, _ = pair_scores(sets, ctx)
    assert (precision, recall) == (1.0, 1.0)


@pytest.mark.parametrize("split", ["dev", "held_out"])
def test_page_capture_chrome_goes_and_no_paragraph_is_lost(split: str, ctx: StageContext) -> None:
    for one in build_sets(split):
        docs = {d.id: d for d in run_set(one, ctx)}
        page = docs[one.capture]
        own = sum(len(p) + 1 for p in one.article)
        assert abs(len(page.text) - own) <= 0.2 * own, (split, page.id, len(page.text), own)
        for doc in one.docs:
            if doc.id not in one.copies:
                continue
            for paragraph in one.article:
                # every paragraph of prose the copy carries survives (an article's own four-word
                # "Source ..." footer may go)
                if paragraph in doc.raw and len(paragraph.split()) >= 8:
                    assert paragraph in docs[doc.id].text, (doc.id, paragraph)
        reasons = {reason for _, _, reason in page.dropped}
        assert {"dated_headline", "furniture"} <= reasons, reasons


@pytest.mark.parametrize("split", ["dev", "held_out"])
def test_each_copy_keeps_its_own_lines(split: str, ctx: StageContext) -> None:
    """The new lede and the caption are the copy's own passages; the wire's text is shared."""
    for one in build_sets(split)[:4]:
        docs = {d.id: d for d in run_set(one, ctx)}
        lede = docs[next(i for i in one.copies if i.endswith("-lede"))]
        own = [lede.text[a:b] for a, b in lede.own_passages]
        shared = [lede.text[a:b] for a, b in lede.shared_passages]
        assert lede.text.split("\n")[0].startswith(own[0])  # the lede we wrote is its own
        assert not any(s in one.article[0] for s in own if len(s) > 40)
        assert any(s in one.article[1] for s in shared)
        page = docs[one.capture]
        shared_page = [page.text[a:b] for a, b in page.shared_passages]
        assert shared_page
        # the caption is dropped as furniture or kept as the page's own, never shared
        assert not any(s.startswith(("Photo", "Image", "Picture", "Caption")) for s in shared_page)
