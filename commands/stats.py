"""`/stats <subject>`: the stored figures about a subject, most relevant and newest first, with their sources."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from commands.item_menu import chart_button
from commands.question import Question, parse
from commands.reply import Reply, context, found_reply, provenance, section
from commands.series import largest_series
from commands.text import escape, format_value
from storage import queries
from storage.models import Statistic, Status
from storage.partial_date import human_period
from storage.queries import Found

COMMAND = "/stats"
SHOWN = 10

HELP = (
    "*/stats* finds citable figures, with who produced them and who reported them.\n"
    "• `/stats facebook`: figures about Facebook and the apps Meta owns (Instagram, WhatsApp, Messenger)\n"
    "• `/stats online child sexual abuse`: figures on a topic\n"
    "• `/stats help`: this message\n"
    "*/quote* finds quotes with their attribution.\n"
    "• `/quote burrows`: quotes by a speaker\n"
    "• `/quote nca`: quotes from an organisation\n"
    "• `/quote encryption`: quotes on a topic\n"
    "Answers are shown only to you; press *Share in channel* to post one for everyone.\n"
    "*Adding and correcting:* `/stats add` or `/quote add` (a form), `/stats pending`, `/stats history 12`, "
    "`/stats export [words]`, `/stats editors`; editors also `/stats retract 12 reason`, "
    "`/stats supersede 12 40`, `/stats expected-update 12 12`, `/stats review-channel #name`, "
    "`/stats citation-style`.\n"
    "Each item's *⋯* menu gives its *Citation*, *Share this one*, *History* and *Report a problem*."
)


def help_reply() -> Reply:
    return Reply(text="How to use /stats and /quote", blocks=[section(HELP)])


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
    return render(question, found, today=today or date.today(), shared_by=shared_by, offset=offset)


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
    lines += provenance(stat.source, stat.via_source)
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
