"""Users, groups, passwords and the authorization rules. Never commits.

Authorization lives here, in the engine, so the CLI, the API and the UI cannot disagree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import AuthenticationFailed, InvalidInput, NotAuthorized, NotFound
from engine.models import AppUser, HumanTask, Membership, UserGroup
from engine.records import Actor, GroupInfo, Role, UserInfo

USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,63}$")
GROUP_NAME = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
LANGUAGES = ("zh", "en")
MIN_PASSWORD = 8
# One @, no spaces, a dot in the domain: enough to catch a typo, not to prove delivery.
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_FAILURES = 5
LOCK_BASE = timedelta(seconds=30)
LOCK_MAX = timedelta(minutes=15)
# Groups whose members may reassign tasks of other lanes (managers of the office).
MANAGER_GROUPS = frozenset({"department_manager", "director", "general_manager"})

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("timing-equaliser")


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput("password must be at least 8 characters", field="password",
                           rule="too_short", value=str(MIN_PASSWORD))
    return _hasher.hash(password)


def ensure_group(
    session: Session, name: str, *, title: str, title_en: str
) -> tuple[bool, dict[str, Any]]:
    """Create the group, or retitle it; return whether it was created and, for an
    existing group, each title that changed as {"before", "after"}."""
    if not GROUP_NAME.match(name):
        raise InvalidInput(f"group name {name!r} must be lower-case letters, digits, _",
                           field="group", rule="format", value=name)
    row = session.get(UserGroup, name)
    if row is None:
        session.add(UserGroup(name=name, title=title, title_en=title_en))
        return True, {}
    changes = {
        field: {"before": before, "after": after}
        for field, before, after in (
            ("title", row.title, title),
            ("title_en", row.title_en, title_en),
        )
        if before != after
    }
    row.title, row.title_en = title, title_en
    return False, changes


def check_groups(session: Session, wanted: set[str]) -> None:
    """Refuse group names that do not exist, naming them."""
    unknown = wanted - group_names(session)
    if unknown:
        names = ", ".join(sorted(unknown))
        raise InvalidInput(f"unknown group(s): {names}", field="groups",
                           rule="unknown", value=names)


def group_names(session: Session) -> set[str]:
    return set(session.scalars(select(UserGroup.name)))


def list_groups(session: Session) -> list[GroupInfo]:
    rows = session.scalars(select(UserGroup).order_by(UserGroup.name))
    return [GroupInfo(name=r.name, title=r.title, title_en=r.title_en) for r in rows]


def add_user(
    session: Session,
    username: str,
    *,
    password: str,
    groups: Iterable[str],
    role: Role,
    display_name: str,
    language: str,
    email: str | None,
    now: datetime,
) -> AppUser:
    if not USERNAME.match(username):
        raise InvalidInput(f"user name {username!r}: use lower-case letters, digits, . _ -",
                           field="username", rule="format", value=username)
    if language not in LANGUAGES:
        raise InvalidInput(f"language must be one of {', '.join(LANGUAGES)}",
                           field="language", rule="unknown", value=language)
    if email is not None and not EMAIL.match(email):
        raise InvalidInput(f"e-mail address {email!r} is not valid", field="email",
                           rule="format", value=email)
    if session.scalar(select(AppUser.id).where(AppUser.username == username)):
        raise InvalidInput(f"user {username!r} already exists", field="username",
                           rule="taken", value=username)
    wanted = set(groups)
    check_groups(session, wanted)
    user = AppUser(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        role=role.value,
        language=language,
        email=email,
        active=True,
        failed_logins=0,
        created_at=now,
    )
    session.add(user)
    session.flush()
    session.add_all(Membership(user_id=user.id, group_name=g) for g in sorted(wanted))
    return user


def get_user(session: Session, username: str) -> AppUser:
    user = session.scalar(select(AppUser).where(AppUser.username == username))
    if user is None:
        raise NotFound(f"no user {username!r}", kind="user", key=username)
    return user


def user_groups(session: Session, user: AppUser) -> frozenset[str]:
    query = select(Membership.group_name).where(Membership.user_id == user.id)
    return frozenset(session.scalars(query))


def to_actor(session: Session, user: AppUser) -> Actor:
    if not user.active:
        raise NotAuthorized(f"user {user.username!r} is deactivated")
    return Actor(
        username=user.username,
        groups=user_groups(session, user),
        role=Role(user.role),
        language=user.language,
        display_name=user.display_name,
    )


def to_info(session: Session, user: AppUser) -> UserInfo:
    return UserInfo(
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        groups=tuple(sorted(user_groups(session, user))),
        language=user.language,
        active=user.active,
        email=user.email,
    )


def authenticate(session: Session, username: str, password: str, now: datetime) -> Actor:
    """Check a password, counting failures and locking the account for a while after 5."""
    user = session.scalar(select(AppUser).where(AppUser.username == username))
    if user is None:
        _verify(_DUMMY_HASH, password)  # same work as for a real user: no user probing
        raise AuthenticationFailed("wrong user name or password")
    if user.locked_until is not None and user.locked_until > now:
        wait = int((user.locked_until - now).total_seconds()) + 1
        raise AuthenticationFailed(
            f"too many failed sign-ins; try again in {wait} s", retry_after=wait
        )
    if not _verify(user.password_hash, password) or not user.active:
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            extra = user.failed_logins - MAX_FAILURES
            user.locked_until = now + min(LOCK_BASE * (2**extra), LOCK_MAX)
        raise AuthenticationFailed("wrong user name or password")
    user.failed_logins = 0
    user.locked_until = None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return to_actor(session, user)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def can_work_on(actor: Actor, task: HumanTask) -> bool:
    """The assignee, or while unassigned a member of the lane's group."""
    if task.assignee is not None:
        return task.assignee == actor.username
    return task.lane is None or task.lane in actor.groups


