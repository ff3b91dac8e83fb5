"""Control layers are measured before their shapes are built: a million-vertex area, a gzip bomb,
NaN coordinates or JSON nested past any geometry end in a located error within seconds."""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ceasefire.cli import cli
from ceasefire.errors import IntakeError
from ceasefire.geo.control_store import (
    MAX_FEATURE_VERTICES,
    check_control_file,
    import_control_file,
)
from ceasefire.store import Store


def _feature(ring: list[list[float]], area: str = "A1") -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
            "properties": {"area_id": area, "status": "held", "actors": ["SYR_GOV"],
                           "valid_from": "2016-09-01", "sources": ["S1"]}}  # fmt: skip


def _ring(n: int) -> list[list[float]]:
    """A closed ring of ``n`` vertices around (37.15 E, 36.2 N)."""
    import math

    points = [[37.15 + 0.01 * math.cos(2 * math.pi * i / n), 36.2 + 0.01 * math.sin(2 * math.pi * i / n)]
              for i in range(n - 1)]  # fmt: skip
    return [*points, points[0]]


def _layer(path: Path, *features: dict[str, Any]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": list(features)}))
    return path


def test_a_million_vertex_area_is_refused_in_seconds(tmp_path: Path) -> None:
    path = _layer(tmp_path / "big.geojson", _feature(_ring(8)), _feature(_ring(1_000_000), "A2"))
    started = time.monotonic()
    with pytest.raises(IntakeError) as caught:
        import_control_file(Store.memory(), path, "analyst")
    assert time.monotonic() - started < 10
    assert "features[1].geometry: has 1,000,000 vertices" in str(caught.value)
    assert f"at most {MAX_FEATURE_VERTICES:,}" in str(caught.value)


def test_an_area_within_the_bound_is_imported(tmp_path: Path) -> None:
    path = _layer(tmp_path / "ok.geojson", _feature(_ring(2000)))
    summary = import_control_file(Store.memory(), path, "analyst")
    assert (summary.added, summary.quarantined) == (1, 0)


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("bomb.geojson.gz", lambda: gzip.compress(b" " * (80 << 20), 9), "decompresses to more than"),
        ("nan.geojson", lambda: json.dumps({"type": "FeatureCollection",
                                            "features": [_feature([[float("nan"), 36.2]] * 4)]}).encode(),
         "NaN is not a number GeoJSON allows"),
        ("deep.geojson", lambda: b'{"type": "FeatureCollection", "features": [{"geometry": {"type": "Polygon", '
         b'"coordinates": ' + b"[" * 20 + b"]" * 20 + b"}}]}", "features[0].geometry: nests deeper"),
        ("recursion.geojson", lambda: b"[" * 100_000 + b"]" * 100_000, "nests deeper than any GeoJSON"),
        ("digits.geojson", lambda: b'{"type": "FeatureCollection", "features": [], "x": ' + b"9" * 5000 + b"}",
         "is not GeoJSON"),
        ("corrupt.geojson.gz", lambda: gzip.compress(b'{"type": "FeatureCollection"}' * 100)[:40], "could not be read"),
    ],
)  # fmt: skip
def test_a_hostile_layer_ends_in_a_located_error(
    tmp_path: Path, name: str, content: Any, words: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content())
    started = time.monotonic()
    with pytest.raises(IntakeError) as caught:
        check_control_file(path)
    assert time.monotonic() - started < 10
    assert str(path) in str(caught.value)
    assert words in str(caught.value)


def test_the_cli_says_so_without_a_traceback(tmp_path: Path) -> None:
    path = _layer(tmp_path / "big.geojson", _feature(_ring(MAX_FEATURE_VERTICES + 10)))
    result = CliRunner().invoke(
        cli, ["--workspace", str(tmp_path / "ws"), "control", "import", str(path)]
    )
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    assert "features[0].geometry: has 200,010 vertices" in result.output
