"""Fuzzing the parsers with hypothesis: agreement YAML, control GeoJSON and CSV, news text/HTML
and news JSON lines — and the readers downstream of what each accepts.

An input is a seed (the bundled agreements and small inline ones, control layers and news made
from ``../shared/data``) changed by a few drawn edits: structure-aware ones on the parsed seed
(a value replaced by a hostile one — ``.inf``, ``017``, ``2016-02-30``, year 1, 5,000 digits, a
list where a number belongs —, a key or an item dropped, a value moved to another place) and
byte-level ones on the text (a token inserted, a span dropped or cut short).  A target raises only
on a bug: an exception other than the reader's documented error, a problem without its place, a
result the next reader cannot read.  What the agreement reader accepts is judged on real
incidents and turned into a daily report; what the control readers accept is stored and read
back as the store does, asked who held places, and rendered as the API renders it; what the news
reader accepts is cleaned.

    .venv/bin/python -m bench.fuzz --minutes N [--parser NAME …] [--crashes DIR]

runs each parser in turn for its share of N minutes (hypothesis, random seeds, shrinking on a
failure) and records executions and distinct crashes per parser; tests/test_fuzz.py is the short
run CI makes (10,000 executions per parser).  Intake's parsers (UCDP and ACLED CSV, report and
humanitarian JSON lines, POST /reports bodies) have their harnesses in tests/fuzzing.py; this
command runs them too (bench/fuzz_intake.py), and tests/test_fuzz_intake.py is their short run.
"""

from __future__ import annotations

import argparse
import copy
import csv
import gzip
import hashlib
import io
import json
import math
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
TZ = ZoneInfo("Asia/Damascus")
_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

# values that broke readers before (issue 13) or sit on an edge
HOSTILE: tuple[Any, ...] = (
    None, True, False, 0, -1, 1, 2**63, -(2**63), 10**30, 1e308, -1e308, math.inf, -math.inf,
    math.nan, 0.5, "", " ", "x" * 5000, "7" * 5000, "2016-02-30", "0001-01-01", "9999-12-31",
    "2016-09-12T19:00", "2016-09-12T19:00+14:00", "0001-01-01T00:00+14:00", "9999-12-31T23:59-12:00",
    "24:00", "25:61", "017", ".inf", "-.nan", "1e999", "P1D", "P-1D", "P1000000Y", "PT0S",
    "SYR_GOV", "RUS", "cessation", "SY07", "N0119", "held", "contested", "../../etc/passwd",
    "\u202e\u0000", "=HYPERLINK(\"x\")", [], {}, [None], [1], ["a", "b"], {"x": 1}, {"": None},
)  # fmt: skip
TOKENS: tuple[bytes, ...] = (
    b"&a ", b"*a", b"\x00", b"\xff\xfe", b"{", b"}", b"[", b"]", b"\n", b"\t", b": ", b"- ",
    b"!!python/object/apply:os.system ['true']", b".inf", b"017", b"2016-02-30", b"'", b'"',
    b"99999999999999999999999", b"-1", b"~", b"#", b",", b";", b"\r\n", b"<p>", b"</div>",
    b"<script>", b"<!--", b"<![CDATA[", b"&amp;", b"&#0;", b"<article>", b"<br/>", b"\xe2\x80\xae",
    b"NaN", b"1e400", b"[[[[[[[[", b"]]]]", b'{"', b"\\u0000",
)  # fmt: skip


# -- edits ------------------------------------------------------------------------------------
def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            out.extend(_paths(value, (*prefix, key)))
    elif isinstance(doc, list):
        for n, value in enumerate(doc):
            out.extend(_paths(value, (*prefix, n)))
    return out


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    _get(doc, path[:-1])[path[-1]] = value
    return doc


def edit_tree(doc: Any, ops: list[tuple[int, int, int]]) -> Any:
    """Apply drawn edits (kind, where, what) to a copy of a parsed document."""
    doc = copy.deepcopy(doc)
    for kind, where, what in ops:
        paths = _paths(doc)
        path = paths[where % len(paths)]
        parent: Any = _get(doc, path[:-1]) if path else None
        if kind % 6 == 0 or not path:  # a hostile value
            doc = _set(doc, path, copy.deepcopy(HOSTILE[what % len(HOSTILE)]))
        elif kind % 6 == 1:  # drop it
            del parent[path[-1]]
        elif kind % 6 == 2:  # a value from elsewhere in the document
            doc = _set(doc, path, copy.deepcopy(_get(doc, paths[what % len(paths)])))
        elif kind % 6 == 3 and isinstance(parent, list):  # the item twice
            parent.insert(path[-1], copy.deepcopy(parent[path[-1]]))
        elif kind % 6 == 4 and isinstance(parent, dict):  # under another key
            parent[f"{path[-1]}{what % 3 or ''}x"] = parent.pop(path[-1])
        else:  # wrapped in a list
            doc = _set(doc, path, [_get(doc, path)])
    return doc


