"""Service levels of human tasks: when each is due, the reminder, the escalation.

The due time comes from the task's model (``dueIn``, ``dueInVariable``,
``dueInWorkingDays``, ``dueBy``) or from a boundary timer on it. When a task appears, a
reminder job and a breach
job are queued in the same transaction; each checks the task is still open when it runs,
notifies people in their language, and is recorded in the audit trail. Never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from engine import audit, jobs, noticetext, notifications
from engine.audit import AuditType
from engine.calendar import (
    END_OF_DAY,
    WorkCalendar,
    is_day_of_month,
    parse_working_days,
)
from engine.deadline_config import DeadlineConfig
from engine.durations import parse_duration
from engine.models import HumanTask
from engine.records import SYSTEM, TaskState
from engine.values import at_path

REMIND = "remind_task"
BREACH = "task_breached"
ACTIONS = ("notify", "reassign")


@dataclass(frozen=True, slots=True)
class Escalation:
    """What the model says happens to an overdue task: notify or reassign a group."""

    action: str
    group: str

    @classmethod
    def parse(cls, text: str | None) -> Escalation | None:
        """Read ``notify:department_manager`` or ``reassign:supervisor``."""
        if not text:
            return None
        action, _, group = text.strip().partition(":")
        if action not in ACTIONS or not group.strip():
            raise ValueError(
                f"escalation {text!r} must be notify:<group> or " "reassign:<group>"
            )
        return cls(action, group.strip())


def work_calendar(config: DeadlineConfig) -> WorkCalendar:
    return WorkCalendar(
        zone=config.zone, holidays=config.holidays, weekend=config.weekend
    )


def due_at(
    meta: dict[str, Any],
    data: dict[str, Any],
    now: datetime,
    boundary: datetime | None,
    config: DeadlineConfig,
) -> datetime | None:
    """The task's due time; the first of its properties that gives one wins.

    Order: ``dueInVariable`` (a variable, or "dict.key", holding any form below), ``dueIn``,
    ``dueInWorkingDays``, ``dueBy``, then the boundary timer guarding the task.
    """
    calendar = work_calendar(config)
    variable = meta.get("due_in_variable")
    candidates: list[object] = [
        at_path(data, variable) if variable else None,
        meta.get("due_in"),
    ]
    if meta.get("due_in_working_days"):
        candidates.append(f"P{meta['due_in_working_days']}WD")
    candidates.append(meta.get("due_by"))
    for value in candidates:
        found = deadline(value, now, calendar)
        if found is not None:
            return found
    return boundary


def deadline(value: object, now: datetime, calendar: WorkCalendar) -> datetime | None:
    """A due time from a duration, working days, a day of the month, or a date."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=calendar.zone)
    if isinstance(value, date):  # a whole day: due at its end, office time
        return datetime.combine(value, END_OF_DAY, calendar.zone)
    if isinstance(value, str) and value.strip():
        return _from_text(value.strip(), now, calendar)
    return None


def _from_text(text: str, now: datetime, calendar: WorkCalendar) -> datetime | None:
    working = parse_working_days(text)
    if working is not None:
        return calendar.add_working_days(now, working) if working else now
    if is_day_of_month(text):
        return calendar.day_of_month(now, text)
    if text.upper().startswith("P"):
        delta = parse_duration(text)
        return now + delta if delta is not None else None
    try:
        if len(text) == len("2026-03-12"):
            return deadline(date.fromisoformat(text), now, calendar)
        return deadline(datetime.fromisoformat(text), now, calendar)
    except ValueError:
        return None


def schedule(
    session: Session,
    row: HumanTask,
    meta: dict[str, Any],
    *,
    guarded_by_timer: bool,
    now: datetime,
    config: DeadlineConfig,
) -> None:
    """Queue the reminder before and the breach handling at the task's due time.

    ``row`` was created in this unit of work, so its jobs are new (``jobs.add_new``).
    """
    if row.due_at is None:
        return
    before = _remind_before(meta.get("remind_before"), config)
    remind_at = row.due_at - before
    job = partial(jobs.new_row, now=now, instance_id=row.instance_id,
                  max_attempts=config.job_max_attempts)
    due = []
    if remind_at > now:
        due.append(job(REMIND, key=f"remind:{row.id}", run_at=remind_at,
                       payload={"task_id": row.id}))
    # A boundary timer is the model's own answer to a breach; act only when told to.
    if not guarded_by_timer or meta.get("escalation"):
        payload = {"task_id": row.id, "escalation": meta.get("escalation")}
        due.append(job(BREACH, key=f"breach:{row.id}", run_at=row.due_at,
                       payload=payload))
    jobs.add_new(session, due)


def _remind_before(text: str | None, config: DeadlineConfig) -> timedelta:
    delta = parse_duration(text) if text else None
    if delta is None:
        return config.remind_before
    anchor = datetime(2000, 1, 1)
    return (anchor + delta) - anchor


def remind(
    session: Session, task_id: str, *, now: datetime, config: DeadlineConfig
) -> bool:
    """Remind the assignee (or the group) of an open task that it is due soon."""
    row = session.get(HumanTask, task_id)
    if row is None or row.state != TaskState.READY.value:
        return False
    users = notifications.holders(session, row)
    notifications.notify(
        session,
        users,
        noticetext.Kind.TASK_REMINDER,
        notifications.subject_of(session, row),
        now=now,
        config=config,
    )
    audit.record(
        session,
        AuditType.TASK_REMINDED,
        actor=SYSTEM.username,
        at=now,
        instance_id=row.instance_id,
        task_id=row.id,
        bpmn_id=row.bpmn_id,
        payload={"due_at": row.due_at, "to": sorted(u.username for u in users)},
    )
    return True


def breach(
    session: Session,
    task_id: str,
    escalation: str | None,
    *,
    now: datetime,
    config: DeadlineConfig,
) -> bool:
    """An open task passed its due time: tell its holders, then escalate as modelled."""
    row = session.get(HumanTask, task_id)
    if row is None or row.state != TaskState.READY.value:
        return False
    subject = notifications.subject_of(session, row)
    holders = notifications.holders(session, row)
    notifications.notify(
        session,
        holders,
        noticetext.Kind.TASK_OVERDUE,
        subject,
        now=now,
        config=config,
    )
    rule = Escalation.parse(escalation)
    payload: dict[str, Any] = {
        "due_at": row.due_at,
        "action": "notify_holders",
        "to": sorted(u.username for u in holders),
    }
    if rule is not None:
        targets = notifications.members(session, rule.group)
        if rule.action == "reassign":
            payload["from"] = {"lane": row.lane, "assignee": row.assignee}
            row.lane, row.assignee = rule.group, None
        notifications.notify(
            session,
            targets,
            noticetext.Kind.TASK_ESCALATED,
            subject,
            now=now,
            config=config,
        )
        payload.update(
            action=rule.action, group=rule.group, to=sorted(u.username for u in targets)
        )
    audit.record(
        session,
        AuditType.TASK_ESCALATED,
        actor=SYSTEM.username,
        at=now,
        instance_id=row.instance_id,
        task_id=row.id,
        bpmn_id=row.bpmn_id,
        payload=payload,
    )
    return True
