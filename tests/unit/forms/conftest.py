"""Shared fixtures for the forms tests: form files written under tmp_path."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

import forms
from forms import FormSpec

DRAFT = "https://json-schema.org/draft/2020-12/schema"


@pytest.fixture
def make_spec(tmp_path: Path) -> Callable[..., FormSpec]:
    """Return a factory writing tmp_path/test_form.json and loading it."""

    def make(properties: Mapping[str, object], **extra: object) -> FormSpec:
        schema = {"$schema": DRAFT, "type": "object", "properties": properties}
        path = tmp_path / "test_form.json"
        text = json.dumps(schema | extra, ensure_ascii=False)
        path.write_text(text, encoding="utf-8")
        return forms.load("test_form", forms_dir=tmp_path)

    return make
