"""Judging a partitioned Parquet folder on one machine or many: ``local``, ``dask``, ``spark``.

The folder is what ``ceasefire export parquet --partition-by month`` writes
(``DIR/month=YYYY-MM/part-00000.parquet``, each row's ``body`` the whole incident).  Every engine
ships the same kernel, :func:`judge_partition`, to where the work runs: it reads one partition's
incidents, judges them with the one judgement path (:class:`ceasefire.compliance.judge.Judge`,
``judge.findings(incidents)``), and writes that partition's findings beside the others as Parquet
(``incident``, ``qualification``, ``codes``, ``body`` = the finding's JSON line).  The engines
differ only in who calls the kernel: this process (``local``), Dask distributed workers (the
judge scattered to each once), or Spark executors (``mapPartitions`` over the partition names, the
judge broadcast).  A finding depends on its incident and the judge alone, never on the
other incidents of a batch, so judging month by month gives the findings of judging everything at
once; :func:`finding_lines` merges the partitions' sorted files back into one stream in incident
key order: byte for byte the ``evaluate --format jsonl`` output.

Workers must see the folders at the same paths (a shared file system on a real cluster:
docs/scale.md) and have ceasefire installed.  A partition that cannot be read is reported by the
worker as a located problem (file, row, field), not as an exception from inside the cluster.
"""

from __future__ import annotations

import dataclasses
import heapq
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ceasefire.compliance.judge import Judge
from ceasefire.errors import ConfigError, IntakeError
from ceasefire.export.parquet import swap_in
from ceasefire.model.batches import BadField
from ceasefire.model.incidents import Incident
from ceasefire.model.stored import incident_from_body

__all__ = [
    "ENGINES",
    "FINDING_COLUMNS",
    "LOCAL_SCHEDULER",
    "PartitionResult",
    "evaluate_partitions",
    "finding_lines",
    "input_control",
    "judge_partition",
    "partitions",
    "read_findings",
    "read_partition",
]

ENGINES = ("local", "dask", "spark")
FINDING_COLUMNS = ("incident", "qualification", "codes", "body")
FINDINGS_MARKER = "_CEASEFIRE_FINDINGS"  # hidden to Spark/Dask readers (leading underscore)
BATCH_ROWS = 4096  # rows read at a time from a partition: memory stays bounded by the partition
MERGE_ROWS = 65_536  # findings held at once while merging the partitions' files into one stream
_PART_DIR = re.compile(r"[^=/]+=[^/]*")
# a local cluster's scheduler: no dashboard, its HTTP endpoint on a free loopback port (the default,
# 8787, clashes with any other cluster on the machine)
LOCAL_SCHEDULER: dict[str, Any] = {"dashboard": False, "dashboard_address": "127.0.0.1:0"}
SCALE_EXTRA = "pip install 'ceasefire[scale]'"


@dataclass(frozen=True)
class PartitionResult:
    """What the kernel did with one partition: ``name`` is its path inside the folder; ``error``
    a located problem (``FILE:ROW: field: reason``) when it could not be read, else ``None``."""

    name: str
    rows: int
    error: str | None = None


# -- the input folder ---------------------------------------------------------------------------
def _hidden(name: str) -> bool:
    """Hadoop's convention, kept by Spark and Dask: ``_SUCCESS``, ``.crc`` files are not data."""
    return name.startswith(("_", "."))


def partitions(folder: Path) -> list[str]:
    """The Parquet files of a partitioned folder, as paths inside it, in a fixed order: files at
    its top and in ``name=value`` folders one level down.  Anything else (another file, a deeper
    folder, a file that is not Parquet) is a located error: a folder of unknown shape is refused
    rather than half read."""
    folder = Path(folder)
    if not folder.exists():
        raise IntakeError(f"{folder}: no such folder.")
    if not folder.is_dir():
        raise IntakeError(
            f"{folder}: is a file, not a partition folder (`ceasefire export parquet "
            "--partition-by month --output DIR` writes one)."
        )
    found: list[str] = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if _hidden(entry.name):
            continue
        if entry.is_dir():
            if not _PART_DIR.fullmatch(entry.name):
                raise IntakeError(f"{entry}: not a name=value partition folder.")
            for part in sorted(entry.iterdir(), key=lambda p: p.name):
                if _hidden(part.name):
                    continue
                _check_part(part)
                found.append(f"{entry.name}/{part.name}")
        else:
            _check_part(entry)
            found.append(entry.name)
    if not found:
        raise IntakeError(f"{folder}: holds no Parquet partition.")
    return found


