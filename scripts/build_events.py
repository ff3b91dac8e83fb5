"""Build ``ceasefire/data/events/`` from the shared data folder: UCDP GED Syria events, coded fields only.

Writes (deterministic: rows in the source's order, ``\\n`` line ends, gzip mtime 0):

* ``events/ucdp_ged_syria_2016_2019.csv.gz``            all 16,566 events (2016-01-01 – 2019-11-30)
* ``events/ucdp_ged_syria_2016-09-05_to_2016-09-26.csv.gz`` the 313 events of the Sept 2016 fixture

The columns ``source_article`` and ``source_headline`` (third-party headline text) are left empty;
every other value is unchanged (see ``ceasefire/data/ATTRIBUTION.md``).

Run: ``.venv/bin/python scripts/build_events.py [--shared DIR]``
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "ceasefire" / "data" / "events"
THIRD_PARTY_TEXT = ("source_article", "source_headline")
FIXTURE = ("2016-09-05", "2016-09-26")


def coded(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{k: ("" if k in THIRD_PARTY_TEXT else v) for k, v in row.items()} for row in rows]


def write(path: Path, columns: list[str], rows: list[dict[str, str]]) -> int:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", fileobj=buf, mode="wb", mtime=0) as gz:
        text = io.TextIOWrapper(gz, encoding="utf-8", newline="")
        writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        text.flush()
        text.detach()
    path.write_bytes(buf.getvalue())
    return len(buf.getvalue())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    source = args.shared / "events" / "ucdp_ged_syria_2016_2019.csv.gz"
    with gzip.open(source, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        columns = list(reader.fieldnames or [])
    OUT.mkdir(parents=True, exist_ok=True)
    all_rows = coded(rows)
    size = write(OUT / "ucdp_ged_syria_2016_2019.csv.gz", columns, all_rows)
    first, last = FIXTURE
    fixture = [r for r in all_rows if first <= r["date_start"] <= last]
    fsize = write(OUT / f"ucdp_ged_syria_{first}_to_{last}.csv.gz", columns, fixture)
    sys.stdout.write(f"{len(all_rows)} events ({size:,} bytes); fixture {len(fixture)} ({fsize:,} bytes)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
