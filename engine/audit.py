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
from typing import Any
from uuid import UUID

from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session, SessionTransaction

from engine import auditchain
from engine.models import AuditChainHead, AuditEvent, ProcessInstance
from engine.records import AuditEntry
from engine.values import plain

_QUEUE = "signoff.audit.queue"


class AuditType(str, Enum):
    """Event types, named ``<subject>_<past_verb>``."""

    DEFINITION_DEPLOYED = "definition_deployed"
    PROCESS_VERSION_CREATED = "process_version_created"
    USER_CREATED = "user_created"
    USER_UPDATED = "user_updated"
    GROUP_CREATED = "group_created"
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


def append(session: Session, events: Sequence[Mapping[str, Any]]) -> list[AuditEvent]:
    """Write events at the end of the chain under the head lock (at commit time)."""
    session.flush()  # everything else first, so the head stays locked only briefly
    head = session.scalars(
        select(AuditChainHead)
        .where(AuditChainHead.id == auditchain.HEAD_ID)
        .with_for_update()
    ).first()
    if head is None:
        raise RuntimeError("the audit chain head is missing: run `signoff init`")
    owners = _instance_keys(session, {e["instance_id"] for e in events})
    rows = []
    for fields, new_id in zip(events, _next_ids(session, len(events)), strict=True):
        process_id, business_key = owners.get(fields["instance_id"], (None, None))
        content = dict(
            fields,
            id=new_id,
            seq=head.seq + 1,
            process_id=process_id,
            business_key=business_key,
        )
        digest = auditchain.content_hash(content)
        link = auditchain.link_hash(head.row_hash, content["instance_id"], digest)
        rows.append(
            AuditEvent(
                **content, prev_hash=head.row_hash, content_hash=digest, row_hash=link
            )
        )
        head.seq, head.row_hash = content["seq"], link
    session.add_all(rows)
    return rows


def _instance_keys(
    session: Session, ids: set[int | None]
) -> dict[int, tuple[str, str | None]]:
    wanted = sorted(i for i in ids if i is not None)
    if not wanted:
        return {}
    query = select(
        ProcessInstance.id, ProcessInstance.process_id, ProcessInstance.business_key
    ).where(ProcessInstance.id.in_(wanted))
    return {
        row.id: (row.process_id, row.business_key) for row in session.execute(query)
    }


def _next_ids(session: Session, count: int) -> list[int]:
    """Ids handed out under the head lock: they rise with ``seq`` and are hashed."""
    if session.get_bind().dialect.name == "postgresql":
        query = text(
            "SELECT nextval(pg_get_serial_sequence('audit_event', 'id')) "
            "FROM generate_series(1, :n)"
        )
        return sorted(int(i) for i in session.scalars(query, {"n": count}))
    # SQLite: BEGIN IMMEDIATE already holds the database's single write lock.
    top = session.scalar(select(func.max(AuditEvent.id))) or 0
    return list(range(top + 1, top + 1 + count))


@event.listens_for(Session, "before_commit")
def _write_queue(session: Session) -> None:
    queue: list[_Queued] | None = session.info.pop(_QUEUE, None)
    if queue:
        append(session, [q.fields for q in queue])


@event.listens_for(Session, "after_soft_rollback")
def _drop_queue(session: Session, previous_transaction: SessionTransaction) -> None:
    """Forget events recorded in the part of the work that was rolled back."""
    queue: list[_Queued] | None = session.info.get(_QUEUE)
    if not queue:
        return
    if not previous_transaction.nested:
        session.info.pop(_QUEUE, None)
        return
    session.info[_QUEUE] = [
        q for q in queue if not _inside(q.transaction, previous_transaction)
    ]


def _inside(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


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
