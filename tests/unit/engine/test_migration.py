"""Moving running instances between process versions (engine/migration.py)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from modelkit import chain, end_event, flows, process, script_task, user_task

from engine import Engine, InstanceStatus, Outcome, ScriptFailed
from engine.records import SYSTEM

REQUEST = {"item": "laptop", "amount": "1200.50"}
V1 = process(user_task("fill_in") + user_task("review") + chain("fill_in", "review"))
V2_ADDS_STEP = process(
    user_task("fill_in")
    + user_task("review", extra="")
    + script_task("tally", "total = 1")
    + chain("fill_in", "review", "tally")
)
V3_DROPS_REVIEW = process(user_task("fill_in") + chain("fill_in"))
V4_RENAMES_FILL_IN = process(
    user_task("fill_out") + user_task("review") + chain("fill_out", "review")
)
V5_DROPS_FILL_IN = process(user_task("review") + chain("review"))
FAILING = process(
    script_task("divide", "share = 100 / parts")
    + user_task("fill_in")
    + chain("fill_in", "divide")
)
FIXED = process(
    script_task("divide", "share = 100 / (parts or 1)")
    + user_task("fill_in")
    + chain("fill_in", "divide")
)


@pytest.fixture
def admin_engine(engine: Engine) -> Any:
    return engine


def deploy(engine: Any, body: bytes) -> None:
    engine.deploy({"p.bpmn": body}, actor=SYSTEM)


def ready_ids(engine: Any) -> list[str]:
    return [t.bpmn_id for t in engine.inbox(SYSTEM)]


def test_migrate_moves_waiting_instance_and_keeps_its_task(
    admin_engine: Any,
) -> None:
    deploy(admin_engine, V1)
    started = admin_engine.start_instance("p", {}, actor=SYSTEM)
    [task] = admin_engine.inbox(SYSTEM)
    deploy(admin_engine, V2_ADDS_STEP)
    [result] = admin_engine.migrate_instances([started.id], 2, actor=SYSTEM)
    assert result.migrated and (result.from_version, result.to_version) == (1, 2)
    [same] = admin_engine.inbox(SYSTEM)
    assert same.id == task.id
    admin_engine.complete_task(task.id, REQUEST, actor=SYSTEM)
    [review] = admin_engine.inbox(SYSTEM)
    done = admin_engine.complete_task(review.id, REQUEST, actor=SYSTEM)
    assert done.status is InstanceStatus.COMPLETED and done.version == 2
    assert done.data["total"] == 1  # the step only version 2 has ran


def test_migrate_refuses_when_the_active_element_is_gone(
    admin_engine: Any,
) -> None:
    deploy(admin_engine, V1)
    started = admin_engine.start_instance("p", {}, actor=SYSTEM)
    [task] = admin_engine.inbox(SYSTEM)
    admin_engine.complete_task(task.id, REQUEST, actor=SYSTEM)
    deploy(admin_engine, V3_DROPS_REVIEW)
    [result] = admin_engine.migrate_instances([started.id], 2, actor=SYSTEM)
    assert not result.migrated
    assert [(b.bpmn_id, b.state) for b in result.blockers] == [("review", "active")]
    assert "does not have" in result.blockers[0].reason
    info = admin_engine.get_instance(started.id, actor=SYSTEM)
    assert info.version == 1 and ready_ids(admin_engine) == ["review"]


def test_migrate_refuses_when_a_passed_element_is_gone(admin_engine: Any) -> None:
    deploy(admin_engine, V1)
    started = admin_engine.start_instance("p", {}, actor=SYSTEM)
    [task] = admin_engine.inbox(SYSTEM)
    admin_engine.complete_task(task.id, REQUEST, actor=SYSTEM)
    deploy(admin_engine, V5_DROPS_FILL_IN)
    [result] = admin_engine.migrate_instances([started.id], 2, actor=SYSTEM)
    assert ("fill_in", "completed") in [(b.bpmn_id, b.state) for b in result.blockers]
    assert "history" in result.blockers[0].reason


def test_migrate_aligns_a_renamed_passed_element_by_its_place(
    admin_engine: Any,
) -> None:
    deploy(admin_engine, V1)
    started = admin_engine.start_instance("p", {}, actor=SYSTEM)
    [task] = admin_engine.inbox(SYSTEM)
    admin_engine.complete_task(task.id, REQUEST, actor=SYSTEM)
    deploy(admin_engine, V4_RENAMES_FILL_IN)
    [result] = admin_engine.migrate_instances([started.id], 2, actor=SYSTEM)
    assert result.migrated and ready_ids(admin_engine) == ["review"]
    diagram = admin_engine.instance_diagram(started.id, actor=SYSTEM)
    assert "fill_out" in diagram.completed


def test_dry_run_reports_without_changing_anything(admin_engine: Any) -> None:
    deploy(admin_engine, V1)
    started = admin_engine.start_instance("p", {}, actor=SYSTEM)
    deploy(admin_engine, V2_ADDS_STEP)
    [result] = admin_engine.migrate_instances(
        [started.id], 2, actor=SYSTEM, dry_run=True
    )
    assert not result.migrated and not result.blockers and not result.message
    info = admin_engine.get_instance(started.id, actor=SYSTEM)
    assert info.version == 1


def test_migration_is_audited_with_both_versions(admin_engine: Any) -> None:
    deploy(admin_engine, V1)
    started = admin_engine.start_instance("p", {}, actor=SYSTEM)
    deploy(admin_engine, V2_ADDS_STEP)
    admin_engine.migrate_instances([started.id], 2, actor=SYSTEM)
    events = admin_engine.history(started.id, actor=SYSTEM)
    [moved] = [e for e in events if e.event_type == "instance_migrated"]
    assert moved.actor == SYSTEM.username
    assert moved.payload == {"from_version": 1, "to_version": 2}


def test_migrate_mixed_batch_moves_only_the_instances_that_can(
    admin_engine: Any,
) -> None:
    deploy(admin_engine, V1)
    waiting = admin_engine.start_instance("p", {}, actor=SYSTEM)
    passed = admin_engine.start_instance("p", {}, actor=SYSTEM)
    task = next(t for t in admin_engine.inbox(SYSTEM) if t.instance_id == passed.id)
    admin_engine.complete_task(task.id, REQUEST, actor=SYSTEM)
    deploy(admin_engine, V3_DROPS_REVIEW)
    results = admin_engine.migrate_instances([passed.id, waiting.id], 2, actor=SYSTEM)
    assert {r.instance_id: r.migrated for r in results} == {
        waiting.id: True,
        passed.id: False,
    }


def test_migrate_refuses_finished_instance_and_same_version(
    admin_engine: Any,
) -> None:
    deploy(admin_engine, V3_DROPS_REVIEW)
    started = admin_engine.start_instance("p", {}, actor=SYSTEM)
    [result] = admin_engine.migrate_instances([started.id], 1, actor=SYSTEM)
    assert not result.migrated and "already runs" in result.message
    [task] = admin_engine.inbox(SYSTEM)
    admin_engine.complete_task(task.id, REQUEST, actor=SYSTEM)
    deploy(admin_engine, V1)
    [result] = admin_engine.migrate_instances([started.id], 2, actor=SYSTEM)
    assert not result.migrated and "completed" in result.message


def test_errored_instance_moves_to_fixed_version_and_retry_succeeds(
    admin_engine: Any,
) -> None:
    deploy(admin_engine, FAILING)
    started = admin_engine.start_instance("p", {"parts": 0}, actor=SYSTEM)
    [task] = admin_engine.inbox(SYSTEM)
    with pytest.raises(ScriptFailed):
        admin_engine.complete_task(task.id, REQUEST, actor=SYSTEM)
    deploy(admin_engine, FIXED)
    [result] = admin_engine.migrate_instances([started.id], 2, actor=SYSTEM)
    assert result.migrated
    fixed = admin_engine.retry_instance(started.id, actor=SYSTEM)
    assert fixed.status is InstanceStatus.COMPLETED and fixed.data["share"] == 100


TIMED = process(
    user_task("fill_in") + '<bpmn:boundaryEvent id="late" attachedToRef="fill_in">'
    '<bpmn:timerEventDefinition><bpmn:timeDuration>"P2D"</bpmn:timeDuration>'
    "</bpmn:timerEventDefinition></bpmn:boundaryEvent>"
    '<bpmn:endEvent id="gave_up"/>'
    '<bpmn:sequenceFlow id="f_late" sourceRef="late" targetRef="gave_up"/>'
    + chain("fill_in")
)
TIMED_RENAMED = TIMED.replace(b'name="fill_in"', b'name="Fill in, please"')


def test_migrate_keeps_the_due_time_of_an_unchanged_timer(
    admin_engine: Any,
) -> None:
    deploy(admin_engine, TIMED)
    started = admin_engine.start_instance("p", {}, actor=SYSTEM)
    [before] = admin_engine.list_timers(instance_id=started.id)
    deploy(admin_engine, TIMED_RENAMED)
    time.sleep(0.01)  # a timer started again would come due later than the first
    [result] = admin_engine.migrate_instances([started.id], 2, actor=SYSTEM)
    assert result.migrated
    [after] = admin_engine.list_timers(instance_id=started.id)
    assert after.due_at == before.due_at
    [task] = admin_engine.inbox(SYSTEM)
    assert task.title == "Fill in, please"


CHILD = process(user_task("inner") + chain("inner"), process_id="c")
PARENT = process('<bpmn:callActivity id="call" calledElement="c"/>' + chain("call"))


def test_migrate_moves_an_instance_waiting_inside_a_called_process(
    admin_engine: Any,
) -> None:
    admin_engine.deploy({"c.bpmn": CHILD, "p.bpmn": PARENT}, actor=SYSTEM)
    started = admin_engine.start_instance("p", {}, actor=SYSTEM)
    [task] = [t for t in admin_engine.inbox(SYSTEM) if t.instance_id == started.id]
    renamed = CHILD.replace(b'name="inner"', b'name="Inner step"')
    admin_engine.deploy({"c.bpmn": renamed}, actor=SYSTEM)
    [result] = admin_engine.migrate_instances([started.id], 2, actor=SYSTEM)
    assert result.migrated
    [same] = [t for t in admin_engine.inbox(SYSTEM) if t.instance_id == started.id]
    assert same.id == task.id and same.title == "Inner step"
    done = admin_engine.complete_task(task.id, REQUEST, actor=SYSTEM)
    assert done.status is InstanceStatus.COMPLETED


def test_migrate_refuses_when_the_called_process_is_gone(admin_engine: Any) -> None:
    admin_engine.deploy({"c.bpmn": CHILD, "p.bpmn": PARENT}, actor=SYSTEM)
    started = admin_engine.start_instance("p", {}, actor=SYSTEM)
    admin_engine.deploy({"p.bpmn": V1}, actor=SYSTEM)
    [result] = admin_engine.migrate_instances([started.id], 2, actor=SYSTEM)
    assert not result.migrated
    assert ("call", "active") in [(b.bpmn_id, b.state) for b in result.blockers]


def waiting(duration: str) -> bytes:
    """Wait on a timer, then end at an end event naming the outcome "approved"."""
    return process(
        '<bpmn:startEvent id="start"/>'
        '<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition>'
        f'<bpmn:timeDuration>"{duration}"</bpmn:timeDuration>'
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
        + end_event("end", outcome="approved")
        + flows(("start", "wait"), ("wait", "end"))
    )


def test_migration_that_finishes_an_instance_records_one_completion_with_outcome(
    admin_engine: Any,
) -> None:
    deploy(admin_engine, waiting("P30D"))
    started = admin_engine.start_instance("p", {}, actor=SYSTEM)
    deploy(admin_engine, waiting("PT0S"))  # the new version's wait is over at once
    [result] = admin_engine.migrate_instances([started.id], 2, actor=SYSTEM)
    assert result.migrated
    info = admin_engine.get_instance(started.id, actor=SYSTEM)
    assert info.status is InstanceStatus.COMPLETED and info.outcome is Outcome.APPROVED
    events = admin_engine.history(started.id, actor=SYSTEM)
    kinds = [e.event_type for e in events]
    assert kinds.count("instance_completed") == 1
    assert kinds.index("instance_migrated") < kinds.index("instance_completed")
    [done] = [e for e in events if e.event_type == "instance_completed"]
    assert done.payload["outcome"] == "approved" and done.bpmn_id == "end"
