"""`/quote <topic or speaker>`: stored quotes with their exact words and full attribution."""

from __future__ import annotations

from datetime import date

from slack_sdk.models.blocks import Block
from sqlalchemy.orm import Session

from commands.question import Question, page
from commands.reply import Reply, context, found_reply, quote_provenance, section, slack_date
from commands.stats import embargo_notes
from commands.text import clip, escape
from storage import embargo
from storage.hybrid import Dense
from storage.models import Quote
from storage.queries import Found

COMMAND = "/quote"
SHOWN = 10
# Room left in a 3,000-character section for the attribution lines under the words.
QUOTE_ROOM = 2200


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
    """The answer for `viewer` (None: anyone, as a shared answer is; embargoed quotes only for those who may)."""
    today = today or date.today()
    asked = page(
        session, workspace_id, Quote, text, today=today, dense=dense, offset=offset, shown=SHOWN, viewer=viewer
    )
    if isinstance(asked, Reply):
        return asked
    return render(
        asked.question, asked.found, shared_by=shared_by, offset=offset,
        embargoed=embargo_notes(asked.found.items, viewer),
    )  # fmt: skip


def render(
    question: Question,
    found: Found[Quote],
    *,
    shared_by: str | None = None,
    offset: int = 0,
    embargoed: dict[int, str] | None = None,
) -> Reply:
    def blocks(quote: Quote) -> list[Block]:
        held = [context(embargoed[quote.id])] if embargoed and quote.id in embargoed else []
        return [section(quote_text(quote)), *held, context(*quote_context(quote))]

    return found_reply(
        found,
        kind="quote",
        command=COMMAND,
        asked=question.text,
        item_blocks=blocks,
        lead_text=lambda quote: f"“{escape(clip(quote.text, 200))}” ({escape(quote.speaker)})",
        shared_by=shared_by,
        offset=offset,
    )


def attribution(quote: Quote) -> str:
    who = f"*{escape(quote.speaker)}*"
    details = [d for d in (quote.speaker_role, quote.speaker_org) if d and d != quote.speaker]
    return f"— {who}, {escape(', '.join(details))}" if details else f"— {who}"


def quote_text(quote: Quote) -> str:
    words = escape(clip(quote.text, QUOTE_ROOM)).replace("\n", "\n>")
    lines = [f">“{words}”", attribution(quote)]
    said = quote.said
    lines.append(f"*Said:* {slack_date(said)}")
    lines += quote_provenance(quote.source, quote.via_source)
    return "\n".join(lines)


def quote_context(quote: Quote) -> list[str]:
    parts = [f"Quote #{quote.id}"]
    if quote.context:
        parts.append(escape(clip(quote.context, 600)))
    return [" · ".join(parts)]
