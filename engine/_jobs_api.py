"""Engine work that is not a person's click: firing due timers and retrying failures."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from sqlalchemy.orm import Session
from SpiffWorkflow.util.task import TaskState as SpiffState

from engine import (
    audit,
    deadline_config,
    definitions,
    identity,
    instancekeys,
    instances,
    jobs,
    messages,
    runtime,
    schedules,
    steplog,
    timers,
    worklist,
)
from engine._runtime_api import RuntimeAPI
from engine.audit import AuditType
from engine.errors import InstanceNotRunnable, ScriptFailed
from engine.models import HumanTask
from engine.records import SYSTEM, Actor, InstanceInfo, InstanceStatus, TimerInfo

logger = logging.getLogger(__name__)


class JobsAPI(RuntimeAPI):
    def fire_due_timers(self, *, limit: int = 100) -> int:
        """Fire timers that are due, each instance in its own transaction.

        Any number of workers may call this at once: each due instance (and each due
        timer start) is claimed by exactly one of them (``FOR UPDATE SKIP LOCKED``).

        Returns:
            How many instances had timers fired or were started by a timer. A failing
            instance is put in ``error`` (script) or retried later with back-off
            (anything else) and does not stop the others.
        """
        fired = 0
        for _ in range(limit):
            if not self.fire_start_timer(None):
                break
            fired += 1
        for _ in range(limit):
            outcome = self._fire_guarded(None)
            if outcome is None:
                break
            fired += outcome
        return fired

    def fire_instance_timers(self, instance_id: int) -> int:
        """Fire the due timers of one instance (a dispatched worker's entry point)."""
        return self._fire_guarded(instance_id) or 0

    def fire_start_timer(self, start_id: int | None) -> bool:
        """Start one instance for a due timer start event (the next or the given one)."""
        now = self.now()
        failure: ScriptFailed | None = None
        with self._tx() as session:
            row = schedules.claim(session, now, start_id=start_id)
            if row is None or row.due_at is None:
                return False
            scheduled_for = row.due_at
            schedules.advance(row, now)
            version = definitions.get_process_version(session, row.process_id)
            try:
                with session.begin_nested():  # a refused start keeps the schedule moved
                    _info, failure = self._start_in(
                        session, version, {"scheduled_for": scheduled_for.isoformat()},
                        actor=SYSTEM,
                        business_key=f"{row.process_id}@{scheduled_for:%Y-%m-%d}")
            except instancekeys.DuplicateInstance as exc:
                # Someone started this period by hand already: one instance is enough.
                logger.warning("timer start of %s at %s skipped: %s", row.process_id,
                               scheduled_for.isoformat(), exc)
        if failure is not None:
            self._record_failure(failure.instance_id or 0, failure, actor=SYSTEM,
                                 retry={"kind": "advance"})
        return True

    def _fire_guarded(self, instance_id: int | None) -> int | None:
        """Fire one instance; None when nothing was due. Failures are recorded here."""
        claimed: list[int] = []
        try:
            return self._fire_timers(instance_id, claimed)
        except ScriptFailed as exc:
            self._record_failure(claimed[0], exc, actor=SYSTEM,
                                 retry={"kind": "timers"})
            return 0
        except Exception as exc:  # the one allowed catch-all: log, record, go on
            if not claimed:
                raise
            logger.exception("timers of instance %s failed; retrying later", claimed[0])
            self._retry_timers_later(claimed[0], exc)
            return 0

    def _fire_timers(self, instance_id: int | None, claimed: list[int]) -> int | None:
        """Claim an instance with due timers and fire them, in one transaction."""
        now = self.now()
        with self._tx() as session:
            row = timers.claim(session, now, instance_id=instance_id)
            if row is None:
                return None
            claimed.append(row.id)
            due = timers.due_rows(session, row.id, now)
            _loaded, workflow = instances.open_workflow(session, row, self._script_engine)
            runtime.fire_timers(workflow)
            for timer in due:
                audit.record(session, AuditType.TIMER_FIRED, actor=SYSTEM.username, at=now,
                             instance_id=row.id, task_id=timer.task_id,
                             bpmn_id=timer.bpmn_id, payload={"due_at": timer.due_at,
                                                             "kind": timer.kind})
            instances.save(session, row, workflow, actor=SYSTEM, now=now)
            self._audit_if_finished(session, row, SYSTEM, workflow)
            return 1

    def _retry_timers_later(self, instance_id: int, error: BaseException) -> None:
        """Hand the instance to a retry job: back-off, and an incident after N tries."""
        now = self.now()
        with self._tx() as session:
            config = deadline_config.of(session)
            delay = jobs.backoff(1, base=config.backoff_base, cap=config.backoff_cap)
            jobs.enqueue(session, timers.RETRY, run_at=now + delay, now=now,
                         key=timers.retry_key(instance_id), instance_id=instance_id,
                         payload={"instance_id": instance_id, "error": repr(error)},
                         max_attempts=config.job_max_attempts, attempts=1)
            audit.record(session, AuditType.TIMER_FAILED, actor=SYSTEM.username, at=now,
                         instance_id=instance_id, payload={"error": repr(error)[:2000],
                                                           "retry_at": now + delay})

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
                    raise InstanceNotRunnable(f"instance {instance_id} is not in error",
                                              instance_id=instance_id, status=row.status,
                                              action="retry")
                retry = dict(row.incident.get("retry") or {"kind": "advance"})
                _loaded, workflow = instances.open_workflow(session, row, self._script_engine)
                correction = _correct(workflow, retry, data or {})
                self._replay(workflow, retry)
                row.status, row.incident = InstanceStatus.RUNNING.value, None
                audit.record(session, AuditType.INSTANCE_RETRIED, actor=actor.username,
                             at=now, instance_id=row.id, payload={"replayed": retry, "corrected": correction})
                if retry.get("kind") == "complete":
                    _close_replayed(session, retry, now)
                jobs.resolve(session, timers.retry_key(row.id))
                instances.save(session, row, workflow, actor=actor, now=now)
                self._audit_if_finished(session, row, actor, workflow)
                return instances.to_info(session, row, runtime.data_of(workflow))
        except ScriptFailed as exc:
            self._record_failure(instance_id, exc, actor=actor, retry=retry)
            raise

    def _replay(self, workflow: Any, retry: dict[str, Any]) -> None:
        kind = retry.get("kind")
        if kind == "complete":
            data = retry.get("data") or {}
            steplog.submitted(runtime.complete(workflow, UUID(retry["task_id"]), data), data)
        elif kind == "timers":
            runtime.fire_timers(workflow)
        elif kind == "message":
            messages.catch(workflow, str(retry["task_id"]), str(retry["name"]),
                           retry.get("data") or {})
            runtime.advance(workflow)
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
    if retry.get("kind") == "message":
        # The catch event still waits and re-reads its parent's data when it catches,
        # so the corrections travel with the message, which is merged in last.
        waiting = runtime.find_task(workflow, UUID(str(retry["task_id"])))
        targets += [*([waiting.data] if waiting is not None else []),
                    retry.setdefault("data", {})]
    before = {k: next((t[k] for t in targets if k in t), None) for k in data}
    for target in targets:
        target.update(dict(data))
    return {"before": before, "after": dict(data)}


def _about(retry: Mapping[str, Any]) -> dict[str, Any]:
    """The record the replayed task was about, as its failed completion read it."""
    return {"about": retry["about"]} if retry.get("about") else {}


def _close_replayed(session: Session, retry: dict[str, Any], now: Any) -> None:
    task = session.get(HumanTask, retry["task_id"])
    if task is not None:
        who = str(retry.get("actor") or SYSTEM.username)
        worklist.close(session, task, by=who, now=now)
        audit.record(session, AuditType.TASK_COMPLETED, actor=who,
                     at=now, instance_id=task.instance_id, task_id=task.id,
                     bpmn_id=task.bpmn_id, payload={**worklist.titles(task),
                                                    "data": retry.get("data") or {},
                                                    "replayed": True,
                                                    **_about(retry)})
