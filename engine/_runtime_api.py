"""Engine commands that move instances: start, claim, assign, complete, cancel, retry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from sqlalchemy.orm import Session

from engine import (
    audit,
    definitions,
    identity,
    instancekeys,
    instances,
    runtime,
    steplog,
    store,
    timers,
    worklist,
)
from engine._base import EngineBase, data_digest, require_staff, task_uuid
from engine._definitions_api import may_start
from engine.audit import AuditType
from engine.errors import (
    InstanceNotRunnable,
    InvalidInput,
    NotAuthorized,
    NotFound,
    ScriptFailed,
    TaskNotReady,
)
from engine.models import HumanTask, ProcessInstance, ProcessVersion
from engine.records import Actor, InstanceInfo, InstanceStatus, TaskInfo, TaskState


class RuntimeAPI(EngineBase):
    def start_instance(self, process_id: str, data: Mapping[str, object], *, actor: Actor,
                       business_key: str | None = None, version: int | None = None
                       ) -> InstanceInfo:
        """Start an instance of the live (or a given) version and run to its first wait.

        Raises:
            NotFound: no such process or version.  NotAuthorized: not in the start lane.
            InvalidSubmission: data does not fit the start form.
            ScriptFailed: a script failed; the instance exists in state ``error``.
        """
        require_staff(actor)
        with self._tx() as session:
            version_row = definitions.get_process_version(session, process_id, version)
            if not may_start(actor, version_row):
                raise NotAuthorized(f"{actor.username} may not start {process_id}")
            clean, form_version = self._validate(session, version_row.start_form_key, data,
                                                 actor=actor.username, task=False)
            info, failure = self._start_in(session, version_row, clean, actor=actor,
                                           business_key=business_key,
                                           form_version=form_version)
        if failure is not None:
            # The instance and its start are committed in the pre-script state.
            self._record_failure(failure.instance_id or 0, failure, actor=actor,
                                 retry={"kind": "advance"})
            raise failure
        assert info is not None
        return info

    def _start_in(self, session: Session, version_row: ProcessVersion,
                  clean: dict[str, Any], *, actor: Actor, business_key: str | None,
                  form_version: str | None = None,
                  ) -> tuple[InstanceInfo | None, ScriptFailed | None]:
        """Create and run an instance inside the caller's transaction.

        ``form_version`` is the version of the start form ``clean`` was validated on
        (None when no form was filled in): recorded, so the start's data can later be
        labelled from the very form it was entered on, as a task's can.
        """
        now = self.now()
        loaded = definitions.load_spec(session, version_row)
        workflow = runtime.new_workflow(loaded, self._script_engine)
        runtime.prepare(workflow, clean)
        steplog.begin(workflow, new=True)
        row = ProcessInstance(
            process_version_id=version_row.id, process_id=version_row.process_id,
            business_key=_key(business_key), status=InstanceStatus.RUNNING.value,
            started_by=actor.username, started_at=now, state=store.dump(workflow),
            serializer_version=store.SERIALIZER_VERSION)
        session.add(row)
        session.flush()
        timers.note_loaded(session, row.id, None)  # a new instance has no timer rows
        worklist.remember_open(session, row.id, [])  # nor inbox rows
        failure: ScriptFailed | None = None
        try:
            runtime.advance(workflow)
        except ScriptFailed as exc:
            exc.instance_id = row.id
            failure = exc
        else:
            key = instancekeys.key_of(loaded.one_instance_per, runtime.data_of(workflow))
            if loaded.one_instance_per and key is not None:
                instancekeys.claim(session, row.process_id, loaded.one_instance_per, key,
                                   row)
        started: dict[str, Any] = {"process_id": version_row.process_id,
                                   "version": version_row.version,
                                   "business_key": row.business_key, "data": clean,
                                   "data_sha256": data_digest(clean)}
        if form_version is not None:
            started.update(form_key=version_row.start_form_key, form_version=form_version)
        audit.record(session, AuditType.INSTANCE_STARTED, actor=actor.username, at=now,
                     instance_id=row.id, payload=started)
        if failure is not None:
            return None, failure
        instances.save(session, row, workflow, actor=actor, now=now)
        self._audit_if_finished(session, row, actor, workflow)
        return instances.to_info(session, row, runtime.data_of(workflow)), None

    def claim_task(self, task_id: UUID | str, *, actor: Actor) -> TaskInfo:
        """Take an unassigned task of one of the actor's groups."""
        return self._change_task(task_id, actor, _claim, AuditType.TASK_CLAIMED)

    def unclaim_task(self, task_id: UUID | str, *, actor: Actor) -> TaskInfo:
        """Give a claimed task back to its group (the assignee or an admin)."""
        return self._change_task(task_id, actor, _unclaim, AuditType.TASK_UNCLAIMED)

    def assign_task(self, task_id: UUID | str, assignee: str, *, actor: Actor) -> TaskInfo:
        """Assign a task to a user of its lane group (admins and managers)."""
        if not identity.can_assign(actor):
            raise NotAuthorized(f"{actor.username} may not reassign tasks")

        def change(session: Session, row: HumanTask, who: Actor) -> dict[str, Any]:
            target = identity.to_info(session, identity.get_user(session, assignee))
            identity.require_task_taker(target)
            if row.lane is not None and row.lane not in target.groups:
                raise InvalidInput(f"{assignee} is not in group {row.lane}",
                                   field="assignee", value=assignee, rule="not_in_group")
            previous, row.assignee = row.assignee, assignee
            return {"from": previous, "to": assignee}

        return self._change_task(task_id, actor, change, AuditType.TASK_ASSIGNED)

    def _change_task(self, task_id: UUID | str, actor: Actor, change: Any,
                     event: AuditType) -> TaskInfo:
        require_staff(actor)
        uuid = task_uuid(task_id)
        with self._tx() as session:
            row = _open_task(session, uuid)
            payload = change(session, row, actor)
            audit.record(session, event, actor=actor.username, at=self.now(),
                         instance_id=row.instance_id, task_id=row.id, bpmn_id=row.bpmn_id,
                         payload={**worklist.titles(row), **payload})
            return _task_info(session, row)

    def complete_task(self, task_id: UUID | str, data: Mapping[str, object], *,
                      actor: Actor, expected_version: int | None = None) -> InstanceInfo:
        """Validate data against the task's form, complete it and run to the next wait.

        Raises:
            NotFound, NotAuthorized, TaskNotReady (already completed or cancelled),
            InvalidSubmission (form errors per field), ConcurrentUpdate (lost a race),
            InstanceNotRunnable, ScriptFailed (instance now in error, data kept for retry).
        """
        require_staff(actor)
        uuid = task_uuid(task_id)
        now = self.now()
        clean: dict[str, Any] = {}
        instance_id, about = 0, None
        try:
            with self._tx() as session:
                # The task is read with (SQLite) or after (PostgreSQL) the instance lock,
                # so a racer sees the winner's commit and is told TaskNotReady.
                row, task, active = instances.get_for_task(session, uuid,
                                                           actor=actor.username)
                instance_id = row.id
                _require_ready(task)
                if active is False:
                    raise NotAuthorized(f"{actor.username} is deactivated and may not "
                                        "complete tasks")
                if not identity.can_work_on(actor, task):
                    raise NotAuthorized(f"{actor.username} may not complete this task")
                # A suspension also moves the version: say why first, then that the
                # page was stale (only a running request's version can be stale).
                instances.require_running(row)
                instances.require_version(row, expected_version)
                loaded, workflow = instances.open_workflow(session, row, self._script_engine)
                clean, form_version = self._validate(
                    session, task.form_key, data, actor=actor.username,
                    earlier=runtime.task_data(workflow, uuid))
                about = runtime.about(workflow, uuid)  # read before the task moves on
                steplog.submitted(runtime.complete(workflow, uuid, clean), clean)
                worklist.close(session, task, by=actor.username, now=now)
                audit.record(session, AuditType.TASK_COMPLETED, actor=actor.username, at=now,
                             instance_id=row.id, task_id=task.id, bpmn_id=task.bpmn_id,
                             payload={**worklist.titles(task), "data": clean,
                                      "form_key": task.form_key,
                                      "form_version": form_version,
                                      "data_sha256": data_digest(clean),
                                      **({"about": about} if about else {})})
                instances.save(session, row, workflow, actor=actor, now=now)
                self._audit_if_finished(session, row, actor, workflow)
                return instances.to_info(session, row, runtime.data_of(workflow))
        except ScriptFailed as exc:
            retry = {"kind": "complete", "task_id": str(uuid), "data": clean,
                     "actor": actor.username, **({"about": about} if about else {})}
            self._record_failure(instance_id, exc, actor=actor, retry=retry)
            raise

    def cancel_instance(self, instance_id: int, *, reason: str, actor: Actor) -> InstanceInfo:
        """Stop an instance for good, closing its tasks and timers. Admin only."""
        identity.require_admin(actor)
        if not reason.strip():
            raise InvalidInput("a reason is required to cancel an instance",
                               field="reason", rule="required")
        now = self.now()
        with self._tx() as session:
            row = instances.get(session, instance_id, lock=True)
            if row.status in (InstanceStatus.COMPLETED.value, InstanceStatus.CANCELLED.value):
                raise InstanceNotRunnable(f"instance {instance_id} is already {row.status}",
                                          instance_id=instance_id, status=row.status,
                                          action="cancel")
            _loaded, workflow = instances.open_workflow(session, row, self._script_engine)
            workflow.cancel()
            row.status, row.ended_at = InstanceStatus.CANCELLED.value, now
            instances.save(session, row, workflow, actor=actor, now=now)
            audit.record(session, AuditType.INSTANCE_CANCELLED, actor=actor.username, at=now,
                         instance_id=row.id, payload={"reason": reason})
            return instances.to_info(session, row, runtime.data_of(workflow))


