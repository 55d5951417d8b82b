"""Tests for forms.spec: loading, checking and caching form files."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

import forms
from forms import FormNotFound, FormSchemaInvalid

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def write_form(directory: Path, key: str, schema: object) -> Path:
    path = directory / f"{key}.json"
    path.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    return path


def review_schema() -> dict[str, object]:
    return {
        "$schema": DRAFT,
        "type": "object",
        "x-title": {"zh": "主管审核", "en": "Supervisor review"},
        "required": ["decision"],
        "properties": {
            "visit_date": {"type": "string", "format": "date"},
            "opinion": {"type": "string"},
            "decision": {"type": "string", "enum": ["approve", "reject"]},
            "budget": {"type": "string", "x-widget": "money"},
        },
        "x-order": ["decision", "opinion"],
    }


def test_load_returns_spec_with_key_titles_and_required(tmp_path: Path) -> None:
    write_form(tmp_path, "visit_review", review_schema())
    spec = forms.load("visit_review", forms_dir=tmp_path)
    assert spec.key == "visit_review"
    assert (spec.title_zh, spec.title_en) == ("主管审核", "Supervisor review")
    assert spec.required == frozenset({"decision"})
    assert spec.schema["type"] == "object"
    assert set(spec.properties) == {"visit_date", "opinion", "decision", "budget"}


def test_load_orders_fields_by_x_order_then_file_order(tmp_path: Path) -> None:
    write_form(tmp_path, "visit_review", review_schema())
    spec = forms.load("visit_review", forms_dir=tmp_path)
    assert spec.order == ("decision", "opinion", "visit_date", "budget")


def test_load_orders_fields_by_file_order_without_x_order(tmp_path: Path) -> None:
    schema = review_schema()
    del schema["x-order"]
    write_form(tmp_path, "visit_review", schema)
    spec = forms.load("visit_review", forms_dir=tmp_path)
    assert spec.order == ("visit_date", "opinion", "decision", "budget")


def test_load_sets_version_to_sha256_of_file_bytes(tmp_path: Path) -> None:
    path = write_form(tmp_path, "visit_review", review_schema())
    spec = forms.load("visit_review", forms_dir=tmp_path)
    assert spec.version == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    "form_key",
    ["../visit_review", "sub/visit_review", "..", "/etc/passwd", "Visit_review",
     "1form", "", "visit_review.json", "visit_review\n", "visit-review"],
)  # fmt: skip
def test_load_refuses_form_key_when_not_snake_case(
    tmp_path: Path, form_key: str
) -> None:
    write_form(tmp_path, "visit_review", review_schema())
    with pytest.raises(FormNotFound) as info:
        forms.load(form_key, forms_dir=tmp_path / "sub")
    assert info.value.form_key == form_key


def test_load_raises_form_not_found_when_file_missing(tmp_path: Path) -> None:
    with pytest.raises(FormNotFound, match="no_such_form.json not found"):
        forms.load("no_such_form", forms_dir=tmp_path)


def test_load_raises_schema_invalid_naming_file_when_json_broken(
    tmp_path: Path,
) -> None:
    (tmp_path / "broken.json").write_text('{"type": "object",', encoding="utf-8")
    with pytest.raises(FormSchemaInvalid) as info:
        forms.load("broken", forms_dir=tmp_path)
    assert info.value.file == "broken.json"
    assert "not valid JSON" in info.value.reason
    assert str(info.value).startswith("broken.json: ")


def test_load_raises_schema_invalid_with_reason_when_schema_breaks_draft(
    tmp_path: Path,
) -> None:
    schema = review_schema()
    schema["properties"] = {"amount": {"type": "decimal"}}
    write_form(tmp_path, "bad_type", schema)
    with pytest.raises(FormSchemaInvalid) as info:
        forms.load("bad_type", forms_dir=tmp_path)
    assert info.value.file == "bad_type.json"
    assert "properties/amount/type" in info.value.reason
    assert "decimal" in info.value.reason


def test_load_raises_schema_invalid_when_required_not_a_list(tmp_path: Path) -> None:
    schema = review_schema()
    schema["required"] = "decision"
    write_form(tmp_path, "bad_required", schema)
    with pytest.raises(FormSchemaInvalid, match="bad_required.json: invalid JSON"):
        forms.load("bad_required", forms_dir=tmp_path)


def test_load_raises_schema_invalid_when_another_draft_declared(tmp_path: Path) -> None:
    schema = review_schema()
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    write_form(tmp_path, "old_draft", schema)
    with pytest.raises(FormSchemaInvalid, match="2020-12"):
        forms.load("old_draft", forms_dir=tmp_path)


def test_load_accepts_schema_without_dollar_schema(tmp_path: Path) -> None:
    schema = review_schema()
    del schema["$schema"]
    write_form(tmp_path, "no_draft", schema)
    assert forms.load("no_draft", forms_dir=tmp_path).key == "no_draft"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"type": "array"}, '"type": "object"'),
        ({"properties": {}}, "non-empty"),
        ({"x-order": ["nope"]}, "unknown properties"),
        ({"x-order": ["decision", "decision"]}, "twice"),
        ({"x-order": "decision"}, "list of property names"),
        ({"x-readonly": [{"x-label": {"zh": "意见"}}]}, '"field"'),
        ({"x-readonly": {"field": "opinion"}}, "must be a list"),
    ],
)
def test_load_raises_schema_invalid_when_form_keywords_wrong(
    tmp_path: Path, change: dict[str, object], reason: str
) -> None:
    write_form(tmp_path, "odd_form", review_schema() | change)
    with pytest.raises(FormSchemaInvalid, match=reason) as info:
        forms.load("odd_form", forms_dir=tmp_path)
    assert info.value.file == "odd_form.json"


def test_load_raises_schema_invalid_when_top_level_not_object(tmp_path: Path) -> None:
    write_form(tmp_path, "a_list", [1, 2])
    with pytest.raises(FormSchemaInvalid, match="JSON object"):
        forms.load("a_list", forms_dir=tmp_path)


def test_load_raises_schema_invalid_when_widget_unknown(tmp_path: Path) -> None:
    schema = review_schema()
    schema["properties"] = {"note": {"type": "string", "x-widget": "wysiwyg"}}
    write_form(tmp_path, "odd_widget", schema | {"x-order": []})
    with pytest.raises(FormSchemaInvalid, match="note: unknown x-widget 'wysiwyg'"):
        forms.load("odd_widget", forms_dir=tmp_path)


@pytest.mark.parametrize("name", ["PayoutCsv", "../x", "1csv", 5])
def test_load_raises_schema_invalid_when_validator_name_bad(
    tmp_path: Path, name: object
) -> None:
    schema = review_schema()
    schema["properties"] = {"rows": {"type": "string", "x-validator": name}}
    write_form(tmp_path, "odd_validator", schema | {"x-order": []})
    with pytest.raises(FormSchemaInvalid, match="x-validator"):
        forms.load("odd_validator", forms_dir=tmp_path)


def test_load_reuses_cached_spec_when_file_unchanged(tmp_path: Path) -> None:
    write_form(tmp_path, "visit_review", review_schema())
    first = forms.load("visit_review", forms_dir=tmp_path)
    assert forms.load("visit_review", forms_dir=tmp_path) is first


def test_load_rereads_file_when_it_changes(tmp_path: Path) -> None:
    path = write_form(tmp_path, "visit_review", review_schema())
    first = forms.load("visit_review", forms_dir=tmp_path)
    changed = review_schema() | {"x-title": {"zh": "经理审核", "en": "Manager review"}}
    write_form(tmp_path, "visit_review", changed)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    second = forms.load("visit_review", forms_dir=tmp_path)
    assert second is not first
    assert second.title_en == "Manager review"
    assert second.version != first.version


def test_title_for_falls_back_to_other_language_then_key(tmp_path: Path) -> None:
    write_form(tmp_path, "zh_only", review_schema() | {"x-title": {"zh": "审核"}})
    write_form(tmp_path, "untitled", review_schema() | {"x-title": {}})
    zh_only = forms.load("zh_only", forms_dir=tmp_path)
    assert zh_only.title_for("en") == "审核"
    assert zh_only.title_for("zh-CN") == "审核"
    assert forms.load("untitled", forms_dir=tmp_path).title_for("en") == "untitled"


def test_default_forms_dir_is_schemas_inside_package() -> None:
    assert forms.DEFAULT_FORMS_DIR == Path(forms.__file__).resolve().parent / "schemas"


def test_exceptions_expose_structured_fields_in_repr() -> None:
    expected = "FormNotFound(form_key='x', reason='gone')"
    assert repr(FormNotFound("x", "gone")) == expected
    assert repr(FormSchemaInvalid("x.json", "bad")) == (
        "FormSchemaInvalid(file='x.json', reason='bad')"
    )


def test_form_spec_hashes_and_compares_by_content_not_schema_identity(
    tmp_path: Path,
) -> None:
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        write_form(tmp_path / sub, "visit_review", review_schema())
    first = forms.load("visit_review", forms_dir=tmp_path / "a")
    second = forms.load("visit_review", forms_dir=tmp_path / "b")
    assert first is not second
    assert first == second
    assert len({first, second}) == 1
    assert "schema" not in repr(first)
