"""P4 monthly station payout: every path of PROCESSES.md through the engine API."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import time_machine

from engine.errors import InvalidSubmission, NotAuthorized
from engine.instancekeys import DuplicateInstance
from engine.records import SYSTEM, TaskInfo

if TYPE_CHECKING:
    from tests.scenarios.conftest import Scenario

P = "station_payout"
CB, KB, KP = "city_bureau", "county_bureau", "county_platform_office"
CP, SM, KF, GM = ("city_platform_office", "station_maintainer", "county_finance",
                  "general_manager")
SAMPLE = (Path(__file__).resolve().parents[2] / "workflows" / "samples"
          / "station_transactions_2026-10.csv").read_text(encoding="utf-8")
T0 = datetime(2026, 11, 1, 2, 0, tzinfo=timezone.utc)  # 1 November, 10:00 office time
SIGN = {"station_signed_by": "站长", "station_signed_on": "2026-11-08"}
# The sample's maintainer_account per branch: each confirmation goes to its maintainer.
MAINTAINERS = {"hu.bin": ("B01", "B02"), "guo.ping": ("B03",)}
APPROVE_SETTLEMENT = {"city_review_decision": "approve"}
PAID = {"finance_decision": "approve", "invoices_checked": True,
        "paid_on": "2026-11-20", "payment_voucher_no": "FK-2026-11-20-07"}
FILED = {"marketing_filing_reference": "SC-2026-11-013",
         "marketing_filed_on": "2026-11-13"}
SMS_SENT = {"sms_sent_on": "2026-11-25", "sms_batch_no": "DH-1125",
            "sms_sent_count": 12}
REPORTED = {"signed_sheets_collected": True, "county_report_date": "2026-11-11"}
BRANCH_STEPS: list[tuple[str, dict[str, Any], str, str | None]] = [
    ("verify_branch_rewards", {"branch_signatures_collected": True,
                               "branch_verified_on": "2026-11-10"}, KP, CP),
    ("review_branch_rewards", {"branch_review_decision": "approve"}, CP, KP),
    ("submit_branch_rewards_to_finance", {
        "county_leader_name": "县局刘局长", "county_leader_signed_on": "2026-11-15",
        "submitted_to_finance_on": "2026-11-15"}, KP, None),
    ("enter_branch_payroll", {"payroll_batch_no": "XC-2026-11",
                              "payroll_paid_on": "2026-11-24"}, KF, KP),
]


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def start_and_import(s: Scenario) -> int:
    with pytest.raises(NotAuthorized):  # only the city bureau starts a payout by hand
        s.start(P, {"payout_month": "2026-10"}, group=KB)
    iid = s.start(P, {"payout_month": "2026-10"}, group=CB).id
    s.complete(iid, "import_transactions", {"transactions_csv": SAMPLE}, group=CB,
               not_by=KB)
    return iid


def allocated(s: Scenario) -> int:
    """A payout imported from the sample and verified: the confirmations are open."""
    iid = start_and_import(s)
    s.complete(iid, "verify_allocation", {"county_verification_decision": "approve"},
               group=KB)
    return iid


def confirmations(s: Scenario, iid: int) -> list[tuple[str, TaskInfo]]:
    """Each open station confirmation with the maintainer the import named for it."""
    return [(user, t) for user in MAINTAINERS for t in s.tasks_of(iid, user)
            if t.bpmn_id == "confirm_station_amount" and t.assignee == user]


def confirm_stations(s: Scenario, iid: int, disputes: dict[str, str] | None = None
                     ) -> None:
    """Every station's maintainer signs; those in ``disputes`` dispute with that reason."""
    disputes = disputes or {}
    for user, task in confirmations(s, iid):
        actor = s.engine.get_actor(user)
        data: Any = s.engine.get_task(task.id, actor=actor).data
        assert data["station_to_confirm"]["branch_id"] in MAINTAINERS[user]
        reason = disputes.get(data["station_to_confirm"]["station_id"])
        answer = {**SIGN, "station_decision": "dispute" if reason else "confirm"}
        if reason:
            answer["station_dispute_reason"] = reason
        s.engine.complete_task(task.id, answer, actor=actor)


