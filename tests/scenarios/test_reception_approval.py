"""P2b customer reception approval: every path of PROCESSES.md via the engine API."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.scenarios._graph import reachable

if TYPE_CHECKING:
    from tests.scenarios.conftest import Scenario

P = "reception_approval"
AM, DIR, GM, FIN = "account_manager", "director", "general_manager", "finance"
APPLICATION = {  # 1,000 + 0 + 2,400 + 300 = 3,700.00
    "customer_name": "南湖医药集团",
    "guests": "王总、采购部刘经理",
    "reception_purpose": "客户来访考察仓储中心，洽谈年度合作。",
    "reception_date": "2026-10-22",
    "reception_plan": "上午参观仓储中心，下午商务洽谈，晚宴由大客户部经理陪同。",
    "gift_budget": "1000.00",
    "travel_budget": "0.00",
    "meal_budget": "2400.00",
    "other_budget": "300.00",
    "advance_requested": False,
    "application_date": "2026-10-15",
}
RECORD = {
    "reception_actual_date": "2026-10-22",
    "guests_received": "王总、刘经理、随行一人",
    "reception_summary": "参观顺利，客户对仓储能力评价较高。",
}
REPORT = {
    "report_summary": "客户有意签订年度仓储协议。",
    "actual_gift_expense": "950.00",
    "actual_travel_expense": "0.00",
    "actual_meal_expense": "2280.00",
    "actual_other_expense": "120.00",
    "invoice_count": 4,
}
REIMBURSE = {
    "reimbursed_amount": "3350.00",
    "advance_offset": "0.00",
    "reimbursement_date": "2026-10-30",
    "reimbursement_voucher_no": "BX-2026-1030-02",
}


def report_and_reimburse(s: Scenario, iid: int, *, gm: bool) -> None:
    s.complete(iid, "carry_out_reception", RECORD, group=AM, not_by=FIN)
    assert not s.tasks(iid, FIN), "no reception report, no reimbursement"
    s.complete(iid, "submit_reception_report", REPORT, group=AM)
    s.complete(
        iid,
        "review_reception_report_by_director",
        {"report_director_decision": "approve"},
        group=DIR,
        not_by=AM,
    )
    if gm:
        assert not s.tasks(iid, FIN)
        s.complete(
            iid,
            "review_reception_report_by_gm",
            {"report_gm_decision": "approve"},
            group=GM,
            not_by=DIR,
        )
    assert (
        s.data(iid, "reimburse_reception_expenses", FIN)["expense_total"] == "3350.00"
    )
    s.complete(iid, "reimburse_reception_expenses", REIMBURSE, group=FIN, not_by=AM)
    assert s.ended(iid) == ("completed", "approved", [])


def test_under_the_threshold_without_advance(scenario: Scenario) -> None:
    s = scenario
    iid = s.start(P, APPLICATION, group=AM).id
    s.complete(
        iid,
        "review_reception_by_director",
        {"director_decision": "approve"},
        group=DIR,
        not_by=GM,
    )
    assert s.steps(iid) == [
        "carry_out_reception"
    ]  # no advance requested: finance skipped
    report_and_reimburse(s, iid, gm=False)


def test_general_manager_disagrees_and_the_plan_comes_back(scenario: Scenario) -> None:
    s = scenario
    big = {
        **APPLICATION,
        "meal_budget": "4800.00",
        "advance_requested": True,
        "advance_amount": "3000.00",
    }
    iid = s.start(P, big, group=AM).id
    s.complete(
        iid, "review_reception_by_director", {"director_decision": "approve"}, group=DIR
    )
    s.complete(
        iid,
        "approve_reception_by_gm",
        {"gm_decision": "return", "gm_opinion": "晚宴标准过高。"},
        group=GM,
        not_by=DIR,
    )
    s.complete(
        iid,
        "revise_reception_application",
        {
            **big,
            "meal_budget": "3600.00",
            "revision_action": "resubmit",
            "revision_note": "晚宴改为工作餐。",
        },
        group=AM,
    )
    assert s.data(iid, "review_reception_by_director", DIR)["budget_total"] == "4900.00"
    s.complete(
        iid, "review_reception_by_director", {"director_decision": "approve"}, group=DIR
    )
    s.complete(
        iid,
        "provide_reception_advance",
        {
            "advance_paid_amount": "3000.00",
            "advance_paid_date": "2026-10-20",
            "advance_voucher_no": "JZ-2026-1020-01",
        },
        group=FIN,
        not_by=GM,
    )
    report_and_reimburse(s, iid, gm=False)


def test_rejected_with_reason_then_resubmitted_above_threshold(
    scenario: Scenario,
) -> None:
    s = scenario
    iid = s.start(
        P,
        {**APPLICATION, "other_budget": "1500.00", "meal_budget": "3000.00"},
        group=AM,
    ).id
    s.complete(
        iid,
        "review_reception_by_director",
        {"director_decision": "reject", "director_opinion": "与上月接待重复。"},
        group=DIR,
    )
    s.complete(
        iid,
        "revise_reception_application",
        {
            **APPLICATION,
            "other_budget": "1500.00",
            "meal_budget": "3000.00",
            "revision_action": "resubmit",
            "revision_note": "补充本次接待的新议题。",
        },
        group=AM,
    )
    s.complete(
        iid, "review_reception_by_director", {"director_decision": "approve"}, group=DIR
    )
    s.complete(iid, "approve_reception_by_gm", {"gm_decision": "approve"}, group=GM)
    report_and_reimburse(s, iid, gm=True)


def test_rejected_application_withdrawn_ends_as_withdrawn(scenario: Scenario) -> None:
    s = scenario
    iid = s.start(P, APPLICATION, group=AM).id
    opinion = {"director_decision": "reject", "director_opinion": "本季度不安排接待。"}
    s.complete(iid, "review_reception_by_director", opinion, group=DIR)
    withdrawal = {**APPLICATION, "revision_action": "withdraw"}
    s.complete(iid, "revise_reception_application", withdrawal, group=AM, not_by=DIR)
    assert s.ended(iid) == ("completed", "withdrawn", [])


@pytest.mark.parametrize(
    "gate", ["submit_reception_report", "review_reception_report_by_director"]
)
def test_reimbursement_is_structurally_after_the_approved_report(gate: str) -> None:
    assert not reachable(P, "reimburse_reception_expenses", avoiding=gate)
