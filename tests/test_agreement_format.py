"""The agreement format, version 2: generated schema and reference page, conversion from version 1,
hostile and malformed files (located messages, never a traceback), and what version 2 can say that
version 1 could not (calendar months, automatic renewal, a lifecycle per zone, dated coverage,
coalition memberships)."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from ceasefire.agreements.loader import (
    bundled_names,
    check_agreement,
    default_registry,
    load_agreement,
    parse_agreement,
    resolve_agreement_path,
)
from ceasefire.agreements.located import load_located
from ceasefire.agreements.reference import format_reference, json_schema
from ceasefire.cli import cli
from ceasefire.compliance.coverage import coverage_of
from ceasefire.compliance.phases import phase_windows
from ceasefire.model.agreement import Agreement, Coverage
from tests.conftest import ROOT, TZ


# -- the format documents itself ------------------------------------------------------------------
def test_every_field_has_a_description_and_an_example() -> None:
    schema = json_schema()
    missing = []
    for name, model in {"AgreementFile": schema, **schema["$defs"]}.items():
        for field, prop in model.get("properties", {}).items():
            if not prop.get("description") or not prop.get("examples"):
                missing.append(f"{name}.{field}")
    assert not missing


def test_the_reference_page_is_generated_from_the_models() -> None:
    page = (ROOT / "docs" / "agreement-format.md").read_text(encoding="utf-8")
    assert page == format_reference(), "regenerate: ceasefire agreement schema --format markdown"
    schema = json_schema()
    for name, model in schema["$defs"].items():
        assert f"\n## {name}\n" in page
        for field in model.get("properties", {}):
            assert f"| `{field}` |" in page, f"{name}.{field} is not documented"


def test_schema_command_prints_a_json_schema() -> None:
    result = CliRunner().invoke(cli, ["agreement", "schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema["properties"]["schema_version"]["const"] == 2
    assert {"Term", "Lifecycle", "Zone", "Declaration"} <= set(schema["$defs"])


def test_agreement_list_names_every_bundled_agreement() -> None:
    result = CliRunner().invoke(cli, ["agreement", "list", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["name"] for r in rows] == bundled_names()
    assert "syria-2016-09" in bundled_names()


# -- version 1 ----------------------------------------------------------------------------------
V1 = ROOT / "tests" / "data" / "syria-2016-09.v1.yaml"


def test_a_version_1_file_is_refused_with_the_way_to_convert_it() -> None:
    (problem,) = check_agreement(str(V1))
    assert problem.field == "schema_version"
    assert "ceasefire agreement convert" in problem.message


def test_conversion_gives_a_valid_file_with_the_same_findings(
    tmp_path: Path, agreement: Agreement, sept_incidents: list[Any]
) -> None:
    from ceasefire.compliance.engine import evaluate_all

    out = tmp_path / "converted.yaml"
    result = CliRunner().invoke(cli, ["agreement", "convert", str(V1), "--output", str(out)])
    assert result.exit_code == 0, result.output
    converted = load_agreement(str(out))
    assert [p.id for p in converted.phases] == [p.id for p in agreement.phases]

    def summary(a: Agreement) -> list[tuple[str, str, tuple[str, ...]]]:
        return [(f.incident, f.qualification, f.codes) for f in evaluate_all(a, sept_incidents)]

    assert summary(converted) == summary(agreement)


# -- malformed and hostile files ------------------------------------------------------------------
Mutation = Callable[[Any, random.Random], tuple[Any, tuple[Any, ...] | None]]


def _nodes(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    out = [(path, data)]
    if isinstance(data, dict):
        for k, v in data.items():
            out.extend(_nodes(v, (*path, k)))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out.extend(_nodes(v, (*path, i)))
    return out


def _set(data: Any, path: tuple[Any, ...], value: Any) -> None:
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def _unknown_key(data: Any, rng: random.Random) -> tuple[Any, tuple[Any, ...]]:
    paths = [p for p, v in _nodes(data) if isinstance(v, dict) and p and p[-1] not in ("sources", "geometry", "actor_groups", "coverage_by_side", "coordinates")]  # fmt: skip
    path = rng.choice(paths)
    node = data
    for part in path:
        node = node[part]
    node["bogus_field"] = 1
    return data, (*path, "bogus_field")


def _wrong_type(data: Any, rng: random.Random) -> tuple[Any, tuple[Any, ...]]:
    paths = [p for p, v in _nodes(data) if p and p[0] == "agreement" and len(p) > 2 and not isinstance(v, dict)
             and "sources" not in p and "notes" not in p and "coordinates" not in p]  # fmt: skip
    path = rng.choice(paths)
    node = data
    for part in path:
        node = node[part]
    replacement: Any = {"x": [1, 2]} if not isinstance(node, list) else 42
    _set(data, path, replacement)
    return data, path


def _missing_id(data: Any, rng: random.Random) -> tuple[Any, tuple[Any, ...]]:
    paths = [p for p, v in _nodes(data) if isinstance(v, dict) and "id" in v and len(p) > 1]
    path = rng.choice(paths)
    node = data
    for part in path:
        node = node[part]
    del node["id"]
    return data, path


def _bad_instant(data: Any, rng: random.Random) -> tuple[Any, tuple[Any, ...]]:
    keys = ("local", "at", "due", "decided_at", "until")
    paths = [p for p, v in _nodes(data) if p and p[-1] in keys and isinstance(v, str)]
    path = rng.choice(paths)
    _set(data, path, "2016-02-30T25:61")
    return data, path


def _dangling(data: Any, rng: random.Random) -> tuple[Any, tuple[Any, ...]]:
    paths = [
        p
        for p, v in _nodes(data)
        if len(p) > 2 and p[-2] in ("when", "inside") and isinstance(v, str)
    ]
    path = rng.choice(paths)
    _set(data, path, "no_such_thing")
    return data, path


def _bad_duration(data: Any, rng: random.Random) -> tuple[Any, tuple[Any, ...]]:
    paths = [
        p for p, v in _nodes(data) if p and p[-1] in ("duration", "block") and isinstance(v, str)
    ]
    if not paths:
        phases = [p for p, v in _nodes(data) if isinstance(v, dict) and "starts" in v]
        path = (*rng.choice(phases), "duration")
    else:
        path = rng.choice(paths)
    _set(data, path, "P6X")
    return data, path


def _unknown_actor(data: Any, rng: random.Random) -> tuple[Any, tuple[Any, ...]]:
    paths = [p for p, v in _nodes(data) if p and p[-1] in ("actor", "by") and isinstance(v, str)]
    path = rng.choice(paths)
    _set(data, path, "NO_SUCH_ACTOR")
    return data, path


STRUCTURED: tuple[Mutation, ...] = (
    _unknown_key, _wrong_type, _missing_id, _bad_instant, _dangling, _bad_duration, _unknown_actor,
)  # fmt: skip
PATH_ZONE = (
    "    - {id: z_path, type: corridor, status: approximate, geometry_file: ../../../etc/passwd}\n"
)
TEXTUAL: tuple[Callable[[str], str | bytes], ...] = (
    lambda t: t.replace("tolerance_minutes: 10", "tolerance_minutes: .inf", 1)
    if "tolerance_minutes: 10" in t else t.replace("schema_version: 2", "schema_version: .inf", 1),
    lambda t: t.replace("schema_version: 2", "schema_version: 017", 1),
    lambda t: t.replace("\n  id:", "\n\tid:", 1),
    lambda t: t.replace("agreement:\n", "agreement: [unclosed\n", 1),
    lambda t: "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)) + t,
    lambda t: t.encode("utf-8") + b"\n  notes: ['\xff\xfe']\n",
    lambda t: "schema_version: 2\nagreement: " + "[" * 5000 + "]" * 5000 + "\n",
    lambda t: t.replace("\n  zones:\n", "\n  zones:\n" + PATH_ZONE, 1)
    if "\n  zones:\n" in t else t.replace("\nagreement:\n", "\nagreement:\n  zones:\n" + PATH_ZONE, 1),
    lambda t: "",
)  # fmt: skip


def _variants(name: str) -> list[tuple[str, bytes, tuple[Any, ...] | None]]:
    text = resolve_agreement_path(name).read_text(encoding="utf-8")
    data = load_located(text).data
    rng = random.Random(f"{name}-malformed")
    out: list[tuple[str, bytes, tuple[Any, ...] | None]] = []
    for i, edit in enumerate(TEXTUAL):
        result = edit(text)
        out.append(
            (f"text{i}", result if isinstance(result, bytes) else result.encode("utf-8"), None)
        )
    while len(out) < 30:
        mutate = STRUCTURED[len(out) % len(STRUCTURED)]
        doc, path = mutate(copy.deepcopy(data), rng)
        body = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=1000)
        out.append((f"{mutate.__name__}{len(out)}", body.encode("utf-8"), path))
    return out


@pytest.mark.parametrize("name", bundled_names())
def test_malformed_variants_get_located_messages_and_no_traceback(
    name: str, tmp_path: Path
) -> None:
    runner = CliRunner()
    variants = _variants(name)
    assert len(variants) >= 30
    for label, body, path in variants:
        file = tmp_path / f"{label}.yaml"
        file.write_bytes(body)
        problems = [p for p in check_agreement(str(file)) if p.severity == "error"]
        assert problems, label
        for p in problems:
            assert p.line >= 1, (label, p)
            assert p.field, (label, p)
            assert p.message, (label, p)
            assert str(p).startswith(f"{file}:{p.line}: "), (label, p)
        if path is not None:  # the message points at the line of what was broken (or its parent)
            lines = load_located(body.decode("utf-8")).lines
            wanted = {lines.get(path[: n + 1]) for n in range(len(path))}
            assert {p.line for p in problems} & wanted, (label, path, problems)
        result = runner.invoke(cli, ["agreement", "check", str(file)])
        assert result.exit_code == 1, (label, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            label,
            result.exception,
        )
        assert "Traceback" not in result.output


# -- what version 2 can say -----------------------------------------------------------------------
def _inline(body: str) -> Agreement:
    return parse_agreement(body, "inline.yaml", default_registry())


ASTANA_LIKE = """
schema_version: 2
agreement:
  id: test-automatic
  title: "Six months, renewed automatically unless a guarantor objects"
  timezone: Asia/Damascus
  guarantors: [{actor: RUS}, {actor: TUR}, {actor: IRN}]
  lifecycles:
    - id: areas
      start: {local: "2017-05-06T00:00"}
      phases:
        - id: de_escalation
          starts: start
          duration: P6M
          renewal: {by: automatic, block: P6M, objection_by: [RUS, TUR, IRN]}
  terms:
    - {id: T1, type: prohibition, action: attack, scope: {when: [de_escalation]}}
