"""audit chain: hash-chained, append-only audit_event with search indexes

Adds the chain columns and the one-row ``audit_chain_head``, chains the events that
already exist (oldest id first), adds the (filter, at, seq) indexes for keyset paging,
and makes the table refuse UPDATE and DELETE with a trigger. SQLite gets the same
triggers; a later batch migration that rebuilds ``audit_event`` on SQLite must create
them again.

Revision ID: 0003
Revises: 0001 (until 0002 lands; then down_revision becomes "0002")
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from engine import auditchain

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

CHAIN_COLUMNS = ("seq", "prev_hash", "content_hash", "row_hash")
INDEXES = {
    "ix_audit_event_at_seq": ["at", "seq"],
    "ix_audit_event_instance_at_seq": ["instance_id", "at", "seq"],
    "ix_audit_event_process_at_seq": ["process_id", "at", "seq"],
    "ix_audit_event_key_at_seq": ["business_key", "at", "seq"],
    "ix_audit_event_actor_at_seq": ["actor", "at", "seq"],
    "ix_audit_event_type_at_seq": ["event_type", "at", "seq"],
}
PG_TRIGGER = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_event_no_update_delete BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();
"""
SQLITE_TRIGGERS = (
    "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: UPDATE refused'); END",
    "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: DELETE refused'); END",
)


def upgrade() -> None:
    with op.batch_alter_table("audit_event") as batch:
        batch.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("process_id", sa.String(128), nullable=True))
        batch.add_column(sa.Column("business_key", sa.String(128), nullable=True))
        for name in CHAIN_COLUMNS[1:]:
            batch.add_column(sa.Column(name, sa.String(64), nullable=True))
    head = op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("row_hash", sa.String(64), nullable=False),
    )
    seq, row_hash = _chain_existing_events()
    op.bulk_insert(head, [{"id": auditchain.HEAD_ID, "seq": seq, "row_hash": row_hash}])
    with op.batch_alter_table("audit_event") as batch:
        batch.alter_column("seq", existing_type=sa.BigInteger(), nullable=False)
        for name in CHAIN_COLUMNS[1:]:
            batch.alter_column(name, existing_type=sa.String(64), nullable=False)
        batch.create_unique_constraint("uq_audit_event_seq", ["seq"])
        for index, columns in INDEXES.items():
            batch.create_index(index, columns)
    _create_triggers()


def _chain_existing_events() -> tuple[int, str]:
    """Chain rows written before this revision, oldest id first; return the new head."""
    bind = op.get_bind()
    meta = sa.MetaData()
    events = sa.Table("audit_event", meta, autoload_with=bind)
    instances = sa.Table("process_instance", meta, autoload_with=bind)
    owners = {
        r.id: (r.process_id, r.business_key)
        for r in bind.execute(
            sa.select(instances.c.id, instances.c.process_id, instances.c.business_key)
        )
    }
    prev, seq = auditchain.GENESIS, 0
    updates = []
    for row in bind.execute(sa.select(events).order_by(events.c.id)).mappings():
        seq += 1
        process_id, business_key = owners.get(row["instance_id"], (None, None))
        content = dict(row, seq=seq, process_id=process_id, business_key=business_key)
        digest = auditchain.content_hash(content)
        link = auditchain.link_hash(prev, row["instance_id"], digest)
        updates.append(
            {
                "b_id": row["id"],
                "seq": seq,
                "process_id": process_id,
                "business_key": business_key,
                "prev_hash": prev,
                "content_hash": digest,
                "row_hash": link,
            }
        )
        prev = link
    if updates:
        bind.execute(
            events.update()
            .where(events.c.id == sa.bindparam("b_id"))
            .values(
                {name: sa.bindparam(name) for name in updates[0] if name != "b_id"}
            ),
            updates,
        )
    return seq, prev


def _create_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_TRIGGER)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update_delete ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
    with op.batch_alter_table("audit_event") as batch:
        for index in INDEXES:
            batch.drop_index(index)
        batch.drop_constraint("uq_audit_event_seq", type_="unique")
        for name in (
            "row_hash",
            "content_hash",
            "prev_hash",
            "business_key",
            "process_id",
            "seq",
        ):
            batch.drop_column(name)
    op.drop_table("audit_chain_head")
