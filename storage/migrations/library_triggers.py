"""The library version's triggers (revision 0009), for the migrations that add or rebuild a table answers read.

Every migration must go on doing exactly what it did when it shipped, so what is here never changes: a
migration that needs other SQL adds a new function beside these.
"""

from __future__ import annotations

from collections.abc import Iterable

from alembic import op

BUMP = "UPDATE library_version SET version = version + 1 WHERE id = 1"
CHANGES = ("insert", "update", "delete")

POSTGRES_FUNCTION = f"""
CREATE FUNCTION bump_library_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Once per transaction: a 10,000-row import moves the counter once, not 10,000 times.
    IF current_setting('statbot.library_bumped_in', true) IS DISTINCT FROM txid_current()::text THEN
        PERFORM set_config('statbot.library_bumped_in', txid_current()::text, true);
        {BUMP};
    END IF;
    RETURN NULL;
END
$$
"""


def create_triggers(tables: Iterable[str]) -> None:
    """Each table's changes move the counter: on PostgreSQL through bump_library_version (deferred, once a
    transaction), on SQLite with a trigger per kind of change."""
    if op.get_bind().dialect.name == "postgresql":
        for table in tables:
            op.execute(
                f"CREATE CONSTRAINT TRIGGER {table}_changed AFTER INSERT OR UPDATE OR DELETE ON {table}"
                " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_library_version()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_truncated AFTER TRUNCATE ON {table}"
                " FOR EACH STATEMENT EXECUTE FUNCTION bump_library_version()"
            )
        return
    for table in tables:
        create_sqlite_triggers(table)


def create_sqlite_triggers(table: str, *, if_not_exists: bool = False) -> None:
    """SQLite's three triggers on `table` (a batch rebuild of the table drops them)."""
    exists = "IF NOT EXISTS " if if_not_exists else ""
    for change in CHANGES:
        op.execute(
            f"CREATE TRIGGER {exists}{table}_{change}_changed AFTER {change.upper()} ON {table} BEGIN {BUMP}; END"
        )


def drop_triggers(tables: Iterable[str]) -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in tables:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_changed ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_truncated ON {table}")
        return
    for table in tables:
        for change in CHANGES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_{change}_changed")
