"""BpmnWorkflow <-> stored state: the only module that knows state and archive formats.

The state holds the *live* task tree only (engine/history.py moves finished history to
the archive), so its size does not grow with history. Tasks are written the way Spiff's
own converter writes them (each task's data as a delta against its parent's, restored by
copying the parent's data first), but encoded directly instead of through the converter
registry, which costs several times more per task. The spec is not stored: it belongs to
the process version. ``SERIALIZER_VERSION`` names this format and Spiff's serializer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

from engine import delta
from engine.definitions import LoadedSpec
from engine.history import BASE, DONE, Archived, walk


class _StateConverter(BpmnWorkflowConverter):  # type: ignore[misc]
    """Format 1 (one blob of the whole tree, minus specs): read, no longer written."""

    def from_dict(self, dct: dict[str, Any], spec: Any = None,
                  subprocess_specs: Any = None) -> BpmnWorkflow:
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def make_serializer(converter: type[Any] | None = None) -> BpmnWorkflowSerializer:
    """Spiff's serializer with our workflow converter and Decimal/date support."""
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = converter or _StateConverter
    registry = BpmnWorkflowSerializer.configure(config)
    registry.register(Decimal, lambda v: {"value": str(v)},
                      lambda v: Decimal(v["value"]))
    registry.register(date, lambda v: {"value": v.isoformat()},
                      lambda v: date.fromisoformat(v["value"]))
    return BpmnWorkflowSerializer(registry)


_SERIALIZER = make_serializer()
_REGISTRY = _SERIALIZER.registry
_ENCODER = _SERIALIZER._encoder_cls  # turns Decimal, date, datetime... into typed dicts
SERIALIZER_VERSION = f"signoff-2/spiff-{_SERIALIZER.VERSION}"
FORMAT = 2
_LOOPS_CONNECTED = "_signoff_loops_connected"  # set on a spec once wired (see below)


def unstorable(data: Mapping[str, Any]) -> str | None:
    """Name the first variable of ``data`` a saved state could not hold, or None."""
    for key, value in data.items():
        try:
            json.dumps(value, cls=_ENCODER, allow_nan=False)
        except (TypeError, ValueError) as exc:
            return f"a value in variable {key!r} that cannot be stored ({exc})"
    return None


def _text(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), cls=_ENCODER, ensure_ascii=False)


def dump(workflow: BpmnWorkflow) -> str:
    """Serialize the live tasks and data of a workflow (not its spec) to JSON text."""
    subs = [_workflow_dict(sub, sub_id)
            for sub_id, sub in workflow.subprocesses.items()]
    return _text({
        "format": FORMAT, "top": _workflow_dict(workflow, None), "subs": subs,
        "events": _REGISTRY.convert(workflow.bpmn_events),
        "done": sorted(getattr(workflow, DONE, None) or ()),
    })


def _workflow_dict(wf: Any, parent_task_id: UUID | None) -> dict[str, Any]:
    root = wf.task_tree
    base = getattr(wf, BASE, None)
    return {
        "parent": str(parent_task_id) if parent_task_id else None,
        "spec": wf.spec.name, "data": wf.data, "correlations": wf.correlations,
        "last": str(wf.last_task.id) if wf.last_task is not None else None,
        "success": wf.success, "completed": wf.completed, "root": str(root.id),
        "base": None if base is None else delta.shallow(root.data, base),
        "tasks": [_task_row(t, wf.tasks) for t in walk(root, wf.tasks)],
    }


def _task_row(task: Any, tasks: dict[UUID, Any]) -> list[Any]:
    parent = tasks.get(task._parent)
    if parent is None:
        updates, deletions = task.data, None
    else:
        updates, deletions = delta.shallow(parent.data, task.data)
    return [str(task.id), str(task._parent) if task._parent else None,
            [str(c) for c in task._children], task._state, task.task_spec.name,
            task.last_state_change, task.triggered, task.internal_data, updates,
            deletions]


def load(state: str, loaded: LoadedSpec, script_engine: Any) -> BpmnWorkflow:
    """Rebuild a workflow from stored JSON text and the cached specs of its version."""
    _connect_loop_tasks(loaded)
    dct = json.loads(state)
    if dct.get("format") != FORMAT:
        return _load_format_1(dct, loaded, script_engine)
    restore = _REGISTRY.restore if '"typename"' in state else _same
    workflow = BpmnWorkflow(loaded.spec, loaded.subprocess_specs,
                            script_engine=script_engine, deserializing=True)
    _fill(workflow, dct["top"], workflow, restore)
    for sub_dct in dct["subs"]:
        parent_id = UUID(sub_dct["parent"])
        spec = workflow.subprocess_specs.get(sub_dct["spec"])
        sub = BpmnSubWorkflow(spec, parent_id, workflow, deserializing=True)
        _fill(sub, sub_dct, workflow, restore)
        workflow.subprocesses[parent_id] = sub
        caller = workflow.get_task_from_id(parent_id)
        sub.completed_event.connect(caller.task_spec._on_subworkflow_completed, caller)
    workflow.bpmn_events = _REGISTRY.restore(dct["events"])
    setattr(workflow, DONE, set(dct["done"]))
    return workflow


