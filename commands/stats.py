"""`/stats <subject>`: the stored figures about a subject, most relevant and newest first, with their sources."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from slack_sdk.models.blocks import Block
from sqlalchemy.orm import Session

from commands import disagreements, table
from commands.item_menu import chart_button
from commands.question import Question, parse
from commands.reply import Reply, context, found_reply, provenance, section, slack_date
from commands.series import largest_series
from commands.text import escape, format_value, plural
from storage import conflicts, freshness, hybrid, queries, series
from storage.hybrid import Dense
from storage.models import Quote, Statistic, Status
from storage.partial_date import human_period
from storage.queries import Found

COMMAND = "/stats"
SHOWN = 10


def help_reply() -> Reply:
    """Generated from the command table, so it lists every subcommand there is."""
    return Reply(
        text="How to use /stats and /quote", blocks=[section(table.help_text((table.STATS, table.QUOTE)))]
    )


def answer(
    session: Session,
    workspace_id: int,
    text: str,
    *,
    today: date | None = None,
    shared_by: str | None = None,
    dense: Dense | None = None,
    offset: int = 0,
) -> Reply:
    question = parse(text)
    if question.is_help:
        return help_reply()
    if question.problem:
        return Reply(text=question.problem, blocks=[section(question.problem)])
    today = today or date.today()
    found = hybrid.find(
        session, workspace_id, Statistic, question.text, limit=offset + SHOWN, today=today, dense=dense
    )
    found.items = found.items[offset:]
    if not offset and not found.items and (pointer := quotes_instead(session, workspace_id, question.text)):
        return pointer
    releases = freshness.releases(session, workspace_id, found.items, today)
    disagreeing = conflicts.by_figure(conflicts.for_figures(session, workspace_id, found.items))
    found.items = disagreements.house_first(found.items, disagreeing)
    held = series.dates_held(session, workspace_id, found.items)
    return render(
        question, found, today=today, shared_by=shared_by, releases=releases, disagreeing=disagreeing,
        offset=offset, held=held,
    )  # fmt: skip


def quotes_instead(session: Session, workspace_id: int, asked: str) -> Reply | None:
    """With no figures on a subject but quotes on it, say so: `/stats encryption` -> `/quote encryption`."""
    quotes = queries.find(session, workspace_id, Quote, asked, limit=1)
    if not quotes.items:
        return None
    count = plural(quotes.total, "quote")
    if quotes.more_than_total:
        count = f"more than {count}"
    verb = "does" if quotes.total == 1 and not quotes.more_than_total else "do"
    message = f"No figures match *{escape(asked)}*, but {count} {verb}: try `/quote {escape(asked)}`."
    return Reply(text=message.replace("*", ""), blocks=[section(message)])


def render(
    question: Question,
    found: Found[Statistic],
    *,
    today: date,
    shared_by: str | None = None,
    releases: dict[str, freshness.Release] | None = None,
    disagreeing: dict[int, list[conflicts.Conflict]] | None = None,
    offset: int = 0,
    held: dict[str, int] | None = None,
) -> Reply:
    """`held` counts the dates each series holds (storage.series.dates_held): Chart draws the whole series."""
    charted = largest_series(found.items, held)

    def blocks(stat: Statistic) -> list[Block]:
        return figure_blocks(stat, today, releases or {}, disagreeing or {})

    return found_reply(
        found,
        noun="figures",
        command=COMMAND,
        asked=question.text,
        item_blocks=blocks,
        lead_text=lambda stat: f"{format_value(stat.value, stat.unit)} {escape(stat.measure)}",
        shared_by=shared_by,
        offset=offset,
        buttons=[chart_button([f.id for f in charted])] if charted else [],
    )


def figure_blocks(
    stat: Statistic,
    today: date,
    releases: dict[str, freshness.Release],
    disagreeing: dict[int, list[conflicts.Conflict]],
) -> list[Block]:
    """A figure in an answer: its text with the warnings (a release due, figures that disagree), its context."""
    release = releases.get(freshness.key_of(stat))
    notes = disagreements.answer_lines(stat, disagreeing.get(stat.id, []))
    return [section(figure_text(stat, today, release=release, notes=notes)), context(*figure_context(stat))]


def one_figure_blocks(session: Session, workspace_id: int, stat: Statistic, today: date) -> list[Block]:
    """One figure as an answer shows it, warnings included (Share this one): read as `answer` reads them."""
    releases = freshness.releases(session, workspace_id, [stat], today)
    disagreeing = conflicts.by_figure(conflicts.for_figures(session, workspace_id, [stat]))
    return figure_blocks(stat, today, releases, disagreeing)


def figure_text(
    stat: Statistic,
    today: date,
    *,
    release: freshness.Release | None = None,
    notes: Sequence[str] = (),
) -> str:
    """A figure as answers and citations show it: value, how old its data is, warnings, then its sources."""
    value = f"*{format_value(stat.value, stat.unit)}*"
    headline = f"{value} {escape(stat.measure)}"
    if stat.base is not None:
        headline += f" (of {format_value(stat.base.value, stat.base.unit)} {escape(stat.base.measure)})"
    age = freshness.period_line(stat, today)
    where_when = [p for p in (age[:1].upper() + age[1:] if age else None, stat.geography) if p]
    lines = [headline]
    if where_when:
        lines.append(escape(" · ".join(where_when)))
    lines += warnings(stat, today, release)
    lines += notes
    lines += provenance(stat.source, stat.via_source, stat.producer)
    return "\n".join(lines)


def warnings(stat: Statistic, today: date, release: freshness.Release | None = None) -> list[str]:
    """What a person must know before citing: replaced by a newer figure, or a newer release due or overdue."""
    notes = []
    if stat.status == Status.SUPERSEDED.value and stat.superseded_by is not None:
        newer = stat.superseded_by
        period = human_period(*newer.period)
        notes.append(
            f":warning: *Superseded by* {format_value(newer.value, newer.unit)} {escape(newer.measure)}"
            + (f" ({escape(period)})" if period else "")
        )
    if release is not None and stat.status != Status.SUPERSEDED.value and (line := release.line(slack_date)):
        notes.append(line)
    return notes


def figure_context(stat: Statistic) -> list[str]:
    about = ", ".join(entity.name for entity in stat.entities)
    topics = ", ".join(topic.name for topic in stat.topics)
    parts = [f"Figure #{stat.id}"]
    if stat.value_text:
        parts.append(f"written “{escape(stat.value_text)}”")
    if about:
        parts.append(f"about {escape(about)}")
    if topics:
        parts.append(f"topics: {escape(topics)}")
    return [" · ".join(parts)]
