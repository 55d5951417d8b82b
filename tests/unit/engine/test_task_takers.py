"""Who may be given or take a task: never an auditor or a deactivated user, and no
claims while the instance does not run."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from modelkit import chain, process, user_task

from engine import (
    Actor,
    ConcurrentUpdate,
    Engine,
    InstanceNotRunnable,
    InvalidInput,
    NotAuthorized,
)
from engine.records import SYSTEM

# No lanes: the lane check lets anyone through, so only the new rule can refuse.
UNLANED = process(user_task("fill_in") + chain("fill_in"))


def open_task(engine: Engine) -> tuple[int, str]:
    engine.deploy({"p.bpmn": UNLANED}, actor=SYSTEM)
    instance = engine.start_instance("p", {}, actor=SYSTEM)
    [task] = [t for t in engine.inbox(SYSTEM) if t.instance_id == instance.id]
    return instance.id, str(task.id)


def test_assign_refuses_an_auditor_even_on_a_task_without_lane(engine: Engine) -> None:
    _instance, task = open_task(engine)
    with pytest.raises(InvalidInput, match="auditor is an auditor"):
        engine.assign_task(task, "auditor", actor=SYSTEM)
    engine.set_groups("auditor", ["supervisor"], actor=SYSTEM)
    with pytest.raises(InvalidInput, match="read-only"):
        engine.assign_task(task, "auditor", actor=SYSTEM)
    assert engine.assign_task(task, "li.na", actor=SYSTEM).assignee == "li.na"


def test_assign_refuses_a_deactivated_user(engine: Engine) -> None:
    _instance, task = open_task(engine)
    engine.deactivate_user("li.na", actor=SYSTEM)
    with pytest.raises(InvalidInput, match="li.na is deactivated"):
        engine.assign_task(task, "li.na", actor=SYSTEM)
    engine.reactivate_user("li.na", actor=SYSTEM)
    assert engine.assign_task(task, "li.na", actor=SYSTEM).assignee == "li.na"


def test_users_say_whether_tasks_may_be_given_to_them(engine: Engine) -> None:
    engine.deactivate_user("wang.fang", actor=SYSTEM)
    takers = {u.username: u.can_take_tasks for u in engine.list_users(actor=SYSTEM)}
    assert takers["li.na"] and takers["admin"]
    assert not takers["auditor"] and not takers["wang.fang"]


def test_claim_refuses_a_user_deactivated_after_signing_in(
    purchase: Engine, actor: Callable[[str], Actor]
) -> None:
    staff = actor("zhang.wei")  # an Actor made while the account was active
    purchase.start_instance("two_approver", {}, actor=staff)
    [task] = purchase.inbox(staff)
    purchase.deactivate_user("zhang.wei", actor=SYSTEM)
    with pytest.raises(NotAuthorized, match="zhang.wei is deactivated"):
        purchase.claim_task(task.id, actor=staff)
    assert purchase.get_task(task.id, actor=SYSTEM).task.assignee is None


def test_completion_refuses_a_user_deactivated_after_signing_in(
    purchase: Engine, actor: Callable[[str], Actor]
) -> None:
    staff = actor("zhang.wei")  # an Actor made while the account was active
    instance = purchase.start_instance("two_approver", {}, actor=staff)
    [task] = purchase.inbox(staff)
    purchase.deactivate_user("zhang.wei", actor=SYSTEM)
    data = {"item": "laptop", "amount": "1200.50"}
    with pytest.raises(NotAuthorized,
                       match="zhang.wei is deactivated and may not complete tasks"):
        purchase.complete_task(task.id, data, actor=staff)
    assert purchase.get_task(task.id, actor=SYSTEM).task.state == "ready"
    purchase.reactivate_user("zhang.wei", actor=SYSTEM)
    after = purchase.complete_task(task.id, data, actor=staff)
    assert after.id == instance.id and [s.bpmn_id for s in after.steps] != [task.bpmn_id]


def test_claim_is_refused_while_the_instance_is_suspended(
    purchase: Engine, actor: Callable[[str], Actor]
) -> None:
    staff = actor("zhang.wei")
    instance = purchase.start_instance("two_approver", {}, actor=staff)
    [task] = purchase.inbox(staff)
    purchase.suspend_instance(instance.id, reason="checking the supplier", actor=SYSTEM)
    with pytest.raises(InstanceNotRunnable, match="suspended.*cannot be claimed"):
        purchase.claim_task(task.id, actor=staff)
    purchase.resume_instance(instance.id, actor=SYSTEM)
    assert purchase.claim_task(task.id, actor=staff).assignee == "zhang.wei"


def test_a_late_submission_from_a_stale_page_is_told_the_request_is_suspended_first(
    purchase: Engine, actor: Callable[[str], Actor]
) -> None:
    staff = actor("zhang.wei")
    instance = purchase.start_instance("two_approver", {}, actor=staff)
    [task] = purchase.inbox(staff)
    shown = purchase.get_task(task.id, actor=staff).instance_version
    purchase.suspend_instance(instance.id, reason="checking the supplier", actor=SYSTEM)
    data = {"item": "laptop", "amount": "1200.50"}
    with pytest.raises(InstanceNotRunnable) as caught:
        purchase.complete_task(task.id, data, actor=staff, expected_version=shown)
    assert (str(caught.value), caught.value.status, caught.value.action) == (
        f"instance {instance.id} is suspended", "suspended", "complete")
    purchase.resume_instance(instance.id, actor=SYSTEM)
    # Running again, the page is still stale: now that is what the submitter is told.
    with pytest.raises(ConcurrentUpdate) as stale:
        purchase.complete_task(task.id, data, actor=staff, expected_version=shown)
    assert str(stale.value) == (
        f"instance {instance.id} was changed by someone else; reload and try again")
    fresh = purchase.get_task(task.id, actor=staff).instance_version
    after = purchase.complete_task(task.id, data, actor=staff, expected_version=fresh)
    assert task.bpmn_id not in [s.bpmn_id for s in after.steps]
