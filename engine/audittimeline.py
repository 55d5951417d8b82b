"""An instance's timeline rebuilt from its audit events alone: who, when, how long, what
changed, which decision rule hit, deadlines met or missed, escalations.

Reading only the hash-chained trail means the timeline shows what can be verified. Never
writes, never commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.audit_records import (
    DataChange,
    Deadline,
    DecisionInfo,
    InstanceTimeline,
    TimelineStep,
)
from engine.errors import NotFound
from engine.models import AuditEvent, ProcessInstance, ProcessVersion

_CLOSING = {"task_completed", "task_cancelled"}
_ENDING = {"instance_completed", "instance_cancelled"}
_DATA_KEYS = ("data", "before", "removed")
_COMPUTED = {"decision_evaluated", "data_computed"}


def parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[DataChange, ...]:
    """Variables that are new or different in ``after`` (sorted by name)."""
    return tuple(
        DataChange(key, before.get(key), after[key])
        for key in sorted(after)
        if key not in before or before[key] != after[key]
    )


def submitted(event_type: str, payload: Mapping[str, Any], *,
              any_scope: bool = False) -> dict[str, Any]:
    """The instance variables an event sets, as far as the trail records them.

    ``any_scope`` includes the variables a called process set in its own scope.
    """
    if event_type == "instance_retried":
        corrected = payload.get("corrected") or {}
        return dict(corrected.get("after") or {})
    if event_type in _COMPUTED:
        if payload.get("subprocess") and not any_scope:
            return {}  # a called process's own variables, not the instance's
        key = "outputs" if event_type == "decision_evaluated" else "data"
        return dict(payload.get(key) or {})
    if event_type == "instance_data_edited":
        return dict(payload.get("after") or {})
    data = payload.get("data")
    return dict(data) if isinstance(data, Mapping) else {}


def recorded_changes(payload: Mapping[str, Any]) -> tuple[DataChange, ...]:
    """The before/after values an engine-computed step recorded itself."""
    after = dict(payload.get("outputs") or payload.get("data") or {})
    before = dict(payload.get("before") or {})
    return tuple(
        DataChange(key, before.get(key), after[key]) for key in sorted(after)
    ) + tuple(
        DataChange(key, None, suffix, appended=True)
        for key, suffix in sorted((payload.get("appended") or {}).items())
    ) + tuple(
        DataChange(key, before.get(key), None)
        for key in sorted(payload.get("removed") or [])
    )


def with_appended(known: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    """The values an event's ``appended`` entries lead to, given the ones known before."""
    grown = {}
    for key, suffix in (payload.get("appended") or {}).items():
        start = known.get(key)
        grown[key] = (start if isinstance(start, type(suffix)) else type(suffix)()) + suffix
    return grown


def is_escalation(event_type: str, payload: Mapping[str, Any]) -> bool:
    """A boundary timer firing (or an explicit escalation event) escalates a step."""
    return "escalat" in event_type or (
        event_type == "timer_fired" and payload.get("kind") == "boundary"
    )


@dataclass
class _Open:
    created_at: datetime
    due_at: datetime | None
    step_index: int


@dataclass
class _State:
    data: dict[str, Any] = field(default_factory=dict)
    open_tasks: dict[str, _Open] = field(default_factory=dict)
    started_at: datetime | None = None
    # A task's names as last recorded on the trail, for its events that record none.
    titles: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)

    def recorded_titles(
        self, task_id: str | None, payload: Mapping[str, Any]
    ) -> tuple[str | None, str | None]:
        """The names an event recorded, else the ones its task's earlier events did.

        Never the task's current names: a later rename or migration must not rewrite
        what the trail says happened.
        """
        known = self.titles.get(task_id or "", (None, None))
        if "title" not in payload and "title_en" not in payload:
            return known
        names = (payload.get("title"), payload.get("title_en"))
        if task_id:
            self.titles[task_id] = names
        return names


