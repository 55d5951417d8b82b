"""The ``human_task`` projection of READY user/manual tasks, and inbox queries.

Never commits. The projection is refreshed in the same transaction as the workflow state,
so the inbox can never show a task the instance no longer waits for.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from engine import (
    assignment,
    audit,
    corewrites,
    deadline_config,
    instructiontext,
    notifications,
    outbox,
    sla,
)
from engine.audit import AuditType
from engine.errors import InvalidInput
from engine.models import AppUser, HumanTask, ProcessInstance, ProcessVersion
from engine.records import Actor, InstanceStatus, TaskInfo, TaskState
from engine.runtime import boundary_timers_due, ready_human_tasks

SORTS = {"due_at", "created_at", "priority", "applicant"}
SCOPES = {"mine", "group", "all"}
_OPEN = "signoff.open_task_rows"  # session.info: instance id -> rows (remember_open)


def spec_titles(task_spec: Any) -> dict[str, str | None]:
    """An element's names as people read them: its BPMN name (else id) and ``name_en``."""
    props: dict[str, str] = (getattr(task_spec, "extensions", None) or {}).get("properties", {})
    return {"title": task_spec.bpmn_name or task_spec.bpmn_id, "title_en": props.get("name_en")}


def task_meta(task_spec: Any) -> dict[str, Any]:
    """Names, lane, form and scheduling facts of a human task spec."""
    props: dict[str, str] = (getattr(task_spec, "extensions", None) or {}).get("properties", {})
    filename = props.get("formJsonSchemaFilename")
    try:  # the deploy refuses a bad priority; one deployed before that check is 0
        priority = int(props.get("priority", "0"))
    except ValueError:
        priority = 0
    return {
        "bpmn_id": task_spec.bpmn_id,
        **spec_titles(task_spec),
        "lane": task_spec.lane,
        "form_key": filename[:-5] if filename and filename.endswith(".json") else filename,
        "priority": priority,
        "due_in": props.get("dueIn"),
        "due_in_variable": props.get("dueInVariable"),
        "due_in_working_days": props.get("dueInWorkingDays"),
        "due_by": props.get("dueBy"),
        "remind_before": props.get("remindBefore"),
        "escalation": props.get("escalation"),
        "sms_outbox": props.get("smsOutbox"),
        "assign_to": props.get("assignTo"),
        "assign_to_variable": props.get("assignToVariable"),
        "subject": props.get("subject"),
    }


SUBJECT_LIMIT = 200


def subject_of(meta: dict[str, Any], data: dict[str, Any], zone: Any) -> str | None:
    """The task's ``subject`` property filled from its data (None without one).

    Filled like instructions (engine/instructiontext.py); a placeholder that does not
    resolve leaves the text as written, and the result is cut to the column's size.
    """
    template = meta["subject"]
    if not template:
        return None
    text = " ".join(instructiontext.fill(template, data, lang="zh", zone=zone).split())
    return text[:SUBJECT_LIMIT] or None


def remember_open(session: Session, instance_id: int, rows: list[HumanTask]) -> None:
    """Hand ``sync`` the instance's open rows, as read under its lock."""
    session.info.setdefault(_OPEN, {})[instance_id] = rows


def _open_rows(session: Session, instance_id: int) -> list[HumanTask]:
    """Open rows as remembered at the locked read (once), or as the database has them.

    Rows this unit of work closed since are ORM rows of the session, so their state is
    current; only ``sync`` adds rows, and it forgets what it was handed.
    """
    remembered = session.info.get(_OPEN, {}).pop(instance_id, None)
    if remembered is not None:
        return [r for r in remembered if r.state == TaskState.READY.value]
    return list(session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance_id,
        HumanTask.state == TaskState.READY.value)))


