"""`/stats export [words]` and `/quote export [words]`: the published items as a CSV, sent to the asker by DM."""

from __future__ import annotations

import tempfile
from pathlib import Path

from sqlalchemy.orm import Session

from bot.slash import Call
from commands.text import plural
from digests.dm import open_dm
from intake.spreadsheet import write_sheet
from storage import kinds, sheets
from storage.kinds import Kind

PREPARING = "Preparing the export; I will send it to you in a direct message."


def export_file(
    session: Session, workspace_id: int, kind: Kind, words: str, folder: Path
) -> tuple[Path, int]:
    """The published items matching `words` written in the import columns; the path and how many."""
    items = sheets.published(session, workspace_id, kind, words)
    # Named for people: statbot-figures-facebook.csv.
    name = "-".join(["statbot", kinds.plural(kind), *words.split()])[:80]
    return write_sheet(items, folder / f"{name}.csv", kind), len(items)


def acknowledge(call: Call) -> None:
    call.ack(response_type="ephemeral", text=PREPARING)


def send(call: Call) -> None:
    words = call.routed.rest
    kind: Kind = "quote" if call.command["command"] == "/quote" else "figure"
    client = call.client
    dm = open_dm(client, call.command["user_id"])
    with tempfile.TemporaryDirectory() as folder, call.wiring.sessions() as session:
        path, count = export_file(session, call.workspace_id, kind, words, Path(folder))
        about = f" matching “{words}”" if words else ""
        client.files_upload_v2(
            channel=dm,
            file=str(path),
            filename=path.name,
            title=path.name,
            initial_comment=f"{plural(count, kind)}{about}, in the import columns "
            "(edit and send it back to me, or use `statbot import`).",
        )
