"""In-app notifications with an unread count, and their e-mail copies. Never commits.

Each notice is written in the recipient's language inside the transaction of the change
it announces; its e-mail copy goes to the outbox in that same transaction, so a
rolled-back step notifies nobody and a committed one is sent by a job after commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from engine import outbox
from engine.deadline_config import DeadlineConfig
from engine.models import (
    AppUser,
    HumanTask,
    Membership,
    Notification,
    ProcessInstance,
    ProcessVersion,
)
from engine.records import NotificationInfo, Role


class Kind(str, Enum):
    TASK_CREATED = "task_created"
    TASK_REMINDER = "task_reminder"
    TASK_OVERDUE = "task_overdue"
    TASK_ESCALATED = "task_escalated"
    INSTANCE_COMPLETED = "instance_completed"


# (title, body) per language; {task}, {process}, {key} and {due} are filled in.
TEMPLATES: dict[Kind, dict[str, tuple[str, str]]] = {
    Kind.TASK_CREATED: {
        "zh": (
            "新任务：{task}",
            "「{process}」{key}有一项新任务「{task}」等待处理。{due}",
        ),
        "en": (
            "New task: {task}",
            '{process}{key}: the task "{task}" is waiting for you.' "{due}",
        ),
    },
    Kind.TASK_REMINDER: {
        "zh": (
            "任务即将到期：{task}",
            "「{process}」{key}的任务「{task}」即将到期。{due}",
        ),
        "en": (
            "Task due soon: {task}",
            '{process}{key}: the task "{task}" is due soon.' "{due}",
        ),
    },
    Kind.TASK_OVERDUE: {
        "zh": (
            "任务已逾期：{task}",
            "「{process}」{key}的任务「{task}」已超过期限。{due}",
        ),
        "en": (
            "Task overdue: {task}",
            '{process}{key}: the task "{task}" is overdue.' "{due}",
        ),
    },
    Kind.TASK_ESCALATED: {
        "zh": (
            "逾期督办：{task}",
            "「{process}」{key}的任务「{task}」已逾期，已升级给您督办。" "{due}",
        ),
        "en": (
            "Escalated: {task}",
            '{process}{key}: the task "{task}" is overdue and has '
            "been escalated to you.{due}",
        ),
    },
    Kind.INSTANCE_COMPLETED: {
        "zh": ("已办结：{process}", "您发起的「{process}」{key}已办结。"),
        "en": ("Finished: {process}", 'Your request "{process}"{key} has finished.'),
    },
}
DUE = {"zh": "截止时间：{at}", "en": " Due {at}."}


@dataclass(frozen=True, slots=True)
class Subject:
    """What a notice is about, with the names in both languages."""

    process: str
    process_en: str | None
    task: str = ""
    task_en: str | None = None
    business_key: str | None = None
    due_at: datetime | None = None
    instance_id: int | None = None
    task_id: str | None = None


def subject_of(session: Session, row: HumanTask) -> Subject:
    instance = session.get(ProcessInstance, row.instance_id)
    version = (
        session.get(ProcessVersion, instance.process_version_id) if instance else None
    )
    return Subject(
        process=version.name if version else row.process_id,
        process_en=version.name_en if version else None,
        task=row.title,
        task_en=row.title_en,
        due_at=row.due_at,
        instance_id=row.instance_id,
        task_id=row.id,
        business_key=instance.business_key if instance else None,
    )


def instance_subject(session: Session, row: ProcessInstance) -> Subject:
    version = session.get(ProcessVersion, row.process_version_id)
    return Subject(
        process=version.name if version else row.process_id,
        process_en=version.name_en if version else None,
        business_key=row.business_key,
        instance_id=row.id,
    )


def members(session: Session, group: str) -> list[AppUser]:
    query = (
        select(AppUser)
        .join(Membership, Membership.user_id == AppUser.id)
        .where(Membership.group_name == group, AppUser.active.is_(True))
        .order_by(AppUser.username)
    )
    return list(session.scalars(query))


def holders(session: Session, row: HumanTask) -> list[AppUser]:
    """Who holds a task: its assignee, else its lane group (else the admins)."""
    if row.assignee:
        return list(
            session.scalars(
                select(AppUser).where(
                    AppUser.username == row.assignee, AppUser.active.is_(True)
                )
            )
        )
    if row.lane:
        return members(session, row.lane)
    return list(
        session.scalars(
            select(AppUser)
            .where(AppUser.role == Role.ADMIN.value, AppUser.active.is_(True))
            .order_by(AppUser.username)
        )
    )


def render(
    kind: Kind, subject: Subject, language: str, config: DeadlineConfig
) -> tuple[str, str]:
    lang = "en" if language == "en" else "zh"
    title, body = TEMPLATES[kind][lang]
    english = lang == "en"
    key = f" ({subject.business_key})" if subject.business_key else ""
    due = ""
    if subject.due_at is not None:
        local = subject.due_at.astimezone(config.zone)
        due = DUE[lang].format(at=f"{local:%Y-%m-%d %H:%M}")
    values = {
        "task": (subject.task_en if english and subject.task_en else subject.task),
        "process": (
            subject.process_en if english and subject.process_en else subject.process
        ),
        "key": key,
        "due": due,
    }
    return title.format(**values)[:255], body.format(**values)


def notify(
    session: Session,
    users: Iterable[AppUser],
    kind: Kind,
    subject: Subject,
    *,
    now: datetime,
    config: DeadlineConfig,
) -> int:
    """Write one notice per user, and queue its e-mail when the user has an address."""
    count = 0
    for user in users:
        title, body = render(kind, subject, user.language, config)
        session.add(
            Notification(
                username=user.username,
                kind=kind.value,
                title=title,
                body=body,
                instance_id=subject.instance_id,
                task_id=subject.task_id,
                created_at=now,
            )
        )
        if user.email and config.smtp_host:
            outbox.queue(
                session,
                outbox.Channel.EMAIL,
                user.email,
                title,
                body,
                language=user.language,
                instance_id=subject.instance_id,
                now=now,
                config=config,
            )
        count += 1
    return count


def task_created(
    session: Session, row: HumanTask, *, now: datetime, config: DeadlineConfig
) -> None:
    notify(
        session,
        holders(session, row),
        Kind.TASK_CREATED,
        subject_of(session, row),
        now=now,
        config=config,
    )


def instance_finished(
    session: Session, row: ProcessInstance, *, now: datetime, config: DeadlineConfig
) -> None:
    """Tell the person who started an instance that it has finished."""
    starter = session.scalars(
        select(AppUser).where(
            AppUser.username == row.started_by, AppUser.active.is_(True)
        )
    ).first()
    if starter is not None:
        notify(
            session,
            [starter],
            Kind.INSTANCE_COMPLETED,
            instance_subject(session, row),
            now=now,
            config=config,
        )


def list_for(
    session: Session, username: str, *, unread_only: bool, limit: int
) -> list[NotificationInfo]:
    query = select(Notification).where(Notification.username == username)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    query = query.order_by(Notification.created_at.desc(), Notification.id.desc())
    return [_info(r) for r in session.scalars(query.limit(max(1, min(limit, 500))))]


def unread_count(session: Session, username: str) -> int:
    query = (
        select(func.count())
        .select_from(Notification)
        .where(Notification.username == username, Notification.read_at.is_(None))
    )
    return int(session.scalar(query) or 0)


def mark_read(
    session: Session, username: str, ids: Sequence[int] | None, now: datetime
) -> int:
    """Mark the user's notices (all, or the given ids) read; return how many changed."""
    query = update(Notification).where(
        Notification.username == username, Notification.read_at.is_(None)
    )
    if ids is not None:
        query = query.where(Notification.id.in_(list(ids)))
    result = session.execute(query.values(read_at=now))
    return int(getattr(result, "rowcount", 0) or 0)


def _info(row: Notification) -> NotificationInfo:
    return NotificationInfo(
        id=row.id,
        kind=row.kind,
        title=row.title,
        body=row.body,
        instance_id=row.instance_id,
        task_id=row.task_id,
        created_at=row.created_at,
        read_at=row.read_at,
    )
