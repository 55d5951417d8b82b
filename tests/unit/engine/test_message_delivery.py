"""Messages correlate by name and key, are kept when early, start or resume work."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import time_machine
from deadlinekit import with_config
from modelkit import HEAD, script_task, user_task

from engine import DefinitionInvalid, Engine, InstanceStatus, ScriptFailed
from engine.audit_records import AuditFilter
from engine.cli import main
from engine.records import SYSTEM

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def deadlines(engine: Engine) -> Any:
    """An engine with the deadline methods, on the test's database."""
    return with_config(engine)


FEEDBACK = '<bpmn:message id="feedback_msg" name="customer_feedback"/>'


def model(
    body: str, *, process_id: str = "complaint", messages: str = FEEDBACK
) -> bytes:
    return (
        HEAD
        + messages
        + f'<bpmn:process id="{process_id}" isExecutable="true">'
        + body
        + "</bpmn:process></bpmn:definitions>"
    ).encode("utf-8")


def flows(*pairs: tuple[str, str]) -> str:
    return "".join(
        f'<bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}"/>'
        for i, (a, b) in enumerate(pairs)
    )


WAIT_FOR_FEEDBACK = model(
    '<bpmn:startEvent id="start"/>'
    '<bpmn:intermediateCatchEvent id="wait_feedback"><bpmn:messageEventDefinition '
    'messageRef="feedback_msg"/></bpmn:intermediateCatchEvent>'
    + user_task("review_feedback")
    + '<bpmn:endEvent id="end"/>'
    + flows(
        ("start", "wait_feedback"),
        ("wait_feedback", "review_feedback"),
        ("review_feedback", "end"),
    )
)


def start(engine: Any, key: str) -> Any:
    return engine.start_instance("complaint", {}, actor=SYSTEM, business_key=key)


def waiting_at(engine: Any, instance_id: int) -> list[str]:
    return [s.bpmn_id for s in engine.get_instance(instance_id, actor=SYSTEM).steps]


def test_message_reaches_only_the_instance_with_the_matching_key(
    deadlines: Any,
) -> None:
    deadlines.deploy({"complaint.bpmn": WAIT_FOR_FEEDBACK}, actor=SYSTEM)
    first, second = start(deadlines, "C-1"), start(deadlines, "C-2")
    info = deadlines.deliver_message(
        "customer_feedback", correlation_key="C-2", data={"rating": 4}, actor=SYSTEM
    )
    assert (info.state, info.instance_id) == ("delivered", second.id)
    assert waiting_at(deadlines, first.id) == []
    assert waiting_at(deadlines, second.id) == ["review_feedback"]
    task = deadlines.get_task(deadlines.inbox(SYSTEM)[0].id, actor=SYSTEM)
    assert task.data["rating"] == 4
    events = [e.event_type for e in deadlines.history(second.id, actor=SYSTEM)]
    assert "message_delivered" in events


def test_message_sent_before_anyone_waits_is_kept_then_delivered(
    deadlines: Any,
) -> None:
    deadlines.deploy({"complaint.bpmn": WAIT_FOR_FEEDBACK}, actor=SYSTEM)
    with time_machine.travel(T0, tick=False):
        early = deadlines.deliver_message(
            "customer_feedback", correlation_key="C-7", data={"rating": 2}, actor=SYSTEM
        )
        assert early.state == "kept" and early.expires_at == T0 + timedelta(days=7)
        instance = start(deadlines, "C-7")
        assert (
            waiting_at(deadlines, instance.id) == []
        )  # delivery is a job after commit
        assert deadlines.run_due_jobs() == 1
    assert waiting_at(deadlines, instance.id) == ["review_feedback"]
    [kept] = deadlines.list_messages(actor=SYSTEM)
    assert (kept.state, kept.instance_id) == ("delivered", instance.id)


def expired_events(engine: Any) -> list[Any]:
    only = AuditFilter(event_types=("message_expired",))
    return list(engine.search_audit(only, actor=SYSTEM).entries)


