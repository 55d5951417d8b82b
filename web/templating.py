"""Jinja filters and globals: dates in the user's time zone, form-field helpers, labels.

Presentation only: no engine writes, no business rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

from flask import Flask
from flask_babel import format_datetime, get_timezone, gettext, lazy_gettext, lazy_pgettext
from markupsafe import Markup, escape

import forms
from web.i18n import current_language
from web.groups import group_title, groups, role_label
from web.people import person
from web.eventnotes import event_note, pooled_words

STATUS_LABELS = {
    "running": lazy_gettext("Running"),
    "completed": lazy_gettext("Completed"),
    "error": lazy_gettext("Error"),
    "cancelled": lazy_gettext("Cancelled"),
    "suspended": lazy_gettext("Suspended"),
    "ready": lazy_gettext("Waiting"),
}
# How a completed instance ended (engine.Outcome). "outcome" keeps these apart from the
# same English words elsewhere (the auditor's decision counts say 同意 for "Approved").
OUTCOME_LABELS = {
    "approved": lazy_pgettext("outcome", "Approved"),
    "rejected": lazy_pgettext("outcome", "Rejected"),
    "withdrawn": lazy_pgettext("outcome", "Withdrawn"),
    "done": lazy_pgettext("outcome", "Done"),
}
EVENT_LABELS = {
    "instance_started": lazy_gettext("Started the request"),
    "instance_completed": lazy_gettext("Process finished"),
    "instance_failed": lazy_gettext("Process stopped with an error"),
    "instance_retried": lazy_gettext("Retried after an error"),
    "instance_cancelled": lazy_gettext("Cancelled the request"),
    "task_created": lazy_gettext("Task created"),
    "task_claimed": lazy_gettext("Claimed the task"),
    "task_unclaimed": lazy_gettext("Released the task"),
    "task_assigned": lazy_gettext("Assigned the task"),
    "task_completed": lazy_gettext("Completed the task"),
    "task_cancelled": lazy_gettext("Task cancelled"),
    "timer_fired": lazy_gettext("Timer fired"),
    "timer_failed": lazy_gettext("Timer failed"),
    "decision_evaluated": lazy_gettext("Decision table evaluated"),
    "data_computed": lazy_gettext("Data computed by the process"),
    "task_reminded": lazy_gettext("Reminder sent"),
    "task_escalated": lazy_gettext("Task escalated"),
    "message_delivered": lazy_gettext("Message delivered"),
    "message_kept": lazy_gettext("Message kept until awaited"),
    "message_expired": lazy_gettext("Message expired, nobody awaited it"),
    "job_failed": lazy_gettext("Background job failed"),
    "job_retried": lazy_gettext("Background job retried"),
    "instance_suspended": lazy_gettext("Suspended the request"),
    "instance_resumed": lazy_gettext("Resumed the request"),
    "instance_migrated": lazy_gettext("Moved to another version"),
    "instance_data_edited": lazy_gettext("Changed the request's data"),
    "definition_deployed": lazy_gettext("Definition deployed"),
    "process_version_created": lazy_gettext("Process version created"),
    "form_deployed": lazy_gettext("Form deployed"),
    "draft_saved": lazy_gettext("Draft saved"),
    "draft_discarded": lazy_gettext("Draft discarded"),
    "user_created": lazy_gettext("User created"),
    "user_updated": lazy_gettext("User changed"),
    "user_deactivated": lazy_gettext("User deactivated"),
    "user_reactivated": lazy_gettext("User reactivated"),
    "password_reset": lazy_gettext("Password reset"),
    "group_created": lazy_gettext("Group created"),
    "group_updated": lazy_gettext("Group changed"),
    "login_failed": lazy_gettext("Sign-in failed"),
}
INPUT_TYPES = {
    "date": {"type": "date"},
    "integer": {"type": "number", "inputmode": "numeric"},
    "number": {"type": "number", "inputmode": "decimal"},
    "money": {"type": "text", "inputmode": "decimal", "autocomplete": "off"},
}


def init_app(app: Flask) -> None:
    """Register the filters and globals below on ``app``'s Jinja environment."""
    app.add_template_filter(format_when, "datetime")
    app.add_template_filter(format_zoned, "zoned")
    app.add_template_global(office_zone)
    app.add_template_global(event_note)
    app.add_template_global(pooled_words)
    app.add_template_test(lambda value: isinstance(value, datetime), "datetime")
    app.add_template_filter(chosen_values)
    app.add_template_filter(input_attributes)
    app.add_template_filter(display_value)
    app.add_template_filter(as_view)
    app.add_template_global(group_title)
    app.add_template_global(role_label)
    app.add_template_global(person)
    app.add_template_global(holder)
    app.jinja_env.globals.update(
        status_labels=STATUS_LABELS,
        outcome_labels=OUTCOME_LABELS,
        event_labels=EVENT_LABELS,
    )


def format_when(value: datetime | None, fmt: str = "short") -> str:
    """Format a UTC datetime in the configured time zone and the user's language."""
    return str(format_datetime(value, fmt)) if value is not None else ""


def format_zoned(value: datetime | None) -> str:
    """A time as an auditor quotes it: four-digit year, seconds and the UTC offset."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    offset = value.astimezone(get_timezone()).utcoffset() or timedelta()
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"{format_datetime(value, 'medium')} UTC{sign}{hours:02d}:{minutes:02d}"


def office_zone() -> str:
    """The name of the time zone times are shown in (the engine's office zone)."""
    return str(get_timezone())


def chosen_values(value: object) -> list[str]:
    """Return a field's current value(s) as strings, for checked/selected tests."""
    if value is None:
        return []
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v is not None]
    return [str(value)]


def input_attributes(field: object) -> Markup:
    """Return the type/min/max/maxlength attributes of an <input> for a form field."""
    attrs: dict[str, object] = dict(INPUT_TYPES.get(getattr(field, "widget", ""), {}))
    attrs.setdefault("type", "text")
    names = (("min", "min"), ("max", "max"), ("step", "step"), ("pattern", "pattern"))
    for attr, html in (*names, ("max_length", "maxlength"), ("format_hint", "title")):
        value = getattr(field, attr, None)
        if value not in (None, "") and not (attr == "step" and attrs["type"] == "text"):
            attrs[html] = value
    return Markup("").join(
        Markup(' {}="{}"').format(escape(name), escape(str(value)))
        for name, value in attrs.items()
    )


def display_value(value: object) -> str:
    """Render a stored value for people: yes/no, lists joined, empty as a dash."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return str(gettext("Yes") if value else gettext("No"))
    if isinstance(value, (list, tuple)):
        return ", ".join(display_value(v) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {display_value(v)}" for k, v in value.items())
    return str(value)


def as_view(value: object) -> forms.Node:
    """Return a stored value as text, labelled pairs or a table (see _values.html)."""
    return forms.view(value, lang=current_language(), exact=True)


def holder(name: str | None, lang: str) -> Markup | str:
    """Return who holds a step: a group's title, else the person of that user name."""
    if name and name in groups():
        return group_title(name, lang)
    return person(name)
