"""`/stats <subject>`: the stored figures about a subject, most relevant and newest first, with their sources."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from commands import table
from commands.item_menu import chart_button
from commands.question import Question, parse
from commands.reply import Reply, context, found_reply, provenance, section
from commands.series import largest_series
from commands.text import escape, format_value, plural
from storage import queries
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
    offset: int = 0,
) -> Reply:
    question = parse(text)
    if question.is_help:
        return help_reply()
    if question.problem:
        return Reply(text=question.problem, blocks=[section(question.problem)])
    found = queries.find(session, workspace_id, Statistic, question.text, limit=offset + SHOWN)
    found.items = found.items[offset:]
    if not offset and not found.items and (pointer := quotes_instead(session, workspace_id, question.text)):
        return pointer
    return render(question, found, today=today or date.today(), shared_by=shared_by, offset=offset)


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
    offset: int = 0,
) -> Reply:
    series = largest_series(found.items)
    return found_reply(
        found,
        noun="figures",
        command=COMMAND,
        asked=question.text,
        item_blocks=lambda stat: [section(figure_text(stat, today)), context(*figure_context(stat))],
        lead_text=lambda stat: f"{format_value(stat.value, stat.unit)} {escape(stat.measure)}",
        shared_by=shared_by,
        offset=offset,
        buttons=[chart_button([f.id for f in series])] if series else [],
    )


def figure_text(stat: Statistic, today: date) -> str:
    value = f"*{format_value(stat.value, stat.unit)}*"
    headline = f"{value} {escape(stat.measure)}"
    if stat.base is not None:
        headline += f" (of {format_value(stat.base.value, stat.base.unit)} {escape(stat.base.measure)})"
    where_when = [p for p in (human_period(*stat.period), stat.geography) if p]
    lines = [headline]
    if where_when:
        lines.append(escape(" · ".join(where_when)))
    lines += warnings(stat, today)
    lines += provenance(stat.source, stat.via_source, stat.producer)
    return "\n".join(lines)


def warnings(stat: Statistic, today: date) -> list[str]:
    """What a person must know before citing: replaced by a newer figure, or likely out of date."""
    notes = []
    if stat.status == Status.SUPERSEDED.value and stat.superseded_by is not None:
        newer = stat.superseded_by
        period = human_period(*newer.period)
        notes.append(
            f":warning: *Superseded by* {format_value(newer.value, newer.unit)} {escape(newer.measure)}"
            + (f" ({escape(period)})" if period else "")
        )
    if stat.expected_update_months and stat.period_end:
        months_old = (today.year - stat.period_end.year) * 12 + today.month - stat.period_end.month
        if months_old > stat.expected_update_months:
            notes.append(
                f":hourglass: *Possibly out of date:* usually updated every {stat.expected_update_months} months"
            )
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
