"""`evaluate --engine local|dask|spark`: month partitions judged in process, on a Dask cluster and
on a Spark session give the very bytes of judging everything at once (issue 15, "beyond one
machine").  One Dask LocalCluster (2 worker processes) and one local[2] Spark session serve the
whole module."""

from __future__ import annotations

import csv
import gzip
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from ceasefire.agreements.loader import bundled_names, load_agreement
from ceasefire.cli import cli
from ceasefire.compliance.judge import Judge
from ceasefire.engines import (
    FINDINGS_MARKER,
    evaluate_partitions,
    finding_lines,
    partitions,
    read_findings,
)
from ceasefire.errors import CeasefireError, IntakeError
from ceasefire.export.parquet import PARQUET_COLUMNS, write_partitions
from ceasefire.geo.control import load_aleppo_2016
from ceasefire.intake.ucdp import parse_ucdp
from ceasefire.model.incidents import Incident
from tests.conftest import STORELESS, TZ, UCDP_FULL, UCDP_SEPT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stored() -> list[Incident]:
    """The 16,566 UCDP GED Syria events of 2016–2019 in their stored form (a workspace keeps
    instants in UTC, and judges what it reads back)."""
    batch = parse_ucdp(UCDP_FULL, TZ)
    assert not batch.problems
    return [Incident.from_json(json.loads(json.dumps(i.to_json()))) for i in batch.records]


@pytest.fixture(scope="module")
def folder(stored: list[Incident], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("parts") / "incidents"
    write_partitions(stored, out)
    return out


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    from distributed import LocalCluster

    from ceasefire.engines import LOCAL_SCHEDULER

    cluster = LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                           dashboard_address=None, scheduler_kwargs=LOCAL_SCHEDULER)  # fmt: skip
    yield str(cluster.scheduler_address)
    cluster.close()


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _lines(judge: Judge, incidents: list[Incident]) -> list[str]:
    """What `evaluate --format jsonl` prints: every finding judged at once, in key order."""
    found = sorted(judge.findings(incidents), key=lambda f: f.incident)
    return [json.dumps(f.to_json(), sort_keys=True, ensure_ascii=False) for f in found]


