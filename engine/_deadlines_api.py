"""Engine methods for background jobs, notifications and incidents.

A job runs in three short steps: claim it under a lease (one transaction), do the work
(its own transaction, or a network call with none open), then delete it in the work's
transaction or right after. ``run_due_jobs`` (local workers) and ``run_job`` (Celery)
share ``_run_guarded``, the one job-execution code path.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session

from engine import audit, identity, jobs, notifications, outbox, schedules, sla, timers
from engine._base import require_staff
from engine._messages_api import MessagesAPI
from engine.audit import AuditType
from engine.deadline_config import SESSION_KEY, DeadlineConfig
from engine.errors import InvalidInput, NotFound, ScriptFailed
from engine.jobs import Claimed, JobState
from engine.models import Job
from engine.records import SYSTEM, Actor, JobInfo, NotificationInfo, WorkRef

logger = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


class DeadlinesAPI(MessagesAPI):
    def __init__(
        self, *args: Any, deadlines: DeadlineConfig | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._deadlines = (
            deadlines if deadlines is not None else DeadlineConfig.from_env()
        )

    @property
    def deadline_config(self) -> DeadlineConfig:
        return self._deadlines

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        """EngineBase's unit of work, carrying the DeadlineConfig to inner modules."""
        with super()._tx() as session:
            session.info[SESSION_KEY] = self._deadlines
            yield session

    # jobs ----------------------------------------------------------------------------

    def run_due_jobs(self, *, limit: int = 100, worker: str | None = None) -> int:
        """Run due jobs, each claimed by exactly one worker; return how many ran."""
        name = worker or worker_name()
        ran = 0
        for _ in range(limit):
            if self._run_guarded(None, name) is None:
                break
            ran += 1
        return ran

    def run_job(self, job_id: int, *, worker: str | None = None) -> bool:
        """Run one job if it is still due and free (a dispatched worker's entry)."""
        return bool(self._run_guarded(job_id, worker or worker_name()))

    def list_due_work(self, *, limit: int = 500) -> list[WorkRef]:
        """What is due now, unclaimed: for a dispatcher that hands work out."""
        now = self.now()
        with self._tx() as session:
            starts = [
                WorkRef("start", r.id)
                for r in schedules.due_rows(session, now, limit=limit)
            ]
            due = timers.due_instance_ids(session, now, limit=limit)
            return (
                starts
                + [WorkRef("timer", i) for i in due]
                + [WorkRef("job", i) for i in jobs.due_ids(session, now, limit=limit)]
            )

    def execute(self, ref: WorkRef, *, worker: str | None = None) -> bool:
        """Run one dispatched piece of work; False when it was done or taken already."""
        if ref.kind == "timer":
            return self.fire_instance_timers(ref.id) > 0
        if ref.kind == "start":
            return self.fire_start_timer(ref.id)
        if ref.kind == "job":
            return self.run_job(ref.id, worker=worker)
        raise InvalidInput(f"unknown kind of work {ref.kind!r}")

    def _run_guarded(self, job_id: int | None, worker: str) -> bool | None:
        """Claim and run one job; None when none was due. Failures are recorded here."""
        config = self._deadlines
        with self._tx() as session:
            claimed = jobs.claim(
                session,
                self.now(),
                lease=config.job_lease,
                worker=worker,
                job_id=job_id,
            )
        if claimed is None:
            return None
        try:
            self._handler(claimed.kind)(claimed)
        except Exception as exc:  # the top of the job loop: log, record, go on
            logger.exception("job %s (%s) failed", claimed.id, claimed.kind)
            self._job_failed(claimed, exc)
            return False
        return True

    def _handler(self, kind: str) -> Callable[[Claimed], None]:
        handlers: dict[str, Callable[[Claimed], None]] = {
            outbox.SEND: self._send_outbox,
            sla.REMIND: self._task_deadline,
            sla.BREACH: self._task_deadline,
            timers.RETRY: self._retry_timers,
            self.DELIVER_KIND: self._deliver_kept,
            self.EXPIRE_KIND: self._expire_kept,
        }
        if kind not in handlers:
            raise LookupError(f"no handler for job kind {kind!r}")
        return handlers[kind]

    def _job_failed(self, claimed: Claimed, error: BaseException) -> None:
        now, config = self.now(), self._deadlines
        with self._tx() as session:
            failed = jobs.fail(
                session,
                claimed.id,
                f"{type(error).__name__}: {error}",
                now,
                backoff_base=config.backoff_base,
                backoff_cap=config.backoff_cap,
            )
            if failed is not None:
                audit.record(
                    session,
                    AuditType.JOB_FAILED,
                    actor=SYSTEM.username,
                    at=now,
                    instance_id=failed.instance_id,
                    payload={
                        "job_id": failed.id,
                        "kind": failed.kind,
                        "attempts": failed.attempts,
                        "error": failed.last_error,
                    },
                )
        if failed is not None and failed.kind == timers.RETRY and failed.instance_id:
            self._record_failure(
                failed.instance_id,
                ScriptFailed(
                    f"timers failed {failed.attempts} times: {failed.last_error}"
                ),
                actor=SYSTEM,
                retry={"kind": "timers"},
            )

    def _send_outbox(self, claimed: Claimed) -> None:
        outbox_id, config = int(claimed.payload["outbox_id"]), self._deadlines
        with self._tx() as session:
            message = outbox.prepare(session, outbox_id, self.now(), config)
            if message is None:
                jobs.finish(session, claimed.id)
                return
        outbox.transmit(message, config)  # no transaction open while we wait on SMTP
        with self._tx() as session:
            outbox.mark_sent(session, outbox_id, self.now())
            jobs.finish(session, claimed.id)

    def _task_deadline(self, claimed: Claimed) -> None:
        """A reminder or breach job: act in the same transaction that retires it."""
        task_id, now, config = (
            str(claimed.payload["task_id"]),
            self.now(),
            self._deadlines,
        )
        with self._tx() as session:
            if claimed.kind == sla.REMIND:
                sla.remind(session, task_id, now=now, config=config)
            else:
                escalation = claimed.payload.get("escalation")
                sla.breach(session, task_id, escalation, now=now, config=config)
            jobs.finish(session, claimed.id)

    def _retry_timers(self, claimed: Claimed) -> None:
        instance_id = int(claimed.payload["instance_id"])
        try:
            self._fire_timers(instance_id, [])
        except ScriptFailed as exc:
            self._record_failure(
                instance_id, exc, actor=SYSTEM, retry={"kind": "timers"}
            )
        with self._tx() as session:
            jobs.finish(session, claimed.id)

    def list_jobs(
        self,
        *,
        actor: Actor,
        failed_only: bool = False,
        instance_id: int | None = None,
        limit: int = 200,
    ) -> list[JobInfo]:
        """Pending and failed jobs (failed ones are incidents). Admins and auditors."""
        identity.require_reader(actor)
        with self._tx() as session:
            rows = jobs.list_jobs(
                session,
                state=JobState.FAILED if failed_only else None,
                instance_id=instance_id,
                limit=limit,
            )
            return [_job_info(r) for r in rows]

    def retry_job(self, job_id: int, *, actor: Actor) -> JobInfo:
        """Queue a failed job again with a fresh count of attempts. Admin only.

        Raises:
            NotFound: there is no failed job with this id.
        """
        identity.require_admin(actor)
        now = self.now()
        with self._tx() as session:
            row = jobs.retry(session, job_id, now)
            if row is None:
                raise NotFound(f"no failed job {job_id}")
            audit.record(
                session,
                AuditType.JOB_RETRIED,
                actor=actor.username,
                at=now,
                instance_id=row.instance_id,
                payload={"job_id": row.id, "kind": row.kind},
            )
            return _job_info(row)

    # notifications -------------------------------------------------------------------

    def list_notifications(
        self, actor: Actor, *, unread_only: bool = False, limit: int = 50
    ) -> list[NotificationInfo]:
        """The actor's notices, newest first, in the actor's language."""
        with self._tx() as session:
            return notifications.list_for(
                session, actor.username, unread_only=unread_only, limit=limit
            )

    def unread_count(self, actor: Actor) -> int:
        with self._tx() as session:
            return notifications.unread_count(session, actor.username)

    def mark_notifications_read(
        self, actor: Actor, ids: Sequence[int] | None = None
    ) -> int:
        """Mark the actor's notices read (all of them, or ``ids``); return how many."""
        require_staff(actor)
        with self._tx() as session:
            return notifications.mark_read(session, actor.username, ids, self.now())

    def list_sms(self, *, actor: Actor) -> list[tuple[str, str]]:
        """SMS the default sender stored: (phone, text), oldest first."""
        identity.require_reader(actor)
        with self._tx() as session:
            return outbox.list_sms(session)


def _job_info(row: Job) -> JobInfo:
    return JobInfo(
        id=row.id,
        kind=row.kind,
        state=row.state,
        run_at=row.run_at,
        attempts=row.attempts,
        max_attempts=row.max_attempts,
        instance_id=row.instance_id,
        last_error=row.last_error,
        locked_by=row.locked_by,
        payload=dict(row.payload),
    )
