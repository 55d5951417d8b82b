"""Terminate end events: what they cancel, in the process and in called processes.

A terminate end event ends the process instance it belongs to (BPMN 2.0, 10.5.3): in
a called process, that is the called process only, and its caller goes on. What it
cancels leaves the inbox, its timers and its deadline jobs with it.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import time_machine
from modelkit import end_event, flows, process, user_task

from engine import Engine, InstanceStatus, Outcome, TaskState
from engine.records import SYSTEM

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
DECIDED = {"manager_decision": "approve"}
START = '<bpmn:startEvent id="start"/>'
SPLIT = '<bpmn:parallelGateway id="split"/>'
DUE_IN_AN_HOUR = (
    '<spiffworkflow:properties><spiffworkflow:property name="dueIn" value="PT1H"/>'
    "</spiffworkflow:properties>"
)


def parallel(main: str, side: str, *, process_id: str, terminate: bool = True) -> bytes:
    """start -> split -> (main -> end_main) and (side -> end_side)."""
    return process(
        START + SPLIT + main + side
        + end_event("end_main", outcome="done", terminate=terminate)
        + end_event("end_side")
        + flows(("start", "split"), ("split", "main"), ("main", "end_main"),
                ("split", "side"), ("side", "end_side")),
        process_id=process_id,
    )


def open_bpmn_ids(engine: Engine, instance_id: int) -> list[str]:
    return sorted(t.bpmn_id for t in engine.inbox(SYSTEM, scope="all")
                  if t.instance_id == instance_id)


def complete(engine: Engine, instance_id: int, bpmn_id: str) -> None:
    [task] = [t for t in engine.inbox(SYSTEM, scope="all")
              if t.instance_id == instance_id and t.bpmn_id == bpmn_id]
    engine.complete_task(task.id, DECIDED, actor=SYSTEM)


def cancelled(engine: Engine, instance_id: int) -> list[str]:
    return sorted(e.bpmn_id or "" for e in engine.history(instance_id, actor=SYSTEM)
                  if e.event_type == "task_cancelled")


def test_terminate_cancels_the_other_branches_and_a_running_called_process(
        engine: Engine) -> None:
    child = process(START + user_task("child_task", "manager_review")
                    + end_event("end") + flows(("start", "child_task"),
                                               ("child_task", "end")),
                    process_id="child")
    parent = parallel(user_task("main", "manager_review"),
                      '<bpmn:callActivity id="side" calledElement="child"/>',
                      process_id="parent")
    engine.deploy({"child.bpmn": child}, actor=SYSTEM)
    engine.deploy({"parent.bpmn": parent}, actor=SYSTEM)
    iid = engine.start_instance("parent", {}, actor=SYSTEM).id
    assert open_bpmn_ids(engine, iid) == ["child_task", "main"]
    child_task = next(t for t in engine.inbox(SYSTEM, scope="all")
                      if t.instance_id == iid and t.bpmn_id == "child_task")
    complete(engine, iid, "main")
    info = engine.get_instance(iid, actor=SYSTEM)
    assert (info.status, info.outcome) == (InstanceStatus.COMPLETED, Outcome.DONE)
    assert open_bpmn_ids(engine, iid) == []
    assert cancelled(engine, iid) == ["child_task"]
    closed = engine.get_task(child_task.id, actor=SYSTEM).task
    assert closed.state is TaskState.CANCELLED


def test_terminate_in_a_called_process_ends_only_that_process(engine: Engine) -> None:
    child = parallel(user_task("main", "manager_review"),
                     user_task("side", "manager_review"), process_id="child")
    parent = process(START + '<bpmn:callActivity id="call" calledElement="child"/>'
                     + user_task("after", "manager_review") + end_event("end")
                     + flows(("start", "call"), ("call", "after"), ("after", "end")),
                     process_id="parent")
    engine.deploy({"child.bpmn": child}, actor=SYSTEM)
    engine.deploy({"parent.bpmn": parent}, actor=SYSTEM)
    iid = engine.start_instance("parent", {}, actor=SYSTEM).id
    complete(engine, iid, "main")
    assert open_bpmn_ids(engine, iid) == ["after"]
    assert cancelled(engine, iid) == ["side"]
    info = engine.get_instance(iid, actor=SYSTEM)
    assert info.status is InstanceStatus.RUNNING and info.outcome is None
    complete(engine, iid, "after")
    info = engine.get_instance(iid, actor=SYSTEM)
    # the called process's outcome is its own: the caller ended at a plain end
    assert (info.status, info.outcome) == (InstanceStatus.COMPLETED, None)


def test_terminate_drops_the_timers_and_deadline_jobs_of_what_it_cancels(
        engine: Engine) -> None:
    late = ('<bpmn:boundaryEvent id="late" attachedToRef="main" cancelActivity="false">'
            '<bpmn:timerEventDefinition><bpmn:timeDuration>"P1D"</bpmn:timeDuration>'
            "</bpmn:timerEventDefinition></bpmn:boundaryEvent>")
    side = user_task("side", "manager_review", DUE_IN_AN_HOUR)
    engine.deploy({"p.bpmn": parallel(user_task("main", "manager_review") + late, side,
                                      process_id="p")}, actor=SYSTEM)
    with time_machine.travel(T0, tick=False) as clock:
        iid = engine.start_instance("p", {}, actor=SYSTEM).id
        assert [t.bpmn_id for t in engine.list_timers(instance_id=iid)] == ["late"]
        complete(engine, iid, "main")
        assert engine.list_timers(instance_id=iid) == []
        clock.move_to(T0 + timedelta(days=2))
        engine.fire_due_timers()
        engine.run_due_jobs()
    events = [e.event_type for e in engine.history(iid, actor=SYSTEM)]
    assert cancelled(engine, iid) == ["side"]
    assert not {"timer_fired", "task_reminded", "task_escalated"} & set(events)
    assert events[-1] == "instance_completed"