def edit_bytes(data: bytes, edits: list[tuple[int, int, int]]) -> bytes:
    """Apply drawn byte edits (where, token, kind): insert, replace, drop a span, cut short."""
    for where, token, kind in edits:
        at = where % (len(data) + 1)
        piece = TOKENS[token % len(TOKENS)]
        if kind % 4 == 0:
            data = data[:at] + piece + data[at:]
        elif kind % 4 == 1:
            data = data[:at] + piece + data[at + len(piece) :]
        elif kind % 4 == 2:
            data = data[:at] + data[at + 1 + token % 64 :]
        else:
            data = data[:at]
    return data


@dataclass(frozen=True)
class Draw:
    """What hypothesis draws for one input: a seed, edits on its structure, edits on its bytes."""

    seed: int
    ops: list[tuple[int, int, int]]
    edits: list[tuple[int, int, int]]
    flag: int


_NUM = st.integers(0, 2**31)
DRAWS = st.builds(
    Draw,
    seed=_NUM,
    ops=st.lists(st.tuples(_NUM, _NUM, _NUM), max_size=4),
    edits=st.one_of(st.just([]), st.lists(st.tuples(_NUM, _NUM, _NUM), max_size=3)),
    flag=_NUM,
)


# -- seeds ------------------------------------------------------------------------------------
def _inline_agreements() -> list[str]:
    from tests.test_agreement_format import ASTANA_LIKE
    from tests.test_clock_any import OPEN_ENDED

    return [OPEN_ENDED, ASTANA_LIKE]


@cache
def agreement_seeds() -> tuple[list[Any], list[Any]]:
    """(small inline agreements, bundled agreements) as parsed documents."""
    from ceasefire.agreements.loader import bundled_agreement_path, bundled_names

    small = [yaml.safe_load(text) for text in _inline_agreements()]
    bundled = [yaml.safe_load(bundled_agreement_path(n).read_text(encoding="utf-8"))
               for n in bundled_names()]  # fmt: skip
    return small, bundled


@cache
def control_seed_rows() -> list[dict[str, str]]:
    """Analyst control rows made from the shared hand-labelled Aleppo table."""
    path = SHARED / "control" / "aleppo_neighbourhood_control_2016.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        table = list(csv.DictReader(fh))
    labels = {"government": ("held", "SYR_GOV"), "opposition": ("held", "SYR_INSURGENTS"),
              "kurdish": ("held", "YPG"), "contested": ("contested", ""), "unknown": ("unknown", "")}  # fmt: skip
    rows = []
    for n, row in enumerate(table[:12]):
        status, actors = labels[row["control_2016_09_19"]]
        out = {"area_id": row["pcode"], "status": status, "actors": actors,
               "sources": row["sources"], "valid_from": "2016-09-19", "valid_to": "2016-11-14",
               "confidence": row["confidence"], "name": row["name_en"], "lat": "", "lon": ""}  # fmt: skip
        if n % 3 == 0:  # a point statement
            out.update(area_id=f"P{n}", lat=f"{36.2 + n / 100:.4f}", lon=f"{37.1 + n / 100:.4f}")
        rows.append(out)
    return rows


@cache
def control_seed_layers() -> list[dict[str, Any]]:
    """GeoJSON layers: neighbourhood polygons (simplified) with the shared table's labels."""
    from shapely.geometry import mapping

    from ceasefire.geo.control import packaged_areas

    areas = packaged_areas("neighbourhood")
    features = []
    for row in control_seed_rows():
        if row["lat"]:
            geometry: dict[str, Any] = {"type": "Point",
                                        "coordinates": [float(row["lon"]), float(row["lat"])]}  # fmt: skip
        else:
            geometry = mapping(areas[row["area_id"]][1].simplify(0.001))
            geometry = json.loads(json.dumps(geometry))  # tuples → lists
        props = {k: v for k, v in row.items() if k not in ("lat", "lon")}
        features.append({"type": "Feature", "geometry": geometry, "properties": props})
    return [{"type": "FeatureCollection", "features": features[i : i + 3]} for i in range(0, 12, 3)]


