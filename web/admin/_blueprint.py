"""The "admin" blueprint object, its guard, and the helpers every admin view shares.

Every route under /admin is refused to anyone but admins here, once, before any view
runs: anonymous visitors are sent to sign in, everyone else gets 403.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, abort, g, jsonify, redirect, request, url_for
from flask_babel import gettext, ngettext
from werkzeug.wrappers import Response

from engine import Actor, versiondiff, xmlsafe
from engine._admin_api import AdminAPI
from engine.admin_records import DefinitionProblem
from engine.errors import DraftExists, TextDamaged
from web import current_engine
from web.security import CSP
from web.templating import EVENT_LABELS, format_when

bp = Blueprint("admin", __name__, url_prefix="/admin")

# dmn-js draws its bpmn.io watermark (which its licence says must stay visible) and a
# drag image with these exact inline styles; allow exactly them, nothing else inline.
WATERMARK_STYLES = (
    "'sha256-r3vOsuepBDg6tz/cOusiNJ9Y4Lp9hGQTT7pzDks1Xxc='",
    "'sha256-CA/eh4+2R0J7cEQ14gBMtx834RIOjzMUqCM+evtrkp4='",
    "'sha256-JpvvTIK7ulxf/3oA+AUuVbO9Labs8npGWGm9X9nGIWw='",
    "'sha256-9OIpRRx0bq4t4s2zyqbocMNwedniLDaxLB+FlLIjNgM='",
    "'sha256-GAdrtwahSjGXI0UQQnfyEVtPn+wfgQxvyrjyQuByfuU='",
    "'sha256-ZG9bHUWWXDZyu7zfItuLwGK+cah/hweM0RfXpZpxZVM='",
    "'sha256-T+dPSjRVHalDc/mwQm0/E2bredKPUxLfYOuU3MOV1BE='",
)
# The admin pages' history also names the admin events (the staff pages show the type).
ADMIN_EVENT_LABELS = EVENT_LABELS  # every event type has its label there
ADMIN_CSP = CSP.replace(
    "style-src 'self'", "style-src 'self' 'unsafe-hashes' " + " ".join(WATERMARK_STYLES)
)


@bp.before_request
def require_admin() -> Response | None:
    """Let only signed-in admins through."""
    actor = g.get("actor")
    if actor is None:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if not actor.is_admin:
        abort(403)
    return None


@bp.after_request
def editor_styles(response: Response) -> Response:
    """The app's CSP, plus the watermark's inline styles (scripts stay 'self' only)."""
    if response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = ADMIN_CSP
    return response


def actor() -> Actor:
    """The signed-in admin (the guard above has checked)."""
    found: Actor = g.actor
    return found


def admin_engine() -> AdminAPI:
    """The app's engine with the admin methods."""
    return current_engine()


def problems_json(problems: list[DefinitionProblem]) -> list[Mapping[str, object]]:
    """Problems as the editors' scripts read them."""
    return [
        {
            "file": p.file,
            "line": p.line,
            "element_id": p.element_id,
            "message": p.message,
            "highlight": list(p.highlight),
            "property": p.property_name,
        }
        for p in problems
    ]


def json_error(message: str, status: int) -> tuple[Response, int]:
    return jsonify({"error": {"status": status, "message": message}}), status


def conflict_json(error: DraftExists, mine: str) -> tuple[Response, int]:
    """A save refused because another admin saved first, as the editors read it."""
    body = {
        "error": {"status": 409, "message": error.message},
        "conflict": conflict_view(error, mine),
    }
    return jsonify(body), 409


def conflict_view(error: DraftExists, mine: str) -> Mapping[str, object]:
    """Who saved the other draft when, and how it differs from the admin's text.

    The admin's text stays on their screen; this lets them see what saving over the
    other draft would replace before they choose to.
    """
    theirs = (
        error.source.decode("utf-8", errors="replace")
        if error.kind == "form"
        else xmlsafe.text(f"{error.def_id}.{error.kind}", error.source)
    )
    when = format_when(error.saved_at)
    return {
        "saved_by": error.saved_by,
        "saved_at": when,
        "row_version": error.row_version,
        "changes": versiondiff.unified(
            theirs, mine, f"{error.saved_by} {when}", gettext("your text")
        ),
    }


def int_arg(name: str) -> int | None:
    """A non-negative integer query or form argument, or None."""
    raw = (request.values.get(name) or "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def damaged_message(error: TextDamaged) -> str:
    """Why a text that lost characters to a wrong decoding was not saved."""
    message: str = ngettext(
        "Not saved: the text has %(num)d replacement character (\ufffd) that the "
        "saved version does not have, so characters were lost when it was decoded. "
        "Reload the editor or upload the file again.",
        "Not saved: the text has %(num)d replacement characters (\ufffd) that the "
        "saved version does not have, so characters were lost when it was decoded. "
        "Reload the editor or upload the file again.",
        error.count,
    )
    if error.line:
        message += " " + gettext("The first is on line %(line)d.", line=error.line)
    return message
