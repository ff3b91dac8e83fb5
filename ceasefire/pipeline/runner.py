"""Run the news pipeline from its config: check requires/assigns, run stages, quarantine failures.

The error handler is per run: ``strict`` (tests) re-raises a stage's exception; ``quarantine``
(batch runs) isolates the document(s) that made the stage fail, quarantines them with the stage
name, a code and the reason, and goes on with the rest.  Stages may also flag a document
(``quarantine:<stage>:<code>``), e.g. text that is empty after cleaning.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ceasefire.agreements.located import LocatedError, load_located
from ceasefire.errors import ConfigError
from ceasefire.intake.common import RowProblem
from ceasefire.pipeline.records import Document
from ceasefire.pipeline.registry import StageContext, StageSpec, get_stage

__all__ = ["PipelineConfig", "RunResult", "default_config", "run_pipeline"]

INTAKE_FIELDS = ("id", "source", "published", "raw", "url", "title")
MAX_CONFIG_BYTES = 1_000_000


@dataclass(frozen=True)
class PipelineConfig:
    stages: tuple[tuple[StageSpec, dict[str, Any]], ...]
    source: str = ""

    @classmethod
    def from_file(cls, path: Path) -> PipelineConfig:
        """Read a config file; it is YAML read as the agreement loader reads it (safe, and
        bounded: an alias bomb or a deep nesting is refused with its line)."""
        try:
            if path.stat().st_size > MAX_CONFIG_BYTES:
                raise ConfigError(f"{path}:1: the pipeline config is larger than "
                                  f"{MAX_CONFIG_BYTES:,} bytes.")  # fmt: skip
            data = load_located(path.read_text(encoding="utf-8")).data
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read the pipeline config ({exc}).") from exc
        except LocatedError as exc:
            raise ConfigError(
                f"{path}:{exc.line}: cannot read the pipeline config ({exc})."
            ) from exc
        except RecursionError as exc:
            raise ConfigError(f"{path}: the pipeline config is nested too deeply to read.") from exc
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else 1
            raise ConfigError(f"{path}:{line}: the pipeline config is not valid YAML "
                              f"({getattr(exc, 'problem', None) or exc}).") from exc  # fmt: skip
        if not isinstance(data, dict) or not isinstance(data.get("pipeline"), list):
            raise ConfigError(f"{path}: must hold 'pipeline:' with a list of stages.")
        stages = []
        assigned = set(INTAKE_FIELDS)
        for n, item in enumerate(data["pipeline"], start=1):
            if not isinstance(item, dict) or not isinstance(item.get("stage"), str):
                raise ConfigError(f"{path}: pipeline item {n} needs 'stage: <registered name>'.")
            spec = get_stage(item["stage"])
            missing = [r for r in spec.requires if r not in assigned]
            if missing:
                raise ConfigError(
                    f"{path}: stage {spec.name} (item {n}) requires {', '.join(missing)}, which no "
                    "earlier stage assigns; reorder the stages."
                )
            assigned.update(spec.assigns)
            args = item.get("args") or {}
            if not isinstance(args, dict):
                raise ConfigError(f"{path}: 'args' of stage {spec.name} must be a mapping.")
            stages.append((spec, args))
        return cls(tuple(stages), str(path))


def default_config() -> PipelineConfig:
    return PipelineConfig.from_file(
        Path(str(resources.files("ceasefire") / "data" / "pipeline" / "news.yaml"))
    )


@dataclass
class RunResult:
    documents: list[Document]
    quarantined: list[RowProblem] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    # the process's CPU seconds per stage: on a shared machine wall time also counts other work
    cpu_timings: dict[str, float] = field(default_factory=dict)
    resources: dict[str, Any] = field(default_factory=dict)


def run_pipeline(
    docs: list[Document],
    config: PipelineConfig | None = None,
    errors: str = "quarantine",
    shared: dict[str, Any] | None = None,
) -> RunResult:
    config = config or default_config()
    result = RunResult(documents=list(docs), resources=shared if shared is not None else {})
    for spec, args in config.stages:
        ctx = StageContext(resources=result.resources, args=dict(args))
        started, cpu_started = time.perf_counter(), time.process_time()
        try:
            current = spec.func(result.documents, ctx)
        except Exception as exc:
            if errors == "strict":
                raise
            current = _isolate(spec, ctx, result, exc)
        result.timings[spec.name] = time.perf_counter() - started
        result.cpu_timings[spec.name] = time.process_time() - cpu_started
        kept = []
        for doc in current:
            flag = next((f for f in doc.flags if f.startswith("quarantine:")), None)
            if flag is None:
                kept.append(doc)
                continue
            _, stage_name, code = ([*flag.split(":", 2), "", ""])[:3]
            result.quarantined.append(RowProblem(doc.id, 0, stage_name or spec.name, code))
        result.documents = kept
    return result


def _isolate(
    spec: StageSpec, ctx: StageContext, result: RunResult, exc: Exception
) -> list[Document]:
    """Re-run the stage one document at a time; quarantine those that still fail."""
    survivors: list[Document] = []
    for doc in result.documents:
        try:
            survivors.extend(spec.func([doc], ctx))
        except Exception as one:  # noqa: BLE001 - a failing document is data, recorded below
            reason = f"{type(one).__name__}: {one}"
            result.quarantined.append(RowProblem(doc.id, 0, spec.name, f"stage_error: {reason}"))
    if not result.quarantined:
        result.quarantined.append(RowProblem("(batch)", 0, spec.name, f"stage_error: {exc}"))
    return survivors