@cache
def news_seeds() -> list[dict[str, Any]]:
    """News documents: FA-KES articles (text) and pieces of the benchmark pages (HTML)."""
    seeds: list[dict[str, Any]] = []
    csv.field_size_limit(10**7)
    with gzip.open(SHARED / "news" / "fa_kes_syrian_war_news.csv.gz", "rt", encoding="utf-8") as fh:
        for n, row in enumerate(csv.DictReader(fh)):
            if n >= 12:
                break
            seeds.append({"id": f"fakes-{row['unit_id']}", "source": row["source"] or "fakes",
                          "published": "2016-09-14", "title": row["article_title"],
                          "text": row["article_content"][:3000]})  # fmt: skip
    pages = sorted((SHARED / "news" / "html_extraction_benchmark" / "html").glob("*.html.gz"))
    for n, page in enumerate(pages[:12]):
        with gzip.open(page, "rt", encoding="utf-8", errors="replace") as fh:
            html = fh.read()
        body = html.find("<body")
        piece = html[max(0, body) : max(0, body) + 1500]
        seeds.append({"id": f"page-{n}", "source": "bench", "published": "2016-09-14T10:00+03:00",
                      "html": f"<html><head><title>Page {n}</title></head>{piece}</body></html>"})  # fmt: skip
    return seeds


# -- targets ----------------------------------------------------------------------------------
class FuzzBug(AssertionError):
    """A property of a reader's answer does not hold."""


@cache
def fuzz_incidents() -> list[Any]:
    """A few real incidents (UCDP, Sept 2016) the accepted agreements and control maps judge."""
    from ceasefire.intake.ucdp import parse_ucdp

    batch = parse_ucdp(SHARED / "events" / "ucdp_ged_syria_2016-09-05_to_2016-09-26.csv", TZ)
    return batch.records[::40][:8]


def make_agreement(draw: Draw) -> tuple[str, bytes]:
    small, bundled = agreement_seeds()
    # the bundled agreements are large (30 ms a parse): one input in twenty
    seed = (
        bundled[draw.seed % len(bundled)] if draw.flag % 20 == 0 else small[draw.seed % len(small)]
    )
    doc = edit_tree(seed, draw.ops)
    text = yaml.dump(doc, Dumper=_DUMPER, sort_keys=False, allow_unicode=True, width=1000)
    return "agreement.yaml", edit_bytes(text.encode("utf-8"), draw.edits)


def run_agreement(path: Path, downstream: bool) -> bool:
    from ceasefire.agreements.loader import check_agreement, load_agreement

    problems = check_agreement(str(path))
    for p in problems:
        if (
            p.line < 1
            or not p.field
            or not p.message
            or not str(p).startswith(f"{path}:{p.line}: ")
        ):
            raise FuzzBug(f"a problem without its place: {p!r}")
    if any(p.severity == "error" for p in problems):
        return False
    agreement = load_agreement(str(path))
    if downstream:
        from ceasefire.compliance.judge import Judge
        from ceasefire.reports import Replay, render_json

        incidents = fuzz_incidents()
        judge = Judge(agreement)
        judge.findings(incidents)
        day = agreement.first_start.astimezone(agreement.timezone).date()
        render_json(Replay(judge, incidents).report(day))
    return True


def _control_text(draw: Draw) -> bytes:
    layers = control_seed_layers()
    doc = edit_tree(layers[draw.seed % len(layers)], draw.ops)
    return json.dumps(doc).encode("utf-8")


def make_control_geojson(draw: Draw) -> tuple[str, bytes]:
    data = edit_bytes(_control_text(draw), draw.edits)
    if draw.flag % 8 == 0:  # gzipped, and sometimes the gzip itself damaged
        packed = gzip.compress(data, compresslevel=1)
        return "layer.geojson.gz", edit_bytes(
            packed, draw.edits[:1]
        ) if draw.flag % 16 == 0 else packed
    return "layer.geojson", data


def make_control_csv(draw: Draw) -> tuple[str, bytes]:
    rows = control_seed_rows()
    start = draw.seed % len(rows)
    table = edit_tree([dict(r) for r in rows[start : start + 4]], draw.ops)
    out = io.StringIO()
    fields = ["area_id", "status", "actors", "sources", "valid_from", "valid_to", "confidence",
              "name", "lat", "lon"]  # fmt: skip
    if draw.flag % 5 == 0:
        fields = fields[draw.flag % 7 :]  # columns missing
    writer = csv.DictWriter(out, fields, extrasaction="ignore", restval="")
    writer.writeheader()
    for row in table if isinstance(table, list) else [table]:
        writer.writerow(row if isinstance(row, dict) else {"area_id": row})
    return "layer.csv", edit_bytes(out.getvalue().encode("utf-8"), draw.edits)


