"""Move an instance's workflow to another version of its process. Never commits.

SpiffWorkflow's diff helpers align the task specs of both versions by BPMN id. Nothing
changes unless every element the instance is at, waits in, or already passed exists in
the target: stored state names its elements and could not be loaded otherwise.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.util.diff import diff_workflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from engine import store
from engine.admin_records import MigrationBlocker
from engine.definitions import LoadedSpec

# Only used to compare specs attribute by attribute (SpecDiff converts them to dicts).
_REGISTRY = BpmnWorkflowSerializer.configure(dict(SPIFF_CONFIG))
_KEEP = TaskState.READY | TaskState.WAITING
_REASONS = {
    "active": "the instance is at this element, which the target version does not have",
    "waiting": "the instance waits in this element, which the target version lacks",
    "completed": "the instance already passed this element, which the target version "
    "does not have; its history could not be kept",
    "future": "the instance is about to reach this element, which the target version "
    "does not have",
    "subprocess": "the instance runs this subprocess, which the target version lacks",
}


_RETYPED = "the target version puts a different kind of element in its place"


def _state(task: Any) -> str | None:
    if task.has_state(TaskState.READY | TaskState.STARTED):
        return "active"
    if task.has_state(TaskState.WAITING):
        return "waiting"
    if task.has_state(TaskState.COMPLETED | TaskState.ERROR | TaskState.CANCELLED):
        return "completed"
    return None  # predicted tasks are rebuilt from the target version


def _blocker(task_spec: Any, state: str) -> MigrationBlocker:
    bpmn_id = getattr(task_spec, "bpmn_id", None) or task_spec.name
    return MigrationBlocker(bpmn_id=str(bpmn_id), state=state, reason=_REASONS[state])


def _unique(blockers: list[MigrationBlocker]) -> list[MigrationBlocker]:
    return list(dict.fromkeys(blockers))


def check(workflow: Any, target: LoadedSpec) -> list[MigrationBlocker]:
    """Every reason the workflow cannot move to ``target`` (empty when it can)."""
    return _diff(workflow, target)[0]


def _diff(workflow: Any, target: LoadedSpec) -> tuple[list[MigrationBlocker], Any, Any]:
    top, subs = diff_workflow(_REGISTRY, workflow, target.spec, target.subprocess_specs)
    blockers = _removed(top)
    for sp_id, sub_diff in subs.items():
        sub = workflow.subprocesses[sp_id]
        if sub_diff is None:
            blockers.append(_blocker(sub.spec, "subprocess"))
        else:
            blockers += _removed(sub_diff)
    return _unique(blockers), top, subs


def _removed(diff: Any) -> list[MigrationBlocker]:
    """Tasks whose element is gone, or was aligned (by its place) to another kind."""
    found = [_blocker(t.task_spec, s) for t in diff.removed if (s := _state(t))]
    for task, spec in diff.alignment.items():
        state = _state(task)
        if state and spec is not None and type(spec) is not type(task.task_spec):
            found.append(
                MigrationBlocker(
                    bpmn_id=str(
                        getattr(task.task_spec, "bpmn_id", None) or task.task_spec.name
                    ),
                    state=state,
                    reason=_RETYPED,
                )
            )
    return found


def migrate(
    workflow: Any, target: LoadedSpec, script_engine: Any
) -> tuple[Any, list[MigrationBlocker]]:
    """Return the workflow moved to ``target``, or the reasons it cannot move.

    Ready and waiting tasks keep their ids (so inbox rows and timers stay theirs), their
    data, and, where their element did not change, their timers' due times.
    """
    blockers, top, subs = _diff(workflow, target)
    if blockers:
        return workflow, blockers
    changed = {t.id for t in top.changed}
    changed |= {t.id for d in subs.values() if d is not None for t in d.changed}
    kept = {
        t.id: (dict(t.data), dict(t.internal_data))
        for t in workflow.get_tasks(state=_KEEP)
    }
    workflow.subprocess_specs = dict(target.subprocess_specs)
    _move(top, workflow, target.spec)
    for sp_id, sub_diff in subs.items():
        sub = workflow.subprocesses[sp_id]
        _move(sub_diff, sub, target.subprocess_specs[sub.spec.name])
    _restore(workflow, kept, changed)
    leftovers = _leftovers(workflow)
    if leftovers:
        return workflow, leftovers
    # A save/load round trip rebuilds the event index and proves the state stores.
    return store.load(store.dump(workflow), target, script_engine), []


def _move(diff: Any, workflow: Any, spec: Any) -> None:
    """Point every task at its element in ``spec`` and repredict from the ready and
    waiting ones, as SpiffWorkflow's ``migrate_workflow`` does, except for a ready task
    without a parent (an instance whose very first step failed, still at its start):
    SpiffWorkflow would reset it from the parent it lacks and fail; it stays ready with
    its data and only what follows it is predicted again from the target."""
    workflow.spec = spec
    for task in workflow.tasks.values():
        aligned = diff.alignment.get(task)
        if aligned is not None:
            task.task_spec = aligned
    for task in list(workflow.get_tasks(state=_KEEP, skip_subprocesses=True)):
        if task.id not in workflow.tasks:  # an earlier reset removed it
            continue
        if task.parent is None:  # nothing ran yet: repredict below, keep it ready
            task._drop_children(force=True)
            task.task_spec._predict(task, mask=TaskState.NOT_FINISHED_MASK)
        else:
            task.reset_branch(None)
    if workflow.last_task not in workflow.tasks:
        workflow.last_task = None


def _restore(
    workflow: Any,
    kept: dict[UUID, tuple[dict[str, Any], dict[str, Any]]],
    changed: set[UUID],
) -> None:
    for task in workflow.get_tasks(state=_KEEP):
        if task.id not in kept:
            continue
        data, internal = kept[task.id]
        task.data = data
        if task.id not in changed:
            task.internal_data.update(internal)


def _leftovers(workflow: Any) -> list[MigrationBlocker]:
    """Tasks still pointing at an element of the old version (not reset by Spiff)."""
    found = []
    for task in workflow.get_tasks():
        specs = task.workflow.spec.task_specs
        if specs.get(task.task_spec.name) is not task.task_spec:
            found.append(_blocker(task.task_spec, _state(task) or "future"))
    return _unique(found)
