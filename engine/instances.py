"""Load and save process instances and build their records. Never commits.

Loading checks the optimistic ``row_version``; saving writes the state, the inbox
projection and the timer rows together, so they can never disagree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import definitions, store, timers, worklist
from engine.definitions import LoadedSpec
from engine.errors import ConcurrentUpdate, InstanceNotRunnable, NotFound
from engine.models import HumanTask, ProcessInstance, ProcessVersion
from engine.runtime import is_finished
from engine.records import (
    Actor,
    IncidentInfo,
    InstanceInfo,
    InstanceStatus,
    StepInfo,
    TaskState,
)
from engine.values import plain


def get(session: Session, instance_id: int, *, expected_version: int | None = None,
        lock: bool = False) -> ProcessInstance:
    query = select(ProcessInstance).where(ProcessInstance.id == instance_id)
    if lock:
        query = query.with_for_update()
    row = session.scalars(query).first()
    if row is None:
        raise NotFound(f"no instance {instance_id}")
    if expected_version is not None and row.row_version != expected_version:
        raise ConcurrentUpdate(
            f"instance {instance_id} was changed by someone else; reload and try again")
    return row


def require_running(row: ProcessInstance) -> None:
    if row.status != InstanceStatus.RUNNING.value:
        raise InstanceNotRunnable(f"instance {row.id} is {row.status}")


def open_workflow(session: Session, row: ProcessInstance,
                  script_engine: Any) -> tuple[LoadedSpec, Any]:
    version = session.get(ProcessVersion, row.process_version_id)
    assert version is not None
    loaded = definitions.load_spec(session, version)
    return loaded, store.load(row.state, loaded, script_engine)


def save(session: Session, row: ProcessInstance, workflow: Any, *, actor: Actor,
         now: datetime) -> list[HumanTask]:
    """Write state, projection and timers; mark the instance completed when it is."""
    finished = is_finished(workflow)
    row.state = store.dump(workflow)
    row.serializer_version = store.SERIALIZER_VERSION
    if finished and row.status == InstanceStatus.RUNNING.value:
        row.status = InstanceStatus.COMPLETED.value
        row.ended_at = now
    session.flush()
    created = worklist.sync(session, row, workflow, actor=actor.username, now=now)
    timers.sync(session, row.id, workflow, finished=finished)
    return created


def to_info(session: Session, row: ProcessInstance, data: dict[str, Any] | None = None
            ) -> InstanceInfo:
    version = session.get(ProcessVersion, row.process_version_id)
    assert version is not None
    tasks = session.scalars(select(HumanTask).where(
        HumanTask.instance_id == row.id, HumanTask.state == TaskState.READY.value)
        .order_by(HumanTask.created_at))
    steps = tuple(StepInfo(bpmn_id=t.bpmn_id, title=t.title, title_en=t.title_en,
                           kind="user_task", holder=t.assignee or t.lane) for t in tasks)
    incident = None
    if row.incident:
        incident = IncidentInfo(bpmn_id=row.incident.get("bpmn_id"),
                                line=row.incident.get("line"),
                                message=row.incident.get("message", ""),
                                at=datetime.fromisoformat(row.incident["at"]))
    return InstanceInfo(
        id=row.id, process_id=row.process_id, process_name=version.name,
        process_name_en=version.name_en, version=version.version,
        business_key=row.business_key, status=InstanceStatus(row.status),
        started_by=row.started_by, started_at=row.started_at, ended_at=row.ended_at,
        data=plain(data) if data is not None else {}, steps=steps, incident=incident,
        row_version=row.row_version)