def run_control(path: Path, downstream: bool) -> bool:
    from ceasefire.compliance.territory import control_at_incident
    from ceasefire.errors import IntakeError
    from ceasefire.geo.control import ControlMap, import_csv, import_geojson
    from ceasefire.geo.control_store import _body, _version

    try:
        result = import_csv(path) if path.suffix == ".csv" else import_geojson(path)
    except IntakeError:
        return False
    for p in result.problems:
        if not p.field or not p.message or not str(p.file) == str(path):
            raise FuzzBug(f"a problem without its place: {p!r}")
    if not result.versions:
        return False
    if downstream:
        # as the store keeps them (JSON), as every request reads them back
        stored = [_version(json.loads(json.dumps(_body(v)))) for v in result.versions]
        control = ControlMap(stored)
        days = {v.valid_from for v in stored} | {date(2016, 9, 20)}
        for day in sorted(days)[:3]:
            json.dumps(control.to_geojson(day), allow_nan=False)  # as the API renders it
            for v in stored[:3]:
                point = v.geometry.representative_point()
                control.at(point.y, point.x, day)
        for incident in fuzz_incidents():
            control_at_incident(control, incident, TZ)
    return True


def make_news_jsonl(draw: Draw) -> tuple[str, bytes]:
    seeds = news_seeds()
    lines = []
    for n in range(1 + draw.flag % 3):
        doc = dict(seeds[(draw.seed + n) % len(seeds)])
        doc["id"] = f"{doc['id']}-{n}"
        lines.append(json.dumps(edit_tree(doc, draw.ops if n == 0 else [])))
    return "news.jsonl", edit_bytes("\n".join(lines).encode("utf-8"), draw.edits)


def make_news_document(draw: Draw) -> tuple[str, bytes]:
    seed = news_seeds()[draw.seed % len(news_seeds())]
    body = str(seed.get("html") or seed.get("text"))
    data = edit_bytes(body.encode("utf-8"), draw.edits + [(x, y, z % 2) for x, y, z in draw.ops])
    return ("page.html" if "html" in seed else "story.txt"), data


def _check_cleaned(docs: list[Any]) -> None:
    from ceasefire.pipeline.clean import clean_documents
    from ceasefire.pipeline.registry import StageContext

    for doc in clean_documents(docs, StageContext(resources={}, args={})):
        last = 0
        for start, end in doc.sentences:
            if not (last <= start < end <= len(doc.text)):
                raise FuzzBug(f"{doc.id}: sentence span {(start, end)} outside the text")
            last = end
        if doc.dropped_chars < 0:
            raise FuzzBug(f"{doc.id}: negative dropped_chars")


def run_news(path: Path, downstream: bool) -> bool:
    from ceasefire.intake.news import read_news

    batch = read_news([path], TZ, source="fuzz", published="2016-09-14")
    for p in batch.problems:
        if p.line < 1 or not p.field:
            raise FuzzBug(f"a problem without its place: {p!r}")
    if not batch.documents:
        return False
    if downstream or path.suffix != ".jsonl":
        _check_cleaned(batch.documents)
    return True


# intake's parsers, fuzzed by tests/fuzzing.py's harnesses (records of UCDP/ACLED CSV, report and
# humanitarian JSON lines, POST /reports bodies)
INTAKE = ("ucdp", "acled", "reports", "humanitarian", "api_body")

TARGETS: dict[str, tuple[Callable[[Draw], tuple[str, bytes]], Callable[[Path, bool], bool]]] = {
    "agreement_yaml": (make_agreement, run_agreement),
    "control_geojson": (make_control_geojson, run_control),
    "control_csv": (make_control_csv, run_control),
    "news_jsonl": (make_news_jsonl, run_news),
    "news_clean": (make_news_document, run_news),
}


@dataclass
class Tally:
    executions: int = 0
    accepted: int = 0
    downstream: int = 0  # accepted inputs also read downstream
    downstream_budget: int | None = None  # at most this many (None: every accepted input)
    downstream_every: int = 1  # the long run may read 1 accepted input in N downstream
    # input digest → whether it went downstream: a replay (hypothesis re-runs a failing input to
    # confirm and shrink it) takes the same path, so a downstream crash is reported, not "flaky"
    decided: dict[bytes, bool] = field(default_factory=dict)


