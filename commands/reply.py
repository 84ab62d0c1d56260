"""A reply as Slack receives it, built from slack-sdk's Block Kit models, plus the citation lines both commands share."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any, Literal, TypeVar

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    MarkdownTextObject,
    SectionBlock,
)

from commands.item_menu import export_button, item_menu, show_more_button
from commands.text import clip, escape, plural
from storage import kinds
from storage.kinds import Kind
from storage.models import Quote, Source, Statistic
from storage.partial_date import PartialDate, Precision
from storage.queries import Found

Item = TypeVar("Item", Statistic, Quote)

SECTION_LIMIT = 3000
MESSAGE_BLOCK_LIMIT = 50
SHARE_ACTION = "share_answer"
# A link Slack can show safely: no characters that would end or split the <url|label> form.
_SAFE_URL = re.compile(r"^https?://[^\s<>|]+$")
SAFE_URL = _SAFE_URL


@dataclass
class Reply:
    text: str
    blocks: list[Block] = field(default_factory=list)
    response_type: Literal["ephemeral", "in_channel"] = "ephemeral"

    def as_slack(self) -> dict[str, Any]:
        """The message payload: to_dict() is where slack-sdk checks Block Kit's limits."""
        if len(self.blocks) > MESSAGE_BLOCK_LIMIT:
            raise ValueError(f"{len(self.blocks)} blocks is over Slack's limit of {MESSAGE_BLOCK_LIMIT}")
        return {
            "response_type": self.response_type,
            "text": self.text,
            "blocks": [block.to_dict() for block in self.blocks],
        }


# Verbatim: Slack turns no bare "@channel", "@here" or "#name" in stored text (quotes, measures, titles) into a
# mention; the <@U…>, <#C…> and <url|label> we write ourselves still work, and stored text is escaped besides.
def section(mrkdwn: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=clip(mrkdwn, SECTION_LIMIT), verbatim=True))


def say(mrkdwn: str, *, response_type: Literal["ephemeral", "in_channel"] = "ephemeral") -> Reply:
    """A reply of one section; Slack's notification text is the same words."""
    return Reply(text=mrkdwn, blocks=[section(mrkdwn)], response_type=response_type)


def say_plainly(mrkdwn: str) -> Reply:
    """A reply of one section; the notification text leaves out the bold stars."""
    return Reply(text=mrkdwn.replace("*", ""), blocks=[section(mrkdwn)])


def context(*mrkdwn: str) -> ContextBlock:
    shown = [MarkdownTextObject(text=clip(m, SECTION_LIMIT), verbatim=True) for m in mrkdwn if m]
    return ContextBlock(elements=shown[:10])


def share_button(command: str, question: str, *more: ButtonElement) -> ActionsBlock:
    """The button that posts this same answer in the channel, credited to whoever presses it (and `more`)."""
    value = json.dumps({"command": command, "text": question})
    return ActionsBlock(
        elements=[ButtonElement(text="Share in channel", action_id=SHARE_ACTION, value=value), *more]
    )


def with_menu(blocks: Sequence[Block], kind: Kind, item_id: int) -> list[Block]:
    """An item's blocks with its menu (Citation, Share this one, History, Report a problem) on the first."""
    shown = list(blocks)
    if shown and isinstance(shown[0], SectionBlock):
        shown[0].accessory = item_menu(kind, item_id)
    return shown


def link(url: str, label: str) -> str:
    """`label` linked to `url` when the url is safe to put in mrkdwn, else the label alone."""
    if url and _SAFE_URL.match(url):
        return f"<{url}|{escape(label)}>"
    return escape(label)


def slack_date(partial: PartialDate | None, missing: str = "date not given") -> str:
    """A date each reader sees in their own locale (`<!date^...>`), when it has a day; "Sep 2020" stays words.

    Slack converts the moment into the reader's time zone, so the moment is noon UTC: within twelve hours
    of UTC on either side it is still the same day."""
    if partial is None:
        return missing
    if partial.precision is not Precision.DAY:
        return escape(partial.human())
    noon = datetime.combine(partial.day, time(12), tzinfo=UTC)
    return f"<!date^{int(noon.timestamp())}^{{date_short}}|{escape(partial.human())}>"


def slack_moment(at: datetime) -> str:
    """A moment (an edit, a retraction) as a date each reader sees in their own locale and time zone."""
    moment = at if at.tzinfo else at.replace(tzinfo=UTC)
    words = escape(PartialDate(moment.astimezone(UTC).date(), Precision.DAY).human())
    return f"<!date^{int(moment.timestamp())}^{{date_short}}|{words}>"


def slack_time(moment: datetime) -> str:
    """An instant (when something was changed or decided) in each reader's own time zone (`<!date^...>`); the
    text after `|` (UTC) is what clients that cannot format dates show."""
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|{moment:%Y-%m-%d %H:%M} UTC>"


def cite(source: Source) -> str:
    """A source as a reader cites it: title (linked), publisher, date, saying plainly what is missing."""
    name = source.title or source.publisher or "Unnamed source"
    details = [escape(source.publisher)] if source.title and source.publisher else []
    details.append(slack_date(source.published))
    if not (source.url and _SAFE_URL.match(source.url)):
        details.append("no link recorded")
    title = f"_{link(source.url, name)}_" if source.title else f"*{link(source.url, name)}*"
    return f"{title} ({', '.join(details)})"