"""


def test_a_duration_in_months_counts_calendar_months_in_local_time() -> None:
    a = _inline(
        ASTANA_LIKE.replace(
            "          renewal: {by: automatic, block: P6M, objection_by: [RUS, TUR, IRN]}\n", ""
        )
    )
    window = phase_windows(a)["de_escalation"]
    assert window.start == datetime(2017, 5, 6, tzinfo=TZ)
    assert window.end == datetime(2017, 11, 6, tzinfo=TZ)  # six calendar months, not 180 days


def test_automatic_renewal_runs_until_an_objection_then_ends_with_the_block() -> None:
    a = _inline(ASTANA_LIKE)
    assert phase_windows(a)["de_escalation"].end is None  # renewed, block after block
    objected = _inline(ASTANA_LIKE + """  decisions:
    - {id: D1, kind: object_renewal, subject: de_escalation, decided_at: "2018-02-01", approvals: [TUR]}
""")  # fmt: skip
    # the block running on 1 Feb 2018 is 6 Nov 2017 – 6 May 2018: it is the last
    assert phase_windows(objected)["de_escalation"].end == datetime(2018, 5, 6, tzinfo=TZ)
    assert phase_windows(objected, datetime(2018, 1, 1, tzinfo=TZ))["de_escalation"].end is None


def test_a_zone_can_run_on_its_own_lifecycle_in_parallel() -> None:
    a = _inline("""
