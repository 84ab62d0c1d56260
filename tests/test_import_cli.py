"""`statbot import` and `statbot export` on both databases: all or nothing, nothing twice, and a lossless round trip."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from intake.columns import all_columns
from storage import changes, workspaces, write
from storage.db import make_sessions
from storage.models import AuditEntry, Statistic, Status

# `run` is a fixture of tests/spreadsheets.py, a plugin of tests/conftest.py.
from tests.spreadsheets import TEMPLATES, counts, figure_row, write_csv


def test_a_good_file_is_imported_published_and_logged_once(
    run: object, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("import", TEMPLATES / "figures.csv") == 0  # type: ignore[operator]
    assert "Imported 1 figure; 0 already stored" in capsys.readouterr().out
    assert run("import", TEMPLATES / "figures.csv") == 0  # type: ignore[operator]
    assert "Imported 0 figures; 1 already stored" in capsys.readouterr().out
    with make_sessions(engine)() as session:
        stat = session.scalars(select(Statistic)).one()
        assert stat.status == Status.PUBLISHED and stat.published_at is not None
        assert stat.source.label == "The Independent"
        assert stat.producer is not None and stat.producer.label == "NSPCC"
        assert [e.action for e in session.scalars(select(AuditEntry))] == ["create"]
    assert counts(engine)["SearchDocument"] == 1


@pytest.mark.parametrize("kind", ["quote", "quotes"])  # the documented kind, and the plural older scripts pass
def test_quotes_are_imported_and_exported_with_kind_quote_or_quotes(
    run: object, engine: Engine, kind: str, tmp_path: Path
) -> None:
    assert run("import", TEMPLATES / "quotes.csv", "--kind", kind) == 0  # type: ignore[operator]
    assert counts(engine)["Quote"] == 1
    out = tmp_path / "out.csv"
    assert run("export", "--kind", kind, "-o", out) == 0  # type: ignore[operator]
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(all_columns("quote")) and rows[0]["speaker"]


def test_known_entities_are_matched_by_name_and_an_alias_never_renames_a_subject(
    run: object, engine: Engine, home_id: int, tmp_path: Path
) -> None:
    before = counts(engine)
    path = write_csv(tmp_path / "f.csv", [figure_row(1, entities="instagram;Meta;Roblox")])
    assert run("import", path) == 0  # type: ignore[operator]
    # Instagram is known by name; "Meta" is only an alias of Meta Platforms, so it becomes an entity of its
    # own (owned by Meta Platforms, so searches for either find it); Roblox is new.
    assert counts(engine)["Entity"] == before["Entity"] + 2
    with make_sessions(engine)() as session:
        stat = session.scalars(select(Statistic).where(Statistic.measure.like("%number 1"))).one()
        assert sorted(e.name for e in stat.entities) == ["Instagram", "Meta", "Roblox"]
        meta = next(e for e in stat.entities if e.name == "Meta")
        assert meta.owner is not None and meta.owner.name == "Meta Platforms"


def test_a_file_with_bad_rows_imports_nothing_and_says_row_column_and_why(
    run: object, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(
        tmp_path / "mixed.csv",
        [figure_row(1), figure_row(2, value="lots"), figure_row(3), figure_row(4, source_publisher="", source_date="")],
    )  # fmt: skip
    before = counts(engine)
    assert run("import", path) == 1  # type: ignore[operator]
    out = capsys.readouterr()
    assert "row 3, column value:" in out.out and "row 5, column source_" in out.out
    assert "Nothing imported: 2 rows need fixing" in out.err
    assert counts(engine) == before
    assert not (tmp_path / "mixed.rejected.csv").exists()


def test_skip_bad_imports_the_good_rows_and_sets_the_bad_ones_beside_the_input(
    run: object, engine: Engine, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "mixed.csv", [figure_row(1), figure_row(2, value="lots"), figure_row(3)])
    assert run("import", path, "--skip-bad") == 0  # type: ignore[operator]
    assert counts(engine)["Statistic"] == 2
    with (tmp_path / "mixed.rejected.csv").open(encoding="utf-8-sig") as handle:
        rejected = list(csv.DictReader(handle))
    assert [r["value"] for r in rejected] == ["lots"] and rejected[0]["error"].startswith("row 3: value")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_then_import_changes_nothing(run: object, engine: Engine, tmp_path: Path, suffix: str) -> None:
    # Not over the sample data: its curated sources have no link or date, which imports refuse.
    assert run("import", write_csv(tmp_path / "in.csv", [figure_row(n) for n in range(5)])) == 0  # type: ignore[operator]
    first = tmp_path / f"first{suffix}"
    flags = ["--xlsx"] if suffix == ".xlsx" else []
    assert run("export", "-o", first, *flags) == 0  # type: ignore[operator]
    before = counts(engine)
    assert run("import", first) == 0  # type: ignore[operator]
    assert counts(engine) == before
    second = tmp_path / f"second{suffix}"
    assert run("export", "-o", second, *flags) == 0  # type: ignore[operator]
    if suffix == ".csv":
        assert first.read_bytes() == second.read_bytes()
        assert len(list(csv.DictReader(first.open(encoding="utf-8-sig")))) == 5


def test_export_by_topic_words_and_only_published(
    run: object, engine: Engine, home_id: int, tmp_path: Path
) -> None:
    assert run("import", write_csv(tmp_path / "in.csv", [figure_row(1), figure_row(2)])) == 0  # type: ignore[operator]
    with make_sessions(engine)() as session:
        stat = session.scalars(select(Statistic).where(Statistic.measure.like("%number 2"))).one()
        changes.retract(session, stat, actor="U0EDITOR", reason="withdrawn")
        session.commit()
    out = tmp_path / "grooming.csv"
    assert run("export", "grooming", "-o", out) == 0  # type: ignore[operator]
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert [r["measure"] for r in rows] == ["reports of grooming number 1"]
    assert list(rows[0]) == list(all_columns("figure"))


def _refuse_poison(session: Session) -> None:
    """A rule the database itself enforces, standing in for any failure the database raises mid-import."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("ALTER TABLE statistics ADD CONSTRAINT ck_test_poison CHECK (measure <> 'poison')")
        )
    else:
        session.execute(
            text(
                "CREATE TRIGGER test_poison BEFORE INSERT ON statistics WHEN NEW.measure = 'poison' "
                "BEGIN SELECT RAISE(ABORT, 'poison refused'); END"
            )
        )
    session.commit()