def _check_part(path: Path) -> None:
    """A partition file: named ``*.parquet``, with Parquet's footer and a ``body`` column."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if path.is_dir() or path.suffix != ".parquet":
        raise IntakeError(f"{path}: not a Parquet partition (expected *.parquet files only).")
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowException, OSError) as exc:
        raise IntakeError(f"{path}: not a readable Parquet file ({_first_line(exc)}).") from None
    if "body" not in schema.names or schema.field("body").type != pa.string():
        raise IntakeError(f"{path}: body: no text column 'body' (the stored incident as JSON).")


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]


def read_partition(path: Path) -> Iterator[Incident]:
    """The incidents of one partition file, a batch of rows at a time, each validated at the door
    (:func:`ceasefire.model.stored.incident_from_body`); :class:`IntakeError` names the file,
    the row (1-based) and the field of the first one that is not a stored incident."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    row = 0
    try:
        reader = pq.ParquetFile(path)
        for batch in reader.iter_batches(batch_size=BATCH_ROWS, columns=["body"]):
            for body in batch.column(0).to_pylist():
                row += 1
                if body is None:
                    raise IntakeError(f"{path}:{row}: body: empty.")
                try:
                    yield incident_from_body(body)
                except BadField as exc:
                    raise IntakeError(f"{path}:{row}: body.{exc.field}: {exc}") from None
    except (pa.ArrowException, OSError) as exc:
        raise IntakeError(f"{path}:{row + 1}: not readable ({_first_line(exc)}).") from None


def input_control(folder: Path, names: Iterable[str], tz: ZoneInfo) -> Any:
    """The bundled control map with the changes of control the folder's incidents report (as a
    workspace adds those of its incidents: :func:`ceasefire.geo.control_store.workspace_control`),
    found by a pass over two narrow columns; only those few incidents are read whole."""
    import pyarrow.parquet as pq

    from ceasefire.geo.control import load_aleppo_2016
    from ceasefire.geo.control_store import TERRITORY_EVENTS, apply_territorial_incidents

    control = load_aleppo_2016()
    wanted: list[Incident] = []
    for name in names:
        path = Path(folder) / name
        columns = pq.read_schema(path).names
        if not {"source_system", "sub_category"} <= set(columns):
            wanted.extend(i for i in read_partition(path) if _territorial(i))
            continue
        table = pq.read_table(path, columns=["source_system", "sub_category"])
        systems = table.column(0).to_pylist()
        subs = table.column(1).to_pylist()
        if any(s == "acled" and c in TERRITORY_EVENTS for s, c in zip(systems, subs, strict=True)):
            wanted.extend(i for i in read_partition(path) if _territorial(i))
    apply_territorial_incidents(control, wanted, tz)
    return control


def _territorial(incident: Incident) -> bool:
    from ceasefire.geo.control_store import affects_control

    return affects_control(incident)


# -- the kernel ---------------------------------------------------------------------------------
def judge_partition(
    folder: str, name: str, judge: Judge, findings_out: str, as_of: str | None = None
) -> PartitionResult:
    """Judge one partition and write its findings to ``findings_out/name`` (rows in incident key
    order).  The one function every engine runs, wherever it runs; the judge it is given decides
    everything, the partition only says which incidents."""
    source = Path(folder) / name
    when = datetime.fromisoformat(as_of) if as_of is not None else None
    try:
        incidents = list(read_partition(source))
    except IntakeError as exc:
        return PartitionResult(name, 0, str(exc))
    if when is not None:
        incidents = [i for i in incidents if i.known_by(when)]
    findings = sorted(judge.findings(incidents, when), key=lambda f: f.incident)
    _write_findings(Path(findings_out) / name, findings)
    return PartitionResult(name, len(findings), None)


