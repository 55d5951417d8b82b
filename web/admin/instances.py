"""Admin views of running work: search, one instance's actions, migration, incidents.

Every action posts a form with a reason where one is needed; the engine checks, acts and
audits with the admin's name. Views parse, call the engine, then redirect or render.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta, timezone
from uuid import UUID

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from engine import InstanceStatus, InvalidInput, NotFound
from engine.admin_queries import InstanceFilter
from engine.errors import ScriptFailed
from web import current_engine
from web.admin._blueprint import ADMIN_EVENT_LABELS, actor, admin_engine, bp, int_arg
from web.auth import next_url
from web.errors import status_for
from web.refusals import explain

STATUSES = tuple(s.value for s in InstanceStatus)


def _day(name: str, shift: int = 0) -> datetime | None:
    raw = request.args.get(name, "").strip()
    try:
        day = date.fromisoformat(raw) if raw else None
    except ValueError:
        return None
    if day is None:
        return None
    return datetime.combine(day + timedelta(days=shift), time(), tzinfo=timezone.utc)


def search_filter() -> InstanceFilter:
    """The search form's fields as an engine filter (unknown values are ignored)."""
    args = request.args
    status = args.get("status", "")
    return InstanceFilter(
        process_id=args.get("process_id", "").strip() or None,
        version=int_arg("version"),
        status=InstanceStatus(status) if status in STATUSES else None,
        business_key=args.get("business_key", "").strip() or None,
        started_by=args.get("started_by", "").strip() or None,
        started_from=_day("started_from"),
        started_to=_day("started_to", 1),
        step=args.get("step", "").strip() or None,
    )


@bp.get("/instances")
def instances() -> str:
    """Search instances; with a process chosen, pick some to move to another version."""
    size, page = int(current_app.config["PAGE_SIZE"]), max(1, int_arg("page") or 1)
    found = admin_engine().search_instances(
        actor=actor(), where=search_filter(), limit=size + 1, offset=(page - 1) * size
    )
    return render_template(
        "admin/instances.html",
        instances=found[:size],
        page=page,
        has_next=len(found) > size,
        statuses=STATUSES,
        args=request.args.to_dict(),
    )


@bp.get("/instances/<int:instance_id>")
def instance(instance_id: int) -> str:
    """One instance with its data, open tasks, history and every admin action."""
    return render_instance(instance_id)


class ChangesRefused(ValueError):
    """The posted variables are not a JSON object; the message is the page's own."""


def render_instance(instance_id: int, error: str | None = None) -> str:
    """The instance page; after a refused action: why, above the posted input.

    Refusals of the instance's state (already suspended, finished) go back to this
    page through web/errors.py instead; these are the ones the input can fix.
    """
    who, engine = actor(), current_engine()
    info = engine.get_instance(instance_id, actor=who)
    versions = [
        v
        for v in admin_engine().list_process_versions(actor=who)
        if v.process_id == info.process_id and v.version != info.version
    ]
    return render_template(
        "admin/instance.html",
        instance=info,
        versions=versions,
        tasks=admin_engine().list_instance_tasks(instance_id, actor=who),
        history=engine.history(instance_id, actor=who),
        users=[u for u in engine.list_users(actor=who) if u.can_take_tasks],
        data_json=json.dumps(dict(info.data), ensure_ascii=False, indent=2),
        event_labels=ADMIN_EVENT_LABELS,
        error=error,
        kept=request.form if error else {},
    )


def _done(instance_id: int, message: str) -> Response:
    flash(message, "info")
    return redirect(url_for("admin.instance", instance_id=instance_id))


def _reason() -> str:
    return request.form.get("reason", "").strip()


@bp.post("/instances/<int:instance_id>/suspend")
def suspend(instance_id: int) -> Response | tuple[str, int]:
    try:
        admin_engine().suspend_instance(instance_id, reason=_reason(), actor=actor())
    except InvalidInput as exc:  # no reason: ask for one, keeping what was typed
        return render_instance(instance_id, explain(exc)), status_for(exc)
    return _done(instance_id, gettext("Instance suspended."))