def settle(s: Scenario, iid: int) -> None:
    s.complete(iid, "file_with_marketing", FILED, group=CP, not_by=KP)
    s.complete(iid, "review_payout", APPROVE_SETTLEMENT, group=CP, not_by=KF)
    s.complete(iid, "review_compliance_and_pay", PAID, group=KF, not_by=CP)
    outbox = s.data(iid, "send_sms_notices", CP)["sms_outbox"]
    assert len(outbox) == 12 and outbox[0]["to"] == "13700001101"
    s.engine.run_due_jobs()  # the outbox sender runs after the step committed
    sent = s.engine.list_sms(actor=SYSTEM)
    assert len(sent) >= 12 and ("13700001101", outbox[0]["text"]) in sent
    s.complete(iid, "send_sms_notices", SMS_SENT, group=CP, not_by=SM)


def pay_branches(s: Scenario, iid: int) -> None:
    for bpmn_id, data, group, outsider in BRANCH_STEPS:
        s.complete(iid, bpmn_id, data, group=group, not_by=outsider)
    sms = s.data(iid, "send_branch_sms", CP)["branch_sms_outbox"]
    assert len(sms) == 6 and sms[0]["to"] == "13800000101"
    s.complete(iid, "send_branch_sms", {"branch_sms_sent_on": "2026-11-25",
                                        "branch_sms_batch_no": "DH-1125-B"}, group=CP)


def test_month_paid_with_a_disputed_station_corrected(
    scenario: Scenario, clock: time_machine.Traveller
) -> None:
    s = scenario
    iid = start_and_import(s)
    verify = s.data(iid, "verify_allocation", KB)
    results = {r["station_id"]: r for r in verify["station_results"]}
    assert results["S201"]["reward_total"] == "37.90"  # worked example in README
    # S302: a card swiped three times on one day counts twice
    assert results["S302"]["valid_withdrawals"] == 10
    assert verify["payout_summary"]["station_reward_total"] == "379.40"
    assert verify["payout_summary"]["branch_reward_total"] == "169.45"
    s.complete(
        iid,
        "verify_allocation",
        {"county_verification_decision": "approve"},
        group=KB,
        not_by=CB,
    )
    assert s.steps(iid).count("confirm_station_amount") == 12
    confirm_stations(s, iid, {"S104": "本月代收电费少计1笔，应为3.00元。"})
    s.complete(
        iid,
        "correct_station_amount",
        {"corrected_amount": "3.00", "correction_note": "补计1笔代收电费。"},
        group=KP,
        not_by=SM,
    )
    assert s.steps(iid).count("confirm_station_amount") == 1  # only S104 signs again
    confirm_stations(s, iid)
    s.complete(iid, "report_confirmed_amounts", REPORTED, group=KP, not_by=SM)
    settle(s, iid)
    pay_branches(s, iid)
    assert s.ended(iid) == ("completed", "done", [])
    expected: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for station in verify["station_results"]:
        amount = "3.00" if station["station_id"] == "S104" else station["reward_total"]
        expected[station["branch_name"]][0] += Decimal(amount)
    for branch in verify["branch_results"]:
        expected[branch["branch_name"]][1] += Decimal(branch["net_total"])
    report = s.engine.audit_report("payouts_by_month_branch", actor=s.engine.get_actor(
        "auditor"))
    assert report.rows == tuple(
        ("2026-10", name, "completed", 1, f"{st:.2f}", f"{br:.2f}", f"{st + br:.2f}")
        for name, (st, br) in sorted(expected.items()))
    old_s104 = Decimal(results["S104"]["reward_total"])
    assert sum(Decimal(row[6]) for row in report.rows) == (
        Decimal("379.40") - old_s104 + Decimal("3.00") + Decimal("169.45"))


def test_timeline_shows_each_station_decision_and_the_correction(
    scenario: Scenario, clock: time_machine.Traveller
) -> None:
    s = scenario
    iid = allocated(s)
    confirm_stations(s, iid, {"S104": "少计1笔"})
    s.complete(iid, "correct_station_amount",
               {"corrected_amount": "3.00", "correction_note": "补计"}, group=KP)
    steps = s.engine.instance_timeline(iid, actor=s.engine.get_actor("auditor")).steps
    rates = [st for st in steps if st.decision is not None
             and st.decision.decision_id == "electricity_rate"]
    assert len(rates) == 12  # one per station, each with what it saw and which row hit
    assert all(st.decision and st.decision.rows and "站点类型 Area" in st.decision.inputs
               for st in rates)
    corrections = [st for st in steps if st.bpmn_id == "apply_station_corrections"]
    [change] = [c for st in corrections for c in st.changes if c.key == "station_results"]
    before = {r["station_id"]: r["reward_total"] for r in change.before}
    after = {r["station_id"]: r["reward_total"] for r in change.after}
    assert after["S104"] == "3.00" and before["S104"] != "3.00"
    assert {k: v for k, v in after.items() if k != "S104"} == {
        k: v for k, v in before.items() if k != "S104"}


