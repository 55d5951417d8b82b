"""Admin read-only queries: versions with counts, instance search, incidents.

Never commits. Session first, like every inner module; authorization is the caller's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session

from engine import audit
from engine.admin_records import IncidentEntry, PinnedFile, ProcessVersionInfo
from engine.audit import AuditType
from engine.models import (
    AppUser,
    Definition,
    HumanTask,
    ProcessInstance,
    ProcessVersion,
    Timer,
)
from engine.records import InstanceStatus, TaskState

_INCIDENT_KINDS = {"complete": "task", "timers": "timer", "advance": "script"}


@dataclass(frozen=True, slots=True)
class InstanceFilter:
    """What the admin instance search narrows by; None means any."""

    process_id: str | None = None
    version: int | None = None
    status: InstanceStatus | None = None
    business_key: str | None = None
    started_by: str | None = None
    started_from: datetime | None = None
    started_to: datetime | None = None
    step: str | None = None


def process_versions(session: Session) -> list[ProcessVersionInfo]:
    """Every version of every process, newest first, with instance counts."""
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    query = select(
        ProcessInstance.process_version_id, ProcessInstance.status, func.count()
    ).group_by(ProcessInstance.process_version_id, ProcessInstance.status)
    for version_id, status, count in session.execute(query):
        counts[version_id][status] = count
    files = {d.id: d for d in session.scalars(select(Definition))}
    comments = _comments(session)
    rows = list(
        session.scalars(
            select(ProcessVersion).order_by(
                ProcessVersion.process_id, ProcessVersion.version.desc()
            )
        )
    )
    live = {r.process_id: r.version for r in reversed(rows)}
    return [
        ProcessVersionInfo(
            process_id=r.process_id,
            version=r.version,
            name=r.name,
            name_en=r.name_en,
            created_by=r.created_by,
            created_at=r.created_at,
            comment=comments.get((r.process_id, r.version), ""),
            files=tuple(
                sorted(
                    PinnedFile(
                        files[i].kind,
                        files[i].def_id,
                        files[i].version,
                        files[i].file_name,
                    )
                    for i in r.definition_ids
                    if i in files
                )
            ),
            live=live[r.process_id] == r.version,
            counts=dict(counts.get(r.id, {})),
        )
        for r in rows
    ]


def _comments(session: Session) -> dict[tuple[str, int], str]:
    """Deploy comments, kept in the audit trail of each version's creation."""
    entries = audit.list_events(
        session, event_types=[AuditType.PROCESS_VERSION_CREATED.value], limit=100_000
    )
    return {
        (str(e.payload.get("process_id")), int(str(e.payload.get("version", 0)))): str(
            e.payload.get("comment") or ""
        )
        for e in entries
    }


def search(
    session: Session, where: InstanceFilter, *, limit: int, offset: int
) -> list[ProcessInstance]:
    """Instances matching every given filter, newest first."""
    query: Select[Any] = select(ProcessInstance).order_by(ProcessInstance.id.desc())
    if where.process_id:
        query = query.where(ProcessInstance.process_id == where.process_id)
    if where.version is not None:
        query = query.join(
            ProcessVersion, ProcessVersion.id == ProcessInstance.process_version_id
        ).where(ProcessVersion.version == where.version)
    if where.status is not None:
        query = query.where(ProcessInstance.status == where.status.value)
    if where.business_key:
        query = query.where(
            ProcessInstance.business_key.contains(where.business_key, autoescape=True)
        )
    if where.started_by:
        query = query.where(ProcessInstance.started_by == where.started_by)
    if where.started_from is not None:
        query = query.where(ProcessInstance.started_at >= where.started_from)
    if where.started_to is not None:
        query = query.where(ProcessInstance.started_at < where.started_to)
    if where.step:
        query = query.where(
            or_(
                exists().where(
                    HumanTask.instance_id == ProcessInstance.id,
                    HumanTask.state == TaskState.READY.value,
                    HumanTask.bpmn_id == where.step,
                ),
                exists().where(
                    Timer.instance_id == ProcessInstance.id, Timer.bpmn_id == where.step
                ),
            )
        )
    return list(
        session.scalars(query.limit(max(1, min(limit, 500))).offset(max(0, offset)))
    )


def incidents(session: Session) -> list[IncidentEntry]:
    """Instances in error, newest failure first, with element, line and message."""
    query = (
        select(ProcessInstance, ProcessVersion.version)
        .join(ProcessVersion, ProcessVersion.id == ProcessInstance.process_version_id)
        .where(ProcessInstance.status == InstanceStatus.ERROR.value)
    )
    found = []
    for row, version in session.execute(query):
        incident: dict[str, Any] = row.incident or {}
        kind = (incident.get("retry") or {}).get("kind", "advance")
        at = incident.get("at")
        found.append(
            IncidentEntry(
                instance_id=row.id,
                process_id=row.process_id,
                version=version,
                business_key=row.business_key,
                kind=_INCIDENT_KINDS.get(kind, "script"),
                bpmn_id=incident.get("bpmn_id"),
                line=incident.get("line"),
                message=str(incident.get("message") or ""),
                at=datetime.fromisoformat(at) if isinstance(at, str) else None,
            )
        )
    return sorted(found, key=lambda i: (i.at is not None, i.at), reverse=True)


def flagged_tasks(session: Session) -> list[HumanTask]:
    """Open tasks held by a deactivated user: they need reassigning."""
    query = (
        select(HumanTask)
        .join(AppUser, AppUser.username == HumanTask.assignee)
        .where(HumanTask.state == TaskState.READY.value, AppUser.active.is_(False))
        .order_by(HumanTask.created_at)
    )
    return list(session.scalars(query))
