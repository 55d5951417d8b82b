"""Tests for forms.render: Field and ReadonlyField view-models."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal

import pytest

import forms
from forms import Field, FormSpec

MakeSpec = Callable[..., FormSpec]
DECISION = {
    "type": "string",
    "enum": ["approve", "return", "reject"],
    "x-label": {"zh": "审核结论", "en": "Decision"},
    "x-enum-labels": {
        "approve": {"zh": "同意", "en": "Approve"},
        "return": {"zh": "退回修改", "en": "Return"},
        "reject": {"zh": "驳回"},
    },
    "x-help": {"zh": "请选择", "en": "Pick one"},
}


def only_field(
    make_spec: MakeSpec,
    prop: Mapping[str, object],
    value: object = None,
    *,
    lang: str = "en",
) -> Field:
    spec = make_spec({"f": prop})
    values = {} if value is None else {"f": value}
    (field,) = forms.fields(spec, values, lang=lang)
    return field


def test_fields_follow_x_order_then_file_order(make_spec: MakeSpec) -> None:
    props = {"a": {"type": "string"}, "b": {"type": "string"}, "c": DECISION}
    spec = make_spec(props, **{"x-order": ["c", "b"]})
    assert [f.name for f in forms.fields(spec, None, lang="en")] == ["c", "b", "a"]


@pytest.mark.parametrize(
    ("lang", "label", "options"),
    [
        ("zh", "审核结论", ("同意", "退回修改", "驳回")),
        ("zh-CN", "审核结论", ("同意", "退回修改", "驳回")),
        ("en", "Decision", ("Approve", "Return", "驳回")),
    ],
)
def test_fields_show_labels_and_options_in_requested_language(
    make_spec: MakeSpec, lang: str, label: str, options: tuple[str, ...]
) -> None:
    field = only_field(make_spec, DECISION, lang=lang)
    assert field.label == label
    assert field.options == tuple(zip(("approve", "return", "reject"), options))
    assert field.help == ("请选择" if lang.startswith("zh") else "Pick one")


def test_fields_fall_back_to_zh_label_then_name(make_spec: MakeSpec) -> None:
    props = {
        "zh_only": {"type": "string", "x-label": {"zh": "备注"}},
        "bare": {"type": "string"},
    }
    spec = make_spec(props)
    labels = [f.label for f in forms.fields(spec, None, lang="en")]
    assert labels == ["备注", "bare"]


@pytest.mark.parametrize(
    ("prop", "widget"),
    [
        ({"type": "string"}, "text"),
        ({"type": "string", "x-widget": "textarea"}, "textarea"),
        ({"type": "string", "enum": ["a", "b", "c", "d"]}, "radio"),
        ({"type": "string", "enum": ["a", "b", "c", "d", "e"]}, "select"),
        ({"type": "string", "enum": ["a", "b"], "x-widget": "select"}, "select"),
        ({"type": "string", "format": "date"}, "date"),
        ({"type": "string", "x-widget": "money"}, "money"),
        ({"type": "integer"}, "integer"),
        ({"type": "number"}, "number"),
        ({"type": "boolean"}, "checkbox"),
        ({"type": "array", "items": {"type": "string", "enum": ["x"]}}, "checkboxes"),
        ({"type": "string", "x-widget": "file_text"}, "file_text"),
    ],
)
def test_fields_choose_widget_from_schema_when_not_explicit(
    make_spec: MakeSpec, prop: Mapping[str, object], widget: str
) -> None:
    assert only_field(make_spec, prop).widget == widget


def test_fields_take_checkbox_options_from_items(make_spec: MakeSpec) -> None:
    prop = {
        "type": "array",
        "items": {"type": "string", "enum": ["phone", "visit"]},
        "x-enum-labels": {"phone": {"zh": "电话", "en": "Phone"}},
    }
    field = only_field(make_spec, prop, ["visit"], lang="zh")
    assert field.options == (("phone", "电话"), ("visit", "visit"))
    assert field.value == ("visit",)


@pytest.mark.parametrize(
    ("prop", "value", "shown"),
    [
        ({"type": "string"}, "hello", "hello"),
        ({"type": "string"}, ["re-posted", "x"], "re-posted"),
        ({"type": "integer"}, 7, "7"),
        ({"type": "number"}, 2.5, "2.5"),
        ({"type": "string", "x-widget": "money"}, Decimal("12.5"), "12.50"),
        ({"type": "string", "x-widget": "money"}, 12, "12.00"),
        ({"type": "string", "x-widget": "money"}, "12,5", "12,5"),
        ({"type": "string", "format": "date"}, date(2026, 11, 22), "2026-11-22"),
        ({"type": "boolean"}, True, "true"),
        ({"type": "boolean"}, "on", "true"),
        ({"type": "boolean"}, False, ""),
        ({"type": "array", "items": {"enum": ["a", "b"]}}, "a", ("a",)),
    ],
)
def test_fields_show_current_value_as_string(
    make_spec: MakeSpec, prop: Mapping[str, object], value: object, shown: object
) -> None:
    assert only_field(make_spec, prop, value).value == shown


def test_fields_show_default_when_value_absent(make_spec: MakeSpec) -> None:
    props = {
        "n": {"type": "integer", "default": 3},
        "s": {"type": "string"},
        "c": {"type": "array", "items": {"enum": ["a"]}},
    }
    spec = make_spec(props)
    values = [f.value for f in forms.fields(spec, {}, lang="en")]
    assert values == ["3", "", ()]


def test_fields_mark_required_and_attach_errors(make_spec: MakeSpec) -> None:
    props = {"decision": DECISION, "opinion": {"type": "string"}}
    spec = make_spec(props, required=["decision"])
    errors = {"decision": ["为必填项"], "": ["填写无效"]}
    decision, opinion = forms.fields(spec, {"decision": ""}, lang="zh", errors=errors)
    assert (decision.required, decision.errors) == (True, ("为必填项",))
    assert (opinion.required, opinion.errors) == (False, ())


def test_general_errors_list_form_level_and_unknown_field_messages(
    make_spec: MakeSpec,
) -> None:
    spec = make_spec({"a": {"type": "string"}})
    errors = {"a": ["is required"], "": ["is not valid"], "x": ["unknown field"]}
    assert forms.general_errors(spec, errors) == ["is not valid", "x: unknown field"]


def test_fields_expose_html_limits(make_spec: MakeSpec) -> None:
    props = {
        "count": {"type": "integer", "exclusiveMinimum": 0, "maximum": 10},
        "ratio": {"type": "number", "minimum": 0.5},
        "code": {"type": "string", "maxLength": 6, "pattern": "^[A-Z]+$"},
        "loose": {"type": "string", "pattern": "[A-Z]"},
        "budget": {"type": "string", "x-widget": "money", "pattern": "^[0-9]+$"},
    }
    spec = make_spec(props)
    count, ratio, code, loose, budget = forms.fields(spec, None, lang="en")
    assert (count.min, count.max, count.step) == ("1", "10", "1")
    assert (ratio.min, ratio.max, ratio.step) == ("0.5", None, "any")
    assert (code.max_length, code.pattern) == (6, "^[A-Z]+$")
    assert loose.pattern is None
    assert (budget.pattern, budget.step) == (r"[0-9]+(\.[0-9]{1,2})?", "0.01")


READONLY = [
    {"field": "supervisor_opinion", "x-label": {"zh": "主管意见", "en": "Supervisor"}},
    {"field": "decision"},
    {
        "field": "manager_decision",
        "x-label": {"zh": "经理结论"},
        "x-enum-labels": {"approve": {"zh": "同意", "en": "Approved"}},
    },
    {"field": "urgent", "x-label": {"en": "Urgent"}},
    {"field": "channels"},
    {"field": "missing"},
]


@pytest.fixture
def readonly_spec(make_spec: MakeSpec) -> FormSpec:
    return make_spec({"decision": DECISION}, **{"x-readonly": READONLY})


def test_readonly_fields_show_labelled_values_skipping_absent(
    readonly_spec: FormSpec,
) -> None:
    data = {
        "supervisor_opinion": "同意拜访",
        "decision": "return",
        "manager_decision": "approve",
        "urgent": True,
        "channels": ["phone", "mail"],
        "unrelated": "x",
    }
    shown = forms.readonly_fields(readonly_spec, data, lang="en")
    assert [(f.name, f.label, f.value) for f in shown] == [
        ("supervisor_opinion", "Supervisor", "同意拜访"),
        ("decision", "Decision", "Return"),
        ("manager_decision", "经理结论", "Approved"),
        ("urgent", "Urgent", "Yes"),
        ("channels", "channels", "phone, mail"),
    ]


def test_readonly_fields_use_chinese_labels_when_lang_zh(
    readonly_spec: FormSpec,
) -> None:
    data = {"decision": "reject", "urgent": False, "channels": ["a", "b"]}
    shown = forms.readonly_fields(readonly_spec, data, lang="zh")
    assert [(f.label, f.value) for f in shown] == [
        ("审核结论", "驳回"),
        ("Urgent", "否"),
        ("channels", "a、b"),
    ]


def test_readonly_fields_show_raw_value_when_not_an_enum(
    readonly_spec: FormSpec,
) -> None:
    shown = forms.readonly_fields(
        readonly_spec, {"manager_decision": "escalate", "decision": None}, lang="en"
    )
    assert [(f.name, f.value) for f in shown] == [("manager_decision", "escalate")]


def test_pattern_field_carries_the_format_it_expects(make_spec: MakeSpec) -> None:
    month = {"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$"}
    assert only_field(make_spec, month, lang="zh").format_hint == (
        "须为“年-月”格式的月份（YYYY-MM），例如 2026-10"
    )
    assert only_field(make_spec, {"type": "string"}).format_hint == ""


def test_money_field_says_which_format_the_browser_refused(make_spec: MakeSpec) -> None:
    """Without a title the browser only says "Please match the requested format"."""
    money = {"type": "string", "x-widget": "money"}
    field = only_field(make_spec, money, lang="zh")
    assert field.pattern == r"[0-9]+(\.[0-9]{1,2})?"
    assert field.format_hint == "必须是最多两位小数的金额，例如 1200.00"
    assert only_field(make_spec, money, lang="en").format_hint == (
        "must be an amount with at most two decimals, e.g. 1200.00"
    )
