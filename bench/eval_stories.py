"""Calibrate and evaluate syndication and story clustering on FA-KES articles.

Syndication: wire copies are made at run time from FA-KES articles (a dateline, a byline and a
footer added; a copy missing its last sentences; a copy with an added paragraph; the copy inside
a longer page).  Pairwise precision/recall over the originals and their copies.

Stories: FA-KES groups by (date, location) reported by at least two outlets are rough positive
pairs, pairs with a different (date, location) negatives; pairs with the same (date, location)
from one outlet only are left out.  Pairwise precision/recall/F1 over a threshold sweep.
FA-KES locations are governorates, and two articles of one day and governorate often tell
different incidents (a rebel rocket attack and a regime air strike in Aleppo), so this rough
truth understates precision and overstates what recall should reach.  The refined truth is our
own reading of the 80 multi-outlet groups (:data:`INCIDENTS`): same incident → positive, other
incident or other FA-KES location → negative, the rest unknown.  The stage's default threshold
is marked ``*`` in the sweep.

Actors and places come from the registered stages ``ceasefire.actors.v1`` and
``ceasefire.places.v1`` when they are available; otherwise documents keep empty actors/places
and the run says so.

    .venv/bin/python -m bench.eval_stories [--copies 200] [--no-enrich] [--thresholds 0.6,0.65,...]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import importlib
import itertools
import os
import pkgutil
import random
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import ceasefire.pipeline
from ceasefire.errors import CeasefireError, ConfigError
from ceasefire.pipeline.embeddings import MINILM_RESOURCE, load_minilm
from ceasefire.pipeline.records import Document
from ceasefire.pipeline.registry import StageContext, StageSpec, get_stage
from ceasefire.pipeline.stories import StoryParams, assign_stories, story_input, tell_stories
from ceasefire.pipeline.syndication import UnionFind, normalise, shingles, syndicate

FAKES = (
    Path(__file__).resolve().parent.parent.parent / "shared/data/news/fa_kes_syrian_war_news.csv.gz"
)
TZ = ZoneInfo("Asia/Damascus")
Truth = dict[tuple[str, str], bool]
SEED = 7
OUTLETS = ("Levant Wire", "Gulf Desk", "Northern Courier", "Orontes Daily", "Euphrates Post")
REPORTERS = ("Lina Haddad", "Omar Saleh", "Maya Karim", "Tarek Nasser", "Rana Aziz")
# our own background paragraphs, the kind an outlet appends to a wire story
BACKGROUND = (
    "The war, which began with protests in 2011, has killed hundreds of thousands of people "
    "and forced about half of the country's pre-war population from their homes, according to "
    "estimates by monitoring groups and United Nations agencies.",
    "Several rounds of talks in Geneva and Astana have failed to produce a lasting settlement, "
    "and each side accuses the other of breaking local truces and blocking aid deliveries.",
)


# Our own reading of the 80 multi-outlet (date, location) groups: FA-KES row numbers of the
# articles that tell one incident (reactions to an incident count as its story).  An article of
# those groups that is in no list below is an incident of its own; AMBIGUOUS rows are left out.
INCIDENTS: dict[str, tuple[int, ...]] = {
    "ghouta-chemical-2013-08-21": (318, 379, 401, 403, 422, 431, 437, 509),
    "deir-tribe-executions-2014-08": (414, 444),
    "raqqa-air-raids-2014-08-17": (173, 575),
    "damascus-bus-bomb-2015-02-01": (7, 580),
    "damascus-rockets-2015-02-05": (514, 579),
    "qardaha-suicide-2015-02-22": (6, 149),
    "idlib-mosque-blast-2015-07-03": (29, 516),
    "raqqa-us-raids-2015-07-05": (5, 25, 587),
    "aleppo-barrel-is-town-2015-07-16": (12, 139),
    "aleppo-missile-2015-07-21": (26, 138),
    "rural-aleppo-barrel-2015-07-22": (324, 378),
    "aleppo-rockets-2016-04-04": (477, 609),
    "coalition-statement-2016-04-23": (323, 377),
    "jayrud-strikes-2016-07-02": (15, 22, 31, 133),
    "hasakeh-bakery-2016-07-05": (4, 30, 47, 131, 295),
    "castello-road-2016-07-10": (3, 50),
    "coalition-strikes-2016-07-18": (124, 460),
    "manbij-strikes-2016-07-19": (33, 123, 526),
    "qamishli-bombing-2016-07-27": (120, 121, 293, 589),
    "aleppo-chemical-2016-08-03": (494, 622),
    "idlib-hospital-2016-08-06": (117, 271),
    "is-suicide-blast-2016-08-15": (114, 497),
    "hasakeh-regime-kurds-2016-08-19": (58, 113),
    "aleppo-barrel-children-2016-08-25": (59, 112),
    "aleppo-strikes-2016-09-24": (199, 308),
    "hasakeh-wedding-2016-10-03": (207, 263),
    "aleppo-rockets-2016-10-06": (320, 333),
    "aleppo-russian-raids-2016-10-11": (78, 261),
    "belgian-strike-2016-10-18": (75, 485),
    "idlib-bombing-2016-10-24": (74, 204),
    "haas-school-2016-10-26": (72, 301, 364),
    "west-aleppo-school-2016-10-27": (70, 202),
    "ghouta-strikes-2017-04-03": (40, 64),
    "ghouta-shelling-2017-04-04": (65, 110),
    "khan-sheikhoun-2017-04-04": (16, 39, 63, 68, 109, 111, 352, 360, 400, 429, 434, 549),
    "shayrat-strike-2017-04-07": (0, 66, 547, 548),
    "idlib-strike-2017-04-08": (41, 67, 107, 279),
    "rashidin-convoy-2017-04-15": (1, 46, 101, 102, 103, 104, 503, 542),
    "aleppo-blast-2017-04-19": (2, 18, 45, 100, 347),
    "idlib-hospitals-2017-04-27": (44, 99),
    "aqareb-attack-2017-05-18": (338, 531),
    "raqqa-strike-2017-10-03": (186, 506),
    "damascus-police-2017-10-11": (97, 523),
    "atareb-market-2017-11-13": (180, 391),
}
AMBIGUOUS = (38, 137, 145, 275, 296, 355, 458, 479, 488)


def load_fakes() -> list[tuple[Document, str]]:
    """FA-KES rows as documents, with each row's location label."""
    out = []
    with gzip.open(FAKES, "rt", encoding="utf-8", newline="") as handle:
        for n, row in enumerate(csv.DictReader(handle)):
            month, day, year = (int(part) for part in row["date"].split("/"))
            doc = Document(
                id=f"fakes-{n:04d}",
                source=row["source"],
                published=datetime(year, month, day, tzinfo=TZ),
                published_precision="day",
                title=row["article_title"].strip(),
                text=row["article_content"].strip(),
            )
            out.append((doc, row["location"].strip().lower()))
    return out


