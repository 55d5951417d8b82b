"""Admin BPMN and DMN editors: the page, save draft, check, deploy, discard, changes.

The modelers run in the browser (vendored bpmn-js and dmn-js); this module only moves
XML between them and the engine, which saves drafts, checks and deploys.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from flask_babel.speaklater import LazyString
from werkzeug.wrappers import Response

from engine import (
    ConcurrentUpdate,
    DefinitionInfo,
    DefinitionInvalid,
    NotFound,
    Outcome,
    support,
    xmlsafe,
)
from engine.admin_records import DefinitionProblem
from engine.errors import DraftExists, TextDamaged
from web import current_engine
from web.admin._blueprint import (
    actor,
    admin_engine,
    bp,
    conflict_json,
    damaged_message,
    json_error,
    problems_json,
)

KINDS = ("bpmn", "dmn")
# What the panel says about a value the deploy would refuse (engine/support.py checks).
PROPERTY_HINTS: Mapping[str, LazyString] = {
    "dueIn": lazy_gettext(
        "Write an ISO 8601 duration such as P3D or PT4H, or working days such as P3WD."
    ),
    "dueInWorkingDays": lazy_gettext(
        "Write a whole number of working days, such as 3."
    ),
    "dueBy": lazy_gettext(
        "Write “day 12 of the month” (optionally with a time such as 17:00) or a date "
        "such as 2026-11-30."
    ),
    "remindBefore": lazy_gettext("Write an ISO 8601 duration such as P1D."),
    "escalation": lazy_gettext("Write notify:<group> or reassign:<group>."),
    "priority": lazy_gettext(
        "Write a whole number from 0 to %(max)d; tasks with a higher number come "
        "first in the inbox.",
        max=support.MAX_PRIORITY,
    ),
    "assignTo": lazy_gettext(
        "Only “starter” (the person who started the request) can be given here."
    ),
    "assignToVariable": lazy_gettext(
        "Name the variable, or a key of it after a dot (such as "
        "station_to_confirm.maintainer_account), that holds the user name."
    ),
    "visibleData": lazy_gettext(
        "List the variables or keys (such as a.b) this step shows, separated by commas."
    ),
    "visibleSteps": lazy_gettext(
        "List the ids of the earlier steps whose decisions this step shows, separated "
        "by commas."
    ),
    "aboutVariable": lazy_gettext(
        "Name the variable, or a key of it after a dot (such as "
        "station_to_confirm.station_id), that says what the task is about."
    ),
    "subject": lazy_gettext(
        "This template does not parse: write text with {{ variable }} placeholders, "
        "as in the instructions."
    ),
}


def _kind(kind: str) -> str:
    if kind not in KINDS:
        abort(404)
    return kind


@bp.get("/edit/<kind>/<def_id>")
def editor(kind: str, def_id: str) -> str:
    """Open the draft, or else the live version, in the modeler."""
    return render_editor(_kind(kind), def_id, _draft_problems(kind, def_id))


def _draft_problems(kind: str, def_id: str) -> list[DefinitionProblem]:
    try:
        return admin_engine().check_draft(kind, def_id, actor=actor())
    except NotFound:
        return []


def render_editor(kind: str, def_id: str, problems: list[DefinitionProblem]) -> str:
    """The editor page with everything its script needs in one JSON block."""
    who, engine = actor(), admin_engine()
    draft = engine.find_draft(kind, def_id, actor=who)
    live = _live(kind, def_id)
    if draft is None and live is None:
        abort(404)
    source = (
        draft.text
        if draft
        else xmlsafe.text(
            f"{def_id}.{kind}",
            current_engine().get_definition_source(def_id, kind=kind, actor=who),
        )
    )
    return render_template(
        f"admin/edit_{kind}.html",
        kind=kind,
        def_id=def_id,
        draft=draft,
        live=live,
        problems=problems,
        editor=_editor_data(kind, def_id, source, draft, problems),
    )


def _live(kind: str, def_id: str) -> DefinitionInfo | None:
    """The newest deployed version of the definition, if any."""
    live = [
        d
        for d in current_engine().list_definitions(actor=actor())
        if d.kind == kind and d.def_id == def_id
    ]
    return live[-1] if live else None


def _editor_data(
    kind: str, def_id: str, source: str, draft: Any, problems: list[DefinitionProblem]
) -> Mapping[str, object]:
    who, engine = actor(), current_engine()
    known = engine.list_definitions(actor=who)
    return {
        "kind": kind,
        "def_id": def_id,
        "xml": source,
        "draft_version": draft.row_version if draft else None,
        "problems": problems_json(problems),
        "groups": [g.name for g in engine.list_groups()],
        "forms": [f.key for f in admin_engine().list_forms(actor=who)],
        "decisions": sorted({d.def_id for d in known if d.kind == "dmn"}),
        "processes": sorted({d.def_id for d in known if d.kind == "bpmn"}),
        "outcomes": [outcome.value for outcome in Outcome],
        "checked_properties": list(support.CHECKED_PROPERTIES),
        "urls": {
            **{
                name: url_for(f"admin.{name}_draft", kind=kind, def_id=def_id)
                for name in ("save", "check")
            },
            "property": url_for("admin.check_property"),
        },
    }


@bp.post("/edit/<kind>/<def_id>/draft")
def save_draft(kind: str, def_id: str) -> Response | tuple[Response, int]:
    """Keep the editor's XML as the shared draft (JSON in, JSON out)."""
    body = request.get_json(silent=True) or {}
    if not isinstance(body.get("source"), str):
        return json_error("source is required", 400)
    expected = body.get("expected_version")
    opened_draft = isinstance(expected, int)  # else the editor opened the live version
    try:
        draft = admin_engine().save_draft(
            _kind(kind),
            def_id,
            xmlsafe.to_utf8(body["source"]),
            actor=actor(),
            comment=str(body.get("comment") or ""),
            expected_version=expected if opened_draft else None,
            replace=opened_draft,
            overwrite=body.get("replace") is True,  # asked for after a 409
        )
    except TextDamaged as exc:
        return json_error(damaged_message(exc), 400)
    except DraftExists as exc:
        return conflict_json(exc, body["source"])
    except ConcurrentUpdate as exc:  # two saves at the very same moment
        return json_error(exc.message, 409)
    # The status line above the editor now names this draft, as a reload would.
    state = render_template(
        "admin/_draft_state.html", draft=draft, live=_live(kind, def_id)
    )
    return jsonify(
        {
            "row_version": draft.row_version,
            "saved_by": draft.saved_by,
            "draft_state": state,
        }
    )


