"""Tests for forms.validate: coercion of HTML/JSON input and custom validators."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

import forms
from forms import FieldInvalid, FormErrors, FormSchemaInvalid, FormSpec

MakeSpec = Callable[..., FormSpec]
# forms.validate is the function; the module must be fetched by name.
validate_module = importlib.import_module("forms.validate")

INTEGER = {"type": "integer"}
NUMBER = {"type": "number"}
BOOLEAN = {"type": "boolean"}
TEXT = {"type": "string"}
DATE = {"type": "string", "format": "date"}
MONEY = {
    "type": "string",
    "x-widget": "money",
    "pattern": r"^(0|[1-9][0-9]*)\.[0-9]{2}$",
}
WHOLE = "must be a whole number"
NUMERIC = "must be a number"
CHOICES = {
    "type": "array",
    "items": {"type": "string", "enum": ["phone", "visit", "mail"]},
}


def errors_of(spec: FormSpec, raw: Mapping[str, object]) -> FormErrors:
    with pytest.raises(FormErrors) as info:
        forms.validate(spec, raw)
    return info.value


@pytest.mark.parametrize(
    ("prop", "raw", "expected"),
    [
        (INTEGER, "42", 42), (INTEGER, " -7 ", -7), (INTEGER, 42, 42),
        (INTEGER, 5.0, 5),
        (NUMBER, "12.5", 12.5), (NUMBER, "3", 3), (NUMBER, "-0.25", -0.25),
        (NUMBER, 1.5, 1.5),
        (BOOLEAN, "on", True), (BOOLEAN, "true", True), (BOOLEAN, "1", True),
        (BOOLEAN, "yes", True), (BOOLEAN, " Yes ", True), (BOOLEAN, ["on"], True),
        (BOOLEAN, True, True),
        (BOOLEAN, "false", False), (BOOLEAN, "0", False), (BOOLEAN, "off", False),
        (BOOLEAN, "no", False), (BOOLEAN, "", False), (BOOLEAN, None, False),
        (TEXT, " two\nlines ", " two\nlines "), (TEXT, ["re-posted"], "re-posted"),
        (DATE, "2026-11-22", "2026-11-22"), (DATE, " 2028-02-29 ", "2028-02-29"),
        (DATE, date(2026, 1, 5), "2026-01-05"),
        (CHOICES, ["phone", "visit"], ["phone", "visit"]), (CHOICES, "mail", ["mail"]),
        (CHOICES, ["", "phone"], ["phone"]), (CHOICES, [""], []),
    ],
)  # fmt: skip
def test_validate_coerces_value_when_convertible(
    make_spec: MakeSpec, prop: Mapping[str, object], raw: object, expected: object
) -> None:
    assert forms.validate(make_spec({"f": prop}), {"f": raw}) == {"f": expected}


@pytest.mark.parametrize(
    ("prop", "raw", "message"),
    [
        *[(INTEGER, raw, WHOLE) for raw in ["12.5", "1e3", "1_000", "١٢", True, 2.5]],
        *[(NUMBER, raw, NUMERIC) for raw in ["nan", "Infinity", "inf", "1,5", "1e999"]],
        (NUMBER, float("inf"), NUMERIC), (NUMBER, False, NUMERIC),
        (BOOLEAN, "maybe", "must be yes or no"), (BOOLEAN, 1, "must be yes or no"),
        (TEXT, 5, "must be text"), (TEXT, ["a", "b"], "must be a single value"),
        (CHOICES, {"a": 1}, "must be a list of choices"),
    ],
)  # fmt: skip
def test_validate_rejects_value_when_not_convertible(
    make_spec: MakeSpec, prop: Mapping[str, object], raw: object, message: str
) -> None:
    error = errors_of(make_spec({"f": prop}), {"f": raw})
    assert error.errors == {"f": [message]}
    assert error.errors_zh["f"] and error.errors_zh["f"] != [message]


def test_validate_sets_boolean_false_when_checkbox_absent(make_spec: MakeSpec) -> None:
    assert forms.validate(make_spec({"urgent": BOOLEAN}), {}) == {"urgent": False}


@pytest.mark.parametrize("raw", ["", "   ", None, []])
def test_validate_drops_optional_field_when_empty(
    make_spec: MakeSpec, raw: object
) -> None:
    spec = make_spec({"note": {"type": "string", "minLength": 3}, "n": INTEGER})
    assert forms.validate(spec, {"note": raw, "n": raw}) == {}


def test_validate_reports_required_when_required_field_empty(
    make_spec: MakeSpec,
) -> None:
    error = errors_of(make_spec({"note": TEXT}, required=["note"]), {"note": "  "})
    assert error.errors == {"note": ["is required"]}
    assert error.errors_zh == {"note": ["为必填项"]}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12", "12.00"), ("12.5", "12.50"), ("12.50", "12.50"), ("0.5", "0.50"),
     ("007.10", "7.10"), (" 3 ", "3.00"), ("0", "0.00"), (12, "12.00"),
     (Decimal("4.5"), "4.50"), ("1234567.89", "1234567.89")],
)  # fmt: skip
def test_validate_normalises_money_to_two_decimals(
    make_spec: MakeSpec, raw: object, expected: str
) -> None:
    spec = make_spec({"budget": MONEY})
    assert forms.validate(spec, {"budget": raw}) == {"budget": expected}


@pytest.mark.parametrize(
    "raw",
    ["12.345", "1,234.50", "1e3", "1E3", "NaN", "Infinity", "inf", "12.", ".5",
     "+12", "abc", "１２", 12.5, True, Decimal("NaN")],
)  # fmt: skip
def test_validate_rejects_money_when_not_plain_two_place_decimal(
    make_spec: MakeSpec, raw: object
) -> None:
    error = errors_of(make_spec({"budget": MONEY}), {"budget": raw})
    expected = "must be an amount with at most two decimals, e.g. 1200.00"
    assert error.errors == {"budget": [expected]}
    assert error.errors_zh == {"budget": ["必须是最多两位小数的金额，例如 1200.00"]}


@pytest.mark.parametrize("raw", ["-5", "-0.50", -3])
def test_validate_rejects_money_when_negative(make_spec: MakeSpec, raw: object) -> None:
    error = errors_of(make_spec({"budget": MONEY}), {"budget": raw})
    assert error.errors == {"budget": ["must not be negative"]}
    assert error.errors_zh == {"budget": ["不能为负数"]}


@pytest.mark.parametrize(
    "raw",
    ["2026-02-30", "2027-02-29", "2026-13-01", "22/11/2026", "2026-1-5", "20261122",
     "2026-11-22T10:00", "0000-01-01", datetime(2026, 1, 5, 9, 0), 20261122],
)  # fmt: skip
def test_validate_rejects_date_when_not_real_iso_date(
    make_spec: MakeSpec, raw: object
) -> None:
    error = errors_of(make_spec({"visit_date": DATE}), {"visit_date": raw})
    assert error.errors == {"visit_date": ["must be a date like 2026-11-22"]}
    assert error.errors_zh == {"visit_date": ["必须是日期，例如 2026-11-22"]}


def test_validate_refuses_unknown_field_even_when_rest_valid(
    make_spec: MakeSpec,
) -> None:
    error = errors_of(make_spec({"note": TEXT}), {"note": "ok", "csrf_token": "abc"})
    assert error.errors == {"csrf_token": ["unknown field"]}
    assert error.errors_zh == {"csrf_token": ["不是此表单的字段"]}


def test_validate_does_not_repeat_required_when_coercion_failed(
    make_spec: MakeSpec,
) -> None:
    spec = make_spec({"visits": INTEGER}, required=["visits"])
    assert errors_of(spec, {"visits": "many"}).errors == {
        "visits": ["must be a whole number"]
    }


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(validate_module, "_registry", {})
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        if name.startswith("forms."):
            del sys.modules[name]
            vars(forms).pop(name.removeprefix("forms."), None)


def parse_rows(value: object) -> object:
    lines = str(value).splitlines()
    if any("," not in line for line in lines):
        raise FieldInvalid(["each line needs a comma"], ["每行都需要逗号"])
    return [line.split(",") for line in lines]


ROWS = {"type": "string", "x-validator": "rows"}


@pytest.mark.usefixtures("registry")
def test_validate_replaces_value_with_custom_validator_result(
    make_spec: MakeSpec,
) -> None:
    forms.register_validator("rows", parse_rows)
    result = forms.validate(make_spec({"payout": ROWS}), {"payout": "a,1\nb,2"})
    assert result == {"payout": [["a", "1"], ["b", "2"]]}


@pytest.mark.usefixtures("registry")
def test_validate_reports_field_invalid_messages_in_both_languages(
    make_spec: MakeSpec,
) -> None:
    forms.register_validator("rows", parse_rows)
    error = errors_of(make_spec({"payout": ROWS}), {"payout": "a;1"})
    assert error.errors == {"payout": ["each line needs a comma"]}
    assert error.errors_zh == {"payout": ["每行都需要逗号"]}


@pytest.mark.usefixtures("registry")
def test_validate_uses_english_messages_for_zh_when_validator_gives_none(
    make_spec: MakeSpec,
) -> None:
    def refuse(value: object) -> object:
        raise FieldInvalid(["row 2: amount missing"])

    forms.register_validator("rows", refuse)
    error = errors_of(make_spec({"payout": ROWS}), {"payout": "x"})
    assert error.errors_zh == {"payout": ["row 2: amount missing"]}


@pytest.mark.usefixtures("registry")
def test_validate_skips_custom_validator_when_field_absent_or_invalid(
    make_spec: MakeSpec,
) -> None:
    calls: list[object] = []
    forms.register_validator("spy", calls.append)
    prop = {"type": "string", "maxLength": 2, "x-validator": "spy"}
    errors_of(make_spec({"a": prop, "b": prop}), {"a": "too long"})
    assert calls == []


@pytest.mark.usefixtures("registry")
def test_validate_raises_schema_invalid_when_validator_unknown(
    make_spec: MakeSpec,
) -> None:
    spec = make_spec({"x": {"type": "string", "x-validator": "nowhere"}})
    with pytest.raises(FormSchemaInvalid, match="test_form.json: no validator named"):
        forms.validate(spec, {"x": "1"})


@pytest.mark.usefixtures("registry")
def test_validate_imports_validator_module_lazily_on_first_use(
    tmp_path: Path, make_spec: MakeSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "upper_words.py").write_text(
        "from forms import register_validator\n"
        "register_validator('upper_words', lambda value: str(value).upper())\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(forms, "__path__", [*forms.__path__, str(plugins)])
    importlib.invalidate_caches()
    spec = make_spec({"name": {"type": "string", "x-validator": "upper_words"}})
    assert "forms.upper_words" not in sys.modules
    assert forms.validate(spec, {"name": "abc"}) == {"name": "ABC"}
    assert "forms.upper_words" in sys.modules


@pytest.mark.parametrize("name", ["Bad", "../x", "", "1x", "a-b"])
def test_register_validator_refuses_name_when_not_snake_case(name: str) -> None:
    with pytest.raises(ValueError, match="validator name"):
        forms.register_validator(name, parse_rows)