def _key(business_key: str | None) -> str | None:
    if business_key is None:
        return None
    key = business_key.strip()
    if not key or len(key) > 128:
        raise InvalidInput("business key must be 1 to 128 characters")
    return key


def _open_task(session: Session, task_id: UUID) -> HumanTask:
    row = session.get(HumanTask, str(task_id), populate_existing=True)
    if row is None:
        raise NotFound(f"no task {task_id}", kind="task")
    _require_ready(row)
    return row


def _require_ready(row: HumanTask) -> None:
    if row.state != TaskState.READY.value:
        by = f" by {row.completed_by}" if row.completed_by else ""
        raise TaskNotReady(f"this task was already {row.state}{by}", state=row.state,
                           completed_by=row.completed_by)


def _claim(session: Session, row: HumanTask, actor: Actor) -> dict[str, Any]:
    if row.assignee == actor.username:
        return {"already": True}
    if row.assignee is not None:
        raise TaskNotReady(f"this task was already claimed by {row.assignee}",
                           state=row.state, assignee=row.assignee)
    if not (row.lane in actor.groups or (row.lane is None and actor.is_admin)):
        raise NotAuthorized(f"{actor.username} is not in group {row.lane}")
    identity.require_active(session, actor)
    instance = session.get(ProcessInstance, row.instance_id)
    if instance is not None and instance.status != InstanceStatus.RUNNING.value:
        raise InstanceNotRunnable(
            f"instance {instance.id} is {instance.status}: its tasks cannot be claimed"
            " until it runs again", instance_id=instance.id, status=instance.status,
            action="claim")
    row.assignee = actor.username
    return {}


def _unclaim(session: Session, row: HumanTask, actor: Actor) -> dict[str, Any]:
    if row.assignee is None:
        raise TaskNotReady("this task is not claimed", state=row.state)
    if row.assignee != actor.username and not actor.is_admin:
        raise NotAuthorized(f"only {row.assignee} or an admin may release this task")
    previous, row.assignee = row.assignee, None
    return {"from": previous}


def _task_info(session: Session, row: HumanTask) -> TaskInfo:
    instance = session.get(ProcessInstance, row.instance_id)
    assert instance is not None
    version = session.get(ProcessVersion, instance.process_version_id)
    return worklist.to_info(row, version, instance.business_key,
                            worklist.starter(session, instance), status=instance.status)
