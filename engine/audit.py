"""Append-only audit events, hash-chained when the caller's transaction commits.

``record`` queues an event on the session. Just before that transaction commits, the
queue is written at the end of the chain while holding the lock on the one-row
``audit_chain_head``, so concurrent writers link their events in commit order and
hold the lock only for the commit itself. Never commits, updates or deletes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, cast
from uuid import UUID

from sqlalchemy import (
    Table,
    bindparam,
    event,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.orm.util import identity_key

from engine import auditchain, directsql
from engine.models import AuditChainHead, AuditEvent, ProcessInstance
from engine.records import AuditEntry
from engine.values import plain

_QUEUE = "signoff.audit.queue"
_EVENTS = cast(Table, AuditEvent.__table__)
_HEAD = cast(Table, AuditChainHead.__table__)


class AuditType(str, Enum):
    """Event types, named ``<subject>_<past_verb>``."""

    DEFINITION_DEPLOYED = "definition_deployed"
    PROCESS_VERSION_CREATED = "process_version_created"
    USER_CREATED = "user_created"
    USER_UPDATED = "user_updated"
    GROUP_CREATED = "group_created"
    GROUP_UPDATED = "group_updated"
    LOGIN_FAILED = "login_failed"
    INSTANCE_STARTED = "instance_started"
    INSTANCE_COMPLETED = "instance_completed"
    INSTANCE_FAILED = "instance_failed"
    INSTANCE_RETRIED = "instance_retried"
    INSTANCE_CANCELLED = "instance_cancelled"
    TASK_CREATED = "task_created"
    TASK_CLAIMED = "task_claimed"
    TASK_UNCLAIMED = "task_unclaimed"
    TASK_ASSIGNED = "task_assigned"
    TASK_COMPLETED = "task_completed"
    TASK_CANCELLED = "task_cancelled"
    TIMER_FIRED = "timer_fired"
    TIMER_FAILED = "timer_failed"
    # deadlines (engine/sla.py, engine/messages.py, engine/jobs.py)
    TASK_REMINDED = "task_reminded"
    TASK_ESCALATED = "task_escalated"
    MESSAGE_DELIVERED = "message_delivered"
    MESSAGE_KEPT = "message_kept"
    MESSAGE_EXPIRED = "message_expired"
    JOB_FAILED = "job_failed"
    JOB_RETRIED = "job_retried"
    # what the engine ran by itself in a step (engine/steplog.py); payloads carry the
    # values before and after. decision_evaluated adds inputs, matched rules, outputs.
    DECISION_EVALUATED = "decision_evaluated"
    DATA_COMPUTED = "data_computed"
    # admin area (engine/_admin_api.py)
    INSTANCE_SUSPENDED = "instance_suspended"
    INSTANCE_RESUMED = "instance_resumed"
    INSTANCE_MIGRATED = "instance_migrated"
    INSTANCE_DATA_EDITED = "instance_data_edited"
    USER_DEACTIVATED = "user_deactivated"
    USER_REACTIVATED = "user_reactivated"
    PASSWORD_RESET = "password_reset"
    DRAFT_SAVED = "draft_saved"
    DRAFT_DISCARDED = "draft_discarded"
    FORM_DEPLOYED = "form_deployed"


# What the engine computed by itself: the auditor's timeline shows these, people's
# "who did what" lists leave them out.
COMPUTED_TYPES = (AuditType.DECISION_EVALUATED.value, AuditType.DATA_COMPUTED.value)


@dataclass(slots=True)
class _Queued:
    transaction: SessionTransaction | None
    fields: dict[str, Any]


def record(
    session: Session,
    event_type: AuditType,
    *,
    actor: str,
    at: datetime,
    instance_id: int | None = None,
    task_id: UUID | str | None = None,
    bpmn_id: str | None = None,
    payload: Mapping[str, Any] | None = None,
) -> None:
    """Append one event to the trail in the current transaction."""
    # Round-trip through JSON now: the hash must cover exactly what the database gives
    # back, and a value that is not plain JSON fails here, inside the transaction.
    body = json.loads(json.dumps(plain(payload or {}), allow_nan=False))
    queue: list[_Queued] = session.info.setdefault(_QUEUE, [])
    queue.append(
        _Queued(
            transaction=session.get_nested_transaction() or session.get_transaction(),
            fields={
                "at": at,
                "actor": actor,
                "event_type": event_type.value,
                "instance_id": instance_id,
                "bpmn_id": bpmn_id,
                "payload": body,
                "task_id": str(task_id) if task_id is not None else None,
            },
        )
    )


def append(
    session: Session, events: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Write events at the end of the chain under the head lock (at commit time).

    Core statements, not ORM rows: three statements however many events there are
    (claim the head, insert the events, move the head), which matters on every step.
    """
    session.flush()  # everything else first, so the head stays locked only briefly
    seq, prev, ids = _claim_head(session, len(events))
    owners = _instance_keys(session, {e["instance_id"] for e in events})
    rows = []
    for fields, new_id in zip(events, ids, strict=True):
        seq += 1
        process_id, business_key = owners.get(fields["instance_id"], (None, None))
        content = dict(
            fields,
            id=new_id,
            seq=seq,
            process_id=process_id,
            business_key=business_key,
        )
        digest = auditchain.content_hash(content)
        link = auditchain.link_hash(prev, content["instance_id"], digest)
        rows.append(dict(content, prev_hash=prev, content_hash=digest, row_hash=link))
        prev = link
    directsql.write(session, _INSERT, rows)
    directsql.write(session, _MOVE_HEAD, {"new_seq": seq, "new_hash": prev})
    directsql.flush(session)  # commit comes next: nothing else would send them
    return rows


