"""`/stats <subject>`: the stored figures about a subject, most relevant and newest first, with their sources."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from slack_sdk.models.blocks import Block
from sqlalchemy.orm import Session

from commands import disagreements
from commands.item_menu import chart_button
from commands.question import Question, page
from commands.reply import (
    Reply,
    context,
    found_reply,
    provenance,
    say_plainly,
    section,
    slack_date,
    slack_moment,
)
from commands.series import largest_series
from commands.text import escape, format_value, plural
from storage import conflicts, edits, embargo, freshness, queries, series
from storage.hybrid import Dense
from storage.models import Quote, Statistic, Status, utcnow
from storage.partial_date import human_period
from storage.queries import Found

COMMAND = "/stats"
SHOWN = 10


def answer(
    session: Session,
    workspace_id: int,
    text: str,
    *,
    today: date | None = None,
    shared_by: str | None = None,
    dense: Dense | None = None,
    offset: int = 0,
    viewer: embargo.Viewer | None = None,
) -> Reply:
    """The answer for `viewer` (None: anyone, as a shared answer is; embargoed items only for those who may)."""
    today = today or date.today()
    asked = page(
        session, workspace_id, Statistic, text, today=today, dense=dense, offset=offset, shown=SHOWN, viewer=viewer
    )
    if isinstance(asked, Reply):
        return asked
    question, found = asked.question, asked.found
    if (
        not offset
        and not found.items
        and (pointer := quotes_instead(session, workspace_id, question.text, viewer))
    ):
        return pointer
    releases = freshness.releases(session, workspace_id, found.items, today, viewer or embargo.Viewer())
    disagreeing = conflicts.by_figure(
        conflicts.for_figures(session, workspace_id, found.items, viewer=viewer or embargo.Viewer())
    )
    found.items = disagreements.house_first(found.items, disagreeing)
    held = series.dates_held(session, workspace_id, found.items, viewer)
    return render(
        question, found, today=today, shared_by=shared_by, releases=releases, disagreeing=disagreeing,
        offset=offset, embargoed=embargo_notes(found.items, viewer), held=held,
    )  # fmt: skip


def embargo_notes(items: Sequence[Statistic | Quote], viewer: embargo.Viewer | None) -> dict[int, str]:
    """The embargo line of each embargoed item this viewer sees (an editor, or whoever added it)."""
    if viewer is None:
        return {}
    return {item.id: line for item in items if (line := embargo.note(item, viewer.now))}


def quotes_instead(
    session: Session, workspace_id: int, asked: str, viewer: embargo.Viewer | None = None
) -> Reply | None:
    """With no figures on a subject but quotes on it, say so: `/stats encryption` -> `/quote encryption`."""
    quotes = queries.find(session, workspace_id, Quote, asked, limit=1, viewer=viewer)
    if not quotes.items:
        return None
    count = plural(quotes.total, "quote")
    if quotes.more_than_total:
        count = f"more than {count}"
    verb = "does" if quotes.total == 1 and not quotes.more_than_total else "do"
    message = f"No figures match *{escape(asked)}*, but {count} {verb}: try `/quote {escape(asked)}`."
    return say_plainly(message)


def render(
    question: Question,
    found: Found[Statistic],
    *,
    today: date,
    shared_by: str | None = None,
    releases: dict[str, freshness.Release] | None = None,
    disagreeing: dict[int, list[conflicts.Conflict]] | None = None,
    offset: int = 0,
    embargoed: dict[int, str] | None = None,
    held: dict[str, int] | None = None,
) -> Reply:
    """`held` counts the dates each series holds (storage.series.dates_held): Chart draws the whole series."""
    charted = largest_series(found.items, held)

    def blocks(stat: Statistic) -> list[Block]:
        first = [embargoed[stat.id]] if embargoed and stat.id in embargoed else []
        return figure_blocks(stat, today, releases or {}, disagreeing or {}, first)

    return found_reply(
        found,
        kind="figure",
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
    first: Sequence[str] = (),
) -> list[Block]:
    """A figure in an answer: its text with the warnings (`first`, such as its embargo; a release due, figures
    that disagree), its context."""
    release = releases.get(freshness.key_of(stat))
    notes = [*first, *disagreements.answer_lines(stat, disagreeing.get(stat.id, []))]
    return [section(figure_text(stat, today, release=release, notes=notes)), context(*figure_context(stat))]


def one_figure_blocks(session: Session, workspace_id: int, stat: Statistic, today: date) -> list[Block]:
    """One figure as an answer shows it, warnings included (Share this one): read as `answer` reads them, for
    anyone (the channel), so nothing under embargo counts."""
    anyone = embargo.Viewer()
    releases = freshness.releases(session, workspace_id, [stat], today, anyone)
    disagreeing = conflicts.by_figure(conflicts.for_figures(session, workspace_id, [stat], viewer=anyone))
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
        if embargo.active(newer, utcnow()) is not None:
            # Not named until it is public: an answer can reach anyone (shared, cached, cited).
            notes.append(":warning: *Superseded* by a newer figure that is not public yet")
            return notes
        notes.append(
            f":warning: *Superseded by* {format_value(newer.value, newer.unit)} {escape(newer.measure)}"
            + (f" ({escape(period)})" if period else "")
        )
    if release is not None and stat.status != Status.SUPERSEDED.value and (line := release.line(slack_date)):
        notes.append(line)
    if line := changed_line(stat, today):
        notes.append(line)
    return notes


def changed_line(stat: Statistic, today: date) -> str:
    """ ":pencil2: Value changed on 14 Nov 2026": for 30 days after an editor changed what a citation copies;
    the earlier version is under History in the item's menu."""
    edit = edits.recent(stat, today)
    if edit is None:
        return ""
    what = edit.what[:1].upper() + edit.what[1:]
    return f":pencil2: *{what} changed on {slack_moment(edit.at)}*: the earlier version is under *History* in ⋯"


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