def test_bad_csv_imports_nothing_and_county_can_send_it_back(
    scenario: Scenario, clock: time_machine.Traveller
) -> None:
    s = scenario
    iid = s.start(P, {"payout_month": "2026-10"}, group=CB).id
    bad = SAMPLE.replace(
        "S102,城关西街便民站,B01,,,,urban,13700001102,12,845.50",
        "S102,城关西街便民站,B01,,,,urban,13700001102,12,845.555",
    )
    with pytest.raises(InvalidSubmission) as caught:
        s.complete(iid, "import_transactions", {"transactions_csv": bad}, group=CB)
    assert "line 11: mobile_amount '845.555'" in str(caught.value.errors)
    assert s.steps(iid) == ["import_transactions"]
    s.complete(iid, "import_transactions", {"transactions_csv": SAMPLE}, group=CB)
    s.complete(
        iid,
        "verify_allocation",
        {
            "county_verification_decision": "return",
            "county_verification_opinion": "柳河支局计划数有误。",
        },
        group=KB,
    )
    assert s.data(iid, "import_transactions", CB)["county_verification_opinion"]
    s.complete(iid, "import_transactions", {"transactions_csv": SAMPLE}, group=CB)
    assert s.steps(iid) == ["verify_allocation"]


def test_city_return_and_finance_return(scenario: Scenario,
                                        clock: time_machine.Traveller) -> None:
    s = scenario
    iid = allocated(s)
    confirm_stations(s, iid)
    s.complete(iid, "report_confirmed_amounts", REPORTED, group=KP)
    s.complete(iid, "file_with_marketing", FILED, group=CP)
    s.complete(iid, "review_payout", {"city_review_decision": "return",
                                      "city_review_opinion": "S101 移动话费金额与系统不符。"},
               group=CP)
    s.complete(iid, "handle_city_return", {"reconfirm_station_ids": "S101",
                                           "city_return_response": "已核对系统数据。"},
               group=KP, not_by=CP)
    s.complete(iid, "correct_station_amount", {"corrected_amount": "28.00",
                                               "correction_note": "按系统数据更正。"}, group=KP)
    confirm_stations(s, iid)
    s.complete(iid, "report_confirmed_amounts", REPORTED, group=KP)
    s.complete(iid, "file_with_marketing", FILED, group=CP)
    s.complete(iid, "review_payout", APPROVE_SETTLEMENT, group=CP)
    s.complete(iid, "review_compliance_and_pay", {"finance_decision": "return",
                                                  "finance_opinion": "缺少代办费发票。"},
               group=KF)
    s.complete(iid, "review_payout", APPROVE_SETTLEMENT, group=CP)
    s.complete(iid, "review_compliance_and_pay", PAID, group=KF)
    outbox = s.data(iid, "send_sms_notices", CP)["sms_outbox"]
    assert "28.00" in outbox[0]["text"]


def test_missed_deadline_escalates_to_the_general_manager(
    scenario: Scenario, clock: time_machine.Traveller
) -> None:
    s = scenario
    iid = s.start(P, {"payout_month": "2026-10"}, group=CB).id
    task = s.task(iid, "import_transactions", CB)
    detail = s.engine.get_task(task.id, actor=s.actor(CB))
    assert "期限：2026-11-03 18:00。" in detail.instructions  # office time, to the minute
    # the 3rd at 17:59 office time: not late yet
    clock.move_to(datetime(2026, 11, 3, 9, 59, tzinfo=timezone.utc))
    s.engine.fire_due_timers()
    assert s.steps(iid) == ["import_transactions"]
    clock.move_to(datetime(2026, 11, 3, 10, 1, tzinfo=timezone.utc))
    s.engine.fire_due_timers()
    assert s.steps(iid) == ["escalate_late_import", "import_transactions"]
    escalation = s.data(iid, "escalate_late_import", GM)
    assert escalation["overdue_step"] == "import"
    assert escalation["payout_deadlines"]["import"] == "2026-11-03T18:00:00+08:00"
    s.complete(
        iid,
        "escalate_late_import",
        {"escalation_action": "urged", "escalation_note": "已要求市局当日完成导入。"},
        group=GM,
        not_by=CB,
    )
    s.complete(iid, "import_transactions", {"transactions_csv": SAMPLE}, group=CB)
    assert s.steps(iid) == ["verify_allocation"]


