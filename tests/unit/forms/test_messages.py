"""Tests for forms._messages: how schema errors are keyed and worded (en + zh)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest

import forms
from forms import FormErrors, FormSpec

MakeSpec = Callable[..., FormSpec]
DECISION = {
    "type": "string",
    "enum": ["approve", "return", "reject"],
    "x-enum-labels": {
        "approve": {"zh": "同意", "en": "Approve"},
        "return": {"zh": "退回修改", "en": "Return"},
        "reject": {"zh": "驳回", "en": "Reject"},
    },
}
OPINION_WHEN_NOT_APPROVED = {
    "if": {
        "properties": {"decision": {"enum": ["return", "reject"]}},
        "required": ["decision"],
    },
    "then": {"required": ["opinion"]},
}
DATE = {"type": "string", "format": "date"}
CHOICES = {
    "type": "array",
    "items": {"type": "string", "enum": ["phone", "visit", "mail"]},
    "uniqueItems": True,
    "x-enum-labels": {"phone": {"zh": "电话"}, "visit": {"zh": "上门"}},
}


def errors_of(spec: FormSpec, raw: Mapping[str, object]) -> FormErrors:
    with pytest.raises(FormErrors) as info:
        forms.validate(spec, raw)
    return info.value


@pytest.fixture
def review(make_spec: MakeSpec) -> FormSpec:
    return make_spec(
        {"decision": DECISION, "opinion": {"type": "string", "maxLength": 20}},
        required=["decision"],
        allOf=[OPINION_WHEN_NOT_APPROVED],
    )


def test_validate_reports_required_when_field_missing(review: FormSpec) -> None:
    assert errors_of(review, {}).errors == {"decision": ["is required"]}


@pytest.mark.parametrize("decision", ["return", "reject"])
def test_validate_requires_opinion_when_decision_not_approve(
    review: FormSpec, decision: str
) -> None:
    error = errors_of(review, {"decision": decision, "opinion": ""})
    assert error.errors == {"opinion": ["is required"]}
    assert error.errors_zh == {"opinion": ["为必填项"]}


def test_validate_allows_missing_opinion_when_decision_approve(
    review: FormSpec,
) -> None:
    assert forms.validate(review, {"decision": "approve"}) == {"decision": "approve"}


def test_validate_keys_then_branch_error_by_property(make_spec: MakeSpec) -> None:
    rule = {
        "if": {"properties": {"decision": {"const": "reject"}}},
        "then": {"properties": {"opinion": {"minLength": 10}}},
    }
    props = {"decision": DECISION, "opinion": {"type": "string"}}
    spec = make_spec(props, allOf=[rule])
    error = errors_of(spec, {"decision": "reject", "opinion": "no"})
    assert error.errors == {"opinion": ["must be at least 10 characters"]}
    assert error.errors_zh == {"opinion": ["至少需要 10 个字符"]}


def test_validate_keys_form_level_error_by_empty_string(make_spec: MakeSpec) -> None:
    props = {"a": {"type": "string"}, "b": {"type": "string"}}
    spec = make_spec(props, **{"not": {"required": ["a", "b"]}})
    error = errors_of(spec, {"a": "x", "b": "y"})
    assert error.errors == {"": ["is not valid"]}
    assert error.errors_zh == {"": ["填写无效"]}


def test_validate_keys_dependent_required_by_missing_property(
    make_spec: MakeSpec,
) -> None:
    props = {"card": {"type": "string"}, "expiry": {"type": "string"}}
    spec = make_spec(props, dependentRequired={"card": ["expiry"]})
    assert errors_of(spec, {"card": "4111"}).errors == {"expiry": ["is required"]}


def test_validate_names_enum_options_in_both_languages(review: FormSpec) -> None:
    error = errors_of(review, {"decision": "maybe"})
    assert error.errors == {"decision": ["must be one of: approve, return, reject"]}
    assert error.errors_zh == {"decision": ["必须是以下之一：同意、退回修改、驳回"]}


def test_validate_collects_every_error_in_field_order(make_spec: MakeSpec) -> None:
    props = {
        "decision": DECISION,
        "visits": {"type": "integer", "minimum": 1},
        "visit_date": DATE,
        "opinion": {"type": "string", "maxLength": 3},
    }
    spec = make_spec(props, required=["decision"])
    raw = {"visits": "0", "visit_date": "2026-02-30", "opinion": "long", "extra": "1"}
    error = errors_of(spec, raw)
    assert error.errors == {
        "decision": ["is required"],
        "visits": ["must be at least 1"],
        "visit_date": ["must be a date like 2026-11-22"],
        "opinion": ["must be at most 3 characters"],
        "extra": ["unknown field"],
    }
    assert list(error.errors_zh) == list(error.errors)
    assert error.errors_zh["visits"] == ["不能小于 1"]
    assert error.messages("zh-CN") is error.errors_zh
    assert error.messages("en") is error.errors


def test_validate_uses_pattern_message_when_given(make_spec: MakeSpec) -> None:
    phone = {
        "type": "string",
        "pattern": "^1[0-9]{10}$",
        "x-pattern-message": {"zh": "须为11位手机号", "en": "must be 11 digits"},
    }
    plain = {"type": "string", "pattern": "^[A-Z]+$"}
    spec = make_spec({"phone": phone, "code": plain})
    error = errors_of(spec, {"phone": "123", "code": "abc"})
    assert error.errors == {
        "phone": ["must be 11 digits"],
        "code": ["is not in the expected format"],
    }
    assert error.errors_zh == {"phone": ["须为11位手机号"], "code": ["格式不正确"]}


def test_pattern_errors_without_a_message_say_the_format_they_expect(
    make_spec: MakeSpec,
) -> None:
    spec = make_spec(
        {
            "at": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"},
            "month": {"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$"},
            "phone": {"type": "string", "pattern": "^[0-9+\\- ]{5,20}$"},
            "code": {"type": "string", "pattern": "^[A-Z]+$", "examples": ["ABC"]},
        }
    )
    error = errors_of(
        spec, {"at": "9.30", "month": "2026/10", "phone": "abc", "code": "x"}
    )
    assert error.errors_zh == {
        "at": ["须为“时:分”格式的时间（HH:MM），例如 09:30"],
        "month": ["须为“年-月”格式的月份（YYYY-MM），例如 2026-10"],
        "phone": ["须为电话号码：5 至 20 位数字、空格、+ 或 -，例如 0571-88886666"],
        "code": ["格式不正确，应类似 ABC"],
    }
    assert error.errors["at"] == ["must be a time as HH:MM, e.g. 09:30"]
    assert error.errors["code"] == ["is not in the expected format, e.g. ABC"]


def test_validate_checks_formats_when_format_checker_applies(
    make_spec: MakeSpec,
) -> None:
    spec = make_spec({"mail": {"type": "string", "format": "email"}})
    error = errors_of(spec, {"mail": "not-an-address"})
    expected = "must be an email address like name@example.com"
    assert error.errors == {"mail": [expected]}


def test_validate_rejects_checkbox_option_when_not_offered(
    make_spec: MakeSpec,
) -> None:
    spec = make_spec({"channels": CHOICES})
    error = errors_of(spec, {"channels": ["phone", "fax"]})
    assert error.errors == {"channels": ["must be one of: phone, visit, mail"]}
    assert error.errors_zh == {"channels": ["必须是以下之一：电话、上门、mail"]}


def test_validate_rejects_checkboxes_when_repeated_or_not_list(
    make_spec: MakeSpec,
) -> None:
    spec = make_spec({"channels": CHOICES, "tags": CHOICES})
    error = errors_of(spec, {"channels": ["phone", "phone"], "tags": {"a": 1}})
    assert error.errors == {
        "channels": ["must not repeat a choice"],
        "tags": ["must be a list of choices"],
    }


def test_form_errors_str_lists_every_message() -> None:
    error = FormErrors({"": ["is not valid"], "a": ["is required"]}, {})
    assert str(error) == "form: is not valid; a: is required"


def test_validate_asks_to_tick_confirmation_when_const_true_unticked(
    make_spec: MakeSpec,
) -> None:
    spec = make_spec({"confirmed": {"type": "boolean", "const": True}})
    error = errors_of(spec, {})
    assert error.errors == {"confirmed": ["must be ticked"]}
    assert error.errors_zh == {"confirmed": ["必须勾选"]}


@pytest.mark.parametrize(("form", "field", "wrong", "example"), [
    ("complaint_intake", "complaint_received_time", "9点半", "09:05"),
    ("complaint_intake", "contact_phone", "call me", "021-55550001"),
    ("payout_start", "payout_month", "2026/10", "2026-10"),
])
def test_a_shipped_format_error_shows_an_example(form: str, field: str, wrong: str,
                                                 example: str) -> None:
    with pytest.raises(forms.FormErrors) as caught:
        forms.validate(forms.load(form), {field: wrong})
    assert example in caught.value.errors[field][0]
    assert example in caught.value.errors_zh[field][0]
