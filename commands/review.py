"""The review message a pending figure or quote is posted as, and how it reads once an editor has decided."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, DividerBlock

from commands import disagreements, stats
from commands import quote as quote_command
from commands.item_menu import confirm
from commands.reply import Reply, context, section, slack_time
from commands.text import clip, escape, format_value
from intake import consistency
from storage import conflicts, embargo
from storage.kinds import Kind
from storage.models import Quote, Statistic, utcnow

APPROVE = "review_approve"
EDIT = "review_edit"
REJECT = "review_reject"
ACTIONS = (APPROVE, EDIT, REJECT)
NOT_AN_EDITOR = (
    "Thank you for looking at this. Only editors can approve, edit or reject submissions, "
    "so nothing has changed; `/stats editors` lists who they are."
)


@dataclass(frozen=True)
class ItemRef:
    """Which item a review button is about, carried in the button's value."""

    kind: Kind
    id: int

    def value(self) -> str:
        return json.dumps({"kind": self.kind, "id": self.id})

    @classmethod
    def parse(cls, value: str) -> ItemRef:
        data = json.loads(value)
        kind: Kind = "quote" if data["kind"] == "quote" else "figure"
        return cls(kind, int(data["id"]))

    @classmethod
    def of(cls, item: Statistic | Quote) -> ItemRef:
        return cls("quote" if isinstance(item, Quote) else "figure", item.id)


def summary(item: Statistic | Quote) -> str:
    """One line for notifications: the value and what it counts, or the words and who said them."""
    if isinstance(item, Quote):
        return f"“{escape(clip(item.text, 150))}” ({escape(item.speaker)})"
    return f"{format_value(item.value, item.unit)} {escape(clip(item.measure, 150))}"


def _body(item: Statistic | Quote, today: date) -> list[Block]:
    if isinstance(item, Quote):
        return [section(quote_command.quote_text(item)), context(*quote_command.quote_context(item))]
    blocks: list[Block] = [section(stats.figure_text(item, today)), context(*stats.figure_context(item))]
    if item.evidence:
        # Reviewers check a figure against the sentence it was read from.
        blocks.append(context(f"*Evidence:* “{escape(clip(item.evidence, 2800))}”"))
    # What the reviewer must weigh: numbers that should agree, and stored figures that disagree.
    checked = [c.line() for c in consistency.checks_of_stored(item)]
    if checked:
        blocks.append(context("*Checks:* " + escape(" · ".join(checked))))
    found = conflicts.of_stored(item)
    if found:
        blocks.append(section("\n".join(disagreements.review_lines(item, found))))
    return blocks


def missing_fields(item: Statistic | Quote) -> list[str]:
    """The fields left blank, named, so a reviewer sees what extraction did not find (never hidden)."""
    source = item.source
    if isinstance(item, Quote):
        wanted = {
            "speaker's role": item.speaker_role,
            "speaker's organisation": item.speaker_org,
            "date said": item.said_on,
        }
    else:
        wanted = {
            "period": item.period_start or item.period_end,
            "place": item.geography,
            "evidence": item.evidence,
        }
    wanted |= {
        "publisher": source.publisher if source else None,
        "source date": source.published_on if source else None,
        "link": source.url if source else None,
    }
    return [name for name, value in wanted.items() if not value]


def review_message(item: Statistic | Quote, submitted_by: str, *, today: date | None = None) -> Reply:
    """A pending item as posted to the review channel, with Approve, Edit and Reject."""
    noun = "quote" if isinstance(item, Quote) else "figure"
    who = f"<@{submitted_by}>" if submitted_by[:1] in ("U", "W") else escape(submitted_by or "someone")
    ref = ItemRef.of(item).value()
    buttons = ActionsBlock(
        block_id="review",
        elements=[
            ButtonElement(text="Approve", action_id=APPROVE, value=ref, style="primary"),
            ButtonElement(text="Edit", action_id=EDIT, value=ref),
            ButtonElement(
                text="Reject",
                action_id=REJECT,
                value=ref,
                style="danger",
                confirm=confirm(
                    f"Reject this {noun}?", "It will not be published; the history keeps it.", "Reject"
                ),
            ),
        ],
    )
    gaps = missing_fields(item)
    blocks: list[Block] = [
        section(f"*New {noun} for review* from {who}"),
        DividerBlock(),
        *_body(item, today or date.today()),
        *([context(f":warning: *Missing:* {', '.join(gaps)}")] if gaps else []),
        *([context(f":lock: *Embargoed until* {escape(held.human())}")] if (held := embargo.active(item, utcnow())) else []),
        buttons,
    ]
    return Reply(text=f"New {noun} for review: {summary(item)}", blocks=blocks, response_type="in_channel")


def decided_message(
    item: Statistic | Quote, decision: str, by: str, at: datetime, *, today: date | None = None
) -> Reply:
    """The review message after the decision: the item, and who decided what and when; no buttons."""
    noun = "Quote" if isinstance(item, Quote) else "Figure"
    mark = {"approved": ":white_check_mark:", "rejected": ":x:"}.get(decision, ":pencil2:")
    when = slack_time(at)
    blocks: list[Block] = [
        section(f"{mark} *{noun} #{item.id} {decision}* by <@{by}> on {when}"),
        DividerBlock(),
        *_body(item, today or date.today()),
    ]
    return Reply(text=f"{noun} #{item.id} {decision} by <@{by}>: {summary(item)}", blocks=blocks)


def incomplete(item: Statistic | Quote, gaps: str) -> str:
    noun = "quote" if isinstance(item, Quote) else "figure"
    return f"That {noun} (#{item.id}) can't be published without {gaps}: press *Edit* to fill it in first."


def already_decided(item: Statistic | Quote) -> str:
    noun = "quote" if isinstance(item, Quote) else "figure"
    return f"That {noun} (#{item.id}) is already {item.status}, so nothing has changed."
