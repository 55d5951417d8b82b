"""Posted HTML forms: submitted values, the version seen, errors in the UI language.

Validation itself happens in the engine (engine.complete_task / start_instance), which
raises InvalidSubmission with messages in English and Chinese.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from flask import g, request

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
    """Return the live form the engine validates against (None: no form).

    Asked once per key and request: a task page also labels each earlier decision.
    """
    if not form_key:
        return None
    loaded: dict[str, forms.FormSpec] = g.setdefault("live_forms", {})
    if form_key not in loaded:
        loaded[form_key] = current_engine().live_form(form_key)
    return loaded[form_key]


def load_form_version(form_key: str, version: str) -> forms.FormSpec:
    """Return the form as it was at ``version`` (sha256), once per request."""
    loaded: dict[tuple[str, str], forms.FormSpec] = g.setdefault("form_versions", {})
    if (form_key, version) not in loaded:
        loaded[(form_key, version)] = current_engine().form_version(form_key, version)
    return loaded[(form_key, version)]
