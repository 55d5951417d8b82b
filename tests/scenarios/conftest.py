"""Scenario helpers: act as a lane's demo user, find an instance's tasks, complete them.

Scenarios drive the public Engine API only; each call is its own transaction, so every
step is a save/restore round trip of the workflow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from engine import Engine, demo
from engine.errors import NotAuthorized
from engine.records import SYSTEM, Actor, InstanceInfo, TaskInfo


@dataclass
class Scenario:
    """A thin driver over the engine that speaks in lanes and BPMN ids."""

    engine: Engine

    def actor(self, group: str) -> Actor:
        return self.engine.get_actor(demo.user_for(group))

    def start(
        self, process_id: str, data: Mapping[str, Any], *, group: str
    ) -> InstanceInfo:
        return self.engine.start_instance(process_id, data, actor=self.actor(group))

    def tasks(self, instance_id: int, group: str) -> list[TaskInfo]:
        """Open tasks of the instance in the inbox of the group's demo user."""
        inbox = self.engine.inbox(self.actor(group), scope="all", limit=500)
        return [t for t in inbox if t.instance_id == instance_id]

    def tasks_of(self, instance_id: int, username: str) -> list[TaskInfo]:
        """Open tasks of the instance in one named demo user's inbox."""
        inbox = self.engine.inbox(self.engine.get_actor(username), scope="all", limit=500)
        return [t for t in inbox if t.instance_id == instance_id]

    def steps(self, instance_id: int) -> list[str]:
        """BPMN ids of every open task of the instance, whoever holds it (sorted)."""
        found: dict[str, str] = {}
        for group, _title, _title_en in demo.GROUPS:
            found.update({str(t.id): t.bpmn_id for t in self.tasks(instance_id, group)})
        for user in demo.USERS:  # a task may go to a named member, not the first one
            if user.groups:
                found.update({str(t.id): t.bpmn_id
                              for t in self.tasks_of(instance_id, user.username)})
        return sorted(found.values())

    def task(self, instance_id: int, bpmn_id: str, group: str) -> TaskInfo:
        found = [t for t in self.tasks(instance_id, group) if t.bpmn_id == bpmn_id]
        assert (
            found
        ), f"{bpmn_id} not in {group}'s inbox; open: {self.steps(instance_id)}"
        return found[0]

    def data(self, instance_id: int, bpmn_id: str, group: str) -> Mapping[str, Any]:
        task = self.task(instance_id, bpmn_id, group)
        return self.engine.get_task(task.id, actor=self.actor(group)).data

    def complete(
        self,
        instance_id: int,
        bpmn_id: str,
        data: Mapping[str, Any],
        *,
        group: str,
        not_by: str | None = None,
    ) -> InstanceInfo:
        """Complete the task as the lane's user, first proving ``not_by`` may not."""
        task = self.task(instance_id, bpmn_id, group)
        if not_by is not None:
            with pytest.raises(NotAuthorized):
                self.engine.complete_task(task.id, data, actor=self.actor(not_by))
        return self.engine.complete_task(task.id, data, actor=self.actor(group))

    def status(self, instance_id: int, group: str) -> str:
        info = self.engine.get_instance(instance_id, actor=self.actor(group))
        return str(info.status.value)

    def ended(self, instance_id: int) -> tuple[str, str | None, list[str]]:
        """Status, outcome and the BPMN ids of cancelled tasks of a finished instance.

        Asserts first that it left nothing behind: no task in any inbox, no timer.
        """
        assert self.steps(instance_id) == []
        assert self.engine.list_timers(instance_id=instance_id) == []
        info = self.engine.get_instance(instance_id, actor=SYSTEM)
        cancelled = sorted(
            e.bpmn_id or ""
            for e in self.engine.history(instance_id, actor=SYSTEM)
            if e.event_type == "task_cancelled"
        )
        outcome = info.outcome.value if info.outcome else None
        return info.status.value, outcome, cancelled


@pytest.fixture
def scenario(deploy_workflows: Engine) -> Scenario:
    """The engine with workflows/ deployed, driven lane by lane."""
    return Scenario(deploy_workflows)
