"""live_form: which stored version of each form is live, for every process at once

Revision ID: 0009
Revises: 0008

A form deployed from the admin area used to be written into the forms folder, which
only the machine that wrote it could see. Now it points at its bytes in form_source;
a key without a row here is served from the shipped form file.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "live_form",
        sa.Column("form_key", sa.String(128), primary_key=True),
        sa.Column("sha256", sa.String(64), sa.ForeignKey("form_source.sha256"),
                  nullable=False),
        sa.Column("deployed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deployed_by", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("live_form")
