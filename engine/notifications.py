"""In-app notifications with an unread count, and their e-mail copies. Never commits.

Each notice is written in Chinese and English inside the transaction of the change it
announces, and shown in the language of the page; its e-mail copy, in the recipient's
language, goes to the outbox in that same transaction, so a rolled-back step notifies
nobody and a committed one is sent by a job after commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Integer,
    Select,
    String,
    Table,
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session

from engine import directsql, outbox
from engine.db import UTCDateTime
from engine.deadline_config import DeadlineConfig
from engine.models import (
    AppUser,
    HumanTask,
    Membership,
    Notification,
    ProcessInstance,
    ProcessVersion,
)
from engine.noticetext import Kind, Subject, render
from engine.records import NotificationInfo, Role


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
        outcome=row.outcome,
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
    return list(session.scalars(_holders(row, AppUser)))


def _holders(row: HumanTask, *columns: Any) -> Select[Any]:
    """``columns`` of the active users who hold a task (see ``holders``)."""
    query = select(*columns).where(AppUser.active.is_(True)).order_by(AppUser.username)
    if row.assignee:
        return query.where(AppUser.username == row.assignee)
    if row.lane:
        return query.join(Membership, Membership.user_id == AppUser.id).where(
            Membership.group_name == row.lane
        )
    return query.where(AppUser.role == Role.ADMIN.value)


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
    zh, en = render(kind, subject, "zh", config), render(kind, subject, "en", config)
    for user in users:
        title, body = en if user.language == "en" else zh  # for the e-mail copy
        session.add(
            Notification(
                username=user.username,
                kind=kind.value,
                title=zh[0],
                body=zh[1],
                title_en=en[0],
                body_en=en[1],
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
    subject = subject_of(session, row)
    if config.smtp_host:  # e-mail copies go to each holder's address: read them
        notify(
            session,
            holders(session, row),
            Kind.TASK_CREATED,
            subject,
            now=now,
            config=config,
        )
        return
    _insert_notices(session, row, Kind.TASK_CREATED, subject, now=now, config=config)


def _insert_notices(
    session: Session,
    row: HumanTask,
    kind: Kind,
    subject: Subject,
    *,
    now: datetime,
    config: DeadlineConfig,
) -> None:
    """``notify`` the holders of a task in one INSERT ... SELECT (no e-mail copies).

    Both languages are rendered here and stored with every notice, so a step with a
    whole group to tell costs one statement and each page shows its own language.
    """
    if row.assignee:
        _insert(session, _TO_ASSIGNEE, kind, subject, now=now, config=config,
                assignee=row.assignee)
    elif row.lane:
        _insert(session, _TO_LANE, kind, subject, now=now, config=config, lane=row.lane)
    else:
        _insert(session, _TO_ADMINS, kind, subject, now=now, config=config)


def _insert(session: Session, statement: Any, kind: Kind, subject: Subject, *,
            now: datetime, config: DeadlineConfig, **who: str) -> None:
    zh, en = render(kind, subject, "zh", config), render(kind, subject, "en", config)
    directsql.write(session, statement, {
        "kind": kind.value, "title_zh": zh[0], "body_zh": zh[1], "title_en": en[0],
        "body_en": en[1], "instance_id": subject.instance_id,
        "task_id": subject.task_id, "created_at": now, **who})


def _notices(where: Any, *, lane: bool = False) -> Any:
    """INSERT ... SELECT of one notice per active user matching ``where``.

    Built once at import (see ``_TO_*``): the text comes in as bound parameters.
    """
    text = String()
    query = select(
        AppUser.username,
        bindparam("kind", type_=text),
        bindparam("title_zh", type_=text),
        bindparam("body_zh", type_=text),
        bindparam("title_en", type_=text),
        bindparam("body_en", type_=text),
        bindparam("instance_id", type_=Integer()),
        bindparam("task_id", type_=text),
        bindparam("created_at", type_=UTCDateTime()),
    )
    if lane:
        query = query.join(Membership, Membership.user_id == AppUser.id)
    query = query.where(AppUser.active.is_(True), where).order_by(AppUser.username)
    columns = ["username", "kind", "title", "body", "title_en", "body_en", "instance_id",
               "task_id"]
    table = cast(Table, Notification.__table__)  # Core: an ORM insert needs no params
    return insert(table).from_select([*columns, "created_at"], query)


_TO_ASSIGNEE = _notices(AppUser.username == bindparam("assignee", type_=String()))
_TO_LANE = _notices(
    Membership.group_name == bindparam("lane", type_=String()), lane=True
)
_TO_ADMINS = _notices(AppUser.role == Role.ADMIN.value)


def instance_finished(
    session: Session, row: ProcessInstance, *, now: datetime, config: DeadlineConfig
) -> None:
    """Tell the person who started an instance that it has finished."""
    if not config.smtp_host:  # no e-mail copy: one INSERT ... SELECT of the starter
        subject = instance_subject(session, row)
        _insert(session, _TO_ASSIGNEE, Kind.INSTANCE_COMPLETED, subject, now=now,
                config=config, assignee=row.started_by)
        return
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
        title_en=row.title_en,
        body_en=row.body_en,
        instance_id=row.instance_id,
        task_id=row.task_id,
        created_at=row.created_at,
        read_at=row.read_at,
    )
