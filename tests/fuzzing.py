"""Property-based fuzzing of intake's parsers (hypothesis), shared by the tests and
``bench/fuzz.py``.

Each harness takes records from real files (the UCDP fixture of ``../shared/data``, the bundled
reports and humanitarian log, invented ACLED rows) and mutates them cheaply: a few cells or
fields replaced by values known to have broken parsers and readers (impossible dates, years 1 and
9999, 5,000-digit numbers, NaN, ``[1]`` where a name belongs, a formula, markup…) or by random
text; sometimes the file itself is damaged (gzip, truncation, a bad header).  Properties:

- a parser raises nothing but :class:`~ceasefire.errors.IntakeError` (the file as a whole is
  unreadable); a bad row or line is quarantined;
- every record it accepts is in its stored form and is stored without a problem;
- :func:`downstream` then runs every reader on what was accepted — findings, the daily report as
  JSON, Markdown and HTML, every export, the dashboard's data — and none raises.

``CEASEFIRE_FUZZ_EXAMPLES`` sets the examples per parser (CI: 10,000); ``bench/fuzz.py --minutes N``
runs them for a time instead.
"""

from __future__ import annotations

import copy
import csv
import dataclasses
import gzip
import io
import json
import os
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from ceasefire.errors import IntakeError
from ceasefire.intake.acled import ACLED_COLUMNS, parse_acled
from ceasefire.intake.common import Batch
from ceasefire.intake.jsonlines import (
    Claim,
    parse_humanitarian,
    parse_report_json,
    parse_reports,
)
from ceasefire.intake.ucdp import parse_ucdp
from ceasefire.model.batches import BadField
from ceasefire.model.humanitarian import Convoy, Route
from ceasefire.model.incidents import Incident

__all__ = ["EXAMPLES", "HARNESSES", "FuzzRun", "downstream", "fuzz"]

ROOT = Path(__file__).resolve().parent.parent
UCDP_SEPT = (
    ROOT.parent / "shared" / "data" / "events" / "ucdp_ged_syria_2016-09-05_to_2016-09-26.csv"
)
BUNDLED = ROOT / "ceasefire" / "data"
TZ = ZoneInfo("Asia/Damascus")
EXAMPLES = int(os.environ.get("CEASEFIRE_FUZZ_EXAMPLES", "10000"))

# Values that broke a parser or a reader once, or are known to break such code.
NASTY_TEXT: tuple[str, ...] = (
    "", " ", ",", " , ", ";", "-", "_", "½", "=HYPERLINK(\"http://x\",\"y\")", "+1+1", "@SUM(A1)",
    "-2+3", "\t=1", "2016-02-30", "2016-09-31", "0001-01-01", "9999-12-31", "1899-12-31",
    "2101-01-01", "1900-01-01", "2100-12-31", "2016-09-15T10:00", "2016-09-15 00:00:00.000",
    "2016-09-15T10:00+14:00", "0001-01-01T00:00+14:00", "16 September 2016", "31-Feb-2016",
    "16 Sept. 2016", "1 January 0001", "9" * 5000, "9" * 400 + ".0", "-1", "0", "1.0", "1.5",
    "1e309", "-1e309", "nan", "NaN", "inf", "-inf", "1e5", "0x10", "٣", "１２", "true", "[1]",
    "{}", "null", "\u00a0", "\u202e", "\U0001f642", "x" * 301, "x" * 5000, "a\tb", "\x7f", "é",
    "<script>alert(1)</script>", "[x](javascript:alert(1))", "a|b", "`x`", "a\\b",
    "Government of Syria", "Syrian insurgents", "Civilians", "36.2", "-90", "90.000001", "180",
    "-180.5", "1", "2", "3", "4", "5", "6", "7", "8", "SOHR;;Reuters", "2016-09-12;2016-02-30",
    "2016-09-12;9999-12-31;0001-01-01",
)  # fmt: skip
NASTY_JSON: tuple[Any, ...] = (
    None, True, False, 0, -1, 1, 3, 7, 8, 2**63, 10**30, 1.5, -0.0, 0.0, 1e6, 1e7, 36.2, 37.15,
    91, -181, float("nan"), float("inf"), "", " ", ",", "x" * 400, "x" * 5000, "2016-02-30",
    "2016-09-15", "2016-09-12", "2016-09-15T10:00", "2016-09-15T10:00+03:00",
    "2016-09-16T10:00+03:00", "0001-01-01T00:00+14:00", "9999-12-31T23:59-12:00", "1899-12-31",
    "2101-01-01", "16 September 2016", [], [1], ["a"], [","], [[]], {}, {"name": "x"},
    {"name": ","}, {"from": "2016-09-12", "to": "2016-09-13"}, {"at": "2016-09-15"},
    {"a": [[{}]]}, "exact", "hour", "day", "fortnight", "alleged", "verified", "occurrence",
    "attribution", "qualification", "established", "violation", "incident", "claim", "route",
    "convoy", "blocked", "attacked", "delivered", "inspected", "\u0000", "a\nb",
    "<script>alert(1)</script>", "=HYPERLINK(\"x\")", "[x](javascript:alert(1))",
    "Government of Syria", "SYR_GOV", "side_a", "perpetrator", "S36",
)  # fmt: skip
_RAW_DAMAGE = ("none", "none", "none", "none", "truncate", "garbage", "list", "digits", "nest",
               "nan", "bom", "crlf")  # fmt: skip
