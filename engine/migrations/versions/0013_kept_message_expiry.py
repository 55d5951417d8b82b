"""Expiry jobs for messages kept before expiry was recorded

Revision ID: 0013
Revises: 0012

A kept message nobody came for is now marked expired by a job at its expiry time, which
records ``message_expired`` on the audit trail (engine/messages.py). Messages kept before
this revision have no such job: each one still kept gets it here, due at its own expiry
(an overdue one runs at the next worker round). The job's key is the one the engine
uses, so a delivery still drops it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_MESSAGES = sa.table(
    "inbound_message",
    sa.column("id", sa.Integer),
    sa.column("state", sa.String),
    sa.column("received_at", sa.DateTime),
    sa.column("expires_at", sa.DateTime),
)
_JOBS = sa.table(
    "job",
    sa.column("kind", sa.String),
    sa.column("key", sa.String),
    sa.column("instance_id", sa.Integer),
    sa.column("payload", sa.JSON),
    sa.column("state", sa.String),
    sa.column("run_at", sa.DateTime),
    sa.column("attempts", sa.Integer),
    sa.column("max_attempts", sa.Integer),
    sa.column("locked_by", sa.String),
    sa.column("last_error", sa.Text),
    sa.column("created_at", sa.DateTime),
)
_MAX_ATTEMPTS = 8  # the engine's default (SIGNOFF_JOB_MAX_ATTEMPTS)


def upgrade() -> None:
    bind = op.get_bind()
    queued: set[str] = set(bind.execute(sa.select(_JOBS.c.key).where(
        _JOBS.c.key.like("expire:%"))).scalars())
    kept = bind.execute(sa.select(_MESSAGES.c.id, _MESSAGES.c.received_at,
                                  _MESSAGES.c.expires_at)
                        .where(_MESSAGES.c.state == "kept")).all()
    rows = [{"kind": "expire_message", "key": f"expire:{id_}", "instance_id": None,
             "payload": {"message_id": id_}, "state": "pending", "run_at": expires,
             "attempts": 0, "max_attempts": _MAX_ATTEMPTS, "locked_by": None,
             "last_error": None, "created_at": received}
            for id_, received, expires in kept if f"expire:{id_}" not in queued]
    if rows:
        op.bulk_insert(_JOBS, rows)


def downgrade() -> None:
    op.execute(_JOBS.delete().where(_JOBS.c.kind == "expire_message"))
