"""freshness and conflicts: a series' next expected release as a date, house figures, the weekly note's claims

Revision ID: 0015
Revises: 0009
Create Date: 2026-12-01 05:00:00

A figure's "expected update every N months" becomes a date on its series (same measure, place and unit,
as digests define it): the release expected N months after the end of the series' latest period. Nothing
is recomputed as days pass; answers compare the stored date with today. House figures record which of
disagreeing figures an editor chose, and why. Answers read both tables, so they get the library-version
triggers of 0009. The weekly note to editors is claimed once per workspace and week, like a digest run.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from alembic import op

from storage.migrations import library_triggers

revision = "0015"
down_revision = "0017a"
branch_labels = None
depends_on = None

# Tables answers read that this migration adds (0009's TABLES holds the rest).
TABLES = ("series_releases", "house_figures")


def series_key(measure: str, geography: str, unit: str) -> str:
    """As digests.build.series_key and storage.freshness.series_key: kept here so the migration never changes."""
    return f"{measure.casefold()}|{(geography or '').casefold()}|{unit}"


def months_after(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def upgrade() -> None:
    op.create_table(
        "series_releases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("series_key", sa.String(800), nullable=False),
        sa.Column("expected_on", sa.Date(), nullable=False),
        sa.Column("expected_precision", sa.String(5), nullable=False),
        sa.Column("after_period_end", sa.Date(), nullable=True),
        sa.Column("set_by", sa.String(32), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_series_releases_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series_releases")),
        sa.UniqueConstraint("workspace_id", "series_key", name="uq_series_releases_series"),
    )
    op.create_table(
        "house_figures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("statistic_id", sa.Integer(), nullable=False),
        sa.Column("member_ids", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("chosen_by", sa.String(32), nullable=False),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_house_figures_workspace_id_workspaces")
        ),
        sa.ForeignKeyConstraint(
            ["statistic_id"], ["statistics.id"], name=op.f("fk_house_figures_statistic_id_statistics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_house_figures")),
    )  # fmt: skip
    op.create_index("ix_house_figures_workspace", "house_figures", ["workspace_id"])
    op.create_table(
        "weekly_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("week_of", sa.Date(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_weekly_notes_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weekly_notes")),
        sa.UniqueConstraint("workspace_id", "kind", "week_of", name="uq_weekly_notes_week"),
    )
    # Conflicts are looked up by value (the same figure reported with another period).
    op.create_index("ix_statistics_value", "statistics", ["workspace_id", "value"])
    _months_to_dates()
    # Plain ALTER TABLE on both (SQLite >= 3.35): a batch copy would drop 0009's triggers on statistics.
    op.execute("ALTER TABLE statistics DROP COLUMN expected_update_months")
    library_triggers.create_triggers(TABLES)  # as 0009 puts on every table an answer reads


def _months_to_dates() -> None:
    """Each series with an interval gets the date its next release is expected (from its latest period)."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT workspace_id, measure, geography, unit, period_end, expected_update_months FROM statistics"
            " WHERE expected_update_months IS NOT NULL AND period_end IS NOT NULL"
            " AND status IN ('published', 'superseded', 'pending')"
        )
    ).all()
    latest: dict[tuple[int, str], tuple[date, int]] = {}
    for workspace_id, measure, geography, unit, period_end, months in rows:
        end = period_end if isinstance(period_end, date) else date.fromisoformat(str(period_end))
        key = (workspace_id, series_key(measure, geography, unit))
        if key not in latest or end > latest[key][0]:
            latest[key] = (end, int(months))
    table = sa.table(
        "series_releases",
        sa.column("workspace_id", sa.Integer()), sa.column("series_key", sa.String()),
        sa.column("expected_on", sa.Date()), sa.column("expected_precision", sa.String()),
        sa.column("after_period_end", sa.Date()), sa.column("set_by", sa.String()),
        sa.column("set_at", sa.DateTime(timezone=True)),
    )  # fmt: skip
    now = sa.func.now() if bind.dialect.name == "postgresql" else sa.func.current_timestamp()
    for (workspace_id, series), (end, months) in latest.items():
        bind.execute(
            table.insert().values(
                workspace_id=workspace_id, series_key=series, expected_on=months_after(end, months),
                expected_precision="month", after_period_end=end, set_by="migration 0015", set_at=now,
            )
        )  # fmt: skip


def downgrade() -> None:
    op.add_column("statistics", sa.Column("expected_update_months", sa.Integer(), nullable=True))
    bind = op.get_bind()
    for workspace_id, key, expected_on, after in bind.execute(
        sa.text("SELECT workspace_id, series_key, expected_on, after_period_end FROM series_releases")
    ).all():
        if after is None:
            continue
        expected = expected_on if isinstance(expected_on, date) else date.fromisoformat(str(expected_on))
        end = after if isinstance(after, date) else date.fromisoformat(str(after))
        months = max(1, (expected.year - end.year) * 12 + expected.month - end.month)
        for stat_id, measure, geography, unit in bind.execute(
            sa.text(
                "SELECT id, measure, geography, unit FROM statistics"
                " WHERE workspace_id = :ws AND period_end = :end"
            ),
            {"ws": workspace_id, "end": end},
        ).all():
            if series_key(measure, geography, unit) == key:
                bind.execute(
                    sa.text("UPDATE statistics SET expected_update_months = :m WHERE id = :id"),
                    {"m": months, "id": stat_id},
                )
    op.drop_index("ix_statistics_value", table_name="statistics")
    op.drop_table("weekly_notes")
    op.drop_index("ix_house_figures_workspace", table_name="house_figures")
    op.drop_table("house_figures")  # its triggers go with it
    op.drop_table("series_releases")