def sync(session: Session, instance: ProcessInstance, workflow: Any, *, actor: str,
         now: datetime) -> list[HumanTask]:
    """Insert rows for new READY human tasks and cancel rows the workflow left behind."""
    ready = {task.id: task for task in ready_human_tasks(workflow)}
    open_rows = {UUID(r.id): r for r in _open_rows(session, instance.id)}
    for task_id, row in open_rows.items():
        if task_id not in ready:
            corewrites.update_row(session, row, state=TaskState.CANCELLED.value,
                                  completed_at=now)
            audit.record(session, AuditType.TASK_CANCELLED, actor=actor, at=now,
                         instance_id=instance.id, task_id=row.id, bpmn_id=row.bpmn_id)
    config = deadline_config.of(session)
    new = [(task, task_meta(task.task_spec)) for task_id, task in ready.items()
           if task_id not in open_rows]
    guards = {task.id: boundary_timers_due(task) for task, _meta in new}
    holders = {task.id: assignment.first_holder(session, meta, instance, task.data)
               for task, meta in new}
    created = [HumanTask(
        id=str(task.id), instance_id=instance.id, process_id=instance.process_id,
        bpmn_id=meta["bpmn_id"], title=meta["title"], title_en=meta["title_en"],
        subject=subject_of(meta, task.data, config.zone), lane=meta["lane"], form_key=meta["form_key"],
        assignee=holders[task.id].assignee,
        state=TaskState.READY.value, created_at=now, priority=meta["priority"],
        due_at=sla.due_at(meta, task.data, now, guards[task.id][1], config),
        completed_by=None, completed_at=None) for task, meta in new]
    # The rows go in before what refers to them (notices, jobs) on any database.
    corewrites.insert_rows(session, created)
    for row, (task, meta) in zip(created, new, strict=True):
        audit.record(session, AuditType.TASK_CREATED, actor=actor, at=now,
                     instance_id=instance.id, task_id=row.id, bpmn_id=row.bpmn_id,
                     payload={**titles(row), "lane": row.lane, "due_at": row.due_at,
                              **({"subject": row.subject} if row.subject else {}),
                              **({"assignee": row.assignee} if row.assignee else {}),
                              **_pooled(holders[task.id])})
        sla.schedule(session, row, meta, guarded_by_timer=guards[task.id][0],
                     now=now, config=config)
        notifications.task_created(session, row, now=now, config=config)
        if meta["sms_outbox"]:
            outbox.queue_sms_list(session, task.data.get(meta["sms_outbox"]),
                                  instance_id=instance.id, bpmn_id=row.bpmn_id, now=now,
                                  config=config)
    return created


def _pooled(holder: assignment.Holder) -> dict[str, Any]:
    """Why the task's data named someone who did not get it (for the audit trail)."""
    return {"pooled": holder.pooled} if holder.pooled else {}


def close(session: Session, row: HumanTask, *, by: str, now: datetime) -> None:
    """Mark an inbox row completed by ``by`` (its assignee stays, else becomes ``by``)."""
    corewrites.update_row(session, row, state=TaskState.COMPLETED.value,
                          assignee=row.assignee or by, completed_by=by, completed_at=now)


def titles(row: HumanTask) -> dict[str, str | None]:
    """The task's names as the audit trail shows them, so history reads in both languages."""
    return {"title": row.title, "title_en": row.title_en}


Starter = tuple[str, str | None]  # user name, display name (None: no such user)


def starter(session: Session, instance: ProcessInstance) -> Starter:
    """Who started ``instance``, with their display name, for a single task's record."""
    name = session.scalar(select(AppUser.display_name).where(
        AppUser.username == instance.started_by))
    return instance.started_by, name


def to_info(row: HumanTask, version: ProcessVersion | None,
            business_key: str | None, started: Starter | None = None, *,
            status: str) -> TaskInfo:
    """The task as callers see it; ``status`` is its instance's."""
    by, by_name = started or (None, None)
    return TaskInfo(
        id=UUID(row.id), instance_id=row.instance_id, process_id=row.process_id,
        process_name=version.name if version else row.process_id,
        process_name_en=version.name_en if version else None,
        bpmn_id=row.bpmn_id, title=row.title, title_en=row.title_en, lane=row.lane,
        form_key=row.form_key, assignee=row.assignee, state=TaskState(row.state),
        created_at=row.created_at, due_at=row.due_at, priority=row.priority,
        business_key=business_key, completed_by=row.completed_by,
        completed_at=row.completed_at, subject=row.subject, started_by=by,
        started_by_name=by_name, instance_status=InstanceStatus(status))


