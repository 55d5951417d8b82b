"""The inbox listing: each task with who asked for it, in one SELECT, sorted and filtered."""

from __future__ import annotations

import pytest
from modelkit import chain, process, statements, user_task

from engine import Engine, InvalidInput
from engine.records import SYSTEM

LANES = (
    '<bpmn:laneSet id="lanes">'
    '<bpmn:lane id="lane_staff" name="account_staff">'
    "<bpmn:flowNodeRef>start</bpmn:flowNodeRef></bpmn:lane>"
    '<bpmn:lane id="lane_supervisor" name="supervisor">'
    "<bpmn:flowNodeRef>review</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef>"
    "</bpmn:lane></bpmn:laneSet>"
)
REVIEW = process(user_task("review", form="supervisor_review") + chain("review"),
                 process_id="review_only", lanes=LANES)


@pytest.fixture
def requests(engine: Engine) -> dict[str, int]:
    """One review waiting for the supervisors per starter: 张伟, 赵敏 and the system."""
    engine.deploy({"review_only.bpmn": REVIEW}, actor=SYSTEM)
    started = {}
    for who in ("zhang.wei", "zhao.min", SYSTEM.username):
        actor = SYSTEM if who == SYSTEM.username else engine.get_actor(who)
        started[who] = engine.start_instance("review_only", {}, actor=actor).id
    return started


def starters(engine: Engine, **query: object) -> list[tuple[str | None, str | None]]:
    supervisor = engine.get_actor("li.na")
    tasks = engine.inbox(supervisor, scope="group", **query)  # type: ignore[arg-type]
    return [(t.started_by, t.started_by_name) for t in tasks]


def test_each_inbox_task_names_its_starter_from_the_same_select(
    engine: Engine, requests: dict[str, int]
) -> None:
    supervisor = engine.get_actor("li.na")
    with statements(engine) as seen:
        tasks = engine.inbox(supervisor, scope="group")
    reads = [s for s in seen if s.startswith("SELECT") and s != "SELECT 1"]
    assert len(reads) == 1, seen  # three tasks, still one query
    assert {(t.instance_id, t.started_by, t.started_by_name) for t in tasks} == {
        (requests["zhang.wei"], "zhang.wei", "张伟"),
        (requests["zhao.min"], "zhao.min", "赵敏"),
        (requests["system"], "system", None),  # no user of that name
    }


def test_inbox_sorts_by_the_starters_name(engine: Engine, requests: dict[str, int]) -> None:
    assert starters(engine, sort="created_at") == [
        ("system", None), ("zhao.min", "赵敏"), ("zhang.wei", "张伟")]
    # By display name, else user name, in code point order: "system" (no display
    # name), then 张 (U+5F20), then 赵 (U+8D75).
    assert [name for name, _ in starters(engine, sort="applicant")] == [
        "system", "zhang.wei", "zhao.min"]


@pytest.mark.parametrize(("typed", "found"), [
    ("zhao", ["zhao.min"]),
    ("ZHA", ["zhang.wei", "zhao.min"]),
    ("赵", ["zhao.min"]),
    ("system", ["system"]),
    ("zhao.%", []),  # typed, not a pattern
])
def test_inbox_keeps_the_requests_of_starters_whose_name_begins_with_the_text(
    engine: Engine, requests: dict[str, int], typed: str, found: list[str]
) -> None:
    listed = starters(engine, applicant=typed, sort="applicant")
    assert [name for name, _ in listed] == found


def test_an_unknown_sort_is_refused_naming_the_choices(engine: Engine) -> None:
    with pytest.raises(InvalidInput) as caught:
        engine.inbox(engine.get_actor("li.na"), sort="starter")
    assert caught.value.message == (
        "sort must be one of applicant, created_at, due_at, priority")


def test_a_single_tasks_record_names_its_starter_too(
    engine: Engine, requests: dict[str, int]
) -> None:
    supervisor = engine.get_actor("li.na")
    [task] = [t for t in engine.inbox(supervisor, scope="group")
              if t.instance_id == requests["zhao.min"]]
    shown = engine.get_task(task.id, actor=supervisor).task
    claimed = engine.claim_task(task.id, actor=supervisor)
    assert (shown.started_by, shown.started_by_name) == ("zhao.min", "赵敏")
    assert (claimed.started_by, claimed.started_by_name) == ("zhao.min", "赵敏")


def test_open_tasks_of_a_suspended_request_come_last_with_its_status_in_the_same_select(
    engine: Engine, requests: dict[str, int]
) -> None:
    engine.suspend_instance(requests["system"], reason="核对预算", actor=SYSTEM)
    supervisor = engine.get_actor("li.na")
    with statements(engine) as seen:
        tasks = engine.inbox(supervisor, scope="group", sort="created_at")
    reads = [s for s in seen if s.startswith("SELECT") and s != "SELECT 1"]
    assert len(reads) == 1, seen
    # Newest first, except that the suspended request (the oldest) waits at the end.
    assert [(t.instance_id, t.instance_status.value, t.on_hold) for t in tasks] == [
        (requests["zhao.min"], "running", False),
        (requests["zhang.wei"], "running", False),
        (requests["system"], "suspended", True),
    ]
    engine.resume_instance(requests["system"], actor=SYSTEM)
    assert [t.instance_id for t in engine.inbox(supervisor, scope="group",
                                                sort="created_at")] == [
        requests["system"], requests["zhao.min"], requests["zhang.wei"]]


def test_a_single_tasks_record_carries_its_requests_status(
    engine: Engine, requests: dict[str, int]
) -> None:
    supervisor = engine.get_actor("li.na")
    [task] = [t for t in engine.inbox(supervisor, scope="group")
              if t.instance_id == requests["zhao.min"]]
    engine.suspend_instance(requests["zhao.min"], reason="核对预算", actor=SYSTEM)
    shown = engine.get_task(task.id, actor=supervisor).task
    assert (shown.instance_status.value, shown.on_hold) == ("suspended", True)
    [listed] = engine.list_instance_tasks(requests["zhao.min"], actor=SYSTEM)
    assert listed.instance_status.value == "suspended"
