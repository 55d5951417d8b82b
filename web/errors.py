"""Engine and HTTP errors to responses: one status table, HTML or JSON per blueprint.

The engine knows nothing about HTTP; this is the single place where its error classes
get a status code. The api blueprint always answers JSON. A refusal of a button or form
a person posted (already done, taken by someone else, suspended, no reason given) goes
back to the page they came from with a sentence in their language (web/refusals.py);
every other error renders an error page.
"""

from __future__ import annotations

import logging

from urllib.parse import urlsplit

from flask import (
    Flask,
    Response,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from engine.errors import (
    AuthenticationFailed,
    ConcurrentUpdate,
    DefinitionInvalid,
    EngineError,
    InstanceNotRunnable,
    InvalidInput,
    InvalidSubmission,
    MessageNotDelivered,
    NotAuthorized,
    NotFound,
    ScriptFailed,
    TaskNotReady,
)
from engine.xmlsafe import MAX_BYTES
from web.auth import load_actor
from web.refusals import explain
from web.security import is_safe_next

logger = logging.getLogger(__name__)

STATUS: dict[type[EngineError], int] = {
    NotFound: 404,
    NotAuthorized: 403,
    TaskNotReady: 409,
    ConcurrentUpdate: 409,
    InvalidSubmission: 422,
    DefinitionInvalid: 422,
    AuthenticationFailed: 401,
    InstanceNotRunnable: 409,
    InvalidInput: 400,
    ScriptFailed: 409,
    MessageNotDelivered: 409,
}
HTML_TEMPLATES = frozenset({400, 401, 403, 404, 405, 409, 413, 422, 500})
# What a person's post can be refused for; said on the page they came from.
REFUSALS = (
    TaskNotReady,
    ConcurrentUpdate,
    InstanceNotRunnable,
    InvalidInput,
    NotAuthorized,
    NotFound,
    ScriptFailed,
)


def status_for(error: EngineError) -> int:
    """Return the HTTP status of an engine error (nearest listed class, else 400)."""
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def register_error_handlers(app: Flask) -> None:
    """Install the handlers for engine errors, CSRF failures and HTTP errors."""
    app.register_error_handler(EngineError, handle_engine_error)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)


def wants_json() -> bool:
    """Tell whether the current request belongs to the JSON API."""
    return request.blueprint == "api" or request.path.startswith("/api/")


def handle_engine_error(
    error: EngineError,
) -> tuple[Response | str, int] | BaseResponse:
    """Answer an engine error: JSON for the API, a refused post back to its page with
    the reason, else an error page with its status."""
    status = status_for(error)
    if status >= 500 or isinstance(error, ScriptFailed):
        logger.warning("engine error on %s: %r", request.path, error)
    if wants_json():
        return error_json(status, error.code, error.message, error), status
    if is_page_post() and isinstance(error, REFUSALS):
        return refuse(error, back_url())
    return render_error(status, error.message), status


def is_page_post() -> bool:
    """Tell whether the request is an HTML form a person posted from a page."""
    return request.method == "POST" and not request.is_json


def refuse(error: EngineError, back: str) -> BaseResponse:
    """Say why ``error`` refused the post, in the user's language, on page ``back``."""
    flash(explain(error), "error")
    return redirect(back, 303)


def back_url() -> str:
    """The page a post came from: its ``next`` field, else the referring page of this
    site, else the inbox."""
    target = request.values.get("next")
    if target and is_safe_next(target):
        return target
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and is_safe_next(referrer.path):
        return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return url_for("inbox.index")


def handle_csrf_error(error: CSRFError) -> tuple[Response | str, int]:
    """Answer a missing or stale CSRF token with 400."""
    if wants_json():
        return error_json(400, "csrf_failed", str(error.description)), 400
    return render_error(400, str(error.description)), 400


def handle_http_error(
    error: HTTPException,
) -> tuple[Response | str, int] | HTTPException:
    """Render Flask's own HTTP errors (404, 405, 413, 500) in the site's layout."""
    status = error.code or 500
    if wants_json():
        return (
            error_json(
                status, (error.name or "error").lower(), error.description or ""
            ),
            status,
        )
    if status < 400:
        return error
    return render_error(status, None), status


def render_error(status: int, detail: str | None) -> str:
    """Render ``errors/<status>.html`` (or the generic page) with an optional detail."""
    if "actor" not in g:  # refused before the user was loaded (CSRF, request too large)
        load_actor()
    name = (
        f"errors/{status}.html" if status in HTML_TEMPLATES else "errors/_layout.html"
    )
    return render_template(name, status=status, detail=detail, limit=_limit(status))


def _limit(status: int) -> str | None:
    """For 413: the most this page accepts, as people say it (admin files: 5 MiB)."""
    if status != 413:
        return None
    admin = request.path.startswith("/admin/")
    size = MAX_BYTES if admin else request.max_content_length
    return f"{(size or 0) / (1024 * 1024):g} MiB"


def error_json(
    status: int, code: str, message: str, error: EngineError | None = None
) -> Response:
    """Build the API's error body: {"error": {"status", "code", "message", ...}}."""
    body: dict[str, object] = {"status": status, "code": code, "message": message}
    if isinstance(error, InvalidSubmission):
        body["errors"] = error.errors
    if isinstance(error, AuthenticationFailed) and error.retry_after:
        body["retry_after"] = error.retry_after
    response = jsonify({"error": body})
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="signoff", charset="UTF-8"'
    return response
