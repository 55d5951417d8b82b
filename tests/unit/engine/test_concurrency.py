"""Real threads racing on one instance: one wins, nobody's update is lost."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from modelkit import process, user_task

from engine import Actor, ConcurrentUpdate, Engine, TaskNotReady
from engine.records import SYSTEM, InstanceStatus

PARALLEL = process(
    '<bpmn:startEvent id="start"/>'
    '<bpmn:parallelGateway id="fork"/>'
    + user_task("review_a", "supervisor_review")
    + user_task("review_b", "manager_review")
    + '<bpmn:parallelGateway id="join"/><bpmn:endEvent id="end"/>'
    '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fork"/>'
    '<bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="review_a"/>'
    '<bpmn:sequenceFlow id="f3" sourceRef="fork" targetRef="review_b"/>'
    '<bpmn:sequenceFlow id="f4" sourceRef="review_a" targetRef="join"/>'
    '<bpmn:sequenceFlow id="f5" sourceRef="review_b" targetRef="join"/>'
    '<bpmn:sequenceFlow id="f6" sourceRef="join" targetRef="end"/>'
)


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads released together; return results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Exception as exc:  # collected and asserted on by the test
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_people_completing_the_same_task_one_wins_the_other_is_told(
        purchase: Engine, actor: Callable[[str], Actor]) -> None:
    first, second = actor("zhang.wei"), actor("zhao.min")
    for _round in range(5):
        purchase.start_instance("two_approver", {}, actor=first)
        task = purchase.inbox(first, scope="group")[0]
        results = race(
            lambda: purchase.complete_task(task.id, {"item": "a", "amount": "1.00"},
                                           actor=first),
            lambda: purchase.complete_task(task.id, {"item": "b", "amount": "2.00"},
                                           actor=second),
        )
        winners = [r for r in results if not isinstance(r, Exception)]
        losers = [r for r in results if isinstance(r, Exception)]
        assert len(winners) == 1, results
        assert len(losers) == 1 and isinstance(losers[0], (TaskNotReady, ConcurrentUpdate))
        history = purchase.history(winners[0].id, actor=SYSTEM)
        assert [e.event_type for e in history].count("task_completed") == 1


def test_two_tasks_of_one_instance_completed_at_once_lose_no_update(
        engine: Engine, actor: Callable[[str], Actor]) -> None:
    engine.deploy({"parallel.bpmn": PARALLEL}, actor=SYSTEM)
    admin = actor("admin")
    for _round in range(5):
        instance = engine.start_instance("p", {}, actor=admin)
        tasks = {t.bpmn_id: t for t in engine.inbox(admin) if t.instance_id == instance.id}
        results = race(
            lambda: engine.complete_task(tasks["review_a"].id,
                                         {"supervisor_decision": "approve"}, actor=admin),
            lambda: engine.complete_task(tasks["review_b"].id,
                                         {"manager_decision": "approve"}, actor=admin),
        )
        assert not [r for r in results if isinstance(r, Exception)], results
        final = engine.get_instance(instance.id, actor=admin)
        assert final.status is InstanceStatus.COMPLETED
        assert final.data["supervisor_decision"] == "approve"
        assert final.data["manager_decision"] == "approve"