def can_view_task(actor: Actor, task: HumanTask) -> bool:
    return (
        actor.is_admin
        or actor.is_auditor
        or task.assignee == actor.username
        or (task.lane is not None and task.lane in actor.groups)
    )


def can_assign(actor: Actor) -> bool:
    return actor.is_admin or bool(actor.groups & MANAGER_GROUPS)


def require_task_taker(user: UserInfo) -> None:
    """Refuse to give a task to someone who may not work on it."""
    if user.can_take_tasks:
        return
    why = "is deactivated" if not user.active else "is an auditor (read-only access)"
    raise InvalidInput(f"{user.username} {why} and cannot be given tasks",
                       field="assignee", value=user.username, rule="cannot_take_tasks")


def member_of(session: Session, username: str, lane: str | None) -> str | None:
    """``username`` if that user may take a task of ``lane`` now, else None.

    Active, not an auditor, and a member of the lane's group (any group for a task
    without a lane).
    """
    query = (select(AppUser.username)
             .where(AppUser.username == username, AppUser.active.is_(True),
                    AppUser.role != Role.AUDITOR.value))
    if lane is not None:
        query = query.join(Membership, Membership.user_id == AppUser.id).where(
            Membership.group_name == lane)
    return session.scalar(query.limit(1))


def require_active(session: Session, actor: Actor) -> None:
    """Refuse an actor whose account was deactivated after the Actor was made."""
    query = select(AppUser.active).where(AppUser.username == actor.username)
    if session.scalar(query) is False:
        raise NotAuthorized(f"{actor.username} is deactivated and may not take tasks")


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise NotAuthorized(f"{actor.username} is not an administrator")


def require_reader(actor: Actor) -> None:
    """Admins and auditors may read the whole audit trail and all instances."""
    if not (actor.is_admin or actor.is_auditor):
        raise NotAuthorized(f"{actor.username} may not read the audit trail")


def all_users(session: Session) -> list[AppUser]:
    return list(session.scalars(select(AppUser).order_by(AppUser.username)))


def display_names(session: Session) -> dict[str, str]:
    """Every user's display name by user name (the user name where none was given)."""
    query = select(AppUser.username, AppUser.display_name)
    return {name: shown or name for name, shown in session.execute(query)}
