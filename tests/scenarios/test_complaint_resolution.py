"""complaint_resolution (called by complaint_handling): the redraft loop on its own."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.records import SYSTEM

if TYPE_CHECKING:
    from tests.scenarios.conftest import Scenario

AM, CS = "account_manager", "customer_service"


def test_redraft_until_the_customer_accepts(scenario: Scenario) -> None:
    s = scenario
    iid = s.engine.start_instance(
        "complaint_resolution",
        {
            "customer_name": "远航电子有限公司",
            "complaint_content": "送达延迟。",
            "promised_resolution_date": "2026-10-20",
            "resolution_rounds": 0,
        },
        actor=SYSTEM,
    ).id
    s.complete(
        iid,
        "investigate_complaint",
        {
            "complaint_validity": "partly_valid",
            "investigation_findings": "部分批次延迟。",
            "root_cause": "承运商调度失误。",
        },
        group=AM,
        not_by=CS,
    )
    plan = {"resolution_plan": "更换承运商。", "planned_completion_date": "2026-10-18"}
    s.complete(iid, "draft_resolution", plan, group=AM)
    s.complete(
        iid,
        "communicate_resolution",
        {
            "communicated_on": "2026-10-14",
            "communication_method": "phone",
            "customer_response": "希望给予补偿。",
        },
        group=CS,
        not_by=AM,
    )
    s.complete(
        iid, "draft_resolution", {**plan, "compensation_amount": "500.00"}, group=AM
    )
    s.complete(
        iid,
        "communicate_resolution",
        {
            "communicated_on": "2026-10-15",
            "communication_method": "phone",
            "customer_accepts_resolution": True,
        },
        group=CS,
    )
    assert s.data(iid, "implement_resolution", AM)["resolution_rounds"] == 2
    s.complete(
        iid,
        "implement_resolution",
        {
            "resolution_implemented_date": "2026-10-17",
            "implementation_summary": "已更换。",
        },
        group=AM,
        not_by=CS,
    )
    assert s.steps(iid) == []
