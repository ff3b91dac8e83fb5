"""Parquet export: typed columns a data frame can use, findings attached, nothing lost, stable bytes."""

from __future__ import annotations

import io
import json
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow.parquet as pq
from click.testing import CliRunner

from ceasefire.cli import cli
from ceasefire.compliance.engine import evaluate_all
from ceasefire.export.parquet import write_parquet
from ceasefire.model.agreement import Agreement
from ceasefire.model.incidents import Incident
from tests.conftest import UCDP_SEPT


def test_parquet_rows_are_typed_and_carry_findings(
    sept_incidents: list[Incident], agreement: Agreement
) -> None:
    findings = {f.incident: f.to_json() for f in evaluate_all(agreement, sept_incidents)}
    buf = io.BytesIO()
    assert write_parquet(sept_incidents, buf, findings) == 313
    table = pq.read_table(io.BytesIO(buf.getvalue()))
    assert table.num_rows == 313
    assert str(table.schema.field("start_utc").type) == "timestamp[us, tz=UTC]"
    rows = {r["key"]: r for r in table.to_pylist()}
    assert list(rows) == sorted(rows)
    # UCDP 227762 (checked by hand in the CSV): Tall Dhahab village, Homs, 14 Sept 2016,
    # 34.91136 N 36.4928 E, where_prec 2, best 1; Government of Syria vs Syrian insurgents
    row = rows["ucdp:227762"]
    assert (row["place"], row["admin1"]) == ("Tall Dhahab village", "Homs Governorate")
    assert (row["lat"], row["lon"], row["where_precision"]) == (34.91136, 36.4928, 2)
    assert (row["first_day"], row["last_day"]) == (date(2016, 9, 14), date(2016, 9, 14))
    assert row["start_utc"] == datetime(2016, 9, 13, 21, 0, tzinfo=UTC)  # local midnight, UTC+3
    assert row["fatalities_best"] == 1
    assert {a["name"] for a in row["actors"]} >= {"Government of Syria", "Syrian insurgents"}
    assert row["qualification"] == "undetermined"
    assert row["codes"] == ["ATK.UNSPEC", "UNDET.COVERAGE_UNKNOWN"]
    # the whole stored incident rides along, so nothing of the original is lost
    assert Incident.from_json(json.loads(row["body"])) == next(
        i for i in sept_incidents if i.key == "ucdp:227762"
    )
    # the same counts as the compliance tests (112 + 72 + 65 not violations; 41 + 22 undetermined)
    assert Counter(r["qualification"] for r in rows.values()) == {
        "not_violation": 249, "undetermined": 63, "out_of_scope": 1,
    }  # fmt: skip


def test_cli_parquet_is_atomic_and_byte_identical(tmp_path: Path) -> None:
    runner = CliRunner()
    ws = str(tmp_path / "ws")
    assert runner.invoke(cli, ["--workspace", ws, "import", "ucdp", str(UCDP_SEPT)]).exit_code == 0
    outs = []
    for name in ("a.parquet", "b.parquet"):
        out = tmp_path / name
        result = runner.invoke(cli, ["--workspace", ws, "export", "parquet", "--output", str(out)])
        assert result.exit_code == 0, result.output
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    assert pq.read_table(tmp_path / "a.parquet").column("qualification").null_count == 313
    assert not list(tmp_path.glob("*.tmp"))
    missing = runner.invoke(cli, ["--workspace", ws, "export", "parquet"])
    assert missing.exit_code != 0
    assert "give --output" in missing.output
