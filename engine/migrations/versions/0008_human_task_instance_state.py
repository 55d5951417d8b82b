"""human_task: index (instance_id, state) so a step reads only the open tasks

Revision ID: 0008
Revises: 0007

A step locks its instance and reads the instance's open tasks. With only an index on
instance_id that read walks every task the instance ever had, so a loop with thousands
of rounds slowed down each completion.
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_human_task_instance_state", "human_task", ["instance_id", "state"])


def downgrade() -> None:
    op.drop_index("ix_human_task_instance_state", table_name="human_task")
