"""embeddings: a sentence vector beside each figure and quote, for plain-language questions (issue 19)

Revision ID: 0014
Revises: 0009
Create Date: 2026-12-01 04:40:00

`embedding` holds the row's vector as little-endian float16 bytes (768 bytes at 384 dimensions), and
`embedding_model` names the model that made it (storage/embeddings.MODEL_NAME), so a change of model
is found row by row and re-embedded rather than mixed. Both are empty until `statbot migrate` fills
them: the backfill embeds rows whose `embedding_model` is not the current model, in batches of 256,
each batch its own transaction, with a tqdm progress bar on standard error (statbot's other long jobs
use tqdm too), and can be stopped and started again, since it only picks up what is still missing.
Plain binary columns work on SQLite and on PostgreSQL without extensions; see the README for pgvector.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0011"
branch_labels = None
depends_on = None

TABLES = ("statistics", "quotes")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("embedding", sa.LargeBinary(), nullable=True))
            batch.add_column(sa.Column("embedding_model", sa.String(60), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("embedding_model")
            batch.drop_column("embedding")
