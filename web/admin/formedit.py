"""Admin form editor: JSON on the left, the form as staff will see it on the right.

The preview is rendered here, by the same forms library and field macro as the task
page, so what the admin sees is what approvers get. The engine stores a deployed form
in the database, where every process sees it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

import forms
from engine import ConcurrentUpdate, DefinitionInvalid, NotFound
from engine.errors import DraftExists
from forms.spec import parse as parse_form
from web.admin._blueprint import (
    actor,
    admin_engine,
    bp,
    conflict_json,
    conflict_view,
    json_error,
)
from web.i18n import current_language
from web.templating import format_when

FORM_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")
NEW_FORM = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "x-title": {"zh": "", "en": ""},
    "required": ["opinion"],
    "properties": {
        "opinion": {
            "type": "string",
            "x-widget": "textarea",
            "x-label": {"zh": "意见", "en": "Opinion"},
        }
    },
}


def _key(key: str) -> str:
    if not key or not key[0].isalpha() or not set(key) <= FORM_KEY_CHARS:
        abort(404)
    return key


@bp.get("/forms/new")
def new_form() -> Response:
    """Open the editor for a form key typed on the definitions page."""
    return redirect(url_for("admin.form_editor", key=_key(request.args.get("key", ""))))


@bp.get("/forms/<key>")
def form_editor(key: str) -> str:
    """Open a form's draft, its live version, or (for a new key) a starting point."""
    draft = admin_engine().find_draft("form", _key(key), actor=actor())
    if draft is not None:
        source = draft.text
    else:
        try:
            source = admin_engine().get_form_source(key, actor=actor()).decode("utf-8")
        except NotFound:
            source = json.dumps(NEW_FORM, ensure_ascii=False, indent=2)
    return render_form_editor(
        key, source, draft_version=draft.row_version if draft else None
    )


def render_form_editor(
    key: str,
    source: str,
    *,
    draft_version: int | None = None,
    error: str | None = None,
    conflict: Mapping[str, object] | None = None,
) -> str:
    """The editor page; the preview comes from the same renderer as ``preview``."""
    return render_template(
        "admin/edit_form.html",
        key=key,
        source=source,
        error=error,
        preview=_preview(key, source),
        draft_version=draft_version,
        conflict=conflict,
    )


@bp.post("/forms/<key>/preview")
def form_preview(key: str) -> str | tuple[str, int]:
    """The posted JSON rendered as the task page would render it (an HTML fragment)."""
    body = request.get_json(silent=True) or {}
    source = body.get("source")
    if not isinstance(source, str):
        abort(400)
    return render_template(
        "admin/_form_preview.html", preview=_preview(_key(key), source)
    )


def _preview(key: str, source: str) -> dict[str, object]:
    try:
        spec = parse_form(key, source.encode("utf-8"), file=f"{key}.json")
    except forms.FormSchemaInvalid as exc:
        return {"error": exc.reason, "fields": [], "title": ""}
    lang = current_language()
    return {
        "error": None,
        "title": spec.title_for(lang),
        "fields": forms.fields(spec, {}, lang=lang),
    }


@bp.post("/forms/<key>/draft")
def form_draft(key: str) -> Response | tuple[Response, int]:
    """Keep the editor's JSON as the form's draft (over a newer one only if asked)."""
    body = request.get_json(silent=True) or {}
    if not isinstance(body.get("source"), str):
        return json_error("source is required", 400)
    expected = body.get("expected_version")
    opened_draft = isinstance(expected, int)  # else the editor opened the live form
    try:
        draft = admin_engine().save_draft(
            "form",
            _key(key),
            body["source"].encode("utf-8"),
            actor=actor(),
            expected_version=expected if opened_draft else None,
            replace=opened_draft,
            overwrite=body.get("replace") is True,  # "save mine over it", after a 409
        )
    except DraftExists as exc:
        return conflict_json(exc, body["source"])
    except ConcurrentUpdate as exc:  # two saves at the very same moment
        return json_error(exc.message, 409)
    return jsonify({"row_version": draft.row_version, "saved_by": draft.saved_by})


@bp.post("/forms/<key>/deploy")
def form_deploy(key: str) -> Response | tuple[str, int]:
    """Deploy the form when it loads; otherwise show why, keeping the admin's text."""
    source = request.form.get("source", "")
    opened = request.form.get("draft_version", "")
    try:
        admin_engine().deploy_form(
            _key(key),
            source.encode("utf-8"),
            actor=actor(),
            comment=request.form.get("comment", "").strip(),
            guard_draft=True,
            draft_version=int(opened) if opened.isdigit() else None,
        )
    except DefinitionInvalid as exc:
        return render_form_editor(key, source, error=exc.reason), 422
    except DraftExists as exc:  # their draft stays; this page keeps the admin's JSON
        message = gettext(
            "%(user)s saved a draft of this form on %(when)s, after this page was "
            "opened, so nothing was deployed. Your JSON is still here: deploy again to "
            "replace their draft with it, or open the form again to see theirs.",
            user=exc.saved_by, when=format_when(exc.saved_at))
        return render_form_editor(
            key, source, error=message, draft_version=exc.row_version,
            conflict=conflict_view(exc, source)), 409
    flash(gettext("Deployed form %(key)s.", key=key), "info")
    return redirect(url_for("admin.index"))