def test_kept_message_expires_after_its_time(deadlines: Any) -> None:
    deadlines.deploy({"complaint.bpmn": WAIT_FOR_FEEDBACK}, actor=SYSTEM)
    with time_machine.travel(T0, tick=False):
        kept = deadlines.deliver_message(
            "customer_feedback", correlation_key="C-8", data={"rating": 1}, actor=SYSTEM
        )
        assert deadlines.run_due_jobs() == 0  # its expiry is due in seven days
    with time_machine.travel(T0 + timedelta(days=8), tick=False):
        instance = start(deadlines, "C-8")
        assert deadlines.run_due_jobs() == 1  # the expiry; nothing is delivered
        assert [m.state for m in deadlines.list_messages(actor=SYSTEM)] == ["expired"]
    assert waiting_at(deadlines, instance.id) == []
    [expired] = expired_events(deadlines)
    assert expired.actor == "system" and expired.at == T0 + timedelta(days=8)
    assert dict(expired.payload) == {"message_id": kept.id, "name": "customer_feedback",
                                     "key": "C-8", "state": "expired",
                                     "data": {"rating": 1}}


def test_a_kept_message_taken_in_time_never_expires(deadlines: Any) -> None:
    deadlines.deploy({"complaint.bpmn": WAIT_FOR_FEEDBACK}, actor=SYSTEM)
    with time_machine.travel(T0, tick=False):
        deadlines.deliver_message(
            "customer_feedback", correlation_key="C-9", data={}, actor=SYSTEM
        )
        instance = start(deadlines, "C-9")
        assert deadlines.run_due_jobs() == 1  # the delivery, which drops the expiry
    with time_machine.travel(T0 + timedelta(days=8), tick=False):
        assert deadlines.run_due_jobs() == 0
    [message] = deadlines.list_messages(actor=SYSTEM)
    assert (message.state, message.instance_id) == ("delivered", instance.id)
    assert expired_events(deadlines) == []


def test_receive_task_and_correlation_key_expression(deadlines: Any) -> None:
    body = (
        '<bpmn:startEvent id="start"/><bpmn:receiveTask id="receive_feedback" '
        'messageRef="feedback_msg"><bpmn:extensionElements><spiffworkflow:properties>'
        '<spiffworkflow:property name="correlationKey" value="complaint_no"/>'
        "</spiffworkflow:properties></bpmn:extensionElements></bpmn:receiveTask>"
        '<bpmn:endEvent id="end"/>'
        + flows(("start", "receive_feedback"), ("receive_feedback", "end"))
    )
    deadlines.deploy({"complaint.bpmn": model(body)}, actor=SYSTEM)
    instance = deadlines.start_instance(
        "complaint", {"complaint_no": "TS-42"}, actor=SYSTEM
    )
    kept = deadlines.deliver_message(
        "customer_feedback", correlation_key="other", data={}, actor=SYSTEM
    )
    assert kept.state == "kept"
    done = deadlines.deliver_message(
        "customer_feedback", correlation_key="TS-42", data={"rating": 5}, actor=SYSTEM
    )
    assert done.instance_id == instance.id
    assert deadlines.get_instance(instance.id, actor=SYSTEM).status is (
        InstanceStatus.COMPLETED
    )


def boundary_model(interrupting: bool) -> bytes:
    cancel = "true" if interrupting else "false"
    return model(
        '<bpmn:startEvent id="start"/>'
        + user_task("call_customer")
        + '<bpmn:boundaryEvent id="customer_called_back" '
        f'attachedToRef="call_customer" cancelActivity="{cancel}">'
        '<bpmn:messageEventDefinition messageRef="feedback_msg"/>'
        "</bpmn:boundaryEvent>"
        + user_task("read_feedback")
        + '<bpmn:endEvent id="end"/><bpmn:endEvent id="end_feedback"/>'
        + flows(
            ("start", "call_customer"),
            ("call_customer", "end"),
            ("customer_called_back", "read_feedback"),
            ("read_feedback", "end_feedback"),
        )
    )


