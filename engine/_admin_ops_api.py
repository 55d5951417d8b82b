"""Admin engine methods that keep running work healthy: instances, incidents, accounts.

Every method is admin-only, one transaction, and leaves an audit event with the admin's
name; data edits keep the values before and after.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from SpiffWorkflow.util.task import TaskState as SpiffState

from engine import (
    accounts,
    admin_queries,
    audit,
    identity,
    instances,
    runtime,
    worklist,
)
from engine._base import EngineBase
from engine.admin_queries import InstanceFilter
from engine.admin_records import IncidentEntry
from engine.audit import AuditType
from engine.errors import InstanceNotRunnable, InvalidInput
from engine.models import ProcessInstance, ProcessVersion
from engine.records import Actor, InstanceInfo, InstanceStatus, Role, TaskInfo, UserInfo

MAX_DATA = 256 * 1024
_EDITABLE = (
    InstanceStatus.RUNNING.value,
    InstanceStatus.SUSPENDED.value,
    InstanceStatus.ERROR.value,
)
_LIVE = SpiffState.READY | SpiffState.STARTED | SpiffState.WAITING


class OperationsAdminAPI(EngineBase):
    def search_instances(
        self,
        *,
        actor: Actor,
        where: InstanceFilter | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[InstanceInfo]:
        """Instances by process, version, status, key, starter, start date and step."""
        identity.require_admin(actor)
        with self._tx() as session:
            rows = admin_queries.search(
                session, where or InstanceFilter(), limit=limit, offset=offset
            )
            return [instances.to_info(session, r) for r in rows]

    def suspend_instance(
        self, instance_id: int, *, reason: str, actor: Actor
    ) -> InstanceInfo:
        """Hold a running instance: its tasks cannot be completed, its timers wait."""
        return self._set_status(
            instance_id,
            InstanceStatus.RUNNING,
            InstanceStatus.SUSPENDED,
            AuditType.INSTANCE_SUSPENDED,
            reason=reason,
            actor=actor,
        )

    def resume_instance(
        self, instance_id: int, *, reason: str = "", actor: Actor
    ) -> InstanceInfo:
        """Let a suspended instance run again; timers that came due fire next."""
        return self._set_status(
            instance_id,
            InstanceStatus.SUSPENDED,
            InstanceStatus.RUNNING,
            AuditType.INSTANCE_RESUMED,
            reason=reason,
            actor=actor,
        )

    def _set_status(
        self,
        instance_id: int,
        old: InstanceStatus,
        new: InstanceStatus,
        event: AuditType,
        *,
        reason: str,
        actor: Actor,
    ) -> InstanceInfo:
        identity.require_admin(actor)
        action = "suspend" if new is InstanceStatus.SUSPENDED else "resume"
        if new is InstanceStatus.SUSPENDED and not reason.strip():
            raise InvalidInput(
                "a reason is required to suspend an instance",
                field="reason",
                rule="required",
            )
        with self._tx() as session:
            row = instances.get(session, instance_id, lock=True)
            if row.status != old.value:
                raise InstanceNotRunnable(
                    f"instance {instance_id} is {row.status}, not {old.value}",
                    instance_id=instance_id,
                    status=row.status,
                    action=action,
                )
            row.status = new.value
            audit.record(
                session,
                event,
                actor=actor.username,
                at=self.now(),
                instance_id=row.id,
                payload={"reason": reason.strip()},
            )
            return instances.to_info(session, row)

    def edit_instance_data(
        self,
        instance_id: int,
        changes: Mapping[str, object],
        *,
        reason: str,
        actor: Actor,
        remove: Iterable[str] = (),
    ) -> InstanceInfo:
        """Correct instance variables; the audit keeps the reason, before and after.

        Raises:
            InvalidInput: no reason, or values that are not plain JSON.
            InstanceNotRunnable: the instance is completed or cancelled.
        """
        identity.require_admin(actor)
        clean, dropped = _plain(changes), sorted(set(remove) - set(changes))
        if not reason.strip():
            raise InvalidInput(
                "a reason is required to edit instance data",
                field="reason",
                rule="required",
            )
        if not clean and not dropped:
            raise InvalidInput("nothing to change", field="changes", rule="required")
        now = self.now()
        with self._tx() as session:
            row = instances.get(session, instance_id, lock=True)
            if row.status not in _EDITABLE:
                raise InstanceNotRunnable(
                    f"instance {instance_id} is {row.status}",
                    instance_id=instance_id,
                    status=row.status,
                    action="edit",
                )
            _loaded, workflow = instances.open_workflow(
                session, row, self._script_engine
            )
            before = _apply(workflow, clean, dropped)
            instances.save(session, row, workflow, actor=actor, now=now)
            audit.record(
                session,
                AuditType.INSTANCE_DATA_EDITED,
                actor=actor.username,
                at=now,
                instance_id=row.id,
                payload={
                    "reason": reason.strip(),
                    "before": before,
                    "after": clean,
                    "removed": dropped,
                },
            )
            return instances.to_info(session, row, runtime.data_of(workflow))

    def list_incidents(self, *, actor: Actor) -> list[IncidentEntry]:
        """Instances stopped in error with the element, line and message."""
        identity.require_admin(actor)
        with self._tx() as session:
            return admin_queries.incidents(session)

    def list_flagged_tasks(self, *, actor: Actor) -> list[TaskInfo]:
        """Open tasks held by deactivated users, to be reassigned."""
        identity.require_admin(actor)
        with self._tx() as session:
            found = []
            for task in admin_queries.flagged_tasks(session):
                instance = session.get(ProcessInstance, task.instance_id)
                version = (
                    session.get(ProcessVersion, instance.process_version_id)
                    if instance
                    else None
                )
                found.append(
                    worklist.to_info(
                        task,
                        version,
                        instance.business_key if instance else None,
                        worklist.starter(session, instance) if instance else None,
                        status=instance.status if instance else InstanceStatus.RUNNING.value,
                    )
                )
            return found

    def list_instance_tasks(self, instance_id: int, *, actor: Actor) -> list[TaskInfo]:
        """The open tasks of one instance, whoever holds them (to reassign)."""
        identity.require_admin(actor)
        with self._tx() as session:
            row = instances.get(session, instance_id)
            version = session.get(ProcessVersion, row.process_version_id)
            started = worklist.starter(session, row)
            return [
                worklist.to_info(task, version, row.business_key, started,
                                 status=row.status)
                for task in worklist.rows_for(session, [row.id])
            ]

    def deactivate_user(self, username: str, *, actor: Actor) -> UserInfo:
        """Stop a user signing in; their open tasks are flagged for reassignment."""
        return self._account(
            username,
            actor,
            AuditType.USER_DEACTIVATED,
            lambda s: accounts.set_active(s, username, False, actor=actor),
        )

    def reactivate_user(self, username: str, *, actor: Actor) -> UserInfo:
        """Let a deactivated user sign in again."""
        return self._account(
            username,
            actor,
            AuditType.USER_REACTIVATED,
            lambda s: accounts.set_active(s, username, True, actor=actor),
        )

    def set_groups(
        self, username: str, groups: Iterable[str], *, actor: Actor
    ) -> UserInfo:
        """Replace a user's group memberships (the lanes they work in)."""
        wanted = list(groups)
        return self._account(
            username,
            actor,
            AuditType.USER_UPDATED,
            lambda s: accounts.set_groups(s, username, wanted),
        )

    def set_role(self, username: str, role: Role, *, actor: Actor) -> UserInfo:
        """Make a user staff, admin or auditor."""
        return self._account(
            username,
            actor,
            AuditType.USER_UPDATED,
            lambda s: accounts.set_role(s, username, role, actor=actor),
        )

    def _account(
        self, username: str, actor: Actor, event: AuditType, change: Any
    ) -> UserInfo:
        identity.require_admin(actor)
        with self._tx() as session:
            payload = change(session)
            audit.record(
                session, event, actor=actor.username, at=self.now(), payload=payload
            )
            return identity.to_info(session, identity.get_user(session, username))

    def reset_password(
        self, username: str, *, actor: Actor, password: str | None = None
    ) -> str:
        """Set a new password (generated when not given), unlock, and return it once."""
        identity.require_admin(actor)
        with self._tx() as session:
            chosen, payload = accounts.reset_password(session, username, password)
            audit.record(
                session,
                AuditType.PASSWORD_RESET,
                actor=actor.username,
                at=self.now(),
                payload=payload,
            )
        return chosen


def _plain(changes: Mapping[str, object]) -> dict[str, Any]:
    if not isinstance(changes, Mapping):
        raise InvalidInput("changes must be a JSON object")
    try:
        text = json.dumps(dict(changes), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"data is not plain JSON: {exc}") from exc
    if len(text) > MAX_DATA:
        raise InvalidInput(f"data is larger than {MAX_DATA} bytes")
    clean: dict[str, Any] = json.loads(text)
    bad = [k for k in clean if not k.isidentifier() or k.startswith("_")]
    if bad:
        names = ", ".join(sorted(bad))
        raise InvalidInput(
            f"not usable as variable names: {names}",
            field="changes",
            value=names,
            rule="names",
        )
    return clean


def _apply(workflow: Any, changes: dict[str, Any], remove: list[str]) -> dict[str, Any]:
    """Change the data every live task (and the shown data) will carry on with."""
    shown = runtime.data_of(workflow)
    before = {k: shown.get(k) for k in [*changes, *remove]}
    targets = [t.data for t in workflow.get_tasks(state=_LIVE)]
    if workflow.last_task is not None:
        targets.append(workflow.last_task.data)
    for data in targets:
        data.update(changes)
        for key in remove:
            data.pop(key, None)
    return before
