"""Notices reach people in their language, in the app, by e-mail or SMS, on commit."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller
from deadlinekit import BASE_CONFIG, Inbox, free_port, smtp_config, with_config
from modelkit import process
from sqlalchemy import func, select
from test_sla import review_model

from engine import Engine
from engine import deadlines as deadlines_hook
from engine.jobs import claim
from engine.models import Job, Notification, OutboxMessage
from engine.records import SYSTEM

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on localhost (aiosmtpd) for the duration of one test."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def add_reviewers(engine: Any) -> None:
    engine.add_user(
        "amy",
        password="long-enough-pw",
        groups=["supervisor"],
        language="en",
        email="amy@example.test",
        actor=SYSTEM,
    )
    engine.add_user(
        "bo",
        password="long-enough-pw",
        groups=["supervisor"],
        language="zh",
        email="bo@example.test",
        actor=SYSTEM,
    )


def count(engine: Any, model: type) -> int:
    with engine.sessions.begin() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_new_task_notifies_each_group_member_in_both_languages_and_by_email(
    engine: Engine, smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    deadlines = with_config(engine, smtp_config(port))
    add_reviewers(deadlines)
    deadlines.deploy(review_model(), actor=SYSTEM)
    deadlines.start_instance("p", {}, actor=SYSTEM, business_key="REQ-1")
    [amy] = deadlines.list_notifications(engine.get_actor("amy"))
    [bo] = deadlines.list_notifications(engine.get_actor("bo"))
    [li_na] = deadlines.list_notifications(engine.get_actor("li.na"))
    assert amy.title_for("en") == "New task: Review the request"
    assert "(REQ-1)" in amy.body_for("en")
    assert amy.title_for("zh") == bo.title_for("zh") == li_na.title == "新任务：审核申请"
    assert bo.title_for("en") == "New task: Review the request"  # the page decides
    assert inbox.messages == []  # nothing leaves before a worker runs the outbox
    assert deadlines.run_due_jobs() == 2
    sent = {m["To"]: m for m in inbox.messages}
    assert sent["amy@example.test"]["Subject"] == "New task: Review the request"
    assert "审核申请" in sent["bo@example.test"].get_payload(decode=True).decode(
        "utf-8"
    )
    assert deadlines.run_due_jobs() == 0 and len(inbox.messages) == 2


def test_rolled_back_step_notifies_and_sends_nothing(
    engine: Engine, smtp_server: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, port = smtp_server
    deadlines = with_config(engine, smtp_config(port))
    add_reviewers(deadlines)
    deadlines.deploy(review_model(), actor=SYSTEM)

    def crash(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("power cut after the inbox was written")

    monkeypatch.setattr(deadlines_hook, "after_save", crash)
    with pytest.raises(RuntimeError):
        deadlines.start_instance("p", {}, actor=SYSTEM)
    assert [count(deadlines, m) for m in (Notification, OutboxMessage, Job)] == [
        0,
        0,
        0,
    ]
    assert deadlines.run_due_jobs() == 0 and inbox.messages == []


def test_mail_committed_before_a_worker_crash_is_sent_once_after_restart(
    engine: Engine, smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    config = smtp_config(port)
    deadlines = with_config(engine, config)
    deadlines.add_user(
        "amy",
        password="long-enough-pw",
        groups=["supervisor"],
        language="en",
        email="amy@example.test",
        actor=SYSTEM,
    )
    deadlines.deploy(review_model(), actor=SYSTEM)
    with time_machine.travel(T0, tick=False):
        deadlines.start_instance("p", {}, actor=SYSTEM)
        with deadlines.sessions.begin() as session:  # claimed, then the worker dies
            assert (
                claim(session, T0, lease=config.job_lease, worker="doomed") is not None
            )
        assert deadlines.run_due_jobs() == 0
    with time_machine.travel(T0 + config.job_lease, tick=False):
        assert deadlines.run_due_jobs() == 1
        assert deadlines.run_due_jobs() == 0
    assert [m["To"] for m in inbox.messages] == ["amy@example.test"]


def test_marking_notices_read_lowers_the_unread_count(engine: Engine) -> None:
    deadlines = with_config(engine)
    deadlines.deploy(review_model(), actor=SYSTEM)
    for _ in range(3):
        deadlines.start_instance("p", {}, actor=SYSTEM)
    supervisor = engine.get_actor("li.na")
    first, *_rest = deadlines.list_notifications(supervisor)
    assert deadlines.unread_count(supervisor) == 3
    assert deadlines.mark_notifications_read(supervisor, [first.id]) == 1
    assert deadlines.unread_count(supervisor) == 2
    assert (
        deadlines.mark_notifications_read(engine.get_actor("wang.fang"), [first.id])
        == 0
    )
    assert deadlines.mark_notifications_read(supervisor) == 2
    assert deadlines.list_notifications(supervisor, unread_only=True) == []


def test_finished_instance_is_announced_to_whoever_started_it(engine: Engine) -> None:
    deadlines = with_config(engine)
    deadlines.deploy(review_model(), actor=SYSTEM)
    admin = engine.get_actor("admin")
    instance = deadlines.start_instance("p", {}, actor=admin)
    [task] = deadlines.inbox(engine.get_actor("li.na"))
    deadlines.complete_task(
        task.id, {"supervisor_decision": "approve"}, actor=engine.get_actor("li.na")
    )
    [notice] = deadlines.list_notifications(admin)
    assert (notice.kind, notice.instance_id) == ("instance_completed", instance.id)


SMS_MODEL = process(
    '<bpmn:startEvent id="start"/>'
    '<bpmn:scriptTask id="compose_sms" scriptFormat="python">'
    '<bpmn:script>sms_list = [{"to": "13800000001", "text": "【奖励】3月奖励已发放"},'
    ' {"to": "+86 139-0000-0002", "text": "Reward paid"}]</bpmn:script>'
    "</bpmn:scriptTask>"
    '<bpmn:userTask id="confirm_sms" name="确认短信"><bpmn:extensionElements>'
    "<spiffworkflow:properties>"
    '<spiffworkflow:property name="smsOutbox" value="sms_list"/>'
    "</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>"
    '<bpmn:endEvent id="end"/>'
    '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="compose_sms"/>'
    '<bpmn:sequenceFlow id="f2" sourceRef="compose_sms" targetRef="confirm_sms"/>'
    '<bpmn:sequenceFlow id="f3" sourceRef="confirm_sms" targetRef="end"/>',
    process_id="payout",
)


def test_model_sms_go_to_the_sms_outbox_or_the_plugged_in_sender(
    engine: Engine,
) -> None:
    deadlines = with_config(engine)
    deadlines.deploy({"payout.bpmn": SMS_MODEL}, actor=SYSTEM)
    deadlines.start_instance("payout", {}, actor=SYSTEM)
    assert deadlines.list_sms(actor=SYSTEM) == []  # after commit, by the worker
    assert deadlines.run_due_jobs() == 2
    assert deadlines.list_sms(actor=SYSTEM) == [
        ("13800000001", "【奖励】3月奖励已发放"),
        ("+86 139-0000-0002", "Reward paid"),
    ]
    sent: list[tuple[str, str]] = []
    plugged = with_config(
        engine, replace(BASE_CONFIG, sms_sender=lambda p, t: sent.append((p, t)))
    )
    plugged.start_instance("payout", {}, actor=SYSTEM)
    assert plugged.run_due_jobs() == 2 and len(sent) == 2
    assert len(deadlines.list_sms(actor=SYSTEM)) == 2


def test_a_task_notice_names_the_request_number_so_two_requests_tell_apart(
    engine: Engine,
) -> None:
    """Requests started from the web have no business key: the number is all there is."""
    add_reviewers(engine)
    engine.deploy(review_model(), actor=SYSTEM)
    first = engine.start_instance("p", {}, actor=SYSTEM).id
    second = engine.start_instance("p", {}, actor=SYSTEM).id
    bodies = {n.instance_id: (n.body_for("zh"), n.body_for("en"))
              for n in engine.list_notifications(engine.get_actor("amy"))}
    assert bodies[first] == (
        f"「p」#{first}有一项新任务「审核申请」等待处理。",
        f'p #{first}: the task "Review the request" is waiting for you.',
    )
    assert f"#{second}" in bodies[second][0] and f"#{second}:" in bodies[second][1]
