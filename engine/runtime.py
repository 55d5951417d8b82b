"""Run workflows: start, complete a human task, fire timers, until the next wait state.

Never commits. SpiffWorkflow exceptions are translated here, at the seam, into
``ScriptFailed`` / ``InstanceNotRunnable`` with the element id and script line kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.util.task import TaskState

from engine import visibility
from engine.definitions import LoadedSpec
from engine.errors import ScriptFailed, TaskNotReady
from engine.history import DONE
from engine.records import Outcome
from engine.scripting import ScriptRejected, ScriptTimeout


def new_workflow(loaded: LoadedSpec, script_engine: Any) -> BpmnWorkflow:
    return BpmnWorkflow(loaded.spec, loaded.subprocess_specs, script_engine=script_engine)


def prepare(workflow: BpmnWorkflow, data: Mapping[str, object]) -> None:
    """Put the initial data on the start task (the state kept if the first step fails)."""
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(dict(data))


def fire_start_timers(workflow: BpmnWorkflow) -> None:
    """A timer start event already fired when the engine's schedule started the instance."""
    workflow.do_engine_steps()
    for task in list(workflow.event_manager.tasks.values()):
        if task.workflow is workflow and task.parent is not None and (
            task.parent.task_spec.name == "Start"
        ):
            task._set_internal_data(event_fired=True)
            task._set_state(TaskState.READY)


def advance(workflow: BpmnWorkflow) -> None:
    """Run every engine step (scripts, gateways, timers due) until people must act."""
    try:
        workflow.do_engine_steps()
    except (SpiffWorkflowException, ScriptTimeout, ScriptRejected) as exc:
        raise _failure(exc) from exc


def complete(workflow: BpmnWorkflow, task_id: UUID, data: Mapping[str, object]) -> Any:
    """Complete a READY human task with already-validated data; return the Spiff task."""
    task = find_task(workflow, task_id)
    if task is None or task.state != TaskState.READY or not task.task_spec.manual:
        raise TaskNotReady("this task was already completed or is no longer waiting")
    task.data.update(dict(data))
    try:
        task.run()
    except (SpiffWorkflowException, ScriptTimeout, ScriptRejected) as exc:
        raise _failure(exc) from exc
    advance(workflow)
    return task


def fire_timers(workflow: BpmnWorkflow) -> None:
    """Let every timer whose time has come fire, then run on."""
    try:
        workflow.refresh_timers()
    except (SpiffWorkflowException, ScriptTimeout, ScriptRejected) as exc:
        raise _failure(exc) from exc
    advance(workflow)


def find_task(workflow: BpmnWorkflow, task_id: UUID) -> Any:
    try:
        return workflow.get_task_from_id(task_id)
    except (KeyError, WorkflowException):
        return None


def ready_human_tasks(workflow: BpmnWorkflow) -> list[Any]:
    return list(workflow.get_tasks(state=TaskState.READY, manual=True))


def waiting_timers(workflow: BpmnWorkflow) -> list[tuple[Any, datetime | None]]:
    """Waiting timer tasks and their due time, from the event index (no tree walk)."""
    result = []
    for task in workflow.event_manager.tasks.values():
        definition = getattr(task.task_spec, "event_definition", None)
        # isinstance, not the class name: TimeDateEventDefinition has no "Timer" in it.
        # An event-based gateway waits with the timers of its branches (Multiple...).
        timers = [d for d in getattr(definition, "event_definitions", [definition])
                  if isinstance(d, TimerEventDefinition)]
        if not timers:
            continue
        dues = [d for d in (_due(task, t) for t in timers) if d is not None]
        result.append((task, min(dues) if dues else None))
    return result


def boundary_timers_due(task: Any) -> tuple[bool, datetime | None]:
    """Whether boundary timers guard ``task``, and the earliest of their due times.

    Timers that already fired count too: a payout started after its deadline has the
    escalation running at once, and its task is still due (overdue) at that time.
    """
    parent = task.parent
    if parent is None or not isinstance(parent.task_spec, BoundaryEventSplit):
        return False, None
    guarded, dues = False, []
    for sibling in parent.children:
        definition = getattr(sibling.task_spec, "event_definition", None)
        for timer in getattr(definition, "event_definitions", [definition]):
            if isinstance(timer, TimerEventDefinition):
                guarded = True
                due = _due(sibling, timer)
                if due is not None:
                    dues.append(due)
    return guarded, min(dues) if dues else None


