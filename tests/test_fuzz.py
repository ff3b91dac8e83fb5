"""The short fuzzing run (bench/fuzz.py is the long one): 10,000 hypothesis inputs per parser —
agreement YAML, control GeoJSON and CSV, news JSON lines, news text/HTML through the cleaner —
with what each accepts read downstream (the first 200 accepted per parser here; every one in the
long run).  A failure is a bug: hypothesis shrinks it, and it becomes a regression test below."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from bench.fuzz import TARGETS, Tally, property_test, scratch_folder
from tests.conftest import POSTGRES

EXECUTIONS = int(os.environ.get("CEASEFIRE_FUZZ_EXECUTIONS", "10000"))
DOWNSTREAM = 200


@pytest.mark.slow
@pytest.mark.skipif(bool(POSTGRES), reason="no store involved: run once, in the SQLite pass")
@pytest.mark.parametrize("name", sorted(TARGETS))
def test_fuzz_a_parser(name: str) -> None:
    tally = Tally(downstream_budget=DOWNSTREAM)
    started = time.perf_counter()
    with scratch_folder() as folder:
        property_test(name, Path(folder), tally, EXECUTIONS)()
    seconds = time.perf_counter() - started
    said = f"{tally.executions} executions in {seconds:.1f} s, {tally.accepted} accepted"
    assert tally.executions >= EXECUTIONS, said
    assert tally.downstream >= min(DOWNSTREAM, tally.accepted) > 0


# -- crashes the fuzzer found, kept as regression tests -----------------------------------------
def _layer(tmp_path: Path, geometry: str) -> Path:
    path = tmp_path / "layer.geojson"
    path.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": ' + geometry
        + ', "properties": {"area_id": "A1", "status": "held", "actors": "SYR_GOV",'
        ' "valid_from": "2016-09-12", "sources": "S1"}}]}',
        encoding="utf-8",
    )  # fmt: skip
    return path


@pytest.mark.parametrize(
    "geometry",
    [
        '{"type": "Polygon", "coordinates": [[[37.1, 36.2], [NaN, 36.2], [37.2, 36.3], [37.1, 36.2]]]}',
        '{"type": "Polygon", "coordinates": [[[37.1, 36.2], [1e400, 36.2], [37.2, 36.3], [37.1, 36.2]]]}',
        '{"type": "Point", "coordinates": [37.1, -Infinity]}',
        '{"type": "Polygon", "coordinates": [[[37.1, 36.2], [1e300, 36.2], [37.2, 1e300], [37.1, 36.2]]]}',
        '{"type": "", "coordinates": [37.1, 36.2]}',
        '{"type": "Polygon", "coordinates": [[[37.1]]]}',
    ],
    ids=["nan", "overflow-to-inf", "minus-infinity", "far-outside", "empty-type", "short-position"],
)
def test_a_control_geometry_that_broke_geos_is_a_located_problem(
    tmp_path: Path, geometry: str
) -> None:
    from ceasefire.geo.control import import_geojson

    result = import_geojson(_layer(tmp_path, geometry))  # GEOSException or a warning before
    assert result.versions == ()
    (problem,) = result.problems
    assert problem.field == "features[0].geometry"
    assert str(problem).startswith(f"{tmp_path / 'layer.geojson'}:0: ")


def test_a_control_point_off_the_globe_is_a_located_problem(tmp_path: Path) -> None:
    from ceasefire.geo.control import import_csv

    path = tmp_path / "points.csv"
    path.write_text("area_id,status,actors,sources,valid_from,lat,lon\n"
                    "P1,held,SYR_GOV,S1,2016-09-12,nan,37.1\nP2,held,SYR_GOV,S1,2016-09-12,36.2,inf\n"
                    "P3,held,SYR_GOV,S1,2016-09-12,36.2,37.1\n", encoding="utf-8")  # fmt: skip
    result = import_csv(path)
    assert [v.area_id for v in result.versions] == ["P3"]
    assert [(p.line, p.field) for p in result.problems] == [(2, "lat/lon"), (3, "lat/lon")]


def test_a_news_line_nested_too_deeply_is_a_located_problem(tmp_path: Path) -> None:
    from ceasefire.intake.news import read_news
    from tests.conftest import TZ

    path = tmp_path / "news.jsonl"
    path.write_text('{"id": "a", "text": "Shelling in Aleppo."}\n'
                    + '{"id": "b", "text": ' + "[" * 100_000 + "]" * 100_000 + "}\n",
                    encoding="utf-8")  # fmt: skip
    batch = read_news([path], TZ, source="s", published="2016-09-14")
    assert [d.id for d in batch.documents] == ["a"]
    assert [(p.line, p.field) for p in batch.problems] == [(2, "(json)")]


def test_a_control_layer_with_a_5000_digit_number_is_a_located_error(tmp_path: Path) -> None:
    """Found by the long fuzzing run (bench/fuzz.py, control_geojson): a ValueError escaped."""
    from ceasefire.errors import IntakeError
    from ceasefire.geo.control import import_geojson

    path = tmp_path / "digits.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [], "x": ' + "7" * 5000 + "}")
    with pytest.raises(
        IntakeError, match=r"digits\.geojson: the .* holds a number that cannot be read"
    ):
        import_geojson(path)
