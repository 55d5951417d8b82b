"""How an instance ended: the outcome its end event names, recorded and announced."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from deadlinekit import BASE_CONFIG
from modelkit import chain, end_event, flows, process

from engine import (Actor, DefinitionInvalid, Engine, InstanceStatus, Outcome, instances,
                    runtime)
from engine.noticetext import Kind, Subject, render
from engine.records import SYSTEM

REQUEST = {"item": "laptop", "amount": "1200.50"}


def decide(engine: Engine, who: Actor, data: dict[str, str]) -> None:
    [task] = engine.inbox(who)
    engine.complete_task(task.id, data, actor=who)


def submitted(purchase: Engine, actor: Callable[[str], Actor]) -> int:
    """A purchase request filled in by its requester, waiting for the supervisor."""
    staff = actor("zhang.wei")
    iid = purchase.start_instance("two_approver", {}, actor=staff).id
    decide(purchase, staff, REQUEST)
    return iid


def completion(engine: Engine, instance_id: int
               ) -> tuple[str | None, dict[str, object]]:
    [event] = [e for e in engine.history(instance_id, actor=SYSTEM)
               if e.event_type == "instance_completed"]
    return event.bpmn_id, dict(event.payload)


def test_a_finishing_step_finds_its_ending_once(
        purchase: Engine, actor: Callable[[str], Actor],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The save and the completion event share one walk of the tree for the ending."""
    iid = submitted(purchase, actor)
    decide(purchase, actor("li.na"), {"supervisor_decision": "approve"})
    walks = []
    real = runtime.ending
    for module in (runtime, instances):  # every name the engine may call it by
        monkeypatch.setattr(module, "ending", lambda w: walks.append(w) or real(w))
    decide(purchase, actor("wang.fang"), {"manager_decision": "approve"})
    assert len(walks) == 1
    assert completion(purchase, iid)[1]["outcome"] == "approved"


def test_approval_records_the_approved_outcome(
        purchase: Engine, actor: Callable[[str], Actor]) -> None:
    iid = submitted(purchase, actor)
    assert purchase.get_instance(iid, actor=SYSTEM).outcome is None  # still running
    decide(purchase, actor("li.na"), {"supervisor_decision": "approve"})
    decide(purchase, actor("wang.fang"), {"manager_decision": "approve"})
    info = purchase.get_instance(iid, actor=actor("zhang.wei"))
    assert (info.status, info.outcome) == (InstanceStatus.COMPLETED, Outcome.APPROVED)
    [listed] = purchase.list_instances(actor=actor("zhang.wei"))
    assert listed.outcome is Outcome.APPROVED
    assert completion(purchase, iid) == ("end_approved", {
        "outcome": "approved", "title": "已批准", "title_en": "Approved"})


def test_rejection_records_the_rejected_outcome_and_tells_the_requester(
        purchase: Engine, actor: Callable[[str], Actor]) -> None:
    iid = submitted(purchase, actor)
    done = purchase.complete_task(
        purchase.inbox(actor("li.na"))[0].id,
        {"supervisor_decision": "reject", "supervisor_opinion": "预算不足"},
        actor=actor("li.na"))
    assert (done.status, done.outcome) == (InstanceStatus.COMPLETED, Outcome.REJECTED)
    assert completion(purchase, iid) == ("end_rejected", {
        "outcome": "rejected", "title": "已驳回", "title_en": "Rejected"})
    [notice] = [n for n in purchase.list_notifications(actor("zhang.wei"))
                if n.kind == "instance_completed"]
    assert notice.title == "已驳回：采购审批"
    assert notice.body == f"您发起的「采购审批」#{iid}已办结，结果：已驳回。"


def test_an_end_event_naming_no_outcome_leaves_none(engine: Engine) -> None:
    engine.deploy({"p.bpmn": process(chain())}, actor=SYSTEM)
    info = engine.start_instance("p", {}, actor=SYSTEM)
    assert (info.status, info.outcome) == (InstanceStatus.COMPLETED, None)
    assert completion(engine, info.id) == ("end", {"outcome": None, "title": "end",
                                                    "title_en": None})


@pytest.mark.parametrize("outcome, language, title, body", [
    ("rejected", "en", "Rejected: Purchase approval",
     'Your request "Purchase approval" #42 (PO-7) has finished: rejected.'),
    ("withdrawn", "zh", "已撤回：采购审批", "您发起的「采购审批」#42 (PO-7)已办结，结果：已撤回。"),
    ("done", "en", "Finished: Purchase approval",
     'Your request "Purchase approval" #42 (PO-7) has finished.'),
    (None, "zh", "已办结：采购审批", "您发起的「采购审批」#42 (PO-7)已办结。"),
])
def test_completion_notice_names_the_number_and_the_outcome(
        outcome: str | None, language: str, title: str, body: str) -> None:
    subject = Subject(process="采购审批", process_en="Purchase approval",
                      business_key="PO-7", instance_id=42, outcome=outcome)
    assert render(Kind.INSTANCE_COMPLETED, subject, language, BASE_CONFIG) == (
        title, body)


@pytest.mark.parametrize("body, reason", [
    ('<bpmn:subProcess id="sub"><bpmn:startEvent id="sub_start"/>'
     + end_event("sub_end", outcome="done") + flows(("sub_start", "sub_end"))
     + "</bpmn:subProcess>" + chain("sub"),
     "only an end event of the process itself may name an outcome"),
    ('<bpmn:startEvent id="start"/>' + end_event("end", outcome="ok")
     + flows(("start", "end")),
     "outcome 'ok' is none of approved, rejected, withdrawn, done"),
])
def test_deploy_refuses_an_outcome_the_engine_would_not_read(
        engine: Engine, body: str, reason: str) -> None:
    with pytest.raises(DefinitionInvalid) as caught:
        engine.deploy({"p.bpmn": process(body)}, actor=SYSTEM)
    assert reason in caught.value.message
