"""Running instances through the Engine API: paths, authorization, bad input, restarts."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from modelkit import chain, process, script_task, user_task

from engine import (
    Actor,
    Engine,
    InstanceNotRunnable,
    InvalidInput,
    InvalidSubmission,
    NotAuthorized,
    NotFound,
    ScriptFailed,
    TaskNotReady,
)
from engine.db import make_sessionmaker
from engine.definitions import clear_cache
from engine.records import SYSTEM, InstanceStatus, TaskInfo

REQUEST = {"item": "laptop", "amount": "1200.50"}


def only_task(engine: Engine, who: Actor) -> TaskInfo:
    tasks = engine.inbox(who)
    assert len(tasks) == 1, tasks
    return tasks[0]


@pytest.fixture
def restart() -> Iterator[Callable[[Engine], Engine]]:
    """Make a new Engine on the same database with a cold spec cache: a process restart."""
    made: list[Engine] = []

    def again(engine: Engine) -> Engine:
        clear_cache()
        url = engine.sessions.kw["bind"].url.render_as_string(hide_password=False)
        made.append(Engine(make_sessionmaker(url), forms_dir=engine._forms_dir))
        return made[-1]

    yield again
    for engine in made:
        engine.close()


def test_two_approvers_approve_end_to_end_with_reload_between_steps(
        purchase: Engine, actor: Callable[[str], Actor],
        restart: Callable[[Engine], Engine]) -> None:
    staff, supervisor, manager = actor("zhang.wei"), actor("li.na"), actor("wang.fang")
    instance = purchase.start_instance("two_approver", {}, actor=staff, business_key="PO-7")
    engine = restart(purchase)
    engine.complete_task(only_task(engine, staff).id, REQUEST, actor=staff)
    engine = restart(engine)
    review = only_task(engine, supervisor)
    assert (review.bpmn_id, review.title, review.title_en) == (
        "review_by_supervisor", "主管审核", "Review by supervisor")
    assert review.due_at is not None and review.business_key == "PO-7"
    engine.complete_task(review.id, {"supervisor_decision": "approve"}, actor=supervisor)
    engine = restart(engine)
    done = engine.complete_task(only_task(engine, manager).id,
                                {"manager_decision": "approve"}, actor=manager)
    assert done.status is InstanceStatus.COMPLETED and done.id == instance.id
    assert done.data["approved_amount"] == "1200.50" and done.data["approved"] is True
    assert engine.inbox(manager) == []


def test_supervisor_return_sends_request_back_and_resubmission_continues(
        purchase: Engine, actor: Callable[[str], Actor]) -> None:
    staff, supervisor = actor("zhang.wei"), actor("li.na")
    purchase.start_instance("two_approver", {}, actor=staff)
    purchase.complete_task(only_task(purchase, staff).id, REQUEST, actor=staff)
    purchase.complete_task(only_task(purchase, supervisor).id,
                           {"supervisor_decision": "return", "supervisor_opinion": "缺报价"},
                           actor=supervisor)
    again = only_task(purchase, staff)
    assert again.bpmn_id == "submit_request"
    detail = purchase.get_task(again.id, actor=staff)
    assert detail.data["supervisor_opinion"] == "缺报价"
    purchase.complete_task(again.id, {**REQUEST, "amount": "999.00"}, actor=staff)
    assert only_task(purchase, supervisor).bpmn_id == "review_by_supervisor"


def test_manager_rejection_ends_the_instance(purchase: Engine,
                                            actor: Callable[[str], Actor]) -> None:
    staff, supervisor, manager = actor("zhang.wei"), actor("li.na"), actor("wang.fang")
    purchase.start_instance("two_approver", {}, actor=staff)
    purchase.complete_task(only_task(purchase, staff).id, REQUEST, actor=staff)
    purchase.complete_task(only_task(purchase, supervisor).id,
                           {"supervisor_decision": "approve"}, actor=supervisor)
    done = purchase.complete_task(only_task(purchase, manager).id,
                                  {"manager_decision": "reject", "manager_opinion": "太贵"},
                                  actor=manager)
    assert done.status is InstanceStatus.COMPLETED and "approved" not in done.data


def test_supervisor_cannot_do_the_managers_approval(purchase: Engine,
                                                   actor: Callable[[str], Actor]) -> None:
    staff, supervisor, manager = actor("zhang.wei"), actor("li.na"), actor("wang.fang")
    purchase.start_instance("two_approver", {}, actor=staff)
    purchase.complete_task(only_task(purchase, staff).id, REQUEST, actor=staff)
    purchase.complete_task(only_task(purchase, supervisor).id,
                           {"supervisor_decision": "approve"}, actor=supervisor)
    approval = only_task(purchase, manager)
    with pytest.raises(NotAuthorized, match="li.na may not complete this task"):
        purchase.complete_task(approval.id, {"manager_decision": "approve"}, actor=supervisor)
    with pytest.raises(NotFound):
        purchase.get_task(approval.id, actor=supervisor)


def test_completing_a_task_twice_says_it_was_already_completed(
        purchase: Engine, actor: Callable[[str], Actor]) -> None:
    staff = actor("zhang.wei")
    purchase.start_instance("two_approver", {}, actor=staff)
    task = only_task(purchase, staff)
    purchase.complete_task(task.id, REQUEST, actor=staff)
    with pytest.raises(TaskNotReady, match="already completed by zhang.wei"):
        purchase.complete_task(task.id, REQUEST, actor=staff)


def test_form_with_wrong_fields_is_refused_and_nothing_changes(
        purchase: Engine, actor: Callable[[str], Actor]) -> None:
    staff = actor("zhang.wei")
    instance = purchase.start_instance("two_approver", {}, actor=staff)
    task = only_task(purchase, staff)
    with pytest.raises(InvalidSubmission) as caught:
        purchase.complete_task(task.id, {"item": "", "amount": "12.345", "colour": "red"},
                               actor=staff)
    assert set(caught.value.errors) == {"item", "amount", "colour"}
    assert "unknown field" in caught.value.errors["colour"][0]
    assert caught.value.errors_zh["amount"]
    assert only_task(purchase, staff).id == task.id
    assert purchase.get_instance(instance.id, actor=staff).row_version == instance.row_version


def test_opinion_is_required_when_returning(purchase: Engine,
                                            actor: Callable[[str], Actor]) -> None:
    staff, supervisor = actor("zhang.wei"), actor("li.na")
    purchase.start_instance("two_approver", {}, actor=staff)
    purchase.complete_task(only_task(purchase, staff).id, REQUEST, actor=staff)
    with pytest.raises(InvalidSubmission) as caught:
        purchase.complete_task(only_task(purchase, supervisor).id,
                               {"supervisor_decision": "return"}, actor=supervisor)
    assert list(caught.value.errors) == ["supervisor_opinion"]


def test_claim_unclaim_and_assign(purchase: Engine, actor: Callable[[str], Actor]) -> None:
    staff, supervisor, manager = actor("zhang.wei"), actor("li.na"), actor("wang.fang")
    purchase.start_instance("two_approver", {}, actor=staff)
    task = only_task(purchase, staff)
    assert purchase.inbox(staff, scope="group")[0].id == task.id
    claimed = purchase.claim_task(task.id, actor=staff)
    assert claimed.assignee == "zhang.wei"
    assert purchase.inbox(staff, scope="mine")[0].id == task.id
    assert purchase.inbox(staff, scope="group") == []
    with pytest.raises(TaskNotReady, match="already claimed by zhang.wei"):
        purchase.claim_task(task.id, actor=supervisor)
    with pytest.raises(NotAuthorized):
        purchase.assign_task(task.id, "zhao.min", actor=supervisor)
    assert purchase.assign_task(task.id, "zhao.min", actor=manager).assignee == "zhao.min"
    with pytest.raises(NotAuthorized):
        purchase.complete_task(task.id, REQUEST, actor=staff)
    with pytest.raises(InvalidInput, match="not in group account_staff"):
        purchase.assign_task(task.id, "li.na", actor=manager)
    assert purchase.unclaim_task(task.id, actor=SYSTEM).assignee is None
    types = [e.event_type for e in purchase.audit_log(actor=SYSTEM)]
    assert {"task_claimed", "task_assigned", "task_unclaimed"} <= set(types)


def test_auditor_can_read_but_not_act(purchase: Engine, actor: Callable[[str], Actor]) -> None:
    staff, auditor = actor("zhang.wei"), actor("auditor")
    instance = purchase.start_instance("two_approver", {}, actor=staff)
    task = only_task(purchase, staff)
    with pytest.raises(NotAuthorized):
        purchase.complete_task(task.id, REQUEST, actor=auditor)
    with pytest.raises(NotAuthorized):
        purchase.start_instance("two_approver", {}, actor=auditor)
    assert purchase.get_instance(instance.id, actor=auditor).id == instance.id
    assert purchase.history(instance.id, actor=auditor)[0].event_type == "instance_started"


def test_other_staff_cannot_see_someone_elses_instance(
        purchase: Engine, actor: Callable[[str], Actor]) -> None:
    instance = purchase.start_instance("two_approver", {}, actor=actor("zhang.wei"))
    with pytest.raises(NotFound):
        purchase.get_instance(instance.id, actor=actor("yang.li"))
    with pytest.raises(NotAuthorized):
        purchase.list_instances(actor=actor("yang.li"), started_by="zhang.wei")


FAILING = process(user_task("fill_in") + script_task("divide", "share = 100 / int(parts)")
                  + chain("fill_in", "divide"))


def test_failing_script_puts_instance_in_error_and_retry_after_data_fix_continues(
        engine: Engine, actor: Callable[[str], Actor]) -> None:
    engine.deploy({"p.bpmn": FAILING}, actor=SYSTEM)
    starter = actor("admin")
    instance = engine.start_instance("p", {"parts": "0"}, actor=starter)
    task = only_task(engine, starter)
    with pytest.raises(ScriptFailed) as caught:
        engine.complete_task(task.id, REQUEST, actor=starter)
    assert caught.value.bpmn_id == "divide" and caught.value.line == 1
    assert "ZeroDivisionError" in caught.value.detail
    failed = engine.get_instance(instance.id, actor=starter)
    assert failed.status is InstanceStatus.ERROR
    assert failed.incident is not None and failed.incident.bpmn_id == "divide"
    with pytest.raises(InstanceNotRunnable):
        engine.complete_task(task.id, REQUEST, actor=starter)
    fixed = engine.retry_instance(instance.id, actor=SYSTEM, data={"parts": "4"})
    assert fixed.status is InstanceStatus.COMPLETED and fixed.data["share"] == 25.0
    assert fixed.data["item"] == "laptop"
    events = [e.event_type for e in engine.history(instance.id, actor=SYSTEM)]
    assert events.index("instance_failed") < events.index("instance_retried")
    assert events.count("task_completed") == 1


def test_failing_first_script_keeps_started_instance_in_error(
        engine: Engine, actor: Callable[[str], Actor]) -> None:
    body = script_task("boom", "x = undefined_name + 1") + chain("boom")
    engine.deploy({"p.bpmn": process(body)}, actor=SYSTEM)
    with pytest.raises(ScriptFailed, match="undefined_name"):
        engine.start_instance("p", {}, actor=actor("admin"))
    [instance] = engine.list_instances(actor=SYSTEM)
    assert instance.status is InstanceStatus.ERROR


@pytest.mark.parametrize("script, message", [
    ("data = open('/etc/passwd').read()", "open"),
    ("while True:\n    pass", "longer than"),
    ("x = [].__len__", "invalid attribute"),
])
def test_sandbox_stops_escape_attempts_at_run_time(engine: Engine, script: str,
                                                   message: str) -> None:
    # Expressions are checked at deploy; this model hides the script in data so the
    # runtime sandbox itself is exercised.
    body = user_task("fill_in") + script_task("run_it", "result = 1") + chain("fill_in",
                                                                                "run_it")
    engine.deploy({"p.bpmn": process(body)}, actor=SYSTEM)
    from engine.scripting import SandboxEnvironment

    env = SandboxEnvironment(timeout=0.3)
    with pytest.raises(Exception, match=message):
        env.execute(script, {})


@pytest.mark.parametrize(("script", "variable"), [
    ("blob = b'raw'", "blob"),
    ("numbers = range(3)", "numbers"),
    ("ratio = float('nan')", "ratio"),
    ("pair = [complex(1, 2)]", "pair"),
])
def test_script_leaving_a_value_the_state_cannot_hold_fails_at_the_script(
        engine: Engine, actor: Callable[[str], Actor], script: str, variable: str) -> None:
    body = script_task("make", script) + user_task("after") + chain("make", "after")
    engine.deploy({"p.bpmn": process(body)}, actor=SYSTEM)
    with pytest.raises(ScriptFailed) as caught:
        engine.start_instance("p", {}, actor=actor("admin"))
    assert caught.value.bpmn_id == "make"
    assert f"variable {variable!r} that cannot be stored" in caught.value.detail
    failed = engine.get_instance(caught.value.instance_id or 0, actor=SYSTEM)
    assert failed.status is InstanceStatus.ERROR


def test_script_error_without_a_source_line_reads_as_its_message(
        engine: Engine, actor: Callable[[str], Actor]) -> None:
    body = script_task("make", "total = Decimal('twelve')") + chain("make")
    engine.deploy({"p.bpmn": process(body)}, actor=SYSTEM)
    with pytest.raises(ScriptFailed) as caught:
        engine.start_instance("p", {}, actor=actor("admin"))
    assert "None" not in caught.value.detail
    assert "InvalidOperation: not a valid decimal number" in caught.value.detail
