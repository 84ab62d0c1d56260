"""PostgreSQL's bulk-load mode for a big `add`: row triggers off, their work done once per table at the end.

Every row an import writes on PostgreSQL fires a query per foreign key (the row's parents exist, locked
FOR KEY SHARE) and queues the library version's deferred trigger: measured at 200,000 figures, about 16
of an import's 56 s. pg_restore's way round it, `session_replication_role = replica`, turns row triggers
off for the session; this module then does what they would have done, once per foreign key over all the
new rows: every parent they name exists, the parents stored before are locked FOR KEY SHARE (so a
concurrent delete waits for the commit and then cascades or fails, as it would have), and the library
version moves once. A missing parent raises the driver's ForeignKeyViolation, as the row check would have,
and the caller rolls back.

Setting the parameter needs a superuser or, from PostgreSQL 15, `GRANT SET ON PARAMETER
session_replication_role TO <statbot's role>`; without it an `add` keeps the row checks (the same result,
slower). Only `storage.write` uses this, between an `add`'s batches; the mode is set with SET LOCAL and
put back before the `add` returns, so nothing else in the transaction runs without its checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, ForeignKey, Table
from sqlalchemy.exc import DBAPIError

_SUPERUSER = "current_setting('is_superuser') = 'on'"
_MAY_SET = "has_parameter_privilege('session_replication_role', 'SET')"  # PostgreSQL 15 and later
# Migration 0009's trigger function moves the version once a transaction, marking it in this setting.
_BUMPED = "current_setting('statbot.library_bumped_in', true) IS NOT DISTINCT FROM txid_current()::text"
_MARK_BUMPED = "SELECT set_config('statbot.library_bumped_in', txid_current()::text, true)"
_BUMP = "UPDATE library_version SET version = version + 1 WHERE id = 1"
# One foreign key over the rows written since `begin` (`new`, a condition on c): their parents locked FOR KEY
# SHARE (`older`: only those stored before it), then one row naming a parent that is not there, if any.
# Names come from the models and marks are integers: no outside text goes into these.
_LOCK = (
    "SELECT count(*) FROM (SELECT 1 FROM {parent} p WHERE p.{referred} IN"
    " (SELECT c.{column} FROM {child} c WHERE {new}){older} FOR KEY SHARE OF p) locked"
)
_MISSING = (
    "SELECT c.{column} FROM {child} c WHERE {new} AND c.{column} IS NOT NULL"
    " AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.{referred} = c.{column}) LIMIT 1"
)


def allowed(connection: Connection) -> bool:
    """Whether this session may turn row triggers off (PostgreSQL 15's parameter privileges, or superuser)."""
    version = connection.dialect.server_version_info or (0,)
    test = _SUPERUSER if version < (15,) else f"{_SUPERUSER} OR {_MAY_SET}"
    return bool(connection.exec_driver_sql(f"SELECT {test}").scalar())


@dataclass
class BulkMode:
    """Row triggers off from `begin` until `end`; `marks` is each table's largest id when it began, so the
    rows written since are those above it (link tables: those of items above their item table's mark)."""

    connection: Connection
    tables: Sequence[Table]
    marks: dict[str, int]

    @classmethod
    def begin(cls, connection: Connection, tables: Sequence[Table]) -> BulkMode | None:
        """Turn row triggers off for this transaction, or None where this role may not."""
        if not allowed(connection):
            return None
        with_ids = [t for t in tables if "id" in t.c]
        maxima = ", ".join(f"(SELECT coalesce(max(id), 0) FROM {t.name})" for t in with_ids)  # noqa: S608
        found = connection.exec_driver_sql(f"SELECT {maxima}").one()
        connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
        return cls(connection, tables, {t.name: int(m) for t, m in zip(with_ids, found, strict=True)})

    def end(self, *, check: bool = True) -> None:
        """Row triggers back on; with `check` (not when the `add` failed and will be rolled back), every new
        row's parents checked and locked, and the library version moved if anything was written."""
        self.connection.exec_driver_sql("SET LOCAL session_replication_role = origin")
        if not check:
            return
        for table in self.tables:
            for key in sorted(table.foreign_keys, key=lambda k: k.parent.name):
                self._check(table, key)
        self._bump()

    def _new_rows(self, table: Table) -> tuple[str, str] | None:
        """The SQL condition on `c` for the rows written since `begin`, and the column it is on; None if it
        cannot tell."""
        if table.name in self.marks:
            return f"c.id > {self.marks[table.name]:d}", "id"
        # A link table (statistic_topics): its rows of new items, the item being its key's first column.
        owner = next(iter(table.primary_key.columns))
        for key in owner.foreign_keys:
            parent = key.column.table.name
            if key.column.name == "id" and parent in self.marks:
                return f"c.{owner.name} > {self.marks[parent]:d}", owner.name
        return None

    def _check(self, table: Table, key: ForeignKey) -> None:
        found = self._new_rows(table)
        if found is None:
            return
        new, new_by = found
        names = {
            "child": table.name, "column": key.parent.name, "parent": key.column.table.name,
            "referred": key.column.name, "new": new,
        }  # fmt: skip
        # First the parents stored before `begin`, locked as the row checks lock them (those written since
        # are this transaction's own, which no one else can see); then whether any parent is missing. A
        # link's item is new by definition (its new rows are those of new items): nothing to lock.
        mark = self.marks.get(names["parent"]) if names["referred"] == "id" else None
        if mark is None:
            self.connection.exec_driver_sql(_LOCK.format(**names, older=""))
        elif key.parent.name != new_by:
            self.connection.exec_driver_sql(_LOCK.format(**names, older=f" AND p.id <= {mark:d}"))
        missing = self.connection.exec_driver_sql(_MISSING.format(**names)).first()
        if missing is not None:
            constraint = key.constraint.name if key.constraint is not None else names["column"]
            raise _violation(
                _MISSING.format(**names),
                f'insert or update on table "{table.name}" violates foreign key constraint "{constraint}": '
                f'Key ({names["column"]})=({missing[0]}) is not present in table "{names["parent"]}".',
            )

    def _bump(self) -> None:
        """The library version moves once, as the row triggers would have moved it, if any table got rows
        since `begin` and this transaction has not moved it yet; the triggers its first batch queued (deferred
        to the commit) then find it moved and skip."""
        grown = " OR ".join(
            f"EXISTS (SELECT 1 FROM {name} WHERE id > {mark:d})"  # noqa: S608
            for name, mark in self.marks.items()
        )
        if self.connection.exec_driver_sql(f"SELECT NOT ({_BUMPED}) AND ({grown})").scalar():
            self.connection.exec_driver_sql(_MARK_BUMPED)
            self.connection.exec_driver_sql(_BUMP)


def _violation(statement: str, message: str) -> DBAPIError:
    """The error PostgreSQL's own check raises, as SQLAlchemy wraps it."""
    from psycopg import errors  # only with PostgreSQL, whose driver it is

    error: Any = errors.ForeignKeyViolation(message)
    wrapped: DBAPIError = DBAPIError.instance(statement, None, error, errors.Error)
    return wrapped
