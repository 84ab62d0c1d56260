"""Spreadsheets for the importers: rows in the template's columns, files written from them, `statbot import`
run in-process on the test database (the `run` fixture), and what the tables then hold."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from bot import cli
from intake.columns import all_columns
from storage.db import make_sessions
from storage.models import AuditEntry, Entity, Quote, SearchDocument, Source, Statistic, Topic

TEMPLATES = Path(__file__).resolve().parent.parent / "intake" / "templates"


COUNTED = (Statistic, Quote, Source, Entity, Topic, AuditEntry, SearchDocument)


@pytest.fixture
def run(engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[object]:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.chdir(tmp_path)  # no .env file is read from the repository
    yield lambda *argv: cli.main([str(a) for a in argv])


def counts(engine: Engine) -> dict[str, int]:
    with make_sessions(engine)() as session:
        return {m.__name__: session.scalar(select(func.count()).select_from(m)) or 0 for m in COUNTED}


def figure_row(n: int, **changed: str) -> dict[str, str]:
    row = dict.fromkeys(all_columns("figure"), "")
    row |= {
        "value": str(1000 + n), "unit": "count", "measure": f"reports of grooming number {n}",
        "period_start": "2022-04", "period_end": "2023-03", "geography": "England",
        "entities": "Snapchat;Instagram", "topics": "grooming", "source_publisher": "BBC News",
        "source_date": "2023-08", "producer": "NSPCC",
    }  # fmt: skip
    return row | changed


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(all_columns("figure")))
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_rows(path: Path, *rows: dict[str, str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def as_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()