def execute(name: str, draw: Draw, folder: Path, tally: Tally) -> None:
    """Make one input for ``name``, run its reader (and the downstream ones): raises on a bug."""
    make, run = TARGETS[name]
    file_name, content = make(draw)
    path = folder / file_name
    path.write_bytes(content)
    tally.executions += 1
    budget = tally.downstream_budget
    digest = hashlib.blake2b(content, digest_size=8).digest()
    downstream = tally.decided.get(digest)
    if downstream is None:  # 1 input in N by its content, not by a counter: the same on replay
        downstream = (budget is None or tally.downstream < budget) and (
            int.from_bytes(digest[:4], "big") % tally.downstream_every == 0
        )
        if len(tally.decided) >= 100_000:
            tally.decided.clear()
        tally.decided[digest] = downstream
    if run(path, downstream):
        tally.accepted += 1
        tally.downstream += downstream


def scratch_folder() -> tempfile.TemporaryDirectory[str]:
    """Where inputs are written: memory (/dev/shm) when there is one (a file there costs 0.1 ms,
    1 ms on a busy disk)."""
    shm = Path("/dev/shm")
    return tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else None)


def property_test(name: str, folder: Path, tally: Tally, examples: int) -> Callable[[], None]:
    """The hypothesis test for one parser (random seeds, no example database, no deadline)."""

    @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck), phases=(Phase.generate, Phase.shrink))  # fmt: skip
    @given(draw=DRAWS)
    def test(draw: Draw) -> None:
        execute(name, draw, folder, tally)

    return test


def _signature(exc: BaseException) -> str:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:  # hypothesis' FlakyFailure
        exc = exc.exceptions[0]
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/ceasefire/" in f.filename]
    where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
    return f"{type(exc).__name__} at {where}: {str(exc)[:120]}"


def run_one_intake(name: str, share: float, executions: int | None = None) -> None:
    """An intake parser's share (bench/fuzz_intake.py); a crash there stops the run with its
    smallest example, as hypothesis gives it."""
    from bench.fuzz_intake import run_intake

    t = run_intake(name, share, executions)
    rate = t.records / t.parse_seconds if t.parse_seconds else 0.0
    print(f"{name}: {t.records:,} executions in {t.parse_seconds:.0f} s ({rate:,.0f}/s), "
          f"{t.accepted:,} accepted, {t.quarantined:,} quarantined, {t.refused:,} refused, "
          f"{t.downstream:,} read downstream in {t.rounds} rounds ({t.reader_seconds:.0f} s), "
          "0 distinct crash(es)", flush=True)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=5.0, help="shared by the parsers")
    parser.add_argument("--executions", type=int, default=None,
                        help="instead of --minutes: run each parser until it made this many")  # fmt: skip
    everything = sorted(TARGETS) + sorted(INTAKE)
    parser.add_argument("--parser", nargs="*", choices=everything, default=everything)
    parser.add_argument("--batch", type=int, default=2000, help="examples per hypothesis run")
    parser.add_argument("--downstream-every", type=int, default=1,
                        help="read 1 accepted input in N downstream (the parser sees every one)")  # fmt: skip
    args = parser.parse_args()
    share = args.minutes * 60 / len(args.parser)
    if args.executions is None:
        print(f"{args.minutes} min over {len(args.parser)} parsers ({share:.0f} s each)")
    else:
        print(f"{args.executions:,} executions per parser, {len(args.parser)} parsers")
    for name in args.parser:
        if name in INTAKE:
            run_one_intake(name, share, args.executions)
            continue
        tally, crashes = Tally(downstream_every=max(1, args.downstream_every)), dict[str, int]()
        with scratch_folder() as folder:
            t0 = last = time.perf_counter()
            while (
                tally.executions < args.executions
                if args.executions is not None
                else time.perf_counter() - t0 < share
            ):
                try:
                    property_test(name, Path(folder), tally, args.batch)()
                except Exception as exc:  # noqa: BLE001 - a crash found: recorded, the run goes on
                    signature = _signature(exc)
                    crashes[signature] = crashes.get(signature, 0) + 1
                    print(f"  {name}: CRASH {signature}", flush=True)
                if time.perf_counter() - last > 600:  # a line every 10 minutes on a long run
                    last = time.perf_counter()
                    print(f"  {name}: {tally.executions:,} so far, {tally.accepted:,} accepted, "
                          f"{tally.downstream:,} downstream, {len(crashes)} crash(es)", flush=True)  # fmt: skip
            seconds = time.perf_counter() - t0
        print(f"{name}: {tally.executions:,} executions in {seconds:.0f} s "
              f"({tally.executions / seconds:,.0f}/s), {tally.accepted:,} accepted, "
              f"{tally.downstream:,} read downstream, {len(crashes)} distinct crash(es)", flush=True)  # fmt: skip
        for signature, count in sorted(crashes.items()):
            print(f"    {count} × {signature}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
