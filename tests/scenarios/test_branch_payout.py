"""branch_payout (called by station_payout): the branch pattern and its deadlines."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import time_machine

from engine.records import SYSTEM

if TYPE_CHECKING:
    from tests.scenarios.conftest import Scenario

KP, CP, KF, GM = (
    "county_platform_office",
    "city_platform_office",
    "county_finance",
    "general_manager",
)
DEADLINES = {
    step: f"2026-11-{day:02d}T18:00:00+08:00"
    for step, day in (
        ("branch_verification", 12),
        ("branch_city_review", 14),
        ("branch_leader_signoff", 15),
        ("branch_payroll", 24),
        ("branch_sms_notice", 25),
    )
}
DATA: dict[str, Any] = {
    "payout_month": "2026-10",
    "payout_deadlines": DEADLINES,
    "branch_results": [
        {
            "branch_id": "B1",
            "branch_name": "城关支局",
            "branch_head_phone": "13800000101",
            "maintainer_phone": "13800000102",
            "branch_head_amount": "2.92",
            "maintainer_amount": "11.68",
        }
    ],
}
VERIFIED = {"branch_signatures_collected": True, "branch_verified_on": "2026-11-10"}


def pay_and_notify(s: Scenario, iid: int) -> None:
    """Finance enters the payroll, then the city office sends the branch SMS."""
    s.complete(
        iid,
        "enter_branch_payroll",
        {"payroll_batch_no": "XC-1", "payroll_paid_on": "2026-11-24"},
        group=KF,
        not_by=KP,
    )
    sms = s.data(iid, "send_branch_sms", CP)["branch_sms_outbox"]
    assert [m["to"] for m in sms] == ["13800000101", "13800000102"]
    s.complete(
        iid,
        "send_branch_sms",
        {"branch_sms_sent_on": "2026-11-25", "branch_sms_batch_no": "DH-2"},
        group=CP,
    )


def test_city_returns_once_then_payroll_and_sms(scenario: Scenario) -> None:
    s = scenario
    with time_machine.travel(
        datetime(2026, 11, 5, 2, 0, tzinfo=timezone.utc), tick=False
    ):
        iid = s.engine.start_instance("branch_payout", DATA, actor=SYSTEM).id
        s.complete(iid, "verify_branch_rewards", VERIFIED, group=KP, not_by=KF)
        s.complete(
            iid,
            "review_branch_rewards",
            {
                "branch_review_decision": "return",
                "branch_review_opinion": "缺维护人员签字。",
            },
            group=CP,
            not_by=KP,
        )
        s.complete(iid, "verify_branch_rewards", VERIFIED, group=KP)
        s.complete(
            iid,
            "review_branch_rewards",
            {"branch_review_decision": "approve"},
            group=CP,
        )
        s.complete(
            iid,
            "submit_branch_rewards_to_finance",
            {
                "county_leader_name": "刘局长",
                "county_leader_signed_on": "2026-11-15",
                "submitted_to_finance_on": "2026-11-15",
            },
            group=KP,
            not_by=CP,
        )
        pay_and_notify(s, iid)
        assert s.ended(iid) == ("completed", None, [])


def test_late_payroll_escalates(scenario: Scenario) -> None:
    s = scenario
    with time_machine.travel(
        datetime(2026, 11, 5, 2, 0, tzinfo=timezone.utc), tick=False
    ) as clock:
        iid = s.engine.start_instance("branch_payout", DATA, actor=SYSTEM).id
        s.complete(iid, "verify_branch_rewards", VERIFIED, group=KP)
        s.complete(
            iid,
            "review_branch_rewards",
            {"branch_review_decision": "approve"},
            group=CP,
        )
        s.complete(
            iid,
            "submit_branch_rewards_to_finance",
            {
                "county_leader_name": "刘局长",
                "county_leader_signed_on": "2026-11-15",
                "submitted_to_finance_on": "2026-11-15",
            },
            group=KP,
        )
        clock.move_to(datetime(2026, 11, 24, 10, 1, tzinfo=timezone.utc))
        s.engine.fire_due_timers()
        assert (
            s.data(iid, "escalate_late_payroll", GM)["overdue_step"] == "branch_payroll"
        )
        pay_and_notify(s, iid)
        # the phase ends with a terminate event: the open escalation closes with it
        assert s.ended(iid) == ("completed", None, ["escalate_late_payroll"])