_FILE_DAMAGE = ("none", "none", "none", "none", "gzip", "gzip", "corrupt_gzip", "truncate_gzip",
                "drop_column", "extra_column", "bom", "latin1", "nul")  # fmt: skip


@dataclass
class FuzzRun:
    """What one harness did: examples run, what the parser accepted, quarantined and refused."""

    parser: str
    examples: int = 0  # hypothesis examples (files, or bodies in groups)
    records: int = 0  # records tried: what "executions" counts
    accepted: list[Any] = field(default_factory=list)  # the first ``keep`` of them, re-keyed
    accepted_count: int = 0
    quarantined: int = 0
    refused: int = 0  # the whole file (IntakeError) or the whole body (a located BadField)
    seconds: float = 0.0
    keep: int = 3000  # accepted records kept for the readers

    def took(self, records: list[Any]) -> None:
        self.accepted_count += len(records)
        for record in records:
            if len(self.accepted) < self.keep:
                self.accepted.append(
                    _unique(record, self.parser, self.examples, len(self.accepted))
                )


def _unique(record: Any, parser: str, example: int, n: int) -> Any:
    """The record under a key of its own, so that every accepted record reaches the readers."""
    tag = f"~{parser}{example}.{n}"
    if isinstance(record, Incident):
        return dataclasses.replace(record, source_id=record.source_id + tag)
    if isinstance(record, (Claim, Convoy, Route)):
        return dataclasses.replace(record, id=record.id + tag)
    return record


