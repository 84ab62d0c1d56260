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
from storage import conflicts, kinds, roles, sheets, write
from storage.kinds import Kind

log = logging.getLogger("statbot.import")
MAX_BYTES = 20 * 1024 * 1024
ERRORS_SHOWN = 20
SLACK_FILES_HOST = "files.slack.com"


def is_file_in_dm(event: dict[str, Any]) -> bool:
    return event.get("channel_type") == "im" and bool(event.get("files")) and not event.get("bot_id")


class FileTooBig(ValueError):
    """The file is over the size the bot reads; `str(error)` says so, for the person who sent it."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an error: urllib would send the bot token on to wherever it points."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def download(
    url: str, token: str | None, allowed_hosts: set[str], folder: Path, name: str, *,
    allow_loopback: bool = False, max_bytes: int = MAX_BYTES,
) -> Path:  # fmt: skip
    """The file's bytes saved under `folder`; the bot token is only ever sent to Slack's file host,
    over https (plain http only to 127.0.0.1 when `allow_loopback`, for tests), never redirected."""
    parts = urlsplit(url)
    secure = parts.scheme == "https" or (
        allow_loopback and parts.scheme == "http" and parts.hostname in _LOOPBACK
    )
    if not secure or parts.hostname not in allowed_hosts:
        raise ValueError(f"refusing to download from {parts.scheme}://{parts.hostname}")
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})  # noqa: S310 (checked)
    opener = urllib.request.build_opener(_NoRedirects)
    with opener.open(request, timeout=30) as response:
        declared = response.headers.get("Content-Length", "")
        too_big = FileTooBig(f"{Path(name).name} is over {max_bytes / 1024 / 1024:g} MB")
        if declared.isdigit() and int(declared) > max_bytes:  # refused before a byte is read
            raise too_big
        data = response.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise too_big
    path = folder / (Path(name).name or "upload.csv")
    path.write_bytes(data)
    return path


def asked_kind(text: str) -> Kind | None:
    """The kind the file's message names when that is all it says ("quote", or "quotes" as people write)."""
    try:
        return kinds.kind_named(text)
    except ValueError:
        return None


def read_either(path: Path, asked: Kind | None = None) -> tuple[Kind, Sheet]:
    """Read the file as the kind asked for; else as figures, or as quotes when its columns are those of quotes."""
    if asked is not None:
        return asked, read_sheet(path, asked)
    try:
        return "figure", read_sheet(path, "figure")
    except SheetError as as_figures:
        try:
            return "quote", read_sheet(path, "quote")
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
                                shared.get("name", ""), allow_loopback=settings.fetch_allow_loopback)  # fmt: skip
                kind, sheet = read_either(path, asked_kind(event.get("text") or ""))
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
                    result = sheets.import_items(session, context["workspace_id"], sheet.rows, actor=user)
                    session.commit()
                    disagreeing = conflicts.involving_after(session, context["workspace_id"], before)
            except write.Conflicts as found:
                lines = [
                    f"row {c.row}, column {c.column}: {c.message}" for c in found.conflicts[:ERRORS_SHOWN]
                ]
                say(f"Nothing imported: {plural(len(found.conflicts), 'source detail')} disagree with what is "
                    "stored.\n" + "\n".join(lines))  # fmt: skip
                return
            except SQLAlchemyError:
                log.exception("import from a DM failed; nothing was committed")
                say("Nothing imported: the database refused the import. It has been logged.")
                return
        say(
            f"Imported {plural(result.added, kind)}; {result.already_stored:,} already stored."
            + (
                f" {plural(len(disagreeing), 'conflict')} with stored figures: `/stats conflicts` shows them."
                if disagreeing
                else ""
            )
        )
