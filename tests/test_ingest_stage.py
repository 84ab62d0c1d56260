"""Extracted candidates are stored for review: pending, never answered, never twice, duplicates recognised."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ingest.article import Article
from ingest.extract import extract
from ingest.stage import stage
from storage import queries
from storage.models import Quote, Statistic, Status, Workspace

GOLD = Path(__file__).parent / "gold" / "articles"
ARTICLE = Article(
    title="Analysis Finds Facebook Apps Used in Over Half of Online Child Sex Crimes",
    publisher="Example Blog",
    url="http://127.0.0.1/article",
    published=None,
    text="",
)


def sample_text() -> str:
    return next(GOLD.glob("*nspcc*.txt")).read_text(encoding="utf-8")


def count(db: Session, model: type[Statistic] | type[Quote], workspace_id: int) -> int:
    return db.scalar(select(func.count()).select_from(model).where(model.workspace_id == workspace_id)) or 0


def fresh_workspace(db: Session) -> int:
    workspace = Workspace(team_id="T0FRESH", name="fresh")
    db.add(workspace)
    db.flush()
    return workspace.id


def test_candidates_are_stored_pending_and_are_not_answered(db: Session) -> None:
    workspace_id = fresh_workspace(db)
    staged = stage(db, workspace_id, ARTICLE, extract(sample_text(), title=ARTICLE.title), submitted_by="U1")
    db.commit()
    assert {str(f.value.normalize()) for f in staged.figures} >= {"52", "9477"}
    assert any(q.speaker == "Andy Burrows" for q in staged.quotes)
    assert all(item.status == Status.PENDING.value for item in [*staged.figures, *staged.quotes])
    assert all(item.published_at is None and item.created_by == "U1" for item in staged.figures)
    assert queries.find(db, workspace_id, Statistic, "offences").total == 0
    assert queries.find(db, workspace_id, Quote, "burrows").total == 0


def test_each_figure_keeps_the_producer_the_article_names_for_it(db: Session) -> None:
    workspace_id = fresh_workspace(db)
    staged = stage(db, workspace_id, ARTICLE, extract(sample_text(), title=ARTICLE.title), submitted_by="U1")
    assert staged.source.publisher == "Example Blog"
    producers = {stat.producer.publisher for stat in staged.figures if stat.producer is not None}
    assert producers and all("NSPCC" in name for name in producers)
    assert all(stat.source_id == staged.source.id for stat in staged.figures)


def test_the_same_article_twice_creates_nothing_new(db: Session) -> None:
    workspace_id = fresh_workspace(db)
    extraction = extract(sample_text(), title=ARTICLE.title)
    stage(db, workspace_id, ARTICLE, extraction, submitted_by="U1")
    db.commit()
    before = (count(db, Statistic, workspace_id), count(db, Quote, workspace_id))
    again = stage(db, workspace_id, ARTICLE, extraction, submitted_by="U2")
    db.commit()
    assert (count(db, Statistic, workspace_id), count(db, Quote, workspace_id)) == before
    assert again.figures == [] and again.quotes == []
    assert len(again.duplicate_figures) == len(extraction.figures)


def test_candidates_already_in_the_library_are_marked_as_duplicates(db: Session, home_id: int) -> None:
    staged = stage(db, home_id, ARTICLE, extract(sample_text(), title=ARTICLE.title), submitted_by="U1")
    duplicated = {str(stored.value.normalize()) for _, stored in staged.duplicate_figures}
    assert {"52", "9477"} <= duplicated
    assert any(stored.speaker == "Andy Burrows" for _, stored in staged.duplicate_quotes)
    assert all(stored.status == Status.PUBLISHED.value for _, stored in staged.duplicate_figures)


def test_a_figure_with_the_same_value_but_another_measure_is_not_taken_for_a_duplicate(
    db: Session, home_id: int
) -> None:
    text = "Ofcom found that 52% of parents worry about online gaming."
    staged = stage(db, home_id, ARTICLE, extract(text), submitted_by="U1")
    assert [str(f.value.normalize()) for f in staged.figures] == ["52"]
    assert staged.duplicate_figures == []


def test_a_changed_value_in_a_re_read_article_is_shown_as_the_stored_figure_not_lost(db: Session) -> None:
    workspace_id = fresh_workspace(db)
    first = "Ofcom found that 52% of parents worry about online gaming in 2023."
    stage(db, workspace_id, ARTICLE, extract(first), submitted_by="U1")
    corrected = stage(db, workspace_id, ARTICLE, extract(first.replace("52%", "53%")), submitted_by="U1")
    assert corrected.figures == []
    assert [str(stored.value.normalize()) for _, stored in corrected.duplicate_figures] == ["52"]
