"""P2 customer visit approval: every path of PROCESSES.md through the engine API."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest
import time_machine

from engine.errors import InvalidSubmission
from tests.scenarios._graph import flows, reachable

if TYPE_CHECKING:
    from tests.scenarios.conftest import Scenario

P = "visit_approval"
AM, DIR, GM, FIN = "account_manager", "director", "general_manager", "finance"
T0 = datetime(2026, 10, 12, 1, 0, tzinfo=timezone.utc)
SMALL = {  # 800 + 1200 + 600 + 0 = 2,600.00: the director alone approves
    "customer_name": "星河物流股份有限公司",
    "contact_person": "李总（采购总监）",
    "visit_purpose": "介绍年度服务方案，了解明年运输需求。",
    "visit_date": "2026-10-20",
    "visit_participants": "张伟、赵敏",
    "gift_budget": "800.00",
    "travel_budget": "1200.00",
    "meal_budget": "600.00",
    "other_budget": "0.00",
    "advance_requested": True,
    "advance_amount": "2000.00",
    "application_date": "2026-10-12",
}
LARGE = {
    **SMALL,
    "gift_budget": "3000.00",
    "travel_budget": "1500.00",
    "meal_budget": "500.01",
}  # 5,000.01: above the threshold, the GM approves too
RECORD = {
    "visit_actual_date": "2026-10-20",
    "needs_learned": "明年运量增长三成，需要冷链方案。",
    "objections_handled": "价格顾虑：说明阶梯优惠。",
    "gifts_given": "公司纪念品两份",
    "next_visit_agreed": True,
    "next_visit_date": "2026-11-15",
}
REPORT = {
    "report_summary": "客户认可方案，约定11月中旬再次拜访。",
    "customer_file_update": "新增采购总监联系方式；年运输预算约800万元。",
    "actual_gift_expense": "760.00",
    "actual_travel_expense": "1130.50",
    "actual_meal_expense": "580.00",
    "actual_other_expense": "0.00",
    "invoice_count": 5,
}
ADVANCE = {
    "advance_paid_amount": "2000.00",
    "advance_paid_date": "2026-10-15",
    "advance_voucher_no": "JZ-2026-1015-03",
}
REIMBURSE = {
    "reimbursed_amount": "470.50",
    "advance_offset": "2000.00",
    "reimbursement_date": "2026-10-28",
    "reimbursement_voucher_no": "BX-2026-1028-11",
}
FEEDBACK = {
    "feedback_date": "2026-10-24",
    "feedback_method": "phone",
    "customer_feedback": "希望尽快收到冷链方案报价。",
}


def approve(s: Scenario, iid: int, *, gm: bool) -> None:
    s.complete(
        iid,
        "review_visit_by_director",
        {"director_decision": "approve"},
        group=DIR,
        not_by=AM,
    )
    if gm:
        s.complete(
            iid, "approve_visit_by_gm", {"gm_decision": "approve"}, group=GM, not_by=DIR
        )
    s.complete(iid, "provide_visit_advance", ADVANCE, group=FIN, not_by=AM)


def visit_and_report(s: Scenario, iid: int, *, gm: bool) -> None:
    s.complete(iid, "record_visit", RECORD, group=AM, not_by=DIR)
    s.complete(iid, "submit_visit_report", REPORT, group=AM, not_by=FIN)
    assert not s.tasks(iid, FIN), "no reimbursement before the report is approved"
    s.complete(
        iid,
        "review_visit_report_by_director",
        {"report_director_decision": "approve"},
        group=DIR,
        not_by=GM,
    )
    if gm:
        assert not s.tasks(iid, FIN)
        s.complete(
            iid,
            "review_visit_report_by_gm",
            {"report_gm_decision": "approve"},
            group=GM,
            not_by=DIR,
        )


def finish(s: Scenario, iid: int) -> None:
    reimbursement = s.data(iid, "reimburse_visit_expenses", FIN)
    assert reimbursement["expense_total"] == "2470.50"
    s.complete(iid, "reimburse_visit_expenses", REIMBURSE, group=FIN, not_by=AM)
    s.complete(iid, "collect_customer_feedback", FEEDBACK, group=AM, not_by=DIR)
    assert s.ended(iid) == ("completed", "approved", [])


def test_under_the_threshold_the_director_alone_approves(scenario: Scenario) -> None:
    s = scenario
    iid = s.start(P, SMALL, group=AM).id
    review = s.data(iid, "review_visit_by_director", DIR)
    assert (
        review["budget_total"] == "2600.00" and review["gm_approval_required"] is False
    )
    approve(s, iid, gm=False)
    visit_and_report(s, iid, gm=False)
    finish(s, iid)


def test_over_the_threshold_the_general_manager_approves(scenario: Scenario) -> None:
    s = scenario
    iid = s.start(P, LARGE, group=AM).id
    assert s.data(iid, "review_visit_by_director", DIR)["budget_total"] == "5000.01"
    s.complete(
        iid, "review_visit_by_director", {"director_decision": "approve"}, group=DIR
    )
    assert s.steps(iid) == ["approve_visit_by_gm"]
    s.complete(
        iid, "approve_visit_by_gm", {"gm_decision": "approve"}, group=GM, not_by=DIR
    )
    s.complete(iid, "provide_visit_advance", ADVANCE, group=FIN)
    visit_and_report(s, iid, gm=True)
    finish(s, iid)


def test_rejected_with_reason_then_resubmitted(scenario: Scenario) -> None:
    s = scenario
    iid = s.start(P, LARGE, group=AM).id
    s.complete(
        iid, "review_visit_by_director", {"director_decision": "approve"}, group=DIR
    )
    s.complete(
        iid,
        "approve_visit_by_gm",
        {"gm_decision": "reject", "gm_opinion": "礼品预算过高，请压缩到2000元以内。"},
        group=GM,
        not_by=AM,
    )
    revision = s.data(iid, "revise_visit_application", AM)
    assert revision["gm_opinion"] == "礼品预算过高，请压缩到2000元以内。"
    s.complete(
        iid,
        "revise_visit_application",
        {
            **LARGE,
            "gift_budget": "1500.00",
            "revision_action": "resubmit",
            "revision_note": "礼品预算压缩至1500元。",
        },
        group=AM,
        not_by=GM,
    )
    review = s.data(iid, "review_visit_by_director", DIR)
    assert (review["application_round"], review["budget_total"]) == (2, "3500.01")
    approve(s, iid, gm=False)
    assert s.steps(iid) == ["record_visit"]


def test_returned_application_can_be_withdrawn(scenario: Scenario) -> None:
    s = scenario
    iid = s.start(P, SMALL, group=AM).id
    s.complete(
        iid,
        "review_visit_by_director",
        {"director_decision": "return", "director_opinion": "请明确拜访目的。"},
        group=DIR,
    )
    s.complete(
        iid,
        "revise_visit_application",
        {**SMALL, "revision_action": "withdraw"},
        group=AM,
    )
    assert s.ended(iid) == ("completed", "withdrawn", [])


def test_no_report_no_reimbursement(scenario: Scenario) -> None:
    s = scenario
    iid = s.start(P, SMALL, group=AM).id
    approve(s, iid, gm=False)
    s.complete(iid, "record_visit", RECORD, group=AM)
    assert s.steps(iid) == ["collect_customer_feedback", "submit_visit_report"]
    assert not s.tasks(iid, FIN)  # the report is missing: finance has nothing to pay
    s.complete(iid, "submit_visit_report", REPORT, group=AM)
    s.complete(
        iid,
        "review_visit_report_by_director",
        {
            "report_director_decision": "return",
            "report_director_opinion": "补充客户档案。",
        },
        group=DIR,
    )
    assert not s.tasks(iid, FIN)  # a returned report does not unlock it either
    assert (
        s.data(iid, "submit_visit_report", AM)["report_director_opinion"]
        == "补充客户档案。"
    )
    s.complete(iid, "submit_visit_report", REPORT, group=AM)
    s.complete(
        iid,
        "review_visit_report_by_director",
        {"report_director_decision": "approve"},
        group=DIR,
    )
    assert "reimburse_visit_expenses" in s.steps(iid)


@pytest.mark.parametrize(
    "gate", ["submit_visit_report", "review_visit_report_by_director"]
)
def test_reimbursement_is_structurally_after_the_approved_report(gate: str) -> None:
    assert not reachable(P, "reimburse_visit_expenses", avoiding=gate)
    conditions = [c for _, t, c in flows(P) if t == "reimburse_visit_expenses"]
    assert conditions and all('_decision == "approve"' in c for c in conditions)


def feedback_overdue(s: Scenario, clock: Any) -> int:
    """A small visit recorded at T0, a week and a minute later: feedback is overdue."""
    iid = s.start(P, SMALL, group=AM).id
    approve(s, iid, gm=False)
    s.complete(iid, "record_visit", RECORD, group=AM)
    clock.move_to(T0 + timedelta(days=7, minutes=1))
    s.engine.fire_due_timers()
    return iid


@pytest.mark.parametrize("handled", [True, False], ids=["handled", "left_open"])
def test_overdue_feedback_is_escalated_to_the_director(
    scenario: Scenario, handled: bool
) -> None:
    s = scenario
    with time_machine.travel(T0, tick=False) as clock:
        iid = feedback_overdue(s, clock)
        assert "escalate_overdue_feedback" in s.steps(iid)
        escalation: Any = s.data(iid, "escalate_overdue_feedback", DIR)
        assert escalation["feedback_overdue"] is True
        if handled:
            s.complete(
                iid,
                "escalate_overdue_feedback",
                {
                    "escalation_action": "urged_manager",
                    "escalation_note": "已督促本周内回访。",
                },
                group=DIR,
                not_by=AM,
            )
        s.complete(iid, "collect_customer_feedback", FEEDBACK, group=AM)
        s.complete(iid, "submit_visit_report", REPORT, group=AM)
        s.complete(
            iid,
            "review_visit_report_by_director",
            {"report_director_decision": "approve"},
            group=DIR,
        )
        s.complete(iid, "reimburse_visit_expenses", REIMBURSE, group=FIN)
        # the visit's end terminates the process: an escalation left open goes with it
        left_open = [] if handled else ["escalate_overdue_feedback"]
        assert s.ended(iid) == ("completed", "approved", left_open)


def test_amounts_that_do_not_add_up_are_refused_and_nothing_moves(
    scenario: Scenario,
) -> None:
    s = scenario
    with pytest.raises(InvalidSubmission) as caught:
        s.start(P, {**SMALL, "advance_amount": "99999.00"}, group=AM)
    assert caught.value.errors == {
        "advance_amount": ["The advance cannot exceed the budget total of 2600.00 yuan"]}
    iid = s.start(P, SMALL, group=AM).id
    s.complete(iid, "review_visit_by_director", {"director_decision": "approve"},
               group=DIR)
    with pytest.raises(InvalidSubmission) as caught:
        s.complete(iid, "provide_visit_advance",
                   {**ADVANCE, "advance_paid_amount": "8000.00"}, group=FIN)
    assert caught.value.errors_zh == {
        "advance_paid_amount": ["支付金额不能超过申请的借支金额 2000.00 元"]}
    assert s.steps(iid) == ["provide_visit_advance"]
    s.complete(iid, "provide_visit_advance", ADVANCE, group=FIN)
    visit_and_report(s, iid, gm=False)
    with pytest.raises(InvalidSubmission) as caught:
        s.complete(iid, "reimburse_visit_expenses",
                   {**REIMBURSE, "reimbursed_amount": "9500.00"}, group=FIN)
    assert caught.value.errors == {"reimbursed_amount": [
        "The reimbursement and the offset together cannot exceed the actual expenses "
        "in the report, 2470.50 yuan"]}
    with pytest.raises(InvalidSubmission) as caught:
        s.complete(iid, "reimburse_visit_expenses",
                   {**REIMBURSE, "advance_offset": "12000.00"}, group=FIN)
    assert caught.value.errors["advance_offset"] == [
        "The offset cannot exceed the advance paid, 2000.00 yuan"]
    finish(s, iid)


def test_the_feedback_escalation_names_its_period_in_words(scenario: Scenario) -> None:
    """The director reads "7 天" / "7 days", not the stored ISO duration "P7D"."""
    s = scenario
    with time_machine.travel(T0, tick=False) as clock:
        iid = feedback_overdue(s, clock)
        escalation = s.task(iid, "escalate_overdue_feedback", DIR)
        detail = s.engine.get_task(escalation.id, actor=s.actor(DIR))
    assert detail.data["feedback_period"] == "P7D"
    assert "（7 天）" in detail.instructions
    assert "(7 days)" in (detail.instructions_en or "")
