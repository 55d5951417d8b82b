"""human_task.subject: what one task of many alike is about

Revision ID: 0012
Revises: 0011

A payout asks every station to confirm its amount: a dozen inbox rows read
"Station confirms its amount", and only opening each told which station it was. A task
may now name its subject (the ``subject`` property, filled from the task's data when it
is created), shown beside its title. Tasks created before this revision have none.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("human_task") as batch:
        batch.add_column(sa.Column("subject", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("human_task") as batch:
        batch.drop_column("subject")
