"""process_instance.outcome: how a completed instance ended

Revision ID: 0010
Revises: 0009

A completed instance used to say only "completed", whether it was approved, rejected
or withdrawn. The end event that finishes it may name an outcome; the engine keeps it
here. Instances completed before this revision have none (NULL), as do instances that
end at an end event naming no outcome.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("process_instance") as batch:
        batch.add_column(sa.Column("outcome", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("process_instance") as batch:
        batch.drop_column("outcome")
