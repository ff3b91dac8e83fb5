"""Benchmark: news → evidence, articles per second per core, against a bare tokenize+NER pass.

Builds ≈600-word articles at run time from FA-KES texts (two consecutive articles of one outlet
joined), then measures in the same run:
  (a) the bare pass: spaCy ``nlp.pipe`` (tokenize + NER) over the same texts;
  (b) the whole pipeline (clean, syndication, actors, places, dates, claims, events, stories,
      claims table, conflicts, briefs).
Prints both rates and the ratio (goal ≥ 10 articles/s/core and ≥ 0.7× the bare pass).

    .venv/bin/python -m bench.bench_news [--articles 200]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import os
import sys
import time
from datetime import datetime
from pathlib import Path

import torch

from ceasefire.pipeline.nlp import load_spacy
from ceasefire.pipeline.records import Document

FAKES = (
    Path(__file__).resolve().parent.parent.parent / "shared/data/news/fa_kes_syrian_war_news.csv.gz"
)


def articles(n: int) -> list[Document]:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Damascus")
    with gzip.open(FAKES, "rt", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    by_source: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_source.setdefault(row["source"], []).append(row)
    docs = []
    for source, items in sorted(by_source.items()):
        for i in range(0, len(items) - 1, 2):
            a, b = items[i], items[i + 1]
            text = a["article_content"] + "\n\n" + b["article_content"]
            month, day, year = (int(x) for x in a["date"].split("/"))
            docs.append(
                Document(id=f"{source}-{a['unit_id']}-{i}", source=source,
                         published=datetime(year, month, day, 12, tzinfo=tz), published_precision="day",
                         title=a["article_title"], raw=text)
            )  # fmt: skip
    return docs[:n]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=200)
    args = parser.parse_args()
    from ceasefire.pipeline.claims import claims_table, find_conflicts, story_briefs
    from ceasefire.pipeline.embeddings import load_minilm
    from ceasefire.pipeline.runner import run_pipeline

    cores = len(os.sched_getaffinity(0))
    torch.set_num_threads(cores)
    docs = articles(args.articles)
    words = sum(len(d.raw.split()) for d in docs) / len(docs)
    nlp = load_spacy()
    model = load_minilm()
    shared: dict[str, object] = {"spacy.en_core_web_sm": nlp, "embeddings.minilm": model}
    # warm-up, so that both measurements start with loaded models
    list(nlp.pipe([d.raw for d in docs[:8]]))

    t0 = time.perf_counter()
    n_ents = sum(len(sp.ents) for sp in nlp.pipe((d.raw for d in docs), batch_size=32))
    bare = time.perf_counter() - t0

    t0 = time.perf_counter()
    result = run_pipeline(docs, shared=shared)
    claims = claims_table(result.documents)
    conflicts = find_conflicts(result.documents)
    story_briefs(result.documents, model=model, claims=claims, conflicts_found=conflicts)
    full = time.perf_counter() - t0

    n = len(docs)
    out = io.StringIO()
    print(
        f"articles: {n} (mean {words:.0f} words), process CPU affinity {cores} core(s), torch threads {cores}",
        file=out,
    )
    print(
        f"bare tokenize+NER: {bare:.2f} s, {n / bare:.1f} articles/s ({n_ents} entities)", file=out
    )
    print(f"full pipeline:     {full:.2f} s, {n / full:.1f} articles/s, {len(claims)} claims, "
          f"{len(result.quarantined)} quarantined", file=out)  # fmt: skip
    print(f"ratio full/bare (rate): {bare / full:.2f}x (goal ≥ 0.7); per core: {n / full / cores:.1f} "
          "articles/s/core (goal ≥ 10)", file=out)  # fmt: skip
    for stage_name, seconds in result.timings.items():
        print(f"  {stage_name:28s} {seconds:6.2f} s", file=out)
    sys.stdout.write(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
