"""Read-only engine queries; every one checks what the actor may see."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine import (
    assignment,
    audit,
    deadline_config,
    definitions,
    diagramtext,
    identity,
    instances,
    instructiontext,
    runtime,
    visibility,
    worklist,
)
from engine._base import EngineBase, task_uuid
from engine.errors import NotAuthorized, NotFound
from engine.models import HumanTask, ProcessInstance, ProcessVersion
from engine.records import (
    Actor,
    AuditEntry,
    DiagramInfo,
    InstanceInfo,
    InstanceStatus,
    TaskDetail,
    TaskInfo,
    TaskState,
)
from engine.values import plain

class QueriesAPI(EngineBase):
    def inbox(self, actor: Actor, *, scope: str = "all", process_id: str | None = None,
              state: TaskState = TaskState.READY, overdue_only: bool = False,
              sort: str = "due_at", limit: int = 50, offset: int = 0,
              applicant: str | None = None) -> list[TaskInfo]:
        """Tasks for the actor: ``mine`` (assigned), ``group`` (unclaimed), or ``all``.

        Each task names who started its request (``started_by``, ``started_by_name``);
        ``applicant`` keeps the requests of starters whose user name or display name
        starts with it, and ``sort="applicant"`` orders by the starter's name.
        """
        with self._tx() as session:
            return worklist.inbox(session, actor, scope=scope, process_id=process_id,
                                  state=state.value, sort=sort, limit=limit, offset=offset,
                                  overdue_before=self.now() if overdue_only else None,
                                  applicant=applicant or None)

    def inbox_counts(self, actor: Actor) -> dict[str, int]:
        with self._tx() as session:
            return worklist.counts(session, actor)

    def get_task(self, task_id: UUID | str, *, actor: Actor) -> TaskDetail:
        """The task with the data, instructions and earlier decisions its step shows.

        A limited step (``engine/visibility.py``) shows only what it names, except to
        admins and auditors, and only to the person holding it once someone does.
        """
        uuid = task_uuid(task_id)
        with self._tx() as session:
            row = session.get(HumanTask, str(uuid))
            if row is None or not identity.can_view_task(actor, row):
                raise NotFound(f"no task {uuid}", kind="task")
            instance = instances.get(session, row.instance_id)
            _loaded, workflow = instances.open_workflow(session, instance,
                                                        self._script_engine)
            spiff = runtime.find_task(workflow, uuid) or instances.find_archived_task(
                session, instance, workflow, uuid)
            data = dict(spiff.data) if spiff is not None else runtime.data_of(workflow)
            data.pop("data_objects", None)
            extensions = getattr(spiff.task_spec, "extensions", {}) if spiff else {}
            rule = visibility.Rule.of(extensions.get("properties", {}))
            shown, history = _as_shown(rule, actor, row, data, tuple(audit.list_events(
                session, instance_id=instance.id, event_types=["task_completed"])))
            zone = deadline_config.of(session).zone
            text_en = extensions.get("properties", {}).get("instructions_en") or ""
            return TaskDetail(
                task=_task_info(session, row, instance), data=plain(shown),
                instructions=instructiontext.fill(
                    extensions.get("instructionsForEndUser") or "", data, lang="zh",
                    zone=zone),
                instructions_en=instructiontext.fill(text_en, data, lang="en", zone=zone)
                or None,
                instance_version=instance.row_version,
                instance_status=InstanceStatus(instance.status), history=history,
                limited=shown is not data, pooled=assignment.pooled_reason(session, row))

    def get_instance(self, instance_id: int, *, actor: Actor) -> InstanceInfo:
        """The instance; its data is left out for someone who takes part in it only
        through limited steps (``engine/visibility.py``)."""
        with self._tx() as session:
            row = self._visible_instance(session, instance_id, actor)
            _loaded, workflow = instances.open_workflow(session, row, self._script_engine)
            if _own_tasks_if_limited(session, row, actor) is not None:
                return instances.to_info(session, row, {})
            return instances.to_info(session, row, runtime.data_of(workflow))

    def list_instances(self, *, actor: Actor, process_id: str | None = None,
                       status: InstanceStatus | None = None, started_by: str | None = None,
                       limit: int = 50, offset: int = 0) -> list[InstanceInfo]:
        """Instances newest first; staff see only the ones they started."""
        if not (actor.is_admin or actor.is_auditor):
            if started_by not in (None, actor.username):
                raise NotAuthorized("staff may list only their own requests")
            started_by = actor.username
        query = select(ProcessInstance).order_by(ProcessInstance.id.desc())
        if process_id:
            query = query.where(ProcessInstance.process_id == process_id)
        if status is not None:
            query = query.where(ProcessInstance.status == status.value)
        if started_by:
            query = query.where(ProcessInstance.started_by == started_by)
        with self._tx() as session:
            rows = session.scalars(query.limit(max(1, min(limit, 500))).offset(offset))
            return [instances.to_info(session, r) for r in rows]

    def history(self, instance_id: int, *, actor: Actor, computed: bool = False
                ) -> list[AuditEntry]:
        """The audit events of one instance, oldest first.

        ``computed`` adds what the engine computed by itself (scripts, decisions); people
        reading "who did what" do not need those, auditors get them on the timeline.
        """
        with self._tx() as session:
            row = self._visible_instance(session, instance_id, actor)
            events = audit.list_events(session, instance_id=instance_id,
                                       exclude_types=() if computed else audit.COMPUTED_TYPES)
            own = _own_tasks_if_limited(session, row, actor)
            if own is None:
                return events
            return [e for e in events if e.task_id is not None and str(e.task_id) in own]

    def audit_log(self, *, actor: Actor, instance_id: int | None = None,
                  limit: int = 1000) -> list[AuditEntry]:
        """The whole trail (or one instance's) for admins and auditors."""
        identity.require_reader(actor)
        with self._tx() as session:
            return audit.list_events(session, instance_id=instance_id, limit=limit)

    def instance_diagram(self, instance_id: int, *, actor: Actor,
                         lang: str | None = None) -> DiagramInfo:
        """The BPMN an instance runs and which elements are done, active, waiting, failed.

        With ``lang``, lanes show their group's title and, in English, elements their
        ``name_en`` (``engine/diagramtext.py``); without it, the source as deployed.
        """
        with self._tx() as session:
            row = self._visible_instance(session, instance_id, actor)
            loaded, workflow = instances.open_workflow(session, row, self._script_engine)
            states = runtime.element_states(workflow)
            errored = (row.incident or {}).get("bpmn_id")
            xml = loaded.bpmn_xml
            if lang is not None:
                titles = {g.name: (g.title, g.title_en)
                          for g in identity.list_groups(session)}
                xml = diagramtext.labelled(row.process_version_id, xml, lang, titles)
            return DiagramInfo(
                instance_id=row.id, process_id=row.process_id, bpmn_xml=xml,
                completed=tuple(sorted(states["completed"])),
                active=tuple(sorted(states["active"])),
                waiting=tuple(sorted(states["waiting"])),
                errored=(errored,) if errored else ())

    def _visible_instance(self, session: Session, instance_id: int, actor: Actor
                          ) -> ProcessInstance:
        row = instances.get(session, instance_id)
        if actor.is_admin or actor.is_auditor or row.started_by == actor.username:
            return row
        involved = session.scalar(select(HumanTask.id).where(
            HumanTask.instance_id == instance_id,
            or_(HumanTask.assignee == actor.username, HumanTask.completed_by == actor.username,
                HumanTask.lane.in_(sorted(actor.groups)))).limit(1))
        if involved is None:
            raise NotFound(f"no instance {instance_id}")
        return row


def _as_shown(rule: visibility.Rule, actor: Actor, row: HumanTask, data: dict[str, Any],
              history: tuple[AuditEntry, ...]
              ) -> tuple[dict[str, Any], tuple[AuditEntry, ...]]:
    """The data and decisions ``actor`` reads on this task's page (``data`` itself
    when the step names no limit or the actor sees everything)."""
    if not rule.limited or visibility.sees_everything(actor):
        return data, history
    if actor.username not in (row.assignee, row.completed_by) and row.assignee is not None:
        # Another person's limited task: even a colleague of the lane may not read it.
        raise NotFound(f"no task {row.id}")
    return (visibility.pick(data, rule.data or ()),
            visibility.decisions(rule, rule.about_value(data), history))


def _own_tasks_if_limited(session: Session, row: ProcessInstance, actor: Actor
                          ) -> set[str] | None:
    """The ids of the tasks ``actor`` may read, when they take part in the instance only
    through limited steps (their own, and their lane's unheld ones); else None."""
    if visibility.sees_everything(actor) or row.started_by == actor.username:
        return None
    involved = list(session.scalars(select(HumanTask).where(
        HumanTask.instance_id == row.id,
        or_(HumanTask.assignee == actor.username, HumanTask.completed_by == actor.username,
            HumanTask.lane.in_(sorted(actor.groups))))))
    version = session.get(ProcessVersion, row.process_version_id)
    assert version is not None
    steps = runtime.step_properties(definitions.load_spec(session, version))
    rules = [visibility.Rule.of(steps.get(t.bpmn_id, {})) for t in involved]
    if not visibility.limited_viewer(actor, row.started_by, rules):
        return None
    return {t.id for t in involved
            if t.assignee in (None, actor.username) or t.completed_by == actor.username}


def _task_info(session: Session, row: HumanTask, instance: ProcessInstance) -> TaskInfo:
    version = session.get(ProcessVersion, instance.process_version_id)
    return worklist.to_info(row, version, instance.business_key,
                            worklist.starter(session, instance), status=instance.status)

