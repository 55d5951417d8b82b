"""live state and task archive: state_token on process_instance, archived_task table

Instance state now holds only the live part of the Spiff task tree; finished tasks move
to ``archived_task``. Existing states (format 1, the whole tree) stay readable and are
rewritten in the new format on their next save, so no data migration is needed.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("state_token", sa.String(length=32), nullable=True))
    op.create_table(
        "archived_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instance.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("archived_task", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_archived_task_instance_id"), ["instance_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("archived_task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_archived_task_instance_id"))
    op.drop_table("archived_task")
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.drop_column("state_token")
