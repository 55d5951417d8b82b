"""Blueprint "api": JSON for integrations: inbox, tasks, starts, instances, messages.

The routes are listed in the README's "JSON API" section. Authenticated by the session or HTTP Basic (engine.authenticate);
CSRF-exempt, so state-changing calls must send ``Content-Type: application/json``,
which a cross-site HTML form cannot. Errors are JSON (web/errors.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from flask import Blueprint, Response, abort, g, jsonify, request

from web import current_engine
from web.auth import current_actor
from web.errors import error_json

bp = Blueprint("api", __name__, url_prefix="/api")
MAX_PAGE = 200


@bp.before_request
def authenticate() -> Response | None:
    """Use HTTP Basic credentials when sent, else the session; 401 without either."""
    auth = request.authorization
    if auth is not None and auth.type == "basic":
        username, password = auth.parameters.get("username"), auth.parameters.get(
            "password"
        )
        g.actor = current_engine().authenticate(username or "", password or "")
    if g.get("actor") is None:
        response = error_json(
            401, "authentication_required", "sign in or send Basic auth"
        )
        response.status_code = 401
        return response
    return None


@bp.get("/tasks")
def list_tasks() -> Response:
    """Return one page of the inbox (README, JSON API, for the query string).

    Each task names who started its request (``started_by``, ``started_by_name``) and
    its request's ``instance_status``; those of a suspended or errored request come last.
    """
    args = request.args
    tasks = current_engine().inbox(
        current_actor(),
        scope=args.get("scope", "mine"),
        process_id=args.get("process_id") or None,
        overdue_only=args.get("overdue_only") == "true",
        sort=args.get("sort", "due_at"),
        applicant=args.get("applicant", "").strip()[:64] or None,
        limit=min(args.get("limit", 50, type=int), MAX_PAGE),
        offset=max(args.get("offset", 0, type=int), 0),
    )
    return jsonify({"tasks": [plain(task) for task in tasks]})


@bp.get("/tasks/<uuid:task_id>")
def get_task(task_id: UUID) -> Response:
    """Return a task with its data, instructions and instance version."""
    return jsonify(plain(current_engine().get_task(task_id, actor=current_actor())))


@bp.post("/tasks/<uuid:task_id>/complete")
def complete_task(task_id: UUID) -> Response:
    """Complete a task: {"data": {...}, "expected_version": n}; returns the instance."""
    body = json_body()
    instance = current_engine().complete_task(
        task_id,
        body.get("data") or {},
        actor=current_actor(),
        expected_version=body.get("expected_version"),
    )
    return jsonify(plain(instance))


@bp.post("/tasks/<uuid:task_id>/claim")
def claim_task(task_id: UUID) -> Response:
    """Take a task of one of the caller's groups; returns the task."""
    json_body()  # a JSON body, even an empty one, keeps cross-site forms out
    return jsonify(plain(current_engine().claim_task(task_id, actor=current_actor())))


@bp.post("/tasks/<uuid:task_id>/unclaim")
def unclaim_task(task_id: UUID) -> Response:
    """Give a claimed task back to its group; returns the task."""
    json_body()
    return jsonify(plain(current_engine().unclaim_task(task_id, actor=current_actor())))


@bp.get("/instances/<int:instance_id>")
def get_instance(instance_id: int) -> Response:
    """Return an instance the caller may see: status, outcome, data, open steps."""
    return jsonify(
        plain(current_engine().get_instance(instance_id, actor=current_actor()))
    )


@bp.get("/instances/<int:instance_id>/history")
def instance_history(instance_id: int) -> Response:
    """Return the instance's audit events, oldest first."""
    events = current_engine().history(instance_id, actor=current_actor())
    return jsonify({"events": [plain(event) for event in events]})


@bp.post("/messages")
def deliver_message() -> tuple[Response, int]:
    """Hand a message to the engine: {"name", "correlation_key", "data"}.

    The answer says what became of it: ``delivered`` to the waiting instance,
    ``started`` instances, or ``kept`` until an instance waits for it or it expires.
    """
    body = json_body()
    name, key = body.get("name"), body.get("correlation_key")
    if not isinstance(name, str) or not (key is None or isinstance(key, str)):
        abort(400)
    message = current_engine().deliver_message(
        name, correlation_key=key, data=body.get("data") or {}, actor=current_actor()
    )
    return jsonify(plain(message)), 200


@bp.get("/processes")
def list_processes() -> Response:
    """Return the processes the caller may start."""
    processes = current_engine().list_startable(current_actor())
    return jsonify({"processes": [plain(process) for process in processes]})


@bp.post("/processes/<process_id>/start")
def start_process(process_id: str) -> tuple[Response, int]:
    """Start a process: {"data": {...}, "business_key": "..."}; 201 and the instance."""
    body = json_body()
    instance = current_engine().start_instance(
        process_id,
        body.get("data") or {},
        actor=current_actor(),
        business_key=body.get("business_key"),
    )
    return jsonify(plain(instance)), 201


def json_body() -> dict[str, Any]:
    """Return the JSON object posted; 415 unless it is sent as application/json."""
    if not request.is_json:
        abort(415)
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("data", {}), Mapping):
        abort(400)
    version = body.get("expected_version")
    if version is not None and (
        isinstance(version, bool) or not isinstance(version, int)
    ):
        abort(400)
    return body


def plain(value: object) -> Any:
    """Turn records (dataclasses) and their fields into JSON-ready values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)
        }
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    return value
