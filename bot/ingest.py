"""Listeners that read articles: `/stats ingest <link>` and the "Extract figures" message shortcut.

Both acknowledge at once (Slack allows 3 seconds; a fetch may take 30) and do the work in a lazy
listener: fetch, extract, store the candidates as pending, then post them to the review channel.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot import dm_import, home, review
from bot.config import Settings
from commands import ingest as replies
from commands.reply import Reply
from ingest.fetch import FetchError, FetchSettings
from ingest.pipeline import Candidates, candidates, candidates_from_text
from ingest.stage import stage
from storage.models import Quote, Statistic

log = logging.getLogger("statbot.ingest")
SHORTCUT = "extract_figures"


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
        channel = review.review_channel(session, workspace_id, settings.review_channel) if client else None
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
                review.post_for_review(
                    client, session, workspace_id, item,
                    default_channel=channel, thread_ts=str(posted["ts"]),
                )  # fmt: skip
    if client and items:  # new candidates join the editors' queues and the submitter's own list
        home.republish(client, sessions, workspace_id, home.concerned(sessions, workspace_id, user))
    log.info("ingested an article", extra={"figures": len(staged.figures), "quotes": len(staged.quotes)})
    return replies.finished(found.article, staged, channel)


def is_ingest(command: dict[str, str]) -> bool:
    """`/stats ingest <link>`: read an article for review."""
    return command.get("command") == "/stats" and replies.is_ingest(command.get("text", ""))


def register(app: App, sessions: sessionmaker[Session], settings: Settings) -> None:
    fetching = FetchSettings(allow_loopback=settings.fetch_allow_loopback)

    def acknowledge(ack: Ack, command: dict[str, str]) -> None:
        link = replies.link_in(command.get("text", ""))
        ack(**(replies.working(link) if link else Reply(text=replies.USAGE)).as_slack())

    def read_link(
        command: dict[str, str], client: WebClient, respond: Respond, context: dict[str, Any]
    ) -> None:
        link = replies.link_in(command.get("text", ""))
        if link is None:
            return
        try:
            found = candidates(link, settings=fetching)
        except FetchError as error:
            respond(**replies.failed(error.message).as_slack())
            return
        reply = publish(
            found, sessions=sessions, settings=settings, client=client,
            workspace_id=context["workspace_id"], user=command["user_id"],
        )  # fmt: skip
        respond(**reply.as_slack())

    app.command("/stats", matchers=[is_ingest])(ack=acknowledge, lazy=[read_link])

    def acknowledge_shortcut(ack: Ack) -> None:
        ack()

    def read_message(
        body: dict[str, Any], client: WebClient, respond: Respond, context: dict[str, Any]
    ) -> None:
        text = body.get("message", {}).get("text", "")
        link = replies.link_in(text)
        respond(**replies.working(link).as_slack())
        try:
            found = candidates(link, settings=fetching) if link else candidates_from_text(text)
        except FetchError as error:
            respond(**replies.failed(error.message).as_slack())
            return
        reply = publish(
            found, sessions=sessions, settings=settings, client=client,
            workspace_id=context["workspace_id"], user=body["user"]["id"],
        )  # fmt: skip
        respond(**reply.as_slack())

    app.shortcut(SHORTCUT)(ack=acknowledge_shortcut, lazy=[read_message])

    allowed_hosts = {dm_import.SLACK_FILES_HOST} | (
        {urlsplit(settings.api_url).hostname or ""} if settings.api_url else set()
    )

    @app.event("message", matchers=[is_article_in_dm])
    def read_file(event: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
        shared = event["files"][0]
        try:
            with tempfile.TemporaryDirectory() as folder:
                path = dm_import.download(
                    shared["url_private_download"], client.token, allowed_hosts, Path(folder),
                    shared.get("name", "article.txt"),
                )  # fmt: skip
                found = candidates(str(path))
        except (ValueError, OSError, FetchError) as error:
            log.warning("could not read an article sent in a DM: %s", error)
            client.chat_postMessage(
                channel=event["channel"], text="I could not read that file; please send it again."
            )
            return
        reply = publish(
            found, sessions=sessions, settings=settings, client=client,
            workspace_id=context["workspace_id"], user=event["user"],
        )  # fmt: skip
        client.chat_postMessage(channel=event["channel"], text=reply.text, blocks=reply.as_slack()["blocks"])


ARTICLE_FILES = (".txt", ".text", ".md", ".html", ".htm")


def is_article_in_dm(event: dict[str, Any]) -> bool:
    """A text or web-page file sent to the bot directly (spreadsheets go to the importer instead)."""
    files = event.get("files") or []
    return (
        event.get("channel_type") == "im"
        and not event.get("bot_id")
        and bool(files)
        and str(files[0].get("name", "")).casefold().endswith(ARTICLE_FILES)
    )
