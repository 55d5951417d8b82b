"""Earlier decisions of an instance, as read-only rows labelled from their forms.

Presentation only: turns the task_completed audit entries the engine returns with a task
into (label, text) rows in the reader's language. The labels come from the form version
each decision was made on (``web.submission.load_form_version``), else the live form;
one engine read per form version and request; no rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import forms
from engine import AuditEntry
from web.submission import load_form, load_form_version
from web.templating import display_value


@dataclass(frozen=True, slots=True)
class Decision:
    """One completed step: who, when, which step, and what they submitted."""

    entry: AuditEntry
    rows: tuple[tuple[str, str], ...]


def earlier_decisions(
    history: Iterable[AuditEntry], lang: str, *, choices_only: bool = False
) -> list[Decision]:
    """Return the submitted data of each completed task, labelled from its form.

    ``choices_only`` keeps the fields a person chose an option in (a decision such as
    approve or reject), for a one-line summary of each step.
    """
    decisions = []
    for entry in history:
        data = entry.payload.get("data")
        if entry.event_type != "task_completed" or not isinstance(data, Mapping):
            continue
        form_key = entry.payload.get("form_key")
        version = entry.payload.get("form_version")
        rows = labelled_rows(form_key, data, lang, version, choices_only=choices_only)
        decisions.append(Decision(entry, rows))
    return decisions


def labelled_rows(
    form_key: object,
    data: Mapping[str, object],
    lang: str,
    version: object = None,
    *,
    choices_only: bool = False,
) -> tuple[tuple[str, str], ...]:
    """Return (label, text) for each filled field; option values become their labels."""
    try:
        spec = _form_of(form_key, version)
    except (forms.FormNotFound, forms.FormSchemaInvalid):
        spec = None
    if spec is None:
        if choices_only:  # without its form nothing says which field was a choice
            return ()
        return tuple((name, display_value(value)) for name, value in data.items())
    rows = []
    for field in forms.fields(spec, data, lang=lang):
        if field.name not in data or data[field.name] in (None, "", []):
            continue
        if choices_only and not _is_choice(field):
            continue
        rows.append((field.label, field_text(field, data[field.name])))
    return tuple(rows)


def _is_choice(field: forms.Field) -> bool:
    return bool(field.options) and field.widget != "checkbox"


def _form_of(form_key: object, version: object) -> forms.FormSpec | None:
    """The form a decision was made on: its recorded version, else the live form."""
    if not isinstance(form_key, str):
        return None
    if isinstance(version, str) and version:
        return load_form_version(form_key, version)
    return load_form(form_key)


def field_text(field: forms.Field, value: object) -> str:
    """Return a submitted value as a person reads it (option labels, yes/no)."""
    if field.widget == "checkbox" or not field.options:
        return display_value(value)
    labels = dict(field.options)
    chosen = field.value if isinstance(field.value, tuple) else (field.value,)
    return ", ".join(labels.get(item, item) for item in chosen)
