"""Keep a running instance's Spiff task tree small by moving finished history out of it.

SpiffWorkflow keeps every task ever run in one tree and walks that tree several times
per step, so each step slows down as history grows; its iterator also gives up at depth
1,000, so a loop that nests one level deeper per round silently stops advancing. Before
each save we cut away the finished tasks no live task can reach any more and hand them
to the archive. Works on the in-memory workflow only; never touches the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.specs.Join import Join
from SpiffWorkflow.util.task import TaskState

LIVE = TaskState.NOT_FINISHED_MASK
# Attributes kept on Spiff workflow objects between steps (engine/store.py saves them).
BASE = "_signoff_base"  # data of the archived parent of the tree's current root
DONE = "_signoff_done"  # bpmn ids of archived COMPLETED tasks (the diagram shows them)


@dataclass(slots=True)
class Archived:
    """A task leaving the live tree, with what the archive needs to store it."""

    task: Any
    workflow_id: UUID | None  # the subprocess's calling task id; None for the process
    parent_id: UUID | None
    parent_data: dict[str, Any] | None  # None: nothing to diff against, store it whole


def compact(workflow: Any) -> list[Archived]:
    """Remove finished tasks no live task can reach; return them for the archive."""
    archived: list[Archived] = []
    for sub_id in _finished_subprocesses(workflow):
        sub = workflow.subprocesses.pop(sub_id)
        leaving = walk(sub.task_tree, sub.tasks)
        archived.extend(_describe(sub, leaving, sub_id))
    archived.extend(_compact_tree(workflow, None))
    for sub_id, sub in workflow.subprocesses.items():
        archived.extend(_compact_tree(sub, sub_id))
    done: set[str] = getattr(workflow, DONE, None) or set()
    for item in archived:
        workflow.event_manager.remove_task(item.task)
        bpmn_id = getattr(item.task.task_spec, "bpmn_id", None)
        if bpmn_id and item.task.state == TaskState.COMPLETED:
            done.add(bpmn_id)
    setattr(workflow, DONE, done)
    return archived


def _finished_subprocesses(workflow: Any) -> list[UUID]:
    """Completed subprocesses whose caller is finished or gone: nothing reads them."""
    callers: dict[UUID, Any] = dict(workflow.tasks)
    for sub in workflow.subprocesses.values():
        callers.update(sub.tasks)
    result = []
    for sub_id, sub in workflow.subprocesses.items():
        caller = callers.get(sub_id)
        if sub.completed and (caller is None or not caller._state & LIVE):
            result.append(sub_id)
    return result


def _compact_tree(wf: Any, workflow_id: UUID | None) -> list[Archived]:
    tasks: dict[UUID, Any] = wf.tasks
    anchors = _anchors(wf)
    if not anchors:
        return []
    old_root = wf.task_tree
    keep = _ancestors(anchors, tasks)
    root = _new_root(old_root, anchors, keep, tasks)
    retained = _retained(root, keep, tasks)
    leaving = [t for t in walk(old_root, tasks) if t.id not in retained]
    leaving.extend(_splice(root, retained, anchors, tasks))
    if not leaving:
        return []
    new_base = (tasks[root._parent].data if root is not old_root
                else getattr(wf, BASE, None))
    result = _describe(wf, leaving, workflow_id)
    for task in leaving:
        del tasks[task.id]
    for task_id in retained:
        task = tasks[task_id]
        if any(c not in retained for c in task._children):
            task._children = [c for c in task._children if c in retained]
    # The root keeps its (archived) parent's id: Spiff's ``Task.parent`` looks it up in
    # ``workflow.tasks`` and gets None, while the archive can still chain data to it.
    wf.task_tree = root
    setattr(wf, BASE, new_base)
    return result


def _anchors(wf: Any) -> set[UUID]:
    """Live tasks, the last task, and the last merged instance of a multi-instance.

    A multi-instance task evaluates its completion condition on its last merged child
    (``check_completion_condition``); every other finished instance can leave, because
    progress is counted in the parent's ``internal_data``.
    """
    anchors: set[UUID] = set()
    for task in wf.tasks.values():
        if task._state & LIVE:
            anchors.add(task.id)
            merged = task.internal_data.get("merged")
            if merged and isinstance(task.task_spec, MultiInstanceTask):
                anchors.add(UUID(merged[-1]))
    if anchors and wf.last_task is not None and wf.last_task.id in wf.tasks:
        anchors.add(wf.last_task.id)
    return anchors


def _ancestors(anchors: set[UUID], tasks: dict[UUID, Any]) -> set[UUID]:
    keep: set[UUID] = set()
    for task_id in anchors:
        current: UUID | None = task_id
        while current is not None and current not in keep and current in tasks:
            keep.add(current)
            current = tasks[current]._parent
    return keep


def _new_root(root: Any, anchors: set[UUID], keep: set[UUID],
              tasks: dict[UUID, Any]) -> Any:
    """The deepest task all anchors descend from, never a live task (it may inherit)."""
    while root.id not in anchors:
        kept = [c for c in root._children if c in keep]
        if len(kept) != 1:
            break
        root = tasks[kept[0]]
    if root._state & LIVE and root._parent in tasks:
        root = tasks[root._parent]
    return root


def _retained(root: Any, keep: set[UUID], tasks: dict[UUID, Any]) -> set[UUID]:
    retained = {root.id}
    stack = [root]
    while stack:
        for child_id in stack.pop()._children:
            if child_id in keep and child_id not in retained:
                retained.add(child_id)
                stack.append(tasks[child_id])
    return retained


def _splice(root: Any, retained: set[UUID], anchors: set[UUID],
            tasks: dict[UUID, Any]) -> list[Any]:
    """Cut finished single-child links out of the kept chains so depth stays bounded.

    A loop inside one branch of a split (while another branch waits) keeps the split in
    the tree, and the loop's rounds would pile up beneath it. A finished task with one
    kept child may go when that child is finished too (a live task still inherits from
    its parent) and is no join (a join merges its parents' data when it fires).
    """
    spliced = []
    stack = [root]
    while stack:
        task = stack.pop()
        kept = [tasks[c] for c in task._children if c in retained]
        stack.extend(kept)
        if task is root or task.id in anchors or len(kept) != 1:
            continue
        child = kept[0]
        if child._state & LIVE or isinstance(child.task_spec, Join):
            continue
        parent = tasks[task._parent]
        parent._children[parent._children.index(task.id)] = child.id
        child._parent = parent.id
        retained.discard(task.id)
        spliced.append(task)
    return spliced


def _describe(wf: Any, leaving: list[Any], workflow_id: UUID | None) -> list[Archived]:
    """Archive records of leaving tasks, each with its parent's data to diff against."""
    tasks = wf.tasks
    base = getattr(wf, BASE, None)
    result = []
    for task in leaving:
        parent = tasks.get(task._parent)
        parent_data = parent.data if parent is not None else base
        result.append(Archived(task, workflow_id, task._parent, parent_data))
    return result


def walk(root: Any, tasks: dict[UUID, Any]) -> list[Any]:
    """Every task of a tree, parents first, without Spiff's depth limit or recursion."""
    result = []
    stack = [root]
    while stack:
        task = stack.pop()
        result.append(task)
        stack.extend(tasks[c] for c in reversed(task._children) if c in tasks)
    return result
