"""Blueprint "start": the processes I may start, and starting one (with its start form).

Which processes a user may start is decided by the engine from the start event's lane.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

import forms
from engine import ProcessInfo
from engine.errors import InvalidSubmission, ScriptFailed
from web import current_engine
from web.auth import current_actor, login_required
from web.errors import refuse
from web.i18n import current_language
from web.submission import errors_in, load_form, submitted_values

bp = Blueprint("start", __name__, url_prefix="/start")


@bp.get("/")
@login_required
def index() -> str:
    """List the processes the current user may start, with their descriptions."""
    processes = current_engine().list_startable(current_actor())
    return render_template("start/index.html", processes=processes)


@bp.get("/<process_id>")
@login_required
def show(process_id: str) -> str:
    """Show the start form of one process (or a confirmation when it has none)."""
    return render_start(startable(process_id), values={})


@bp.post("/<process_id>")
@login_required
def submit(process_id: str) -> Response | tuple[str, int]:
    """Start the process with the posted start form and go to the new instance."""
    process, values = startable(process_id), submitted_values()
    try:
        instance = current_engine().start_instance(
            process.process_id, values, actor=current_actor()
        )
    except InvalidSubmission as exc:
        return render_start(process, values=values, error=exc), 422
    except ScriptFailed as exc:  # started, then stopped at a script: show the request
        return refuse(exc, url_for("instances.show", instance_id=exc.instance_id))
    label = process.label(current_language())
    flash(gettext("Started: %(name)s #%(id)d", name=label, id=instance.id), "success")
    return redirect(url_for("instances.show", instance_id=instance.id))


def startable(process_id: str) -> ProcessInfo:
    """Return the process when the current user may start it, else answer 404."""
    for process in current_engine().list_startable(current_actor()):
        if process.process_id == process_id:
            return process
    abort(404)


def render_start(
    process: ProcessInfo,
    *,
    values: Mapping[str, object],
    error: InvalidSubmission | None = None,
) -> str:
    """Render start/show.html with the start form's fields, values and errors."""
    lang = current_language()
    errors = errors_in(error, lang) if error else {}
    spec = load_form(process.start_form_key)
    return render_template(
        "start/show.html",
        process=process,
        spec=spec,
        fields=forms.fields(spec, values, lang=lang, errors=errors) if spec else [],
        general_errors=forms.general_errors(spec, errors) if spec else [],
    )
