"""View-models for server-side form rendering: FormSpec -> Field / ReadonlyField.

Builds plain frozen dataclasses for templates; writes no HTML and imports no web code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from forms.spec import WIDGETS, FormSpec, normalize_lang, pick_text
from forms.validate import TRUE_WORDS

_MONEY_PATTERN = r"[0-9]+(\.[0-9]{1,2})?"
_STEPS = {"money": "0.01", "integer": "1", "number": "any"}
_PATTERN_WIDGETS = frozenset({"text", "money"})
_YES_NO = {"zh": ("是", "否"), "en": ("Yes", "No")}


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


@dataclass(frozen=True, slots=True)
class ReadonlyField:
    """An instance variable shown read-only above the form (e.g. an earlier opinion)."""

    name: str
    label: str
    value: str


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
    spec: FormSpec, data: Mapping[str, object], *, lang: str
) -> list[ReadonlyField]:
    """Build the x-readonly entries from instance `data`, skipping absent fields."""
    result = []
    for entry in spec.schema.get("x-readonly", []):
        name = entry["field"]
        if data.get(name) is None:
            continue
        prop = spec.properties.get(name, {})
        label = pick_text(
            entry.get("x-label"), lang, pick_text(prop.get("x-label"), lang, name)
        )
        labels = entry.get("x-enum-labels") or _enum_labels(prop)
        text = _readonly_text(data[name], labels, lang)
        result.append(ReadonlyField(name=name, label=label, value=text))
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


def _enum_labels(prop: Mapping[str, Any]) -> Mapping[str, Any]:
    labels = prop.get("x-enum-labels")
    items = prop.get("items")
    if not isinstance(labels, Mapping) and isinstance(items, Mapping):
        labels = items.get("x-enum-labels")
    return labels if isinstance(labels, Mapping) else {}


def _options(prop: Mapping[str, Any], lang: str) -> tuple[tuple[str, str], ...]:
    enum = prop.get("enum")
    items = prop.get("items")
    if enum is None and isinstance(items, Mapping):
        enum = items.get("enum")
    if not isinstance(enum, list):
        return ()
    labels = _enum_labels(prop)
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


def _readonly_text(value: object, labels: Mapping[str, Any], lang: str) -> str:
    if isinstance(value, bool):
        yes, no = _YES_NO.get(normalize_lang(lang), _YES_NO["en"])
        return yes if value else no
    if isinstance(value, (list, tuple)):
        separator = "、" if normalize_lang(lang) == "zh" else ", "
        return separator.join(_readonly_text(item, labels, lang) for item in value)
    if value is None:
        return ""
    text = _scalar_text("text", value)
    return pick_text(labels.get(text), lang, text) if text in labels else text
