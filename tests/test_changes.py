"""The one write path: every change to a figure or quote is applied, re-indexed and logged, on both databases."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.validate import validate_figure, validate_quote
from storage import changes, freshness, queries
from storage.inputs import FigureInput, QuoteInput
from storage.models import AuditEntry, Quote, Source, Statistic, Status
from storage.partial_date import PartialDate

FIGURE = {
    "value": "1,200",
    "unit": "count",
    "measure": "grooming crimes recorded by police",
    "period_start": "2022-04",
    "period_end": "2023-03",
    "geography": "England and Wales",
    "entities": "Snapchat",
    "topics": "grooming",
    "source_publisher": "BBC News",
    "source_date": "2023-08",
    "producer": "NSPCC",
}


def figure(**changed: str) -> FigureInput:
    result = validate_figure({**FIGURE, **changed})
    assert isinstance(result, FigureInput), result
    return result


def quote() -> QuoteInput:
    result = validate_quote(
        {"text": "Enough is enough.", "speaker": "Sir Peter Wanless", "source_publisher": "NSPCC",
         "said_on": "2023-08"}
    )  # fmt: skip
    assert isinstance(result, QuoteInput), result
    return result


def found(db: Session, workspace_id: int, words: str) -> list[int]:
    return [s.id for s in queries.find(db, workspace_id, Statistic, words, limit=10).items]


def test_a_pending_figure_is_logged_and_not_answered_until_approved(db: Session, home_id: int) -> None:
    stat, created = changes.add_figure(db, home_id, figure(), actor="U0WRITER", publish=False)
    db.commit()
    assert created and stat.status == Status.PENDING and stat.published_at is None
    assert found(db, home_id, "grooming snapchat") == []
    changes.approve(db, stat, actor="U0EDITOR")
    db.commit()
    assert stat.status == Status.PUBLISHED and stat.published_at is not None
    assert found(db, home_id, "grooming snapchat") == [stat.id]
    log = changes.history(db, home_id, "figure", stat.id)
    assert [(e.action, e.actor) for e in log] == [("create", "U0WRITER"), ("approve", "U0EDITOR")]
    assert log[1].before is not None and log[1].before["status"] == "pending"
    assert log[1].after is not None and log[1].after["status"] == "published"


def test_the_producer_is_the_figures_own_and_the_reporter_its_source(db: Session, home_id: int) -> None:
    stat, _ = changes.add_figure(db, home_id, figure(), actor="cli", publish=True)
    db.commit()
    assert stat.source.label == "BBC News"
    assert stat.producer is not None and stat.producer.label == "NSPCC"


def test_adding_the_same_figure_again_adds_nothing(db: Session, home_id: int) -> None:
    first, _ = changes.add_figure(db, home_id, figure(), actor="cli", publish=True)
    again, created = changes.add_figure(db, home_id, figure(value="9"), actor="cli", publish=True)
    db.commit()
    assert not created and again.id == first.id and again.value == Decimal(1200)
    assert len(changes.history(db, home_id, "figure", first.id)) == 1


def test_rejecting_keeps_it_out_of_answers_and_cannot_be_approved_after(db: Session, home_id: int) -> None:
    stat, _ = changes.add_figure(db, home_id, figure(), actor="U0WRITER", publish=False)
    changes.reject(db, stat, actor="U0EDITOR")
    db.commit()
    assert stat.status == Status.REJECTED and found(db, home_id, "grooming") == []
    with pytest.raises(changes.NotAllowed):
        changes.approve(db, stat, actor="U0EDITOR")


def test_a_retracted_figure_keeps_its_reason_and_is_never_answered(db: Session, home_id: int) -> None:
    stat, _ = changes.add_figure(db, home_id, figure(), actor="cli", publish=True)
    changes.retract(db, stat, actor="U0EDITOR", reason="BBC corrected the count")
    db.commit()
    assert stat.status == Status.RETRACTED and stat.status_reason == "BBC corrected the count"
    assert found(db, home_id, "grooming") == []
    assert changes.history(db, home_id, "figure", stat.id)[-1].action == "retract"
    with pytest.raises(changes.NotAllowed):
        changes.retract(db, stat, actor="U0EDITOR", reason="")


def test_a_superseded_figure_points_to_its_replacement(db: Session, home_id: int) -> None:
    old, _ = changes.add_figure(db, home_id, figure(), actor="cli", publish=True)
    new, _ = changes.add_figure(
        db, home_id, figure(period_start="2023-04", period_end="2024-03", value="1,500"), actor="cli",
        publish=True,
    )  # fmt: skip
    changes.supersede(db, old, new, actor="U0EDITOR")
    db.commit()
    assert old.status == Status.SUPERSEDED and old.superseded_by_id == new.id
    assert set(found(db, home_id, "grooming")) == {old.id, new.id}  # still answered, with a warning
    with pytest.raises(changes.NotAllowed):
        changes.supersede(db, new, new, actor="U0EDITOR")


def test_an_edit_is_logged_with_before_and_after_and_re_indexed(db: Session, home_id: int) -> None:
    stat, _ = changes.add_figure(db, home_id, figure(), actor="cli", publish=True)
    changes.edit_figure(db, stat, figure(measure="online grooming crimes recorded by police", topics="sextortion"),
                        actor="U0EDITOR")  # fmt: skip
    db.commit()
    assert found(db, home_id, "sextortion") == [stat.id]
    entry = changes.history(db, home_id, "figure", stat.id)[-1]
    assert entry.action == "edit" and entry.before is not None and entry.after is not None
    assert entry.before["topics"] == ["grooming"] and entry.after["topics"] == ["sextortion"]


def test_a_series_next_release_is_set_through_the_log(db: Session, home_id: int) -> None:
    stat, _ = changes.add_figure(db, home_id, figure(), actor="cli", publish=True)
    freshness.set_next_release(db, stat, PartialDate.parse("2027-03"), actor="U0EDITOR")
    db.commit()
    entry = changes.history(db, home_id, "figure", stat.id)[-1]
    assert entry.action == "expected_update" and entry.after == {"next_release": "2027-03"}
    with pytest.raises(freshness.BadWhen):
        freshness.parse_when("0", stat)


def test_quotes_go_through_the_same_path(db: Session, home_id: int) -> None:
    item, created = changes.add_quote(db, home_id, quote(), actor="U0WRITER", publish=False)
    changes.approve(db, item, actor="U0EDITOR")
    db.commit()
    assert created and db.get(Quote, item.id) is not None and item.status == Status.PUBLISHED
    assert [e.action for e in changes.history(db, home_id, "quote", item.id)] == ["create", "approve"]
    assert db.scalar(select(Source).where(Source.publisher == "NSPCC", Source.title == "")) is not None


def test_the_sample_data_is_logged_as_created_by_the_system(db: Session, home_id: int) -> None:
    entries = list(db.scalars(select(AuditEntry)))
    figures = db.scalar(select(func.count()).select_from(Statistic))
    quotes = db.scalar(select(func.count()).select_from(Quote))
    assert len(entries) == (figures or 0) + (quotes or 0)
    assert {(e.action, e.actor) for e in entries} == {("create", "system")}


def test_the_same_figure_typed_differently_is_still_the_same_one(db: Session, home_id: int) -> None:
    first, _ = changes.add_figure(db, home_id, figure(), actor="cli", publish=True)
    again, created = changes.add_figure(
        db, home_id, figure(measure="Grooming crimes, recorded by police.", geography="england and wales"),
        actor="U0WRITER", publish=False,
    )  # fmt: skip
    assert not created and again.id == first.id


def test_an_extracted_candidate_without_what_was_counted_cannot_be_approved(
    db: Session, home_id: int
) -> None:
    from tests import items

    source = items.source(db, home_id, publisher="Example")
    candidate = items.statistic(
        db, home_id, value=Decimal(7), unit="percent", measure="", source=source, status=Status.PENDING
    )
    with pytest.raises(changes.Incomplete, match="what was counted"):
        changes.approve(db, candidate, actor="U0EDITOR")
    assert candidate.status == Status.PENDING.value
