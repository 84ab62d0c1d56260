"""Rows per second for `statbot import` of a generated figures CSV, into SQLite and PostgreSQL.

    .venv/bin/python bench/import_rate.py [--rows 100000] [--postgres postgresql://postgres@127.0.0.1:5432/test]

Checking the file (intake.read_sheet) and storing it (one transaction through storage.changes)
are timed apart, since only the second depends on the database.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from intake.columns import all_columns
from intake.spreadsheet import read_sheet
from storage import changes, migrate, sheets, workspaces
from storage.db import make_engine, make_sessions, normalise_url

PUBLISHERS = ["BBC News", "The Guardian", "ITV News", "The Independent", "Sky News"]
PLACES = ["UK", "England", "Wales", "Scotland", "Northern Ireland"]
ENTITIES = ["Meta", "Instagram", "Snapchat", "TikTok", "Roblox", "Discord", "YouTube"]
TOPICS = ["grooming", "sextortion", "online child sexual abuse", "encryption", "age verification"]


def generate(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(all_columns("figures")))
        writer.writeheader()
        for n in range(rows):
            year = 2015 + n % 9
            row = dict.fromkeys(all_columns("figures"), "") | {
                "value": f"{(n * 37) % 90_000 + 10:,}", "unit": "count",
                "measure": f"offences of kind {n // 45} recorded by police",
                "period_start": f"{year}-04", "period_end": f"{year + 1}-03",
                "geography": PLACES[n % 5], "entities": ";".join(dict.fromkeys([ENTITIES[n % 7], ENTITIES[n % 3]])),
                "topics": TOPICS[n % 5], "source_publisher": PUBLISHERS[n % 5],
                "source_date": f"{year + 1}-09", "producer": "NSPCC",
            }  # fmt: skip
            writer.writerow(row)


def import_rate(url: str, path: Path) -> tuple[int, float, float]:
    started = time.perf_counter()
    sheet = read_sheet(path, "figures")
    checked = time.perf_counter() - started
    assert not sheet.bad, sheet.errors[:3]
    engine = make_engine(url)
    migrate.upgrade(engine)
    started = time.perf_counter()
    with make_sessions(engine)() as session:
        workspace = workspaces.home(session)
        result = sheets.import_items(
            session, workspace.id, [item for _, item in sheet.rows], actor=changes.CLI_ACTOR
        )
        session.commit()
    stored = time.perf_counter() - started
    engine.dispose()
    return result.added, checked, stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "figures.csv"
        generate(path, args.rows)
        print(f"{args.rows:,} rows, {path.stat().st_size / 1e6:.1f} MB CSV")
        if args.only != "postgresql":
            added, checked, stored = import_rate(f"sqlite:///{tmp}/bench.db", path)
            report("SQLite", added, checked, stored)
        if args.only != "sqlite":
            name = f"statbot_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(normalise_url(args.postgres), isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                url = normalise_url(args.postgres).rsplit("/", 1)[0] + f"/{name}"
                added, checked, stored = import_rate(url, path)
                report("PostgreSQL", added, checked, stored)
            finally:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def report(database: str, added: int, checked: float, stored: float) -> None:
    print(
        f"{database:<11} checked {added / checked:>8,.0f} rows/s ({checked:.1f}s); "
        f"stored {added / stored:>7,.0f} rows/s ({stored:.1f}s); "
        f"end to end {added / (checked + stored):>7,.0f} rows/s"
    )


if __name__ == "__main__":
    main()
