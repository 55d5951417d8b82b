"""Tests for forms.display: stored values as text, labelled pairs and tables."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import forms
from forms import FormSpec
from forms.display import MAX_DEPTH, MAX_ROWS, Items, Pairs, Table, Text, view

MakeSpec = Callable[..., FormSpec]
STEP_LABELS = {
    "import": {"zh": "导入", "en": "Import"},
    "county_verification": {"zh": "县局核实", "en": "County verification"},
}
SUMMARY = {
    "x-label": {"zh": "奖励汇总", "en": "Payout summary"},
    "properties": {
        "grand_total": {"x-label": {"zh": "奖励合计", "en": "Grand total"}},
        "counties": {
            "items": {
                "properties": {
                    "county": {"x-label": {"zh": "县", "en": "County"}},
                    "area": {"x-enum-labels": {"rural": {"zh": "农村", "en": "Rural"}}},
                }
            }
        },
    },
}


def test_dict_becomes_pairs_labelled_from_its_properties_then_known_fields() -> None:
    known = {"payout_month": {"x-label": {"zh": "兑现月份", "en": "Payout month"}}}
    value = {"payout_month": "2026-10", "grand_total": "548.85", "station_count": 12}
    shown = view(value, SUMMARY, lang="zh", known=known)
    assert isinstance(shown, Pairs)
    assert [(p.key, p.label, p.value) for p in shown.pairs] == [
        ("payout_month", "兑现月份", Text("2026-10")),
        ("grand_total", "奖励合计", Text("548.85", numeric=True)),
        ("station_count", "station_count", Text("12", numeric=True)),
    ]


def test_list_of_dicts_becomes_a_table_with_columns_in_first_seen_order() -> None:
    counties = [
        {"county": "平安县", "station_count": 8, "area": "rural"},
        {"county": "长宁县", "phone": "13700001101", "station_count": 4},
    ]
    shown = view({"counties": counties}, SUMMARY, lang="en")
    assert isinstance(shown, Pairs)
    table = shown.pairs[0].value
    assert isinstance(table, Table) and table.total == 2 and table.hidden == 0
    assert [(c.key, c.label, c.numeric) for c in table.columns] == [
        ("county", "County", False),
        ("station_count", "station_count", True),
        ("area", "area", False),
        ("phone", "phone", False),  # digits in a string are an id, not an amount
    ]
    assert table.rows[0][2] == Text("Rural")  # an option value shows its label
    assert table.rows[1][2].empty and table.rows[1][3] == Text("13700001101")


def test_amounts_and_numbers_are_numeric_but_ids_and_words_are_not() -> None:
    assert view(Decimal("1.50"), lang="zh") == Text("1.50", numeric=True)
    assert view("379.40", lang="zh").numeric and view(7, lang="zh").numeric
    assert not view("S101", lang="zh").numeric and not view("0571", lang="zh").numeric
    assert view(True, lang="zh") == Text("是") and view(False, lang="en") == Text("No")
    assert view(None, lang="en").empty and view({}, lang="en").empty


def test_option_values_use_the_labels_of_the_readers_language() -> None:
    shape = {"x-enum-labels": STEP_LABELS}
    assert view("county_verification", shape, lang="zh") == Text("县局核实")
    english = view("county_verification", shape, lang="en-US")
    assert english == Text("County verification")
    assert view(["import", "other"], shape, lang="zh") == Text("导入、other")
    keyed = view({"step": "import"}, lang="en", known={"step": shape})
    assert isinstance(keyed, Pairs) and keyed.pairs[0].value == Text("Import")


def test_a_long_table_keeps_its_first_rows_and_counts_the_rest() -> None:
    rows = [{"line": n, "amount": f"{n}.00"} for n in range(MAX_ROWS + 25)]
    table = view(rows, lang="zh")
    assert isinstance(table, Table)
    assert len(table.rows) == MAX_ROWS and table.total == MAX_ROWS + 25
    assert table.hidden == 25 and all(c.numeric for c in table.columns)


def test_three_hundred_rows_are_all_shown() -> None:
    table = view([{"n": n} for n in range(300)], lang="zh")
    assert isinstance(table, Table) and len(table.rows) == 300 and table.hidden == 0


def test_nesting_past_the_limit_reads_as_compact_text() -> None:
    deep: object = "bottom"
    for _ in range(MAX_DEPTH + 2):
        deep = {"k": deep}
    node = view(deep, lang="en")
    for _ in range(MAX_DEPTH):
        assert isinstance(node, Pairs)
        node = node.pairs[0].value
    assert node == Text('{"k": {"k": "bottom"}}')


def test_a_list_of_mixed_values_shows_one_view_per_item() -> None:
    shown = view([{"a": 1}, "text", [1, 2]], lang="en")
    assert isinstance(shown, Items) and shown.total == 3
    assert isinstance(shown.items[0], Pairs)
    assert shown.items[1:] == (Text("text"), Text("1, 2"))


def test_field_shapes_keep_option_labels_when_a_later_form_only_relabels(
    make_spec: MakeSpec,
) -> None:
    asked = make_spec(
        {"goal": {"type": "string", "enum": ["fully"],
                  "x-label": {"zh": "达成情况"},
                  "x-enum-labels": {"fully": {"zh": "全部达成", "en": "Fully"}}}}
    )
    first = forms.field_shapes([asked])
    later = make_spec(
        {"ok": {"type": "boolean"}},
        **{"x-readonly": [{"field": "goal", "x-label": {"zh": "服务目标达成情况"}}]},
    )
    shapes = forms.field_shapes([asked, later, None])
    assert shapes["goal"]["x-label"] == {"zh": "服务目标达成情况"}
    assert shapes["goal"]["x-enum-labels"] == first["goal"]["x-enum-labels"]
    (shown,) = forms.readonly_fields(later, {"goal": "fully"}, lang="zh", known=shapes)
    assert (shown.label, shown.value) == ("服务目标达成情况", "全部达成")


def test_plain_puts_a_structure_on_one_line() -> None:
    shown = view({"a": [{"x": 1}, {"x": 2}], "b": True}, lang="en")
    assert forms.plain(shown) == "a: x: 1; x: 2; b: Yes"
