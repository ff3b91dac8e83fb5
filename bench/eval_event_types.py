"""Evaluate the main event's ACLED type (and sub-type) on hand-labelled FA-KES articles.

    .venv/bin/python -m bench.eval_event_types [--split dev|heldout|all] [--lexicon]

Labels: ``tests/data/fakes_event_types.csv`` (type and sub-type; 169 articles drawn with
``random.Random(145).sample(pool, 170)`` from the FA-KES rows sorted by ``unit_id`` that are not in
``fakes_tolls_dates.csv``, one repeated id dropped; the first 110 drawn are development, the last
59 held out) and the type column of ``tests/data/fakes_tolls_dates.csv`` (50 development, 30 held
out).  All labelled articles run through the default pipeline in one batch (without the stories
stage), published at noon of the FA-KES date; the main incident is the one reported first
(as in ``bench/eval_tolls.py``).  ``--lexicon`` turns the model off (the lexicon alone).

Printed: accuracy, per-type precision/recall/F1, sub-type accuracy where labelled, and the
held-out accuracy again without articles whose opening repeats a development article's (FA-KES
holds syndicated copies under different ids).
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter
from dataclasses import dataclass, replace

from bench.eval_tolls import incidents
from bench.train_event_types import LABEL_FILES, documents, fakes_rows
from ceasefire.pipeline.runner import PipelineConfig, default_config, run_pipeline

SAME_OPENING = 200  # characters of normalised text that mark a syndicated copy


@dataclass(frozen=True)
class Row:
    unit_id: str
    split: str
    event_type: str
    sub_event_type: str  # "" where not labelled
    labels: str  # the label file's name


def label_rows() -> list[Row]:
    out = []
    for path in LABEL_FILES:
        with path.open(encoding="utf-8") as fh:
            out += [Row(r["unit_id"], r["split"], r["event_type"], r.get("sub_event_type") or "",
                        path.name) for r in csv.DictReader(fh) if r["event_type"]]  # fmt: skip
    return out


def _config(model: bool) -> PipelineConfig:
    config = default_config()
    stages = tuple(
        (spec, {**args, "type_model": model} if spec.name == "ceasefire.events.v1" else args)
        for spec, args in config.stages
        if spec.name != "ceasefire.stories.v1"
    )
    return replace(config, stages=stages)


def predictions(rows: list[Row], model: bool = True) -> dict[str, tuple[str | None, str | None]]:
    """unit_id → (type, sub-type) of the main incident (None, None without an incident)."""
    docs = documents(sorted({r.unit_id for r in rows}), fakes_rows())
    result = run_pipeline(docs, _config(model), errors="strict")
    out: dict[str, tuple[str | None, str | None]] = {}
    for doc in result.documents:
        found = incidents(doc)
        out[doc.id] = (
            (found[0]["event_type"], found[0]["sub_event_type"]) if found else (None, None)
        )
    return out


def _opening(text: str) -> str:
    return " ".join(text.lower().split())[:SAME_OPENING]


def copies_of_dev(rows: list[Row]) -> set[str]:
    """Held-out ids whose opening repeats a development article's."""
    fakes = fakes_rows()
    dev = {_opening(fakes[r.unit_id]["article_content"]) for r in rows if r.split == "dev"}
    return {r.unit_id for r in rows
            if r.split == "heldout" and _opening(fakes[r.unit_id]["article_content"]) in dev}  # fmt: skip


def report(rows: list[Row], got: dict[str, tuple[str | None, str | None]]) -> list[str]:
    lines = []
    hits = sum(got[r.unit_id][0] == r.event_type for r in rows)
    lines.append(f"  type accuracy {hits / len(rows):.3f} ({hits}/{len(rows)})")
    truth = Counter(r.event_type for r in rows)
    said = Counter(got[r.unit_id][0] for r in rows)
    right = Counter(r.event_type for r in rows if got[r.unit_id][0] == r.event_type)
    for kind in sorted(truth | said, key=str):
        if kind is None:
            continue
        p = right[kind] / said[kind] if said[kind] else 0.0
        rec = right[kind] / truth[kind] if truth[kind] else 0.0
        f1 = 2 * p * rec / (p + rec) if p + rec else 0.0
        lines.append(f"    {kind:<28} P {p:.3f}  R {rec:.3f}  F1 {f1:.3f}  (labelled {truth[kind]}, "
                     f"predicted {said[kind]})")  # fmt: skip
    subs = [r for r in rows if r.sub_event_type]
    if subs:
        sub_hits = sum(got[r.unit_id] == (r.event_type, r.sub_event_type) for r in subs)
        lines.append(
            f"  type and sub-type accuracy {sub_hits / len(subs):.3f} ({sub_hits}/{len(subs)})"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="all", choices=["dev", "heldout", "all"])
    parser.add_argument("--lexicon", action="store_true", help="the lexicon alone (no model)")
    parser.add_argument("--misses", action="store_true", help="list the held-out articles missed")
    args = parser.parse_args()
    rows = label_rows()
    got = predictions(rows, model=not args.lexicon)
    copies = copies_of_dev(rows)
    print("lexicon alone" if args.lexicon else "lexicon + model")
    for split in ("dev", "heldout"):
        if args.split not in {split, "all"}:
            continue
        chosen = [r for r in rows if r.split == split]
        print(f"split {split}")
        print("\n".join(report(chosen, got)))
        for name in sorted({r.labels for r in chosen}):
            part = [r for r in chosen if r.labels == name]
            print(f"  {name}: " + report(part, got)[0].strip())
        if split == "heldout":
            apart = [r for r in chosen if r.unit_id not in copies]
            print(f"split heldout without {len(copies)} copies of development articles")
            print("\n".join(report(apart, got)))
            if args.misses:
                for r in chosen:
                    if got[r.unit_id] != (r.event_type, r.sub_event_type or got[r.unit_id][1]):
                        print(
                            f"    {r.unit_id}: {r.event_type} / {r.sub_event_type} got {got[r.unit_id]}"
                        )


if __name__ == "__main__":
    main()
