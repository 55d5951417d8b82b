"""Earlier decisions and data of an instance, as read-only rows labelled from forms.

Presentation only: turns the task_completed audit entries the engine returns with a task
into (label, view) rows in the reader's language, views being text, labelled pairs or
tables (forms.display). The labels come from the form version each decision was made
on (``web.submission.load_form_version``), else the live form, and for what scripts
set from the process's declared ``variables``; one engine read per form version and
request; no rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import forms
from engine import AuditEntry
from engine.errors import NotFound
from engine.variables import INTERNAL
from web import current_engine
from web.auth import current_actor
from web.submission import load_form, load_form_version

Shape = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Decision:
    """One completed step: who, when, which step, and what they submitted."""

    entry: AuditEntry
    rows: tuple[tuple[str, forms.Node], ...]


@dataclass(frozen=True, slots=True)
class DataRow:
    """One instance variable: its name, its label and its value's view."""

    key: str
    label: str
    view: forms.Node
    internal: bool = False  # bookkeeping: shown to admins and auditors only


def earlier_decisions(
    history: Iterable[AuditEntry],
    lang: str,
    known: Mapping[str, Shape] | None = None,
    *,
    choices_only: bool = False,
) -> list[Decision]:
    """Return the submitted data of each completed task, labelled from its form.

    ``choices_only`` keeps the fields a person chose an option in (a decision such as
    approve or reject), for a one-line summary of each step.
    """
    return [
        Decision(entry, labelled_rows(entry, data, lang, known, choices_only=choices_only))
        for entry, data in _completions(history)
    ]


def known_fields(
    history: Iterable[AuditEntry],
    *more: forms.FormSpec | None,
    start: forms.FormSpec | None = None,
    variables: Mapping[str, Shape] | None = None,
) -> dict[str, Shape]:
    """Return the fields of the forms the history's data was entered on, by name.

    Those are the start form the start recorded and each decision's form. ``start``
    (the process version's live start form) comes first, for starts recorded before
    their form was; ``more`` (the current task's form) comes last, so its labels win.
    ``variables`` (the process's declared ones) label what no form asks for, and keep
    their ``x-internal`` mark under a form's labels.
    """
    made_on = [_form_of(entry) for entry in history
               if entry.event_type in ("instance_started", "task_completed")]
    known = forms.field_shapes([start, *made_on, *more])
    for name, shape in (variables or {}).items():
        known[name] = {**shape, **known.get(name, {})}
    return known


def instance_fields(
    history: Iterable[AuditEntry], process_id: str, version: int
) -> dict[str, Shape]:
    """Return the labels of an instance's data: its process version's declared
    variables, its start form and the forms its history was entered on."""
    start = start_form(process_id, version)
    declared = declared_variables(process_id, version)
    return known_fields(history, start=start, variables=declared)


def declared_variables(process_id: str, version: int | None) -> dict[str, Shape]:
    """The variables a process version declares (none when it is not deployed)."""
    if version is None:
        return {}
    try:
        declared = current_engine().process_variables(
            process_id, version, actor=current_actor()
        )
    except NotFound:
        return {}
    return {name: shape for name, shape in declared.items()}


def data_rows(
    data: Mapping[str, object],
    lang: str,
    known: Mapping[str, Shape],
    *,
    internal: bool = False,
) -> list[DataRow]:
    """Return every instance variable by name, labelled where a form or the process
    knows it; bookkeeping variables (``x-internal``) only with ``internal``."""
    rows = []
    for key in sorted(data):
        shape = known.get(key)
        hidden = bool(shape and shape.get(INTERNAL) is True)
        if hidden and not internal:
            continue
        shown = forms.view(data[key], shape, lang=lang, known=known)
        rows.append(DataRow(key, forms.label_for(key, shape, lang), shown, hidden))
    return rows


def labelled_rows(
    entry: AuditEntry,
    data: Mapping[str, object],
    lang: str,
    known: Mapping[str, Shape] | None = None,
    *,
    choices_only: bool = False,
) -> tuple[tuple[str, forms.Node], ...]:
    """Return (label, view) for each filled field; option values become their labels."""
    known = known or {}
    spec = _form_of(entry)
    if spec is None:
        if choices_only:  # without its form nothing says which field was a choice
            return ()
        return tuple(
            (name, forms.view(value, known.get(name), lang=lang, known=known))
            for name, value in data.items()
        )
    return form_rows(spec, data, lang, known, choices_only=choices_only)


def form_rows(
    spec: forms.FormSpec,
    data: Mapping[str, object],
    lang: str,
    known: Mapping[str, Shape] | None = None,
    *,
    filled_only: bool = True,
    choices_only: bool = False,
) -> tuple[tuple[str, forms.Node], ...]:
    """Return (label, view) for the fields of ``spec`` in form order."""
    rows = []
    for field in forms.fields(spec, data, lang=lang):
        value = data.get(field.name)
        if filled_only and value in (None, "", []):
            continue
        if choices_only and not _is_choice(field):
            continue
        shape = spec.properties[field.name]
        rows.append((field.label, forms.view(value, shape, lang=lang, known=known)))
    return tuple(rows)


def _is_choice(field: forms.Field) -> bool:
    return bool(field.options) and field.widget != "checkbox"


def start_form(process_id: str, version: int) -> forms.FormSpec | None:
    """The live start form of a process version (None: none, or it does not load)."""
    actor = current_actor()
    try:
        key = current_engine().start_form_key(process_id, version, actor=actor)
        return load_form(key)
    except (NotFound, forms.FormNotFound, forms.FormSchemaInvalid):
        return None


def _completions(
    history: Iterable[AuditEntry],
) -> Iterator[tuple[AuditEntry, Mapping[str, object]]]:
    for entry in history:
        data = entry.payload.get("data")
        if entry.event_type == "task_completed" and isinstance(data, Mapping):
            yield entry, data


def _form_of(entry: AuditEntry) -> forms.FormSpec | None:
    return form_recorded(entry.payload)


def form_recorded(payload: Mapping[str, object]) -> forms.FormSpec | None:
    """The form an event's data was entered on: its recorded version, else the live
    form (None when the event names no form, or it cannot be read)."""
    form_key = payload.get("form_key")
    version = payload.get("form_version")
    if not isinstance(form_key, str):
        return None
    try:
        if isinstance(version, str) and version:
            return load_form_version(form_key, version)
        return load_form(form_key)
    except (forms.FormNotFound, forms.FormSchemaInvalid):
        return None
