"""The job table: background work claimed under a lease, retried with back-off.

Never commits.

On PostgreSQL a claim locks the row with ``FOR UPDATE SKIP LOCKED``, so any number of
workers share the queue and each job is taken by exactly one of them. Claiming moves
``run_at`` to the end of the lease: a worker killed mid-job leaves the job to come due
again, and the next worker retries it. A job that keeps failing stays as ``failed``:
an incident an admin sees and can retry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.orm import Session

from engine import directsql
from engine.models import Job
from engine.values import plain

ERROR_LIMIT = 4000


class JobState(str, Enum):
    PENDING = "pending"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Claimed:
    """What a worker needs to run a job it holds the lease on."""

    id: int
    kind: str
    payload: Mapping[str, Any]
    instance_id: int | None
    attempts: int


def enqueue(
    session: Session,
    kind: str,
    *,
    run_at: datetime,
    now: datetime,
    max_attempts: int,
    payload: Mapping[str, Any] | None = None,
    key: str | None = None,
    instance_id: int | None = None,
    attempts: int = 0,
) -> Job:
    """Add a job, or with ``key`` reschedule the pending or failed job of that key.

    ``attempts`` counts tries already made elsewhere (a timer's own first firing).
    """
    row = session.scalar(select(Job).where(Job.key == key)) if key else None
    if row is None:
        row = Job(kind=kind, key=key, created_at=now)
        session.add(row)
    row.attempts = attempts
    row.instance_id, row.payload = instance_id, plain(dict(payload or {}))
    row.state, row.run_at, row.max_attempts = (
        JobState.PENDING.value,
        run_at,
        max_attempts,
    )
    row.locked_by = None
    session.flush()
    return row


def new_row(
    kind: str,
    *,
    key: str,
    run_at: datetime,
    now: datetime,
    max_attempts: int,
    payload: Mapping[str, Any],
    instance_id: int | None,
) -> dict[str, Any]:
    """The row of a pending job, for ``add_new``."""
    return {
        "kind": kind,
        "key": key,
        "instance_id": instance_id,
        "payload": plain(dict(payload)),
        "state": JobState.PENDING.value,
        "run_at": run_at,
        "attempts": 0,
        "max_attempts": max_attempts,
        "locked_by": None,
        "last_error": None,
        "created_at": now,
    }


def add_new(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Add jobs whose keys cannot exist yet, in one INSERT (no look-up, no flush).

    For jobs keyed on a row created in this same unit of work, such as a new inbox row:
    its id is new, so no job can carry it. ``enqueue`` is the general case.
    """
    directsql.write(session, _INSERT, list(rows))


_INSERT = insert(cast(Table, Job.__table__))


def claim(
    session: Session,
    now: datetime,
    *,
    lease: timedelta,
    worker: str,
    job_id: int | None = None,
) -> Claimed | None:
    """Take the next due job (or the given one when it is due) for ``lease``."""
    query = select(Job).where(Job.state == JobState.PENDING.value, Job.run_at <= now)
    if job_id is not None:
        query = query.where(Job.id == job_id)
    query = (
        query.order_by(Job.run_at, Job.id).limit(1).with_for_update(skip_locked=True)
    )
    row = session.scalars(query).first()
    if row is None:
        return None
    row.attempts += 1
    row.run_at = now + lease
    row.locked_by = worker[:128]
    return Claimed(
        id=row.id,
        kind=row.kind,
        payload=dict(row.payload),
        instance_id=row.instance_id,
        attempts=row.attempts,
    )


def finish(session: Session, job_id: int) -> None:
    """The job is done: remove it (its effects are in the audit trail)."""
    session.execute(delete(Job).where(Job.id == job_id))


def fail(
    session: Session,
    job_id: int,
    error: str,
    now: datetime,
    *,
    backoff_base: timedelta,
    backoff_cap: timedelta,
) -> Job | None:
    """Record a failed attempt: retry later with back-off, or give up as an incident.

    Returns the row when it has just become ``failed``; None while it will be retried.
    """
    row = session.scalars(select(Job).where(Job.id == job_id).with_for_update()).first()
    if row is None:
        return None
    row.last_error = error[:ERROR_LIMIT]
    row.locked_by = None
    if row.attempts >= row.max_attempts:
        row.state = JobState.FAILED.value
        return row
    row.run_at = now + backoff(row.attempts, base=backoff_base, cap=backoff_cap)
    return None


def backoff(attempts: int, *, base: timedelta, cap: timedelta) -> timedelta:
    """Exponential back-off: base, 2x base, 4x base ... never more than ``cap``."""
    factor = 1 << min(max(0, attempts - 1), 30)
    return min(base * factor, cap)


def retry(session: Session, job_id: int, now: datetime) -> Job | None:
    """Put a failed job back in the queue with a fresh count of attempts."""
    row = session.get(Job, job_id)
    if row is None or row.state != JobState.FAILED.value:
        return None
    row.state, row.run_at, row.attempts, row.locked_by = (
        JobState.PENDING.value,
        now,
        0,
        None,
    )
    return row


def resolve(session: Session, key: str) -> None:
    """Drop the job of ``key``: its work was done another way (an admin retry)."""
    session.execute(delete(Job).where(Job.key == key))


def due_ids(session: Session, now: datetime, *, limit: int) -> list[int]:
    query = (
        select(Job.id)
        .where(Job.state == JobState.PENDING.value, Job.run_at <= now)
        .order_by(Job.run_at, Job.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def list_jobs(
    session: Session,
    *,
    state: JobState | None = None,
    instance_id: int | None = None,
    limit: int = 200,
) -> Sequence[Job]:
    query = select(Job).order_by(Job.run_at, Job.id).limit(limit)
    if state is not None:
        query = query.where(Job.state == state.value)
    if instance_id is not None:
        query = query.where(Job.instance_id == instance_id)
    return list(session.scalars(query))
