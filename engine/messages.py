"""Messages from outside: correlated by name and key, kept when early, or starting.

Each saved instance keeps one ``message_subscription`` row per message event or receive
task it waits at, with its correlation key (the event's ``correlationKey`` expression,
or else the instance's business key), so a delivery finds its receiver by an index.
A message nobody waits for is kept until it expires; an instance that starts waiting for
it later gets it through a job queued in the same transaction. Never commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session
from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from engine import jobs
from engine.deadline_config import DeadlineConfig
from engine.errors import InvalidInput, ScriptFailed
from engine.models import (
    InboundMessage,
    MessageSubscription,
    ProcessInstance,
)
from engine.records import InstanceStatus, MessageInfo
from engine.scripting import ScriptRejected, ScriptTimeout

DELIVER = "deliver_message"
EXPIRE = "expire_message"
KEY_LIMIT = 128


class MessageState(str, Enum):
    KEPT = "kept"
    DELIVERED = "delivered"
    STARTED = "started"
    EXPIRED = "expired"


def clean_key(key: str | None) -> str | None:
    if key is None:
        return None
    text = str(key).strip()
    if not text or len(text) > KEY_LIMIT:
        raise InvalidInput(f"a correlation key must be 1 to {KEY_LIMIT} characters")
    return text


def definitions(task_spec: Any) -> list[MessageEventDefinition]:
    """The messages a task spec catches (an event-based gateway may catch several)."""
    found = getattr(task_spec, "event_definition", None)
    if isinstance(found, MultipleEventDefinition):
        return [
            d for d in found.event_definitions if isinstance(d, MessageEventDefinition)
        ]
    return [found] if isinstance(found, MessageEventDefinition) else []


def waiting(workflow: Any) -> list[tuple[Any, str]]:
    """(task, message name) of every message catch waiting now."""
    return [
        (task, definition.name)
        for task in workflow.event_manager.tasks.values()
        if task.state == TaskState.WAITING
        for definition in definitions(task.task_spec)
    ]


def uses_messages(workflow: Any) -> bool:
    """Whether the instance's process (or a called one) has a message catch anywhere."""
    specs = [workflow.spec, *getattr(workflow, "subprocess_specs", {}).values()]
    return any(
        definitions(task_spec)
        for spec in specs
        for task_spec in spec.task_specs.values()
    )


def correlation_key(task: Any, business_key: str | None) -> str | None:
    """The key a waiting task expects: ``correlationKey``, or the business key."""
    props = (getattr(task.task_spec, "extensions", None) or {}).get("properties", {})
    expression = props.get("correlationKey")
    if not expression:
        return business_key
    try:
        value = task.workflow.script_engine.evaluate(task, expression)
    except (SpiffWorkflowException, ScriptTimeout, ScriptRejected) as exc:
        raise ScriptFailed(
            f"correlationKey {expression!r}: {exc}", bpmn_id=task.task_spec.bpmn_id
        ) from exc
    return None if value is None else str(value)[:KEY_LIMIT]


def sync(
    session: Session,
    instance: ProcessInstance,
    workflow: Any,
    *,
    finished: bool,
    now: datetime,
    config: DeadlineConfig,
) -> None:
    """Replace the instance's subscriptions; queue any kept message it now waits for."""
    if not uses_messages(workflow):
        return  # no message event in its model: it has no subscriptions to keep
    wanted: dict[tuple[str, str], tuple[str, str | None]] = {}
    if not finished and instance.status == InstanceStatus.RUNNING.value:
        for task, name in waiting(workflow):
            wanted[str(task.id), name] = (
                task.task_spec.bpmn_id or task.task_spec.name,
                correlation_key(task, instance.business_key),
            )
    existing = {
        (r.task_id, r.message_name): r
        for r in session.scalars(
            select(MessageSubscription).where(
                MessageSubscription.instance_id == instance.id
            )
        )
    }
    for waits, row in existing.items():
        if waits not in wanted:
            session.delete(row)
    for (task_id, name), (bpmn_id, key) in wanted.items():
        if (task_id, name) in existing:
            continue
        session.add(
            MessageSubscription(
                instance_id=instance.id,
                task_id=task_id,
                bpmn_id=bpmn_id,
                message_name=name,
                correlation_key=key,
            )
        )
        kept = oldest_kept(session, name, key, now)
        if kept is not None:
            jobs.enqueue(
                session,
                DELIVER,
                run_at=now,
                now=now,
                key=f"inbound:{kept.id}",
                payload={"message_id": kept.id},
                instance_id=instance.id,
                max_attempts=config.job_max_attempts,
            )


