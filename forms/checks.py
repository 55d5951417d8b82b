"""Comparisons a form declares between its fields, earlier data and today (``x-checks``).

JSON Schema checks one value at a time; an office form also needs "the advance may not
exceed the budget", "the amount paid may not exceed the advance approved earlier" or
"a complaint cannot be received in the future". Each entry of a form's ``x-checks``::

    {"field": "advance_amount", "op": "<=",             # a name, or names (summed)
     "than": ["gift_budget", "travel_budget"],          # a name, names (summed), "$today"
     "default": "0",                                    # optional: for a missing name
     "message": {"zh": "借支不能超过预算合计 {than} 元", "en": "... {than} yuan"}}

A failed check is reported under its (first) field.
Names are looked up in the submitted data first, then in the instance's earlier data
(``Context.data``). ``$today`` (YYYY-MM-DD) and ``$this_month`` (YYYY-MM) are the office's
date. A check whose operands are missing or not comparable (say a number against a date)
is skipped: required-ness is JSON Schema's job.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

OPS: Mapping[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "==": operator.eq, "!=": operator.ne,
}
TOKENS = ("$today", "$this_month")


@dataclass(frozen=True)
class Account:
    """What a validator may know of a user account named in submitted data."""

    active: bool
    auditor: bool
    groups: frozenset[str]


@dataclass(frozen=True)
class Context:
    """What a submission is checked against besides itself.

    ``data`` is the instance's data before this submission (empty for a start) and
    ``today`` the office's date (None: checks naming today are skipped). ``account``
    looks a user name up (None: no such account); without it, validators that name
    accounts check only their spelling.
    """

    data: Mapping[str, object] = field(default_factory=dict)
    today: date | None = None
    account: Callable[[str], Account | None] | None = None


@dataclass(frozen=True)
class Failure:
    """A check that did not hold: the field it is reported under and its messages."""

    field: str
    en: str
    zh: str


def failures(schema: Mapping[str, Any], submitted: Mapping[str, object],
             context: Context) -> Iterator[Failure]:
    """Every declared check that does not hold for ``submitted`` in ``context``."""
    for check in schema.get("x-checks", ()):
        left = _operand(check["field"], submitted, context, check.get("default"))
        right = _operand(check["than"], submitted, context, check.get("default"))
        pair = _comparable(left, right)
        if pair is None or OPS[check["op"]](*pair):
            continue
        shown = str(pair[1])
        yield Failure(_first(check["field"]),
                      check["message"]["en"].replace("{than}", shown),
                      check["message"]["zh"].replace("{than}", shown))


def problems(schema: Mapping[str, Any]) -> list[str]:
    """Why a form's ``x-checks`` is malformed (empty when it is fine or absent)."""
    checks = schema.get("x-checks", [])
    if not isinstance(checks, list):
        return ["x-checks must be a list"]
    names = set(schema.get("properties", {}))
    found: list[str] = []
    for number, check in enumerate(checks, start=1):
        where = f"x-checks entry {number}"
        if not isinstance(check, dict):
            found.append(f"{where} must be an object")
            continue
        unknown = set(check) - {"field", "op", "than", "default", "message"}
        if unknown:
            found.append(f"{where}: unknown keys {sorted(unknown)}")
        fields = check.get("field")
        fields = fields if isinstance(fields, list) and fields else [fields]
        if not all(isinstance(f, str) and f in names for f in fields):
            found.append(f"{where}: field must name a property of this form, or list them")
        if check.get("op") not in OPS:
            found.append(f"{where}: op must be one of {' '.join(OPS)}")
        than = check.get("than")
        parts = than if isinstance(than, list) else [than]
        if not parts or not all(isinstance(p, str) and p for p in parts):
            found.append(f"{where}: than must be a name, a list of names or $today")
        elif isinstance(than, list) and any(p in TOKENS for p in parts):
            found.append(f"{where}: {' and '.join(TOKENS)} cannot be summed")
        default = check.get("default")
        if default is not None and not isinstance(default, (str, int, float)):
            found.append(f"{where}: default must be a string or a number")
        text = check.get("message")
        if not (isinstance(text, dict) and all(isinstance(text.get(k), str) and text[k]
                                               for k in ("zh", "en"))):
            found.append(f"{where}: message needs zh and en texts")
    return found


def _first(names: str | list[str]) -> str:
    return names[0] if isinstance(names, list) else names


def _operand(than: str | list[str], submitted: Mapping[str, object], context: Context,
             default: object) -> object:
    if not isinstance(than, list):
        return _value(than, submitted, context, default)
    total = Decimal(0)
    for name in than:
        number = _number(_value(name, submitted, context, default))
        if number is None:
            return None
        total += number
    return total


def _value(name: str, submitted: Mapping[str, object], context: Context,
           default: object) -> object:
    if name in TOKENS:
        if context.today is None:
            return None
        return context.today.isoformat()[: 10 if name == "$today" else 7]
    for source in (submitted, context.data):
        value = source.get(name)
        if value is not None and value != "":
            return value
    return default


def _comparable(left: object, right: object) -> tuple[Any, Any] | None:
    """Both as numbers, or both as ISO date/month text of one shape; else None."""
    if left is None or right is None:
        return None
    numbers = _number(left), _number(right)
    if numbers[0] is not None and numbers[1] is not None:
        return numbers
    if isinstance(left, str) and isinstance(right, str) and _iso_shape(left) and (
            _iso_shape(left) == _iso_shape(right)):
        return left, right
    return None


def _number(value: object) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def _iso_shape(text: str) -> str | None:
    """"date" for YYYY-MM-DD, "month" for YYYY-MM, else None."""
    try:
        if len(text) == 10:
            date.fromisoformat(text)
            return "date"
        if len(text) == 7:
            date.fromisoformat(text + "-01")
            return "month"
    except ValueError:
        return None
    return None
