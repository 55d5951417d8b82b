"""Errors the engine raises to its callers.

Each class carries a stable ``code`` and structured fields so that the CLI, the web
layer and tests can react to the kind of failure without parsing messages. No HTTP here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import ClassVar


class EngineError(Exception):
    """Base class of every error the engine reports on purpose."""

    code: ClassVar[str] = "engine_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class NotFound(EngineError):
    """The named definition, instance, task or user does not exist (or is hidden).

    ``kind`` ("task", "instance", "user", ...) and ``key`` say what was asked for,
    where the caller may be told (a user name typed into a form).
    """

    code = "not_found"

    def __init__(
        self, message: str, *, kind: str | None = None, key: str | None = None
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.key = key


class NotAuthorized(EngineError):
    """The actor may not do this."""

    code = "not_authorized"


class AuthenticationFailed(EngineError):
    """Wrong user name or password, an inactive account, or too many attempts."""

    code = "authentication_failed"

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TaskNotReady(EngineError):
    """The task was already completed, cancelled, or is not waiting for a person.

    ``state`` is the task's state now ("completed", "cancelled", or "ready" when
    someone else holds it or nobody does), ``completed_by`` who finished it and
    ``assignee`` who holds it, so a page can say which.
    """

    code = "task_not_ready"

    def __init__(
        self,
        message: str,
        *,
        state: str | None = None,
        completed_by: str | None = None,
        assignee: str | None = None,
    ) -> None:
        super().__init__(message)
        self.state = state
        self.completed_by = completed_by
        self.assignee = assignee


class ConcurrentUpdate(EngineError):
    """Someone else changed the same instance first; reload and try again."""

    code = "concurrent_update"


class DraftExists(ConcurrentUpdate):
    """A draft of the same file holds other content; it is replaced only on purpose.

    It carries that draft (its row version and bytes), so an editor can show the admin
    what the other save holds before they decide to save over it.
    """

    code = "draft_exists"

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        def_id: str,
        saved_by: str,
        saved_at: datetime,
        row_version: int | None = None,
        source: bytes = b"",
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.def_id = def_id
        self.saved_by = saved_by
        self.saved_at = saved_at
        self.row_version = row_version
        self.source = source


class InvalidSubmission(EngineError):
    """Submitted form data does not satisfy the task's form."""

    code = "invalid_submission"

    def __init__(
        self,
        errors: Mapping[str, list[str]],
        message: str = "",
        *,
        errors_zh: Mapping[str, list[str]] | None = None,
    ) -> None:
        first = "; ".join(f"{k or 'form'}: {v[0]}" for k, v in errors.items() if v)
        super().__init__(message or f"invalid submission: {first}")
        self.errors = dict(errors)
        self.errors_zh = dict(errors_zh or errors)


class InvalidInput(EngineError):
    """An argument is malformed (bad JSON data, unknown language, bad user name).

    ``field`` names the argument when a form field holds it ("reason", "assignee"),
    ``value`` what was given and ``rule`` which rule it broke, so a page can say so
    in its own language.
    """

    code = "invalid_input"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        value: str | None = None,
        rule: str | None = None,
    ) -> None:
        super().__init__(message)
        self.field = field
        self.value = value
        self.rule = rule


class TextDamaged(InvalidInput):
    """A draft's text has U+FFFD replacement characters its original does not have."""

    code = "text_damaged"

    def __init__(self, message: str, *, count: int, line: int | None) -> None:
        super().__init__(message)
        self.count = count
        self.line = line


class DefinitionInvalid(EngineError):
    """A BPMN or DMN file cannot be deployed; names file, line and element."""

    code = "definition_invalid"

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        bpmn_id: str | None = None,
        property_name: str | None = None,
    ) -> None:
        where = ":".join(str(p) for p in (file, line) if p is not None)
        element = f" [{bpmn_id}]" if bpmn_id else ""
        prefix = f"{where}{element}: " if (where or element) else ""
        super().__init__(f"{prefix}{message}")
        self.reason = message
        self.file = file
        self.line = line
        self.bpmn_id = bpmn_id
        # The element's spiffworkflow property at fault: an editor marks that field.
        self.property_name = property_name
        # A refused deploy raises its first problem with every problem listed here.
        self.problems: list[DefinitionInvalid] = [self]


class ScriptFailed(EngineError):
    """A script or expression in the model raised; the instance is now in error."""

    code = "script_failed"

    def __init__(
        self,
        detail: str,
        *,
        bpmn_id: str | None = None,
        line: int | None = None,
        instance_id: int | None = None,
    ) -> None:
        at = f" at {bpmn_id}" + (f" line {line}" if line else "") if bpmn_id else ""
        super().__init__(f"script failed{at}: {detail}")
        self.detail = detail
        self.bpmn_id = bpmn_id
        self.line = line
        self.instance_id = instance_id


class InstanceNotRunnable(EngineError):
    """The instance is completed, cancelled, suspended or in error.

    ``status`` is its status now and ``action`` what was refused ("suspend",
    "resume", "retry", "cancel", "claim", "complete", "edit", "message"), so a
    page can say "already suspended" rather than the generic refusal.
    """

    code = "instance_not_runnable"

    def __init__(
        self,
        message: str,
        *,
        instance_id: int | None = None,
        status: str | None = None,
        action: str | None = None,
    ) -> None:
        super().__init__(message)
        self.instance_id = instance_id
        self.status = status
        self.action = action


class MessageNotDelivered(EngineError):
    """No instance is waiting for this message and it could not be kept."""

    code = "message_not_delivered"