def _instance_keys(
    session: Session, ids: set[int | None]
) -> dict[int, tuple[str, str | None]]:
    """Process id and business key per instance (from the session when it has them)."""
    keys: dict[int, tuple[str, str | None]] = {}
    wanted = []
    for instance_id in sorted(i for i in ids if i is not None):
        row = session.identity_map.get(identity_key(ProcessInstance, instance_id))
        if isinstance(row, ProcessInstance) and not inspect(row).expired_attributes:
            keys[instance_id] = (row.process_id, row.business_key)
        else:
            wanted.append(instance_id)
    if wanted:
        query = select(
            ProcessInstance.id, ProcessInstance.process_id, ProcessInstance.business_key
        ).where(ProcessInstance.id.in_(wanted))
        for found in session.execute(query):
            keys[found.id] = (found.process_id, found.business_key)
    return keys


_INSERT = insert(_EVENTS)
_MOVE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == auditchain.HEAD_ID)
    .values(seq=bindparam("new_seq"), row_hash=bindparam("new_hash"))
)
# PostgreSQL: the UPDATE takes the head's row lock and only then computes RETURNING,
# so the ids drawn there (correlated on the new ``seq``) are drawn under the lock.
_CLAIM_PG = text(
    "UPDATE audit_chain_head SET seq = seq + :n WHERE id = :head "
    "RETURNING seq - :n, row_hash, ARRAY(SELECT nextval(pg_get_serial_sequence("
    "'audit_event', 'id')) FROM generate_series(seq - :n + 1, seq))"
)
# SQLite: the head's seq and hash and the newest event id. BEGIN IMMEDIATE already
# holds the database's single write lock, so reading them is claiming them. They can
# also ride as columns of a statement that already runs in the transaction
# (``instances.get_for_task``), so a completion need not read them again.
HEAD_COLUMNS = (
    select(_HEAD.c.seq).where(_HEAD.c.id == auditchain.HEAD_ID).scalar_subquery(),
    select(_HEAD.c.row_hash).where(_HEAD.c.id == auditchain.HEAD_ID).scalar_subquery(),
    select(func.max(_EVENTS.c.id)).scalar_subquery(),
)
_CLAIM_SQLITE = select(*HEAD_COLUMNS)
_HEAD_READ = "signoff.audit.head_read"  # session.info: (transaction, seq, hash, top id)


def remember_head(session: Session, seq: int, row_hash: str, top: int | None) -> None:
    """Keep the head as ``HEAD_COLUMNS`` read it on SQLite, for this transaction's append.

    BEGIN IMMEDIATE holds SQLite's only write lock from the start of the transaction,
    so the head cannot move before this transaction's own append at commit.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.info[_HEAD_READ] = (session.get_transaction(), seq, row_hash, top)


def _claim_head(session: Session, count: int) -> tuple[int, str, list[int]]:
    """Lock the head; return its seq and hash and ``count`` ids that rise with seq."""
    postgres = session.get_bind().dialect.name == "postgresql"
    read = session.info.pop(_HEAD_READ, None)
    if read is not None and read[0] is session.get_transaction():
        found: Any = read[1:]  # read under this transaction's write lock
    else:
        query = _CLAIM_PG if postgres else _CLAIM_SQLITE
        found = session.execute(query, {"n": count, "head": auditchain.HEAD_ID}).first()
    if found is None or found[0] is None:
        raise RuntimeError("the audit chain head is missing: run `signoff init`")
    seq, prev, drawn = found
    if postgres:
        ids = sorted(int(i) for i in drawn)
    else:
        top = int(drawn or 0)
        ids = list(range(top + 1, top + 1 + count))
    return int(seq), str(prev), ids


@event.listens_for(Session, "before_commit")
def _write_queue(session: Session) -> None:
    queue: list[_Queued] | None = session.info.pop(_QUEUE, None)
    if queue:
        append(session, [q.fields for q in queue])
    session.info.pop(_HEAD_READ, None)


@event.listens_for(Session, "after_soft_rollback")
def _drop_queue(session: Session, previous_transaction: SessionTransaction) -> None:
    """Forget events recorded in the part of the work that was rolled back."""
    session.info.pop(_HEAD_READ, None)  # a later append reads the head again
    queue: list[_Queued] | None = session.info.get(_QUEUE)
    if not queue:
        return
    if not previous_transaction.nested:
        session.info.pop(_QUEUE, None)
        return
    session.info[_QUEUE] = [
        q for q in queue if not directsql.within(q.transaction, previous_transaction)
    ]


def to_entry(row: AuditEvent) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        at=row.at,
        actor=row.actor,
        event_type=row.event_type,
        instance_id=row.instance_id,
        task_id=UUID(row.task_id) if row.task_id else None,
        bpmn_id=row.bpmn_id,
        payload=row.payload,
    )


def list_events(
    session: Session,
    *,
    instance_id: int | None = None,
    event_types: Sequence[str] | None = None,
    exclude_types: Sequence[str] = (),
    limit: int = 1000,
) -> list[AuditEntry]:
    """Return events oldest first, optionally for one instance or some event types."""
    query = select(AuditEvent).order_by(AuditEvent.seq)
    if instance_id is not None:
        query = query.where(AuditEvent.instance_id == instance_id)
    if event_types:
        query = query.where(AuditEvent.event_type.in_(list(event_types)))
    if exclude_types:
        query = query.where(AuditEvent.event_type.not_in(list(exclude_types)))
    return [to_entry(r) for r in session.scalars(query.limit(limit))]
