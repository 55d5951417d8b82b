"""station_confirmation (called by station_payout): disputes and the city's return."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.records import SYSTEM

if TYPE_CHECKING:
    from tests.scenarios.conftest import Scenario

KP, SM = "county_platform_office", "station_maintainer"
SIGNED = {"station_signed_by": "站长", "station_signed_on": "2026-11-08"}


def results(status: str = "pending") -> list[dict[str, Any]]:
    return [
        {
            "station_id": sid,
            "station_name": name,
            "reward_total": total,
            "computed_total": total,
            "status": status,
            "dispute_reason": "",
            "correction_note": "",
        }
        for sid, name, total in (("S1", "东街站", "28.75"), ("S2", "西街站", "20.41"))
    ]


def sign_all(s: Scenario, iid: int, dispute: str | None = None) -> None:
    for task in [t for t in s.tasks(iid, SM) if t.bpmn_id == "confirm_station_amount"]:
        data: Any = s.engine.get_task(task.id, actor=s.actor(SM)).data
        if data["station_to_confirm"]["station_id"] == dispute:
            answer = {
                **SIGNED,
                "station_decision": "dispute",
                "station_dispute_reason": "少计2笔缴费。",
            }
        else:
            answer = {**SIGNED, "station_decision": "confirm"}
        s.engine.complete_task(task.id, answer, actor=s.actor(SM))


def test_disputed_amount_is_corrected_and_signed_again(scenario: Scenario) -> None:
    s = scenario
    iid = s.engine.start_instance(
        "station_confirmation",
        {
            "payout_month": "2026-10",
            "city_review_decision": "",
            "station_results": results(),
        },
        actor=SYSTEM,
    ).id
    sign_all(s, iid, dispute="S2")
    assert (
        s.data(iid, "correct_station_amount", KP)["disputed_station"]["station_id"]
        == "S2"
    )
    s.complete(
        iid,
        "correct_station_amount",
        {"corrected_amount": "20.91", "correction_note": "补计2笔。"},
        group=KP,
        not_by=SM,
    )
    assert [t.bpmn_id for t in s.tasks(iid, SM)] == ["confirm_station_amount"]
    sign_all(s, iid)
    report = s.data(iid, "report_confirmed_amounts", KP)
    assert [
        (r["station_id"], r["reward_total"], r["status"])
        for r in report["station_results"]
    ] == [("S1", "28.75", "confirmed"), ("S2", "20.91", "confirmed")]


def test_city_return_sends_named_stations_back(scenario: Scenario) -> None:
    s = scenario
    iid = s.engine.start_instance(
        "station_confirmation",
        {
            "payout_month": "2026-10",
            "city_review_decision": "return",
            "city_review_opinion": "S1 金额与系统不符。",
            "station_results": results("confirmed"),
        },
        actor=SYSTEM,
    ).id
    s.complete(
        iid,
        "handle_city_return",
        {"reconfirm_station_ids": "S1, S9", "city_return_response": "已核对。"},
        group=KP,
    )
    correction = s.data(iid, "correct_station_amount", KP)
    assert correction["unknown_returned_station_ids"] == ["S9"]
    s.complete(
        iid,
        "correct_station_amount",
        {"corrected_amount": "28.00", "correction_note": "按系统更正。"},
        group=KP,
    )
    sign_all(s, iid)
    assert s.steps(iid) == ["report_confirmed_amounts"]


def test_city_return_without_stations_goes_straight_to_the_report(
    scenario: Scenario,
) -> None:
    s = scenario
    iid = s.engine.start_instance(
        "station_confirmation",
        {
            "payout_month": "2026-10",
            "city_review_decision": "return",
            "city_review_opinion": "请补充说明。",
            "station_results": results("confirmed"),
        },
        actor=SYSTEM,
    ).id
    s.complete(
        iid, "handle_city_return", {"city_return_response": "已补充说明。"}, group=KP
    )
    assert s.steps(iid) == ["report_confirmed_amounts"]


def test_each_confirmation_in_the_inbox_names_its_station(scenario: Scenario) -> None:
    s = scenario
    iid = s.engine.start_instance(
        "station_confirmation",
        {"payout_month": "2026-10", "city_review_decision": "",
         "station_results": results()},
        actor=SYSTEM,
    ).id
    confirmations = [t for t in s.tasks(iid, SM) if t.bpmn_id == "confirm_station_amount"]
    assert sorted(t.subject or "" for t in confirmations) == ["东街站（S1）", "西街站（S2）"]
    sign_all(s, iid, dispute="S2")
    [correction] = [t for t in s.tasks(iid, KP) if t.bpmn_id == "correct_station_amount"]
    assert correction.subject == "西街站（S2）"
    [created] = [e for e in s.engine.history(iid, actor=SYSTEM, computed=True)
                 if e.event_type == "task_created" and str(e.task_id) == str(correction.id)]
    assert created.payload["subject"] == "西街站（S2）"
