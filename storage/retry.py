"""One retry for read-only work whose database connection died under it (a restarted or failed-over server).

The pool's pre-ping catches connections that died while idle; this catches the rarer one that dies between
its ping and its query. Only for work that writes nothing: repeating it can never do anything twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError

log = logging.getLogger("statbot.db")
T = TypeVar("T")


def read_retrying(read: Callable[[], T], what: str = "a read") -> T:
    """Run `read`; if its connection was lost (and invalidated), run it once more on a fresh connection."""
    try:
        return read()
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
        log.warning("database connection lost during %s; retrying once on a new connection", what)
    return read()
