"""What the engine itself did during one step, written to the audit trail.

A person's submission is recorded by ``task_completed``; everything the engine then runs
on its own (script tasks, pre/post scripts, decision tables, multi-instance results, a
called process handing data back, a message's payload) changes instance data too, and an
auditor must see those changes with their values before and after. ``begin`` notes which
tasks were already finished when a unit of work took the workflow; ``record`` (called by
``instances.save``) writes one event per task finished since then that changed data:
``decision_evaluated`` for business rule tasks, ``data_computed`` for the rest. Never
commits.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy.orm import Session

from engine import audit, decisions, delta, worklist
from engine.audit import AuditType
from engine.history import BASE
from engine.scripting import DATA_BEFORE_SCRIPTS

_FINISHED_AT_OPEN = "_signoff_finished_at_open"  # on the workflow, for this unit of work
_SUBMITTED = "_signoff_submitted"  # on a human task: the data the person submitted
_HIDDEN = ("data_objects",)


def begin(workflow: Any, *, new: bool = False) -> None:
    """Remember the tasks already finished, so ``record`` reports only this step's."""
    finished = set()
    for task, _scope in [] if new else _tasks(workflow):
        if task.state == TaskState.COMPLETED:
            finished.add(task.id)
        if hasattr(task, DATA_BEFORE_SCRIPTS):  # left by an earlier step (a pre-script)
            delattr(task, DATA_BEFORE_SCRIPTS)
    setattr(workflow, _FINISHED_AT_OPEN, frozenset(finished))


def submitted(task: Any, data: Mapping[str, Any]) -> None:
    """Mark what a person submitted on a task: that part is ``task_completed``'s record."""
    setattr(task, _SUBMITTED, dict(data))


def record(session: Session, instance_id: int, workflow: Any, *, actor: str,
           now: datetime) -> int:
    """Append an event per task finished in this step that changed data; return how many."""
    finished: frozenset[UUID] | None = getattr(workflow, _FINISHED_AT_OPEN, None)
    if finished is None:
        return 0  # the workflow was not taken through ``begin``: nothing to attribute
    fresh = [(task, scope) for task, scope in _tasks(workflow)
             if task.state == TaskState.COMPLETED and task.id not in finished]
    fresh.sort(key=lambda pair: pair[0].last_state_change)
    written = 0
    for task, scope in fresh:
        written += _record_task(session, instance_id, workflow, task, scope,
                                actor=actor, now=now)
    begin(workflow)  # a second save in the same unit of work reports only what is new
    return written


def _record_task(session: Session, instance_id: int, workflow: Any, task: Any,
                 scope: str | None, *, actor: str, now: datetime) -> int:
    evidence = decisions.evidence(task)
    by_person: dict[str, Any] = getattr(task, _SUBMITTED, None) or {}
    if by_person:
        delattr(task, _SUBMITTED)
    bpmn_id = getattr(task.task_spec, "bpmn_id", None)
    if not bpmn_id or _is_called_round(task):
        return 0
    before = _data_before(workflow, task)
    changed, removed = delta.shallow(dict(before), task.data)
    changed = {k: v for k, v in changed.items() if k not in _HIDDEN
               and (k not in by_person or by_person[k] != v)}
    removed = [k for k in removed if k not in _HIDDEN]
    common = {**worklist.spec_titles(_named_spec(task)), **({"subprocess": scope} if scope else {})}
    outputs = evidence["outputs"] if evidence is not None else {}
    # A business rule task's own scripts prepare its inputs: their changes come first.
    changed = {k: v for k, v in changed.items() if k not in outputs}
    appended = _appended(before, changed)
    written = 0
    if changed or removed or appended:
        audit.record(session, AuditType.DATA_COMPUTED, actor=actor, at=now,
                     instance_id=instance_id, task_id=task.id, bpmn_id=bpmn_id,
                     payload={**common, "kind": _kind(task.task_spec), "data": changed,
                              "before": {k: before[k] for k in [*changed, *removed]
                                         if k in before},
                              "removed": sorted(removed),
                              **({"appended": appended} if appended else {})})
        written += 1
    if evidence is not None:
        audit.record(session, AuditType.DECISION_EVALUATED, actor=actor, at=now,
                     instance_id=instance_id, task_id=task.id, bpmn_id=bpmn_id,
                     payload={**common, **evidence,
                              "before": {k: before.get(k) for k in outputs}})
        written += 1
    return written


def _appended(before: Mapping[str, Any], changed: dict[str, Any]) -> dict[str, Any]:
    """Take out of ``changed`` the lists and long texts that only grew at the end.

    A loop that adds an entry per round would otherwise write the whole list twice per
    round, and the trail would grow with the square of the rounds: only the new end is
    recorded (``appended``), which the timeline adds to what it already knows.
    """
    grown = {}
    for key in list(changed):
        if key in before:
            patch = delta.diff(before[key], changed[key])
            if patch is not None and set(patch) == {"a"}:
                grown[key] = patch["a"]
                del changed[key]
    return grown


def _data_before(workflow: Any, task: Any) -> Mapping[str, Any]:
    """The data the task started from: a copy taken before its scripts ran, else its
    parent's (or the archived root's)."""
    copied = getattr(task, DATA_BEFORE_SCRIPTS, None)
    if copied is not None:
        delattr(task, DATA_BEFORE_SCRIPTS)
        return copied  # type: ignore[no-any-return]
    parent = task.parent
    if parent is not None:
        return parent.data  # type: ignore[no-any-return]
    owner = task.workflow
    return getattr(owner, BASE, None) or getattr(workflow, BASE, None) or {}


def _is_called_round(task: Any) -> bool:
    """One round of a looped call activity: the called process's own steps and the
    loop's collected result are on the trail; the round would repeat all its data."""
    parent = task.parent
    return (parent is not None and isinstance(parent.task_spec, LoopTask)
            and isinstance(task.task_spec, SubWorkflowTask))


def _named_spec(task: Any) -> Any:
    """The spec that carries the element's names (a loop's inner activity has them)."""
    spec = task.task_spec
    if isinstance(spec, LoopTask):
        return task.workflow.spec.task_specs.get(spec.task_spec, spec)
    return spec


def _tasks(workflow: Any) -> Iterator[tuple[Any, str | None]]:
    """Every task in the live trees, with the called process it runs in (None: top)."""
    for task in workflow.tasks.values():
        yield task, None
    for sub in workflow.subprocesses.values():
        scope = getattr(sub.spec, "name", None) or "subprocess"
        for task in sub.tasks.values():
            yield task, scope


def _kind(task_spec: Any) -> str:
    """The BPMN element kind in snake case (``ScriptTask`` -> ``script_task``)."""
    name = type(task_spec).__name__
    return "".join(f"_{c.lower()}" if c.isupper() and i else c.lower()
                   for i, c in enumerate(name))