def _connect_loop_tasks(loaded: LoadedSpec) -> None:
    """Let multi-instance and loop tasks hear their instances complete, as Spiff's own
    spec deserializer arranges; a freshly parsed spec only learns it when it creates an
    instance, so after a restart instances created earlier would never be merged."""
    for spec in (loaded.spec, *loaded.subprocess_specs.values()):
        if getattr(spec, _LOOPS_CONNECTED, False):
            continue
        for task_spec in list(spec.task_specs.values()):
            if isinstance(task_spec, LoopTask):
                child = spec.task_specs.get(task_spec.task_spec)
                if not child.completed_event.is_connected(task_spec.merge_child):
                    child.completed_event.connect(task_spec.merge_child)
        setattr(spec, _LOOPS_CONNECTED, True)


def _same(value: Any) -> Any:
    return value


def _fill(wf: Any, dct: dict[str, Any], top: BpmnWorkflow, restore: Any) -> None:
    specs = wf.spec.task_specs
    events = top.event_manager
    tasks: dict[UUID, Any] = {}
    wf.tasks = tasks
    for task_id, parent, children, state, spec_name, changed, triggered, internal, \
            updates, deletions in dct["tasks"]:
        task = Task(wf, specs.get(spec_name), state=state, id=UUID(task_id))
        task._parent = UUID(parent) if parent else None
        task._children = [UUID(c) for c in children]
        task.last_state_change = changed
        task.triggered = triggered
        task.internal_data = restore(internal)
        if deletions is None:
            task.data = restore(updates)
        else:
            # Spiff's own restore: copy the parent's data, then apply this task's delta.
            task.data = DeepMerge.merge({}, tasks[task._parent].data)
            task.data.update(restore(updates))
            for key in deletions:
                task.data.pop(key, None)
        if state == TaskState.WAITING and isinstance(task.task_spec, CatchingEvent):
            events.add_task(task)
    wf.task_tree = tasks[UUID(dct["root"])]
    wf.data = restore(dct["data"])
    wf.correlations = dct["correlations"]
    wf.last_task = tasks.get(UUID(dct["last"])) if dct["last"] else None
    wf.success, wf.completed = dct["success"], dct["completed"]
    if dct["base"] is not None:
        updates, deletions = dct["base"]
        base = dict(wf.task_tree.data)
        base.update(restore(updates))
        for key in deletions:
            base.pop(key, None)
        setattr(wf, BASE, base)


def _load_format_1(dct: dict[str, Any], loaded: LoadedSpec, script_engine: Any
                   ) -> BpmnWorkflow:
    workflow = _SERIALIZER.from_dict(dct, spec=loaded.spec,
                                     subprocess_specs=loaded.subprocess_specs)
    workflow.script_engine = script_engine
    return workflow


def archive_rows(items: list[Archived]) -> list[tuple[str, str]]:
    """(task id, payload) per archived task; data as a patch against its parent's."""
    rows = []
    for item in items:
        task = item.task
        record: dict[str, Any] = {
            "workflow": str(item.workflow_id) if item.workflow_id else None,
            "parent": str(item.parent_id) if item.parent_id else None,
            "spec": task.task_spec.name,
            "bpmn_id": getattr(task.task_spec, "bpmn_id", None),
            "state": task._state, "changed": task.last_state_change,
            "internal": task.internal_data,
        }
        if item.parent_data is None:
            record["data"] = task.data
        else:
            record["patch"] = delta.diff(item.parent_data, task.data)
        rows.append((str(task.id), _text(record)))
    return rows


def archived_task(payloads: dict[str, str], task_id: str,
                  live: dict[UUID, Any]) -> dict[str, Any] | None:
    """An archived task's record with its full ``data`` rebuilt from the patch chain.

    ``payloads`` maps task ids to archive payloads of one instance; ``live`` holds the
    instance's live tasks, which an archived task's parent may still be.
    """
    if task_id not in payloads:
        return None
    chain: list[dict[str, Any]] = []
    current: str | None = task_id
    data: Any = None
    while current is not None:
        if current in payloads:
            record = json.loads(payloads[current])
            chain.append(record)
            if "data" in record:
                data = record["data"]
                break
            current = record["parent"]
        else:
            parent = live.get(UUID(current))
            data = json.loads(_text(parent.data)) if parent is not None else {}
            break
    data = {} if data is None else data
    for record in reversed(chain):
        if "patch" in record:
            data = delta.apply(data, record["patch"])
    result = chain[0]
    result["data"] = _REGISTRY.restore(data)
    return result
