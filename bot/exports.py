"""`/stats export [words]` and `/quote export [words]`: the published items as a CSV, sent to the asker by DM."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from commands import manage
from commands.text import plural
from intake.spreadsheet import write_sheet
from storage import sheets

PREPARING = "Preparing the export; I will send it to you in a direct message."


def is_export(command: dict[str, str]) -> bool:
    sub = manage.subcommand(command.get("text", ""))
    return sub is not None and sub.name in manage.FILES


def export_file(
    session: Session, workspace_id: int, kind: sheets.Kind, words: str, folder: Path
) -> tuple[Path, int]:
    """The published items matching `words` written in the import columns; the path and how many."""
    items = sheets.published(session, workspace_id, kind, words)
    name = "-".join(["statbot", kind, *words.split()])[:80]
    return write_sheet(items, folder / f"{name}.csv", kind), len(items)


def register(app: App, sessions: sessionmaker[Session], settings: Settings) -> None:
    def acknowledge(ack: Ack) -> None:
        ack(response_type="ephemeral", text=PREPARING)

    def send(command: dict[str, str], client: WebClient, context: dict[str, Any]) -> None:
        sub = manage.subcommand(command.get("text", ""))
        words = sub.rest if sub else ""
        kind: sheets.Kind = "quotes" if command["command"] == "/quote" else "figures"
        dm = client.conversations_open(users=command["user_id"])["channel"]["id"]
        with tempfile.TemporaryDirectory() as folder, sessions() as session:
            path, count = export_file(session, context["workspace_id"], kind, words, Path(folder))
            about = f" matching “{words}”" if words else ""
            client.files_upload_v2(
                channel=dm,
                file=str(path),
                filename=path.name,
                title=path.name,
                initial_comment=f"{plural(count, kind[:-1])}{about}, in the import columns "
                "(edit and send it back to me, or use `statbot import`).",
            )

    app.command("/stats", matchers=[is_export])(ack=acknowledge, lazy=[send])
    app.command("/quote", matchers=[is_export])(ack=acknowledge, lazy=[send])
