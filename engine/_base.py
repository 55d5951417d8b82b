"""Shared base of the Engine facade: sessions, clock, forms, and the one transaction helper.

Every public Engine method opens exactly one unit of work through ``_tx``; inner modules
take the session first and never commit, so state, inbox, timers and audit change together.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

import forms
from engine import audit, deadline_config, identity, instances, liveforms, store
from engine.audit import AuditType
from engine.config import EngineConfig
from engine.db import make_sessionmaker
from engine.errors import (
    ConcurrentUpdate,
    InvalidInput,
    InvalidSubmission,
    NotAuthorized,
    NotFound,
    ScriptFailed,
)
from engine.records import Actor, InstanceStatus, Role
from engine.scripting import make_script_engine

Clock = Callable[[], datetime]
MAX_START_DATA = 256 * 1024


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class EngineBase:
    """Sessions, clock, forms and the transaction helper shared by the facade's parts."""

    def __init__(self, sessions: sessionmaker[Session], *, forms_dir: Path | None = None,
                 clock: Clock = utc_now, script_timeout: float = 2.0) -> None:
        self._sessions = sessions
        self._forms_dir = forms_dir
        self._clock = clock
        self._script_engine = make_script_engine(script_timeout,
                                                 unstorable=store.unstorable)

    @classmethod
    def from_config(cls, config: EngineConfig, *, clock: Clock = utc_now) -> Any:
        if config.database_url.startswith("sqlite:///"):
            Path(config.database_url[len("sqlite:///"):]).parent.mkdir(
                parents=True, exist_ok=True)
        return cls(make_sessionmaker(config.database_url), forms_dir=config.forms_dir,
                   clock=clock, script_timeout=config.script_timeout)

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self._sessions

    @property
    def forms_dir(self) -> Path | None:
        """Where the shipped form files are (None: the packaged forms/schemas).

        Forms deployed from the admin area live in the database and win over these.
        """
        return self._forms_dir

    def close(self) -> None:
        """Close every pooled database connection (tests, shutdown)."""
        self._sessions.kw["bind"].dispose()

    def now(self) -> datetime:
        return self._clock()

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        """One unit of work; a lost optimistic race becomes ConcurrentUpdate."""
        try:
            with self._sessions.begin() as session:
                yield session
        except StaleDataError as exc:
            raise ConcurrentUpdate(
                "someone else changed this instance at the same time; reload and try again"
            ) from exc

    def _commit_then_raise(self, work: Callable[[Session], Exception | None]) -> None:
        """Run ``work`` in its own transaction and raise what it returns after commit."""
        with self._tx() as session:
            error = work(session)
        if error is not None:
            raise error

    def _form_exists(self, session: Session, key: str) -> bool:
        """Whether ``key`` names a live form, deployed in the database or shipped."""
        return liveforms.exists(session, key, forms_dir=self._forms_dir)

    def _validate(self, session: Session, form_key: str | None, data: Mapping[str, object],
                  *, actor: str, task: bool = True,
                  earlier: Mapping[str, object] | None = None,
                  ) -> tuple[dict[str, Any], str | None]:
        """Validate submitted data against a form; return clean data and form version.

        A task without a form takes only an optional ``comment``; a start without a
        start form takes any plain JSON object (the caller's business data). The form
        is the live one (``engine/liveforms.py``); its version's bytes are kept, so it
        can be shown later. The form's cross-checks see ``earlier`` (the task's data
        before this submission) and today's date in the office's time zone.
        """
        if form_key is None:
            return (_comment_only(data) if task else _plain_object(data)), None
        spec = liveforms.load(session, form_key, forms_dir=self._forms_dir)
        liveforms.keep(session, spec, actor=actor, now=self.now())
        today = self.now().astimezone(deadline_config.of(session).zone).date()
        context = forms.Context(data=earlier or {}, today=today,
                                account=lambda name: _account(session, name))
        try:
            return forms.validate(spec, data, context), spec.version
        except forms.FormErrors as exc:
            raise InvalidSubmission(exc.errors, errors_zh=exc.errors_zh) from exc

    def _audit_if_finished(self, session: Session, row: Any, actor: Actor,
                           workflow: Any) -> None:
        """Record a completion with the end event reached and the outcome it names."""
        if row.status == InstanceStatus.COMPLETED.value:
            end = instances.ending_of(session, row, workflow)
            payload: dict[str, Any] = {"outcome": row.outcome}
            if end is not None:
                payload.update(title=end.title, title_en=end.title_en)
            audit.record(session, AuditType.INSTANCE_COMPLETED, actor=actor.username,
                         at=self.now(), instance_id=row.id,
                         bpmn_id=end.bpmn_id if end else None, payload=payload)

    def _record_failure(self, instance_id: int, error: ScriptFailed, *, actor: Actor,
                        retry: Mapping[str, Any]) -> None:
        """Second short transaction after a rollback: mark the instance in error."""
        now = self.now()
        error.instance_id = instance_id
        with self._tx() as session:
            row = instances.get(session, instance_id, lock=True)
            row.status = InstanceStatus.ERROR.value
            row.incident = {"bpmn_id": error.bpmn_id, "line": error.line,
                            "message": error.detail, "at": now.isoformat(),
                            "retry": dict(retry)}
            audit.record(session, AuditType.INSTANCE_FAILED, actor=actor.username, at=now,
                         instance_id=instance_id, bpmn_id=error.bpmn_id,
                         payload={"line": error.line, "message": error.detail})


def _account(session: Session, username: str) -> forms.Account | None:
    """A user account as a form validator may see it (None: no such account)."""
    try:
        user = identity.get_user(session, username)
    except NotFound:
        return None
    return forms.Account(active=user.active, auditor=user.role == Role.AUDITOR.value,
                         groups=identity.user_groups(session, user))


def _plain_object(data: Mapping[str, object]) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise InvalidInput("data must be a JSON object")
    try:
        text = json.dumps(dict(data))
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"data is not plain JSON: {exc}") from exc
    if len(text) > MAX_START_DATA:
        raise InvalidInput(f"data is larger than {MAX_START_DATA} bytes")
    return dict(json.loads(text))


def _comment_only(data: Mapping[str, object]) -> dict[str, Any]:
    extra = sorted(set(data) - {"comment"})
    if extra:
        raise InvalidSubmission({k: ["unknown field: this task has no form"] for k in extra},
                                errors_zh={k: ["未知字段：此任务没有表单"] for k in extra})
    comment = data.get("comment", "")
    if not isinstance(comment, str) or len(comment) > 2000:
        raise InvalidSubmission({"comment": ["must be text of at most 2000 characters"]},
                                errors_zh={"comment": ["须为不超过2000字的文字"]})
    return {"comment": comment} if comment else {}


def data_digest(data: Mapping[str, Any]) -> str:
    """Hash of exactly the data an approver submitted (canonical JSON)."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def task_uuid(task_id: UUID | str) -> UUID:
    try:
        return task_id if isinstance(task_id, UUID) else UUID(str(task_id))
    except ValueError as exc:
        raise InvalidInput(f"{task_id!r} is not a task id") from exc


def require_staff(actor: Actor) -> None:
    if actor.is_auditor:
        raise NotAuthorized("auditors have read-only access")