def _visible(actor: Actor, scope: str) -> Any:
    mine = HumanTask.assignee == actor.username
    groups = and_(HumanTask.assignee.is_(None), HumanTask.lane.in_(sorted(actor.groups)))
    unlaned = and_(HumanTask.assignee.is_(None), HumanTask.lane.is_(None))
    if scope == "mine":
        return mine
    if scope == "group":
        return or_(groups, unlaned) if actor.is_admin else groups
    return or_(mine, groups, unlaned) if actor.is_admin else or_(mine, groups)


def inbox_query(actor: Actor, *, scope: str, process_id: str | None, state: str,
                overdue_before: datetime | None, sort: str, applicant: str | None = None
                ) -> Select[HumanTask, ProcessVersion, str | None, str, str | None, str]:
    """One SELECT for a page of the inbox, each task with its instance's starter and status.

    ``applicant`` keeps the requests of starters whose user name or display name
    starts with it ("zhao", "赵"). Open tasks of a suspended or errored request are
    listed after those that can be worked on: the work exists, but waits.
    """
    if scope not in SCOPES:
        raise InvalidInput(f"scope must be one of {', '.join(sorted(SCOPES))}")
    if sort not in SORTS:
        raise InvalidInput(f"sort must be one of {', '.join(sorted(SORTS))}")
    query = (select(HumanTask, ProcessVersion, ProcessInstance.business_key,
                    ProcessInstance.started_by, AppUser.display_name,
                    ProcessInstance.status)
             .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
             .join(ProcessVersion, ProcessVersion.id == ProcessInstance.process_version_id)
             .outerjoin(AppUser, AppUser.username == ProcessInstance.started_by)
             .where(HumanTask.state == state, _visible(actor, scope)))
    if process_id:
        query = query.where(HumanTask.process_id == process_id)
    if overdue_before is not None:
        query = query.where(HumanTask.due_at < overdue_before)
    if applicant:
        query = query.where(or_(
            ProcessInstance.started_by == applicant,
            AppUser.username.startswith(applicant.lower(), autoescape=True),
            AppUser.display_name.istartswith(applicant, autoescape=True)))
    applicant_name = func.coalesce(AppUser.display_name, ProcessInstance.started_by)
    order = {"due_at": (HumanTask.due_at.is_(None), HumanTask.due_at),
             "created_at": (HumanTask.created_at.desc(),),
             "priority": (HumanTask.priority.desc(), HumanTask.created_at),
             "applicant": (applicant_name, HumanTask.created_at)}[sort]
    # Open tasks that wait for an administrator (false sorts before true) go last.
    waits = ([ProcessInstance.status != InstanceStatus.RUNNING.value]
             if state == TaskState.READY.value else [])
    return query.order_by(*waits, *order, HumanTask.id)


def inbox(session: Session, actor: Actor, *, scope: str, process_id: str | None,
          state: str, overdue_before: datetime | None, sort: str, limit: int,
          offset: int, applicant: str | None = None) -> list[TaskInfo]:
    query = inbox_query(actor, scope=scope, process_id=process_id, state=state,
                        overdue_before=overdue_before, sort=sort, applicant=applicant)
    rows = session.execute(query.limit(max(1, min(limit, 500))).offset(max(0, offset)))
    return [to_info(task, version, key, (by, by_name), status=status)
            for task, version, key, by, by_name, status in rows]


def counts(session: Session, actor: Actor) -> dict[str, int]:
    result = {}
    for scope in ("mine", "group"):
        query = select(func.count()).select_from(HumanTask).where(
            HumanTask.state == TaskState.READY.value, _visible(actor, scope))
        result[scope] = int(session.scalar(query) or 0)
    return result


def rows_for(session: Session, instance_ids: Iterable[int]) -> list[HumanTask]:
    ids = list(instance_ids)
    if not ids:
        return []
    return list(session.scalars(select(HumanTask).where(
        HumanTask.instance_id.in_(ids), HumanTask.state == TaskState.READY.value)))
