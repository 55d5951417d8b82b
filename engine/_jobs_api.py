"""Engine work that is not a person's click: firing due timers and retrying failures."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session
from SpiffWorkflow.util.task import TaskState as SpiffState

from engine import audit, definitions, identity, instances, runtime, schedules, timers
from engine._runtime_api import RuntimeAPI
from engine.audit import AuditType
from engine.errors import InstanceNotRunnable, ScriptFailed
from engine.models import HumanTask, StartTimer
from engine.records import SYSTEM, Actor, InstanceInfo, InstanceStatus, TaskState, TimerInfo

logger = logging.getLogger(__name__)


class JobsAPI(RuntimeAPI):
    def fire_due_timers(self, *, limit: int = 100) -> int:
        """Fire timers that are due, each instance in its own transaction.

        Returns:
            How many instances had timers fired. One failing instance is put in
            ``error`` and does not stop the others.
        """
        now = self.now()
        with self._tx() as session:
            due = timers.due_instance_ids(session, now, limit=limit)
            starts = [row.id for row in schedules.due_rows(session, now, limit=limit)]
        fired = sum(self._fire_start(start_id) for start_id in starts)
        for instance_id in due:
            try:
                fired += self._fire_instance(instance_id)
            except ScriptFailed as exc:
                self._record_failure(instance_id, exc, actor=SYSTEM,
                                     retry={"kind": "timers"})
            except Exception:  # the one allowed catch-all: log, record, go on
                logger.exception("timer of instance %s failed", instance_id)
        return fired

    def _fire_start(self, start_id: int) -> int:
        """Start one instance for a due timer start event, exactly once (row locked)."""
        now = self.now()
        failure: ScriptFailed | None = None
        with self._tx() as session:
            row = session.scalars(select(StartTimer).where(StartTimer.id == start_id)
                                  .with_for_update(skip_locked=True)).first()
            if row is None or row.due_at is None or row.due_at > now:
                return 0
            scheduled_for = row.due_at
            schedules.advance(row, now)
            version = definitions.get_process_version(session, row.process_id)
            _info, failure = self._start_in(
                session, version, {"scheduled_for": scheduled_for.isoformat()},
                actor=SYSTEM, business_key=f"{row.process_id}@{scheduled_for:%Y-%m-%d}")
        if failure is not None:
            self._record_failure(failure.instance_id or 0, failure, actor=SYSTEM,
                                 retry={"kind": "advance"})
        return 1

    def _fire_instance(self, instance_id: int) -> int:
        now = self.now()
        with self._tx() as session:
            row = instances.get(session, instance_id, lock=True)
            due = timers.due_rows(session, instance_id, now)
            if row.status != InstanceStatus.RUNNING.value or not due:
                return 0
            _loaded, workflow = instances.open_workflow(session, row, self._script_engine)
            runtime.fire_timers(workflow)
            for timer in due:
                audit.record(session, AuditType.TIMER_FIRED, actor=SYSTEM.username, at=now,
                             instance_id=instance_id, task_id=timer.task_id,
                             bpmn_id=timer.bpmn_id, payload={"due_at": timer.due_at,
                                                             "kind": timer.kind})
            instances.save(session, row, workflow, actor=SYSTEM, now=now)
            self._audit_if_finished(session, row, SYSTEM)
            return 1

    def retry_instance(self, instance_id: int, *, actor: Actor,
                       data: Mapping[str, Any] | None = None) -> InstanceInfo:
        """Run an errored instance again from its last good state (after a fix). Admin only.

        A failed task completion is replayed with the data that was submitted. ``data``
        corrects instance variables first (before and after are kept in the audit trail).
        Raises:
            InstanceNotRunnable: the instance is not in error.
            ScriptFailed: it failed again (the incident is updated).
        """
        identity.require_admin(actor)
        now = self.now()
        retry: dict[str, Any] = {}
        try:
            with self._tx() as session:
                row = instances.get(session, instance_id, lock=True)
                if row.status != InstanceStatus.ERROR.value or not row.incident:
                    raise InstanceNotRunnable(f"instance {instance_id} is not in error")
                retry = dict(row.incident.get("retry") or {"kind": "advance"})
                _loaded, workflow = instances.open_workflow(session, row, self._script_engine)
                correction = _correct(workflow, retry, data or {})
                self._replay(workflow, retry)
                row.status, row.incident = InstanceStatus.RUNNING.value, None
                audit.record(session, AuditType.INSTANCE_RETRIED, actor=actor.username,
                             at=now, instance_id=row.id, payload={"replayed": retry, "corrected": correction})
                if retry.get("kind") == "complete":
                    _close_replayed(session, retry, now)
                instances.save(session, row, workflow, actor=actor, now=now)
                self._audit_if_finished(session, row, actor)
                return instances.to_info(session, row, runtime.data_of(workflow))
        except ScriptFailed as exc:
            self._record_failure(instance_id, exc, actor=actor, retry=retry)
            raise

    def _replay(self, workflow: Any, retry: dict[str, Any]) -> None:
        kind = retry.get("kind")
        if kind == "complete":
            runtime.complete(workflow, UUID(retry["task_id"]), retry.get("data") or {})
        elif kind == "timers":
            runtime.fire_timers(workflow)
        else:
            runtime.advance(workflow)

    def list_timers(self, *, instance_id: int | None = None) -> list[TimerInfo]:
        with self._tx() as session:
            return timers.list_timers(session, instance_id)


def _correct(workflow: Any, retry: dict[str, Any], data: Mapping[str, Any]
             ) -> dict[str, Any]:
    """Apply corrected variables to the data the failed step will run with."""
    if not data:
        return {}
    targets = [t.data for t in workflow.get_tasks(state=SpiffState.READY)]
    if retry.get("kind") == "complete":
        targets.append(retry.setdefault("data", {}))
    before = {k: next((t[k] for t in targets if k in t), None) for k in data}
    for target in targets:
        target.update(dict(data))
    return {"before": before, "after": dict(data)}


def _close_replayed(session: Session, retry: dict[str, Any], now: Any) -> None:
    task = session.get(HumanTask, retry["task_id"])
    if task is not None:
        task.state = TaskState.COMPLETED.value
        task.completed_by = retry.get("actor")
        task.assignee = task.assignee or retry.get("actor")
        task.completed_at = now
        audit.record(session, AuditType.TASK_COMPLETED, actor=str(retry.get("actor")),
                     at=now, instance_id=task.instance_id, task_id=task.id,
                     bpmn_id=task.bpmn_id, payload={"data": retry.get("data") or {},
                                                    "replayed": True})
