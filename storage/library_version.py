"""Where the library stands: a counter moved by triggers on every change to what an answer shows."""

from __future__ import annotations

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from storage.models import LibraryVersion

# Built once, at import: it runs before every answer, so it should not be compiled anew each time.
_CURRENT = select(LibraryVersion.version).where(LibraryVersion.id == 1)


def current(connection: Connection | Session) -> int | None:
    """The counter now; None if its row is missing (then nothing may be reused)."""
    return connection.scalar(_CURRENT)
