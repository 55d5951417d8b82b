"""Limited steps (``visibleData``, ``visibleSteps``, ``aboutVariable``): each station's
maintainer reads only its own station and the decisions about it; admins and auditors
read everything."""

from __future__ import annotations

import json

import pytest
from stationkit import CARD_1, CARD_2, held_by, start

from engine import Engine, NotFound
from engine.records import SYSTEM
from engine.visibility import pick

SIGNED = {"result": "签字确认"}


def confirm_both(engine: Engine, iid: int) -> None:
    for user in ("hu.bin", "guo.ping"):
        task = held_by(engine, iid, user)
        answer = {"result": f"{user} 确认 {CARD_2 if user == 'guo.ping' else CARD_1}"}
        engine.complete_task(task.id, answer, actor=engine.get_actor(user))


@pytest.fixture
def confirmed(engine: Engine) -> int:
    """Both stations confirmed: each maintainer's re-check is open."""
    iid = start(engine)
    confirm_both(engine, iid)
    return iid


def test_a_limited_step_shows_only_the_data_it_names(engine: Engine) -> None:
    iid = start(engine)
    detail = engine.get_task(held_by(engine, iid, "hu.bin").id,
                             actor=engine.get_actor("hu.bin"))
    assert detail.limited
    assert detail.data == {"month": "2026-10", "station": {
        "station_id": "S1", "maintainer_account": "hu.bin", "amount": "11.11",
        "card": CARD_1}}
    assert detail.history == ()  # the office's review is not a step it names
    shown = json.dumps([detail.data, [e.payload for e in detail.history]])
    assert "S2" not in shown and CARD_2 not in shown and "22.22" not in shown


def test_a_limited_step_shows_only_the_decisions_about_its_own_record(
    engine: Engine, confirmed: int
) -> None:
    recheck = held_by(engine, confirmed, "guo.ping", "recheck_station")
    detail = engine.get_task(recheck.id, actor=engine.get_actor("guo.ping"))
    assert detail.data == {"checked": {"station_id": "S2", "amount": "22.22"}}
    assert [(e.bpmn_id, e.actor, e.payload["about"]) for e in detail.history] == [
        ("confirm_station", "guo.ping", "S2")]  # not S1's, not the office's review
    assert CARD_1 not in json.dumps([e.payload for e in detail.history])


def test_admins_and_auditors_read_a_limited_task_whole(
    engine: Engine, confirmed: int
) -> None:
    recheck = held_by(engine, confirmed, "guo.ping", "recheck_station")
    for reader in (SYSTEM, engine.get_actor("auditor")):
        detail = engine.get_task(recheck.id, actor=reader)
        assert not detail.limited
        assert [s["station_id"] for s in detail.data["stations"]] == ["S1", "S2"]  # type: ignore[index]
        assert [e.bpmn_id for e in detail.history] == [
            "review_list", "confirm_station", "confirm_station"]


def test_a_colleague_cannot_open_a_limited_task_another_holds(engine: Engine) -> None:
    iid = start(engine)
    task = held_by(engine, iid, "hu.bin")
    with pytest.raises(NotFound) as hidden:
        engine.get_task(task.id, actor=engine.get_actor("guo.ping"))
    assert hidden.value.message == f"no task {task.id}"
    engine.complete_task(task.id, SIGNED, actor=engine.get_actor("hu.bin"))
    with pytest.raises(NotFound):  # nor once it is done
        engine.get_task(task.id, actor=engine.get_actor("guo.ping"))
    assert engine.get_task(task.id, actor=engine.get_actor("hu.bin")).limited


def test_an_ordinary_step_of_the_same_instance_still_reads_everything(
    engine: Engine, confirmed: int
) -> None:
    office = engine.get_actor("wu.hao")
    info = engine.get_instance(confirmed, actor=office)
    assert info.data["cards"] == [CARD_1, CARD_2]
    assert {e.bpmn_id for e in engine.history(confirmed, actor=office)} >= {
        "review_list", "confirm_station"}


def test_someone_only_in_limited_steps_reads_no_instance_data_and_only_their_tasks(
    engine: Engine, confirmed: int
) -> None:
    iid = confirmed
    maintainer = engine.get_actor("hu.bin")
    assert engine.get_instance(iid, actor=maintainer).data == {}
    history = engine.history(iid, actor=maintainer)
    assert {e.task_id for e in history} == {
        held_by(engine, iid, "hu.bin", "recheck_station").id,
        *[e.task_id for e in engine.history(iid, actor=SYSTEM)
          if e.event_type == "task_completed" and e.actor == "hu.bin"]}
    shown = json.dumps([dict(e.payload) for e in history], ensure_ascii=False)
    assert "S2" not in shown and CARD_2 not in shown and "guo.ping" not in shown


def test_picking_keeps_the_named_paths_nested_and_skips_missing_ones() -> None:
    data = {"a": {"b": 1, "c": 2}, "d": 3, "e": {"f": {"g": 4}}}
    assert pick(data, ["a.b", "e.f.g", "x", "a.z"]) == {"a": {"b": 1},
                                                         "e": {"f": {"g": 4}}}
    assert pick(data, ["a", "a.b"]) == {"a": {"b": 1, "c": 2}}
    assert pick(data, []) == {}
