"""P1 service-support request: every path of PROCESSES.md through the engine API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest
import time_machine

from engine.errors import InvalidSubmission, NotAuthorized
from engine.records import SYSTEM, TaskState

if TYPE_CHECKING:
    from tests.scenarios.conftest import Scenario

P = "service_support"
T0 = datetime(2026, 10, 12, 1, 0, tzinfo=timezone.utc)
REQUEST = {
    "customer_name": "华东能源集团",
    "customer_contact": "陈主任 021-55550001",
    "support_content": "为集团信息中心举办新一代产品技术研讨会，并提供两天驻场支持。",
    "planned_activity_type": "technical_seminar",
    "customer_deep_needs": "数据中心扩容，需要评估能耗方案。",
    "customer_need_changes": "预算由年度改为季度审批。",
    "estimated_budget": "12000.00",
    "application_date": "2026-10-12",
    "applicant_name": "赵敏",
}
DELIVERY = {
    "activity_type": "technical_seminar",
    "activity_start_date": "2026-10-20",
    "activity_end_date": "2026-10-21",
    "activity_location": "客户总部三楼会议室",
    "service_summary": "完成两场技术讲座，收集客户技术意见十二条。",
}
EVALUATION = {
    "evaluation_goal_achievement": "fully",
    "actual_cost": "11800.00",
    "evaluation_summary": "客户技术主管全部到场，达成下一步测试意向。",
}
RETURN_VISIT = {
    "return_visit_date": "2026-10-22",
    "return_visit_method": "phone",
    "customer_opinion": "讲座内容实用，希望增加实操环节。",
    "customer_satisfaction": "satisfied",
}


def approve_request(s: Scenario, iid: int) -> None:
    s.complete(
        iid,
        "review_request_by_supervisor",
        {"supervisor_decision": "approve"},
        group="supervisor",
        not_by="account_staff",
    )
    s.complete(
        iid,
        "approve_request_by_manager",
        {"manager_decision": "approve"},
        group="department_manager",
        not_by="supervisor",
    )


def delivered(s: Scenario) -> int:
    """Start a request, approve it and deliver the service: the return visit is due."""
    iid = s.start(P, REQUEST, group="account_staff").id
    approve_request(s, iid)
    s.complete(iid, "deliver_service", DELIVERY, group="account_staff")
    return iid


def finish_evaluation(s: Scenario, iid: int) -> None:
    s.complete(
        iid, "evaluate_service", EVALUATION, group="account_staff", not_by="supervisor"
    )
    s.complete(
        iid,
        "review_evaluation_by_supervisor",
        {"evaluation_supervisor_decision": "approve"},
        group="supervisor",
        not_by="department_manager",
    )
    s.complete(
        iid,
        "approve_evaluation_by_manager",
        {"evaluation_manager_decision": "approve"},
        group="department_manager",
        not_by="supervisor",
    )


@pytest.fixture(autouse=True)
def day_after_the_activity() -> Iterator[None]:
    """22 October 2026: the activity of DELIVERY is over and its return visit not yet due.

    A test that moves the clock itself travels again inside this one.
    """
    with time_machine.travel(datetime(2026, 10, 22, 1, 0, tzinfo=timezone.utc), tick=False):
        yield


def test_approved_end_to_end(scenario: Scenario) -> None:
    s = scenario
    iid = s.start(P, REQUEST, group="account_staff").id
    assert s.steps(iid) == ["review_request_by_supervisor"]
    approve_request(s, iid)
    s.complete(
        iid, "deliver_service", DELIVERY, group="account_staff", not_by="supervisor"
    )
    assert s.steps(iid) == ["conduct_return_visit", "evaluate_service"]
    finish_evaluation(s, iid)
    s.complete(
        iid,
        "conduct_return_visit",
        RETURN_VISIT,
        group="account_staff",
        not_by="department_manager",
    )
    assert s.ended(iid) == ("completed", "approved", [])


def test_returned_by_supervisor_and_resubmitted(scenario: Scenario) -> None:
    s = scenario
    iid = s.start(P, REQUEST, group="account_staff").id
    with pytest.raises(InvalidSubmission):  # returning needs an opinion
        s.complete(
            iid,
            "review_request_by_supervisor",
            {"supervisor_decision": "return"},
            group="supervisor",
        )
    s.complete(
        iid,
        "review_request_by_supervisor",
        {"supervisor_decision": "return", "supervisor_opinion": "请补充客户组织结构。"},
        group="supervisor",
    )
    revision = s.data(iid, "revise_service_request", "account_staff")
    assert revision["supervisor_opinion"] == "请补充客户组织结构。"
    s.complete(
        iid,
        "revise_service_request",
        {
            **REQUEST,
            "customer_org_structure": "信息中心下设三个处室。",
            "revision_note": "已补充组织结构。",
        },
        group="account_staff",
        not_by="supervisor",
    )
    review = s.data(iid, "review_request_by_supervisor", "supervisor")
    assert review["request_round"] == 2
    assert review["customer_org_structure"] == "信息中心下设三个处室。"
    approve_request(s, iid)
    assert s.steps(iid) == ["deliver_service"]


def test_returned_evaluation_is_filled_in_again(scenario: Scenario) -> None:
    s = scenario
    iid = delivered(s)
    s.complete(iid, "evaluate_service", EVALUATION, group="account_staff")
    s.complete(
        iid,
        "review_evaluation_by_supervisor",
        {"evaluation_supervisor_decision": "approve"},
        group="supervisor",
    )
    s.complete(
        iid,
        "approve_evaluation_by_manager",
        {
            "evaluation_manager_decision": "return",
            "evaluation_manager_opinion": "请补充费用明细。",
        },
        group="department_manager",
    )
    assert "evaluate_service" in s.steps(iid)
    finish_evaluation(s, iid)
    assert s.steps(iid) == ["conduct_return_visit"]


def test_rejected_by_manager(scenario: Scenario) -> None:
    s = scenario
    iid = s.start(P, REQUEST, group="account_staff").id
    s.complete(
        iid,
        "review_request_by_supervisor",
        {"supervisor_decision": "approve"},
        group="supervisor",
    )
    s.complete(
        iid,
        "approve_request_by_manager",
        {"manager_decision": "reject", "manager_opinion": "本季度预算已用完。"},
        group="department_manager",
        not_by="account_staff",
    )
    assert s.ended(iid) == ("completed", "rejected", [])


@pytest.mark.parametrize("handled", [True, False], ids=["handled", "left_open"])
def test_overdue_return_visit_is_escalated_to_the_supervisor(
    scenario: Scenario, handled: bool
) -> None:
    s = scenario
    # Delivered the day after the activity ended (21 October); the visit is due a week
    # after that end, at 18:00 office time.
    with time_machine.travel(T0 + timedelta(days=10), tick=False) as clock:
        iid = delivered(s)
        visit = s.task(iid, "conduct_return_visit", "account_staff")
        due = datetime(2026, 10, 28, 10, 0, tzinfo=timezone.utc)
        assert visit.due_at == due
        clock.move_to(due - timedelta(minutes=1))
        s.engine.fire_due_timers()
        assert "escalate_overdue_return_visit" not in s.steps(iid)
        clock.move_to(due + timedelta(minutes=1))
        s.engine.fire_due_timers()
        assert s.steps(iid) == [
            "conduct_return_visit",
            "escalate_overdue_return_visit",
            "evaluate_service",
        ]
        escalation = s.task(iid, "escalate_overdue_return_visit", "supervisor")
        assert s.data(iid, escalation.bpmn_id, "supervisor")["return_visit_overdue"]
        assert s.task(iid, "conduct_return_visit", "account_staff").is_overdue(
            due + timedelta(minutes=1)
        )
        if handled:
            s.complete(
                iid,
                "escalate_overdue_return_visit",
                {
                    "escalation_action": "urged_staff",
                    "escalation_note": "已电话督促，明日回访。",
                },
                group="supervisor",
                not_by="account_staff",
            )
        late = {**RETURN_VISIT, "return_visit_date": "2026-10-28"}
        s.complete(iid, "conduct_return_visit", late, group="account_staff")
        finish_evaluation(s, iid)
        # the service's end terminates the process: an escalation left open goes too
        left_open = [] if handled else ["escalate_overdue_return_visit"]
        assert s.ended(iid) == ("completed", "approved", left_open)
        closed = s.engine.get_task(escalation.id, actor=s.actor("supervisor")).task
        assert closed.state is (TaskState.COMPLETED if handled else TaskState.CANCELLED)


def test_the_overdue_escalation_names_the_deadline_in_office_time(
    scenario: Scenario,
) -> None:
    """The supervisor reads "2026-10-28 18:00", not the stored ISO text with its offset."""
    s = scenario
    with time_machine.travel(T0 + timedelta(days=10), tick=False) as clock:
        iid = delivered(s)
        clock.move_to(datetime(2026, 10, 28, 10, 1, tzinfo=timezone.utc))
        s.engine.fire_due_timers()
        escalation = s.task(iid, "escalate_overdue_return_visit", "supervisor")
        detail = s.engine.get_task(escalation.id, actor=s.actor("supervisor"))
    assert detail.data["return_visit_due"] == "2026-10-28T18:00:00+08:00"
    assert "（2026-10-28 18:00）" in detail.instructions
    assert "(2026-10-28 18:00)" in (detail.instructions_en or "")
    assert "T18:00" not in detail.instructions + (detail.instructions_en or "")


def test_an_activity_that_ends_before_it_starts_is_refused(scenario: Scenario) -> None:
    """Such a record made the return visit overdue at once and escalated it."""
    s = scenario
    iid = s.start(P, REQUEST, group="account_staff").id
    approve_request(s, iid)
    backwards = {**DELIVERY, "activity_end_date": "2026-10-10"}
    with pytest.raises(InvalidSubmission) as refused:
        s.complete(iid, "deliver_service", backwards, group="account_staff")
    assert refused.value.errors_zh == {
        "activity_end_date": ["活动结束日期不能早于开始日期 2026-10-20"]
    }
    assert s.steps(iid) == ["deliver_service"]


def _return_to_applicant(s: Scenario) -> int:
    iid = s.start(P, REQUEST, group="account_staff").id
    s.complete(
        iid,
        "review_request_by_supervisor",
        {"supervisor_decision": "return", "supervisor_opinion": "请补充预算明细。"},
        group="supervisor",
    )
    return iid


def test_a_returned_request_goes_back_to_its_applicant_not_the_pool(
    scenario: Scenario,
) -> None:
    s = scenario
    applicant = s.actor("account_staff")
    colleague = s.engine.get_actor("zhang.wei")  # also in account_staff
    assert colleague.username != applicant.username
    assert "account_staff" in colleague.groups
    iid = _return_to_applicant(s)
    [revision] = [t for t in s.engine.inbox(applicant, scope="mine")
                  if t.instance_id == iid]
    assert revision.bpmn_id == "revise_service_request"
    assert revision.assignee == applicant.username
    pool = s.engine.inbox(colleague, scope="group")
    assert all(t.instance_id != iid for t in pool)
    with pytest.raises(NotAuthorized):
        s.engine.complete_task(revision.id, REQUEST, actor=colleague)
    [created] = [e for e in s.engine.history(iid, actor=SYSTEM, computed=True)
                 if e.event_type == "task_created"
                 and str(e.task_id) == str(revision.id)]
    assert created.payload["assignee"] == applicant.username


def test_a_returned_request_goes_to_the_pool_when_its_applicant_left_the_lane(
    scenario: Scenario,
) -> None:
    s = scenario
    applicant = s.actor("account_staff")
    iid = s.start(P, REQUEST, group="account_staff").id
    s.engine.set_groups(applicant.username, ["supervisor"], actor=SYSTEM)
    s.complete(
        iid,
        "review_request_by_supervisor",
        {"supervisor_decision": "return", "supervisor_opinion": "请补充预算明细。"},
        group="supervisor",
    )
    colleague = s.engine.get_actor("zhang.wei")
    [revision] = [t for t in s.engine.inbox(colleague, scope="group")
                  if t.instance_id == iid]
    assert revision.assignee is None