def timeline(session: Session, instance_id: int, *, now: datetime) -> InstanceTimeline:
    """Every event of the instance in chain order, annotated for an auditor."""
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(f"no instance {instance_id}")
    rows = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.instance_id == instance_id)
        .order_by(AuditEvent.at, AuditEvent.seq)
    )
    state = _State(started_at=instance.started_at)
    steps = [_step(row, state, index) for index, row in enumerate(rows)]
    for task in state.open_tasks.values():
        if task.due_at is not None:
            late = Deadline.OVERDUE if task.due_at < now else Deadline.PENDING
            steps[task.step_index] = replace(steps[task.step_index], deadline=late)
    return InstanceTimeline(
        instance_id=instance.id,
        process_id=instance.process_id,
        business_key=instance.business_key,
        started_by=instance.started_by,
        started_at=instance.started_at,
        ended_at=instance.ended_at,
        status=instance.status,
        steps=tuple(steps),
        version=session.scalar(select(ProcessVersion.version).where(
            ProcessVersion.id == instance.process_version_id)),
    )


def _step(row: AuditEvent, state: _State, index: int) -> TimelineStep:
    payload: Mapping[str, Any] = row.payload or {}
    values = submitted(row.event_type, payload)
    if row.event_type in _COMPUTED:
        changes = recorded_changes(payload)
        if not payload.get("subprocess"):
            for key in payload.get("removed") or ():
                state.data.pop(key, None)
            values = {**values, **with_appended(state.data, payload)}
    else:
        removed = [
            DataChange(key, state.data.pop(key), None)
            for key in sorted(payload.get("removed") or [])
            if row.event_type == "instance_data_edited" and key in state.data
        ]
        changes = diff(state.data, values) + tuple(removed)
    state.data.update(values)
    duration, due_at, deadline = _timing(row, payload, state, index)
    decision = None
    if row.event_type == "decision_evaluated":
        decision = DecisionInfo(
            decision_id=str(payload.get("decision_id", "")),
            inputs=dict(payload.get("inputs") or {}),
            rule_id=payload.get("rule_id"),
            outputs=dict(payload.get("outputs") or {}),
            name=str(payload.get("decision_name") or ""),
            hit_policy=str(payload.get("hit_policy") or ""),
            rows=tuple(int(r["row"]) for r in payload.get("rules") or ()
                       if isinstance(r, Mapping) and isinstance(r.get("row"), int)),
        )
    details = {k: v for k, v in payload.items() if k not in _DATA_KEYS}
    title, title_en = state.recorded_titles(row.task_id, payload)
    return TimelineStep(
        event_id=row.id,
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        event_type=row.event_type,
        bpmn_id=row.bpmn_id,
        task_id=row.task_id,
        title=title,
        duration=duration,
        due_at=due_at,
        deadline=deadline,
        changes=changes,
        decision=decision,
        escalation=is_escalation(row.event_type, payload),
        details=details,
        title_en=title_en,
    )


def _timing(
    row: AuditEvent, payload: Mapping[str, Any], state: _State, index: int
) -> tuple[timedelta | None, datetime | None, Deadline | None]:
    """Duration since the step began, and whether its deadline was met."""
    task_id = row.task_id or ""
    if row.event_type == "task_created" and task_id:
        due_at = parse_time(payload.get("due_at"))
        state.open_tasks[task_id] = _Open(row.at, due_at, index)
        return None, due_at, None
    if row.event_type in _CLOSING and task_id in state.open_tasks:
        task = state.open_tasks.pop(task_id)
        deadline = None
        if task.due_at is not None:
            deadline = Deadline.MET if row.at <= task.due_at else Deadline.MISSED
        return row.at - task.created_at, task.due_at, deadline
    if row.event_type == "task_claimed" and task_id in state.open_tasks:
        return row.at - state.open_tasks[task_id].created_at, None, None
    if row.event_type in _ENDING and state.started_at is not None:
        return row.at - state.started_at, None, None
    return None, None, None