schema_version: 2
agreement:
  id: test-zone-lifecycle
  title: "A nationwide truce, and a zone whose own truce starts later"
  timezone: Asia/Damascus
  zones:
    - {id: south, type: de_escalation_area, status: approximate, pcodes: [SY12], method: "Daraa governorate"}
  lifecycles:
    - id: national
      start: {local: "2017-05-06T00:00"}
      phases: [{id: national_truce, starts: start, duration: P30D}]
    - id: south_lc
      zones: [south]
      start: {local: "2017-07-09T12:00"}
      phases: [{id: south_truce, starts: start}]
  terms:
    - {id: T_south, type: prohibition, action: attack, scope: {where: {inside: [south]}, when: [south_truce]}}
""")  # fmt: skip
    windows = phase_windows(a)
    assert windows["national_truce"].end == datetime(2017, 6, 5, tzinfo=TZ)
    assert windows["south_truce"].start == datetime(2017, 7, 9, 12, tzinfo=TZ)
    assert windows["south_truce"].end is None  # open-ended
    assert windows["south_truce"].lifecycle == "south_lc"


def test_coverage_follows_dated_declarations_and_joint_decisions() -> None:
    a = _inline("""
schema_version: 2
agreement:
  id: test-coverage
  title: "Coverage by declaration, changed by joint decision"
  timezone: Asia/Damascus
  guarantors: [{actor: USA}, {actor: RUS}]
  parties:
    - {actor: SYR_GOV, coverage: covered, acquired_by: declaration}
    - {actor: AHRAR, coverage: unknown, acquired_by: declaration}
  declarations:
    - {id: DG, by: SYR_GOV, kind: acceptance, at: "2016-02-23T18:00"}
  lifecycles:
    - id: national
      start: {local: "2016-02-27T00:00"}
      phases: [{id: cessation, starts: start}]
  terms:
    - {id: T1, type: prohibition, action: attack, scope: {when: [cessation]}}
  decisions:
    - {id: D1, kind: change_coverage, subject: AHRAR, coverage: covered, decided_at: "2016-03-10", approvals: [USA, RUS]}
