"""The agreement file: the bundled example, located errors, the start and its sundown."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from ceasefire.agreements.loader import check_agreement, load_agreement, resolve_agreement_path
from ceasefire.cli import cli
from ceasefire.errors import AgreementError, ConfigError
from ceasefire.model.agreement import Agreement, Coverage
from tests.conftest import TZ

BUNDLED = resolve_agreement_path("syria-2016-09").read_text(encoding="utf-8")


def test_bundled_example_is_valid_and_complete(agreement: Agreement) -> None:
    assert agreement.start.instant == datetime(2016, 9, 12, 19, 0, tzinfo=TZ)
    assert {i.status for i in agreement.instruments} == {"published", "leaked", "unpublished"}
    assert [p.id for p in agreement.phases] == ["cessation", "jic"]
    assert {g.actor for g in agreement.guarantors} == {"USA", "RUS"}
    assert {e.actor for e in agreement.exclusions} >= {"ISIS", "JFS"}
    assert agreement.zone("designated_areas").geometry is None
    # every term carries its source keys
    assert all(t.refs for t in agreement.terms)


def test_start_keeps_stated_and_computed_sundown_and_flags_the_gap(agreement: Agreement) -> None:
    start = agreement.start
    assert start.stated == datetime(2016, 9, 12, 19, 0, tzinfo=TZ)
    # published almanacs put sunset in Damascus on 12 Sept 2016 at about 18:44 local (UTC+3)
    assert start.computed is not None
    assert (
        datetime(2016, 9, 12, 18, 40, tzinfo=TZ)
        <= start.computed
        <= datetime(2016, 9, 12, 18, 50, tzinfo=TZ)
    )
    assert start.disagrees
    assert any("sunset" in note and "18:4" in note for note in agreement.notes)


def test_exclusion_binds_the_lineage_not_the_name(agreement: Agreement) -> None:
    from ceasefire.compliance.coverage import coverage_of

    for actor_id in ("JN", "JFS", "HTS"):
        assert coverage_of(agreement, actor_id)[0] is Coverage.EXCLUDED
    assert coverage_of(agreement, "AHRAR")[0] is Coverage.UNKNOWN
    assert coverage_of(agreement, "SYR_GOV")[0] is Coverage.COVERED
    assert coverage_of(agreement, "TUR")[0] is Coverage.NOT_PARTY


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    assert old in BUNDLED, old
    path = tmp_path / "broken.yaml"
    path.write_text(BUNDLED.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


@pytest.mark.parametrize(
    ("old", "new", "needle", "field", "message"),
    [
        ("          duration: PT48H\n", '          duration: "48 hrs"\n', "48 hrs",
         "lifecycles.0.phases.0.duration", "is not an ISO 8601 duration"),
        ("          duration: PT48H\n", "          duration: 48\n", "duration: 48",
         "lifecycles.0.phases.0.duration", "must be text, not int 48"),
        ("      days: 7\n", '      days: "seven"\n', 'days: "seven"', "conditions.2.days",
         "must be a whole number"),
        ("{actor: JFS, lineage: true,", "{actor: NUSRA_X, lineage: true,", "NUSRA_X",
         "exclusions.1.actor", "'NUSRA_X' is not a known actor id"),
        ("  timezone: Asia/Damascus", "  timezone: Asia/Damascas", "Damascas", "timezone",
         "is not an IANA time zone"),
        ("          starts: conditions\n", "          starts: conditions\n          duraton: P7D\n",
         "duraton", "lifecycles.0.phases.1.duraton", "did you mean 'duration'?"),
        ("    S1: \"AP exclusive", "    S1x: \"AP exclusive", "S1x", "instruments.2.refs.0",
         "source key 'S1' is not listed"),
    ],
)  # fmt: skip
def test_broken_file_gives_located_errors(
    tmp_path: Path, old: str, new: str, needle: str, field: str, message: str
) -> None:
    path = _broken(tmp_path, old, new)
    problems = [p for p in check_agreement(str(path)) if p.severity == "error"]
    match = [p for p in problems if p.field == field and message in p.message]
    assert match, problems
    if field != "instruments.2.refs.0":
        assert match[0].line == _line_of(path, needle)
    assert str(match[0]).startswith(f"{path}:{match[0].line}: {field}: ")
    with pytest.raises(AgreementError):
        load_agreement(str(path))


def test_overlapping_phases_are_an_error(tmp_path: Path) -> None:
    path = _broken(
        tmp_path,
        "        - id: jic\n",
        "        - id: overlap\n          starts: start\n          duration: PT24H\n        - id: jic\n",
    )
    problems = check_agreement(str(path))
    overlap = [p for p in problems if "overlaps phase 'cessation'" in p.message]
    assert overlap
    assert overlap[0].line == _line_of(path, "id: overlap") + 1


def test_invalid_geometry_is_located(tmp_path: Path) -> None:
    bowtie = (
        "      geometry: {type: Polygon, coordinates: [[[37.0, 36.2], [37.2, 36.3], [37.2, 36.2],"
        " [37.0, 36.3], [37.0, 36.2]]]}\n      status: approximate\n"
    )
    path = _broken(
        tmp_path,
        "      status: undelineated\n      within: [SY02]\n      operator: SARC",
        bowtie + "      within: [SY02]\n      operator: SARC",
    )
    problems = check_agreement(str(path))
    geo = [p for p in problems if p.field == "zones.1.geometry"]
    assert geo
    assert "Self-intersection" in geo[0].message
    assert geo[0].line == _line_of(path, "type: Polygon")


def test_not_yaml_and_not_a_mapping(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("agreement: [unclosed\n", encoding="utf-8")
    (problem,) = check_agreement(str(bad))
    assert problem.field == "(yaml)"
    assert problem.line >= 1
    listy = tmp_path / "list.yaml"
    listy.write_text("- 1\n- 2\n", encoding="utf-8")
    assert "must be a YAML mapping" in check_agreement(str(listy))[0].message


def test_cli_check_exit_codes_and_lines(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(cli, ["agreement", "check", "syria-2016-09"])
    assert ok.exit_code == 0, ok.output
    path = _broken(tmp_path, "          duration: PT48H\n", "          duration: 48\n")
    bad = runner.invoke(cli, ["agreement", "check", str(path)])
    assert bad.exit_code == 1
    line = _line_of(path, "duration: 48")
    assert f"{path}:{line}: lifecycles.0.phases.0.duration: " in bad.output


def test_unknown_agreement_name_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="syria-2016-09"):
        resolve_agreement_path("no-such-agreement")
    result = CliRunner().invoke(cli, ["agreement", "show", "no-such-agreement"])
    assert result.exit_code == 2
    assert "bundled names" in result.output


def test_show_prints_the_bundled_file() -> None:
    result = CliRunner().invoke(cli, ["agreement", "show", "syria-2016-09"])
    assert result.exit_code == 0
    assert result.output == BUNDLED
