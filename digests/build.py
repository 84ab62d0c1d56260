"""A subscription's digest from the database: what was published and corrected in a window, and series history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from digests.model import Digest, DigestCorrection, DigestFigure, DigestQuote, SeriesPoint
from digests.schedule import Schedule
from storage import edits, embargo, queries
from storage.models import ANSWERABLE, DeliveryState, DigestDelivery, Quote, Statistic, Subscription
from storage.partial_date import human_period
from storage.text import format_value


@dataclass(frozen=True)
class Built:
    """A digest, the earlier points of its figures' series, and each series' points for a chart."""

    digest: Digest
    history: list[SeriesPoint] = field(default_factory=list)
    charts: dict[str, list[tuple[date, Decimal]]] = field(default_factory=dict)
    chart_titles: dict[str, tuple[str, str]] = field(default_factory=dict)  # series -> (title, unit)


def schedule_of(subscription: Subscription) -> Schedule:
    return Schedule(
        frequency="daily"
        if subscription.frequency == "daily"
        else "monthly"
        if subscription.frequency == "monthly"
        else "weekly",
        weekday=subscription.weekday,
        at=time(subscription.at.hour, subscription.at.minute),
        tz=subscription.tz,
    )


def series_key(figure: Statistic) -> str | None:
    """Figures of one series measure the same thing in the same place in the same unit."""
    if figure.period_end is None:
        return None
    return f"{figure.measure.casefold()}|{figure.geography.casefold()}|{figure.unit}"


def build(session: Session, subscription: Subscription, after: datetime, until: datetime) -> Built:
    """The digest of items published after `after` and at or before `until`, with corrections in that time."""
    ws, topic = subscription.workspace_id, subscription.topic
    # A figures-only or quotes-only subscription neither lists nor corrects the other kind.
    with_figures, with_quotes = subscription.content != "quote", subscription.content != "figure"
    figures = queries.published_between(session, ws, Statistic, topic, after, until) if with_figures else []
    quotes = queries.published_between(session, ws, Quote, topic, after, until) if with_quotes else []
    corrections: list[Statistic | Quote] = [
        *(queries.corrected_between(session, ws, Statistic, topic, after, until) if with_figures else []),
        *(queries.corrected_between(session, ws, Quote, topic, after, until) if with_quotes else []),
    ]
    changed = _changed_since_delivered(session, subscription, after, until) if with_figures else []
    start, end = schedule_of(subscription).period(until, after)
    digest = Digest(
        subscription_id=subscription.id,
        channel_id=subscription.channel_id,
        topic=topic,
        period_start=start,
        period_end=end,
        figures=[_figure(f) for f in figures],
        quotes=[_quote(q) for q in quotes],
        corrections=[
            *(_correction(item) for item in corrections),
            *(_change(session, figure, after) for figure in changed),
        ],
    )
    history, charts, titles = _series(session, ws, figures, until)
    return Built(digest, history, charts, titles)


def _figure(figure: Statistic) -> DigestFigure:
    return DigestFigure(
        id=figure.id,
        value=figure.value,
        unit=figure.unit,
        measure=figure.measure,
        period_label=human_period(*figure.period),
        geography=figure.geography or None,
        entities=[e.name for e in figure.entities],
        topics=[t.name for t in figure.topics],
        source_label=figure.source.label,
        source_url=figure.source.url or None,
        series_key=series_key(figure),
        period_end=figure.period_end,
        producer=producer_label(figure),
    )


def producer_label(figure: Statistic) -> str | None:
    """Who produced the figure, if anyone other than the reporter: its own producer, or for a figure stored
    before figures had one, the source its reporter cites."""
    chain = (
        [figure.source, *figure.producer.chain()] if figure.producer is not None else figure.source.chain()
    )
    producer = chain[1].label if len(chain) > 1 else None
    return producer if producer and producer != figure.source.label else None


def _quote(quote: Quote) -> DigestQuote:
    return DigestQuote(
        id=quote.id,
        text=quote.text,
        speaker=quote.speaker,
        speaker_role=quote.speaker_role or None,
        speaker_org=quote.speaker_org or None,
        source_label=quote.source.label,
        source_url=quote.source.url or None,
        topics=[t.name for t in quote.topics],
        entities=[e.name for e in quote.entities],
    )


def _correction(item: Statistic | Quote) -> DigestCorrection:
    if isinstance(item, Statistic):
        where = ", ".join(p for p in (human_period(*item.period), item.geography) if p)
        description = f"{format_value(item.value, item.unit)} {item.measure}" + (
            f" ({where})" if where else ""
        )
        replacement = item.superseded_by
        if replacement is not None:
            description += f"; now {format_value(replacement.value, replacement.unit)}"
    else:
        description = f"“{item.text}” — {item.speaker}"
    kind: Literal["retracted", "superseded"] = "retracted" if item.status == "retracted" else "superseded"
    return DigestCorrection(id=item.id, description=description, kind=kind, reason=item.status_reason or None)


def _changed_since_delivered(
    session: Session, subscription: Subscription, after: datetime, until: datetime
) -> list[Statistic]:
    """Figures this channel was sent in an earlier digest whose value, unit, period or place changed since.

    A digest's items are the topic's figures published in its window (rebuilt from the window, as charts
    are), so a figure was sent here when its publication falls in the window of a digest that was posted."""
    edited = queries.edited_between(
        session, subscription.workspace_id, subscription.topic, after, after, until
    )
    if not edited:
        return []
    windows = session.execute(
        select(DigestDelivery.window_start, DigestDelivery.window_end).where(
            DigestDelivery.subscription_id == subscription.id,
            DigestDelivery.state == DeliveryState.POSTED.value,
            DigestDelivery.window_end <= after,
        )
    ).all()
    return [
        figure
        for figure in edited
        if figure.published_at is not None
        and any(_utc(start) < _utc(figure.published_at) <= _utc(end) for start, end in windows)
    ]


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _change(session: Session, figure: Statistic, since: datetime) -> DigestCorrection:
    """ "52% share of ... (Oct 2019 - Sep 2020); was 50%" (what the channel was sent, from the audit log)."""
    where = ", ".join(p for p in (human_period(*figure.period), figure.geography) if p)
    description = f"{format_value(figure.value, figure.unit)} {figure.measure}" + (f" ({where})" if where else "")
    snapshot = edits.before(session, figure, since)
    if snapshot is not None and (was := edits.was(snapshot, figure)):
        description += f"; was {was}"
    return DigestCorrection(id=figure.id, description=description, kind="changed")


def _series(
    session: Session, workspace_id: int, figures: list[Statistic], until: datetime
) -> tuple[list[SeriesPoint], dict[str, list[tuple[date, Decimal]]], dict[str, tuple[str, str]]]:
    """Earlier answerable points of the new figures' series (one query), and each series' points to chart."""
    keyed = {key: f for f in figures if (key := series_key(f))}
    if not keyed:
        return [], {}, {}
    identities = {(f.measure, f.geography, f.unit) for f in keyed.values()}
    # Found by measure alone (an index lookup; a list of (measure, place, unit) rows is compared with
    # every figure in the table), then kept only when place and unit match too.
    earlier = session.scalars(
        select(Statistic).where(
            Statistic.workspace_id == workspace_id,
            Statistic.measure.in_(sorted({measure for measure, _, _ in identities})),
            Statistic.status.in_(ANSWERABLE),
            Statistic.period_end.is_not(None),
            embargo.visible(Statistic, embargo.Viewer(now=until)),  # a channel sees what anyone may
        )
    ).unique()
    history: list[SeriesPoint] = []
    charts: dict[str, list[tuple[date, Decimal]]] = {}
    new_ids = {f.id for f in figures}
    for point in earlier:
        if (point.measure, point.geography, point.unit) not in identities:
            continue
        key = series_key(point)
        if key is None or key not in keyed or point.period_end is None:
            continue
        charts.setdefault(key, []).append((point.period_end, point.value))
        if point.id not in new_ids:
            history.append(
                SeriesPoint(key, point.value, point.unit, point.period_end, human_period(*point.period))
            )
    charts = {k: sorted(v) for k, v in charts.items() if len({d for d, _ in v}) >= 2}
    titles = {
        k: (keyed[k].measure + (f", {keyed[k].geography}" if keyed[k].geography else ""), keyed[k].unit)
        for k in charts
    }
    return history, charts, titles