@STORELESS
def test_partitions_are_the_months_of_the_events_first_days(folder: Path) -> None:
    # the months of UCDP's own date_start column (the first local day), counted from the CSV
    with gzip.open(UCDP_FULL, "rt", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    expected: dict[str, set[str]] = {}
    for row in rows:
        expected.setdefault(row["date_start"][:7], set()).add(f"ucdp:{row['id']}")
    names = partitions(folder)
    assert names == [f"month={m}/part-00000.parquet" for m in sorted(expected)]
    assert len(rows) == 16566
    for name in names:
        table = pq.read_table(folder / name)
        assert table.schema.names == list(PARQUET_COLUMNS)
        keys = table.column("key").to_pylist()
        assert keys == sorted(expected[name[6:13]])


@STORELESS
@pytest.mark.parametrize("name", bundled_names())
def test_every_engine_gives_the_bytes_of_judging_all_at_once(
    name: str, stored: list[Incident], folder: Path, scheduler: str, spark: Any, tmp_path: Path
) -> None:
    agreement = load_agreement(name)
    expected = _lines(Judge(agreement, load_aleppo_2016()), stored)
    assert len(expected) == 16566
    outputs = {}
    for engine in ("local", "dask", "spark"):
        out = tmp_path / engine
        results = evaluate_partitions(
            folder, Judge(load_agreement(name), load_aleppo_2016()), engine, out,
            scheduler=scheduler, master="local[2]",
        )  # fmt: skip
        assert sum(r.rows for r in results) == 16566
        outputs[engine] = "\n".join(finding_lines(out, [r.name for r in results]))
    assert outputs["local"] == "\n".join(expected)
    assert outputs["dask"] == outputs["local"]
    assert outputs["spark"] == outputs["local"]


@pytest.fixture(scope="module")
def small(stored: list[Incident], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """September and October 2016 only, for the tests that need a folder but not 16,566 events."""
    out = tmp_path_factory.mktemp("small") / "incidents"
    months = ("2016-09", "2016-10")
    write_partitions(
        [i for i in stored if i.window.start.astimezone(TZ).strftime("%Y-%m") in months], out
    )
    return out


@STORELESS
def test_findings_parquet_reads_back_as_the_findings(
    stored: list[Incident], small: Path, tmp_path: Path
) -> None:
    months = ("2016-09", "2016-10")
    chosen = [i for i in stored if i.window.start.astimezone(TZ).strftime("%Y-%m") in months]
    agreement = load_agreement("syria-2016-09")
    findings = sorted(
        Judge(agreement, load_aleppo_2016()).findings(chosen), key=lambda f: f.incident
    )
    out = tmp_path / "findings"
    evaluate_partitions(small, Judge(agreement, load_aleppo_2016()), "local", out)
    assert list(read_findings(out)) == [f.to_json() for f in findings]
    # one file per input partition, its columns typed for a data frame
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.parquet")) == [
        "month=2016-09/part-00000.parquet", "month=2016-10/part-00000.parquet",
    ]  # fmt: skip
    table = pq.read_table(out / "month=2016-09" / "part-00000.parquet")
    assert table.schema.names == ["incident", "qualification", "codes", "body"]
    rows = table.to_pylist()
    sept = [i for i in chosen if i.window.start.astimezone(TZ).month == 9]
    assert [r["incident"] for r in rows] == sorted(i.key for i in sept)
    by_key = {f.incident: f for f in findings}
    # UCDP 227762 (Tall Dhahab, 14 Sept 2016): undetermined, as tests/test_parquet.py has it
    row = next(r for r in rows if r["incident"] == "ucdp:227762")
    assert (row["qualification"], row["codes"]) == ("undetermined", ["ATK.UNSPEC", "UNDET.COVERAGE_UNKNOWN"])  # fmt: skip
    for r in rows:
        assert r["qualification"] == by_key[r["incident"]].qualification
        assert r["codes"] == list(by_key[r["incident"]].codes)
        assert json.loads(r["body"]) == by_key[r["incident"]].to_json()
    # a second run replaces the folder it wrote
    evaluate_partitions(small, Judge(agreement, load_aleppo_2016()), "local", out)
    assert (out / FINDINGS_MARKER).is_file()


def _run(args: list[str]) -> Any:
    result = CliRunner().invoke(cli, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def test_cli_engines_print_what_evaluate_prints(tmp_path: Path, scheduler: str, spark: Any) -> None:
    ws = str(tmp_path / "ws")
    assert _run(["--workspace", ws, "import", "ucdp", str(UCDP_SEPT)]).exit_code == 0
    base = ["--workspace", ws, "evaluate", "--agreement", "syria-2016-09", "--format", "jsonl"]
    today = _run(base)
    assert today.exit_code == 0
    assert len(today.stdout.splitlines()) == 313
    for extra in (
        ["--engine", "local"],
        ["--engine", "dask", "--scheduler", scheduler],
        ["--engine", "spark"],  # the running local[2] session
    ):
        result = _run([*base, *extra])
        assert result.exit_code == 0, result.output
        assert result.stdout == today.stdout, extra
    # the workspace exported as month partitions, judged from the folder (bundled control map)
    parts = tmp_path / "parts"
    exported = _run(["--workspace", ws, "export", "parquet", "--partition-by", "month",
                     "--output", str(parts)])  # fmt: skip
    assert exported.exit_code == 0, exported.output
    findings = tmp_path / "findings"
    from_folder = _run(["evaluate", "--agreement", "syria-2016-09", "--format", "jsonl",
                        "--input", str(parts), "--engine", "dask", "--scheduler", scheduler,
                        "--findings-out", str(findings)])  # fmt: skip
    assert from_folder.exit_code == 0, from_folder.output
    assert from_folder.stdout == today.stdout
    assert "\n".join(finding_lines(findings)) + "\n" == today.stdout
    # text and json: the same as without an engine too
    for fmt in ("text", "json"):
        plain = _run([*base[:-1], fmt])
        assert _run([*base[:-1], fmt, "--engine", "local"]).output == plain.output


def test_partition_export_is_stable_and_refuses_other_folders(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    assert _run(["--workspace", ws, "import", "ucdp", str(UCDP_SEPT)]).exit_code == 0
    export = ["--workspace", ws, "export", "parquet", "--partition-by", "month", "--output"]
    one, two = tmp_path / "one", tmp_path / "two"
    assert _run([*export, str(one)]).exit_code == 0
    assert _run([*export, str(two)]).exit_code == 0
    part = "month=2016-09/part-00000.parquet"
    assert sorted(p.relative_to(one).as_posix() for p in one.rglob("*") if p.is_file()) == [part]
    assert (one / part).read_bytes() == (two / part).read_bytes()
    # UCDP_SEPT covers 5–26 Sept 2016: one month, its 313 events
    assert pq.read_table(one / part).num_rows == 313
    # written again over a folder it wrote: a stale month does not linger
    stale = one / "month=2015-01"
    stale.mkdir()
    (stale / "part-00000.parquet").write_bytes((one / part).read_bytes())
    assert _run([*export, str(one)]).exit_code == 0
    assert not stale.exists()
    # a month split into files of at most 100 rows (313 = 100 + 100 + 100 + 13), in key order;
    # judged from the folder, the same lines as the workspace's evaluate
    split = tmp_path / "split"
    assert _run([*export, str(split), "--rows-per-file", "100"]).exit_code == 0
    files = partitions(split)
    assert files == [f"month=2016-09/part-0000{n}.parquet" for n in range(4)]
    keys = [k for f in files for k in pq.read_table(split / f).column("key").to_pylist()]
    assert [len(pq.read_table(split / f)) for f in files] == [100, 100, 100, 13]
    assert keys == sorted(keys)
    evaluate = ["evaluate", "--agreement", "syria-2016-09", "--format", "jsonl"]
    today = _run(["--workspace", ws, *evaluate])
    assert _run([*evaluate, "--input", str(split)]).stdout == today.stdout
    # anything else is refused and left as it was
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine\n")
    refused = _run([*export, str(other)])
    assert refused.exit_code != 0
    assert f"error: {other}: is not empty and not a partition folder" in refused.output
    assert [p.name for p in other.iterdir()] == ["notes.txt"]


def _bad_body(folder: Path, dest: Path) -> Path:
    """A copy of the partition folder whose fifth row of September 2016 has a window start that
    is no date."""
    for name in partitions(folder):
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        (dest / name).write_bytes((folder / name).read_bytes())
    path = dest / "month=2016-09" / "part-00000.parquet"
    table = pq.read_table(path)
    bodies = table.column("body").to_pylist()
    body = json.loads(bodies[4])
    body["window"]["start"] = "yesterday"
    bodies[4] = json.dumps(body)
    index = table.schema.get_field_index("body")
    pq.write_table(table.set_column(index, "body", pa.array(bodies, pa.string())), path)
    return path


def test_hostile_input_is_a_located_error(small: Path, tmp_path: Path, scheduler: str) -> None:
    folder = small
    evaluate = ["evaluate", "--agreement", "syria-2016-09", "--format", "jsonl", "--input"]
    a_file = tmp_path / "incidents.parquet"
    a_file.write_bytes((folder / partitions(folder)[0]).read_bytes())
    not_parquet = tmp_path / "notes"
    (not_parquet / "month=2016-09").mkdir(parents=True)
    (not_parquet / "month=2016-09" / "readme.txt").write_text("not data\n")
    fake = tmp_path / "fake"
    (fake / "month=2016-09").mkdir(parents=True)
    (fake / "month=2016-09" / "part-00000.parquet").write_text("id,date\n1,2016-09-14\n")
    bad = _bad_body(folder, tmp_path / "bad")
    cases = [
        ([str(a_file)], f"{a_file}: is a file"),
        ([str(not_parquet)], f"{not_parquet / 'month=2016-09' / 'readme.txt'}: not a Parquet"),
        ([str(fake)], f"{fake / 'month=2016-09' / 'part-00000.parquet'}: not a readable Parquet"),
        ([str(bad.parent.parent)], f"{bad}:5: body.window.start:"),
        ([str(bad.parent.parent), "--engine", "dask", "--scheduler", scheduler],
         f"{bad}:5: body.window.start:"),
    ]  # fmt: skip
    findings = tmp_path / "findings"
    # kept from a good run under another agreement, so a half-written failed run would show
    kept = _run([*evaluate, str(folder), "--findings-out", str(findings), "--agreement", "syria-2016-02"])  # fmt: skip
    assert kept.exit_code == 0
    before = {p: p.read_bytes() for p in findings.rglob("*") if p.is_file()}
    for args, located in cases:
        result = _run([*evaluate, *args, "--findings-out", str(findings)])
        assert result.exit_code != 0, args
        assert result.stdout == ""
        assert f"error: {located}" in result.output, result.output
        assert "Traceback" not in result.output
        # nothing changed: the findings of the last good run are as they were
        assert {p: p.read_bytes() for p in findings.rglob("*") if p.is_file()} == before
    with pytest.raises(IntakeError, match=r"part-00000\.parquet:5: body\.window\.start"):
        evaluate_partitions(bad.parent.parent, Judge(load_agreement("syria-2016-09")), "local",
                            tmp_path / "elsewhere")  # fmt: skip


def test_a_missing_engine_names_the_extra(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    judge = Judge(load_agreement("syria-2016-09"))
    for engine in ("dask", "spark"):
        with pytest.raises(CeasefireError, match=r"pip install 'ceasefire\[scale\]'"):
            evaluate_partitions(folder, judge, engine, tmp_path / engine)
        assert not (tmp_path / engine).exists()


def test_input_folder_carries_the_changes_of_control_its_events_report(tmp_path: Path) -> None:
    """Synthetic ACLED rows (written for this test): the army regains Haydariyeh (N0122) on 22 Nov
    2016, and shelling hits the same spot on 25 Nov.  The bundled map says insurgents held it on
    15 Nov; judged from an exported folder, the shelling's ground is the army's, as in the
    workspace it came from."""
    from ceasefire.geo.control import packaged_areas
    from ceasefire.intake.acled import ACLED_COLUMNS

    _, geometry = packaged_areas("neighbourhood")["N0122"]
    point = geometry.representative_point()
    base = dict.fromkeys(ACLED_COLUMNS, "")
    base.update({
        "year": "2016", "time_precision": "1", "disorder_type": "Political violence",
        "actor1": "Military Forces of Syria (2000-)", "country": "Syria", "admin1": "Aleppo",
        "location": "Aleppo - Haydariyeh", "latitude": f"{point.y:.6f}",
        "longitude": f"{point.x:.6f}", "geo_precision": "1", "source": "test source",
        "fatalities": "0",
    })  # fmt: skip
    rows = [
        {**base, "event_id_cnty": "SYRTEST1", "event_date": "2016-11-22", "event_type": "Battles",
         "sub_event_type": "Government regains territory"},
        {**base, "event_id_cnty": "SYRTEST2", "event_date": "2016-11-25",
         "event_type": "Explosions/Remote violence",
         "sub_event_type": "Shelling/artillery/missile attack"},
    ]  # fmt: skip
    path = tmp_path / "acled.csv"
    path.write_text(
        "\n".join(",".join(r[c] for c in ACLED_COLUMNS) for r in [dict(zip(ACLED_COLUMNS, ACLED_COLUMNS, strict=True)), *rows]) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    ws = str(tmp_path / "ws")
    assert _run(["--workspace", ws, "import", "acled", str(path)]).exit_code == 0
    evaluate = ["evaluate", "--agreement", "syria-2016-09", "--format", "jsonl"]
    today = _run(["--workspace", ws, *evaluate])
    parts = tmp_path / "parts"
    assert _run(["--workspace", ws, "export", "parquet", "--partition-by", "month",
                 "--output", str(parts)]).exit_code == 0  # fmt: skip
    from_folder = _run([*evaluate, "--input", str(parts)])
    assert from_folder.exit_code == 0, from_folder.output
    assert from_folder.stdout == today.stdout
    shelling = json.loads(from_folder.stdout.splitlines()[1])
    assert shelling["incident"] == "acled:SYRTEST2"
    assert shelling["control"]["at_coded_point"]["actors"] == ["SYR_GOV"]
    assert "acled:SYRTEST1" in shelling["control"]["sources"]