@pytest.mark.parametrize(
    "interrupting, expected",
    [(True, ["read_feedback"]), (False, ["call_customer", "read_feedback"])],
)
def test_boundary_message_interrupts_or_not_as_drawn(
    deadlines: Any, interrupting: bool, expected: list[str]
) -> None:
    deadlines.deploy({"complaint.bpmn": boundary_model(interrupting)}, actor=SYSTEM)
    instance = start(deadlines, "C-3")
    deadlines.deliver_message(
        "customer_feedback",
        correlation_key="C-3",
        data={"said": "thanks"},
        actor=SYSTEM,
    )
    assert sorted(waiting_at(deadlines, instance.id)) == expected


def test_message_start_event_starts_an_instance_keyed_by_the_message(
    deadlines: Any,
) -> None:
    body = (
        '<bpmn:startEvent id="feedback_arrived"><bpmn:messageEventDefinition '
        'messageRef="feedback_msg"/></bpmn:startEvent>'
        + user_task("read_feedback")
        + '<bpmn:endEvent id="end"/>'
        + flows(("feedback_arrived", "read_feedback"), ("read_feedback", "end"))
    )
    deadlines.deploy({"complaint.bpmn": model(body)}, actor=SYSTEM)
    info = deadlines.deliver_message(
        "customer_feedback", correlation_key="C-9", data={"rating": 1}, actor=SYSTEM
    )
    assert info.state == "started"
    instance = deadlines.get_instance(info.instance_id, actor=SYSTEM)
    assert instance.business_key == "C-9" and instance.data["rating"] == 1
    assert [s.bpmn_id for s in instance.steps] == ["read_feedback"]


def test_message_variable_receives_the_whole_payload(deadlines: Any) -> None:
    message = (
        '<bpmn:message id="feedback_msg" name="customer_feedback">'
        "<bpmn:extensionElements><spiffworkflow:messageVariable>feedback"
        "</spiffworkflow:messageVariable></bpmn:extensionElements></bpmn:message>"
    )
    body = (
        '<bpmn:startEvent id="start"/><bpmn:intermediateCatchEvent id="wait_feedback">'
        '<bpmn:messageEventDefinition messageRef="feedback_msg"/>'
        "</bpmn:intermediateCatchEvent>"
        + user_task("review_feedback")
        + '<bpmn:endEvent id="end"/>'
        + flows(
            ("start", "wait_feedback"),
            ("wait_feedback", "review_feedback"),
            ("review_feedback", "end"),
        )
    )
    with pytest.warns(DeprecationWarning):
        deadlines.deploy(
            {"complaint.bpmn": model(body, messages=message)}, actor=SYSTEM
        )
    instance = start(deadlines, "C-4")
    deadlines.deliver_message(
        "customer_feedback", correlation_key="C-4", data={"rating": 3}, actor=SYSTEM
    )
    assert deadlines.get_instance(instance.id, actor=SYSTEM).data["feedback"] == {
        "rating": 3
    }


@pytest.mark.parametrize(
    "body, reason",
    [
        (
            '<bpmn:intermediateCatchEvent id="odd_event"><bpmn:messageEventDefinition/>'
            "</bpmn:intermediateCatchEvent>",
            "needs messageRef",
        ),
        (
            '<bpmn:intermediateThrowEvent id="odd_event"><bpmn:messageEventDefinition '
            'messageRef="feedback_msg"/></bpmn:intermediateThrowEvent>',
            "cannot send messages",
        ),
    ],
)
def test_message_events_that_cannot_work_are_refused(
    deadlines: Any, body: str, reason: str
) -> None:
    full = (
        '<bpmn:startEvent id="start"/>'
        + body
        + '<bpmn:endEvent id="end"/>'
        + flows(("start", "odd_event"), ("odd_event", "end"))
    )
    with pytest.raises(DefinitionInvalid, match=reason) as caught:
        deadlines.deploy({"complaint.bpmn": model(full)}, actor=SYSTEM)
    assert caught.value.bpmn_id == "odd_event"


