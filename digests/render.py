"""A digest as a Slack message: Block Kit built with slack-sdk's models, so Slack's limits are checked."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from digests.model import Digest, DigestCorrection, DigestFigure, DigestQuote, SeriesPoint
from digests.summary import series_changes, summary_line
from storage.text import clip, escape, format_value, plural

MAX_BLOCKS = 50  # Slack's limit for one message
SECTION_LIMIT = SectionBlock.text_max_length
HEADER_LIMIT = HeaderBlock.text_max_length
# Past this a digest stops being read; the rest are one `/stats` away. Slack's limits cut in later.
DEFAULT_MAX_ITEMS = 30
MAX_CORRECTIONS = 20
FALLBACK_LIMIT = 300  # the notification text: a phone shows the first line or two

# Lengths of stored text once escaped; they keep any one line well inside a section's 3000 characters.
_MEASURE_CHARS = 300
_QUOTE_CHARS = 500
_LABEL_CHARS = 150
_NAME_CHARS = 100
_URL_CHARS = 1000


def render(
    digest: Digest,
    *,
    series_history: Sequence[SeriesPoint] = (),
    max_items: int = DEFAULT_MAX_ITEMS,
) -> dict[str, Any] | None:
    """The chat.postMessage arguments for a digest (channel, text, blocks, ...); None when it is empty.

    `series_history` holds earlier points of the new figures' series, to say "up from 48% a year earlier".
    """
    if digest.is_empty:
        return None
    title = header_title(digest)
    summary = summary_line(digest)

    correction_blocks = _corrections(digest.corrections)
    top: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=clip(title, HEADER_LIMIT))),
        _section(escape(summary)),
        ContextBlock(elements=[_mrkdwn(_about(digest))]),
    ]
    # One block is kept back for the "and N more" line.
    room = MAX_BLOCKS - len(top) - len(correction_blocks) - 1
    changes = series_changes(digest.figures, series_history)
    item_sections, shown = _item_sections(digest, changes, max_sections=room, max_items=max_items)

    blocks: list[Block] = [*top, *(_section(text) for text in item_sections)]
    hidden = len(digest.figures) + len(digest.quotes) - shown
    if hidden:
        blocks.append(ContextBlock(elements=[_mrkdwn(_more(hidden, digest.topic))]))
    blocks.extend(correction_blocks)
    assert len(blocks) <= MAX_BLOCKS  # the room sums above guarantee it; a change that breaks them fails here

    return {
        "channel": digest.channel_id,
        "text": _text(f"{title}: {summary}", FALLBACK_LIMIT),
        # to_dict() runs slack-sdk's validators: a text over Slack's limits raises here, not at Slack.
        "blocks": [block.to_dict() for block in blocks],
        # A digest is full of source links; previews of each would bury the figures.
        "unfurl_links": False,
        "unfurl_media": False,
    }


def header_title(digest: Digest) -> str:
    """ "New figures, 1-7 March 2026"; "New quotes, ..." or "Corrections, ..." when that is all there is."""
    what = "New figures" if digest.figures else "New quotes" if digest.quotes else "Corrections"
    return f"{what}, {period_phrase(digest.period_start, digest.period_end)}"


def period_phrase(start: date, end: date) -> str:
    """ "7 March 2026", "1-7 March 2026", "28 February - 6 March 2026", "29 December 2025 - 4 January 2026".

    Month names come from strftime, so the process must run in an English (or the C) locale."""
    if start == end:
        return f"{end.day} {end:%B %Y}"
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}-{end.day} {end:%B %Y}"
    if start.year == end.year:
        return f"{start.day} {start:%B} - {end.day} {end:%B %Y}"
    return f"{start.day} {start:%B %Y} - {end.day} {end:%B %Y}"


def _text(stored: str, limit: int) -> str:
    """Stored text escaped, at most `limit` characters long once escaped.

    Clipped before escaping, so an entity such as &amp; is never cut in half; text full of & < > escapes
    to up to five times its length, so it is clipped shorter until it fits.
    """
    chars = limit
    while len(shown := escape(clip(stored, chars))) > limit:
        chars -= max(1, (len(shown) - limit) // 5)
    return shown


def _mrkdwn(text: str) -> MarkdownTextObject:
    # verbatim: Slack leaves bare "@channel", "#general" and URLs in stored text alone; our own <url|label>
    # links are explicit and still work.
    return MarkdownTextObject(text=text, verbatim=True)


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=_mrkdwn(text))


def _about(digest: Digest) -> str:
    topic = f"*{_text(digest.topic, _NAME_CHARS)}*" if digest.topic.strip() else "all new figures"
    return (
        f"Digest for {topic} · subscription {digest.subscription_id} · "
        f"`/digest unsubscribe {digest.subscription_id}` to stop"
    )


def _more(hidden: int, topic: str) -> str:
    command = f"/stats {_text(topic, _NAME_CHARS)}".rstrip()
    return f"…and {hidden:,} more — try `{command}`"


# --- items ------------------------------------------------------------------------------------------------


@dataclass
class _Group:
    label: str
    lines: list[str]


def _item_sections(
    digest: Digest, changes: dict[int, str], *, max_sections: int, max_items: int
) -> tuple[list[str], int]:
    """Section texts for the figures and quotes, grouped, within the room given; and how many made it."""
    sections: list[tuple[list[str], int]] = []  # lines (a group's title first), and how many are items
    for group in _groups(digest, changes):
        lines, items = [f"*{_text(group.label, _NAME_CHARS)}*"], 0
        for line in group.lines:
            if len("\n".join([*lines, line])) > SECTION_LIMIT:
                sections.append((lines, items))
                lines, items = [], 0
            lines.append(line)
            items += 1
        sections.append((lines, items))

    kept: list[str] = []
    shown = 0
    for lines, items in sections:
        if len(kept) == max_sections or shown == max_items:
            break
        take = min(items, max_items - shown)
        kept.append("\n".join(lines[: len(lines) - (items - take)]))
        shown += take
    return kept, shown


def _groups(digest: Digest, changes: dict[int, str]) -> list[_Group]:
    """Items under their first entity (else first topic), biggest group first, figures before quotes."""
    groups: dict[str, _Group] = {}
    items: list[tuple[DigestFigure | DigestQuote, str]] = [
        *((f, _figure_line(f, changes.get(f.id))) for f in digest.figures),
        *((q, _quote_line(q)) for q in digest.quotes),
    ]
    for item, line in items:
        label = next((name.strip() for name in item.entities if name.strip()), "") or next(
            (topic_display_name(name) for name in item.topics if name.strip()), "Other"
        )
        groups.setdefault(label.casefold(), _Group(label, [])).lines.append(line)
    # sorted() is stable, so groups of the same size keep the order they were first met in.
    return sorted(groups.values(), key=lambda group: -len(group.lines))


def _figure_line(figure: DigestFigure, change: str | None) -> str:
    """ "• *52%* adults who use encrypted messaging (2025, UK), up from 48% a year earlier — <url|Ofcom>"."""
    where = ", ".join(_text(part, _NAME_CHARS) for part in (figure.period_label, figure.geography) if part)
    line = f"• *{format_value(figure.value, figure.unit)}* {_text(figure.measure, _MEASURE_CHARS)}"
    if where:
        line += f" ({where})"
    if change:
        line += f", {change}"
    reported = _link(figure.source_url, figure.source_label)
    if figure.producer:
        return f"{line} — {_text(figure.producer, _LABEL_CHARS)}, reported by {reported}"
    return f"{line} — {reported}"


def topic_display_name(tag: str) -> str:
    """A topic as a heading: stored tags are often lower case ("online safety", "csam"). A tag typed with
    capitals is kept as typed; a short single word is taken as an abbreviation ("CSAM", "AI")."""
    name = " ".join(tag.split())
    if name != name.casefold():
        return name
    if " " not in name and len(name) <= ABBREVIATION_CHARS:
        return name.upper()
    return name[:1].upper() + name[1:]


ABBREVIATION_CHARS = 4


def _quote_line(quote: DigestQuote) -> str:
    """ "• “Privacy is a right.” — Jane Doe, Director, Open Rights Group · <url|Hansard>"."""
    who = ", ".join(
        _text(part, _NAME_CHARS) for part in (quote.speaker, quote.speaker_role, quote.speaker_org) if part
    )
    return f"• “{_text(quote.text, _QUOTE_CHARS)}” — {who} · {_link(quote.source_url, quote.source_label)}"


def _link(url: str | None, label: str) -> str:
    """`<url|label>` for a web address; the label alone for anything else, so a stored "url" cannot be a
    `<!channel>` or a `javascript:` link."""
    text = _text(label, _LABEL_CHARS) or "source"
    # "|" would end the address early; & < > are escaped as everywhere in message text.
    address = escape(url.replace("|", "%7C")) if url and _is_web_address(url) else ""
    if not address or len(address) > _URL_CHARS:
        return text
    return f"<{address}|{text}>"


def _is_web_address(url: str) -> bool:
    if any(char.isspace() or unicodedata.category(char) == "Cc" for char in url):
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


# --- corrections -----------------------------------------------------------------------------------------


def _corrections(corrections: Sequence[DigestCorrection]) -> list[Block]:
    """A divider and the Corrections section(s); always shown, since people may be citing these."""
    if not corrections:
        return []
    lines = [_correction_line(c) for c in corrections[:MAX_CORRECTIONS]]
    if len(corrections) > MAX_CORRECTIONS:
        lines.append(f"…and {plural(len(corrections) - MAX_CORRECTIONS, 'more correction')}")
    texts = ["*Corrections* — if you have cited these, please update them."]
    for line in lines:
        if len(texts[-1]) + 1 + len(line) > SECTION_LIMIT:
            texts.append(line)
        else:
            texts[-1] += "\n" + line
    return [DividerBlock(), *(_section(text) for text in texts)]


def _correction_line(correction: DigestCorrection) -> str:
    line = f"• *{correction.kind.title()}:* {_text(correction.description, _MEASURE_CHARS)}"
    if correction.reason:
        line += f" — {_text(correction.reason, _MEASURE_CHARS)}"
    return line
