"""Review deadlines of the shipped processes (``dueInVariable: review_period``): the
reviewer is told of the new task, reminded a day before it is due and told when it is
overdue, each in the audit trail, with nobody using the UI; finishing announces it.

The boundary-timer escalations of each process are covered by its own scenario file.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import time_machine

from engine.records import SYSTEM
from tests.scenarios.test_visit_approval import AM, DIR, SMALL, T0

if TYPE_CHECKING:
    from tests.scenarios.conftest import Scenario

SHANGHAI_DUE = "2026-10-14 09:00"  # T0 + review_period (P2D), office time


def test_director_is_reminded_then_told_the_review_is_overdue(
    scenario: Scenario,
) -> None:
    s = scenario
    engine = s.engine
    director = s.actor(DIR)
    with time_machine.travel(T0, tick=False) as clock:
        iid = s.start("visit_approval", SMALL, group=AM).id
        review = s.task(iid, "review_visit_by_director", DIR)
        assert review.due_at == T0 + timedelta(days=2)
        assert [n.kind for n in engine.list_notifications(director)] == ["task_created"]
        clock.move_to(T0 + timedelta(days=1, seconds=1))
        engine.run_due_jobs()
        [reminder, _created] = engine.list_notifications(director)
        assert reminder.kind == "task_reminder" and SHANGHAI_DUE in reminder.body
        clock.move_to(T0 + timedelta(days=2, seconds=1))
        engine.run_due_jobs()
        assert engine.list_notifications(director)[0].kind == "task_overdue"
        assert s.task(iid, "review_visit_by_director", DIR).is_overdue(
            datetime.now(timezone.utc)
        )
    events = [e.event_type for e in engine.history(iid, actor=SYSTEM)]
    assert events.count("task_reminded") == 1 and events.count("task_escalated") == 1
    assert engine.unread_count(director) == 3
