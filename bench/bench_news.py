"""Benchmark: news → evidence, articles per second on ONE core, against a bare tokenize+NER pass.

Builds ≈600-word articles at run time from FA-KES texts (two consecutive articles of one outlet
joined), pins the process to a single CPU core (``os.sched_setaffinity``) with one thread for
torch and BLAS, then measures in the same run, over the same texts:
  (a) the bare pass: spaCy ``nlp.pipe`` (tokenize + NER) over the whole texts;
  (b) the whole pipeline (clean, syndication, actors, places, dates, claims, events, stories,
      claims table, conflicts, briefs).
Both start with loaded models: a warm-up on other FA-KES articles opens every resource first
(its one-time cost is printed apart).  Because the process runs on one core, "articles/s" *is*
"articles/s/core".  Goal: the pipeline ≥ 10 articles/s/core and ≥ 0.7× the bare pass.

    .venv/bin/python -m bench.bench_news [--articles 200] [--repeat 1]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import os
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from ceasefire.pipeline.records import Document

FAKES = (
    Path(__file__).resolve().parent.parent.parent / "shared/data/news/fa_kes_syrian_war_news.csv.gz"
)
ARABIC = Path(__file__).resolve().parent.parent / "tests/data/arabic_news.jsonl"
WARMUP = 16  # articles after the measured ones, used only to open the resources
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


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


def arabic_articles() -> list[Document]:
    """The 30 Arabic news-style texts of the test set (written for it; about 70 words each)."""
    from zoneinfo import ZoneInfo

    from ceasefire.intake.news import read_news

    return read_news([ARABIC], ZoneInfo("Asia/Damascus")).documents


def pin_one_core() -> int:
    """Pin this process to the first core it may use, one thread everywhere; return the core."""
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    for var in _THREAD_VARS:
        os.environ[var] = "1"
    return core


def full_run(docs: list[Document], shared: dict[str, Any]) -> tuple[float, Any, int]:
    from ceasefire.pipeline.claims import claims_table, find_conflicts, story_briefs
    from ceasefire.pipeline.embeddings import LEAD_VECTORS_RESOURCE, MINILM_RESOURCE
    from ceasefire.pipeline.nlp import ENTITIES_RESOURCE
    from ceasefire.pipeline.runner import run_pipeline

    shared.pop(ENTITIES_RESOURCE, None)  # entities of an earlier run are not reused
    shared.pop(LEAD_VECTORS_RESOURCE, None)  # nor lead embeddings
    t0 = time.perf_counter()
    result = run_pipeline(docs, shared=shared)
    t1, c1 = time.perf_counter(), time.process_time()
    claims = claims_table(result.documents)
    t2, c2 = time.perf_counter(), time.process_time()
    conflicts = find_conflicts(result.documents)
    t3, c3 = time.perf_counter(), time.process_time()
    story_briefs(
        result.documents, model=shared[MINILM_RESOURCE], claims=claims, conflicts_found=conflicts
    )
    t4, c4 = time.perf_counter(), time.process_time()
    result.timings["claims_table"], result.cpu_timings["claims_table"] = t2 - t1, c2 - c1
    result.timings["find_conflicts"], result.cpu_timings["find_conflicts"] = t3 - t2, c3 - c2
    result.timings["story_briefs"], result.cpu_timings["story_briefs"] = t4 - t3, c4 - c3
    return t4 - t0, result, len(claims)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each pass; median kept")
    args = parser.parse_args()
    core = pin_one_core()

    import torch

    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    from ceasefire.pipeline.embeddings import MINILM_RESOURCE, load_minilm
    from ceasefire.pipeline.nlp import SPACY_RESOURCE, load_spacy

    all_docs = articles(args.articles + WARMUP)
    docs, warm = all_docs[: args.articles], all_docs[args.articles :]
    n = len(docs)
    words = sum(len(d.raw.split()) for d in docs) / n

    t0 = time.perf_counter()
    nlp = load_spacy()
    model = load_minilm()
    shared: dict[str, Any] = {SPACY_RESOURCE: nlp, MINILM_RESOURCE: model}
    list(nlp.pipe([d.raw for d in warm]))
    full_run(warm, shared)  # opens the gazetteer, the actor registry, … once
    setup = time.perf_counter() - t0

    bare_wall, bare_cpu, full_wall, full_cpu = [], [], [], []
    n_ents = n_claims = 0
    result: Any = None
    for _ in range(args.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        n_ents = sum(len(sp.ents) for sp in nlp.pipe((d.raw for d in docs), batch_size=32))
        bare_wall.append(time.perf_counter() - t0)
        bare_cpu.append(time.process_time() - c0)
        c0 = time.process_time()
        seconds, result, n_claims = full_run(docs, shared)
        full_cpu.append(time.process_time() - c0)
        full_wall.append(seconds)
    rows = {
        "bare tokenize+NER": (statistics.median(bare_wall), statistics.median(bare_cpu)),
        "full pipeline": (statistics.median(full_wall), statistics.median(full_cpu)),
    }
    full = rows["full pipeline"][0]

    print(f"articles: {n}, mean {words:.0f} words/article; pinned to CPU core {core} "
          f"(affinity {sorted(os.sched_getaffinity(0))}), torch threads {torch.get_num_threads()}; "
          f"median of {args.repeat} run(s); setup + warm-up {setup:.1f} s (not counted)")  # fmt: skip
    print("wall: elapsed time; CPU: this process's CPU time (equal on an idle core; lower when "
          "other processes share the core)")  # fmt: skip
    print()
    print("| pass (1 core)     | wall s | articles/s/core (wall) | CPU s | articles/s/core (CPU) |")
    print("|-------------------|--------|------------------------|-------|-----------------------|")
    for name, (wall, cpu) in rows.items():
        print(f"| {name:17s} | {wall:6.2f} | {n / wall:22.1f} | {cpu:5.2f} | {n / cpu:21.1f} |")
    (bw, bc), (fw, fc) = rows.values()
    print(f"| ratio full/bare   |        | {bw / fw:21.2f}× |       | {bc / fc:20.2f}× |")
    print()
    print(f"bare pass: {n_ents} entities; full pipeline: {n_claims} claims, "
          f"{len(result.quarantined)} quarantined")  # fmt: skip
    print()
    print("| stage (last run)         | wall s | CPU s | CPU ms/article | CPU share |")
    print("|--------------------------|--------|-------|----------------|-----------|")
    for stage_name, seconds in result.timings.items():
        cpu = result.cpu_timings[stage_name]
        print(f"| {stage_name.removeprefix('ceasefire.'):24s} | {seconds:6.2f} | {cpu:5.2f} | "
              f"{1000 * cpu / n:14.1f} | {cpu / full_cpu[-1]:9.0%} |")  # fmt: skip
    print()
    for label, bare_s, full_s in (("wall", bw, fw), ("CPU", bc, fc)):
        ok = n / full_s >= 10 and bare_s / full_s >= 0.7
        print(f"goal (≥ 10 articles/s/core and ≥ 0.7× the bare pass), {label} time: "
              f"{'met' if ok else 'NOT met'} — {n / full_s:.1f} articles/s/core, "
              f"{bare_s / full_s:.2f}× the bare pass")  # fmt: skip
    arabic = arabic_articles()
    arabic_words = sum(len(d.raw.split()) for d in arabic) / len(arabic)
    arabic_wall, arabic_cpu = [], []
    for _ in range(args.repeat):
        c0 = time.process_time()
        arabic_wall.append(full_run(arabic, shared)[0])
        arabic_cpu.append(time.process_time() - c0)
    aw, ac = statistics.median(arabic_wall), statistics.median(arabic_cpu)
    n_ar = len(arabic)
    print()
    print(f"Arabic: {n_ar} texts of tests/data/arabic_news.jsonl, mean {arabic_words:.0f} "
          f"words/article: {n_ar / aw:.1f} articles/s/core wall, {n_ar / ac:.1f} by CPU time "
          f"({n_ar * arabic_words / aw:.0f} / {n_ar * arabic_words / ac:.0f} words/s; English "
          f"above: {n * words / full:.0f} / {n * words / fc:.0f} words/s)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
