"""Sources on real rows: one link is one source, conflicting details are reported, a dated source without a
link is not folded into an undated one, each figure keeps its own producer, and export -> import -> export
through the CLI gives the same bytes on SQLite and PostgreSQL, sample included.

The rows come from ../shared/corpus/real (read at run time, never copied here).
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, func, select, text

from bot import cli
from intake.columns import all_columns
from storage.db import make_sessions, normalise_url
from storage.kinds import KINDS, Kind
from storage.models import Source, Statistic
from tests.conftest import PG_SERVER, empty

REAL = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "real"
Run = Callable[..., int]


def real_rows(name: str) -> list[dict[str, str]]:
    if not (REAL / name).is_file():
        pytest.skip(f"the real corpus is not at {REAL} (it lives outside the repository)")
    with (REAL / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def write_csv(path: Path, rows: list[dict[str, str]], kind: Kind = "figure") -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(all_columns(kind)))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def run(engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Run]:
    monkeypatch.chdir(tmp_path)  # no .env file is read from the repository

    def command(*argv: object, url: str | None = None) -> int:
        monkeypatch.setenv("DATABASE_URL", url or engine.url.render_as_string(hide_password=False))
        return cli.main([str(a) for a in argv])

    yield command


@pytest.fixture
def other_database(engine: Engine, tmp_path: Path) -> Iterator[str]:
    """A second, empty database of the same kind as `engine` (nothing migrated yet)."""
    if engine.dialect.name == "sqlite":
        yield f"sqlite:///{tmp_path / 'second.db'}"
        return
    name = f"statbot_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(PG_SERVER), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield normalise_url(PG_SERVER).rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def exported(run: Run, path: Path, kind: str, url: str | None = None) -> list[dict[str, str]]:
    assert run("export", "--kind", kind, "-o", path, url=url) == 0
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.slow
def test_each_figure_keeps_its_own_producer_though_one_article_reports_them(run: Run, tmp_path: Path) -> None:
    rows = real_rows("figures.csv")
    by_article: dict[str, set[str]] = {}
    for row in rows:
        by_article.setdefault(row["source_url"], set()).add(row["producer"])
    assert any(len(p - {""}) > 1 for p in by_article.values()), "the real set has articles with two producers"
    assert run("init") == 0
    assert run("import", REAL / "figures.csv") == 0
    out = {
        (r["measure"], r["source_url"]): r["producer"] for r in exported(run, tmp_path / "out.csv", "figure")
    }
    assert {(r["measure"], r["source_url"]): r["producer"] for r in rows}.items() <= out.items()


def test_one_link_is_one_source(run: Run, engine: Engine) -> None:
    rows = real_rows("figures.csv")
    assert run("import", REAL / "figures.csv") == 0
    with make_sessions(engine)() as session:
        linked = session.scalars(select(Source.url).where(Source.url != "")).all()
        assert len(linked) == len(set(linked))
        assert set(linked) >= {r["source_url"] for r in rows}


@pytest.mark.parametrize(
    ("column", "changed_to"), [("source_title", "Another headline"), ("source_date", "2001-01")]
)
def test_a_stored_link_with_other_details_is_a_conflict_and_nothing_is_imported(
    run: Run, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str], column: str, changed_to: str
) -> None:
    rows = real_rows("figures.csv")
    assert run("import", REAL / "figures.csv") == 0
    capsys.readouterr()
    stored_value = rows[0][column]
    changed = rows[0] | {column: changed_to, "measure": rows[0]["measure"] + " (again)"}
    with make_sessions(engine)() as session:
        before = session.scalar(select(func.count()).select_from(Statistic))
    assert run("import", write_csv(tmp_path / "conflict.csv", [rows[1], changed])) == 1
    printed = capsys.readouterr()
    assert f"row 3, column {column}:" in printed.out
    assert repr(stored_value) in printed.out and repr(changed_to) in printed.out
    assert "Nothing imported" in printed.err
    with make_sessions(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Statistic)) == before
        assert (
            session.scalar(
                select(func.count()).select_from(Source).where(Source.url == rows[0]["source_url"])
            )
            == 1
        )


def test_two_rows_of_one_file_disagreeing_about_a_link_are_a_conflict(
    run: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = real_rows("figures.csv")[:2]
    second = second | {
        "source_url": first["source_url"],
        "source_title": first["source_title"] + " (updated)",
    }
    assert run("import", write_csv(tmp_path / "two.csv", [first, second])) == 1
    assert "row 3, column source_title:" in capsys.readouterr().out


def test_a_dated_source_without_a_link_keeps_its_date_beside_the_undated_sample_one(
    run: Run, engine: Engine, tmp_path: Path
) -> None:
    """ "The Independent, 2021-03" must not attach to the sample's undated Independent and lose its date."""
    assert run("init") == 0
    row = real_rows("figures.csv")[0] | {
        "source_url": "", "source_title": "", "source_publisher": "The Independent", "source_date": "2021-03",
    }  # fmt: skip
    assert run("import", write_csv(tmp_path / "dated.csv", [row])) == 0
    with make_sessions(engine)() as session:
        stat = session.scalars(select(Statistic).where(Statistic.measure == row["measure"])).one()
        assert stat.source.publisher == "The Independent"
        assert stat.source.published is not None and stat.source.published.iso() == "2021-03"
        independents = session.scalars(select(Source).where(Source.publisher == "The Independent")).all()
        assert sorted(s.published.iso() if s.published else "" for s in independents) == ["", "2021-03"]
    exported_row = next(
        r for r in exported(run, tmp_path / "out.csv", "figure") if r["measure"] == row["measure"]
    )
    assert exported_row["source_date"] == "2021-03"


