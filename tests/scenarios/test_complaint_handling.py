"""P3 complaint handling: every path of PROCESSES.md through the engine API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest
import time_machine

if TYPE_CHECKING:
    from tests.scenarios.conftest import Scenario

P = "complaint_handling"
CS, AM, DM = "customer_service", "account_manager", "department_manager"
T0 = datetime(2026, 10, 12, 1, 0, tzinfo=timezone.utc)  # 09:00 in the office (UTC+8)
INTAKE = {
    "customer_name": "远航电子有限公司",
    "contact_person": "周经理",
    "contact_phone": "0571-88886666",
    "complaint_received_date": "2026-10-12",
    "complaint_received_time": "09:00",
    "complaint_channel": "phone",
    "complaint_category": "delivery",
    "complaint_content": "本月三批货物均延迟两天以上送达，影响客户生产。",
    "customer_request": "查明原因并承诺整改。",
}
CONTACT = {
    "first_contact_date": "2026-10-12",
    "first_contact_method": "phone",
    "complaint_details_confirmed": "延迟集中在周末发货批次。",
    "promised_resolution_date": "2026-10-20",
}
INVESTIGATION = {
    "complaint_validity": "valid",
    "investigation_findings": "周末分拣人手不足。",
    "root_cause": "排班未覆盖周末高峰。",
    "departments_consulted": "运营部",
}
PLAN = {
    "resolution_plan": "周末增派两名分拣员，延迟批次运费减半。",
    "compensation_amount": "1800.00",
    "planned_completion_date": "2026-10-18",
}
ACCEPTED = {
    "communicated_on": "2026-10-15",
    "communication_method": "phone",
    "customer_accepts_resolution": True,
}
REFUSED = {
    "communicated_on": "2026-10-14",
    "communication_method": "visit",
    "customer_response": "补偿不足，要求免除延迟批次运费。",
}
DONE = {
    "resolution_implemented_date": "2026-10-18",
    "implementation_summary": "周末排班已调整，已退还运费。",
}
FOLLOW_UP = {
    "follow_up_date": "2026-10-26",
    "follow_up_satisfaction": "satisfied",
    "follow_up_comments": "近两周送达准时。",
}


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """Every complaint is received on 12 October 2026 at 09:00 office time."""
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def open_complaint(s: Scenario) -> int:
    iid = s.start(P, INTAKE, group=CS).id
    s.complete(iid, "contact_customer", CONTACT, group=CS, not_by=AM)
    s.complete(iid, "investigate_complaint", INVESTIGATION, group=AM, not_by=CS)
    return iid


def close(s: Scenario, iid: int) -> dict[str, object]:
    s.complete(iid, "implement_resolution", DONE, group=AM, not_by=CS)
    s.complete(iid, "follow_up_complaint", FOLLOW_UP, group=CS, not_by=AM)
    assert s.status(iid, CS) == "completed"
    metrics = s.engine.get_instance(iid, actor=s.actor(CS)).data["complaint_metrics"]
    assert isinstance(metrics, dict)
    return metrics


def test_customer_satisfied_with_the_first_resolution(
    scenario: Scenario, clock: time_machine.Traveller
) -> None:
    s = scenario
    iid = open_complaint(s)
    s.complete(iid, "draft_resolution", PLAN, group=AM)
    s.complete(iid, "communicate_resolution", ACCEPTED, group=CS, not_by=AM)
    metrics = close(s, iid)
    assert metrics == {
        "received_on": "2026-10-12",
        "category": "delivery",
        "resolution_rounds": 1,
        "days_to_resolve": 6,
        "resolved_within_promise": True,
        "first_contact_overdue": False,
        "satisfaction": "satisfied",
        "customer_satisfied": True,
    }


def test_several_unsatisfied_rounds_before_agreement(
    scenario: Scenario, clock: time_machine.Traveller
) -> None:
    s = scenario
    iid = open_complaint(s)
    for round_ in range(1, 4):
        s.complete(iid, "draft_resolution", PLAN, group=AM, not_by=CS)
        s.complete(iid, "communicate_resolution", REFUSED, group=CS)
        draft = s.data(iid, "draft_resolution", AM)
        assert draft["resolution_rounds"] == round_
        assert draft["customer_response"] == REFUSED["customer_response"]
    s.complete(
        iid, "draft_resolution", {**PLAN, "compensation_amount": "3600.00"}, group=AM
    )
    s.complete(iid, "communicate_resolution", ACCEPTED, group=CS)
    assert close(s, iid)["resolution_rounds"] == 4


def test_missed_promise_escalates_to_the_department_manager(
    scenario: Scenario, clock: time_machine.Traveller
) -> None:
    s = scenario
    iid = open_complaint(s)
    s.complete(iid, "draft_resolution", PLAN, group=AM)
    s.complete(iid, "communicate_resolution", REFUSED, group=CS)
    # promised 2026-10-20: due at the end of that day in the office, 15:59:59 UTC
    clock.move_to(datetime(2026, 10, 20, 15, 59, tzinfo=timezone.utc))
    s.engine.fire_due_timers()
    assert "escalate_missed_resolution" not in s.steps(iid)
    clock.move_to(datetime(2026, 10, 20, 16, 1, tzinfo=timezone.utc))
    s.engine.fire_due_timers()
    assert "escalate_missed_resolution" in s.steps(iid)
    escalation = s.data(iid, "escalate_missed_resolution", DM)
    assert escalation["resolution_overdue"] is True
    s.complete(
        iid,
        "escalate_missed_resolution",
        {
            "escalation_action": "contacted_customer",
            "escalation_note": "已向客户致歉并协调运营部加急。",
        },
        group=DM,
        not_by=CS,
    )
    s.complete(iid, "draft_resolution", PLAN, group=AM)
    s.complete(iid, "communicate_resolution", ACCEPTED, group=CS)
    s.complete(
        iid,
        "implement_resolution",
        {**DONE, "resolution_implemented_date": "2026-10-23"},
        group=AM,
    )
    s.complete(iid, "follow_up_complaint", FOLLOW_UP, group=CS)
    metrics = s.engine.get_instance(iid, actor=s.actor(CS)).data["complaint_metrics"]
    assert isinstance(metrics, dict) and metrics["resolved_within_promise"] is False


def test_late_first_contact_escalates(
    scenario: Scenario, clock: time_machine.Traveller
) -> None:
    s = scenario
    iid = s.start(P, INTAKE, group=CS).id
    assert s.task(iid, "contact_customer", CS).due_at == T0 + timedelta(hours=24)
    clock.move_to(T0 + timedelta(hours=24, minutes=1))
    s.engine.fire_due_timers()
    assert s.steps(iid) == ["contact_customer", "escalate_late_first_contact"]
    assert (
        s.data(iid, "escalate_late_first_contact", DM)["first_contact_overdue"] is True
    )
    s.complete(
        iid,
        "escalate_late_first_contact",
        {"escalation_action": "urged", "escalation_note": "已要求客服立即联系。"},
        group=DM,
    )
    s.complete(iid, "contact_customer", CONTACT, group=CS)
    assert s.steps(iid) == ["investigate_complaint"]


def test_closing_the_complaint_cancels_the_escalations_still_open(
    scenario: Scenario, clock: time_machine.Traveller
) -> None:
    s = scenario
    iid = s.start(P, INTAKE, group=CS).id
    clock.move_to(T0 + timedelta(hours=24, minutes=1))
    s.engine.fire_due_timers()
    s.complete(iid, "contact_customer", CONTACT, group=CS)
    s.complete(iid, "investigate_complaint", INVESTIGATION, group=AM)
    s.complete(iid, "draft_resolution", PLAN, group=AM)
    clock.move_to(datetime(2026, 10, 20, 16, 1, tzinfo=timezone.utc))
    s.engine.fire_due_timers()
    s.complete(iid, "communicate_resolution", ACCEPTED, group=CS)
    assert sorted(t.bpmn_id for t in s.tasks(iid, DM)) == [
        "escalate_late_first_contact",
        "escalate_missed_resolution",
    ]
    close(s, iid)
    # closing the complaint terminates the process: both escalations go with it
    assert s.ended(iid) == (
        "completed",
        "done",
        ["escalate_late_first_contact", "escalate_missed_resolution"],
    )
