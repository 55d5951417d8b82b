"""notification.title_en / body_en: a notice in both languages

Revision ID: 0011
Revises: 0010

A notice was written once, in its recipient's language at that moment, so someone who
reads the English interface saw Chinese notices written while their language was
Chinese. New notices keep the Chinese text in ``title``/``body`` and the English text
here, and are shown in the language of the page. Older rows have NULL here and keep
showing the text they were written with.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notification") as batch:
        batch.add_column(sa.Column("title_en", sa.String(255), nullable=True))
        batch.add_column(sa.Column("body_en", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notification") as batch:
        batch.drop_column("body_en")
        batch.drop_column("title_en")