def _due(task: Any, definition: Any) -> datetime | None:
    value = definition.details(task).value
    if isinstance(value, dict):  # cycle timers: {"cycles": n, "next": iso, "duration": s}
        value = value.get("next")
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return value if isinstance(value, datetime) else None


def last_line(exc: BaseException) -> int | None:
    line = getattr(exc, "line_number", None)
    return int(line) if isinstance(line, int) and line > 0 else None


def _failure(exc: BaseException) -> ScriptFailed:
    task = getattr(exc, "task", None)
    bpmn_id = getattr(getattr(task, "task_spec", None), "bpmn_id", None)
    detail = str(exc)
    inner = getattr(exc, "exception", None) or exc.__cause__
    if inner is not None and str(inner) and str(inner) not in detail:
        detail = f"{detail} ({type(inner).__name__}: {inner})"
    return ScriptFailed(detail.splitlines()[0] if detail else type(exc).__name__,
                        bpmn_id=bpmn_id, line=last_line(exc))


def is_finished(workflow: BpmnWorkflow) -> bool:
    return bool(workflow.is_completed())


def task_data(workflow: BpmnWorkflow, task_id: UUID) -> Mapping[str, Any]:
    """The data a waiting task holds before it is completed (empty if it is gone)."""
    task = find_task(workflow, task_id)
    return task.data if task is not None else {}


@dataclass(frozen=True, slots=True)
class Ending:
    """The end event a finished process ended at, and the outcome it names."""

    bpmn_id: str
    title: str
    title_en: str | None
    outcome: Outcome | None


def ending(workflow: BpmnWorkflow) -> Ending | None:
    """How the process itself ended: its last end event reached that names an outcome.

    Only the process's own end events count, not those of called processes. An end
    event naming no outcome (an escalation branch's, say) decides only when none
    does; then the last one reached is the ending.
    """
    ends = sorted((t for t in workflow.tasks.values() if t.state == TaskState.COMPLETED
                   and isinstance(t.task_spec, EndEvent)),
                  key=lambda t: t.last_state_change)
    named = [t for t in ends if _outcome(t.task_spec) is not None]
    if not (named or ends):
        return None
    spec = (named or ends)[-1].task_spec
    props = _properties(spec)
    return Ending(bpmn_id=spec.bpmn_id, title=spec.bpmn_name or spec.bpmn_id,
                  title_en=props.get("name_en"), outcome=_outcome(spec))


def step_properties(loaded: LoadedSpec) -> dict[str, dict[str, str]]:
    """Each element's ``spiffworkflow:properties`` by BPMN id, called processes too."""
    found: dict[str, dict[str, str]] = {}
    for spec in (loaded.spec, *loaded.subprocess_specs.values()):
        for task_spec in spec.task_specs.values():
            bpmn_id = getattr(task_spec, "bpmn_id", None)
            # A multi-instance task shares its id with the wrapper, which has none.
            if bpmn_id and (props := _properties(task_spec)):
                found.setdefault(bpmn_id, props)
    return found


def about(workflow: BpmnWorkflow, task_id: UUID) -> str | None:
    """What a waiting task is about: the value its ``aboutVariable`` names, if any."""
    task = find_task(workflow, task_id)
    if task is None:
        return None
    return visibility.Rule.of(_properties(task.task_spec)).about_value(task.data)


def _properties(task_spec: Any) -> dict[str, str]:
    return dict((getattr(task_spec, "extensions", None) or {}).get("properties", {}))


def _outcome(task_spec: Any) -> Outcome | None:
    return Outcome.parse(_properties(task_spec).get("outcome"))


def data_of(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The instance data people care about: the data of the most recent completed task."""
    task = workflow.last_task
    if task is None:
        ready = workflow.get_tasks(state=TaskState.READY)
        task = ready[0] if ready else workflow.task_tree
    data = dict(task.data)
    data.pop("data_objects", None)
    return data


def element_states(workflow: BpmnWorkflow) -> dict[str, set[str]]:
    """BPMN ids done, active and waiting: live tasks plus the archived completed ones."""
    done = set(getattr(workflow, DONE, None) or ())
    states: dict[str, set[str]] = {"completed": done, "active": set(), "waiting": set()}
    for task in workflow.get_tasks():
        bpmn_id = getattr(task.task_spec, "bpmn_id", None)
        if not bpmn_id:
            continue
        if task.state == TaskState.COMPLETED:
            states["completed"].add(bpmn_id)
        elif task.state in (TaskState.READY, TaskState.STARTED):
            states["active"].add(bpmn_id)
        elif task.state == TaskState.WAITING:
            states["waiting"].add(bpmn_id)
    return states
