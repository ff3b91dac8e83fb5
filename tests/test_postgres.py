"""PostgreSQL/PostGIS as the server store: the same data and findings as SQLite, the PostGIS point
and its index, and clear errors for bad database URLs.

These tests need a PostgreSQL server with PostGIS: ``scripts/test`` (and so ``.ci/run``) installs
and starts one on loopback and passes its URL in ``CEASEFIRE_PG_ADMIN_URL`` to both test runs.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ceasefire.api.app import create_app
from ceasefire.errors import StoreError
from ceasefire.governance import add_user
from ceasefire.model.agreement import Agreement
from ceasefire.service import evaluate_store, import_file
from ceasefire.store import Store
from ceasefire.visibility import OPERATOR
from tests.conftest import TZ, UCDP_SEPT

ADMIN_URL = os.environ.get("CEASEFIRE_PG_ADMIN_URL", "")
# Aleppo city and its eastern countryside (lon 37.0–37.3, lat 36.1–36.3)
BOX = (37.0, 36.1, 37.3, 36.3)


@pytest.fixture
def pg_url(tmp_path: Path) -> Iterator[str]:
    if not ADMIN_URL:
        pytest.fail(
            "CEASEFIRE_PG_ADMIN_URL is not set: run the tests with scripts/test, which starts "
            "PostgreSQL with PostGIS (scripts/postgres) and sets it."
        )
    import psycopg

    schema = f"pgtest_{os.getpid()}_{abs(hash(str(tmp_path))) % 10**8}"
    yield f"{ADMIN_URL}?schema={schema}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _in_box_from_csv() -> set[str]:
    """Counted straight from the UCDP file, independently of the store."""
    with UCDP_SEPT.open(encoding="utf-8", newline="") as handle:
        return {
            f"ucdp:{row['id']}"
            for row in csv.DictReader(handle)
            if BOX[0] <= float(row["longitude"]) <= BOX[2]
            and BOX[1] <= float(row["latitude"]) <= BOX[3]
        }


def test_postgres_holds_the_same_incidents_and_findings_as_sqlite(
    tmp_path: Path, pg_url: str, agreement: Agreement
) -> None:
    lite = Store(tmp_path / "lite", database_url=f"sqlite:///{tmp_path / 'lite.sqlite'}")
    pg = Store(tmp_path / "pg", database_url=pg_url)
    assert (lite.dialect, pg.dialect) == ("sqlite", "postgresql")
    for store in (lite, pg):
        summary = import_file(store, "ucdp", UCDP_SEPT, TZ)
        assert (summary.added, summary.quarantined) == (313, 0)
    assert [i.to_json() for i in pg.incidents()] == [i.to_json() for i in lite.incidents()]

    def findings(store: Store) -> list[str]:
        return sorted(
            json.dumps(f.to_json(), sort_keys=True)
            for _, f in evaluate_store(store, agreement, audience=OPERATOR)
        )

    assert findings(pg) == findings(lite)
    expected = sorted(_in_box_from_csv())
    assert expected, "the box holds Aleppo's incidents"
    assert pg.incident_keys_in_box(*BOX) == expected
    assert lite.incident_keys_in_box(*BOX) == expected
    # a second import of the same file changes nothing on either store
    assert import_file(pg, "ucdp", UCDP_SEPT, TZ).unchanged == 313
    lite.close()
    pg.close()


def test_postgis_point_and_gist_index(tmp_path: Path, pg_url: str) -> None:
    with Store(tmp_path / "pg", database_url=pg_url) as store:
        import_file(store, "ucdp", UCDP_SEPT, TZ)
        conn = store.conn
        (with_point,) = conn.execute(
            "SELECT count(*) FROM incidents WHERE geom IS NOT NULL"
        ).fetchone()
        assert with_point == 313
        # the point is the incident's coordinates, lon/lat in WGS 84
        row = conn.execute(
            "SELECT public.ST_X(geom), public.ST_Y(geom), public.ST_SRID(geom), lat, lon "
            "FROM incidents ORDER BY key LIMIT 1"
        ).fetchone()
        assert (row[0], row[1], row[2]) == (row[4], row[3], 4326)
        (method,) = conn.execute(
            "SELECT am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam "
            "WHERE c.relname = 'incidents_geom'"
        ).fetchone()
        assert method == "gist"
        from ceasefire.store.migrations import MIGRATIONS

        (version,) = conn.execute("SELECT max(version) FROM schema_version").fetchone()
        assert version == len(MIGRATIONS)


def test_api_box_query_on_postgres(tmp_path: Path, pg_url: str) -> None:
    ws = tmp_path / "pg"
    with Store(ws, database_url=pg_url) as store:
        import_file(store, "ucdp", UCDP_SEPT, TZ)
        token = add_user(store, "root", "admin", None, "bootstrap")
    client = TestClient(create_app(ws, TZ, database_url=pg_url))
    auth = {"Authorization": f"Bearer {token}"}
    got = client.get(
        "/incidents", params={"bbox": ",".join(map(str, BOX)), "limit": 1000}, headers=auth
    )
    assert got.status_code == 200
    assert sorted(i["key"] for i in got.json()) == sorted(_in_box_from_csv())
    bad = client.get("/incidents", params={"bbox": "37.3,36.1,37.0,36.3"}, headers=auth)
    assert bad.status_code == 422
    assert "bbox" in bad.json()["error"]["message"]


def test_unreachable_server_is_a_clear_error_without_the_password(tmp_path: Path) -> None:
    store = Store(tmp_path / "ws", database_url="postgresql://ops:s3cret@127.0.0.1:9/nowhere")
    with pytest.raises(StoreError) as caught:
        store.count_incidents()
    message = str(caught.value)
    assert "Cannot connect to PostgreSQL at postgresql://ops:***@127.0.0.1:9/nowhere" in message
    assert "s3cret" not in message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://root@localhost/db", "Unknown database URL"),
        ("postgresql://u@127.0.0.1:9/db?schema=Robert'); DROP", "not a plain lower-case SQL name"),
    ],
)
def test_bad_database_urls_are_refused(tmp_path: Path, url: str, expected: str) -> None:
    with pytest.raises(StoreError, match=expected):
        Store(tmp_path / "ws", database_url=url).count_incidents()


def test_cli_takes_the_database_url(tmp_path: Path, pg_url: str) -> None:
    from click.testing import CliRunner

    from ceasefire.cli import cli

    ws = str(tmp_path / "ws")
    out = CliRunner().invoke(
        cli, ["--workspace", ws, "--database", pg_url, "import", "ucdp", str(UCDP_SEPT)]
    )
    assert out.exit_code == 0, out.output
    assert "added 313" in out.output
    with Store(Path(ws), database_url=pg_url) as store:
        assert store.dialect == "postgresql"
        assert store.count_incidents() == 313
