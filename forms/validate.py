"""Coerce submitted form values and validate them against a FormSpec's JSON Schema.

Input is HTML strings or typed JSON; output is typed data or FormErrors (en + zh).
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.protocols import Validator

from forms import checks
from forms._messages import FormErrors, Message, Problems, describe, message
from forms.checks import Context
from forms.spec import NAME_RE, FormSchemaInvalid, FormSpec

ValidatorFn = Callable[[object], object]
ContextValidatorFn = Callable[[object, Context], object]

_PACKAGE = __name__.rpartition(".")[0]
TRUE_WORDS = frozenset({"on", "true", "1", "yes"})
_FALSE = frozenset({"off", "false", "0", "no", ""})
_INT_RE = re.compile(r"[+-]?[0-9]{1,30}")
_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_MONEY_RE = re.compile(r"([0-9]+)(?:\.([0-9]{1,2}))?")
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ABSENT: Any = object()  # sentinel: treat the field as not submitted

_registry: dict[str, ValidatorFn] = {}
_with_context: dict[str, ContextValidatorFn] = {}
_import_lock = threading.Lock()
_schema_validators: dict[str, Validator] = {}


class FieldInvalid(ValueError):
    """Raised by a custom validator; its messages are reported under the field."""

    def __init__(
        self, messages: Sequence[str], messages_zh: Sequence[str] | None = None
    ) -> None:
        super().__init__("; ".join(messages))
        self.messages = list(messages)
        self.messages_zh = list(messages_zh) if messages_zh is not None else None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(messages={self.messages!r})"


class _Reject(Exception):
    def __init__(self, msg: Message) -> None:
        super().__init__(msg[0])
        self.msg = msg


def register_validator(name: str, fn: ValidatorFn) -> None:
    """Register `fn` as the custom validator named by `"x-validator": name`."""
    if not NAME_RE.fullmatch(name):
        raise ValueError(f"validator name {name!r} must match [a-z][a-z0-9_]*")
    _with_context.pop(name, None)
    _registry[name] = fn


def register_context_validator(name: str, fn: ContextValidatorFn) -> None:
    """Like register_validator, for a validator that also reads the ``Context``.

    Such a validator may compare the value with the instance's earlier data (a payout
    file with the month being paid) or with the office's date.
    """
    register_validator(name, lambda value: fn(value, Context()))
    _with_context[name] = fn


def validate(spec: FormSpec, raw: Mapping[str, object],
             context: Context | None = None) -> dict[str, object]:
    """Return the coerced, validated data of `raw`, or raise FormErrors (all problems).

    `raw` is a plain mapping: HTML posts give strings (repeated keys as lists, e.g.
    werkzeug's ``to_dict(flat=False)``), JSON clients give typed values. Non-form keys
    such as a CSRF token must be removed by the caller: unknown fields are refused.
    `context` (the instance's data and the office's date) feeds the form's ``x-checks``
    and context validators; without it, checks naming today or earlier data are skipped.
    """
    context = context or Context()
    problems = Problems()
    properties = spec.properties
    for name in raw:
        if name not in properties:
            problems.add(str(name), message("unknown"))
    data: dict[str, object] = {}
    for name in spec.order:
        prop = properties[name]
        try:
            value = coerce(prop, raw[name]) if name in raw else _missing(prop)
        except _Reject as exc:
            problems.add(name, exc.msg)
            continue
        if value is not _ABSENT:
            data[name] = value
    skip = set(problems.keys())
    instance: Mapping[str, Any] = data
    for error in _schema_validator(spec).iter_errors(instance):
        for key, msg in describe(error, properties):
            if key not in skip:
                problems.add(key, msg)
    _run_custom_validators(spec, data, problems, context)
    for failure in checks.failures(spec.schema, data, context):
        if not problems.has(failure.field):
            problems.add_texts(failure.field, [failure.en], [failure.zh])
    problems.raise_if_any(("", *spec.order))
    return data


def coerce(prop: Mapping[str, Any], value: object) -> object:
    """Coerce one submitted value to the property's type; absent means "drop it"."""
    kind = _kind(prop)
    if kind == "array":
        return _coerce_array(prop, value)
    if isinstance(value, (list, tuple)):
        if len(value) > 1:
            raise _Reject(message("single"))
        value = value[0] if value else None
    if kind == "boolean":
        return _coerce_boolean(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        return _ABSENT
    convert = _CONVERTERS.get(kind)
    return convert(value) if convert is not None else value


def _kind(prop: Mapping[str, Any]) -> str:
    kind = prop.get("type")
    if prop.get("x-widget") == "money":
        return "money"
    if kind == "string" and prop.get("format") == "date":
        return "date"
    return kind if isinstance(kind, str) else "any"


def _missing(prop: Mapping[str, Any]) -> object:
    # An unticked HTML checkbox is simply not posted, so absent means false.
    return False if _kind(prop) == "boolean" else _ABSENT


def _coerce_array(prop: Mapping[str, Any], value: object) -> object:
    if value is None:
        return _ABSENT
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)):
        raise _Reject(message("list"))
    item_schema = prop.get("items")
    result: list[object] = []
    for item in items:
        if isinstance(item, str) and not item.strip():
            continue  # hidden "" inputs let a form post "nothing chosen"
        if isinstance(item_schema, Mapping):
            item = coerce(item_schema, item)
        if item is not _ABSENT:
            result.append(item)
    if not result and isinstance(value, str):
        return _ABSENT
    return result


