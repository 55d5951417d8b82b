"""Timer rows with their due time, kept in step with each saved instance. Never commits.

A worker asks for due rows by the indexed ``due_at`` and loads only those instances,
so nothing polls or deserializes instances that are not due.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.models import Timer
from engine.records import TimerInfo
from engine.runtime import waiting_timers


def sync(session: Session, instance_id: int, workflow: Any, *, finished: bool) -> None:
    """Replace the instance's timer rows with the timers it waits for now."""
    wanted = {} if finished else {
        str(task.id): (task, due) for task, due in waiting_timers(workflow) if due is not None
    }
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


def due_instance_ids(session: Session, now: datetime, *, limit: int) -> list[int]:
    """Instances with at least one due timer, oldest due first."""
    query = (select(Timer.instance_id, Timer.due_at).where(Timer.due_at <= now)
             .order_by(Timer.due_at).limit(limit * 4))
    seen: list[int] = []
    for instance_id, _due in session.execute(query):
        if instance_id not in seen:
            seen.append(instance_id)
        if len(seen) >= limit:
            break
    return seen


def due_rows(session: Session, instance_id: int, now: datetime) -> Sequence[Timer]:
    query = select(Timer).where(Timer.instance_id == instance_id, Timer.due_at <= now)
    return list(session.scalars(query))


def clear(session: Session, instance_id: int) -> None:
    session.execute(delete(Timer).where(Timer.instance_id == instance_id))


def list_timers(session: Session, instance_id: int | None) -> list[TimerInfo]:
    query = select(Timer).order_by(Timer.due_at)
    if instance_id is not None:
        query = query.where(Timer.instance_id == instance_id)
    return [TimerInfo(id=r.id, instance_id=r.instance_id, bpmn_id=r.bpmn_id, due_at=r.due_at,
                      kind=r.kind) for r in session.scalars(query)]