def _allow_poison(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ALTER TABLE statistics DROP CONSTRAINT ck_test_poison"))
    else:
        session.execute(text("DROP TRIGGER test_poison"))
    session.commit()


@pytest.mark.slow
def test_a_database_failure_halfway_leaves_the_database_as_it_was(
    run: object, engine: Engine, home_id: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The refused row comes after a whole batch has been written; a file this size is also left to
    # `statbot migrate` to embed, so the test does not wait on the model.
    rows = [figure_row(n) for n in range(write.FIRST_BATCH + 100)]
    rows[write.FIRST_BATCH + 50] = figure_row(write.FIRST_BATCH + 50, measure="poison")
    path = write_csv(tmp_path / "big.csv", rows)
    before = counts(engine)
    with make_sessions(engine)() as session:
        _refuse_poison(session)
        try:
            assert run("import", path) == 1  # type: ignore[operator]
        finally:
            _allow_poison(session)
    assert "Nothing imported: the database refused the import" in capsys.readouterr().err
    assert counts(engine) == before
    assert run("import", path) == 0  # type: ignore[operator]
    assert counts(engine)["Statistic"] == before["Statistic"] + len(rows)


def test_re_importing_with_other_case_punctuation_or_spacing_adds_nothing(
    run: object, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("import", write_csv(tmp_path / "a.csv", [figure_row(1), figure_row(2)])) == 0  # type: ignore[operator]
    retyped = [
        figure_row(n, measure=f"Reports of  GROOMING, number {n}.", geography="england") for n in (1, 2, 3)
    ]
    assert run("import", write_csv(tmp_path / "b.csv", retyped)) == 0  # type: ignore[operator]
    assert "Imported 1 figure; 2 already stored" in capsys.readouterr().out
    assert counts(engine)["Statistic"] == 3


def test_team_chooses_the_workspace_a_command_line_import_and_export_act_on(
    run: object, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with make_sessions(engine)() as session:
        one, two = workspaces.install(session, "T0ONE").id, workspaces.install(session, "T0TWO").id
        session.commit()
    assert run("import", TEMPLATES / "figures.csv", "--team", "T0ONE") == 0  # type: ignore[operator]
    with make_sessions(engine)() as session:
        owners = set(session.scalars(select(Statistic.workspace_id)))
    assert owners == {one} and two not in owners
    assert run("export", "--team", "T0TWO", "-o", tmp_path / "two.csv") == 0  # type: ignore[operator]
    with (tmp_path / "two.csv").open(encoding="utf-8-sig") as handle:
        assert list(csv.DictReader(handle)) == []
    assert run("export", "--team", "T0ONE", "-o", tmp_path / "one.csv") == 0  # type: ignore[operator]
    with (tmp_path / "one.csv").open(encoding="utf-8-sig") as handle:
        assert len(list(csv.DictReader(handle))) > 0
    capsys.readouterr()
    assert run("import", TEMPLATES / "figures.csv", "--team", "T0NONE") == 2  # type: ignore[operator]
    assert "No workspace for Slack team T0NONE" in capsys.readouterr().err