""")  # fmt: skip
    assert coverage_of(a, "SYR_GOV", datetime(2016, 2, 22, tzinfo=TZ))[0] is Coverage.UNKNOWN
    assert coverage_of(a, "SYR_GOV", datetime(2016, 2, 24, tzinfo=TZ))[0] is Coverage.COVERED
    assert coverage_of(a, "AHRAR", datetime(2016, 3, 1, tzinfo=TZ))[0] is Coverage.UNKNOWN
    after = coverage_of(a, "AHRAR", datetime(2016, 3, 11, tzinfo=TZ))
    assert after[0] is Coverage.COVERED
    assert "D1" in after[1]


def test_a_group_that_joins_a_coalition_stays_itself() -> None:
    from datetime import date

    registry = default_registry()
    # Nour al-Din al-Zenki joined Hay'at Tahrir al-Sham on 28 Jan 2017 and left it on 20 Jul 2017
    for day in (date(2016, 12, 1), date(2017, 3, 1), date(2018, 1, 15)):
        assert registry.resolve("Nour al-Din al-Zenki", day).actor_ids == ("ZENKI",)
    assert [m.of for m in registry.coalitions_of("ZENKI", date(2017, 3, 1))] == ["HTS"]
    assert registry.coalitions_of("ZENKI", date(2017, 11, 1)) == ()
    a = load_agreement("syria-2016-09")
    # while a member, an exclusion that reaches members reaches it; once it left, it is itself
    assert coverage_of(a, "ZENKI", datetime(2017, 3, 1, tzinfo=TZ))[0] is Coverage.EXCLUDED
    assert coverage_of(a, "ZENKI", datetime(2017, 11, 1, tzinfo=TZ))[0] is Coverage.UNKNOWN


def test_an_open_ended_phase_cannot_be_renewed_and_a_deadline_needs_its_due_time() -> None:
    with pytest.raises(Exception, match="open-ended phase cannot be renewed"):
        _inline(ASTANA_LIKE.replace("          duration: P6M\n", ""))
    bad_deadline = (
        ASTANA_LIKE
        + "    - {id: T2, type: deadline, action: declare, scope: {when: [de_escalation]}}\n"
    )
    with pytest.raises(Exception, match="deadline term needs 'due'"):
        _inline(bad_deadline)
