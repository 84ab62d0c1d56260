"""The App Home tab, and the modal its search box opens, as Block Kit (slack-sdk models); no Slack I/O.

What one person sees: a search box, the newest published figures and quotes, for editors the review
queue with the review buttons (`commands.review`'s action ids, so `bot.review` handles them), and their
own pending submissions and the digests they manage. Slack refuses a view of more than 100 blocks, so
each part has a fixed share and says how many more there are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    PlainTextInputElement,
)
from slack_sdk.models.blocks.basic_components import DispatchActionConfig
from slack_sdk.models.views import View
from sqlalchemy.orm import Session

from commands import quote as quote_command
from commands import review, stats
from commands.reply import SHARE_ACTION, context, section
from commands.text import clip, escape, plural
from digests import subscriptions
from storage import conflicts, embargo, freshness, recent
from storage.models import Quote, Statistic, Subscription, utcnow

SEARCH_ACTION = "home_search"
SEARCH_BLOCK = "home_search"
ANSWER_VIEW = "home_answer"
VIEW_MAX_BLOCKS = 100
NEWEST = 5  # of each kind
QUEUE_SHOWN = 10  # pending items with buttons: 3 blocks each
OWN_SHOWN = 10  # lines in one section
DIGESTS_SHOWN = 10
MODAL_TITLE = "statbot"


@dataclass(frozen=True)
class HomeData:
    """What the tab shows one person, read from the database."""

    user_id: str
    is_editor: bool
    figures: list[Statistic]
    quotes: list[Quote]
    queue: list[Statistic | Quote]
    queue_total: int
    own_pending: list[Statistic | Quote]
    digests: list[Subscription]
    # What answers warn of for the newest figures: their series' expected releases, and figures that disagree.
    releases: dict[str, freshness.Release] = field(default_factory=dict)
    disagreeing: dict[int, list[conflicts.Conflict]] = field(default_factory=dict)


def read(
    session: Session,
    workspace_id: int,
    user_id: str,
    *,
    is_editor: bool,
    today: date | None = None,
    now: datetime | None = None,
) -> HomeData:
    """The tab's contents; the newest items are those this person may see at `now` (storage.embargo)."""
    queue = recent.pending(session, workspace_id) if is_editor else []
    viewer = embargo.Viewer(user_id, is_editor, now or utcnow())
    figures = recent.newest_published(session, workspace_id, Statistic, NEWEST, viewer)
    return HomeData(
        user_id=user_id,
        is_editor=is_editor,
        figures=figures,
        quotes=recent.newest_published(session, workspace_id, Quote, NEWEST, viewer),
        queue=queue[:QUEUE_SHOWN],
        queue_total=len(queue),
        own_pending=recent.pending(session, workspace_id, user_id),
        digests=subscriptions.created_by(session, workspace_id, user_id),
        releases=freshness.releases(session, workspace_id, figures, today or date.today(), viewer),
        disagreeing=conflicts.by_figure(conflicts.for_figures(session, workspace_id, figures, viewer=viewer)),
    )


def search_box() -> InputBlock:
    """An input that sends what was typed when Enter is pressed (a block action, not a form submission)."""
    return InputBlock(
        block_id=SEARCH_BLOCK,
        label="Find figures and quotes",
        dispatch_action=True,
        element=PlainTextInputElement(
            action_id=SEARCH_ACTION,
            placeholder="e.g. facebook, burrows, or how many grooming crimes were recorded in 2020? Then press Enter",
            max_length=300,
            dispatch_action_config=DispatchActionConfig(trigger_actions_on=["on_enter_pressed"]),
        ),
    )


def _review_buttons(item: Statistic | Quote) -> ActionsBlock:
    ref = review.ItemRef.of(item)
    return ActionsBlock(
        block_id=f"home_review_{ref.kind}_{ref.id}",  # block ids are unique within a view
        elements=[
            ButtonElement(text="Approve", action_id=review.APPROVE, value=ref.value(), style="primary"),
            ButtonElement(text="Edit", action_id=review.EDIT, value=ref.value()),
            ButtonElement(text="Reject", action_id=review.REJECT, value=ref.value(), style="danger"),
        ],
    )


def _noun(item: Statistic | Quote) -> str:
    return "Quote" if isinstance(item, Quote) else "Figure"


def _by(user: str) -> str:
    return f"<@{user}>" if user[:1] in ("U", "W") else escape(user or "someone")