def provenance(source: Source, via: Source | None, producer: Source | None = None) -> list[str]:
    """A figure's citation chain as lines: who produced it, from what primary source, who reported it, where we read it.

    A figure's own `producer` comes first; without one, the reporter's `cites` chain says who produced it."""
    chain = [source, *producer.chain()] if producer is not None else source.chain()
    lines = []
    if len(chain) > 1:
        lines.append(f"*Produced by:* {cite(chain[1])}")
        for primary in chain[2:]:
            lines.append(f"*Primary source:* {cite(primary)}")
    lines.append(f"*Reported by:* {cite(source)}")
    lines += read_in(source, via)
    return lines


def quote_provenance(source: Source, via: Source | None) -> list[str]:
    """A quote's own provenance: the outlet that first reported it and where we read it, never the chain
    of figures that came from the same article (what the source cites is a figure's producer, not the speaker's)."""
    return [f"*Reported by:* {cite(source)}", *read_in(source, via)]


def read_in(source: Source, via: Source | None) -> list[str]:
    return [f"*Read in:* {cite(via)}"] if via is not None and via.id != source.id else []


def what_matched(found: Found[Any], asked: str) -> str:
    """What the answer holds, in words: "about Instagram from 2020", "for *groomers*"."""
    reading = found.reading
    if reading is None or not reading.concepts:
        said = f"for *{escape(asked)}*" if reading is None or not reading.period_text else ""
    elif all(found.about) and found.about:
        said = "about " + " and ".join(escape(c.shown) for c in reading.concepts)
    else:
        said = "for *" + escape(" ".join(c.typed for c in reading.concepts)) + "*"
    if reading is not None and reading.period_text:
        said = f"{said} from {escape(reading.period_text)}".strip()
    return said


def no_match(noun: str, command: str, asked: str, suggestions: list[str]) -> Reply:
    """Say plainly that nothing matched, offer near names if there are any, and never fail."""
    message = f"No {noun} match *{escape(asked)}*."
    if suggestions:
        message += " Did you mean " + " or ".join(f"*{escape(s)}*" for s in suggestions) + "?"
    message += f" Try fewer words, or `{command} help` for examples."
    return say_plainly(message)  # already escaped


def found_reply(
    found: Found[Item],
    *,
    kind: Kind,
    command: str,
    asked: str,
    item_blocks: Callable[[Item], Sequence[Block]],
    lead_text: Callable[[Item], str],
    shared_by: str | None = None,
    offset: int = 0,
    buttons: Sequence[ButtonElement] = (),
) -> Reply:
    """The answer to a question: how it was read, each item with its menu, "and N more", and the buttons.

    `lead_text` gives the escaped fallback text of the first item.
    `found.items` start at `offset` (Show more's next page). Shared answers go to the channel, credited,
    with no buttons under them; `buttons` (a Chart) go after Share, Show more and Export these.
    """
    if not found.items:
        return no_match(kinds.plural(kind), command, asked, found.suggestions)
    shown = escape(asked)
    noun = kinds.plural(kind)
    count = plural(found.total, kind, noun)
    if found.more_than_total:
        count = f"more than {count}"
    intro = f"{count} {what_matched(found, asked)}"
    if found.low_confidence:
        intro = (
            f":warning: No stored {noun} answer *{shown}* well. The closest {count}, about "
            f"*{escape(found.understood or asked)}*, may not be what you need: check each before you use it"
        )
    elif found.understood is not None and not found.partial and not found.some_words:
        intro = f"{count} about *{escape(found.understood)}*"
    elif found.corrected_to:
        intro = f"No {noun} match *{shown}*; showing {count} for *{escape(found.corrected_to)}*"
    elif found.partial:
        verb = "matches" if found.total == 1 and not found.more_than_total else "match"
        intro = f"Nothing matches every word of *{shown}*; {count} {verb} some of them"
    elif found.some_words:
        every = plural(found.total - found.some_words, kind, noun)
        intro = (
            f"{every} {what_matched(found, asked)}, then {found.some_words:,} matching only some of the words"
        )
    if offset:
        first, last = offset + 1, offset + len(found.items)
        intro = f"{noun.capitalize()} {first:,}-{last:,} of {found.total:,} {what_matched(found, asked)}"
    blocks: list[Block] = []
    if shared_by:
        blocks.append(context(f"Shared by <@{shared_by}> with `{command} {shown}`"))
    blocks.append(section(intro))
    for shown_item in found.items:
        blocks.append(DividerBlock())
        blocks.extend(with_menu(item_blocks(shown_item), kind, shown_item.id))
    after = offset + len(found.items)
    more_buttons: list[ButtonElement] = []
    if found.total > after:
        more = f"{'more than ' if found.more_than_total else ''}{found.total - after:,}"
        blocks.append(
            context(f"…and {more} more. Add words to narrow it down, e.g. `{command} {shown} 2020`.")
        )
        more_buttons = [show_more_button(command, asked, after), export_button(command, asked)]
    if not shared_by:
        blocks.append(share_button(command, asked, *more_buttons, *buttons))
    # The fallback text is mrkdwn too (notifications, screen readers): escaped like the blocks.
    return Reply(
        text=f"{lead_text(found.items[0])} ({intro.replace('*', '')})",
        blocks=blocks,
        response_type="in_channel" if shared_by else "ephemeral",
    )
