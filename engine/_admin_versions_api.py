"""Admin engine methods for versions: list them, diff them, move instances between them.

Admin only, one transaction each. An instance moves only when every element it is at,
waits in or already passed exists in the target version; each move is audited.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import (
    admin_queries,
    audit,
    definitions,
    drafts,
    identity,
    instances,
    migration,
    runtime,
    steplog,
    versiondiff,
    worklist,
)
from engine._base import EngineBase
from engine.admin_records import MigrationResult, ProcessVersionInfo
from engine.audit import AuditType
from engine.errors import InvalidInput, NotFound, ScriptFailed
from engine.models import Definition, HumanTask, ProcessInstance, ProcessVersion
from engine.records import Actor, InstanceStatus, TaskState
from engine.versiondiff import FileDiff

_MOVABLE = (
    InstanceStatus.RUNNING.value,
    InstanceStatus.SUSPENDED.value,
    InstanceStatus.ERROR.value,
)


class VersionsAdminAPI(EngineBase):
    def list_process_versions(self, *, actor: Actor) -> list[ProcessVersionInfo]:
        """Every process version: who, when, comment, pinned files, instance counts."""
        identity.require_admin(actor)
        with self._tx() as session:
            return admin_queries.process_versions(session)

    def diff_versions(
        self, process_id: str, from_version: int, to_version: int, *, actor: Actor
    ) -> list[FileDiff]:
        """What changed between two process versions, file by pinned file."""
        identity.require_admin(actor)
        with self._tx() as session:
            old = _bundle(
                session,
                definitions.get_process_version(session, process_id, from_version),
            )
            new = _bundle(
                session,
                definitions.get_process_version(session, process_id, to_version),
            )
            keys = sorted(
                dict.fromkeys([*old, *new]),
                key=lambda k: (k != ("bpmn", process_id), k),
            )
            return [
                versiondiff.diff_file(
                    k[0], k[1], _source(old.get(k)), _source(new.get(k))
                )
                for k in keys
                if _source(old.get(k)) != _source(new.get(k))
            ]

    def diff_definition(
        self,
        kind: str,
        def_id: str,
        from_version: int,
        to_version: int | None = None,
        *,
        actor: Actor,
    ) -> FileDiff:
        """Two versions of one file; ``to_version=None`` compares with the draft."""
        identity.require_admin(actor)
        with self._tx() as session:
            old = _source(_definition(session, kind, def_id, from_version))
            new: tuple[int, str, bytes] | None
            if to_version is None:
                draft = drafts.get(session, kind, def_id)
                new = (0, draft.file_name, draft.source)
            else:
                new = _source(_definition(session, kind, def_id, to_version))
            return versiondiff.diff_file(kind, def_id, old, new)

    def migrate_instances(
        self,
        instance_ids: Iterable[int],
        to_version: int,
        *,
        actor: Actor,
        dry_run: bool = False,
    ) -> list[MigrationResult]:
        """Move instances to another version of their process, each only if it can.

        An instance moves only when every element it is at, waits in or passed exists in
        the target; otherwise its result lists them. ``dry_run`` only checks.
        """
        identity.require_admin(actor)
        wanted = sorted(set(instance_ids))
        if not wanted:
            raise InvalidInput("choose at least one instance", field="instance_id",
                               rule="required")
        with self._tx() as session:
            return [
                self._migrate(session, i, to_version, actor, dry_run) for i in wanted
            ]

    def _migrate(
        self,
        session: Session,
        instance_id: int,
        to_version: int,
        actor: Actor,
        dry_run: bool,
    ) -> MigrationResult:
        row = instances.get(session, instance_id, lock=True)
        current = session.get(ProcessVersion, row.process_version_id)
        target = definitions.get_process_version(session, row.process_id, to_version)
        assert current is not None
        result = MigrationResult(
            row.id, current.version, target.version, migrated=False
        )
        if row.status not in _MOVABLE:
            return replace(result, message=f"instance is {row.status}")
        if target.id == current.id:
            return replace(result, message="instance already runs this version")
        _loaded, workflow = instances.open_workflow(session, row, self._script_engine)
        loaded = definitions.load_spec(session, target)
        if dry_run:
            return replace(result, blockers=tuple(migration.check(workflow, loaded)))
        moved, blockers = migration.migrate(workflow, loaded, self._script_engine)
        if blockers:
            return replace(result, blockers=tuple(blockers))
        steplog.begin(moved)  # what the new version computes at once is on the trail
        try:
            if row.status == InstanceStatus.RUNNING.value:
                runtime.advance(moved)
        except ScriptFailed as exc:
            return replace(
                result, message=f"the target version fails at once: {exc.message}"
            )
        row.process_version_id = target.id
        now = self.now()
        was_running = row.status == InstanceStatus.RUNNING.value
        instances.save(session, row, moved, actor=actor, now=now)
        _refresh_tasks(session, row, moved)
        audit.record(
            session,
            AuditType.INSTANCE_MIGRATED,
            actor=actor.username,
            at=now,
            instance_id=row.id,
            payload={
                "from_version": result.from_version,
                "to_version": result.to_version,
            },
        )
        if was_running:  # the new version may end at once: record it like any ending
            self._audit_if_finished(session, row, actor, moved)
        return replace(result, migrated=True)


def _bundle(session: Session, row: ProcessVersion) -> dict[tuple[str, str], Definition]:
    query = select(Definition).where(Definition.id.in_(row.definition_ids))
    return {(d.kind, d.def_id): d for d in session.scalars(query)}


def _definition(session: Session, kind: str, def_id: str, version: int) -> Definition:
    row = session.scalars(
        select(Definition).where(
            Definition.kind == kind,
            Definition.def_id == def_id,
            Definition.version == version,
        )
    ).first()
    if row is None:
        raise NotFound(f"no version {version} of {kind} {def_id!r}")
    return row


def _source(row: Definition | None) -> tuple[int, str, bytes] | None:
    return (row.version, row.file_name, row.source) if row is not None else None


def _refresh_tasks(session: Session, row: ProcessInstance, workflow: Any) -> None:
    """Open inbox rows keep their ids; give them the new version's names and forms."""
    for task in session.scalars(
        select(HumanTask).where(
            HumanTask.instance_id == row.id, HumanTask.state == TaskState.READY.value
        )
    ):
        spiff = runtime.find_task(workflow, UUID(task.id))
        if spiff is None:
            continue
        meta = worklist.task_meta(spiff.task_spec)
        for name in ("bpmn_id", "title", "title_en", "lane", "form_key", "priority"):
            setattr(task, name, meta[name])
