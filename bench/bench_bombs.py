"""Hostile inputs that once ran for minutes or to MemoryError: each must end in a located error.

Every bomb is built in a temporary folder and fed to the reader that meets it in real use; the
answer must name the file (or document) and where in it.  Each runs in a fresh process, so its
peak memory (the child's own high-water mark since exec, VmHWM) is its own; the baseline, measured
in the same run, is the same process doing nothing but importing the readers.

    .venv/bin/python -m bench.bench_bombs [--only NAME …]

tests/test_bounds.py runs each bomb this way and holds it to 10 s and 500 MB.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Damascus")
WORDS = "the ceasefire held in aleppo where shelling was reported by monitors today. "


def _alias_bomb(levels: int = 9, width: int = 9) -> str:
    """YAML whose aliases expand to ``width ** levels`` values (387 million here)."""
    lines = [f"l0: &l0 [{', '.join(['x'] * width)}]"]
    for n in range(1, levels):
        lines.append(f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def _answers(items: object) -> str:
    return "\n".join(str(p) for p in items)  # type: ignore[attr-defined]


def _refusal(read: Callable[[], object]) -> str:
    """The message of the error ``read`` raises as it should ("(accepted)" if it raises none)."""
    from ceasefire.errors import CeasefireError

    try:
        read()
    except CeasefireError as exc:
        return str(exc)
    return "(accepted)"


# -- each bomb: build(tmp) → the file; run(file) → the located answer ---------------------------
def build_agreement_alias(tmp: Path) -> Path:
    path = tmp / "bomb.yaml"
    path.write_text("schema_version: 2\n" + _alias_bomb() + "agreement: *l8\n", encoding="utf-8")
    return path


def build_agreement_nested(tmp: Path) -> Path:
    path = tmp / "deep.yaml"
    path.write_text("schema_version: 2\nagreement: " + "[" * 100_000 + "]" * 100_000 + "\n",
                    encoding="utf-8")  # fmt: skip
    return path


def build_agreement_zone_vertices(tmp: Path) -> Path:
    """The bundled Idlib agreement with its contact line redrawn with a million vertices."""
    from ceasefire.agreements.loader import bundled_agreement_path

    source = bundled_agreement_path("syria-2018-09")
    (tmp / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    coords = ",".join(f"[{36 + (n % 1000) / 1e4:.4f},{35 + n / 1e7:.5f}]" for n in range(1_000_000))
    (tmp / "syria-2018-09.zones.geojson").write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":'
        '"idlib_contact_line"},"geometry":{"type":"LineString","coordinates":[' + coords + "]}}]}",
        encoding="utf-8",
    )
    return tmp / source.name


def run_agreement(path: Path) -> str:
    from ceasefire.agreements.loader import check_agreement

    return _answers(check_agreement(str(path)))


def build_pipeline_alias(tmp: Path) -> Path:
    path = tmp / "news.yaml"
    path.write_text(_alias_bomb() + "pipeline:\n  - stage: ceasefire.clean.v1\n    args: {x: *l8}\n",
                    encoding="utf-8")  # fmt: skip
    return path


def run_pipeline_config(path: Path) -> str:
    from ceasefire.pipeline.runner import PipelineConfig

    return _refusal(lambda: PipelineConfig.from_file(path))


def build_control_geojson_vertices(tmp: Path) -> Path:
    """One control area drawn with a million vertices (a zigzag, 15 MB of JSON)."""
    n = 1_000_000
    ring = ",".join(f"[{36 + (k % 10_000) / 1e4:.4f},{36 + k % 2}]" for k in range(n - 1))
    path = tmp / "million.geojson"
    path.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"area_id":"A1",'
        '"status":"held","actors":"SYR_GOV","valid_from":"2016-09-12","sources":"S1"},'
        '"geometry":{"type":"Polygon","coordinates":[[' + ring + ",[36.0,36.0]]]}}]}",
        encoding="utf-8",
    )
    return path


def build_control_geojson_gzip(tmp: Path, megabytes: int = 1000) -> Path:
    """A GeoJSON FeatureCollection padded with a gigabyte of spaces: about 1 MB gzipped."""
    path = tmp / "bomb.geojson.gz"
    chunk = b" " * 1_000_000
    with gzip.open(path, "wb", compresslevel=1) as fh:
        fh.write(b'{"type": "FeatureCollection", "features": []')
        for _ in range(megabytes):
            fh.write(chunk)
        fh.write(b"}")
    return path


def run_control_geojson(path: Path) -> str:
    from ceasefire.geo.control import import_geojson

    found: list[str] = []
    message = _refusal(lambda: found.append(_answers(import_geojson(path).problems)))
    return found[0] if found else message


def build_control_csv_rows(tmp: Path) -> Path:
    path = tmp / "rows.csv"
    row = "A{n},held,SYR_GOV,S1,2016-09-12,,36.2,37.1\n"
    path.write_text("area_id,status,actors,sources,valid_from,valid_to,lat,lon\n"
                    + "".join(row.format(n=n) for n in range(300_000)), encoding="utf-8")  # fmt: skip
    return path


def run_control_csv(path: Path) -> str:
    from ceasefire.geo.control import import_csv

    return _refusal(lambda: import_csv(path))


def build_news_html_links(tmp: Path) -> Path:
    path = tmp / "links.html"
    path.write_text("<html><body>" + "".join(f"<a href='/x{i}'>link {i}</a> " for i in range(40_000))
                    + "</body></html>", encoding="utf-8")  # fmt: skip
    return path


def build_news_html_paragraphs(tmp: Path) -> Path:
    path = tmp / "paragraphs.html"
    path.write_text("<html><body>" + "".join(f"<p>{WORDS * 3} {i}</p>" for i in range(4000))
                    + "</body></html>", encoding="utf-8")  # fmt: skip
    return path


def build_news_jsonl_nested(tmp: Path) -> Path:
    path = tmp / "deep.jsonl"
    path.write_text(
        '{"id": "a", "text": ' + "[" * 100_000 + "]" * 100_000 + "}\n", encoding="utf-8"
    )
    return path


def run_news(path: Path) -> str:
    """Read the file as news, then clean what was read: the problems and quarantine flags."""
    from ceasefire.intake.news import read_news
    from ceasefire.pipeline.clean import clean_documents
    from ceasefire.pipeline.registry import StageContext

    batch = read_news([path], TZ, source="bench", published="2016-09-14")
    out = clean_documents(batch.documents, StageContext(resources={}, args={}))
    return "\n".join([*(str(p) for p in batch.problems),
                      *(f"{d.id}: {f}" for d in out for f in d.flags)])  # fmt: skip


BOMBS: dict[str, tuple[Callable[[Path], Path], Callable[[Path], str]]] = {
    "agreement_alias": (build_agreement_alias, run_agreement),
    "agreement_nested": (build_agreement_nested, run_agreement),
    "agreement_zone_vertices": (build_agreement_zone_vertices, run_agreement),
    "pipeline_alias": (build_pipeline_alias, run_pipeline_config),
    "control_geojson_vertices": (build_control_geojson_vertices, run_control_geojson),
    "control_geojson_gzip": (build_control_geojson_gzip, run_control_geojson),
    "control_csv_rows": (build_control_csv_rows, run_control_csv),
    "news_html_links": (build_news_html_links, run_news),
    "news_html_paragraphs": (build_news_html_paragraphs, run_news),
    "news_jsonl_nested": (build_news_jsonl_nested, run_news),
}


GZIP_MB = 1000  # the gzip bomb's size once decompressed (--gzip-mb)


def run_one(name: str, gzip_mb: int = GZIP_MB) -> dict[str, object]:
    """Run one bomb in this process: its answer and seconds (building the input not counted)."""
    import ceasefire.agreements.loader
    import ceasefire.geo.control
    import ceasefire.intake.news
    import ceasefire.pipeline.clean
    import ceasefire.pipeline.runner  # noqa: F401 - the readers' imports: the baseline

    if name == "baseline":
        return {"bomb": name, "seconds": 0.0, "answer": ""}
    build, run = BOMBS[name]
    with tempfile.TemporaryDirectory() as folder:
        if build is build_control_geojson_gzip:
            path = build_control_geojson_gzip(Path(folder), gzip_mb)
        else:
            path = build(Path(folder))
        if name.startswith("news_html"):
            import trafilatura  # noqa: F401 - imported once, not timed (0.5 s)
        t0 = time.perf_counter()
        answer = run(path)
        seconds = time.perf_counter() - t0
    return {"bomb": name, "seconds": round(seconds, 2), "answer": answer[:2000]}


def run_in_child(name: str, gzip_mb: int = GZIP_MB) -> dict[str, object]:
    """Run one bomb in a fresh process: its answer, seconds and peak resident memory (MB)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.bench_bombs", "--child", name, "--gzip-mb", str(gzip_mb)],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parent.parent,
    )  # fmt: skip
    assert proc.stdout is not None
    with proc.stdout:
        out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"bomb {name} ended with exit code {proc.returncode}")
    result: dict[str, object] = json.loads(out)
    own = result.pop("own_peak_mb", None)
    # the child's own high-water mark: wait4's ru_maxrss also holds the parent's resident size
    # at the fork (Linux keeps the pre-exec peak), which a large parent (a test run) inflates
    result["peak_mb"] = own if own is not None else round(usage.ru_maxrss / 1024, 1)
    return result


def _own_peak_mb() -> float | None:
    """This process's peak resident memory since exec (VmHWM), in MB; None without /proc."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", nargs="*", choices=sorted(BOMBS), default=sorted(BOMBS))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--gzip-mb", type=int, default=GZIP_MB)
    args = parser.parse_args()
    if args.child:
        print(json.dumps({**run_one(args.child, args.gzip_mb), "own_peak_mb": _own_peak_mb()}))
        return 0
    base = run_in_child("baseline")
    print(f"baseline (the readers imported): {base['peak_mb']} MB peak")
    for name in args.only:
        r = run_in_child(name, args.gzip_mb)
        first = str(r["answer"]).splitlines()[0] if r["answer"] else "(no answer)"
        print(f"{name}: {r['seconds']} s, peak {r['peak_mb']} MB "
              f"({float(str(r['peak_mb'])) / float(str(base['peak_mb'])):.1f} × baseline)\n    {first[:300]}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
