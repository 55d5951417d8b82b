"""Timers fire when the clock says so: boundary, intermediate and timer start events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import time_machine
from modelkit import process, user_task

from engine import Actor, Engine
from engine.records import SYSTEM, InstanceStatus

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def boundary_model(interrupting: bool) -> bytes:
    cancel = "true" if interrupting else "false"
    return process(
        '<bpmn:startEvent id="start"/>' + user_task("answer_customer")
        + f'<bpmn:boundaryEvent id="answer_overdue" attachedToRef="answer_customer" '
        f'cancelActivity="{cancel}"><bpmn:timerEventDefinition><bpmn:timeDuration>'
        '"P2D"</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>'
        + user_task("escalate_to_manager", "manager_review")
        + '<bpmn:endEvent id="end"/><bpmn:endEvent id="end_escalated"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="answer_customer"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="answer_customer" targetRef="end"/>'
        '<bpmn:sequenceFlow id="f3" sourceRef="answer_overdue" targetRef="escalate_to_manager"/>'
        '<bpmn:sequenceFlow id="f4" sourceRef="escalate_to_manager" targetRef="end_escalated"/>')


def bpmn_ids(engine: Engine, who: Actor, instance_id: int) -> list[str]:
    return sorted(t.bpmn_id for t in engine.inbox(who) if t.instance_id == instance_id)


def test_interrupting_boundary_timer_escalates_when_clock_passes_due_time(
        engine: Engine, actor: Callable[[str], Actor]) -> None:
    engine.deploy({"p.bpmn": boundary_model(True)}, actor=SYSTEM)
    admin = actor("admin")
    with time_machine.travel(T0, tick=False):
        instance = engine.start_instance("p", {}, actor=admin)
        [task] = engine.inbox(admin)
        assert task.due_at == T0 + timedelta(days=2)
        [timer] = engine.list_timers(instance_id=instance.id)
        assert (timer.bpmn_id, timer.due_at, timer.kind) == ("answer_overdue",
                                                             T0 + timedelta(days=2), "boundary")
        assert engine.fire_due_timers() == 0
    with time_machine.travel(T0 + timedelta(days=2, seconds=1), tick=False):
        assert engine.fire_due_timers() == 1
        assert bpmn_ids(engine, admin, instance.id) == ["escalate_to_manager"]
        assert engine.list_timers(instance_id=instance.id) == []
    events = [e.event_type for e in engine.history(instance.id, actor=SYSTEM)]
    assert "timer_fired" in events and "task_cancelled" in events


def test_non_interrupting_boundary_timer_keeps_the_task_open(
        engine: Engine, actor: Callable[[str], Actor]) -> None:
    engine.deploy({"p.bpmn": boundary_model(False)}, actor=SYSTEM)
    admin = actor("admin")
    with time_machine.travel(T0, tick=False):
        instance = engine.start_instance("p", {}, actor=admin)
    with time_machine.travel(T0 + timedelta(days=3), tick=False):
        engine.fire_due_timers()
        assert bpmn_ids(engine, admin, instance.id) == ["answer_customer",
                                                        "escalate_to_manager"]


def test_completing_task_before_due_time_removes_its_timer(
        engine: Engine, actor: Callable[[str], Actor]) -> None:
    engine.deploy({"p.bpmn": boundary_model(True)}, actor=SYSTEM)
    admin = actor("admin")
    with time_machine.travel(T0, tick=False):
        instance = engine.start_instance("p", {}, actor=admin)
        [task] = engine.inbox(admin)
        done = engine.complete_task(task.id, {"item": "x", "amount": "1.00"}, actor=admin)
    assert done.status is InstanceStatus.COMPLETED
    assert engine.list_timers(instance_id=instance.id) == []
    with time_machine.travel(T0 + timedelta(days=5), tick=False):
        assert engine.fire_due_timers() == 0


MONTHLY = process(
    '<bpmn:startEvent id="monthly_start"><bpmn:timerEventDefinition><bpmn:timeCycle>'
    '"R/2026-01-01T00:00:00+00:00/P1M"</bpmn:timeCycle></bpmn:timerEventDefinition>'
    "</bpmn:startEvent>" + user_task("import_transactions")
    + '<bpmn:endEvent id="end"/>'
    '<bpmn:sequenceFlow id="f1" sourceRef="monthly_start" targetRef="import_transactions"/>'
    '<bpmn:sequenceFlow id="f2" sourceRef="import_transactions" targetRef="end"/>',
    process_id="monthly")


def test_timer_start_event_starts_one_instance_per_occurrence(
        engine: Engine, actor: Callable[[str], Actor]) -> None:
    admin = actor("admin")
    with time_machine.travel(datetime(2026, 1, 15, tzinfo=timezone.utc), tick=False):
        engine.deploy({"monthly.bpmn": MONTHLY}, actor=SYSTEM)
        assert engine.fire_due_timers() == 0
    with time_machine.travel(datetime(2026, 2, 1, 0, 0, 5, tzinfo=timezone.utc), tick=False):
        assert engine.fire_due_timers() == 1
        assert engine.fire_due_timers() == 0
    started = engine.list_instances(actor=SYSTEM)
    assert [i.business_key for i in started] == ["monthly@2026-02-01"]
    assert [t.bpmn_id for t in engine.inbox(admin)] == ["import_transactions"]
    # The engine was down for two months: one instance, not one per missed month.
    with time_machine.travel(datetime(2026, 4, 20, tzinfo=timezone.utc), tick=False):
        assert engine.fire_due_timers() == 1
    with time_machine.travel(datetime(2026, 4, 30, tzinfo=timezone.utc), tick=False):
        assert engine.fire_due_timers() == 0
    with time_machine.travel(datetime(2026, 5, 1, 0, 1, tzinfo=timezone.utc), tick=False):
        assert engine.fire_due_timers() == 1
    assert len(engine.list_instances(actor=SYSTEM)) == 3


def test_process_with_timer_start_can_also_be_started_by_hand(
        engine: Engine, actor: Callable[[str], Actor]) -> None:
    engine.deploy({"monthly.bpmn": MONTHLY}, actor=SYSTEM)
    instance = engine.start_instance("monthly", {"month": "2026-10"}, actor=actor("admin"))
    assert [s.bpmn_id for s in instance.steps] == ["import_transactions"]
