"""View-models for server-side form rendering: FormSpec -> Field / ReadonlyField.

Builds plain frozen dataclasses for templates; writes no HTML and imports no web code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from forms._messages import message, pattern_message
from forms.display import Node, Shape, enum_labels, merged, plain, readonly_shape, view
from forms.spec import WIDGETS, FormSpec, normalize_lang, pick_text
from forms.validate import TRUE_WORDS

_MONEY_PATTERN = r"[0-9]+(\.[0-9]{1,2})?"
_STEPS = {"money": "0.01", "integer": "1", "number": "any"}
_PATTERN_WIDGETS = frozenset({"text", "money"})


@dataclass(frozen=True, slots=True)
class Field:
    """One editable form field, ready for a template.

    `value` is the current value as a string ("true"/"" for a checkbox), or a tuple
    of the chosen option values for checkboxes. `options` are (value, label) pairs.
    """

    name: str
    label: str
    widget: str
    required: bool
    value: str | tuple[str, ...]
    options: tuple[tuple[str, str], ...] = ()
    help: str = ""
    errors: tuple[str, ...] = ()
    min: str | None = None
    max: str | None = None
    max_length: int | None = None
    pattern: str | None = None
    step: str | None = None
    format_hint: str = ""  # what a pattern field expects, e.g. "HH:MM, e.g. 09:30"


@dataclass(frozen=True, slots=True)
class ReadonlyField:
    """An instance variable shown read-only above the form (e.g. an earlier opinion).

    `view` is the value as text, labelled pairs or a table (forms.display); `value`
    is the same on one line.
    """

    name: str
    label: str
    value: str
    view: Node


def fields(
    spec: FormSpec,
    values: Mapping[str, object] | None,
    *,
    lang: str,
    errors: Mapping[str, Sequence[str]] | None = None,
) -> list[Field]:
    """Build the form's fields in display order, filled from `values` or defaults.

    `errors` must already be in `lang` (see FormErrors.messages(lang)).
    """
    values = values or {}
    errors = errors or {}
    result = []
    for name in spec.order:
        prop = spec.properties[name]
        current = values[name] if name in values else prop.get("default")
        shown = tuple(errors.get(name, ()))
        result.append(_field(spec, name, current, lang=lang, errors=shown))
    return result


def general_errors(spec: FormSpec, errors: Mapping[str, Sequence[str]]) -> list[str]:
    """Return messages no field can show: form-level ones and unknown-field ones."""
    result = list(errors.get("", ()))
    for key, texts in errors.items():
        if key and key not in spec.properties:
            result.extend(f"{key}: {text}" for text in texts)
    return result


def readonly_fields(
    spec: FormSpec,
    data: Mapping[str, object],
    *,
    lang: str,
    known: Mapping[str, Shape] | None = None,
) -> list[ReadonlyField]:
    """Build the x-readonly entries from instance `data`, skipping absent fields.

    Labels come from the entry, else this form's field of that name, else `known`
    (fields of the forms that asked for the value, see forms.field_shapes), which
    also labels the keys of a dict or table the entry and the form leave unlabelled.
    """
    known = known or {}
    result = []
    for entry in spec.schema.get("x-readonly", []):
        name = entry["field"]
        if data.get(name) is None:
            continue
        own = spec.properties.get(name)
        shape = merged(known.get(name), own, readonly_shape(entry))
        shown = view(data[name], shape, lang=lang, known=known)
        label = pick_text(shape.get("x-label"), lang, name)
        result.append(ReadonlyField(name, label, plain(shown), shown))
    return result


def widget_for(prop: Mapping[str, Any]) -> str:
    """Choose the widget: explicit x-widget, else one inferred from the schema."""
    explicit = prop.get("x-widget")
    if explicit in WIDGETS:
        return str(explicit)
    kind = prop.get("type")
    items = prop.get("items")
    if kind == "boolean":
        return "checkbox"
    if kind == "array" and isinstance(items, Mapping) and "enum" in items:
        return "checkboxes"
    enum = prop.get("enum")
    if isinstance(enum, list):
        return "radio" if len(enum) <= 4 else "select"
    if prop.get("format") == "date":
        return "date"
    if kind in ("integer", "number"):
        return str(kind)
    return "text"


def _field(
    spec: FormSpec, name: str, current: object, *, lang: str, errors: tuple[str, ...]
) -> Field:
    prop = spec.properties[name]
    widget = widget_for(prop)
    low, high = _bounds(prop)
    max_length = prop.get("maxLength")
    return Field(
        name=name,
        label=pick_text(prop.get("x-label"), lang, name),
        widget=widget,
        required=name in spec.required,
        value=_display(widget, current),
        options=_options(prop, lang),
        help=pick_text(prop.get("x-help"), lang, ""),
        errors=errors,
        min=low,
        max=high,
        max_length=max_length if isinstance(max_length, int) else None,
        pattern=_html_pattern(prop, widget),
        step=_STEPS.get(widget),
        format_hint=_format_hint(prop, widget, lang),
    )


def _display(widget: str, value: object) -> str | tuple[str, ...]:
    if widget == "checkboxes":
        if value is None:
            return ()
        chosen = [value] if isinstance(value, str) else value
        if isinstance(chosen, (list, tuple)):
            return tuple(str(item) for item in chosen)
        return (str(chosen),)
    if isinstance(value, (list, tuple)):  # a re-posted form gives lists
        value = value[0] if value else None
    if widget == "checkbox":
        is_on = value is True or (
            isinstance(value, str) and value.strip().lower() in TRUE_WORDS
        )
        return "true" if is_on else ""
    return _scalar_text(widget, value)


def _scalar_text(widget: str, value: object) -> str:
    if value is None:
        return ""
    if widget == "money" and isinstance(value, (int, Decimal)):
        if not isinstance(value, bool):
            return f"{Decimal(value):.2f}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _options(prop: Mapping[str, Any], lang: str) -> tuple[tuple[str, str], ...]:
    enum = prop.get("enum")
    items = prop.get("items")
    if enum is None and isinstance(items, Mapping):
        enum = items.get("enum")
    if not isinstance(enum, list):
        return ()
    labels = enum_labels(prop)
    return tuple((str(v), pick_text(labels.get(str(v)), lang, str(v))) for v in enum)


def _bounds(prop: Mapping[str, Any]) -> tuple[str | None, str | None]:
    kind = prop.get("type")
    if kind not in ("integer", "number"):
        return None, None
    low, high = prop.get("minimum"), prop.get("maximum")
    if kind == "integer":
        # HTML has no exclusive bounds; for whole numbers they are off by one.
        if isinstance(prop.get("exclusiveMinimum"), int):
            low = prop["exclusiveMinimum"] + 1
        if isinstance(prop.get("exclusiveMaximum"), int):
            high = prop["exclusiveMaximum"] - 1
    return (
        str(low) if low is not None else None,
        str(high) if high is not None else None,
    )


def _html_pattern(prop: Mapping[str, Any], widget: str) -> str | None:
    if widget == "money":
        return _MONEY_PATTERN  # the server accepts "12" and "12.5" and normalises
    pattern = prop.get("pattern")
    # JSON Schema patterns search; HTML patterns match whole. Only anchored ones agree.
    if widget in _PATTERN_WIDGETS and isinstance(pattern, str):
        if pattern.startswith("^") and pattern.endswith("$"):
            return pattern
    return None


def _format_hint(prop: Mapping[str, Any], widget: str, lang: str) -> str:
    # The browser refuses a mismatch with only "match the requested format"; the
    # input's title is what it adds to say which format.
    if widget == "money":
        en, zh = message("money")
    elif widget in _PATTERN_WIDGETS and "pattern" in prop:
        en, zh = pattern_message(prop)
    else:
        return ""
    return zh if normalize_lang(lang) == "zh" else en