def test_paying_out_cancels_the_escalations_still_open(
    scenario: Scenario, clock: time_machine.Traveller
) -> None:
    s = scenario
    iid = s.start(P, {"payout_month": "2026-10"}, group=CB).id
    # the 12th at 18:01 office time: import, verification and confirmation are late
    clock.move_to(datetime(2026, 11, 12, 10, 1, tzinfo=timezone.utc))
    s.engine.fire_due_timers()
    s.complete(iid, "import_transactions", {"transactions_csv": SAMPLE}, group=CB)
    s.engine.fire_due_timers()
    s.complete(iid, "verify_allocation", {"county_verification_decision": "approve"},
               group=KB)
    s.engine.fire_due_timers()
    escalations = ["escalate_late_confirmation", "escalate_late_import",
                   "escalate_late_verification"]
    assert sorted(t.bpmn_id for t in s.tasks(iid, GM)) == [
        "escalate_late_branch_verification", *escalations]
    confirm_stations(s, iid)
    s.complete(iid, "report_confirmed_amounts", REPORTED, group=KP)
    settle(s, iid)
    pay_branches(s, iid)
    # the phases' own ends closed the branch escalation; the payout's end the rest
    closed = sorted(["escalate_late_branch_verification", *escalations])
    assert s.ended(iid) == ("completed", "done", closed)


def test_the_monthly_timer_starts_last_months_payout(scenario: Scenario) -> None:
    s = scenario
    with time_machine.travel(
        datetime(2026, 12, 1, 0, 5, tzinfo=timezone.utc), tick=False
    ):
        s.engine.fire_due_timers()
        started = s.engine.list_instances(actor=SYSTEM, process_id=P)
        assert len(started) == 1 and started[0].started_by == "system"
        task = s.task(started[0].id, "import_transactions", CB)
        detail = s.engine.get_task(task.id, actor=s.actor(CB))
        assert detail.data["payout_month"] == "2026-11"
        assert detail.data["payout_deadlines"]["import"] == "2026-12-03T18:00:00+08:00"


def test_a_month_not_yet_ended_or_another_months_file_is_refused(
        scenario: Scenario, clock: time_machine.Traveller) -> None:
    s = scenario
    for month in ("2026-11", "2030-01"):  # the clock is in November 2026
        with pytest.raises(InvalidSubmission) as caught:
            s.start(P, {"payout_month": month}, group=CB)
        assert caught.value.errors == {"payout_month": [
            "Only a month that has ended can be paid out (before 2026-11)"]}
    iid = s.start(P, {"payout_month": "2026-09"}, group=CB).id
    with pytest.raises(InvalidSubmission) as caught:  # the sample is October's
        s.complete(iid, "import_transactions", {"transactions_csv": SAMPLE}, group=CB)
    first = caught.value.errors["transactions_csv"][0]
    assert first.endswith("is outside the payout month 2026-09")
    assert "import_transactions" in s.steps(iid)  # still waiting for a right file


def test_a_month_is_paid_out_by_one_instance_only(
        scenario: Scenario, clock: time_machine.Traveller) -> None:
    s = scenario
    first = s.start(P, {"payout_month": "2026-10"}, group=CB)
    assert first.business_key == "2026-10"
    with pytest.raises(DuplicateInstance) as caught:
        s.start(P, {"payout_month": "2026-10"}, group=CB)
    assert caught.value.errors == {"payout_month": [
        f"2026-10 already has instance #{first.id} (running); one instance per payout_month"]}
    assert caught.value.errors_zh == {"payout_month": [
        f"2026-10 已有流程实例 #{first.id}（进行中），不能重复发起"]}
    assert s.start(P, {"payout_month": "2026-09"}, group=CB).business_key == "2026-09"
    s.engine.cancel_instance(first.id, reason="started by mistake", actor=SYSTEM)
    assert s.start(P, {"payout_month": "2026-10"}, group=CB).business_key == "2026-10"


def test_the_monthly_timer_skips_a_month_started_by_hand(scenario: Scenario) -> None:
    s = scenario
    before_timer = datetime(2026, 11, 30, 23, 30, tzinfo=timezone.utc)  # 1 Dec, 07:30
    with time_machine.travel(before_timer, tick=False) as clock:
        by_hand = s.start(P, {"payout_month": "2026-11"}, group=CB)
        clock.move_to(datetime(2026, 12, 1, 0, 5, tzinfo=timezone.utc))
        s.engine.fire_due_timers()
        s.engine.fire_due_timers()
        started = s.engine.list_instances(actor=SYSTEM, process_id=P)
        assert [i.id for i in started] == [by_hand.id]
        clock.move_to(datetime(2027, 1, 1, 0, 5, tzinfo=timezone.utc))
        s.engine.fire_due_timers()  # December's payout is still started by the timer
        keys = {i.business_key for i in s.engine.list_instances(actor=SYSTEM, process_id=P)}
        assert keys == {"2026-11", "2026-12"}