@bp.post("/instances/<int:instance_id>/resume")
def resume(instance_id: int) -> Response:
    admin_engine().resume_instance(instance_id, reason=_reason(), actor=actor())
    return _done(instance_id, gettext("Instance resumed."))


@bp.post("/instances/<int:instance_id>/terminate")
def terminate(instance_id: int) -> Response | tuple[str, int]:
    try:
        current_engine().cancel_instance(instance_id, reason=_reason(), actor=actor())
    except InvalidInput as exc:
        return render_instance(instance_id, explain(exc)), status_for(exc)
    return _done(instance_id, gettext("Instance terminated."))


@bp.post("/instances/<int:instance_id>/retry")
def retry(instance_id: int) -> Response | tuple[str, int]:
    """Run an errored instance again, with corrected variables when given."""
    try:
        current_engine().retry_instance(
            instance_id, actor=actor(), data=_changes() or None
        )
    except ChangesRefused as exc:
        return render_instance(instance_id, str(exc)), 422
    except (InvalidInput, ScriptFailed) as exc:  # failed again: the page shows where
        return render_instance(instance_id, explain(exc)), status_for(exc)
    return _done(instance_id, gettext("Instance retried."))


def _changes() -> dict[str, object]:
    """The posted variables; ChangesRefused, shown on the page, when not an object."""
    try:
        changes = json.loads(request.form.get("changes", "") or "{}")
    except json.JSONDecodeError as exc:
        raise ChangesRefused(
            gettext(
                "The variables are not valid JSON: %(reason)s (line %(line)d, column "
                "%(column)d).",
                reason=exc.msg,
                line=exc.lineno,
                column=exc.colno,
            )
        ) from exc
    if not isinstance(changes, dict):
        example = '{"amount": "1200.00"}'
        raise ChangesRefused(
            gettext("The variables must be a JSON object, such as %(example)s.",
                    example=example)
        )
    return changes


@bp.post("/instances/<int:instance_id>/data")
def edit_data(instance_id: int) -> Response | tuple[str, int]:
    """Set the variables given as a JSON object; remove the ones listed."""
    remove = [k.strip() for k in request.form.get("remove", "").split(",") if k.strip()]
    try:
        admin_engine().edit_instance_data(
            instance_id, _changes(), remove=remove, reason=_reason(), actor=actor()
        )
    except ChangesRefused as exc:
        return render_instance(instance_id, str(exc)), 422
    except InvalidInput as exc:
        return render_instance(instance_id, explain(exc)), 422
    return _done(instance_id, gettext("Instance data changed."))


@bp.post("/instances/<int:instance_id>/tasks/<uuid:task_id>/assign")
def assign(instance_id: int, task_id: UUID) -> Response:
    current_engine().assign_task(
        task_id, request.form.get("assignee", ""), actor=actor()
    )
    return _done(instance_id, gettext("Task reassigned."))


@bp.post("/instances/migrate")
def migrate() -> Response | str:
    """Move the chosen instances to a version (or only check, with ``dry_run``)."""
    ids = [int(i) for i in request.form.getlist("instance_id") if i.isdigit()]
    version = int_arg("to_version")
    if not ids or version is None:
        abort(400)
    try:
        results = admin_engine().migrate_instances(
            ids, version, actor=actor(), dry_run=bool(request.form.get("dry_run"))
        )
    except (InvalidInput, NotFound) as exc:  # back to the page the move was asked on
        flash(gettext("Nothing was moved: %(reason)s", reason=explain(exc)), "error")
        return redirect(next_url(url_for("admin.instances")))
    return render_template(
        "admin/migrated.html",
        results=results,
        version=version,
        dry_run=bool(request.form.get("dry_run")),
    )


@bp.get("/incidents")
def incidents() -> str:
    """Instances stopped by an error, and background jobs that kept failing."""
    who = actor()
    return render_template(
        "admin/incidents.html",
        incidents=admin_engine().list_incidents(actor=who),
        jobs=current_engine().list_jobs(actor=who, failed_only=True),
    )


@bp.post("/jobs/<int:job_id>/retry")
def retry_job(job_id: int) -> Response:
    current_engine().retry_job(job_id, actor=actor())
    flash(gettext("Job queued again."), "info")
    return redirect(url_for("admin.incidents"))
