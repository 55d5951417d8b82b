"""Engine refusals as sentences in the reader's language, from their code and fields.

The engine explains in English, for logs and the JSON API. A page says instead what
happened in the user's language, built from the error's stable ``code`` (its class)
and structured fields (engine/errors.py), never by parsing the English. Presentation
only: what is allowed is decided by the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import g
from flask_babel import gettext

from engine.errors import (
    ConcurrentUpdate,
    EngineError,
    InstanceNotRunnable,
    InvalidInput,
    NotAuthorized,
    NotFound,
    ScriptFailed,
    TaskNotReady,
)
from web.people import display_name


def _(message: str, **values: object) -> str:
    """Translate ``message`` (extracted like any ``_``) and fill in ``values``."""
    return str(gettext(message, **values))


def explain(error: EngineError) -> str:
    """Return what ``error`` means for the person who met it, in their language."""
    for cls in type(error).__mro__:
        sentence = SENTENCES.get(cls)
        if sentence is not None:
            return sentence(error) or _generic()
    return _generic()


def _generic() -> str:
    return _("This could not be done. Reload the page and try again.")


def _me() -> str | None:
    actor = g.get("actor")
    return actor.username if actor is not None else None


def _task(error: TaskNotReady) -> str:
    if error.state == "completed" and error.completed_by:
        if error.completed_by == _me():
            return _("You already completed this task.")
        return _(
            "%(user)s already completed this task.",
            user=display_name(error.completed_by),
        )
    if error.state == "cancelled":
        return _(
            "This task was cancelled: the request no longer needs this step, or it "
            "was stopped."
        )
    if error.state == "ready" and error.assignee:
        return _(
            "%(user)s has already taken this task.", user=display_name(error.assignee)
        )
    if error.state == "ready":
        return _("Nobody holds this task, so there is nothing to release.")
    return _("This task is no longer waiting for you.")


def _instance(error: InstanceNotRunnable) -> str:
    if error.instance_id is None:
        return ""
    return instance_refusal(error.instance_id, error.status, error.action)


def instance_refusal(number: int, status: str | None, action: str | None) -> str:
    """Say why request ``number``, now ``status``, cannot take ``action`` ("" when
    no sentence fits: the caller says it generically)."""
    if action == "suspend" and status == "suspended":
        return _("Request #%(id)d is already suspended.", id=number)
    if action == "resume" and status == "running":
        return _("Request #%(id)d is not suspended: it is running.", id=number)
    if action == "retry" and status != "error":
        return _(
            "Request #%(id)d has not stopped with an error, so there is nothing to "
            "retry.",
            id=number,
        )
    if action == "cancel" and status == "cancelled":
        return _("Request #%(id)d has already been terminated.", id=number)
    return _instance_status(number, status)


def _instance_status(number: int, status: str | None) -> str:
    if status == "completed":
        return _(
            "Request #%(id)d has already finished, so this can no longer be done.",
            id=number,
        )
    if status == "cancelled":
        return _(
            "Request #%(id)d was terminated, so this can no longer be done.", id=number
        )
    if status == "suspended":
        return _(
            "Request #%(id)d is suspended: its tasks wait until an administrator "
            "resumes it.",
            id=number,
        )
    if status == "error":
        return _(
            "Request #%(id)d stopped with an error: nothing can be done on it until "
            "an administrator retries it.",
            id=number,
        )
    return ""


def _input(error: InvalidInput) -> str:
    if error.field == "reason":
        return _(
            "Write a reason (spaces alone are not one): it is kept in the audit trail."
        )
    if error.field == "changes" and error.rule == "names":
        return _(
            "%(names)s cannot be variable names: use letters, digits and _, and do not "
            "start with _ or a digit.",
            names=error.value,
        )
    if error.field == "changes":
        return _("Nothing to change: give variables to set or to remove.")
    if error.field == "assignee" and error.rule == "not_in_group":
        return _(
            "%(user)s is not in this task's group, so it cannot be assigned to them.",
            user=display_name(error.value),
        )
    if error.field == "assignee" and error.rule == "cannot_take_tasks":
        return _(
            "%(user)s cannot be given tasks: the account is deactivated or read-only "
            "(auditor).",
            user=display_name(error.value),
        )
    account = ACCOUNT_SENTENCES.get((error.field, error.rule))
    if account is not None:
        return account(error.value or "")
    return _("This input was not accepted (%(detail)s).", detail=error.message)


# Refused user, group and instance-move input of the admin pages, by (field, rule);
# each is given the error's ``value`` (what was typed; never a password).
ACCOUNT_SENTENCES: dict[tuple[str | None, str | None], Callable[[str], str]] = {
    ("password", "too_short"): lambda n: _(
        "The password is too short: use at least %(n)s characters.", n=n
    ),
    ("username", "format"): lambda name: _(
        "“%(name)s” cannot be a user name: use 2 to 64 lower-case letters, digits, "
        "dots, _ or -, starting with a letter.",
        name=name,
    ),
    ("username", "taken"): lambda name: _(
        "There is already a user named %(name)s: choose another user name.", name=name
    ),
    ("group", "format"): lambda name: _(
        "“%(name)s” cannot be a group name: use 2 to 64 lower-case letters, digits or "
        "_, starting with a letter.",
        name=name,
    ),
    ("groups", "unknown"): lambda names: _(
        "There is no group named %(names)s.", names=names
    ),
    ("email", "format"): lambda address: _(
        "“%(address)s” is not an e-mail address: write it as name@example.com.",
        address=address,
    ),
    ("language", "unknown"): lambda _value: _("Choose Chinese or English."),
    ("username", "own_deactivation"): lambda _name: _(
        "You cannot deactivate your own account: another administrator can."
    ),
    ("username", "own_admin_role"): lambda _name: _(
        "You cannot take the administrator role from your own account: another "
        "administrator can."
    ),
    ("username", "already_active"): lambda name: _(
        "%(user)s is already active.", user=display_name(name)
    ),
    ("username", "already_deactivated"): lambda name: _(
        "%(user)s is already deactivated.", user=display_name(name)
    ),
    ("instance_id", "required"): lambda _value: _("Choose at least one request."),
}


def _not_found(error: NotFound) -> str:
    if error.kind == "user":
        return _("There is no user named %(name)s.", name=error.key)
    if error.kind == "task":
        return _("This task no longer exists, or you may not see it.")
    if error.kind == "process_version":
        return _("Version %(n)s of this process is not deployed.", n=error.key)
    if error.kind == "process":
        return _("The process %(name)s is not deployed.", name=error.key)
    if error.kind == "instance":
        return _(
            "Request #%(id)s does not exist, or you may not see it.", id=error.key
        )
    return _("This no longer exists, or you may not see it.")


def _not_authorized(_error: NotAuthorized) -> str:
    return _(
        "You may not do this. Reload the page to see what you can do now."
    )


def _concurrent(_error: ConcurrentUpdate) -> str:
    return _(
        "Someone else changed this request at the same moment. Reload the page to see "
        "it as it is now, then try again."
    )


def _script(error: ScriptFailed) -> str:
    return _(
        "Request #%(id)s stopped with an error at step %(step)s. What was submitted is "
        "kept: an administrator can retry the request once the cause is fixed.",
        id=error.instance_id or "?",
        step=error.bpmn_id or "?",
    )


# One sentence builder per error class; subclasses use their nearest listed class.
SENTENCES: dict[type[EngineError], Callable[[Any], str]] = {
    TaskNotReady: _task,
    InstanceNotRunnable: _instance,
    InvalidInput: _input,
    NotFound: _not_found,
    NotAuthorized: _not_authorized,
    ConcurrentUpdate: _concurrent,
    ScriptFailed: _script,
}
