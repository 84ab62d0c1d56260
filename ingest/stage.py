"""Store what was extracted from an article as pending items for review, never twice and never published."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ingest.article import Article
from ingest.extract import Extraction, FigureCandidate, QuoteCandidate
from intake.cleaning import Invalid, clean_text
from intake.validate import LIMITS, MULTILINE
from storage import search, write
from storage.models import Quote, Source, Statistic, Status
from storage.partial_date import PartialDate

log = logging.getLogger("statbot.ingest")

# The share of a candidate's words for what was counted that a stored figure's must share to be the same.
SAME_MEASURE = 0.5


@dataclass
class Staged:
    """The outcome of staging one article: new pending items, and candidates already stored."""

    source: Source
    figures: list[Statistic] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    duplicate_figures: list[tuple[FigureCandidate, Statistic]] = field(default_factory=list)
    duplicate_quotes: list[tuple[QuoteCandidate, Quote]] = field(default_factory=list)


def _date(text: str | None) -> PartialDate | None:
    if not text:
        return None
    try:
        return PartialDate.parse(text)
    except ValueError:
        return None  # a date we cannot read is left for the reviewer, not guessed


def checked(text: str | None, field: str) -> str:
    """The text as a form or an import would accept it, else blank: a page's title or a sentence goes
    through the same checks as typed text (no formulas, Slack mentions or control characters)."""
    if not text:
        return ""
    try:
        return clean_text(text, limit=LIMITS[field], multiline=field in MULTILINE)
    except Invalid as problem:
        log.warning("left %s blank: it %s", field, problem)
        return ""


def article_spec(article: Article) -> write.SourceSpec:
    return write.SourceSpec(
        title=checked(article.title, "source_title"),
        publisher=checked(article.publisher, "source_publisher"),
        url=article.url or "",
        published=_date(article.published),
    )  # fmt: skip


def article_source(session: Session, workspace_id: int, article: Article) -> Source:
    """The article as a source: the one already stored under its link (as stored) or a new one."""
    (found,) = write.sources(session, workspace_id, [article_spec(article)], on_conflict="use_stored")
    return found


def _same_from_source(
    session: Session, workspace_id: int, candidate: FigureCandidate, source: Source
) -> Statistic | None:
    """The stored figure from this source with the same measure, unit, period and place (any value)."""
    start, end = _date(candidate.period_start), _date(candidate.period_end)
    days = (start.day if start else None, end.day if end else None)
    wanted = write.figure_key(
        candidate.measure or "", candidate.unit, *days, candidate.geography or "", source.id
    )
    for stored in session.scalars(
        select(Statistic).where(Statistic.workspace_id == workspace_id, Statistic.source_id == source.id)
    ):
        key = write.figure_key(
            stored.measure,
            stored.unit,
            stored.period_start,
            stored.period_end,
            stored.geography,
            stored.source_id,
        )
        if key == wanted:
            return stored
    return None


def _words(text: str) -> set[str]:
    return {w for w in search.words(text) if w not in search.STOPWORDS and len(w) > 2}


def same_figure(session: Session, workspace_id: int, candidate: FigureCandidate) -> Statistic | None:
    """A stored figure (from any source) that this candidate restates: the same value and unit, the same
    period and place where the article gives them, and what was counted in mostly the same words (or,
    when the article did not say, the same sentence)."""
    query = select(Statistic).where(
        Statistic.workspace_id == workspace_id,
        Statistic.value == candidate.value,
        Statistic.unit == candidate.unit,
        Statistic.status.not_in([Status.REJECTED.value, Status.RETRACTED.value]),
    )
    start, end = _date(candidate.period_start), _date(candidate.period_end)
    if start:
        query = query.where(Statistic.period_start == start.day)
    if end:
        query = query.where(Statistic.period_end == end.day)
    if candidate.geography:
        query = query.where(Statistic.geography == candidate.geography)
    wanted = _words(candidate.measure or "")
    for stored in session.scalars(query.order_by(Statistic.id).limit(50)):
        if not wanted:
            if stored.evidence == candidate.evidence:
                return stored
        elif len(wanted & _words(stored.measure)) >= SAME_MEASURE * len(wanted):
            return stored
    return None


def same_quote(session: Session, workspace_id: int, candidate: QuoteCandidate) -> Quote | None:
    return session.scalars(
        select(Quote).where(
            Quote.workspace_id == workspace_id,
            Quote.text == candidate.text,
            Quote.status.not_in([Status.REJECTED.value, Status.RETRACTED.value]),
        )
    ).first()


def stage(
    session: Session,
    workspace_id: int,
    article: Article,
    extraction: Extraction,
    *,
    submitted_by: str,
) -> Staged:
    """Store each new candidate as a pending item; the caller commits (all of it, or nothing).

    Each figure keeps the producer the article names for it: two figures from one article produced by
    different bodies are credited to each, not to the article's first producer."""
    spec = article_spec(article)
    source = article_source(session, workspace_id, article)
    staged = Staged(source=source)
    new: list[write.New] = []
    for figure in extraction.figures:
        existing = same_figure(session, workspace_id, figure)
        if existing is None and figure.measure:
            # The same measure, period and place from this article, stored with another value (the
            # article was corrected, say): a conflict for a person to see, never a silent no-op.
            existing = _same_from_source(session, workspace_id, figure, source)
        if existing is not None:
            staged.duplicate_figures.append((figure, existing))
            continue
        producer = None
        producer_name = checked(figure.producer, "producer")
        if producer_name and figure.producer != article.publisher:
            producer = write.SourceSpec(publisher=producer_name)
        new.append(
            write.NewFigure(
                value=figure.value, unit=figure.unit, value_text=figure.value_text,
                measure=checked(figure.measure, "measure"),
                period_start=_date(figure.period_start), period_end=_date(figure.period_end),
                geography=checked(figure.geography, "geography"), evidence=checked(figure.evidence, "evidence"),
                notes=f"Produced by {producer_name} (as the article says)." if producer_name else "",
                source=spec, producer=producer,
            )
        )  # fmt: skip
    for quote in extraction.quotes:
        if not checked(quote.text, "text"):
            continue  # nothing a reviewer could approve: the words themselves fail the checks
        existing_quote = same_quote(session, workspace_id, quote)
        if existing_quote is not None:
            staged.duplicate_quotes.append((quote, existing_quote))
            continue
        reporter = spec
        reported_by = checked(quote.reported_by, "source_publisher")
        if reported_by and quote.reported_by != article.publisher:
            reporter = write.SourceSpec(publisher=reported_by)
        new.append(
            write.NewQuote(
                text=checked(quote.text, "text"), speaker=checked(quote.speaker, "speaker"),
                speaker_role=checked(quote.speaker_role, "speaker_role"),
                speaker_org=checked(quote.speaker_org, "speaker_org"), context=checked(quote.evidence, "evidence"),
                source=reporter, via=spec if reporter is not spec else None,
            )
        )  # fmt: skip
    outcome = write.add(
        session,
        workspace_id,
        new,
        actor=submitted_by,
        status=Status.PENDING,
        on_conflict="use_stored",
        keep=True,
    )
    for written in outcome.written:
        if written.kind == "figure":
            staged.figures.append(session.get_one(Statistic, written.id))
        else:
            staged.quotes.append(session.get_one(Quote, written.id))
    return staged
