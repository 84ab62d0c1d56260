"""What people who shared a figure or quote are told when it is retracted or superseded, and the note put on the
messages statbot posted for them. Plain functions: text in, Block Kit out."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block, SectionBlock

from commands.reply import Reply, context, section, slack_moment
from commands.review import summary
from commands.text import escape, format_value
from storage.models import Quote, Share, Statistic, Status
from storage.partial_date import human_period


def _noun(item: Statistic | Quote) -> str:
    return "Quote" if isinstance(item, Quote) else "Figure"


def what_happened(item: Statistic | Quote) -> str:
    """ "was retracted on 3 Dec 2026: the source corrected the year" / "was superseded on ... by ..." """
    when = f" on {slack_moment(item.status_changed_at)}" if item.status_changed_at else ""
    if item.status == Status.SUPERSEDED.value and isinstance(item, Statistic):
        return f"was superseded{when}{replacement(item)}"
    reason = f": {escape(item.status_reason)}" if item.status_reason else ""
    return f"was retracted{when}{reason}"


def replacement(stat: Statistic) -> str:
    """ " by figure #40, 55% share of ... (Oct 2020 - Sep 2021): cite that instead" """
    newer = stat.superseded_by
    if newer is None:
        return ""
    period = human_period(*newer.period)
    return (
        f" by figure #{newer.id}, *{format_value(newer.value, newer.unit)}* {escape(newer.measure)}"
        + (f" ({escape(period)})" if period else "")
        + ": cite that instead"
    )


def _where(share: Share) -> str:
    if share.how == "citation":
        return f"copied its citation in <#{share.channel_id}>"
    return f"shared it in <#{share.channel_id}>"


def direct_message(item: Statistic | Quote, places: Sequence[Share]) -> Reply:
    """To one person, about one item: what happened to it and everywhere they shared or copied it."""
    seen = list(dict.fromkeys(_where(share) for share in places))
    where = "; ".join(seen)
    text = (
        f":warning: {_noun(item)} #{item.id}, {summary(item)}, {what_happened(item)}. "
        f"You {where}: please correct anything you published with it."
    )
    return Reply(text=text.replace("*", ""), blocks=[section(text)])


def plain(block: SectionBlock) -> str:
    """A note's words for the message's fallback text (notifications, screen readers)."""
    return (block.text.text if block.text is not None else "").replace("*", "")


def note(items: Sequence[Statistic | Quote]) -> SectionBlock:
    """The note put at the top of a message statbot posted with these items in it."""
    lines = [
        f":warning: *{_noun(item)} #{item.id}* in this message ({summary(item)}) {what_happened(item)}."
        for item in items
    ]
    return section("\n".join(lines))


def nothing_left(shared_by: str, command: str, asked: str) -> Block:
    """Under the note, when the shared answer holds nothing citable any more."""
    return context(f"Shared by <@{shared_by}> with `{command} {escape(asked)}`: nothing it showed stands now.")
