"""Human tasks get a due time, a reminder before it, the modelled escalation after."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from deadlinekit import BASE_CONFIG, with_config
from modelkit import process

from engine import DefinitionInvalid, Engine, support
from engine.records import SYSTEM

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)  # a Monday
LANES = (
    '<bpmn:laneSet id="lanes"><bpmn:lane id="lane_supervisor" name="supervisor">'
    "<bpmn:flowNodeRef>review_request</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>"
)


def review_model(**properties: str) -> dict[str, bytes]:
    props = "".join(
        f'<spiffworkflow:property name="{k}" value="{v}"/>'
        for k, v in properties.items()
    )
    body = (
        '<bpmn:startEvent id="start"/><bpmn:userTask id="review_request" name="审核申请">'
        "<bpmn:extensionElements><spiffworkflow:properties>"
        '<spiffworkflow:property name="formJsonSchemaFilename" '
        'value="supervisor_review.json"/><spiffworkflow:property name="name_en" '
        f'value="Review the request"/>{props}</spiffworkflow:properties>'
        '</bpmn:extensionElements></bpmn:userTask><bpmn:endEvent id="end"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review_request"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="review_request" targetRef="end"/>'
    )
    return {"p.bpmn": process(body, lanes=LANES)}


def start_at(engine: Any, when: datetime, **properties: str) -> Any:
    engine.deploy(review_model(**properties), actor=SYSTEM)
    with time_machine.travel(when, tick=False):
        return engine.start_instance("p", {"review_period": "P2D"}, actor=SYSTEM)


def due_of(engine: Any) -> datetime:
    [task] = engine.inbox(engine.get_actor("li.na"))
    assert task.due_at is not None
    return task.due_at.astimezone(SHANGHAI)


@pytest.mark.parametrize(
    "started, expected",
    [
        (
            datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI),
            datetime(2026, 3, 12, 23, 59, 59),
        ),
        (
            datetime(2026, 3, 13, 10, 0, tzinfo=SHANGHAI),
            datetime(2026, 4, 12, 23, 59, 59),
        ),
    ],
)
def test_due_by_day_of_month_is_the_next_such_day_in_office_time(
    engine: Engine, started: datetime, expected: datetime
) -> None:
    deadlines = with_config(engine)
    start_at(deadlines, started, dueBy="day 12 of the month")
    assert due_of(deadlines) == expected.replace(tzinfo=SHANGHAI)


@pytest.mark.parametrize("properties", [{"dueIn": "P3WD"}, {"dueInWorkingDays": "3"}])
def test_working_day_due_time_skips_weekends_and_holidays(
    engine: Engine, properties: dict[str, str]
) -> None:
    config = replace(BASE_CONFIG, holidays=frozenset({date(2026, 3, 4)}))
    deadlines = with_config(engine, config)
    start_at(deadlines, datetime(2026, 3, 3, 16, 0, tzinfo=SHANGHAI), **properties)
    # Wednesday is a holiday: Thursday, Friday, then Monday after the weekend.
    assert due_of(deadlines) == datetime(2026, 3, 9, 23, 59, 59, tzinfo=SHANGHAI)


def test_reminder_reaches_the_group_once_before_the_due_time(engine: Engine) -> None:
    deadlines = with_config(engine)
    instance = start_at(
        deadlines, T0, dueInVariable="review_period", remindBefore="PT6H"
    )
    supervisor = engine.get_actor("li.na")
    with time_machine.travel(T0 + timedelta(days=1, hours=17), tick=False):
        deadlines.run_due_jobs()
        assert deadlines.unread_count(supervisor) == 1  # only "new task" so far
    with time_machine.travel(T0 + timedelta(days=1, hours=18), tick=False):
        assert deadlines.run_due_jobs() == 1
        assert deadlines.run_due_jobs() == 0
    kinds = [n.kind for n in deadlines.list_notifications(supervisor)]
    assert kinds == ["task_reminder", "task_created"]
    reminder = deadlines.list_notifications(supervisor)[0]
    assert (
        reminder.title == "任务即将到期：审核申请"
        and "截止时间：2026-03-04 17:00" in (reminder.body)
    )
    [event] = [
        e
        for e in deadlines.history(instance.id, actor=SYSTEM)
        if e.event_type == "task_reminded"
    ]
    assert event.payload["to"] == ["li.na"]


def test_breach_tells_the_holders_and_notifies_the_modelled_group(
    engine: Engine,
) -> None:
    deadlines = with_config(engine)
    instance = start_at(
        deadlines, T0, dueIn="P1D", escalation="notify:department_manager"
    )
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        deadlines.run_due_jobs()
    overdue = deadlines.list_notifications(engine.get_actor("li.na"), unread_only=True)
    assert [n.kind for n in overdue][0] == "task_overdue"
    [escalated] = deadlines.list_notifications(engine.get_actor("wang.fang"))
    assert escalated.kind == "task_escalated" and escalated.instance_id == instance.id
    [event] = [
        e
        for e in deadlines.history(instance.id, actor=SYSTEM)
        if e.event_type == "task_escalated"
    ]
    assert (event.payload["action"], event.payload["to"]) == ("notify", ["wang.fang"])


def test_breach_reassigns_the_task_to_the_modelled_group(engine: Engine) -> None:
    deadlines = with_config(engine)
    instance = start_at(
        deadlines, T0, dueIn="PT4H", escalation="reassign:department_manager"
    )
    [task] = deadlines.inbox(engine.get_actor("li.na"))
    deadlines.claim_task(task.id, actor=engine.get_actor("li.na"))
    with time_machine.travel(T0 + timedelta(hours=4, minutes=1), tick=False):
        deadlines.run_due_jobs()
    assert deadlines.inbox(engine.get_actor("li.na")) == []
    [moved] = deadlines.inbox(engine.get_actor("wang.fang"))
    assert (moved.lane, moved.assignee) == ("department_manager", None)
    [event] = [
        e
        for e in deadlines.history(instance.id, actor=SYSTEM)
        if e.event_type == "task_escalated"
    ]
    assert event.payload["from"] == {"lane": "supervisor", "assignee": "li.na"}


def test_task_done_in_time_is_neither_reminded_nor_escalated(engine: Engine) -> None:
    deadlines = with_config(engine)
    instance = start_at(deadlines, T0, dueIn="P2D", escalation="notify:director")
    supervisor = engine.get_actor("li.na")
    [task] = deadlines.inbox(supervisor)
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        deadlines.complete_task(
            task.id, {"supervisor_decision": "approve"}, actor=supervisor
        )
    with time_machine.travel(T0 + timedelta(days=3), tick=False):
        assert deadlines.run_due_jobs() == 2  # both jobs run and find nothing to do
    events = [e.event_type for e in deadlines.history(instance.id, actor=SYSTEM)]
    assert "task_reminded" not in events and "task_escalated" not in events
    assert deadlines.list_notifications(engine.get_actor("liu.yang")) == []


@pytest.mark.parametrize(
    "properties, problem",
    [
        ({"dueIn": "three days"}, "dueIn='three days'"),
        ({"dueBy": "day 40 of the month"}, "dueBy"),
        ({"escalation": "shout:director"}, "notify:<group> or reassign:<group>"),
        ({"assignTo": "boss"}, "use 'starter'"),
        ({"subject": "{{ station_name"}, "with {{ variable }} placeholders"),
        ({"assignToVariable": "station maintainer"},
         "property assignToVariable='station maintainer': name the variable, or a "
         "dict key after a dot"),
        ({"assignTo": "starter", "assignToVariable": "station.maintainer_account"},
         "properties assignTo and assignToVariable both name who gets the task: "
         "keep one"),
        ({"visibleData": "month, station..id"},
         "property visibleData='month, station..id': list the variables or dict keys"),
        ({"visibleSteps": "confirm station"},
         "property visibleSteps='confirm station': list the ids of the earlier steps"),
        ({"aboutVariable": "station id"},
         "property aboutVariable='station id': name the variable"),
    ],
)
def test_malformed_task_properties_are_refused_at_deploy(
    engine: Engine, properties: dict[str, str], problem: str
) -> None:
    with pytest.raises(
        DefinitionInvalid, match=problem.replace("<", ".").replace(">", ".")
    ):
        engine.deploy(review_model(**properties), actor=SYSTEM)


@pytest.mark.parametrize(
    "name, good, bad",
    [
        ("dueIn", "P3WD", "three days"),
        ("dueInWorkingDays", "3", "0"),
        ("dueBy", "day 12 of the month 17:00", "day 40 of the month"),
        ("remindBefore", "P1D", "tomorrow"),
        ("escalation", "reassign:director", "shout:director"),
        ("priority", "10", "high"),
        ("assignTo", "starter", "boss"),
        ("subject", "{{ customer_name }}（{{ amount }}）", "{{ customer_name"),
    ],
)
def test_the_panels_property_check_is_the_deploys_own(
    engine: Engine, name: str, good: str, bad: str
) -> None:
    assert support.property_problem(name, good) is None
    hint = support.property_problem(name, bad)
    with pytest.raises(DefinitionInvalid) as caught:
        engine.deploy(review_model(**{name: bad}), actor=SYSTEM)
    assert caught.value.reason == f"property {name}={bad!r}: {hint}"
    assert caught.value.property_name == name
    engine.deploy(review_model(**{name: good}), actor=SYSTEM)


def test_properties_the_deploy_does_not_check_pass_the_panels_check() -> None:
    assert support.property_problem("smsOutbox", "not checked") is None
    assert support.property_problem("dueInVariable", "not checked") is None


@pytest.mark.parametrize("bad", ["high", "-1", "101", "2.5", "+5", "³"])
def test_a_priority_that_is_not_a_whole_number_from_0_to_100_is_refused_at_deploy(
    engine: Engine, bad: str
) -> None:
    with pytest.raises(DefinitionInvalid) as caught:
        engine.deploy(review_model(priority=bad), actor=SYSTEM)
    assert caught.value.reason == (
        f"property priority={bad!r}: use a whole number from 0 to 100 (higher comes "
        "first)"
    )
    assert caught.value.property_name == "priority"


@pytest.mark.parametrize("good", ["0", "100"])
def test_a_priority_from_0_to_100_is_deployed_and_given_to_the_task(
    engine: Engine, good: str
) -> None:
    start_at(engine, T0, priority=good)
    assert [t.priority for t in engine.inbox(engine.get_actor("li.na"))] == [int(good)]
