"""Admin changes to user accounts: deactivate, reactivate, password, groups, role.

Never commits. Each function returns what changed, for the audit trail; nothing here
decides who may call it (the admin API does).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from engine import identity
from engine.errors import InvalidInput
from engine.models import Membership
from engine.records import Actor, Role


def _not_self(actor: Actor, username: str, what: str, rule: str) -> None:
    # An admin locking themself out would leave nobody to undo it.
    if actor.username == username:
        raise InvalidInput(f"you cannot {what} your own account", field="username",
                           rule=rule, value=username)


def set_active(
    session: Session, username: str, active: bool, *, actor: Actor
) -> dict[str, Any]:
    if not active:
        _not_self(actor, username, "deactivate", "own_deactivation")
    user = identity.get_user(session, username)
    if user.active == active:
        state = "active" if active else "deactivated"
        raise InvalidInput(f"{username} is already {state}", field="username",
                           rule=f"already_{state}", value=username)
    user.active = active
    if active:
        user.failed_logins, user.locked_until = 0, None
    return {"user": username}


def reset_password(
    session: Session, username: str, password: str | None
) -> tuple[str, dict[str, Any]]:
    """Set a new password (a random one when none is given) and lift any lock."""
    user = identity.get_user(session, username)
    chosen = password or secrets.token_urlsafe(12)
    user.password_hash = identity.hash_password(chosen)
    user.failed_logins, user.locked_until = 0, None
    return chosen, {"user": username, "generated": password is None}


def set_groups(
    session: Session, username: str, groups: Iterable[str]
) -> dict[str, Any]:
    user = identity.get_user(session, username)
    wanted = set(groups)
    identity.check_groups(session, wanted)
    before = identity.user_groups(session, user)
    session.execute(delete(Membership).where(Membership.user_id == user.id))
    session.add_all(Membership(user_id=user.id, group_name=g) for g in sorted(wanted))
    session.flush()
    return {
        "user": username,
        "groups": {"before": sorted(before), "after": sorted(wanted)},
    }


def set_role(
    session: Session, username: str, role: Role, *, actor: Actor
) -> dict[str, Any]:
    if role is not Role.ADMIN:
        _not_self(actor, username, "remove the admin role from", "own_admin_role")
    user = identity.get_user(session, username)
    before, user.role = user.role, role.value
    return {"user": username, "role": {"before": before, "after": role.value}}
