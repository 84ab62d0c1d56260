"""Listeners that read articles: `/stats ingest <link>` and the "Extract figures" message shortcut.

Both acknowledge at once (Slack allows 3 seconds; a fetch may take 30) and do the work on statbot's own
bounded pool of reading threads (bot.ingest_pool): fetch, extract, store the candidates as pending, then
post them to the review channel.
"""

from __future__ import annotations

import functools
import logging
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot import dm_import, posting
from bot.config import Settings, fetch_settings
from bot.ingest_pool import IngestPool
from bot.slash import Call
from commands import ingest as replies
from commands.reply import Reply
from ingest.article import MAX_PAGE_BYTES
from ingest.fetch import FetchError
from ingest.pipeline import candidates, candidates_from_text

log = logging.getLogger("statbot.ingest")
SHORTCUT = "extract_figures"


def read(
    link: str | None,
    text: str,
    *,
    user: str,
    workspace_id: int,
    client: WebClient,
    respond: Respond,
    sessions: sessionmaker[Session],
    settings: Settings,
) -> None:
    """Fetch (or take the text), extract, stage for review and tell the person: on the ingest pool."""
    try:
        found = candidates(link, settings=fetch_settings(settings)) if link else candidates_from_text(text)
    except FetchError as error:
        respond(**replies.failed(error.message).as_slack())
        return
    except Exception:
        respond(**replies.failed("something went wrong on statbot's side; it has been logged").as_slack())
        raise
    reply = posting.publish(
        found, sessions=sessions, settings=settings, client=client, workspace_id=workspace_id, user=user
    )
    respond(**reply.as_slack())


def acknowledge(call: Call) -> None:
    """`/stats ingest <link>` (its row in commands/table.py): say so at once and read it on the ingest pool."""
    link = replies.link_in(call.text)
    if link is None:
        call.ack(**Reply(text=replies.USAGE).as_slack())
        return
    wiring = call.wiring
    work = functools.partial(
        read, link, "", user=call.command["user_id"], workspace_id=call.workspace_id, client=call.client,
        respond=call.respond, sessions=wiring.sessions, settings=wiring.settings,
    )  # fmt: skip
    call.ack(**(replies.working(link) if wiring.ingest_pool.submit(work) else replies.busy()).as_slack())


def register(app: App, sessions: sessionmaker[Session], settings: Settings, pool: IngestPool) -> None:
    def read_message(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, context: dict[str, Any]
    ) -> None:
        ack()
        text = body.get("message", {}).get("text", "")
        link = replies.link_in(text)
        user, workspace_id = body["user"]["id"], context["workspace_id"]

        def work() -> None:
            respond(**replies.working(link).as_slack())
            read(
                link, text, user=user, workspace_id=workspace_id, client=client, respond=respond,
                sessions=sessions, settings=settings,
            )  # fmt: skip

        if not pool.submit(work):
            respond(**replies.busy().as_slack())

    app.shortcut(SHORTCUT)(read_message)

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
                    shared.get("name", "article.txt"), allow_loopback=settings.fetch_allow_loopback,
                    max_bytes=MAX_PAGE_BYTES,
                )  # fmt: skip
                found = candidates(str(path))
        except (FetchError, dm_import.FileTooBig) as error:  # the file itself: say what is wrong with it
            client.chat_postMessage(channel=event["channel"], text=f"I could not read that file: {error}")
            return
        except (ValueError, OSError) as error:
            log.warning("could not read an article sent in a DM: %s", error)
            client.chat_postMessage(
                channel=event["channel"], text="I could not read that file; please send it again."
            )
            return
        reply = posting.publish(
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
