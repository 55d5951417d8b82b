"""What an audit event concerns, in words: whom or what it changed, and the recorded
reason, versions or error an auditor needs beside the event's label.

Presentation only: it reads the recorded payload and never the live state, so a note
shows what was recorded at the time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import gettext, lazy_gettext
from flask_babel.speaklater import LazyString

from web.groups import group_title, role_label
from web.i18n import current_language

# A payload key (or a (before, after) pair of keys) and its label; None: the subject,
# shown first and bare ("li.na", "supervisor", "visit_approval").
Key = str | tuple[str, str]
Field = tuple[Key, LazyString | None]

_REASON: Field = ("reason", lazy_gettext("Reason"))
_COMMENT: Field = ("comment", lazy_gettext("Comment"))
_VERSION: Field = ("version", lazy_gettext("Version"))
_ERROR: Field = ("message", lazy_gettext("Error"))
_USER: tuple[Field, ...] = (
    ("user", None),
    ("role", lazy_gettext("Role")),
    ("groups", lazy_gettext("Groups")),
)
_GROUP: tuple[Field, ...] = (
    ("group", None),
    ("title", lazy_gettext("Chinese title")),
    ("title_en", lazy_gettext("English title")),
)
NOTES: dict[str, tuple[Field, ...]] = {
    "user_created": _USER,
    "user_updated": _USER,
    "user_deactivated": _USER[:1],
    "user_reactivated": _USER[:1],
    "password_reset": _USER[:1],
    "group_created": _GROUP,
    "group_updated": _GROUP,
    "definition_deployed": (
        ("def_id", None),
        _VERSION,
        ("file", lazy_gettext("File")),
        _COMMENT,
    ),
    "process_version_created": (("process_id", None), _VERSION, _COMMENT),
    "form_deployed": (("form_key", None), _COMMENT),
    "draft_saved": (
        ("def_id", None),
        ("file", lazy_gettext("File")),
        ("replaced", lazy_gettext("Saved over a newer draft by")),
    ),
    "draft_discarded": (("def_id", None),),
    "instance_started": (_VERSION,),  # the process version it ran on from the start
    "instance_suspended": (_REASON,),
    "instance_resumed": (_REASON,),
    "instance_cancelled": (_REASON,),
    "instance_data_edited": (_REASON,),
    "instance_migrated": ((("from_version", "to_version"), lazy_gettext("Version")),),
    "instance_failed": (_ERROR, ("line", lazy_gettext("Line"))),
    "task_assigned": ((("from", "to"), lazy_gettext("Assignee")),),
    "task_unclaimed": (("from", lazy_gettext("Released by")),),
    "task_created": (("pooled", lazy_gettext("Left for the whole group")),),
    "login_failed": (_REASON,),
    "timer_failed": (("error", lazy_gettext("Error")),),
    "job_failed": (("kind", lazy_gettext("Job")), ("error", lazy_gettext("Error"))),
}


def event_note(event_type: str, payload: Mapping[str, Any] | None) -> str:
    """The recorded subject and details of an event, "li.na · Role: staff → admin"."""
    parts = []
    for key, label in NOTES.get(event_type, ()):
        value = _value(payload or {}, key)
        if value is not None:
            parts.append(value if label is None else
                         gettext("%(label)s: %(value)s", label=label, value=value))
    return " · ".join(parts)


def _value(payload: Mapping[str, Any], key: Key) -> str | None:
    if isinstance(key, tuple):
        before, after = (payload.get(k) for k in key)
        return None if before is None and after is None else _change(before, after)
    value = payload.get(key)
    if _empty(value):
        return None
    words = _IN_WORDS.get(key, _text)
    if isinstance(value, Mapping) and {"before", "after"} & set(value):
        return _change(value.get("before"), value.get("after"), words)
    return words(value)


def _change(before: Any, after: Any, words: Callable[[Any], str] | None = None) -> str:
    words = words or _text
    return f"{words(before)} → {words(after)}"


def _role(value: Any) -> str:
    return "—" if _empty(value) else role_label(str(value))


def _groups(value: Any) -> str:
    if _empty(value):
        return "—"
    names = value if isinstance(value, (list, tuple)) else [value]
    return ", ".join(group_title(str(name), current_language()) for name in names)


def _replaced(value: Any) -> str:
    """Whose draft an admin saved over (``{"saved_by": ..., "saved_at": ...}``)."""
    if isinstance(value, Mapping):
        return str(value.get("saved_by", "—"))
    return _text(value)


# Why a task went to its lane's pool although the request's data named an account
# (engine/assignment.py), by the recorded reason.
_POOLED = {
    "not_named": lazy_gettext("the request names no account for it in %(variable)s"),
    "unknown": lazy_gettext("%(account)s, named in %(variable)s, is not a user account"),
    "inactive": lazy_gettext("%(account)s, named in %(variable)s, is deactivated"),
    "auditor": lazy_gettext(
        "%(account)s, named in %(variable)s, is an auditor (read-only) account"),
    "not_in_lane": lazy_gettext(
        "%(account)s, named in %(variable)s, is not in group %(group)s"),
}


def pooled_words(value: Any) -> str:
    """Why a task its data assigned waits for its whole group, in the reader's words."""
    if not isinstance(value, Mapping) or str(value.get("reason")) not in _POOLED:
        return _text(value)
    lane = str(value.get("lane") or "")
    return str(_POOLED[str(value["reason"])]) % {
        "account": value.get("account") or "—",
        "variable": value.get("variable") or "—",
        "group": group_title(lane, current_language()) if lane else "—",
    }


# Recorded values that read better in words: a role's name, a group's title, whose
# draft was saved over, why a task went to its group's pool.
_IN_WORDS: dict[str, Callable[[Any], str]] = {
    "role": _role,
    "groups": _groups,
    "replaced": _replaced,
    "pooled": pooled_words,
}


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _text(value: Any) -> str:
    if _empty(value):
        return "—"
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(v) for v in value)
    return str(value)