def _coerce_boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | _FALSE:
        return value.strip().lower() in TRUE_WORDS
    raise _Reject(message("boolean"))


def _coerce_text(value: object) -> str:
    if isinstance(value, str):
        return value
    raise _Reject(message("text"))


def _coerce_integer(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT_RE.fullmatch(value.strip()):
        return int(value.strip())
    raise _Reject(message("integer"))


def _coerce_number(value: object) -> int | float:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    if isinstance(value, str) and _NUMBER_RE.fullmatch(value.strip()):
        text = value.strip()
        if _INT_RE.fullmatch(text):
            return int(text)
        number = float(text)
        if math.isfinite(number):
            return number
    raise _Reject(message("number"))


def _coerce_money(value: object) -> str:
    # Money travels as a two-place decimal string; floats would lose cents.
    if isinstance(value, str):
        text = value.strip()
    elif isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        text = str(value)
    else:
        raise _Reject(message("money"))
    if text.startswith("-") and _MONEY_RE.fullmatch(text[1:]):
        raise _Reject(message("money_negative"))
    match = _MONEY_RE.fullmatch(text)
    if match is None:
        raise _Reject(message("money"))
    whole = match[1].lstrip("0") or "0"
    return f"{whole}.{(match[2] or '').ljust(2, '0')}"


def _coerce_date(value: object) -> str:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and _DATE_RE.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass  # e.g. 2026-02-30: right shape, not a calendar date
    raise _Reject(message("date"))


_CONVERTERS: dict[str, Callable[[object], object]] = {
    "string": _coerce_text,
    "integer": _coerce_integer,
    "number": _coerce_number,
    "money": _coerce_money,
    "date": _coerce_date,
}


def _schema_validator(spec: FormSpec) -> Validator:
    validator = _schema_validators.get(spec.version)
    if validator is None:
        validator = Draft202012Validator(
            spec.schema, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
        _schema_validators[spec.version] = validator
    return validator


def _run_custom_validators(
    spec: FormSpec, data: dict[str, object], problems: Problems, context: Context
) -> None:
    for name, prop in _custom_fields(spec):
        if name not in data or problems.has(name):
            continue
        fn = _lookup_validator(spec, prop["x-validator"])
        with_context = _with_context.get(prop["x-validator"])
        try:
            if with_context is not None:
                data[name] = with_context(data[name], context)
            else:
                data[name] = fn(data[name])
        except FieldInvalid as exc:
            problems.add_texts(name, exc.messages, exc.messages_zh or exc.messages)


def _custom_fields(spec: FormSpec) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for name in spec.order:
        prop = spec.properties[name]
        if "x-validator" in prop:
            yield name, prop


def _lookup_validator(spec: FormSpec, name: str) -> ValidatorFn:
    fn = _registry.get(name)
    if fn is None:
        module = f"{_PACKAGE}.{name}"
        with _import_lock:
            # forms.<name> registers its validator when imported.
            if importlib.util.find_spec(module) is not None:
                importlib.import_module(module)
        fn = _registry.get(name)
    if fn is None:
        raise FormSchemaInvalid(f"{spec.key}.json", f"no validator named {name!r}")
    return fn


__all__ = [
    "ContextValidatorFn",
    "FieldInvalid",
    "FormErrors",
    "TRUE_WORDS",
    "ValidatorFn",
    "coerce",
    "register_context_validator",
    "register_validator",
    "validate",
]