@pytest.mark.slow
def test_export_import_export_gives_the_same_bytes_sample_included(
    run: Run, other_database: str, tmp_path: Path
) -> None:
    real_rows("figures.csv")
    assert run("init") == 0
    assert run("import", REAL / "figures.csv") == 0
    assert run("import", REAL / "quotes.csv", "--kind", "quotes") == 0
    first = {kind: tmp_path / f"first-{kind}.csv" for kind in KINDS}
    again = {kind: tmp_path / f"again-{kind}.csv" for kind in KINDS}
    for kind, path in first.items():
        assert run("export", "--kind", kind, "-o", path) == 0
    assert run("init", "--no-sample", url=other_database) == 0
    for kind, path in first.items():
        assert run("import", path, "--kind", kind, url=other_database) == 0
    for kind, path in again.items():
        assert run("export", "--kind", kind, "-o", path, url=other_database) == 0
    for kind in first:
        assert first[kind].read_bytes() == again[kind].read_bytes(), kind
    assert len(first["figure"].read_bytes().splitlines()) == 1 + 2 + len(real_rows("figures.csv"))


def test_init_without_the_sample_loads_nothing(run: Run, other_database: str, tmp_path: Path) -> None:
    assert run("init", "--no-sample", url=other_database) == 0
    assert exported(run, tmp_path / "none.csv", "figure", url=other_database) == []


@pytest.mark.slow
def test_sqlite_and_postgresql_export_the_same_bytes(
    migrated_engines: dict[str, Engine], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Topics and entities come back in the order typed on both databases (SQLite used to sort them)."""
    rows = real_rows("figures.csv")
    # Topics typed against the order they are first met, so any database that sorts by id would show it.
    rows = [r | {"topics": ";".join(reversed(r["topics"].split(";")))} for r in rows]
    source = write_csv(tmp_path / "typed.csv", rows)
    monkeypatch.chdir(tmp_path)
    outputs = []
    for name, engine in migrated_engines.items():
        empty(engine)
        monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
        assert cli.main(["import", str(source)]) == 0
        out = tmp_path / f"{name}.csv"
        assert cli.main(["export", "-o", str(out)]) == 0
        outputs.append(out.read_bytes())
        empty(engine)
    assert outputs[0] == outputs[1]
    typed = [r["topics"] for r in rows]
    with (tmp_path / "sqlite.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert [r["topics"] for r in csv.DictReader(handle)] == typed
