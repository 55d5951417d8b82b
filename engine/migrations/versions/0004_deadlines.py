"""deadlines: jobs, notifications, e-mail/SMS outbox, message subscriptions, messages

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "job",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("key", sa.String(160), nullable=True, unique=True),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        _at("run_at"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_by", sa.String(128), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        _at("created_at"),
    )
    op.create_index("ix_job_state_run_at", "job", ["state", "run_at"])
    op.create_index("ix_job_instance_id", "job", ["instance_id"])

    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.String(36), nullable=True),
        _at("created_at"),
        _at("read_at", nullable=True),
    )
    op.create_index(
        "ix_notification_user_read", "notification", ["username", "read_at"]
    )

    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("recipient", sa.String(255), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        _at("created_at"),
        _at("sent_at", nullable=True),
    )
    op.create_table(
        "sms_outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        _at("created_at"),
    )

    op.create_table(
        "message_subscription",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "instance_id",
            sa.Integer(),
            sa.ForeignKey("process_instance.id"),
            nullable=False,
        ),
        sa.Column("task_id", sa.String(36), nullable=False),
        sa.Column("bpmn_id", sa.String(128), nullable=False),
        sa.Column("message_name", sa.String(128), nullable=False),
        sa.Column("correlation_key", sa.String(128), nullable=True),
    )
    op.create_index(
        "ix_message_subscription_instance_id", "message_subscription", ["instance_id"]
    )
    op.create_index(
        "ix_message_subscription_name_key",
        "message_subscription",
        ["message_name", "correlation_key"],
    )

    op.create_table(
        "inbound_message",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("message_name", sa.String(128), nullable=False),
        sa.Column("correlation_key", sa.String(128), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        _at("received_at"),
        _at("expires_at"),
        sa.Column("sent_by", sa.String(64), nullable=False),
        sa.Column("delivered_to", sa.Integer(), nullable=True),
        _at("delivered_at", nullable=True),
    )
    op.create_index(
        "ix_inbound_message_name_key",
        "inbound_message",
        ["message_name", "correlation_key", "state"],
    )

    op.create_table(
        "message_start",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("process_id", sa.String(128), nullable=False),
        sa.Column("bpmn_id", sa.String(128), nullable=False),
        sa.Column("message_name", sa.String(128), nullable=False),
        sa.UniqueConstraint("process_id", "message_name"),
    )
    op.create_index("ix_message_start_message_name", "message_start", ["message_name"])


def downgrade() -> None:
    for table in (
        "message_start",
        "inbound_message",
        "message_subscription",
        "sms_outbox",
        "outbox_message",
        "notification",
        "job",
    ):
        op.drop_table(table)