def receiver(
    session: Session, name: str, key: str | None
) -> MessageSubscription | None:
    """The longest-waiting running instance subscribed to this name and key."""
    query = (
        select(MessageSubscription)
        .join(ProcessInstance, ProcessInstance.id == MessageSubscription.instance_id)
        .where(
            MessageSubscription.message_name == name,
            ProcessInstance.status == InstanceStatus.RUNNING.value,
        )
        .order_by(MessageSubscription.id)
        .limit(1)
    )
    query = query.where(
        MessageSubscription.correlation_key.is_(None)
        if key is None
        else MessageSubscription.correlation_key == key
    )
    return session.scalars(query).first()


def oldest_kept(
    session: Session, name: str, key: str | None, now: datetime, *, lock: bool = False
) -> InboundMessage | None:
    query = (
        select(InboundMessage)
        .where(
            InboundMessage.message_name == name,
            InboundMessage.state == MessageState.KEPT.value,
            InboundMessage.expires_at > now,
            (
                InboundMessage.correlation_key.is_(None)
                if key is None
                else InboundMessage.correlation_key == key
            ),
        )
        .order_by(InboundMessage.id)
        .limit(1)
    )
    if lock:
        query = query.with_for_update(skip_locked=True)
    return session.scalars(query).first()


def lock_kept(
    session: Session, message_id: int, now: datetime
) -> InboundMessage | None:
    """The kept, unexpired message ``message_id``, locked for delivery, or None."""
    query = (
        select(InboundMessage)
        .where(
            InboundMessage.id == message_id,
            InboundMessage.state == MessageState.KEPT.value,
            InboundMessage.expires_at > now,
        )
        .with_for_update(skip_locked=True)
    )
    return session.scalars(query).first()


def keep(
    session: Session,
    name: str,
    key: str | None,
    payload: Mapping[str, Any],
    *,
    now: datetime,
    config: DeadlineConfig,
    sent_by: str,
) -> InboundMessage:
    row = InboundMessage(
        message_name=name,
        correlation_key=key,
        payload=dict(payload),
        state=MessageState.KEPT.value,
        received_at=now,
        expires_at=now + config.message_ttl,
        sent_by=sent_by,
    )
    session.add(row)
    session.flush()
    return row


def schedule_expiry(session: Session, row: InboundMessage, *, now: datetime,
                    config: DeadlineConfig) -> None:
    """Queue the job that marks ``row`` expired if nobody has taken it by then."""
    jobs.enqueue(session, EXPIRE, run_at=row.expires_at, now=now,
                 key=expiry_key(row.id), payload={"message_id": row.id},
                 max_attempts=config.job_max_attempts)


def expiry_key(message_id: int) -> str:
    """The expiry job's key (migration 0013 writes the same for older messages)."""
    return f"expire:{message_id}"


def expire(session: Session, message_id: int, now: datetime) -> InboundMessage | None:
    """Mark kept message ``message_id`` expired if its time is up; None if it was taken."""
    query = (
        select(InboundMessage)
        .where(
            InboundMessage.id == message_id,
            InboundMessage.state == MessageState.KEPT.value,
            InboundMessage.expires_at <= now,
        )
        .with_for_update()
    )
    row = session.scalars(query).first()
    if row is not None:
        row.state = MessageState.EXPIRED.value
    return row


def catch(workflow: Any, task_id: str, name: str, payload: Mapping[str, Any]) -> None:
    """Let the waiting task catch message ``name``; its data joins the instance data.

    With ``spiffworkflow:messageVariable`` SpiffWorkflow puts the payload in that
    variable; without it the payload's fields are merged into the data (SpiffWorkflow
    would drop them). Merged after the catch: catching re-reads the parent's data.
    """
    task = workflow.get_task_from_id(UUID(task_id))
    definition = next(d for d in definitions(task.task_spec) if d.name == name)
    task.task_spec.catch(task, BpmnEvent(definition, payload=dict(payload)))
    task.task_spec._update(task)
    if getattr(definition, "message_var", None) is None:
        task.data.update(dict(payload))


def to_info(row: InboundMessage, now: datetime) -> MessageInfo:
    state = row.state
    if state == MessageState.KEPT.value and row.expires_at <= now:
        state = MessageState.EXPIRED.value
    return MessageInfo(
        id=row.id,
        name=row.message_name,
        correlation_key=row.correlation_key,
        state=state,
        received_at=row.received_at,
        expires_at=row.expires_at,
        instance_id=row.delivered_to,
    )


def list_kept(
    session: Session, *, name: str | None, now: datetime, limit: int
) -> list[MessageInfo]:
    query = select(InboundMessage).order_by(InboundMessage.id.desc()).limit(limit)
    if name:
        query = query.where(InboundMessage.message_name == name)
    return [to_info(r, now) for r in session.scalars(query)]
