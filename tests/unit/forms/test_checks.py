"""Form cross-checks (``x-checks``): fields against each other, earlier data and today."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

import forms
from forms.spec import parse

MONEY = {"type": "string", "x-widget": "money"}
DATE = {"type": "string", "format": "date"}
MONTH = {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"}
MESSAGE = {"zh": "不能超过 {than}", "en": "cannot exceed {than}"}


def spec_with(properties: dict[str, Any], checks: list[dict[str, Any]]) -> forms.FormSpec:
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
              "properties": properties, "x-checks": checks}
    return parse("checked", json.dumps(schema).encode(), file="checked.json")


def errors(spec: forms.FormSpec, raw: dict[str, object],
           context: forms.Context | None = None) -> dict[str, list[str]]:
    try:
        forms.validate(spec, raw, context)
    except forms.FormErrors as exc:
        return {key: list(texts) for key, texts in exc.errors.items()}
    return {}


BUDGET = spec_with(
    {"advance": MONEY, "gift": MONEY, "travel": MONEY},
    [{"field": "advance", "op": "<=", "than": ["gift", "travel"], "message": MESSAGE}])


def test_an_advance_over_the_summed_budget_is_refused_naming_the_total() -> None:
    found = errors(BUDGET, {"advance": "99999", "gift": "300.50", "travel": "7000"})
    assert found == {"advance": ["cannot exceed 7300.50"]}


def test_an_advance_equal_to_the_budget_passes() -> None:
    assert errors(BUDGET, {"advance": "7300.50", "gift": "300.50", "travel": "7000"}) == {}


def test_a_check_with_a_missing_operand_is_left_to_required() -> None:
    assert errors(BUDGET, {"advance": "99999", "gift": "300.50"}) == {}


PAID = spec_with({"paid": MONEY}, [{"field": "paid", "op": "<=", "than": "requested",
                                    "message": MESSAGE}])


def test_a_payment_is_compared_with_the_amount_requested_earlier() -> None:
    earlier = forms.Context(data={"requested": "5000.00"})
    assert errors(PAID, {"paid": "8000"}, earlier) == {"paid": ["cannot exceed 5000.00"]}
    assert errors(PAID, {"paid": "5000"}, earlier) == {}


def test_without_earlier_data_the_comparison_is_skipped() -> None:
    assert errors(PAID, {"paid": "8000"}) == {}


def test_a_default_stands_in_for_a_missing_earlier_value() -> None:
    offset = spec_with({"offset": MONEY}, [{"field": "offset", "op": "<=",
                                            "than": "advance_paid", "default": "0",
                                            "message": MESSAGE}])
    assert errors(offset, {"offset": "100"}) == {"offset": ["cannot exceed 0"]}
    assert errors(offset, {"offset": "0"}) == {}


def test_summed_fields_are_reported_under_the_first() -> None:
    both = spec_with({"net": MONEY, "offset": MONEY},
                     [{"field": ["net", "offset"], "op": "<=", "than": "expenses",
                       "message": MESSAGE}])
    context = forms.Context(data={"expenses": "6400.50"})
    assert errors(both, {"net": "9500", "offset": "12000"}, context) == {
        "net": ["cannot exceed 6400.50"]}
    assert errors(both, {"net": "400.50", "offset": "6000"}, context) == {}


RECEIVED = spec_with({"received": DATE}, [{"field": "received", "op": "<=",
                                           "than": "$today", "message": MESSAGE}])


def test_a_date_after_today_is_refused() -> None:
    today = forms.Context(today=date(2026, 11, 22))
    assert errors(RECEIVED, {"received": "2027-05-01"}, today) == {
        "received": ["cannot exceed 2026-11-22"]}
    assert errors(RECEIVED, {"received": "2026-11-22"}, today) == {}


def test_checks_on_today_are_skipped_when_today_is_unknown() -> None:
    assert errors(RECEIVED, {"received": "2027-05-01"}) == {}


def test_only_an_ended_month_passes_a_check_against_this_month() -> None:
    month = spec_with({"month": MONTH}, [{"field": "month", "op": "<",
                                          "than": "$this_month", "message": MESSAGE}])
    today = forms.Context(today=date(2026, 11, 22))
    assert errors(month, {"month": "2026-11"}, today) == {"month": ["cannot exceed 2026-11"]}
    assert errors(month, {"month": "2030-01"}, today) != {}
    assert errors(month, {"month": "2026-10"}, today) == {}


def test_a_number_and_a_date_are_not_compared() -> None:
    odd = spec_with({"amount": MONEY}, [{"field": "amount", "op": "<=", "than": "$today",
                                         "message": MESSAGE}])
    assert errors(odd, {"amount": "5"}, forms.Context(today=date(2026, 11, 22))) == {}


def test_a_field_with_its_own_error_gets_no_check_message_on_top() -> None:
    found = errors(BUDGET, {"advance": "lots", "gift": "1", "travel": "1"})
    assert list(found) == ["advance"] and "cannot exceed" not in found["advance"][0]


@pytest.mark.parametrize(("check", "reason"), [
    ({"field": "nope", "op": "<=", "than": "x", "message": MESSAGE},
     "field must name a property"),
    ({"field": "amount", "op": "~", "than": "x", "message": MESSAGE}, "op must be one of"),
    ({"field": "amount", "op": "<=", "than": [], "message": MESSAGE}, "than must be"),
    ({"field": "amount", "op": "<=", "than": ["$today", "x"], "message": MESSAGE},
     "cannot be summed"),
    ({"field": "amount", "op": "<=", "than": "x", "message": {"zh": "只有中文"}},
     "message needs zh and en"),
    ({"field": "amount", "op": "<=", "than": "x", "message": MESSAGE, "unless": 1},
     "unknown keys ['unless']"),
])
def test_a_malformed_check_makes_the_form_invalid(check: dict[str, Any], reason: str) -> None:
    with pytest.raises(forms.FormSchemaInvalid, match="x-checks entry 1") as caught:
        spec_with({"amount": MONEY}, [check])
    assert reason in str(caught.value)
