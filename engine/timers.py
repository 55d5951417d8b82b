"""Timer rows with their due time, kept in step with each saved instance. Never commits.

A worker asks for due rows by the indexed ``due_at`` and loads only those instances,
so nothing polls or deserializes instances that are not due. A worker claims an instance
by locking its row with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL) and fires it in that
same transaction: a worker killed mid-way rolls back, and the timer is still there.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from engine.models import Job, ProcessInstance, Timer
from engine.records import InstanceStatus, TimerInfo
from engine.runtime import waiting_timers


# session.info: instances this unit of work knows to have no timer rows, so that
# ``sync`` of an instance waiting for no timer, before or after a step, reads nothing.
_NONE = "signoff.instances_without_timers"


def _wanted(workflow: Any, *, finished: bool) -> dict[str, tuple[Any, datetime]]:
    # A cycle timer whose last cycle has fired stays in Spiff's event index until the
    # next step; it has nothing left to fire, so it gets no row (and no wake-up).
    return {} if finished else {
        str(task.id): (task, due) for task, due in waiting_timers(workflow)
        if due is not None and not task.internal_data.get("event_fired")
    }


def note_loaded(session: Session, instance_id: int, workflow: Any | None) -> None:
    """Remember whether an instance just loaded (or created: None) has timer rows.

    Every save syncs the rows with the workflow it saves, so the workflow as loaded
    says which rows exist.
    """
    known = session.info.setdefault(_NONE, set())
    if workflow is None or not _wanted(workflow, finished=False):
        known.add(instance_id)
    else:
        known.discard(instance_id)


def sync(session: Session, instance_id: int, workflow: Any, *, finished: bool) -> None:
    """Replace the instance's timer rows with the timers it waits for now."""
    wanted = _wanted(workflow, finished=finished)
    known: set[int] = session.info.setdefault(_NONE, set())
    if not wanted and instance_id in known:
        return
    known.discard(instance_id)
    _replace(session, instance_id, wanted)
    if not wanted:
        known.add(instance_id)


def _replace(session: Session, instance_id: int,
             wanted: dict[str, tuple[Any, datetime]]) -> None:
    existing = {r.task_id: r for r in session.scalars(
        select(Timer).where(Timer.instance_id == instance_id))}
    for task_id, row in existing.items():
        if task_id not in wanted:
            session.delete(row)
        elif wanted[task_id][1] != row.due_at:
            row.due_at = wanted[task_id][1]
    for task_id, (task, due) in wanted.items():
        if task_id not in existing:
            session.add(Timer(instance_id=instance_id, task_id=task_id,
                              bpmn_id=task.task_spec.bpmn_id or task.task_spec.name,
                              kind=_kind(task), due_at=due))


def _kind(task: Any) -> str:
    parent = task.parent.task_spec if task.parent is not None else None
    if parent is not None and type(parent).__name__ == "BoundaryEventSplit":
        return "boundary"
    return "intermediate"


# Firing an instance whose timers failed for no modelled reason is retried by this job,
# with back-off; while it is pending the instance is left to it.
RETRY = "fire_timers"


def retry_key(instance_id: int) -> str:
    return f"{RETRY}:{instance_id}"


def _retrying() -> Any:
    return exists().where(Job.instance_id == Timer.instance_id, Job.kind == RETRY)


# How many of the oldest due timers a claim looks at. Claims skip rows other workers
# hold, so this only has to exceed the number of workers running at once; it keeps each
# claim an index range scan however many timers are due.
CLAIM_WINDOW = 100


def claim(session: Session, now: datetime, *, instance_id: int | None = None
          ) -> ProcessInstance | None:
    """Lock a running instance with a due timer: the next one, or the given one.

    Rows other workers hold are skipped, not waited for. Without ``instance_id`` an
    instance whose retry job exists is left to that job.
    """
    # Strictly before ``now``: SpiffWorkflow fires a timer once its time has passed.
    due = select(Timer.instance_id, Timer.due_at).where(Timer.due_at < now)
    if instance_id is None:
        due = due.where(~_retrying())
    else:
        due = due.where(Timer.instance_id == instance_id)
    window = due.order_by(Timer.due_at).limit(CLAIM_WINDOW).subquery()
    query = (select(ProcessInstance)
             .join(window, window.c.instance_id == ProcessInstance.id)
             .where(ProcessInstance.status == InstanceStatus.RUNNING.value)
             .order_by(window.c.due_at).limit(1)
             .with_for_update(of=ProcessInstance, skip_locked=True))
    return session.scalars(query).first()


def due_instance_ids(session: Session, now: datetime, *, limit: int) -> list[int]:
    """Running instances with at least one due timer, oldest due first (no locks)."""
    query = (select(Timer.instance_id, Timer.due_at)
             .join(ProcessInstance, ProcessInstance.id == Timer.instance_id)
             .where(Timer.due_at < now,
                    ProcessInstance.status == InstanceStatus.RUNNING.value,
                    ~_retrying())
             .order_by(Timer.due_at).limit(limit * 4))
    seen: list[int] = []
    for instance_id, _due in session.execute(query):
        if instance_id not in seen:
            seen.append(instance_id)
        if len(seen) >= limit:
            break
    return seen


def due_rows(session: Session, instance_id: int, now: datetime) -> Sequence[Timer]:
    query = select(Timer).where(Timer.instance_id == instance_id, Timer.due_at < now)
    return list(session.scalars(query))


def clear(session: Session, instance_id: int) -> None:
    session.execute(delete(Timer).where(Timer.instance_id == instance_id))


def list_timers(session: Session, instance_id: int | None) -> list[TimerInfo]:
    query = select(Timer).order_by(Timer.due_at)
    if instance_id is not None:
        query = query.where(Timer.instance_id == instance_id)
    return [TimerInfo(id=r.id, instance_id=r.instance_id, bpmn_id=r.bpmn_id, due_at=r.due_at,
                      kind=r.kind) for r in session.scalars(query)]
