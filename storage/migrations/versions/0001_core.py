"""core schema: workspaces, sources, entities, topics, figures, quotes, search

Revision ID: 0001
Revises:
Create Date: 2026-11-28 03:34:34.980375
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workspaces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("is_home", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspaces")),
        sa.UniqueConstraint("team_id", name=op.f("uq_workspaces_team_id")),
    )
    op.create_table(
        "entities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["owner_id"], ["entities.id"], name=op.f("fk_entities_owner_id_entities")),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_entities_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entities")),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_entities_workspace_id")),
    )
    with op.batch_alter_table("entities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_entities_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "search_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_search_documents_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_documents")),
        sa.UniqueConstraint("kind", "item_id", name="uq_search_documents_item"),
    )
    with op.batch_alter_table("search_documents", schema=None) as batch_op:
        batch_op.create_index("ix_search_documents_scope", ["workspace_id", "kind"], unique=False)

    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("publisher", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("published_precision", sa.String(length=5), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("cites_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["cites_id"], ["sources.id"], name=op.f("fk_sources_cites_id_sources")),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_sources_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
        sa.UniqueConstraint("workspace_id", "publisher", "title", "url", name="uq_sources_identity"),
    )
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sources_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "topics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_topics_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topics")),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_topics_workspace_id")),
    )
    with op.batch_alter_table("topics", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_topics_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "entity_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("alias", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["entities.id"],
            name=op.f("fk_entity_aliases_entity_id_entities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_entity_aliases_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entity_aliases")),
        sa.UniqueConstraint("entity_id", "alias", name=op.f("uq_entity_aliases_entity_id")),
    )
    with op.batch_alter_table("entity_aliases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_entity_aliases_entity_id"), ["entity_id"], unique=False)
        batch_op.create_index("ix_entity_aliases_lookup", ["workspace_id", "alias"], unique=False)

    op.create_table(
        "quotes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("speaker", sa.String(length=200), nullable=False),
        sa.Column("speaker_role", sa.String(length=300), nullable=False),
        sa.Column("speaker_org", sa.String(length=200), nullable=False),
        sa.Column("context", sa.Text(), nullable=False),
        sa.Column("said_on", sa.Date(), nullable=True),
        sa.Column("said_precision", sa.String(length=5), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("via_source_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"], name=op.f("fk_quotes_source_id_sources")),
        sa.ForeignKeyConstraint(
            ["via_source_id"], ["sources.id"], name=op.f("fk_quotes_via_source_id_sources")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_quotes_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quotes")),
    )
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.create_index("ix_quotes_answerable", ["workspace_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_quotes_published_at"), ["published_at"], unique=False)

    op.create_table(
        "statistics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Numeric(precision=24, scale=6), nullable=False),
        sa.Column("unit", sa.String(length=10), nullable=False),
        sa.Column("value_text", sa.String(length=100), nullable=False),
        sa.Column("measure", sa.String(length=500), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("period_precision", sa.String(length=5), nullable=True),
        sa.Column("geography", sa.String(length=200), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("base_id", sa.Integer(), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("via_source_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.Column("status_reason", sa.Text(), nullable=False),
        sa.Column("expected_update_months", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["base_id"], ["statistics.id"], name=op.f("fk_statistics_base_id_statistics")
        ),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"], name=op.f("fk_statistics_source_id_sources")),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"], ["statistics.id"], name=op.f("fk_statistics_superseded_by_id_statistics")
        ),
        sa.ForeignKeyConstraint(
            ["via_source_id"], ["sources.id"], name=op.f("fk_statistics_via_source_id_sources")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_statistics_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statistics")),
    )
    with op.batch_alter_table("statistics", schema=None) as batch_op:
        batch_op.create_index(
            "ix_statistics_answerable", ["workspace_id", "status", "period_end"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_statistics_published_at"), ["published_at"], unique=False)

    op.create_table(
        "quote_entities",
        sa.Column("quote_id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["entities.id"],
            name=op.f("fk_quote_entities_entity_id_entities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["quote_id"], ["quotes.id"], name=op.f("fk_quote_entities_quote_id_quotes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("quote_id", "entity_id", name=op.f("pk_quote_entities")),
    )
    with op.batch_alter_table("quote_entities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quote_entities_entity_id"), ["entity_id"], unique=False)

    op.create_table(
        "quote_topics",
        sa.Column("quote_id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["quote_id"], ["quotes.id"], name=op.f("fk_quote_topics_quote_id_quotes"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"], ["topics.id"], name=op.f("fk_quote_topics_topic_id_topics"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("quote_id", "topic_id", name=op.f("pk_quote_topics")),
    )
    with op.batch_alter_table("quote_topics", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quote_topics_topic_id"), ["topic_id"], unique=False)

    op.create_table(
        "statistic_entities",
        sa.Column("statistic_id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["entities.id"],
            name=op.f("fk_statistic_entities_entity_id_entities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["statistic_id"],
            ["statistics.id"],
            name=op.f("fk_statistic_entities_statistic_id_statistics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("statistic_id", "entity_id", name=op.f("pk_statistic_entities")),
    )
    with op.batch_alter_table("statistic_entities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_statistic_entities_entity_id"), ["entity_id"], unique=False)

    op.create_table(
        "statistic_topics",
        sa.Column("statistic_id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["statistic_id"],
            ["statistics.id"],
            name=op.f("fk_statistic_topics_statistic_id_statistics"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"], ["topics.id"], name=op.f("fk_statistic_topics_topic_id_topics"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("statistic_id", "topic_id", name=op.f("pk_statistic_topics")),
    )
    with op.batch_alter_table("statistic_topics", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_statistic_topics_topic_id"), ["topic_id"], unique=False)

    create_full_text_index()


def downgrade() -> None:
    drop_full_text_index()
    with op.batch_alter_table("statistic_topics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_statistic_topics_topic_id"))

    op.drop_table("statistic_topics")
    with op.batch_alter_table("statistic_entities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_statistic_entities_entity_id"))

    op.drop_table("statistic_entities")
    with op.batch_alter_table("quote_topics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quote_topics_topic_id"))

    op.drop_table("quote_topics")
    with op.batch_alter_table("quote_entities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quote_entities_entity_id"))

    op.drop_table("quote_entities")
    with op.batch_alter_table("statistics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_statistics_published_at"))
        batch_op.drop_index("ix_statistics_answerable")

    op.drop_table("statistics")
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quotes_published_at"))
        batch_op.drop_index("ix_quotes_answerable")

    op.drop_table("quotes")
    with op.batch_alter_table("entity_aliases", schema=None) as batch_op:
        batch_op.drop_index("ix_entity_aliases_lookup")
        batch_op.drop_index(batch_op.f("ix_entity_aliases_entity_id"))

    op.drop_table("entity_aliases")
    with op.batch_alter_table("topics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_topics_workspace_id"))

    op.drop_table("topics")
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sources_workspace_id"))

    op.drop_table("sources")
    with op.batch_alter_table("search_documents", schema=None) as batch_op:
        batch_op.drop_index("ix_search_documents_scope")

    op.drop_table("search_documents")
    with op.batch_alter_table("entities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entities_workspace_id"))

    op.drop_table("entities")
    op.drop_table("workspaces")


SQLITE_FTS = [
    # External-content FTS5 over search_documents.body; the porter stemmer makes "encrypted" find "encryption".
    "CREATE VIRTUAL TABLE search_fts USING fts5(body, content='search_documents', content_rowid='id',"
    " tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN"
    " INSERT INTO search_fts(rowid, body) VALUES (new.id, new.body); END",
    "CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN"
    " INSERT INTO search_fts(search_fts, rowid, body) VALUES ('delete', old.id, old.body); END",
    "CREATE TRIGGER search_documents_au AFTER UPDATE ON search_documents BEGIN"
    " INSERT INTO search_fts(search_fts, rowid, body) VALUES ('delete', old.id, old.body);"
    " INSERT INTO search_fts(rowid, body) VALUES (new.id, new.body); END",
]
POSTGRES_FTS = [
    "ALTER TABLE search_documents ADD COLUMN tsv tsvector"
    " GENERATED ALWAYS AS (to_tsvector('english', body)) STORED",
    "CREATE INDEX ix_search_documents_tsv ON search_documents USING gin (tsv)",
]


def create_full_text_index() -> None:
    dialect = op.get_bind().dialect.name
    for statement in POSTGRES_FTS if dialect == "postgresql" else SQLITE_FTS:
        op.execute(statement)


def drop_full_text_index() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_search_documents_tsv")
        return
    for trigger in ("search_documents_ai", "search_documents_ad", "search_documents_au"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS search_fts")
