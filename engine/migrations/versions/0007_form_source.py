"""form_source: the bytes of every form version deployed or used, by sha256

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "form_source",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("form_key", sa.String(128), nullable=False),
        sa.Column("source", sa.LargeBinary(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_seen_by", sa.String(64), nullable=False),
    )
    op.create_index("ix_form_source_form_key", "form_source", ["form_key"])


def downgrade() -> None:
    op.drop_index("ix_form_source_form_key", table_name="form_source")
    op.drop_table("form_source")
