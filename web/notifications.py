"""Blueprint "notifications": the in-app notice list and the unread count in the menu.

Notices are written by the engine in the same transaction as the change they announce,
already in the recipient's language; this page only lists them and marks them read.
"""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from web import current_engine
from web.auth import current_actor, login_required

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.app_context_processor
def unread_notifications() -> dict[str, int]:
    """Give every page the signed-in user's unread count for the menu badge."""
    actor = g.get("actor")
    if actor is None or actor.is_auditor:
        return {"unread_notifications": 0}
    return {"unread_notifications": current_engine().unread_count(actor)}


@bp.get("/")
@login_required
def index() -> str:
    """List my notices, newest first; unread ones stand out."""
    unread_only = request.args.get("unread") == "1"
    notices = current_engine().list_notifications(
        current_actor(), unread_only=unread_only, limit=100)
    return render_template("notifications/index.html", notices=notices,
                           unread_only=unread_only)


@bp.post("/read")
@login_required
def mark_read() -> Response:
    """Mark one notice (``id``) or all of them read, then go back to the list."""
    raw = request.form.get("id", "")
    ids = [int(raw)] if raw.isdigit() else None
    current_engine().mark_notifications_read(current_actor(), ids)
    return redirect(url_for("notifications.index"))