def _findings_schema() -> Any:
    import pyarrow as pa

    return pa.schema([
        ("incident", pa.string()), ("qualification", pa.string()),
        ("codes", pa.list_(pa.string())), ("body", pa.string()),
    ])  # fmt: skip


def _write_findings(path: Path, findings: Iterable[Any]) -> None:
    """One partition's findings, written whole or not at all (a temporary file, then a rename)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns: dict[str, list[Any]] = {c: [] for c in FINDING_COLUMNS}
    for f in findings:
        columns["incident"].append(f.incident)
        columns["qualification"].append(f.qualification)
        columns["codes"].append(list(f.codes))
        columns["body"].append(f.json_line())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(pa.table(columns, schema=_findings_schema()), tmp, compression="zstd")
    tmp.replace(path)


# -- the engines --------------------------------------------------------------------------------
def evaluate_partitions(
    folder: Path,
    judge: Judge,
    engine: str,
    findings_out: Path,
    *,
    as_of: datetime | None = None,
    scheduler: str | None = None,
    master: str | None = None,
) -> list[PartitionResult]:
    """Judge every partition of ``folder`` with ``judge`` on ``engine`` and write the findings to
    ``findings_out`` (one file per input partition, at the same path inside it); returns what each
    partition gave, in partition order.  ``scheduler``: a Dask scheduler's address (else a
    ``LocalCluster`` on this machine); ``master``: a Spark master URL (else the running session,
    or ``local[2]``).  A partition that could not be read raises :class:`IntakeError` with its
    located problem (the first in partition order), after the others were judged."""
    if engine not in ENGINES:
        raise ConfigError(f"Unknown engine {engine!r}; one of {', '.join(ENGINES)}.")
    names = partitions(folder)
    target = Path(findings_out)
    _check_out(target, Path(folder))
    # written beside the target and swapped in whole: a failed run leaves it as it was
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    stamp = as_of.isoformat() if as_of is not None else None
    src, out = str(Path(folder).resolve()), str(staging.resolve())
    try:
        if engine == "local":
            results = [judge_partition(src, n, judge, out, stamp) for n in names]
        elif engine == "dask":
            results = _run_dask(src, names, _portable(judge), out, stamp, scheduler)
        else:
            results = _run_spark(src, names, _portable(judge), out, stamp, master)
        order = {n: k for k, n in enumerate(names)}
        results = sorted(results, key=lambda r: order[r.name])
        if [r.name for r in results] != names:
            raise ConfigError(
                f"The {engine} engine returned {len(results)} of {len(names)} partitions."
            )
        for r in results:
            if r.error is not None:
                raise IntakeError(r.error)
        (staging / FINDINGS_MARKER).write_text(
            "findings of `ceasefire evaluate`, one Parquet file per input partition\n"
        )
        swap_in(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return results


def _check_out(out: Path, folder: Path) -> None:
    """``findings_out`` may be new, empty, or a findings folder written here before (it carries
    the marker file; replaced whole); never the input folder nor a folder holding anything else."""
    if out.resolve() == folder.resolve():
        raise ConfigError(f"{out}: the findings folder cannot be the input folder.")
    if out.exists():
        if not out.is_dir():
            raise ConfigError(f"{out}: is a file; --findings-out is a folder.")
        if any(out.iterdir()) and not (out / FINDINGS_MARKER).is_file():
            raise ConfigError(
                f"{out}: is not empty and not a findings folder written by `ceasefire evaluate "
                "--findings-out`; give an empty or new folder."
            )


def _portable(judge: Judge) -> Judge:
    """The judge as it travels to a worker: the agreement without its memo (a memo of phase
    windows holds a lock, which does not pickle; workers build their own memo), the control map
    as it is.  ``dataclasses.replace`` gives the agreement a fresh, empty memo."""
    return Judge(dataclasses.replace(judge.agreement), judge.control)


def _run_dask(
    folder: str, names: list[str], judge: Judge, out: str, as_of: str | None, scheduler: str | None
) -> list[PartitionResult]:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ConfigError(f"The dask engine needs dask and distributed: {SCALE_EXTRA}.") from None
    cluster = None
    if scheduler is None:
        # one single-threaded worker process per core: judging is pure Python, held by the GIL
        cluster = LocalCluster(processes=True, threads_per_worker=1, dashboard_address=None,
                               scheduler_kwargs=LOCAL_SCHEDULER)  # fmt: skip
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout="30s")
        except (OSError, TimeoutError) as exc:
            raise ConfigError(
                f"--scheduler {scheduler}: no Dask scheduler there ({exc})."
            ) from None
    try:
        shipped = client.scatter(judge, broadcast=True)
        futures = client.map(
            judge_partition, [folder] * len(names), names, judge=shipped, findings_out=out,
            as_of=as_of, pure=False,
        )  # fmt: skip
        results: list[PartitionResult] = client.gather(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return results


def _spark_task(judge_bc: Any, folder: str, out: str, as_of: str | None) -> Any:
    """The function Spark runs per task (``RDD.mapPartitions``): partition names in, results out."""

    def run(names: Iterable[str]) -> Iterator[tuple[str, int, str | None]]:
        judge = judge_bc.value
        for name in names:
            r = judge_partition(folder, name, judge, out, as_of)
            yield (r.name, r.rows, r.error)

    return run


def _run_spark(
    folder: str, names: list[str], judge: Judge, out: str, as_of: str | None, master: str | None
) -> list[PartitionResult]:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ConfigError(f"The spark engine needs pyspark: {SCALE_EXTRA}.") from None
    if shutil.which("java") is None and "JAVA_HOME" not in os.environ:
        raise ConfigError(
            "The spark engine needs Java 17 (e.g. apt-get install openjdk-17-jre-headless)."
        )
    # the executors' Python is this one unless the cluster says otherwise
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = SparkSession.getActiveSession()
    own = spark is None or (master is not None and spark.sparkContext.master != master)
    if own:
        spark = (
            SparkSession.builder.master(master or "local[2]")
            .appName("ceasefire evaluate")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")  # stderr stays for messages
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")
    assert spark is not None
    try:
        context = spark.sparkContext
        shipped = context.broadcast(judge)
        # one Spark partition per Parquet partition; RDD.mapPartitions rather than a DataFrame's
        # mapInArrow, which goes through pandas_udf and so needs pandas on every executor
        task = _spark_task(shipped, folder, out, as_of)
        rows = context.parallelize(names, len(names)).mapPartitions(task).collect()
        shipped.unpersist()
    finally:
        if own:
            spark.stop()
    return [PartitionResult(name, rows_, error) for name, rows_, error in rows]


# -- the findings folder ------------------------------------------------------------------------
def _finding_rows(path: Path, batch_rows: int) -> Iterator[tuple[str, str]]:
    import pyarrow.parquet as pq

    reader = pq.ParquetFile(path)
    for batch in reader.iter_batches(batch_size=batch_rows, columns=["incident", "body"]):
        yield from zip(batch.column(0).to_pylist(), batch.column(1).to_pylist(), strict=True)


def finding_lines(findings_out: Path, names: Iterable[str] | None = None) -> Iterator[str]:
    """Every finding's JSON line (as ``evaluate --format jsonl`` prints it), in incident key order:
    the partitions' sorted files merged as a stream, one batch of each open at a time (about
    :data:`MERGE_ROWS` rows held in all, however many files).  Equal keys in two partitions come
    in partition order.  ``names``: the partitions (else every ``*.parquet`` file in the folder,
    in path order)."""
    out = Path(findings_out)
    if names is None:
        names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.parquet"))
    names = list(names)
    batch_rows = max(16, min(BATCH_ROWS, MERGE_ROWS // max(1, len(names))))
    streams = [_finding_rows(out / n, batch_rows) for n in names]
    for _, body in heapq.merge(*streams, key=lambda row: row[0]):
        yield body


def read_findings(findings_out: Path) -> Iterator[dict[str, Any]]:
    """The findings written to ``findings_out`` (as ``Finding.to_json`` gives them), in incident
    key order."""
    for line in finding_lines(findings_out):
        yield json.loads(line)
