"""Blueprint "auditor": the read-only auditor workspace over the engine's audit API.

Search with keyset paging, instance timelines, canned reports, streamed exports and
chain verification. Who may see it (auditors and admins) is decided by the engine; a
refusal arrives as NotAuthorized and becomes a 403 in web/errors.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import gettext, lazy_gettext

from engine.audit_records import AuditFilter
from web import current_engine
from web.auth import current_actor, login_required
import forms
from web.decisions import declared_variables, form_recorded, form_rows, known_fields
from web.errors import render_error
from web.i18n import current_language
from web.templating import OUTCOME_LABELS

bp = Blueprint("auditor", __name__, url_prefix="/auditor")

PAGE_SIZE = 50
# Whole Content-Type values: Flask appends a charset to a text/* mimetype by itself, so
# one given in the mimetype was sent twice.
EXPORTS = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson; charset=utf-8",
}
FIELDS = ("process", "instance", "key", "user", "type", "since", "until")
DAY_FIELDS = ("since", "until")


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """The search form as read, defensively, from the query string."""

    values: Mapping[str, str]
    types: tuple[str, ...]
    days: Mapping[str, date | None]
    errors: Mapping[str, str]  # field name -> what is wrong with it

    @classmethod
    def from_args(cls, args: Mapping[str, str], types: list[str]) -> AuditQuery:
        values = read_fields(args, FIELDS)
        days, errors = read_days(values)
        return cls(
            values=values,
            types=tuple(t[:64] for t in types if t)[:20],
            days=days,
            errors=errors,
        )

    @property
    def instance_id(self) -> int | None:
        instance = self.values["instance"]
        return int(instance) if instance.isascii() and instance.isdigit() else None

    def to_filter(self) -> AuditFilter:
        return AuditFilter(
            process_id=self.values["process"] or None,
            instance_id=self.instance_id,
            business_key=self.values["key"] or None,
            user=self.values["user"] or None,
            event_types=self.types,
            since=self.days["since"],
            until=self.days["until"],
        )

    def args(self, **extra: str) -> dict[str, Any]:
        """The query string of this search (for paging and export links)."""
        kept: dict[str, Any] = {k: v for k, v in self.values.items() if v}
        if self.types:
            kept["type"] = list(self.types)
        return {**kept, **extra}

    def file_name(self, fmt: str) -> str:
        """A download name saying what the export holds: signoff-audit-<from>-<to>."""
        parts = ["signoff-audit"]
        if self.instance_id is not None:
            parts.append(f"instance-{self.instance_id}")
        since, until = self.days["since"], self.days["until"]
        if since or until:
            parts.append(since.isoformat() if since else "start")
            parts.append(until.isoformat() if until else "now")
        else:
            parts.append("all")
        return f"{'-'.join(parts)}.{fmt}"


def read_fields(args: Mapping[str, str], names: tuple[str, ...]) -> dict[str, str]:
    """Form fields as read, defensively, from the query string."""
    return {name: str(args.get(name, "")).strip()[:128] for name in names}


def read_days(
    values: Mapping[str, str],
) -> tuple[dict[str, date | None], dict[str, str]]:
    """The From/To fields as office days (the engine counts them in its time zone),
    and a message for each field that is not a date."""
    days: dict[str, date | None] = {}
    errors: dict[str, str] = {}
    for name in DAY_FIELDS:
        text = values.get(name, "")
        try:
            days[name] = date.fromisoformat(text) if text else None
        except ValueError:
            days[name] = None
            errors[name] = gettext(
                "%(value)s is not a date: write it as YYYY-MM-DD, e.g. 2026-11-23.",
                value=text,
            )
    since, until = days["since"], days["until"]
    if since and until and since > until:
        errors["until"] = gettext("The end date is before the start date.")
    return days, errors


def _query() -> AuditQuery:
    return AuditQuery.from_args(request.args, request.args.getlist("type"))


@bp.get("/")
@login_required
def search() -> tuple[str, int]:
    """Search form and one page of results; ``cursor`` pages on, at any depth."""
    query = _query()
    if query.errors:
        return _search_page(query, page=None), 400
    page = current_engine().search_audit(
        query.to_filter(),
        actor=current_actor(),
        cursor=request.args.get("cursor") or None,
        limit=PAGE_SIZE,
    )
    next_url = None
    if page.next_cursor:
        next_url = url_for(".search", **query.args(cursor=page.next_cursor))
    return _search_page(query, page=page, next_url=next_url), 200


def _search_page(query: AuditQuery, **context: Any) -> str:
    return render_template(
        "auditor/search.html", query=query, exports=EXPORTS, **context
    )


@bp.get("/export.<fmt>")
@login_required
def export(fmt: str) -> Response:
    """Stream the current search as CSV or JSON Lines, however large (times in UTC)."""
    query = _query()
    if query.errors:
        return Response(render_error(400, " ".join(query.errors.values())), 400)
    chunks = current_engine().export_audit(
        query.to_filter(), fmt=fmt, actor=current_actor()
    )
    headers = {
        "Content-Disposition": f'attachment; filename="{query.file_name(fmt)}"'
    }
    return Response(
        chunks, content_type=EXPORTS.get(fmt, "text/plain"), headers=headers
    )


@bp.get("/instances/<int:instance_id>")
@login_required
def timeline(instance_id: int) -> str:
    """Each step of one instance: who, when, how long, what changed, deadlines."""
    steps = current_engine().instance_timeline(instance_id, actor=current_actor())
    # Changed fields read with the labels of the forms they were entered on, and what
    # scripts set with the labels the process declares for it.
    recorded = [form_recorded(step.details) for step in steps.steps]
    declared = declared_variables(steps.process_id, steps.version)
    known = known_fields((), *recorded, variables=declared)
    lang = current_language()

    def field_label(key: str) -> str:
        return forms.label_for(key, known.get(key), lang)

    def field_value(key: str, value: object) -> forms.Node:
        return forms.view(value, known.get(key), lang=lang, known=known)

    return render_template(
        "auditor/timeline.html",
        timeline=steps,
        state_labels=STATE_LABELS,
        field_label=field_label,
        field_value=field_value,
    )


@bp.get("/events/<int:event_id>/form")
@login_required
def submitted_form(event_id: int) -> str:
    """A task completion on the form version the person saw, with the data they sent."""
    shown = current_engine().submitted_form(event_id, actor=current_actor())
    lang = current_language()
    return render_template(
        "auditor/submitted_form.html",
        shown=shown,
        rows=form_rows(shown.form, shown.data, lang, filled_only=False),
        extra={k: v for k, v in shown.data.items() if k not in shown.form.properties},
    )


@bp.get("/instances/<int:instance_id>/record.json")
@login_required
def record(instance_id: int) -> Response:
    """Download the instance's verifiable record (``signoff audit verify --file``)."""
    data = current_engine().export_instance_record(instance_id, actor=current_actor())
    name = f"instance-{instance_id}-audit-record.json"
    return Response(
        data,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# Report column headings; the engine names columns, the page speaks the reader's language.
COLUMN_LABELS = {
    "approver": lazy_gettext("Approver"),
    "tasks_completed": lazy_gettext("Tasks completed"),
    "decisions": lazy_gettext("Decisions"),
    "approved": lazy_gettext("Approved"),
    "returned": lazy_gettext("Returned"),
    "rejected": lazy_gettext("Rejected"),
    "other": lazy_gettext("Other"),
    "at": lazy_gettext("When"),
    "instance_id": lazy_gettext("Request"),
    "business_key": lazy_gettext("Business key"),
    "process_id": lazy_gettext("Process"),
    "step": lazy_gettext("Step"),
    "decision": lazy_gettext("Decision"),
    "due_at": lazy_gettext("Due"),
    "closed_at": lazy_gettext("Closed"),
    "closed_by": lazy_gettext("Closed by"),
    "outcome": lazy_gettext("Outcome"),
    "hours_late": lazy_gettext("Hours late"),
    "month": lazy_gettext("Month"),
    "branch": lazy_gettext("Branch"),
    "status": lazy_gettext("Status"),
    "instances": lazy_gettext("Requests"),
    "station_rewards": lazy_gettext("Station rewards"),
    "branch_rewards": lazy_gettext("Branch rewards"),
    "total": lazy_gettext("Total"),
    "satisfaction": lazy_gettext("Satisfaction"),
    "complaints": lazy_gettext("Complaints"),
}


# How a reported instance stands and ended (the status and outcome columns).
STATE_LABELS = {
    "open": lazy_gettext("In progress"),
    "completed": lazy_gettext("Completed"),
    "cancelled": lazy_gettext("Cancelled"),
    "failed": lazy_gettext("Error"),
    **OUTCOME_LABELS,
    "none": lazy_gettext("None named"),
    "unrecorded": lazy_gettext("Not recorded (finished before outcomes were kept)"),
    # How an overdue step was closed (its outcome column names the closing event).
    "task_completed": lazy_gettext("Step completed"),
    "task_cancelled": lazy_gettext("Step cancelled"),
}
STATE_COLUMNS = frozenset({"status", "outcome"})
# Columns naming a user: shown by name, the user name on hover, as everywhere else.
PERSON_COLUMNS = frozenset({"approver", "closed_by"})


@bp.get("/reports")
@login_required
def reports() -> tuple[str, int]:
    """The canned reports, or one of them over optional office days and a process."""
    engine, actor = current_engine(), current_actor()
    name = request.args.get("name", "")
    values = read_fields(request.args, ("since", "until", "process"))
    days, errors = read_days(values)
    report = None
    if name and not errors:
        report = engine.audit_report(
            name,
            actor=actor,
            since=days["since"],
            until=days["until"],
            process_id=values["process"] or None,
        )
    page = render_template(
        "auditor/reports.html",
        reports=engine.list_audit_reports(actor=actor),
        report=report,
        values=values,
        column_labels=COLUMN_LABELS,
        state_labels=STATE_LABELS,
        state_columns=STATE_COLUMNS,
        person_columns=PERSON_COLUMNS,
        errors=errors,
    )
    return page, 400 if errors else 200


@bp.post("/verify")
@login_required
def verify() -> str:
    """Walk the whole hash chain now and show the result (or the first broken event)."""
    result = current_engine().verify_audit_chain(actor=current_actor())
    return render_template("auditor/verify.html", result=result)
