"""What statbot posts for review outside any one listener: pending items to the review channel, and an
article's candidates in a thread there. Listeners, the command line and the clock's feed poll share these."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot import home_tab
from bot.config import Settings
from commands import ingest as replies
from commands import review
from commands.reply import Reply
from ingest.pipeline import Candidates
from ingest.stage import stage
from storage import review_messages, workspaces
from storage.models import Quote, Statistic

log = logging.getLogger("statbot.review")
ingest_log = logging.getLogger("statbot.ingest")


def post_for_review(
    client: WebClient,
    session: Session,
    workspace_id: int,
    item: Statistic | Quote,
    *,
    default_channel: str | None = None,
    thread_ts: str | None = None,
) -> str | None:
    """Post a pending item to the review channel (in a thread when given); its message ts, or None if no channel.

    Where the card went is recorded and committed at once (the post cannot be taken back), so a decision
    taken from the App Home tab or an edit can update it later (bot.review.update_card)."""
    channel = workspaces.review_channel(session, workspace_id, default_channel)
    if channel is None:
        log.warning("no review channel set: %s #%s waits in /stats pending", type(item).__name__, item.id)
        return None
    message = review.review_message(item, item.created_by)
    response = client.chat_postMessage(
        channel=channel,
        text=message.text,
        blocks=[block.to_dict() for block in message.blocks],
        thread_ts=thread_ts,
        unfurl_links=False,
    )
    ts = str(response["ts"])
    ref = review.ItemRef.of(item)
    review_messages.record(session, workspace_id, ref.kind, ref.id, channel, ts)
    session.commit()
    return ts


def publish(
    found: Candidates,
    *,
    sessions: sessionmaker[Session],
    settings: Settings,
    client: WebClient | None,
    workspace_id: int,
    user: str,
) -> Reply:
    """Store the candidates (all or nothing), then thread them under one review message per article.

    Without a Slack client (the command line with no bot token) they are stored and wait in `/stats pending`.
    """
    with sessions() as session:
        staged = stage(session, workspace_id, found.article, found.extraction, submitted_by=user)
        session.commit()
        channel = workspaces.review_channel(session, workspace_id, settings.review_channel) if client else None
        items: list[Statistic | Quote] = [*staged.figures, *staged.quotes]
        if client and channel and items:
            header = replies.thread_header(found.article, staged, user)
            posted = client.chat_postMessage(
                channel=channel,
                text=header.text,
                blocks=[b.to_dict() for b in header.blocks],
                unfurl_links=False,
            )
            for item in items:
                post_for_review(
                    client, session, workspace_id, item,
                    default_channel=channel, thread_ts=str(posted["ts"]),
                )  # fmt: skip
    if client and items:  # new candidates join the editors' queues and the submitter's own list
        home_tab.republish(client, sessions, workspace_id, home_tab.concerned(sessions, workspace_id, user))
    ingest_log.info(
        "ingested an article", extra={"figures": len(staged.figures), "quotes": len(staged.quotes)}
    )
    return replies.finished(found.article, staged, channel)
