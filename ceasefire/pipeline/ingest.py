"""``ceasefire ingest news``: read, run the pipeline, assemble the evidence, store the incidents
and the stories (briefs, claims, conflicts)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ceasefire.intake.common import Batch
from ceasefire.intake.news import read_news
from ceasefire.pipeline.evidence import assemble, news_incidents, news_stories
from ceasefire.pipeline.runner import PipelineConfig, default_config, run_pipeline

if TYPE_CHECKING:
    from ceasefire.store import Store

__all__ = ["ingest_news"]


def ingest_news(
    paths: list[Path],
    tz: ZoneInfo,
    source: str | None = None,
    published: str | None = None,
    config_path: Path | None = None,
    errors: str = "quarantine",
    shared: dict[str, Any] | None = None,
    store: Store | None = None,
) -> tuple[dict[str, Any], Batch]:
    """The evidence JSON and a batch ready for :meth:`Store.import_batch`: the alleged incidents,
    then each story (kind ``story``: its brief, claims and conflicts, linked to its incidents).

    With a ``store``, the clean stage also counts the lines each source's documents repeated in
    earlier runs, and this run's counts are added to the store (per-source boilerplate).
    """
    from ceasefire.pipeline.claims import claims_table, find_conflicts, story_briefs
    from ceasefire.pipeline.clean import BOILERPLATE_RESOURCE, SEEN_RESOURCE, SourceLines
    from ceasefire.pipeline.embeddings import load_minilm

    intake = read_news(paths, tz, source, published)
    config = PipelineConfig.from_file(config_path) if config_path else default_config()
    shared = shared if shared is not None else {}
    if store is not None:
        known = store.news_lines([doc.source for doc in intake.documents])
        shared[BOILERPLATE_RESOURCE] = {s: SourceLines(n, lines) for s, (n, lines) in known.items()}
    result = run_pipeline(intake.documents, config, errors, shared)
    seen = result.resources.pop(SEEN_RESOURCE, None)
    if store is not None and seen:
        at = datetime.now(UTC).isoformat(timespec="seconds")
        store.record_news_lines({s: (v.documents, v.lines) for s, v in seen.items()}, at)
    model = result.resources.get("embeddings.minilm") or result.resources.setdefault(
        "embeddings.minilm", load_minilm()
    )
    claims = claims_table(result.documents)
    conflicts = find_conflicts(result.documents)
    briefs = story_briefs(result.documents, model=model, claims=claims, conflicts_found=conflicts)
    evidence = assemble(
        result.documents, [*intake.problems, *result.quarantined], briefs, claims, conflicts, tz
    )
    evidence["timings"] = {k: round(v, 3) for k, v in result.timings.items()}
    batch = Batch(kind="news", file=", ".join(str(p) for p in paths))
    batch.records.extend(news_incidents(evidence, tz))
    batch.records.extend(news_stories(evidence))
    return evidence, batch
