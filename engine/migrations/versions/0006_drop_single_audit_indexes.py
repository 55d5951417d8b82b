"""audit_event: drop the single-column indexes the (column, at, seq) ones made redundant

Revision ID: 0006
Revises: 0005

Every audit search filter has an index ending in (at, seq) since 0003; the four
single-column indexes from 0001 only cost time on each append. Plain DROP INDEX, not a
batch table rebuild: a rebuild would drop the append-only triggers of the table.
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_INDEXES = {
    "ix_audit_event_actor": "actor",
    "ix_audit_event_at": "at",
    "ix_audit_event_event_type": "event_type",
    "ix_audit_event_instance_id": "instance_id",
}


def upgrade() -> None:
    for name in _INDEXES:
        op.drop_index(name, table_name="audit_event")


def downgrade() -> None:
    for name, column in _INDEXES.items():
        op.create_index(name, "audit_event", [column])
