"""Posted HTML forms: submitted values, the version seen, errors in the UI language.

Validation itself happens in the engine (engine.complete_task / start_instance), which
raises InvalidSubmission with messages in English and Chinese.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from flask import request

import forms
from engine.errors import InvalidSubmission
from web import current_engine

# Posted keys that belong to the page, not to the task's form.
PAGE_KEYS = frozenset({"csrf_token", "_expected_version", "next"})


def submitted_values() -> dict[str, object]:
    """Return the posted form fields (lists for repeated keys), without page keys."""
    posted = request.form.to_dict(flat=False)
    return {
        name: values if len(values) > 1 else values[0]
        for name, values in posted.items()
        if name not in PAGE_KEYS
    }


def expected_version() -> int | None:
    """Return the instance version the form was rendered from, when it was posted."""
    raw = request.form.get("_expected_version", "")
    return int(raw) if raw.isdigit() else None


def errors_in(error: InvalidSubmission, lang: str) -> Mapping[str, Sequence[str]]:
    """Return the submission's field errors in ``lang``."""
    return error.errors_zh if lang == "zh" and error.errors_zh else error.errors


def load_form(form_key: str | None) -> forms.FormSpec | None:
    """Load a form from the directory the engine validates against (None: no form)."""
    if not form_key:
        return None
    forms_dir: Path | None = current_engine().forms_dir
    return forms.load(form_key, forms_dir=forms_dir)
