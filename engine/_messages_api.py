"""Engine methods for messages from outside: deliver by name and key, or keep them.

A message goes to the instance that has waited longest for it (same name and key), else
starts every process with a matching message start event, else is kept until it expires
and handed over as soon as an instance starts waiting for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine import (
    audit,
    definitions,
    instances,
    jobs,
    message_starts,
    messages,
    runtime,
)
from engine._base import _plain_object, require_staff
from engine._jobs_api import JobsAPI
from engine.audit import AuditType
from engine.deadline_config import of as config_of
from engine.errors import InvalidInput, ScriptFailed
from engine.jobs import Claimed
from engine.messages import MessageState
from engine.models import InboundMessage, MessageSubscription
from engine.records import SYSTEM, Actor, MessageInfo

NAME_LIMIT = 128


class MessagesAPI(JobsAPI):
    DELIVER_KIND = messages.DELIVER
    EXPIRE_KIND = messages.EXPIRE

    def deliver_message(
        self,
        name: str,
        *,
        correlation_key: str | None,
        data: Mapping[str, object],
        actor: Actor,
    ) -> MessageInfo:
        """Hand a message to the engine (e.g. a customer's feedback for complaint X).

        Returns:
            The message with its state: ``delivered`` (an instance caught it),
            ``started`` (it started instances) or ``kept`` (nobody waits yet).
        Raises:
            InvalidInput: bad name, key or data.  ScriptFailed: the receiving instance
            failed after catching it (now in error, it keeps the message for retry).
        """
        require_staff(actor)
        name = name.strip() if isinstance(name, str) else ""
        if not name or len(name) > NAME_LIMIT:
            raise InvalidInput(f"a message name must be 1 to {NAME_LIMIT} characters")
        key = messages.clean_key(correlation_key)
        payload = _plain_object(data)
        failure: tuple[int, ScriptFailed, dict[str, Any]] | None = None
        with self._tx() as session:
            row = messages.keep(
                session,
                name,
                key,
                payload,
                now=self.now(),
                config=config_of(session),
                sent_by=actor.username,
            )
            failure = self._place(session, row, actor)
            info = messages.to_info(row, self.now())
        if failure is not None:
            instance_id, error, retry = failure
            self._record_failure(instance_id, error, actor=actor, retry=retry)
            raise error
        return info

    def list_messages(
        self, *, actor: Actor, name: str | None = None, limit: int = 100
    ) -> list[MessageInfo]:
        """Messages handed to the engine, newest first, with what became of them."""
        require_staff(actor)
        with self._tx() as session:
            return messages.list_kept(
                session, name=name, now=self.now(), limit=max(1, min(limit, 500))
            )

    def _place(
        self, session: Session, row: InboundMessage, actor: Actor
    ) -> tuple[int, ScriptFailed, dict[str, Any]] | None:
        """Deliver, start or keep ``row`` inside the caller's transaction."""
        now = self.now()
        receiver = messages.receiver(session, row.message_name, row.correlation_key)
        if receiver is not None:
            failure = self._deliver_into(session, receiver, row, actor, now)
            if failure is not None:
                return receiver.instance_id, failure, _retry(receiver, row)
            return None
        starts = message_starts.starts_for(session, row.message_name)
        for start in starts:
            version = definitions.get_process_version(session, start.process_id)
            info, error = self._start_in(
                session,
                version,
                dict(row.payload),
                actor=actor,
                business_key=row.correlation_key,
            )
            if error is not None:
                return error.instance_id or 0, error, {"kind": "advance"}
            row.state, row.delivered_to, row.delivered_at = (
                MessageState.STARTED.value,
                info.id if info else None,
                now,
            )
        event = AuditType.MESSAGE_DELIVERED if starts else AuditType.MESSAGE_KEPT
        if not starts:
            messages.schedule_expiry(session, row, now=now, config=config_of(session))
        audit.record(
            session,
            event,
            actor=actor.username,
            at=now,
            instance_id=row.delivered_to,
            payload=_summary(row),
        )
        return None

    def _deliver_into(
        self,
        session: Session,
        receiver: MessageSubscription,
        row: InboundMessage,
        actor: Actor,
        now: datetime,
    ) -> ScriptFailed | None:
        """Let the waiting instance catch the message and run on; record it."""
        instance = instances.get(session, receiver.instance_id, lock=True)
        instances.require_running(instance, action="message")
        _loaded, workflow = instances.open_workflow(
            session, instance, self._script_engine
        )
        messages.catch(workflow, receiver.task_id, row.message_name, row.payload)
        row.state, row.delivered_to, row.delivered_at = (
            MessageState.DELIVERED.value,
            instance.id,
            now,
        )
        audit.record(
            session,
            AuditType.MESSAGE_DELIVERED,
            actor=actor.username,
            at=now,
            instance_id=instance.id,
            task_id=receiver.task_id,
            bpmn_id=receiver.bpmn_id,
            payload=_summary(row),
        )
        try:
            runtime.advance(workflow)
        except ScriptFailed as exc:
            return exc
        instances.save(session, instance, workflow, actor=actor, now=now)
        self._audit_if_finished(session, instance, actor, workflow)
        return None

    def _deliver_kept(self, claimed: Claimed) -> None:
        """Job: an instance began waiting for a message that was kept for it."""
        failure: tuple[int, ScriptFailed, dict[str, Any]] | None = None
        with self._tx() as session:
            row = messages.lock_kept(
                session, int(claimed.payload["message_id"]), self.now()
            )
            receiver = (
                messages.receiver(session, row.message_name, row.correlation_key)
                if row is not None
                else None
            )
            if row is not None and receiver is not None:
                error = self._deliver_into(session, receiver, row, SYSTEM, self.now())
                if error is not None:
                    failure = (receiver.instance_id, error, _retry(receiver, row))
                else:
                    jobs.resolve(session, messages.expiry_key(row.id))
            jobs.finish(session, claimed.id)
        if failure is not None:
            self._record_failure(failure[0], failure[1], actor=SYSTEM, retry=failure[2])


    def _expire_kept(self, claimed: Claimed) -> None:
        """Job: a kept message nobody came for in time; the audit trail says so."""
        now = self.now()
        with self._tx() as session:
            row = messages.expire(session, int(claimed.payload["message_id"]), now)
            if row is not None:
                audit.record(session, AuditType.MESSAGE_EXPIRED, actor=SYSTEM.username,
                             at=now, payload=_summary(row))
            jobs.finish(session, claimed.id)


def _retry(receiver: MessageSubscription, row: InboundMessage) -> dict[str, Any]:
    """How ``retry_instance`` replays a delivery whose next step failed."""
    return {
        "kind": "message",
        "task_id": receiver.task_id,
        "name": row.message_name,
        "data": row.payload,
    }


def _summary(row: InboundMessage) -> dict[str, Any]:
    return {
        "message_id": row.id,
        "name": row.message_name,
        "key": row.correlation_key,
        "state": row.state,
        "data": row.payload,
    }
