"""Blueprint "tasks": the task page with its form, submit, claim, unclaim and reassign.

Forms are rendered from forms/ definitions; the engine validates what is submitted and
decides who may do what. A lost race re-shows the user's input instead of dropping it.
"""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

import forms
from engine import Actor, InstanceStatus, TaskDetail, TaskInfo, TaskState
from engine.errors import (
    ConcurrentUpdate,
    InstanceNotRunnable,
    InvalidSubmission,
    NotAuthorized,
    NotFound,
    ScriptFailed,
    TaskNotReady,
)
from web import current_engine
from web.auth import can_assign, current_actor, login_required, next_url
from web.decisions import earlier_decisions, known_fields
from web.errors import refuse
from web.i18n import current_language
from web.people import display_name
from web.refusals import explain, instance_refusal
from web.submission import errors_in, expected_version, load_form, submitted_values

bp = Blueprint("tasks", __name__, url_prefix="/tasks")


@bp.get("/<uuid:task_id>")
@login_required
def show(task_id: UUID) -> str:
    """Show the task: instructions, earlier decisions, and its form."""
    detail = current_engine().get_task(task_id, actor=current_actor())
    return render_task(detail, values=detail.data)


@bp.post("/<uuid:task_id>")
@login_required
def submit(task_id: UUID) -> Response | tuple[str, int]:
    """Complete the task with the posted form; re-show it on errors or a lost race."""
    actor, engine, values = current_actor(), current_engine(), submitted_values()
    try:
        detail = engine.get_task(task_id, actor=actor)
        engine.complete_task(
            task_id, values, actor=actor, expected_version=expected_version()
        )
    except InvalidSubmission as exc:
        return render_task(detail, values=values, error=exc), 422
    except (TaskNotReady, ConcurrentUpdate, NotAuthorized) as exc:
        # Completed or claimed since the form was shown (by a colleague, or by this
        # user in another tab), or the request moved on: keep the input, say which.
        fresh = _reread(task_id, actor) or detail
        conflict = conflict_of(fresh.task, refused=isinstance(exc, NotAuthorized))
        return render_task(fresh, values=values, conflict=conflict), 409
    except InstanceNotRunnable as exc:  # suspended or stopped: keep the input, say so
        return render_task(detail, values=values, refusal=explain(exc)), 409
    except NotFound:
        return render_template("tasks/gone.html", values=values), 404
    except ScriptFailed as exc:  # the submission is kept for the administrator's retry
        return refuse(exc, url_for("instances.show", instance_id=exc.instance_id))
    flash(
        gettext("Done: %(title)s", title=detail.task.label(current_language())),
        "success",
    )
    return redirect(url_for("inbox.index"))


@bp.post("/<uuid:task_id>/claim")
@login_required
def claim(task_id: UUID) -> Response:
    """Take an unclaimed task of one of my groups."""
    task = current_engine().claim_task(task_id, actor=current_actor())
    flash(
        gettext("Claimed: %(title)s", title=task.label(current_language())), "success"
    )
    return redirect(next_url(url_for("tasks.show", task_id=task.id)))


@bp.post("/<uuid:task_id>/unclaim")
@login_required
def unclaim(task_id: UUID) -> Response:
    """Give a claimed task back to its group."""
    task = current_engine().unclaim_task(task_id, actor=current_actor())
    flash(gettext("Released: %(title)s", title=task.label(current_language())), "info")
    return redirect(next_url())


@bp.post("/<uuid:task_id>/assign")
@login_required
def assign(task_id: UUID) -> Response:
    """Hand a task to a named colleague (managers and administrators)."""
    assignee = request.form.get("assignee", "").strip()
    task = current_engine().assign_task(task_id, assignee, actor=current_actor())
    message = gettext(
        "%(title)s is now assigned to %(user)s",
        title=task.label(current_language()),
        user=display_name(task.assignee),
    )
    flash(message, "success")
    return redirect(next_url())


def _reread(task_id: UUID, actor: Actor) -> TaskDetail | None:
    """The task as it is now (None when it is no longer visible to ``actor``)."""
    try:
        return current_engine().get_task(task_id, actor=actor)
    except NotFound:
        return None


def conflict_of(task: TaskInfo, *, refused: bool = False) -> str:
    """Say why a submission lost: who finished or holds the task, or a newer state.

    "yours" (done in another tab), "done" (by someone else), "claimed" (a colleague
    holds it), "closed" (cancelled, or no longer the user's to do), "changed" (still
    open for the user: the request moved on since the form was shown).
    """
    me = current_actor().username
    if task.state is not TaskState.READY:
        if task.completed_by == me:
            return "yours"
        return "done" if task.completed_by else "closed"
    if task.assignee not in (None, me):
        return "claimed"
    return "closed" if refused else "changed"


def render_task(
    detail: TaskDetail,
    *,
    values: Mapping[str, object],
    error: InvalidSubmission | None = None,
    conflict: str = "",
    refusal: str = "",
) -> str:
    """Render tasks/show.html for ``detail`` with the given field values and errors.

    ``refusal`` says why a submission was not taken when no ``conflict`` code does.
    While the request is suspended or stopped the form stays closed and says why (the
    engine says so before it says that a page was stale).
    """
    lang, task, actor = current_language(), detail.task, current_actor()
    spec = load_form(task.form_key)
    errors = errors_in(error, lang) if error else {}
    known = known_fields(detail.history, spec)
    waiting = waiting_reason(detail)
    return render_template(
        "tasks/show.html",
        detail=detail,
        task=task,
        spec=spec,
        fields=forms.fields(spec, values, lang=lang, errors=errors) if spec else [],
        readonly=(
            forms.readonly_fields(spec, detail.data, lang=lang, known=known)
            if spec
            else []
        ),
        decisions=earlier_decisions(detail.history, lang, known),
        general_errors=forms.general_errors(spec, errors) if spec else [],
        instructions=(
            detail.instructions_en
            if lang == "en" and detail.instructions_en
            else detail.instructions
        ),
        conflict=conflict or ("refused" if refusal else ""),
        refusal=refusal,
        waiting=waiting,
        is_open=task.state is TaskState.READY
        and conflict in ("", "changed")
        and not (refusal or waiting)
        and task.assignee in (None, actor.username),
        can_assign=can_assign(actor),
    )


def waiting_reason(detail: TaskDetail) -> str:
    """Why an open task cannot be worked on now ("" while its request runs)."""
    status = detail.instance_status
    if status is None or status is InstanceStatus.RUNNING:
        return ""
    if detail.task.state is not TaskState.READY:
        return ""
    return instance_refusal(detail.task.instance_id, status.value, "complete")
