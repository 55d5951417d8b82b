"""Engine methods for users, groups, sign-in and languages."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from engine import audit, identity
from engine._base import EngineBase
from engine.audit import AuditType
from engine.errors import AuthenticationFailed, InvalidInput, NotAuthorized
from engine.records import SYSTEM, Actor, GroupInfo, Role, UserInfo


class IdentityAPI(EngineBase):
    def ensure_group(self, name: str, *, title: str, title_en: str, actor: Actor
                     ) -> GroupInfo:
        """Create or retitle a group (a lane name). Admin only.

        A new group is recorded as ``group_created``, changed titles as
        ``group_updated`` with their values before and after; the returned
        ``outcome`` says which ("unchanged" when the titles were already these).
        """
        identity.require_admin(actor)
        with self._tx() as session:
            created, changes = identity.ensure_group(session, name, title=title,
                                                     title_en=title_en)
            if created:
                audit.record(session, AuditType.GROUP_CREATED, actor=actor.username,
                             at=self.now(), payload={"group": name, "title": title,
                                                     "title_en": title_en})
            elif changes:
                audit.record(session, AuditType.GROUP_UPDATED, actor=actor.username,
                             at=self.now(), payload={"group": name, **changes})
        outcome = "created" if created else "updated" if changes else "unchanged"
        return GroupInfo(name=name, title=title, title_en=title_en, outcome=outcome)

    def add_user(self, username: str, *, password: str, groups: Iterable[str] = (),
                 role: Role = Role.STAFF, display_name: str = "", language: str = "zh",
                 email: str | None = None, actor: Actor) -> UserInfo:
        """Create a user with a hashed password and group memberships. Admin only.

        Raises:
            InvalidInput: bad name, unknown group or language, duplicate user, short password.
            NotAuthorized: the actor is not an admin.
        """
        identity.require_admin(actor)
        now = self.now()
        with self._tx() as session:
            user = identity.add_user(session, username, password=password, groups=groups,
                                     role=role, display_name=display_name,
                                     language=language, email=email, now=now)
            info = identity.to_info(session, user)
            audit.record(session, AuditType.USER_CREATED, actor=actor.username, at=now,
                         payload={"user": username, "role": role.value,
                                  "groups": list(info.groups)})
        return info

    def authenticate(self, username: str, password: str) -> Actor:
        """Check a password; failures are counted and lock the account for a while.

        Raises:
            AuthenticationFailed: wrong credentials, inactive account, or throttled.
        """
        now = self.now()
        result: list[Actor] = []

        def work(session: Session) -> Exception | None:
            try:
                result.append(identity.authenticate(session, username, password, now))
            except AuthenticationFailed as exc:
                audit.record(session, AuditType.LOGIN_FAILED, actor=username[:64], at=now,
                             payload={"reason": exc.message})
                return exc
            except NotAuthorized:
                return AuthenticationFailed("this account is deactivated")
            return None

        self._commit_then_raise(work)
        return result[0]

    def get_actor(self, username: str) -> Actor:
        """Return the Actor of an active user (NotFound, or NotAuthorized when inactive)."""
        if username == SYSTEM.username:
            return SYSTEM
        with self._tx() as session:
            return identity.to_actor(session, identity.get_user(session, username))

    def set_language(self, username: str, language: str, *, actor: Actor) -> UserInfo:
        """Remember a user's UI language (the user themself or an admin)."""
        if actor.username != username:
            identity.require_admin(actor)
        if language not in identity.LANGUAGES:
            raise InvalidInput(f"language must be one of {', '.join(identity.LANGUAGES)}")
        with self._tx() as session:
            user = identity.get_user(session, username)
            user.language = language
            return identity.to_info(session, user)

    def list_users(self, *, actor: Actor) -> list[UserInfo]:
        """Every user with groups and role. Admins and auditors."""
        identity.require_reader(actor)
        with self._tx() as session:
            return [identity.to_info(session, u) for u in identity.all_users(session)]

    def display_names(self) -> dict[str, str]:
        """Every user's display name by user name, for pages that name people.

        Not authorized per caller: colleagues see each other's names on every task.
        """
        with self._tx() as session:
            return identity.display_names(session)

    def list_groups(self) -> list[GroupInfo]:
        with self._tx() as session:
            return identity.list_groups(session)