def sentences(text: str) -> list[str]:
    return [part for part in text.replace(". ", ".\n").split("\n") if part.strip()]


def wire_copies(
    originals: list[Document], count: int, rng: random.Random
) -> tuple[list[Document], dict[str, str]]:
    """Copies of ``count`` originals in four kinds of outlet furniture; copy id → original id."""
    copies: list[Document] = []
    origin: dict[str, str] = {}
    for n, doc in enumerate(rng.sample(originals, count)):
        assert doc.published is not None
        outlet, reporter = rng.choice(OUTLETS), rng.choice(REPORTERS)
        stamp = doc.published.strftime("%b %d")
        body = sentences(doc.text)
        kind = n % 4
        if kind == 0:  # dateline, byline, footer
            text = (
                f"By {reporter}\nDAMASCUS, {stamp} ({outlet}) - {doc.text}\n"
                f"(Reporting by {reporter}; editing by {rng.choice(REPORTERS)})"
            )
        elif kind == 1:  # the last sentences dropped, copyright footer
            keep = body[: max(1, len(body) - max(1, len(body) // 6))]
            text = (
                f"{outlet} | {stamp}\n"
                + " ".join(keep)
                + f"\nCopyright {doc.published.year} {outlet}."
            )
        elif kind == 2:  # a background paragraph added
            text = doc.text + "\n\n" + rng.choice(BACKGROUND) + f"\n\n{outlet} staff contributed."
        else:  # the copy inside a longer page: both background paragraphs and a reader box
            text = (
                f"{outlet} - Live coverage\n{doc.text}\n\n"
                + "\n\n".join(BACKGROUND)
                + "\n\nRead more: the latest on the Syrian conflict from our correspondents. "
                "Sign up for the morning briefing to receive the day's top stories."
            )
        copy = replace(doc, id=f"{doc.id}-copy{kind}", source=outlet, text=text, title=doc.title)
        copies.append(copy)
        origin[copy.id] = doc.id
    return copies, origin


def pair_scores(
    ids: list[str], predicted: dict[str, str], truth: dict[str, str], skip: set[tuple[str, str]]
) -> tuple[float, float, float, int, int, int]:
    tp = fp = fn = 0
    for a, b in itertools.combinations(sorted(ids), 2):
        if (a, b) in skip:
            continue
        same_pred = predicted[a] == predicted[b]
        same_true = truth[a] == truth[b]
        tp += same_pred and same_true
        fp += same_pred and not same_true
        fn += same_true and not same_pred
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, tp, fp, fn


def find_stage(name: str) -> StageSpec | None:
    try:
        return get_stage(name)
    except ConfigError:
        pass
    for module in pkgutil.iter_modules(ceasefire.pipeline.__path__, "ceasefire.pipeline."):
        try:
            importlib.import_module(module.name)
        except ImportError:
            continue
    try:
        return get_stage(name)
    except ConfigError:
        return None


def enrich(
    docs: list[Document], ctx: StageContext, enabled: bool
) -> tuple[list[Document], list[str]]:
    """Actors and places from their registered stages, where they are available and work."""
    notes = []
    attempts: tuple[tuple[str, str, tuple[dict[str, object], ...]], ...] = (
        ("actors", "ceasefire.actors.v1", ({},)),
        # the gazetteer alone (no spaCy entities) when the spaCy model cannot be loaded
        ("places", "ceasefire.places.v1", ({}, {"ner": False})),
    )
    for field, name, arg_sets in attempts:
        spec = find_stage(name) if enabled else None
        if spec is None:
            notes.append(f"{field}: empty ({name} {'not available' if enabled else 'skipped'})")
            continue
        for args in arg_sets:
            t0 = time.perf_counter()
            try:
                docs = spec.func(docs, StageContext(resources=ctx.resources, args=dict(args)))
            except CeasefireError as exc:
                notes.append(f"{field}: {name} args {args} failed: {exc}")
                continue
            notes.append(f"{field}: from {name} args {args} ({time.perf_counter() - t0:.1f} s)")
            break
    return docs, notes


def jaccard(a: Document, b: Document) -> float:
    sa, sb = shingles(normalise(a.text)), shingles(normalise(b.text))
    return len(sa & sb) / len(sa | sb) if sa | sb else 0.0


def eval_syndication(originals: list[Document], copies_count: int, ctx: StageContext) -> None:
    copies, origin = wire_copies(originals, copies_count, random.Random(SEED))
    docs = originals + copies
    t0, c0 = time.perf_counter(), time.process_time()
    grouped = syndicate(docs, StageContext(resources=ctx.resources, args={"threshold": 0.5}))
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    predicted = {d.id: d.syndication_group for d in grouped}
    ids = sorted(predicted)
    strict = {d.id: origin.get(d.id, d.id) for d in docs}
    p, r, f1, tp, fp, fn = pair_scores(ids, predicted, strict, set())
    print(f"\n## Syndication ({len(originals)} FA-KES articles + {len(copies)} wire copies)")
    print(
        f"strict pairwise precision {p:.3f}  recall {r:.3f}  F1 {f1:.3f}  (tp {tp}, fp {fp}, fn {fn})"
    )
    by_kind: dict[str, list[bool]] = defaultdict(list)
    for copy_id, original in origin.items():
        by_kind[copy_id.rsplit("-", 1)[1]].append(predicted[copy_id] == predicted[original])
    for kind, hits in sorted(by_kind.items()):
        print(f"  {kind}: {sum(hits)}/{len(hits)} copies grouped with their original")
    by_id = {d.id: d for d in docs}
    merged = [
        (a, b)
        for a, b in itertools.combinations(sorted(d.id for d in originals), 2)
        if predicted[a] == predicted[b]
    ]
    # FA-KES carries its own re-runs of one wire text; counted as copies, what is left is the
    # error the synthetic copies can show (a copy joined to an unrelated article)
    joined = UnionFind(d.id for d in originals)
    for a, b in merged:
        joined.union(a, b)
    lenient = {d.id: joined.find(origin.get(d.id, d.id)) for d in docs}
    p, r, f1, tp, fp, fn = pair_scores(ids, predicted, lenient, set())
    print(f"copy precision {p:.3f}  recall {r:.3f}  (FA-KES re-runs counted as copies; fp {fp})")
    sims = sorted(jaccard(by_id[a], by_id[b]) for a, b in merged)
    print(
        f"FA-KES originals grouped with another original: {len(merged)} pairs, shingle Jaccard "
        f"min {sims[0] if sims else 0:.2f} median {sims[len(sims) // 2] if sims else 0:.2f}"
    )
    for a, b in sorted(merged, key=lambda pair: jaccard(by_id[pair[0]], by_id[pair[1]]))[:5]:
        ja = jaccard(by_id[a], by_id[b])
        print(f"    lowest: {a} ({by_id[a].source}) ~ {b} ({by_id[b].source}) Jaccard {ja:.2f}")
    print(f"time: {seconds:.2f} s wall ({len(docs) / seconds:.0f} articles/s), {cpu:.2f} s CPU")


def truths(items: list[tuple[Document, str]]) -> tuple[Truth, Truth]:
    """The rough (date, location) truth of the brief and our refined incident truth.

    A truth maps an unordered pair of ids to True (same story), False (different) or leaves it
    out (unknown).  Rough: same (date, location) reported by ≥ 2 outlets → True; a different
    (date, location) → False.  Refined: two articles of the labelled groups → same incident;
    different FA-KES locations → False; pairs of one incident more than the window apart are
    left out (no method with a time window can join them).
    """
    key = {doc.id: (doc.published.date() if doc.published else None, loc) for doc, loc in items}
    outlets: dict[tuple[object, str], set[str]] = defaultdict(set)
    for doc, _ in items:
        outlets[key[doc.id]].add(doc.source)
    multi = {k for k, v in outlets.items() if len(v) >= 2}
    label = {f"fakes-{row:04d}": name for name, rows in INCIDENTS.items() for row in rows}
    unclear = {f"fakes-{row:04d}" for row in AMBIGUOUS}
    for doc, _ in items:
        if key[doc.id] in multi and doc.id not in label and doc.id not in unclear:
            label[doc.id] = "solo-" + doc.id
    missing = sorted(i for i in label if key[i] not in multi)
    if missing:
        raise SystemExit(f"FA-KES rows changed: {missing[:5]} are not in a multi-outlet group")
    rough: Truth = {}
    refined: Truth = {}
    ids = sorted(key)
    for a, b in itertools.combinations(ids, 2):
        (day_a, loc_a), (day_b, loc_b) = key[a], key[b]
        if key[a] != key[b]:
            rough[a, b] = False
        elif key[a] in multi:
            rough[a, b] = True
        if a in label and b in label:
            if label[a] != label[b]:
                refined[a, b] = False
            elif day_a and day_b and abs((day_a - day_b).days) <= StoryParams().window_days:
                refined[a, b] = True
        elif loc_a != loc_b:
            refined[a, b] = False
    return rough, refined


def scores(predicted: dict[str, str], truth: Truth) -> tuple[float, float, float]:
    tp = fp = fn = 0
    for (a, b), same in truth.items():
        together = predicted[a] == predicted[b]
        tp += together and same
        fp += together and not same
        fn += same and not together
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def eval_stories(
    items: list[tuple[Document, str]], thresholds: Iterable[float], ctx: StageContext, enabled: bool
) -> None:
    docs = [doc for doc, _ in items]
    location = {doc.id: loc for doc, loc in items}
    day = {doc.id: doc.published.date() if doc.published else None for doc in docs}
    rough, refined = truths(items)
    print(f"\n## Stories ({len(docs)} FA-KES articles)")
    print(
        f"rough truth: {sum(rough.values())} positive, {len(rough) - sum(rough.values())} negative "
        f"pairs; refined truth: {sum(refined.values())} positive, "
        f"{len(refined) - sum(refined.values())} negative pairs"
    )
    docs = syndicate(docs, StageContext(resources=ctx.resources))
    enriched, notes = enrich(docs, ctx, enabled)
    for note in notes:
        print(f"  {note}")
    t0 = time.perf_counter()
    model = ctx.resource(MINILM_RESOURCE, load_minilm)
    print(f"model load (verify + load): {time.perf_counter() - t0:.2f} s")

    t0, c0 = time.perf_counter(), time.process_time()
    tell_stories(enriched, StageContext(resources=ctx.resources))
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(
        f"stage at defaults: {seconds:.2f} s wall ({len(docs) / seconds:.0f} articles/s), "
        f"{cpu:.2f} s CPU; embedding included, model loaded; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    variants = {"embedding + time (no actors/places)": docs}
    if enriched is not docs:
        variants["+ actors/places as the stages above provided them"] = enriched
    for name, batch in variants.items():
        prepared = story_input(batch, model)
        print(f"\n### {name}")
        print(
            "threshold | rough P    R     F1   | refined P  R     F1   | same-day other-place merges"
        )
        for threshold in thresholds:
            told = assign_stories(batch, prepared, replace(StoryParams(), threshold=threshold))
            predicted = {d.id: d.story for d in told}
            rp, rr, rf = scores(predicted, rough)
            fp_, fr, ff = scores(predicted, refined)
            cross = sum(
                1
                for a, b in itertools.combinations(sorted(predicted), 2)
                if predicted[a] == predicted[b] and day[a] == day[b] and location[a] != location[b]
            )
            mark = " *" if threshold == StoryParams().threshold else ""
            print(
                f"{threshold:9.3f} | {rp:9.3f} {rr:5.3f} {rf:5.3f} | {fp_:9.3f} {fr:5.3f} {ff:5.3f} "
                f"| {cross}{mark}"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--copies", type=int, default=200)
    parser.add_argument("--no-enrich", action="store_true", help="empty actors/places")
    parser.add_argument(
        "--thresholds",
        default="0.60,0.625,0.65,0.675,0.70,0.75,0.80",
        help=f"story thresholds to sweep (default stage threshold {StoryParams().threshold})",
    )
    args = parser.parse_args()
    items = load_fakes()
    ctx = StageContext()
    eval_syndication([doc for doc, _ in items], args.copies, ctx)
    thresholds = [float(t) for t in args.thresholds.split(",")]
    eval_stories(items, thresholds, ctx, not args.no_enrich)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
