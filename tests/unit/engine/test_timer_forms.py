"""Every timer form (date, duration, cycle) fires on time at start, intermediate and
boundary events, with nobody using the UI: only the clock moves and a worker runs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import time_machine
from deadlinekit import with_config
from modelkit import process, user_task

from engine import Engine
from engine.records import SYSTEM

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def deadlines(engine: Engine) -> Any:
    """An engine with the deadline methods, on the test's database."""
    return with_config(engine)


def timer(kind: str, expression: str) -> str:
    return (
        f"<bpmn:timerEventDefinition><bpmn:{kind}>{expression}</bpmn:{kind}>"
        "</bpmn:timerEventDefinition>"
    )


def flows(*pairs: tuple[str, str]) -> str:
    return "".join(
        f'<bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}"/>'
        for i, (a, b) in enumerate(pairs)
    )


def waiting(engine: Any, instance_id: int) -> list[str]:
    return sorted(
        s.bpmn_id for s in engine.get_instance(instance_id, actor=SYSTEM).steps
    )


def run_worker_at(engine: Any, when: datetime) -> int:
    with time_machine.travel(when, tick=False):
        return int(engine.fire_due_timers() + engine.run_due_jobs())


@pytest.mark.parametrize(
    "kind, expression",
    [
        ("timeDuration", '"PT2H"'),
        ("timeDate", '"2026-03-02T19:00:00+08:00"'),
        ("timeDuration", "wait_for"),
    ],
)
def test_intermediate_timer_waits_then_moves_on(
    deadlines: Any, kind: str, expression: str
) -> None:
    body = (
        '<bpmn:startEvent id="start"/><bpmn:intermediateCatchEvent id="cool_off">'
        + timer(kind, expression)
        + "</bpmn:intermediateCatchEvent>"
        + user_task("follow_up")
        + '<bpmn:endEvent id="end"/>'
        + flows(("start", "cool_off"), ("cool_off", "follow_up"), ("follow_up", "end"))
    )
    deadlines.deploy({"p.bpmn": process(body)}, actor=SYSTEM)
    with time_machine.travel(T0, tick=False):
        instance = deadlines.start_instance("p", {"wait_for": "PT2H"}, actor=SYSTEM)
    [row] = deadlines.list_timers(instance_id=instance.id)
    assert (row.bpmn_id, row.kind, row.due_at) == (
        "cool_off",
        "intermediate",
        T0 + timedelta(hours=2),
    )
    assert run_worker_at(deadlines, T0 + timedelta(hours=2)) == 0  # not yet past
    assert waiting(deadlines, instance.id) == []
    assert run_worker_at(deadlines, T0 + timedelta(hours=2, microseconds=1)) == 1
    assert waiting(deadlines, instance.id) == ["follow_up"]


def test_non_interrupting_cycle_boundary_timer_repeats_the_given_number_of_times(
    deadlines: Any,
) -> None:
    nag = (
        '<bpmn:boundaryEvent id="nag_hourly" attachedToRef="answer_customer" '
        'cancelActivity="false">'
        + timer("timeCycle", '"R2/PT1H"')
        + "</bpmn:boundaryEvent>"
    )
    body = (
        '<bpmn:startEvent id="start"/>'
        + user_task("answer_customer")
        + nag
        + user_task("chase_customer")
        + '<bpmn:endEvent id="end"/><bpmn:endEvent id="end_chase"/>'
        + flows(
            ("start", "answer_customer"),
            ("answer_customer", "end"),
            ("nag_hourly", "chase_customer"),
            ("chase_customer", "end_chase"),
        )
    )
    deadlines.deploy({"p.bpmn": process(body)}, actor=SYSTEM)
    with time_machine.travel(T0, tick=False):
        instance = deadlines.start_instance("p", {}, actor=SYSTEM)
    chases = []
    for hour in (1, 2, 3, 4):
        run_worker_at(deadlines, T0 + timedelta(hours=hour, seconds=1))
        chases.append(waiting(deadlines, instance.id).count("chase_customer"))
    assert chases == [1, 2, 2, 2]
    fired = [
        e
        for e in deadlines.history(instance.id, actor=SYSTEM)
        if e.event_type == "timer_fired"
    ]
    assert len(fired) == 2 and deadlines.list_timers(instance_id=instance.id) == []


@pytest.mark.parametrize(
    "kind, expression, first",
    [
        (
            "timeDate",
            '"2026-03-05T08:00:00+08:00"',
            datetime(2026, 3, 5, 0, 0, 5, tzinfo=timezone.utc),
        ),
        ("timeDuration", '"P1D"', T0 + timedelta(days=1, seconds=5)),
    ],
)
def test_one_off_timer_start_event_starts_exactly_one_instance(
    deadlines: Any, kind: str, expression: str, first: datetime
) -> None:
    body = (
        '<bpmn:startEvent id="go">'
        + timer(kind, expression)
        + "</bpmn:startEvent>"
        + user_task("do_it")
        + '<bpmn:endEvent id="end"/>'
        + flows(("go", "do_it"), ("do_it", "end"))
    )
    with time_machine.travel(T0, tick=False):
        deadlines.deploy({"p.bpmn": process(body)}, actor=SYSTEM)
    assert run_worker_at(deadlines, first - timedelta(seconds=10)) == 0
    assert run_worker_at(deadlines, first) == 1
    assert run_worker_at(deadlines, first + timedelta(days=40)) == 0
    [instance] = deadlines.list_instances(actor=SYSTEM)
    assert waiting(deadlines, instance.id) == ["do_it"]
