"""Test set-up through the one write path (storage.write): a source, an entity, a figure or a quote; and a
figure as an editor types it, added through storage.changes as the form adds it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from intake.validate import validate_figure
from storage import changes, write
from storage.db import make_sessions
from storage.inputs import FigureInput
from storage.models import Entity, Quote, Source, Statistic, Status, Topic
from storage.partial_date import PartialDate
from tests.conftest import EDITOR

# A figure as an editor types it into the form.
SNAPCHAT = {"value": "34%", "unit": "percent", "measure": "share of grooming offences on Snapchat",
            "period_start": "2023-04", "period_end": "2024-03", "geography": "UK", "entities": "Snapchat",
            "topics": "grooming", "producer": "NSPCC", "source_publisher": "BBC News",
            "source_url": "https://www.bbc.co.uk/news/example", "source_date": "2024-08-14"}  # fmt: skip


def spec(source: Source | None) -> write.SourceSpec | None:
    if source is None:
        return None
    return write.SourceSpec(
        title=source.title, publisher=source.publisher, url=source.url, published=source.published
    )


def source(
    session: Session, workspace_id: int, *, title: str = "", publisher: str = "", url: str = "",
    published: PartialDate | None = None, cites: Source | None = None,
) -> Source:  # fmt: skip
    (found,) = write.sources(
        session, workspace_id,
        [write.SourceSpec(title=title, publisher=publisher, url=url, published=published, cites=spec(cites))],
    )  # fmt: skip
    return found


def entity(
    session: Session,
    workspace_id: int,
    name: str,
    *,
    aliases: Iterable[str] = (),
    owner: Entity | None = None,
) -> Entity:
    return write.entity(session, workspace_id, name, aliases=aliases, owner=owner)


def _names(things: Iterable[Entity | Topic | str]) -> tuple[str, ...]:
    return tuple(t if isinstance(t, str) else t.name for t in things)


def statistic(
    session: Session, workspace_id: int, *, value: Decimal, unit: str, measure: str, source: Source,
    period_start: PartialDate | None = None, period_end: PartialDate | None = None, geography: str = "",
    value_text: str = "", evidence: str = "", notes: str = "", via: Source | None = None,
    producer: Source | None = None, entities: Iterable[Entity | str] = (), topics: Iterable[Topic | str] = (),
    status: Status = Status.PUBLISHED, created_by: str = "test", now: datetime | None = None,
) -> Statistic:  # fmt: skip
    source_spec = spec(source)
    assert source_spec is not None
    stored, _ = write.add_one(
        session, workspace_id,
        write.NewFigure(
            value=value, unit=unit, measure=measure, source=source_spec, period_start=period_start,
            period_end=period_end, geography=geography, value_text=value_text, evidence=evidence, notes=notes,
            via=spec(via), producer=spec(producer), entities=_names(entities), topics=_names(topics),
        ),
        actor=created_by, status=status, now=now,
    )  # fmt: skip
    assert isinstance(stored, Statistic)
    return stored


def quote(
    session: Session, workspace_id: int, *, text: str, speaker: str, source: Source, speaker_role: str = "",
    speaker_org: str = "", context: str = "", said: PartialDate | None = None, via: Source | None = None,
    entities: Iterable[Entity | str] = (), topics: Iterable[Topic | str] = (),
    status: Status = Status.PUBLISHED, created_by: str = "test", now: datetime | None = None,
) -> Quote:  # fmt: skip
    source_spec = spec(source)
    assert source_spec is not None
    stored, _ = write.add_one(
        session, workspace_id,
        write.NewQuote(
            text=text, speaker=speaker, source=source_spec, speaker_role=speaker_role, speaker_org=speaker_org,
            context=context, said=said, via=spec(via), entities=_names(entities), topics=_names(topics),
        ),
        actor=created_by, status=status, now=now,
    )  # fmt: skip
    assert isinstance(stored, Quote)
    return stored


def a_figure() -> FigureInput:
    result = validate_figure(
        {"value": "34%", "unit": "percent", "measure": "share of grooming offences on Snapchat",
         "source_publisher": "NSPCC", "source_date": "2024-08", "entities": "Snapchat", "topics": "grooming"}
    )  # fmt: skip
    assert isinstance(result, FigureInput)
    return result


def add_figure(engine: Engine, workspace_id: int, **typed: str) -> int:
    """SNAPCHAT with `typed` changed, added and published by EDITOR; its id."""
    checked = validate_figure(SNAPCHAT | typed)
    assert isinstance(checked, FigureInput), checked
    with make_sessions(engine)() as session:
        item, created = changes.add_figure(session, workspace_id, checked, actor=EDITOR, publish=True)
        session.commit()
        assert created
        return item.id