def test_a_payout_started_after_its_deadline_shows_the_task_overdue(
        scenario: Scenario, clock: time_machine.Traveller) -> None:
    s = scenario
    iid = s.start(P, {"payout_month": "2026-09"}, group=CB).id  # its import was due 3 Oct
    task = s.task(iid, "import_transactions", CB)
    assert task.due_at == datetime(2026, 10, 3, 10, 0, tzinfo=timezone.utc)
    assert task.is_overdue(T0)
    assert "escalate_late_import" in s.steps(iid)


def test_stations_and_their_county_see_the_12th_as_the_due_time(
    scenario: Scenario, clock: time_machine.Traveller
) -> None:
    """The confirmation runs in a called process: its tasks carry the day-12 deadline."""
    s = scenario
    iid = allocated(s)
    day_12 = datetime(2026, 11, 12, 10, 0, tzinfo=timezone.utc)  # 18:00 office time
    held = confirmations(s, iid)
    assert sorted(user for user, _task in held) == ["guo.ping"] * 4 + ["hu.bin"] * 8
    assert {t.due_at for _user, t in held} == {day_12}
    confirm_stations(s, iid)
    assert s.task(iid, "report_confirmed_amounts", KP).due_at == day_12


def test_an_import_naming_an_account_that_is_no_maintainer_is_refused(
    scenario: Scenario, clock: time_machine.Traveller
) -> None:
    s = scenario
    iid = s.start(P, {"payout_month": "2026-10"}, group=CB).id
    typo = SAMPLE.replace("13900000302,guo.ping", "13900000302,guo.pin")
    task = s.task(iid, "import_transactions", CB)
    with pytest.raises(InvalidSubmission) as refused:
        s.engine.complete_task(task.id, {"transactions_csv": typo}, actor=s.actor(CB))
    assert refused.value.errors == {
        "transactions_csv": ["line 6: maintainer_account 'guo.pin' is not a user account"]}
    assert refused.value.errors_zh == {
        "transactions_csv": ["第 6 行：maintainer_account 「guo.pin」不是系统中的用户账号"]}
    assert s.steps(iid) == ["import_transactions"]  # nothing was imported


def test_only_the_stations_own_maintainer_may_sign_its_amount(
    scenario: Scenario, clock: time_machine.Traveller
) -> None:
    s = scenario
    iid = allocated(s)
    [s301] = [t for user, t in confirmations(s, iid) if t.subject == "柳河村便民站（S301）"]
    assert s301.assignee == "guo.ping"
    with pytest.raises(NotAuthorized) as refused:
        s.engine.complete_task(s301.id, {**SIGN, "station_decision": "confirm"},
                               actor=s.engine.get_actor("hu.bin"))
    assert refused.value.message == "hu.bin may not complete this task"
    s.engine.complete_task(s301.id, {**SIGN, "station_decision": "confirm"},
                           actor=s.engine.get_actor("guo.ping"))


def test_a_deactivated_maintainers_stations_wait_for_every_maintainer_saying_why(
    scenario: Scenario, clock: time_machine.Traveller
) -> None:
    s = scenario
    iid = start_and_import(s)
    s.engine.deactivate_user("guo.ping", actor=SYSTEM)  # left after the import
    s.complete(iid, "verify_allocation", {"county_verification_decision": "approve"},
               group=KB)
    pooled = [t for t in s.engine.inbox(s.engine.get_actor("hu.bin"), scope="group")
              if t.instance_id == iid]
    assert sorted(t.subject or "" for t in pooled) == [
        "北岭村便民站（S304）", "杨庄便民站（S302）", "柳河村便民站（S301）", "河口村便民站（S303）"]
    detail = s.engine.get_task(pooled[0].id, actor=s.engine.get_actor("hu.bin"))
    assert detail.pooled == {"reason": "inactive", "account": "guo.ping",
                             "variable": "station_to_confirm.maintainer_account",
                             "lane": "station_maintainer"}
    held = s.engine.inbox(s.engine.get_actor("hu.bin"), scope="mine")
    assert len([t for t in held if t.bpmn_id == "confirm_station_amount"]) == 8