def test_cli_message_command_delivers_by_key(
    deadlines: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    deadlines.deploy({"complaint.bpmn": WAIT_FOR_FEEDBACK}, actor=SYSTEM)
    instance = start(deadlines, "C-5")
    code = main(
        [
            "message",
            "customer_feedback",
            "--key",
            "C-5",
            "--data",
            '{"rating": 5}',
            "--json",
        ],
        engine=deadlines,
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert '"state": "delivered"' in out and f'"instance_id": {instance.id}' in out
    assert (
        main(["message", "customer_feedback", "--data", "[1]"], engine=deadlines) == 1
    )
    assert "must be a JSON object" in capsys.readouterr().err


def test_failure_after_a_message_keeps_it_for_the_admin_retry(deadlines: Any) -> None:
    body = (
        '<bpmn:startEvent id="start"/><bpmn:intermediateCatchEvent id="wait_feedback">'
        '<bpmn:messageEventDefinition messageRef="feedback_msg"/>'
        "</bpmn:intermediateCatchEvent>"
        + script_task("score_feedback", "score = rating * 10 / divisor")
        + user_task("review_feedback")
        + '<bpmn:endEvent id="end"/>'
        + flows(
            ("start", "wait_feedback"),
            ("wait_feedback", "score_feedback"),
            ("score_feedback", "review_feedback"),
            ("review_feedback", "end"),
        )
    )
    deadlines.deploy({"complaint.bpmn": model(body)}, actor=SYSTEM)
    instance = deadlines.start_instance(
        "complaint", {"divisor": 0}, actor=SYSTEM, business_key="C-6"
    )
    with pytest.raises(ScriptFailed):
        deadlines.deliver_message(
            "customer_feedback", correlation_key="C-6", data={"rating": 4}, actor=SYSTEM
        )
    failed = deadlines.get_instance(instance.id, actor=SYSTEM)
    assert failed.status is InstanceStatus.ERROR and failed.incident is not None
    retried = deadlines.retry_instance(instance.id, actor=SYSTEM, data={"divisor": 2})
    assert retried.status is InstanceStatus.RUNNING
    assert retried.data["rating"] == 4 and retried.data["score"] == 20
    assert [s.bpmn_id for s in retried.steps] == ["review_feedback"]


def test_event_based_gateway_takes_whichever_comes_first(deadlines: Any) -> None:
    body = (
        '<bpmn:startEvent id="start"/><bpmn:eventBasedGateway id="first_of"/>'
        '<bpmn:intermediateCatchEvent id="feedback_came">'
        '<bpmn:messageEventDefinition messageRef="feedback_msg"/>'
        "</bpmn:intermediateCatchEvent>"
        '<bpmn:intermediateCatchEvent id="week_passed"><bpmn:timerEventDefinition>'
        '<bpmn:timeDuration>"P7D"</bpmn:timeDuration></bpmn:timerEventDefinition>'
        "</bpmn:intermediateCatchEvent>"
        + user_task("review_feedback")
        + user_task("chase_customer")
        + '<bpmn:endEvent id="end"/><bpmn:endEvent id="end_chased"/>'
        + flows(
            ("start", "first_of"),
            ("first_of", "feedback_came"),
            ("first_of", "week_passed"),
            ("feedback_came", "review_feedback"),
            ("week_passed", "chase_customer"),
            ("review_feedback", "end"),
            ("chase_customer", "end_chased"),
        )
    )
    deadlines.deploy({"complaint.bpmn": model(body)}, actor=SYSTEM)
    with time_machine.travel(T0, tick=False):
        answered, silent = start(deadlines, "C-10"), start(deadlines, "C-11")
        deadlines.deliver_message(
            "customer_feedback", correlation_key="C-10", data={}, actor=SYSTEM
        )
    assert deadlines.list_timers(instance_id=answered.id) == []
    with time_machine.travel(T0 + timedelta(days=7, seconds=1), tick=False):
        assert deadlines.fire_due_timers() == 1
        late = deadlines.deliver_message(
            "customer_feedback", correlation_key="C-11", data={}, actor=SYSTEM
        )
    assert late.state == "kept"  # the silent one no longer waits for it
    assert waiting_at(deadlines, answered.id) == ["review_feedback"]
    assert waiting_at(deadlines, silent.id) == ["chase_customer"]