# -- seeds ---------------------------------------------------------------------------------------
def _ucdp_seed() -> tuple[list[str], list[dict[str, str]]]:
    with UCDP_SEPT.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        return list(reader.fieldnames or ()), rows[:: max(1, len(rows) // 120)]


def _acled_seed() -> list[dict[str, str]]:
    from tests.test_acled import SYRIA_SEPT_2016, acled_row

    extra = [
        acled_row("SYR201", time_precision="3", event_date="16 September 2016"),
        acled_row("SYR202", assoc_actor_1="Ahrar al-Sham; Jaish al-Islam", geo_precision="2"),
        acled_row(
            "SYR203",
            sub_event_type="Government regains territory",
            geo_precision="1",
            latitude="36.2",
            longitude="37.15",
        ),
    ]
    return [*SYRIA_SEPT_2016, *extra]


def _jsonl_seed(path: Path) -> list[Any]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


INCIDENT_REPORTS: list[dict[str, Any]] = [
    {
        "id": "r-1", "kind": "incident", "reported_at": "2016-09-15T10:00+03:00",
        "reporter": {"name": "monitor team 2", "type": "monitor"}, "time": {"at": "2016-09-15"},
        "place": {"name": "Aleppo", "lat": 36.2, "lon": 37.15, "admin1": "Aleppo Governorate"},
        "actors": [{"name": "Government of Syria", "role": "perpetrator"}], "category": "ATK.IND",
    },
    {
        "id": "r-2", "kind": "incident", "reported_at": "2016-09-17T09:00+03:00",
        "reporter": {"name": "opposition liaison", "type": "party"},
        "time": {"from": "2016-09-16T20:00+03:00", "until": "2016-09-16T23:00+03:00", "precision": "hour"},
        "place": {"name": "Kafr Hamra", "lat": 36.26, "lon": 37.08, "precision": 2, "radius_m": 1500},
        "actors": [{"name": "Syrian Arab Army", "role": "perpetrator"},
                   {"name": "Civilians", "role": "target"}],
        "category": "ATK.DIRECT", "sub_category": "shelling", "occurrence": "alleged",
        "fatalities": {"low": 1, "best": 2, "high": 4},
        "judgements": [{"axis": "attribution", "value": "established", "known_from": "2016-09-18",
                        "by": "monitors", "refs": ["S36"], "actors": ["SYR_GOV"]}],
        "self_defence_claimed_by": ["Government of Syria"],
    },
]  # fmt: skip


# -- mutation ------------------------------------------------------------------------------------
# A hypothesis example is (a seed, how the file is damaged, how many records): the seed drives a
# plain random generator that picks seed records and mutates them, so one example tries a file of
# up to RECORDS_PER_EXAMPLE records at the cost of a few draws; hypothesis keeps the search
# reproducible and shrinks a failure to the smallest file that shows it.
RECORDS_PER_EXAMPLE = 40
_ALPHABET = "aZ09 ,;:-_.|'\"\\/<>[]{}()=+@#%&*?!~`\t\n\r\x00\x01\x7f\u00a0\u00e9\u0661\u200f\u202e\uff10\U0001f642"


def _random_text(rng: random.Random) -> str:
    return "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 8)))


def _json_value(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.65:
        return copy.deepcopy(rng.choice(NASTY_JSON))
    if roll < 0.8:
        return _random_text(rng)
    if roll < 0.9:
        return rng.randint(-(2**70), 2**70)
    return rng.choice((rng.uniform(-1e9, 1e9), float("nan"), float("-inf"), 1e308 * 10))


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out.extend(_paths(v, (*prefix, i)))
    return out


def _mutate(obj: Any, rng: random.Random) -> Any:
    """A copy with 0–3 edits, each at a path chosen at random: replace, delete or add."""
    obj = copy.deepcopy(obj)
    for _ in range(rng.choice((0, 1, 1, 1, 2, 2, 3))):
        path = rng.choice(_paths(obj))
        op = rng.choice(("replace", "replace", "replace", "delete", "add"))
        value = _json_value(rng)
        if not path:
            obj = value if op == "replace" and rng.random() < 0.2 else obj
            continue
        parent = obj
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        if op == "replace":
            parent[last] = value
        elif op == "delete":
            del parent[last]
        elif isinstance(parent, dict):
            parent[rng.choice(("extra", "notes", "kind", "type", "precision"))] = value
        else:
            parent.append(value)
    return obj


def _json_line(seed: Any, rng: random.Random) -> str:
    try:
        text = json.dumps(_mutate(seed, rng), ensure_ascii=rng.random() < 0.5)
    except (TypeError, ValueError):
        text = "{}"
    how = rng.choice(_RAW_DAMAGE)
    if how == "truncate":
        return text[: rng.randint(0, len(text))]
    if how == "garbage":
        return text + rng.choice(("}}]", ",", " x", "\x00"))
    if how == "list":
        return f"[{text}]"
    if how == "digits":
        return text.replace("1", "1" + "7" * 5000, 1)
    if how == "nest":
        return "[" * 5000 + text + "]" * 5000
    if how == "nan":
        return text.replace("36.2", "NaN", 1).replace("23", "Infinity", 1)
    if how == "bom":
        return "\ufeff" + text
    if how == "crlf":
        return text + "\r"
    return text


def _cell(rng: random.Random) -> str:
    return rng.choice(NASTY_TEXT) if rng.random() < 0.75 else _random_text(rng)


def _csv_bytes(columns: list[str], rows: list[dict[str, str]], damage: str) -> bytes:
    if damage == "drop_column":
        columns = columns[1:]
    if damage == "extra_column":
        columns = [*columns, "extra"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "x") for c in columns])
    text = out.getvalue()
    if damage == "bom":
        text = "\ufeff" + text
    if damage == "nul":
        text = text.replace(",", ",\x00", 1)
    data = text.encode("latin-1", "replace") if damage == "latin1" else text.encode("utf-8")
    return _damaged_gzip(data, damage) if "gzip" in damage else data


def _damaged_gzip(data: bytes, damage: str) -> bytes:
    """Gzip-compressed; ``corrupt_gzip``: a byte of the deflate stream flipped (a corrupt block);
    ``truncate_gzip``: cut in the middle."""
    packed = gzip.compress(data, mtime=0)
    if damage == "corrupt_gzip":
        return packed[:12] + bytes([packed[12] ^ 0xFF]) + packed[13:]
    if damage == "truncate_gzip":
        return packed[: len(packed) // 2]
    return packed


# -- harnesses -----------------------------------------------------------------------------------
Check = Callable[[Any, FuzzRun, Path], None]
EXAMPLE = st.tuples(
    st.integers(0, 2**32 - 1), st.sampled_from(_FILE_DAMAGE), st.integers(1, RECORDS_PER_EXAMPLE)
)


def _parsed(parse: Callable[[Path, ZoneInfo], Batch], path: Path, run: FuzzRun, count: int) -> None:
    run.records += count
    try:
        batch = parse(path, TZ)
    except IntakeError:
        run.refused += 1
        return
    run.quarantined += len(batch.problems)
    run.took(batch.records)


def _csv_harness(columns: list[str], seeds: list[dict[str, str]],
                 parse: Callable[[Path, ZoneInfo], Batch]) -> Check:  # fmt: skip
    def check(example: Any, run: FuzzRun, work: Path) -> None:
        number, damage, count = example
        rng = random.Random(number)
        rows = []
        for _ in range(count):
            row = dict(rng.choice(seeds))
            for _ in range(rng.choice((0, 1, 1, 2, 3, 4))):
                row[rng.choice(columns)] = _cell(rng)
            rows.append(row)
        path = work / ("in.csv.gz" if "gzip" in damage else "in.csv")
        path.write_bytes(_csv_bytes(columns, rows, damage))
        _parsed(parse, path, run, count)

    return check


def _jsonl_harness(seeds: list[Any], parse: Callable[[Path, ZoneInfo], Batch]) -> Check:
    def check(example: Any, run: FuzzRun, work: Path) -> None:
        number, damage, count = example
        rng = random.Random(number)
        text = "\n".join(_json_line(rng.choice(seeds), rng) for _ in range(count)) + "\n"
        data = text.encode("utf-8")
        if damage in ("gzip", "corrupt_gzip", "truncate_gzip"):
            data = _damaged_gzip(data, damage)
        elif damage == "latin1":
            data = text.encode("latin-1", "replace")
        path = work / "in.jsonl"
        path.write_bytes(data)
        _parsed(parse, path, run, count)

    return check


def _api_body_harness(seeds: list[Any]) -> Check:
    """``POST /reports`` bodies through the function the endpoint validates them with."""

    def check(example: Any, run: FuzzRun, work: Path) -> None:
        number, _, count = example
        rng = random.Random(number)
        for _ in range(count):
            body = _json_line(rng.choice(seeds), rng).encode("utf-8")
            run.records += 1
            try:
                record, _ = parse_report_json(body, TZ)
            except BadField:
                run.refused += 1
                continue
            run.took([record])

    return check


def _harnesses() -> dict[str, Check]:
    ucdp_columns, ucdp_rows = _ucdp_seed()
    reports = [*_jsonl_seed(BUNDLED / "reports" / "syria-2016-09.jsonl"), *INCIDENT_REPORTS]
    humanitarian = _jsonl_seed(BUNDLED / "humanitarian" / "syria-2016-09.jsonl")
    return {
        "ucdp": _csv_harness(ucdp_columns, ucdp_rows, parse_ucdp),
        "acled": _csv_harness(list(ACLED_COLUMNS), _acled_seed(), parse_acled),
        "reports": _jsonl_harness(reports, parse_reports),
        "humanitarian": _jsonl_harness(humanitarian, parse_humanitarian),
        "api_body": _api_body_harness(reports),
    }


HARNESSES = ("ucdp", "acled", "reports", "humanitarian", "api_body")


def fuzz(parser: str, records: int = EXAMPLES, *, seconds: float | None = None,
         seed: int | None = 0, keep: int = 3000) -> FuzzRun:  # fmt: skip
    """Run one harness until it has tried ``records`` records (or, with ``seconds``, until the
    time is up). ``seed`` fixes the examples (CI); ``None`` draws new ones each run. A failing
    example raises, shrunk by hypothesis to a small one."""
    check = _harnesses()[parser]
    run = FuzzRun(parser, keep=keep)
    started = time.perf_counter()
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(
        prefix="ceasefire-fuzz-", dir=shm if shm.is_dir() else None
    ) as tmp:
        work = Path(tmp)

        def one(example: Any) -> None:
            run.examples += 1
            check(example, run, work)

        batch_seed = seed
        while True:
            examples = max(1, (records - run.records) * 2 // (RECORDS_PER_EXAMPLE + 1) + 1)
            test = settings(max_examples=examples, database=None, deadline=None,
                            phases=(Phase.generate, Phase.shrink),
                            suppress_health_check=list(HealthCheck))(given(EXAMPLE)(one))  # fmt: skip
            if batch_seed is not None:
                test = hypothesis_seed(batch_seed)(test)
            test()
            done = (
                run.records >= records
                if seconds is None
                else time.perf_counter() - started >= seconds
            )
            if done:
                break
            batch_seed = None if batch_seed is None else batch_seed + 1
    run.seconds = time.perf_counter() - started
    return run


# -- the readers -----------------------------------------------------------------------------------
def downstream(records: list[Any], workspace: Path) -> dict[str, int]:
    """Store the accepted records and run every reader on them; returns what each produced.
    Raises whatever a reader raises (that is the bug a harness looks for)."""
    from ceasefire import catalogue
    from ceasefire.agreements import load_agreement
    from ceasefire.dashboard.views import DashboardCache, humanitarian_view
    from ceasefire.export.parquet import write_parquet
    from ceasefire.export.tables import (
        geojson_feature_collection,
        write_acled_csv,
        write_geojson,
        write_hxl_csv,
        write_ucdp_csv,
    )
    from ceasefire.reports import render_html, render_json, render_markdown
    from ceasefire.service import evaluate_store, replay_from_store
    from ceasefire.store import Store
    from ceasefire.visibility import OPERATOR, PUBLIC

    counts: dict[str, int] = {}
    with Store(workspace) as store:
        batch = Batch(kind="reports", file="fuzz")
        batch.records.extend(records)
        summary = store.import_batch(batch)
        assert not summary.problems, [str(p) for p in summary.problems[:5]]
        agreement = load_agreement("syria-2016-09")
        stored = store.incidents()
        assert len(stored) == store.count_incidents(), "a stored incident could not be read back"
        findings = evaluate_store(store, agreement, audience=OPERATOR)
        counts["findings"] = len(findings)
        replay = replay_from_store(store, agreement, audience=OPERATOR)
        days = {date(2016, 9, 12) + timedelta(days=n) for n in range(9)}
        days |= {i.window.start.astimezone(TZ).date() for i in stored[:: max(1, len(stored) // 6)]}
        for day in sorted(days):
            data = replay.report(day)
            counts["report_bytes"] = counts.get("report_bytes", 0) + len(
                render_json(data) + render_markdown(data) + render_html(data)
            )
        by_key = {f.incident: f.to_json() for _, f in findings}
        rows = sorted(stored, key=lambda i: i.key)
        out = io.StringIO()
        write_ucdp_csv(rows, out)
        write_acled_csv(rows, out)
        write_hxl_csv(rows, out, by_key)
        write_geojson(geojson_feature_collection(rows, by_key), out)
        counts["export_chars"] = len(out.getvalue())
        counts["parquet_rows"] = write_parquet(rows, io.BytesIO(), by_key)
        cache = DashboardCache()
        ref = catalogue.resolve(store, agreement.id)
        for viewer in (PUBLIC, OPERATOR):
            counts["layer_bytes"] = len(cache.layer(store, ref, viewer))
            cache.scorecards(store, ref, viewer)
            for day in (date(2016, 9, 13), date(2016, 9, 19)):
                cache.day(store, ref, viewer, day)
                cache.report_html(store, ref, viewer, day)
            for incident in rows[:: max(1, len(rows) // 25)]:
                cache.incident(store, ref, viewer, incident.key)
        humanitarian_view(store)
    return counts
