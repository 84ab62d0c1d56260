"""What each entry of an item's menu answers: its citation, the item alone for the channel, its history, and the
Report a problem form and the message it posts for editors."""

from __future__ import annotations

import json
from datetime import date

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, InputBlock, PlainTextInputElement
from slack_sdk.models.views import View
from sqlalchemy.orm import Session

from commands import citation, review, stats
from commands import quote as quote_command
from commands.reply import Reply, context, say, section, with_menu
from commands.text import escape
from storage.kinds import Kind
from storage.models import Quote, Statistic

REPORT_FORM = "report_problem_form"
REPORT_WHY = "why"
REPORT_LIMIT = 2000
NO_REVIEW_CHANNEL = (
    "There is nowhere to send this yet: no review channel is set. Ask an editor to set one with "
    "`/stats review-channel #name`."
)


def noun(kind: Kind) -> str:
    return "quote" if kind == "quote" else "figure"


def item_blocks(item: Statistic | Quote, today: date) -> list[Block]:
    if isinstance(item, Quote):
        return [section(quote_command.quote_text(item)), context(*quote_command.quote_context(item))]
    return [section(stats.figure_text(item, today)), context(*stats.figure_context(item))]


def shared_item(
    session: Session, workspace_id: int, item: Statistic | Quote, shared_by: str, today: date
) -> Reply:
    """Just this item, for everyone in the channel, credited to whoever shared it (with its own menu); a
    figure carries the warnings the answer showed (a newer release due, figures that disagree)."""
    kind: Kind = "quote" if isinstance(item, Quote) else "figure"
    shown = (
        item_blocks(item, today)
        if isinstance(item, Quote)
        else stats.one_figure_blocks(session, workspace_id, item, today)
    )
    blocks = [context(f"Shared by <@{shared_by}>"), *with_menu(shown, kind, item.id)]
    return Reply(
        text=f"Shared by <@{shared_by}>: {review.summary(item)}", blocks=blocks, response_type="in_channel"
    )


def citation_of(item: Statistic | Quote, templates: dict[str, str], today: date) -> Reply:
    changed = stats.changed_line(item, today) if isinstance(item, Statistic) else ""
    return citation.citation_reply(citation.cite(item, templates, today), changed)


def embargoed(item: Statistic | Quote, until: str) -> Reply:
    """Share this one on an item under embargo: a channel is everyone, and the embargo holds for everyone."""
    message = (
        f"#{item.id} is under embargo until {until}: it cannot be shared in a channel before then. "
        "You see it because you are an editor or added it."
    )
    return say(message)


def gone(kind: Kind, item_id: int) -> Reply:
    message = f"{noun(kind).capitalize()} #{item_id} is no longer stored."
    return say(message)


def report_view(kind: Kind, item_id: int, summary: str) -> View:
    """The form asking what is wrong; the item rides along in private_metadata."""
    return View(
        type="modal",
        callback_id=REPORT_FORM,
        title="Report a problem",
        submit="Send to editors",
        close="Cancel",
        private_metadata=json.dumps({"kind": kind, "id": item_id}),
        blocks=[
            section(f"*{noun(kind).capitalize()} #{item_id}*: {summary}"),
            InputBlock(
                block_id=REPORT_WHY,
                label="What is wrong with it?",
                hint="A wrong number, period or place, a dead link, a misattributed quote... Editors see your name.",
                element=PlainTextInputElement(action_id=REPORT_WHY, multiline=True, max_length=REPORT_LIMIT),
            ),
        ],
    )


def reported_why(state: dict[str, dict[str, dict[str, str | None]]]) -> str:
    return (state.get(REPORT_WHY, {}).get(REPORT_WHY, {}).get("value") or "").strip()


def report_message(item: Statistic | Quote, reported_by: str, why: str, today: date) -> Reply:
    """What the review channel sees: who reported which item and why, the item, and Edit for an editor."""
    kind = "quote" if isinstance(item, Quote) else "figure"
    blocks: list[Block] = [
        section(
            f":triangular_flag_on_post: *Problem reported* with {kind} #{item.id} by <@{reported_by}>:\n>"
            + escape(why).replace("\n", "\n>")
        ),
        *item_blocks(item, today),
        ActionsBlock(
            elements=[
                ButtonElement(text="Edit", action_id=review.EDIT, value=review.ItemRef.of(item).value())
            ]
        ),
    ]
    return Reply(
        text=f"Problem reported with {kind} #{item.id} by <@{reported_by}>: {escape(why)}",
        blocks=blocks,
        response_type="in_channel",
    )