def home_blocks(data: HomeData, *, today: date) -> list[Block]:
    blocks: list[Block] = [
        HeaderBlock(text="statbot"),
        search_box(),
        context("Or ask anywhere: `/stats facebook`, `/quote burrows`, `@statbot facebook` in a thread, "
                "or a direct message to statbot."),
    ]  # fmt: skip
    if data.is_editor:
        blocks += [DividerBlock(), section(f"*Waiting for review* ({data.queue_total:,})")]
        if not data.queue:
            blocks.append(context("Nothing is waiting for review."))
        for item in data.queue:
            blocks += [
                section(f"*{_noun(item)} #{item.id}* from {_by(item.created_by)}\n{review.summary(item)}"),
                _review_buttons(item),
            ]
        if data.queue_total > len(data.queue):
            blocks.append(
                context(f"…and {data.queue_total - len(data.queue):,} more: `/stats pending` lists them.")
            )
    blocks += [DividerBlock(), section("*Your submissions waiting for review*")]
    if data.own_pending:
        lines = [f"• {_noun(i)} #{i.id}: {review.summary(i)}" for i in data.own_pending[:OWN_SHOWN]]
        if len(data.own_pending) > OWN_SHOWN:
            lines.append(f"…and {len(data.own_pending) - OWN_SHOWN:,} more.")
        blocks.append(section("\n".join(lines)))
    else:
        blocks.append(context("None. Add one with `/stats add` or `/quote add`."))
    blocks += [DividerBlock(), section("*Digests you manage*")]
    if data.digests:
        lines = [f"• {_digest_line(s)}" for s in data.digests[:DIGESTS_SHOWN]]
        if len(data.digests) > DIGESTS_SHOWN:
            lines.append(f"…and {len(data.digests) - DIGESTS_SHOWN:,} more: `/digest list` in each channel.")
        blocks.append(section("\n".join(lines)))
    else:
        blocks.append(
            context("None. `/digest subscribe <topic>` in a channel, or `/digest subscribe me <topic>`.")
        )
    blocks += [DividerBlock(), section("*Newest figures*")]
    for stat in data.figures:
        blocks += stats.figure_blocks(stat, today, data.releases, data.disagreeing)
    if not data.figures:
        blocks.append(context("No figures are published yet."))
    blocks += [DividerBlock(), section("*Newest quotes*")]
    for said in data.quotes:
        blocks += [section(quote_command.quote_text(said)), context(*quote_command.quote_context(said))]
    if not data.quotes:
        blocks.append(context("No quotes are published yet."))
    return fit(blocks, VIEW_MAX_BLOCKS)


def _digest_line(subscription: Subscription) -> str:
    where = (
        "your direct messages" if subscription.channel_id.startswith("D") else f"<#{subscription.channel_id}>"
    )
    topic = f"*{escape(subscription.topic)}*" if subscription.topic.strip() else "all new figures"
    paused = " (paused)" if subscription.paused else ""
    return f"{topic} in {where}, {subscription.frequency}{paused} · id {subscription.id}"


def fit(blocks: list[Block], limit: int) -> list[Block]:
    """At most `limit` blocks: the tail is cut and the last block says so (the sections above are bounded
    already; this is the guard that keeps a view Slack would refuse from ever being sent)."""
    if len(blocks) <= limit:
        return blocks
    return [*blocks[: limit - 1], context("…more than fits here; ask with `/stats` or `/quote`.")]


def home_view(data: HomeData, *, today: date) -> dict[str, Any]:
    return View(type="home", blocks=home_blocks(data, today=today)).to_dict()


def answer_modal(asked: str, answers: list[dict[str, Any]]) -> dict[str, Any]:
    """The answers to a search from the tab, in a modal: figures then quotes, without the Share button
    (a modal has no channel to share in)."""
    blocks: list[dict[str, Any]] = [context(f"You asked: *{escape(clip(asked, 300))}*").to_dict()]
    for answer in answers:
        kept = [b for b in answer.get("blocks", []) if not _is_share(b)]
        if len(blocks) + len(kept) + 1 > VIEW_MAX_BLOCKS:
            kept = kept[: VIEW_MAX_BLOCKS - len(blocks) - 1]
        blocks += [DividerBlock().to_dict(), *kept] if len(blocks) > 1 else kept
    return {
        "type": "modal",
        "callback_id": ANSWER_VIEW,
        "title": {"type": "plain_text", "text": MODAL_TITLE},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": blocks[:VIEW_MAX_BLOCKS],
        "private_metadata": json.dumps({"asked": clip(asked, 300)}),
    }


def _is_share(block: dict[str, Any]) -> bool:
    return block.get("type") == "actions" and any(
        e.get("action_id") == SHARE_ACTION for e in block.get("elements", [])
    )


def counts(data: HomeData) -> str:
    """A line for logs and tests: what the tab holds."""
    return (
        f"{plural(len(data.figures), 'figure')}, {plural(len(data.quotes), 'quote')}, "
        f"{data.queue_total} to review, {len(data.own_pending)} own pending, {len(data.digests)} digests"
    )
