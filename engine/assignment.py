"""Who a new human task goes to straight away, and why not when it goes to the pool.

``assignTo="starter"`` hands rework back to the person who started the request;
``assignToVariable`` hands a task to the account its data names (a variable or a
"dict.key" path, like ``dueInVariable``). Either only while that person is active, not
an auditor and in the task's lane; otherwise the task waits in the lane's pool. For a
named account the reason is kept, so the task page and the audit trail can say why and
an admin can reassign. Never commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import identity
from engine.models import AppUser, AuditEvent, HumanTask, Membership, ProcessInstance
from engine.records import Role, TaskState
from engine.values import at_path

# Why a task whose data names an account went to its lane's pool instead.
NOT_NAMED = "not_named"
UNKNOWN = "unknown"
INACTIVE = "inactive"
AUDITOR = "auditor"
NOT_IN_LANE = "not_in_lane"
REASONS = (NOT_NAMED, UNKNOWN, INACTIVE, AUDITOR, NOT_IN_LANE)


@dataclass(frozen=True, slots=True)
class Holder:
    """The task's first assignee (None: the lane's pool) and, if pooled, why."""

    assignee: str | None
    pooled: dict[str, str] | None = None


def first_holder(session: Session, meta: Mapping[str, Any], instance: ProcessInstance,
                 data: Mapping[str, Any]) -> Holder:
    """Who a new task goes to (``assignTo`` / ``assignToVariable``), else its pool."""
    lane = meta.get("lane")
    if meta.get("assign_to") == "starter":
        return Holder(identity.member_of(session, instance.started_by, lane))
    variable = meta.get("assign_to_variable")
    if not variable:
        return Holder(None)
    named = at_path(data, variable)
    account = named.strip() if isinstance(named, str) else ""
    reason = _refusal(session, account, lane) if account else NOT_NAMED
    if reason is None:
        return Holder(account)
    return Holder(None, {"reason": reason, "account": account, "variable": variable,
                         "lane": lane or ""})


def _refusal(session: Session, username: str, lane: str | None) -> str | None:
    """Why ``username`` may not hold a task of ``lane`` now (None: they may)."""
    user = session.scalar(select(AppUser).where(AppUser.username == username))
    if user is None:
        return UNKNOWN
    if not user.active:
        return INACTIVE
    if user.role == Role.AUDITOR.value:
        return AUDITOR
    if lane is not None and session.scalar(select(Membership.group_name).where(
            Membership.user_id == user.id, Membership.group_name == lane)) is None:
        return NOT_IN_LANE
    return None


def pooled_reason(session: Session, row: HumanTask) -> dict[str, str] | None:
    """Why an open, unassigned task is in its pool although its data named someone.

    Read from the task's ``task_created`` event; None once someone holds the task.
    """
    if row.assignee is not None or row.state != TaskState.READY.value:
        return None
    from_event = _created_payload(session, row).get("pooled")
    return dict(from_event) if isinstance(from_event, Mapping) else None


def _created_payload(session: Session, row: HumanTask) -> Mapping[str, Any]:
    found = session.scalar(select(AuditEvent.payload).where(
        AuditEvent.instance_id == row.instance_id, AuditEvent.task_id == row.id,
        AuditEvent.event_type == "task_created").limit(1))
    return found if isinstance(found, Mapping) else {}
