"""Tiny fixtures: the bundled agreement, the real UCDP Sept 2016 fixture, fresh stores."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ceasefire.agreements import load_agreement
from ceasefire.intake.ucdp import parse_ucdp
from ceasefire.model.agreement import Agreement
from ceasefire.model.incidents import Incident
from ceasefire.store import Store

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
UCDP_SEPT = SHARED / "events" / "ucdp_ged_syria_2016-09-05_to_2016-09-26.csv"
UCDP_FULL = SHARED / "events" / "ucdp_ged_syria_2016_2019.csv.gz"
TZ = ZoneInfo("Asia/Damascus")


@pytest.fixture(scope="session")
def agreement() -> Agreement:
    return load_agreement("syria-2016-09")


@pytest.fixture(scope="session")
def sept_rows() -> list[dict[str, str]]:
    with UCDP_SEPT.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="session")
def sept_incidents() -> list[Incident]:
    batch = parse_ucdp(UCDP_SEPT, TZ)
    assert not batch.problems
    return batch.records


# a monitor's report of shelling in Aleppo city on 15 Sept 2016, written for these tests
MONITOR_REPORT: dict[str, object] = {
    "id": "r-1", "kind": "incident", "reported_at": "2016-09-15T10:00+03:00",
    "reporter": {"name": "monitor team 2", "type": "monitor"}, "time": {"at": "2016-09-15"},
    "place": {"name": "Aleppo", "lat": 36.2, "lon": 37.15, "admin1": "Aleppo Governorate"},
    "actors": [{"name": "Government of Syria", "role": "perpetrator"}], "category": "ATK.IND",
}  # fmt: skip


# The whole suite runs on SQLite and, with CEASEFIRE_TEST_POSTGRES set to a PostgreSQL/PostGIS
# database URL (scripts/postgres starts one; .ci/run does both runs), on PostgreSQL: the library,
# and any server or CLI subprocess a test starts, then read CEASEFIRE_DATABASE_URL with
# ``schema=auto``, so each workspace folder gets its own schema of that database.
POSTGRES = os.environ.get("CEASEFIRE_TEST_POSTGRES", "")
# a test module that never opens a store runs once, in the SQLite pass (`pytestmark = STORELESS`)
STORELESS = pytest.mark.skipif(
    bool(POSTGRES), reason="no store involved: run once, in the SQLite pass"
)


@pytest.fixture(scope="session", autouse=True)
def database_url() -> Iterator[str | None]:
    if not POSTGRES:
        os.environ.pop("CEASEFIRE_DATABASE_URL", None)
        yield None
        return
    import psycopg

    def drop_workspace_schemas() -> None:
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'ws\\_%'"
            ).fetchall()
            for (name,) in rows:
                conn.execute(f'DROP SCHEMA "{name}" CASCADE')

    drop_workspace_schemas()
    os.environ["CEASEFIRE_DATABASE_URL"] = f"{POSTGRES}?schema=auto"
    yield os.environ["CEASEFIRE_DATABASE_URL"]
    os.environ.pop("CEASEFIRE_DATABASE_URL", None)
    drop_workspace_schemas()


@pytest.fixture
def store(tmp_path: Path, database_url: str | None) -> Iterator[Store]:
    fresh = Store(tmp_path / "ws") if database_url else Store.memory()
    yield fresh
    fresh.close()


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def acled_haydariyeh_csv(path: Path) -> Path:
    """A synthetic ACLED row (written for these tests): the army regains Haydariyeh (Aleppo
    neighbourhood N0122) on 22 Nov 2016, located precisely inside it."""
    from ceasefire.geo.control import packaged_areas
    from ceasefire.intake.acled import ACLED_COLUMNS

    point = packaged_areas("neighbourhood")["N0122"][1].representative_point()
    row = dict.fromkeys(ACLED_COLUMNS, "")
    row.update({
        "event_id_cnty": "SYRTEST1", "event_date": "2016-11-22", "year": "2016", "time_precision": "1",
        "disorder_type": "Political violence", "event_type": "Battles",
        "sub_event_type": "Government regains territory", "actor1": "Military Forces of Syria (2000-)",
        "country": "Syria", "admin1": "Aleppo", "location": "Aleppo - Haydariyeh",
        "latitude": f"{point.y:.6f}", "longitude": f"{point.x:.6f}", "geo_precision": "1",
        "source": "test source", "fatalities": "0",
    })  # fmt: skip
    path.write_text(",".join(ACLED_COLUMNS) + "\n" + ",".join(row[c] for c in ACLED_COLUMNS) + "\n",
                    encoding="utf-8")  # fmt: skip
    return path
