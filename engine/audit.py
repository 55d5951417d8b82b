"""Append-only audit events, written in the caller's transaction. Never commits.

There is deliberately no update or delete here: the trail can only grow.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import AuditEvent
from engine.records import AuditEntry
from engine.values import plain


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
    body = plain(payload or {})
    json.dumps(body)  # fail here, inside the transaction, if something slipped through
    session.add(
        AuditEvent(
            at=at,
            actor=actor,
            event_type=event_type.value,
            instance_id=instance_id,
            task_id=str(task_id) if task_id is not None else None,
            bpmn_id=bpmn_id,
            payload=body,
        )
    )


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
    limit: int = 1000,
) -> list[AuditEntry]:
    """Return events oldest first, optionally for one instance or some event types."""
    query = select(AuditEvent).order_by(AuditEvent.id)
    if instance_id is not None:
        query = query.where(AuditEvent.instance_id == instance_id)
    if event_types:
        query = query.where(AuditEvent.event_type.in_(list(event_types)))
    return [to_entry(r) for r in session.scalars(query.limit(limit))]