@bp.post("/edit/<kind>/<def_id>/check")
def check_draft(kind: str, def_id: str) -> Response | tuple[Response, int]:
    """Every problem the deploy checks find in the editor's XML, tied to elements."""
    body = request.get_json(silent=True) or {}
    if not isinstance(body.get("source"), str):
        return json_error("source is required", 400)
    files = {f"{def_id}.{_kind(kind)}": xmlsafe.to_utf8(body["source"])}
    problems = admin_engine().check_definition(files, actor=actor())
    return jsonify({"problems": problems_json(problems)})


@bp.post("/properties/check")
def check_property() -> Response | tuple[Response, int]:
    """Whether the deploy would accept a task property's value, as the panel asks."""
    body = request.get_json(silent=True) or {}
    name, value = body.get("name"), body.get("value")
    if name not in support.CHECKED_PROPERTIES or not isinstance(value, str):
        known = ", ".join(support.CHECKED_PROPERTIES)
        return json_error(f"name must be one of {known}, and value a string", 400)
    valid = support.property_problem(name, value) is None
    message = None if valid else str(PROPERTY_HINTS[name])
    return jsonify({"name": name, "valid": valid, "message": message})


@bp.post("/edit/<kind>/<def_id>/deploy")
def deploy(kind: str, def_id: str) -> Response | tuple[str, int]:
    """Deploy the saved draft when it is clean; otherwise show its problems."""
    engine, who = admin_engine(), actor()
    problems = engine.check_draft(_kind(kind), def_id, actor=who)
    if problems:
        return render_editor(kind, def_id, problems), 422
    try:
        infos = engine.deploy_draft(
            kind, def_id, actor=who, comment=request.form.get("comment", "").strip()
        )
    except DefinitionInvalid as exc:
        return render_editor(kind, def_id, _problems_of(exc)), 422
    flash(
        gettext(
            "Deployed %(id)s version %(version)d.",
            id=def_id,
            version=infos[0].version if infos else 0,
        ),
        "info",
    )
    return redirect(url_for("admin.index"))


def _problems_of(error: DefinitionInvalid) -> list[DefinitionProblem]:
    return [
        DefinitionProblem(
            e.file, e.line, e.bpmn_id, e.reason, property_name=e.property_name
        )
        for e in error.problems
    ]


@bp.post("/edit/<kind>/<def_id>/discard")
def discard(kind: str, def_id: str) -> Response:
    """Throw the draft away; the live version stays as it is."""
    admin_engine().discard_draft(_kind(kind), def_id, actor=actor())
    flash(gettext("Draft discarded."), "info")
    return redirect(url_for("admin.index"))
