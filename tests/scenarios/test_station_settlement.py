"""station_settlement (called by station_payout): filing, review, payment and SMS."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import pytest
import time_machine

from engine.errors import InvalidSubmission
from engine.records import SYSTEM

if TYPE_CHECKING:
    from tests.scenarios.conftest import Scenario

CP, KF, GM = "city_platform_office", "county_finance", "general_manager"
DEADLINES = {
    step: f"2026-11-{day:02d}T18:00:00+08:00"
    for step, day in (
        ("marketing_filing", 13),
        ("city_review", 14),
        ("finance_payment", 24),
        ("sms_notice", 25),
    )
}
DATA: dict[str, Any] = {
    "payout_month": "2026-10",
    "payout_deadlines": DEADLINES,
    "payout_summary": {"station_reward_total": "28.75"},
    "station_results": [
        {
            "station_id": "S1",
            "station_name": "东街站",
            "reward_total": "28.75",
            "sms_phone": "13700001101",
        }
    ],
}


def test_late_filing_escalates_and_the_rest_pays(scenario: Scenario) -> None:
    s = scenario
    with time_machine.travel(
        datetime(2026, 11, 12, 2, 0, tzinfo=timezone.utc), tick=False
    ) as clock:
        iid = s.engine.start_instance("station_settlement", DATA, actor=SYSTEM).id
        clock.move_to(datetime(2026, 11, 13, 10, 1, tzinfo=timezone.utc))
        s.engine.fire_due_timers()
        assert (
            s.data(iid, "escalate_late_filing", GM)["overdue_step"]
            == "marketing_filing"
        )
        s.complete(
            iid,
            "file_with_marketing",
            {"marketing_filing_reference": "SC-1", "marketing_filed_on": "2026-11-13"},
            group=CP,
        )
        s.complete(
            iid,
            "review_payout",
            {"city_review_decision": "approve"},
            group=CP,
            not_by=GM,
        )
        s.complete(
            iid,
            "review_compliance_and_pay",
            {
                "finance_decision": "approve",
                "invoices_checked": True,
                "paid_on": "2026-11-20",
                "payment_voucher_no": "FK-1",
            },
            group=KF,
            not_by=CP,
        )
        sms = s.data(iid, "send_sms_notices", CP)["sms_outbox"]
        assert sms == [
            {
                "to": "13700001101",
                "station_id": "S1",
                "text": "【便民站奖励】东街站：2026-10 月奖励 28.75 元已兑现至绿卡，明细请咨询支局维护人员。",
            }
        ]
        s.complete(
            iid,
            "send_sms_notices",
            {"sms_sent_on": "2026-11-21", "sms_batch_no": "DH-1", "sms_sent_count": 1},
            group=CP,
        )
        # the phase ends with a terminate event: the open escalation closes with it
        assert s.ended(iid) == ("completed", None, ["escalate_late_filing"])


def test_finance_cannot_pay_without_checking_invoices(scenario: Scenario) -> None:
    s = scenario
    with time_machine.travel(
        datetime(2026, 11, 12, 2, 0, tzinfo=timezone.utc), tick=False
    ):
        iid = s.engine.start_instance("station_settlement", DATA, actor=SYSTEM).id
        s.complete(
            iid,
            "file_with_marketing",
            {"marketing_filing_reference": "SC-1", "marketing_filed_on": "2026-11-13"},
            group=CP,
        )
        s.complete(iid, "review_payout", {"city_review_decision": "approve"}, group=CP)
        task = s.task(iid, "review_compliance_and_pay", KF)
        with pytest.raises(InvalidSubmission):
            s.engine.complete_task(
                task.id,
                {
                    "finance_decision": "approve",
                    "paid_on": "2026-11-20",
                    "payment_voucher_no": "FK-1",
                },
                actor=s.actor(KF),
            )
