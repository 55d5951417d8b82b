"""``assignToVariable``: a task goes to the account its data names, else to the lane's
pool with the reason on the task and in the audit trail."""

from __future__ import annotations

import pytest
from stationkit import held_by, inbox_of, start, stations

from engine import Engine, NotAuthorized, TaskNotReady
from engine.records import SYSTEM

SIGNED = {"result": "签字确认"}


def created_payloads(engine: Engine, iid: int) -> list[dict[str, object]]:
    return [dict(e.payload) for e in engine.history(iid, actor=SYSTEM)
            if e.event_type == "task_created" and e.bpmn_id == "confirm_station"]


def test_each_station_task_goes_to_the_account_its_data_names(engine: Engine) -> None:
    iid = start(engine)
    assert [t.assignee for t in inbox_of(engine, iid, "hu.bin")] == ["hu.bin"]
    assert [t.assignee for t in inbox_of(engine, iid, "guo.ping")] == ["guo.ping"]
    assert inbox_of(engine, iid, "hu.bin", scope="group") == []  # nothing left in pool
    assert sorted(str(p["assignee"]) for p in created_payloads(engine, iid)) == [
        "guo.ping", "hu.bin"]
    assert all("pooled" not in p for p in created_payloads(engine, iid))


def test_another_maintainer_may_not_sign_a_station_that_is_not_theirs(
    engine: Engine,
) -> None:
    iid = start(engine)
    task = held_by(engine, iid, "hu.bin")
    with pytest.raises(NotAuthorized) as refused:
        engine.complete_task(task.id, SIGNED, actor=engine.get_actor("guo.ping"))
    assert refused.value.message == "guo.ping may not complete this task"
    with pytest.raises(TaskNotReady) as taken:
        engine.claim_task(task.id, actor=engine.get_actor("guo.ping"))
    assert taken.value.message == "this task was already claimed by hu.bin"
    engine.complete_task(task.id, SIGNED, actor=engine.get_actor("hu.bin"))
    assert inbox_of(engine, iid, "hu.bin") == []
    assert [t.bpmn_id for t in inbox_of(engine, iid, "guo.ping")] == ["confirm_station"]


@pytest.mark.parametrize(("named", "prepare", "reason"), [
    ("", None, "not_named"),
    ("nobody.here", None, "unknown"),
    ("guo.ping", "deactivate", "inactive"),
    ("auditor", None, "auditor"),
    ("li.na", None, "not_in_lane"),
])
def test_a_named_account_that_cannot_take_the_task_leaves_it_to_the_pool_and_says_why(
    engine: Engine, named: str, prepare: str | None, reason: str
) -> None:
    if prepare == "deactivate":
        engine.deactivate_user(named, actor=SYSTEM)
    iid = start(engine, stations(first="hu.bin", second=named))
    why = {"reason": reason, "account": named, "variable": "station.maintainer_account",
           "lane": "station_maintainer"}
    assert [p.get("pooled") for p in created_payloads(engine, iid)] == [None, why]
    [pooled] = inbox_of(engine, iid, "hu.bin", scope="group")
    assert pooled.assignee is None
    assert engine.get_task(pooled.id, actor=SYSTEM).pooled == why
    assert engine.get_task(pooled.id, actor=engine.get_actor("hu.bin")).pooled == why
    engine.assign_task(pooled.id, "hu.bin", actor=SYSTEM)  # the admin puts it right
    assert engine.get_task(pooled.id, actor=SYSTEM).pooled is None


def test_a_task_assigned_from_its_data_says_nothing_about_the_pool(
    engine: Engine,
) -> None:
    iid = start(engine)
    task = held_by(engine, iid, "hu.bin")
    assert engine.get_task(task.id, actor=SYSTEM).pooled is None
