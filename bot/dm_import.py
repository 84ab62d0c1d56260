"""Import a spreadsheet an editor sends to the bot in a direct message: checked, then all rows or none."""

from __future__ import annotations

import logging
import tempfile
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from commands.text import plural
from intake.spreadsheet import Sheet, SheetError, read_sheet, write_bad_rows
from storage import conflicts, roles, sheets

log = logging.getLogger("statbot.import")
MAX_BYTES = 20_000_000
ERRORS_SHOWN = 20
SLACK_FILES_HOST = "files.slack.com"


def is_file_in_dm(event: dict[str, Any]) -> bool:
    return event.get("channel_type") == "im" and bool(event.get("files")) and not event.get("bot_id")


def download(url: str, token: str | None, allowed_hosts: set[str], folder: Path, name: str) -> Path:
    """The file's bytes saved under `folder`; the bot token is only ever sent to Slack's file host."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or parts.hostname not in allowed_hosts:
        raise ValueError(f"refusing to download from {parts.hostname}")
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})  # noqa: S310 (checked)
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (checked above)
        data = response.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValueError("the file is over 20 MB")
    path = folder / (Path(name).name or "upload.csv")
    path.write_bytes(data)
    return path


def read_either(path: Path) -> tuple[sheets.Kind, Sheet]:
    """Read the file as figures, or as quotes when its columns are those of quotes."""
    try:
        return "figures", read_sheet(path, "figures")
    except SheetError as as_figures:
        try:
            return "quotes", read_sheet(path, "quotes")
        except SheetError:
            raise as_figures from None


def register(app: App, sessions: sessionmaker[Session], settings: Settings) -> None:
    allowed = {SLACK_FILES_HOST} | (
        {urlsplit(settings.api_url).hostname or ""} if settings.api_url else set()
    )

    @app.event("message", matchers=[is_file_in_dm])
    def import_from_dm(event: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
        user, channel = event["user"], event["channel"]

        def say(text: str) -> None:
            client.chat_postMessage(channel=channel, text=text)

        with sessions() as session:
            if not roles.is_editor(session, context["workspace_id"], user):
                say("Only editors can import spreadsheets. Send figures one at a time with `/stats add`.")
                return
        shared = event["files"][0]
        with tempfile.TemporaryDirectory() as folder:
            try:
                # The token of the workspace the file was shared in (with many installs, each has its own).
                path = download(shared["url_private_download"], client.token, allowed, Path(folder),
                                shared.get("name", ""))  # fmt: skip
                kind, sheet = read_either(path)
            except SheetError as error:
                say(f"Nothing imported: {error.message}")
                return
            except (ValueError, OSError) as error:
                log.warning("could not fetch a file sent in a DM: %s", error)
                say("Nothing imported: I could not download that file. Please send it again.")
                return
            if sheet.bad:
                lines = [f"row {e.row}, column {e.column}: {e.message}" for e in sheet.errors[:ERRORS_SHOWN]]
                more = len(sheet.errors) - ERRORS_SHOWN
                say(f"Nothing imported: {plural(len(sheet.bad), 'row')} need fixing.\n" + "\n".join(lines)
                    + (f"\n…and {more} more problems." if more > 0 else ""))  # fmt: skip
                rejected = write_bad_rows(path, sheet.bad)
                client.files_upload_v2(channel=channel, file=str(rejected), filename=rejected.name,
                                       title=rejected.name, initial_comment="The rows to fix, each with why.")  # fmt: skip
                return
            try:
                with sessions() as session:
                    before = conflicts.last_id(session, context["workspace_id"])
                    result = sheets.import_items(
                        session, context["workspace_id"], [item for _, item in sheet.rows], actor=user
                    )
                    session.commit()
                    found = conflicts.involving_after(session, context["workspace_id"], before)
            except SQLAlchemyError:
                log.exception("import from a DM failed; nothing was committed")
                say("Nothing imported: the database refused the import. It has been logged.")
                return
        say(
            f"Imported {plural(result.added, kind[:-1])}; {result.already_stored:,} already stored."
            + (
                f" {plural(len(found), 'conflict')} with stored figures: `/stats conflicts` shows them."
                if found
                else ""
            )
        )
