"""Stored instance state: survives restarts, behaves like SpiffWorkflow, stays small.

The engine keeps only the live part of each Spiff task tree in the instance row and
moves finished history to ``archived_task``. These tests drive the Engine API and raw
SpiffWorkflow side by side on models with joins, boundary events, loops, subprocesses,
call activities and multi-instance tasks, and compare every step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from modelkit import process, script_task, user_task
from sqlalchemy import func, select, text
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from engine import Actor, Engine, cache
from engine.db import make_sessionmaker
from engine.definitions import build_spec, clear_cache
from engine.models import ArchivedTask, ProcessInstance
from engine.records import SYSTEM, InstanceStatus
from engine.scripting import make_script_engine
from engine.store import SERIALIZER_VERSION
from engine.values import plain

REQUEST = {"item": "laptop", "amount": "12.50"}
AGAIN = 'supervisor_decision == "return"'
START = '<bpmn:startEvent id="start"/>'
END = '<bpmn:endEvent id="end"/>'


def flows(
    *pairs: tuple[str, str], when: dict[tuple[str, str], str] | None = None
) -> str:
    out = []
    for source, target in pairs:
        condition = (when or {}).get((source, target))
        body = (
            f"<bpmn:conditionExpression>{condition}</bpmn:conditionExpression>"
            if condition
            else ""
        )
        out.append(
            f'<bpmn:sequenceFlow id="f_{source}_{target}" sourceRef="{source}" '
            f'targetRef="{target}">{body}</bpmn:sequenceFlow>'
        )
    return "".join(out)


def gateway(bpmn_id: str, kind: str = "exclusiveGateway", default: str = "") -> str:
    extra = f' default="{default}"' if default else ""
    return f'<bpmn:{kind} id="{bpmn_id}"{extra}/>'


def decide_loop(
    body: str,
    first: str,
    last: str,
    *pairs: tuple[str, str],
    when: dict[tuple[str, str], str] | None = None,
) -> bytes:
    """start -> merge -> first ... last -> decide -> (return: merge | approve: end)."""
    return process(
        START
        + END
        + body
        + gateway("merge")
        + user_task("decide", "supervisor_review")
        + gateway("again", default="f_again_end")
        + flows(
            ("start", "merge"),
            ("merge", first),
            *pairs,
            (last, "decide"),
            ("decide", "again"),
            ("again", "merge"),
            ("again", "end"),
            when={("again", "merge"): AGAIN, **(when or {})},
        )
    )


def multi_instance(
    bpmn_id: str,
    sequential: bool,
    items: str,
    outputs: str,
    item: str,
    form: str = "station_check",
    result: str = "result",
) -> str:
    flag = ' isSequential="true"' if sequential else ""
    return (
        f'<bpmn:userTask id="{bpmn_id}" name="{bpmn_id}"><bpmn:extensionElements>'
        "<spiffworkflow:properties><spiffworkflow:property "
        'name="formJsonSchemaFilename" '
        f'value="{form}.json"/></spiffworkflow:properties></bpmn:extensionElements>'
        f"<bpmn:multiInstanceLoopCharacteristics{flag}>"
        f"<bpmn:loopDataInputRef>{items}</bpmn:loopDataInputRef>"
        f"<bpmn:loopDataOutputRef>{outputs}</bpmn:loopDataOutputRef>"
        f'<bpmn:inputDataItem id="{item}"/><bpmn:outputDataItem id="{result}"/>'
        "</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>"
    )


BOUNDARY = decide_loop(
    user_task("work") + '<bpmn:boundaryEvent id="late" attachedToRef="work" '
    'cancelActivity="false"><bpmn:timerEventDefinition><bpmn:timeDuration>"P30D"'
    "</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>"
    + user_task("chase", "manager_review")
    + '<bpmn:endEvent id="end_chased"/>'
    + flows(("late", "chase"), ("chase", "end_chased")),
    "work",
    "work",
)
SUBPROCESS = decide_loop(
    '<bpmn:subProcess id="sub"><bpmn:startEvent id="sub_start"/>'
    + user_task("inner")
    + script_task("count", "rounds = rounds + 1")
    + '<bpmn:endEvent id="sub_end"/>'
    + flows(("sub_start", "inner"), ("inner", "count"), ("count", "sub_end"))
    + "</bpmn:subProcess>",
    "sub",
    "sub",
)
CALLEE = process(
    START + END + user_task("called") + flows(("start", "called"), ("called", "end")),
    process_id="callee",
)
CALLER = decide_loop(
    '<bpmn:callActivity id="call" calledElement="callee"/>', "call", "call"
)
STATIONS = decide_loop(
    script_task(
        "prepare", "stations = ['north', 'south', 'east']\nchecked = []\nrechecked = []"
    )
    + multi_instance("check_each", False, "stations", "checked", "station")
    + multi_instance(
        "recheck_each",
        True,
        "stations",
        "rechecked",
        "station_again",
        "manager_review",
        "manager_decision",
    ),
    "prepare",
    "recheck_each",
    ("prepare", "check_each"),
    ("check_each", "recheck_each"),
)
INCLUSIVE = decide_loop(
    user_task("first")
    + user_task("x_path", "manager_review")
    + user_task("y_path", "manager_review")
    + gateway("fork", "inclusiveGateway", default="f_fork_y_path")
    + gateway("join", "inclusiveGateway"),
    "first",
    "join",
    ("first", "fork"),
    ("fork", "x_path"),
    ("fork", "y_path"),
    ("x_path", "join"),
    ("y_path", "join"),
    when={("fork", "x_path"): 'item == "x"'},
)
BRANCH_LOOP = process(
    START
    + END
    + user_task("wait_here", "manager_review")
    + user_task("loop_here")
    + gateway("fork", "parallelGateway")
    + gateway("join", "parallelGateway")
    + gateway("more", default="f_more_join")
    + flows(
        ("start", "fork"),
        ("fork", "wait_here"),
        ("fork", "loop_here"),
        ("loop_here", "more"),
        ("more", "loop_here"),
        ("more", "join"),
        ("wait_here", "join"),
        ("join", "end"),
        when={("more", "loop_here"): 'item != "stop"'},
    )
)
STANDARD_LOOP = process(
    START + END + '<bpmn:userTask id="repeat" name="repeat"><bpmn:extensionElements>'
    '<spiffworkflow:properties><spiffworkflow:property name="formJsonSchemaFilename" '
    'value="request_form.json"/></spiffworkflow:properties></bpmn:extensionElements>'
    '<bpmn:standardLoopCharacteristics><bpmn:loopCondition>item != "stop"'
    "</bpmn:loopCondition></bpmn:standardLoopCharacteristics></bpmn:userTask>"
    + flows(("start", "repeat"), ("repeat", "end"))
)
PARALLEL_LOOP = decide_loop(
    user_task("left", "manager_review")
    + user_task("right", "station_check")
    + gateway("fork", "parallelGateway")
    + gateway("join", "parallelGateway"),
    "fork",
    "join",
    ("fork", "left"),
    ("fork", "right"),
    ("left", "join"),
    ("right", "join"),
)

MODELS: dict[str, dict[str, bytes]] = {
    "boundary": {"p.bpmn": BOUNDARY},
    "subprocess": {"p.bpmn": SUBPROCESS},
    "call_activity": {"callee.bpmn": CALLEE, "p.bpmn": CALLER},
    "multi_instance": {"p.bpmn": STATIONS},
    "inclusive": {"p.bpmn": INCLUSIVE},
    "loop_in_branch": {"p.bpmn": BRANCH_LOOP},
    "standard_loop": {"p.bpmn": STANDARD_LOOP},
}
# The whole tree in one blob, as the first engine version stored it (here with specs).
FORMAT_1 = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
ROUNDS = 4  # decide says "return" this many times, then "approve"


def submission(step: int, bpmn_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """What the person submits: the same on both sides, driven by the step number."""
    if bpmn_id == "decide":
        if step < ROUNDS * 3:
            return {
                "supervisor_decision": "return",
                "supervisor_opinion": f"round {step}",
            }
        return {"supervisor_decision": "approve"}
    if bpmn_id == "check_each":
        return {"result": f"{data['station']} ok {step}"}
    if bpmn_id in ("chase", "x_path", "y_path", "wait_here", "left", "recheck_each"):
        return {"manager_decision": "approve"}
    if bpmn_id == "right":
        return {"result": f"right {step}"}
    if bpmn_id in ("loop_here", "repeat"):
        return {
            "item": "stop" if step >= ROUNDS * 2 else f"go {step}",
            "amount": "1.00",
        }
    if bpmn_id == "first":
        return {"item": "x" if step % 2 else "y", "amount": "1.00"}
    return {**REQUEST, "item": f"item {step}"}


def raw_workflow(files: dict[str, bytes], start: dict[str, Any]) -> BpmnWorkflow:
    sources = [("bpmn", name[:-5], name, data) for name, data in files.items()]
    spec, subprocesses = build_spec("p", sources)
    workflow = BpmnWorkflow(spec, subprocesses, script_engine=make_script_engine())
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(start)
    workflow.do_engine_steps()
    return workflow


def raw_ready(workflow: BpmnWorkflow) -> list[tuple[str, Any, Any]]:
    tasks = workflow.get_tasks(state=TaskState.READY, manual=True)
    return sorted(
        ((t.task_spec.bpmn_id, plain(_visible(t.data)), t) for t in tasks),
        key=lambda r: (r[0], repr(r[1])),
    )


def engine_ready(
    engine: Engine, who: Actor, instance_id: int
) -> list[tuple[str, Any, Any]]:
    tasks = [t for t in engine.inbox(who, scope="all") if t.instance_id == instance_id]
    rows = [
        (t.bpmn_id, plain(engine.get_task(t.id, actor=who).data), t.id) for t in tasks
    ]
    return sorted(rows, key=lambda r: (r[0], repr(r[1])))


def _visible(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "data_objects"}


def forget_workflows(engine: Engine) -> None:
    """What a process restart loses: parsed specs and the in-memory workflows."""
    clear_cache()
    cache.for_bind(engine.sessions.kw["bind"]).clear()


@pytest.mark.parametrize("cold", [False, True], ids=["warm", "cold"])
@pytest.mark.parametrize("model", sorted(MODELS))
def test_each_step_matches_spiffworkflow_while_history_moves_out(
    engine: Engine, actor: Callable[[str], Actor], model: str, cold: bool
) -> None:
    files, admin = MODELS[model], actor("admin")
    engine.deploy(files, actor=SYSTEM)
    start = {"rounds": 0}
    instance = engine.start_instance("p", start, actor=admin)
    raw = raw_workflow(files, start)
    for step in range(40):
        if cold:
            forget_workflows(engine)
        ours, theirs = engine_ready(engine, admin, instance.id), raw_ready(raw)
        assert [r[:2] for r in ours] == [r[:2] for r in theirs], f"step {step}"
        if not ours:
            break
        (bpmn_id, data, task_id), spiff_task = ours[0], theirs[0][2]
        sent = submission(step, bpmn_id, data)
        info = engine.complete_task(task_id, sent, actor=admin)
        spiff_task.data.update(sent)
        spiff_task.run()
        raw.do_engine_steps()
    assert raw.is_completed() and info.status is InstanceStatus.COMPLETED
    assert info.data == plain(_visible(raw.last_task.data))
    assert archived_count(engine, instance.id) > 0


def archived_count(engine: Engine, instance_id: int) -> int:
    with engine.sessions() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(ArchivedTask)
                .where(ArchivedTask.instance_id == instance_id)
            )
            or 0
        )


def test_parallel_fork_and_join_inside_a_loop_waits_for_both_branches_each_round(
    engine: Engine, actor: Callable[[str], Actor]
) -> None:
    # Raw SpiffWorkflow 3.2.0 fires this join early from the second round on (it counts
    # the cancelled join task of an earlier round) and then fails; old rounds are gone.
    admin = actor("admin")
    engine.deploy({"p.bpmn": PARALLEL_LOOP}, actor=SYSTEM)
    instance = engine.start_instance("p", {}, actor=admin)
    for round_ in range(3):
        order = ["left", "right"] if round_ % 2 else ["right", "left"]
        for done, branch in enumerate(order):
            ready = {r[0]: r for r in engine_ready(engine, admin, instance.id)}
            assert sorted(ready) == sorted(order[done:]), (round_, sorted(ready))
            engine.complete_task(
                ready[branch][2], submission(0, branch, {}), actor=admin
            )
        (decide,) = engine_ready(engine, admin, instance.id)
        assert decide[0] == "decide"
        step = 0 if round_ < 2 else ROUNDS * 3
        info = engine.complete_task(
            decide[2], submission(step, "decide", {}), actor=admin
        )
    assert info.status is InstanceStatus.COMPLETED


def test_state_survives_restart_and_records_the_serializer_version(
    engine: Engine, actor: Callable[[str], Actor]
) -> None:
    admin = actor("admin")
    engine.deploy({"p.bpmn": SUBPROCESS}, actor=SYSTEM)
    instance = engine.start_instance("p", {"rounds": 0}, actor=admin)
    for step in range(5):
        forget_workflows(engine)
        task = engine_ready(engine, admin, instance.id)[0]
        engine.complete_task(task[2], submission(step, task[0], task[1]), actor=admin)
    with engine.sessions() as session:
        row = session.get(ProcessInstance, instance.id)
        assert row is not None and row.serializer_version == SERIALIZER_VERSION
        assert row.serializer_version.endswith("spiff-1.5") and row.state_token
    forget_workflows(engine)
    assert engine.get_instance(instance.id, actor=admin).data["rounds"] == 3


def test_state_written_in_the_first_format_still_loads_and_is_rewritten(
    engine: Engine, actor: Callable[[str], Actor]
) -> None:
    admin = actor("admin")
    engine.deploy({"p.bpmn": SUBPROCESS}, actor=SYSTEM)
    instance = engine.start_instance("p", {"rounds": 0}, actor=admin)
    raw = raw_workflow({"p.bpmn": SUBPROCESS}, {"rounds": 0})
    task = raw.get_tasks(state=TaskState.READY, manual=True)[0]
    with engine.sessions.begin() as session:  # what the first engine version wrote
        session.execute(
            text("UPDATE human_task SET id = :new WHERE instance_id = :i"),
            {"new": str(task.id), "i": instance.id},
        )
        row = session.get(ProcessInstance, instance.id)
        assert row is not None
        row.state = FORMAT_1.serialize_json(raw)
        row.serializer_version, row.state_token = "signoff-1/spiff-1.5", None
    forget_workflows(engine)
    engine.complete_task(task.id, REQUEST, actor=admin)
    assert [r[0] for r in engine_ready(engine, admin, instance.id)] == ["decide"]
    with engine.sessions() as session:
        row = session.get(ProcessInstance, instance.id)
        assert row is not None and row.serializer_version == SERIALIZER_VERSION


def test_archived_steps_still_show_in_the_diagram_and_the_task_view(
    engine: Engine, actor: Callable[[str], Actor]
) -> None:
    admin = actor("admin")
    engine.deploy({"p.bpmn": SUBPROCESS}, actor=SYSTEM)
    instance = engine.start_instance("p", {"rounds": 0}, actor=admin)
    first = engine_ready(engine, admin, instance.id)[0]
    engine.complete_task(first[2], {**REQUEST, "item": "first"}, actor=admin)
    for step in range(1, 6):
        task = engine_ready(engine, admin, instance.id)[0]
        engine.complete_task(task[2], submission(step, task[0], task[1]), actor=admin)
    forget_workflows(engine)
    diagram = engine.instance_diagram(instance.id, actor=admin)
    assert {"inner", "decide", "merge", "count", "start"} <= set(diagram.completed)
    old = engine.get_task(first[2], actor=admin)
    assert old.data["item"] == "first" and old.task.state.value == "completed"


def test_a_save_by_another_process_is_never_replaced_by_a_stale_workflow(
    engine: Engine, actor: Callable[[str], Actor]
) -> None:
    admin = actor("admin")
    engine.deploy({"p.bpmn": SUBPROCESS}, actor=SYSTEM)
    instance = engine.start_instance("p", {"rounds": 0}, actor=admin)
    url = engine.sessions.kw["bind"].url.render_as_string(hide_password=False)
    other = Engine(make_sessionmaker(url), forms_dir=engine._forms_dir)  # own memory
    try:
        for step, who in enumerate([engine, other, engine, other, engine]):
            task = engine_ready(who, admin, instance.id)[0]
            who.complete_task(task[2], submission(step, task[0], task[1]), actor=admin)
        final = engine.get_instance(instance.id, actor=admin)
        assert final.data["rounds"] == 3 and final.status is InstanceStatus.RUNNING
    finally:
        other.close()
