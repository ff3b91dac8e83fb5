"""Bounded parsing: every bomb ends in a located error within 10 s and 500 MB.

Each bomb (bench/bench_bombs.py builds them) runs in a fresh process, so the peak memory measured
is its own.  Before the bounds: a YAML alias bomb in the pipeline config ran to MemoryError, a
2.6 MB agreement took two minutes to refuse, a gzip bomb in a control layer was decompressed
whole, a million-vertex control area was built and stored, a JSON line nested 100,000 deep
crashed the news reader, and a 3 MB page of navigation took 50 s to clean."""

from __future__ import annotations

import re

import pytest

from bench.bench_bombs import BOMBS, run_in_child
from tests.conftest import POSTGRES

WANTED = {
    "agreement_alias": r"bomb\.yaml:\d+: \(yaml\): the document has more than 200,000 values",
    "agreement_nested": r"deep\.yaml:\d+: \(yaml\): the document is nested more than 64 levels",
    "agreement_zone_vertices": r"syria-2018-09\.yaml:\d+: zones\.1\.geometry_file: has more than 200,000 vertices",
    "pipeline_alias": r"news\.yaml:\d+: cannot read the pipeline config \(the document has more than 200,000 values",
    "control_geojson_vertices": r"million\.geojson:0: features\[0\]\.geometry: has more than 200,000 vertices",
    "control_geojson_gzip": r"bomb\.geojson\.gz:1: the control layer is larger than 20,000,000 bytes once decompressed",
    "control_csv_rows": r"rows\.csv:100002: more than 100,000 rows",
    "news_html_links": r"^links: quarantine:clean:too_complex: the page has 40,002 elements",
    "news_html_paragraphs": r"^paragraphs: quarantine:clean:too_long: [\d,]+ characters",
    "news_jsonl_nested": r"deep\.jsonl:1: \(json\): is nested too deeply",
}  # fmt: skip


def test_every_bomb_has_its_expected_answer() -> None:
    assert set(WANTED) == set(BOMBS)


@pytest.mark.slow
@pytest.mark.skipif(bool(POSTGRES), reason="no store involved: run once, in the SQLite pass")
@pytest.mark.parametrize("name", sorted(BOMBS))
def test_a_bomb_ends_in_a_located_error_within_10_s_and_500_mb(name: str) -> None:
    result = run_in_child(name, gzip_mb=200)
    answer = str(result["answer"])
    assert re.search(WANTED[name], answer, re.MULTILINE), answer
    assert float(str(result["seconds"])) < 10, result
    assert float(str(result["peak_mb"])) < 500, result
