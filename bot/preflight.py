"""Checks before a command touches the database, so a wrong DATABASE_URL or a missing `statbot init`
is one clear line rather than a traceback from deep inside SQLAlchemy."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from storage import migrate
from storage.db import make_engine


class DatabaseProblem(Exception):
    """DATABASE_URL cannot be used as it is; the message says why in one line."""


def check_database(url: str, *, needs_tables: bool) -> None:
    """Fail early, in one line, on a DATABASE_URL that is malformed, has no driver, cannot be reached,
    or (for commands that read statbot's tables) has not been set up by `statbot init`."""
    scheme = url.partition(":")[0]
    try:
        engine = make_engine(url)
    except NoSuchModuleError:
        raise DatabaseProblem(
            f"DATABASE_URL names a database statbot has no driver for ({scheme}): use sqlite:///FILE or "
            "postgresql://USER@HOST/DB."
        ) from None
    except ImportError as missing:
        raise DatabaseProblem(
            f"DATABASE_URL is a {scheme} URL, but no driver for it is installed ({missing.name} is missing): "
            "statbot works with sqlite:///FILE or postgresql://USER@HOST/DB."
        ) from None
    except ArgumentError:
        raise DatabaseProblem(
            f"DATABASE_URL is not a database URL ({url!r}); for example sqlite:///statbot.db or "
            "postgresql://USER@HOST/DB."
        ) from None
    shown = engine.url.render_as_string(hide_password=True)
    try:
        file = engine.url.database if engine.dialect.name == "sqlite" else None
        if needs_tables and file and file != ":memory:" and not Path(file).exists():
            # Connecting would create an empty file here, and the next command would find no tables in it.
            raise DatabaseProblem(
                f"There is no statbot database at {shown} (looked in {Path.cwd()}): run `statbot init` "
                "first, here or where DATABASE_URL points."
            )
        try:
            revisions = migrate.current_revisions(engine)
        except DBAPIError as error:
            reason = str(error.orig or error).strip().splitlines()[0]
            raise DatabaseProblem(f"cannot reach the database at {shown}: {reason}") from None
    finally:
        engine.dispose()
    if needs_tables and not revisions:
        raise DatabaseProblem(f"The database at {shown} has no statbot tables yet: run `statbot init` first.")
    if needs_tables and revisions != migrate.heads():
        raise DatabaseProblem(
            f"The database at {shown} is at revision {', '.join(sorted(revisions))}, older or newer than this statbot's "
            f"({', '.join(sorted(migrate.heads()))}): run `statbot migrate`."
        )
