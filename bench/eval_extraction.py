"""Evaluate HTML main-text extraction on the 20 gold pages of the article-extraction benchmark.

For each page: token precision, recall and F1 of ``extract_html`` + ``normalise`` against the
page's ``articleBody`` (bags of lower-case words, as in the scrapinghub benchmark), the share of
extracted tokens that are not in the gold text ("boilerplate kept"), and the time taken.  The
baseline, measured in the same run, is every visible text node of the page
(``trafilatura.html2txt``): what a cleaner that extracts nothing would keep.

Targets (issue 3): mean F1 ≥ 0.90 and mean boilerplate kept ≤ 5 %.

    .venv/bin/python -m bench.eval_extraction
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import trafilatura

from ceasefire.pipeline.clean import extract_html, normalise, score_extraction

BENCHMARK = (
    Path(__file__).resolve().parent.parent.parent / "shared/data/news/html_extraction_benchmark"
)
TARGET_F1 = 0.90
_WORD = re.compile(r"\w")
TARGET_BOILERPLATE = 0.05


@dataclass(frozen=True)
class PageScore:
    page: str
    url: str
    precision: float
    recall: float
    f1: float
    boilerplate: float  # share of extracted tokens not in the gold text (0 if nothing extracted)
    seconds: float


def load_pages(root: Path = BENCHMARK) -> list[tuple[str, str, str, str]]:
    """``(id, url, html, gold text)`` for every page, sorted by id."""
    gold = json.loads((root / "ground-truth-subset.json").read_text(encoding="utf-8"))
    pages = []
    for page_id in sorted(gold):
        raw = gzip.decompress((root / "html" / f"{page_id}.html.gz").read_bytes())
        html = raw.decode("utf-8", errors="replace")
        pages.append((page_id, str(gold[page_id]["url"]), html, str(gold[page_id]["articleBody"])))
    return pages


def evaluate(pages: list[tuple[str, str, str, str]], baseline: bool = False) -> list[PageScore]:
    scores = []
    for page_id, url, html, gold in pages:
        started = time.perf_counter()
        if baseline:
            text = normalise(trafilatura.html2txt(html) or "")
        else:
            text = normalise(extract_html(html)[0])
        seconds = time.perf_counter() - started
        precision, recall, f1 = score_extraction(text, gold)
        boilerplate = 1.0 - precision if _WORD.search(text) else 0.0
        scores.append(PageScore(page_id, url, precision, recall, f1, boilerplate, seconds))
    return scores


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=BENCHMARK)
    args = parser.parse_args()
    pages = load_pages(args.data)
    extract_html("<html><body><p>warm-up</p></body></html>")  # import cost out of the timing

    scores = evaluate(pages)
    base = evaluate(pages, baseline=True)

    print(f"{'page':<12} {'site':<28} {'P':>6} {'R':>6} {'F1':>6} {'boiler':>7} {'ms':>7}")
    for s in scores:
        site = s.url.split("/")[2] if "//" in s.url else s.url
        print(
            f"{s.page[:12]:<12} {site[:28]:<28} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f}"
            f" {s.boilerplate:7.3f} {s.seconds * 1000:7.1f}"
        )
    total = sum(s.seconds for s in scores)
    base_total = sum(s.seconds for s in base)
    rows = (("extract_html", scores, total), ("baseline html2txt", base, base_total))
    print()
    print(f"{'mean':<24} {'P':>6} {'R':>6} {'F1':>6} {'boiler':>7} {'pages/s':>8}")
    for name, batch, seconds in rows:
        print(
            f"{name:<24} {_mean([s.precision for s in batch]):6.3f}"
            f" {_mean([s.recall for s in batch]):6.3f} {_mean([s.f1 for s in batch]):6.3f}"
            f" {_mean([s.boilerplate for s in batch]):7.3f} {len(batch) / seconds:8.1f}"
        )
    f1 = _mean([s.f1 for s in scores])
    boilerplate = _mean([s.boilerplate for s in scores])
    print()
    print(
        f"F1 {f1:.3f} (target ≥ {TARGET_F1:.2f}): {'met' if f1 >= TARGET_F1 else 'NOT met'}; "
        f"boilerplate kept {boilerplate:.1%} (target ≤ {TARGET_BOILERPLATE:.0%}): "
        f"{'met' if boilerplate <= TARGET_BOILERPLATE else 'NOT met'}; "
        f"{total / len(scores) * 1000:.1f} ms per page, {len(scores) / total:.1f} pages/s "
        f"({total / base_total:.1f}× the baseline's time)"
    )
    return 0 if f1 >= TARGET_F1 and boilerplate <= TARGET_BOILERPLATE else 1


if __name__ == "__main__":
    raise SystemExit(main())
