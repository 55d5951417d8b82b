"""Blueprint "auth": sign-in, sign-out, language choice; who the current user is.

Passwords are checked (argon2, throttled) by engine.authenticate; the session holds only
the user name and the chosen language. Every other view is wrapped in login_required.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar, cast

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from werkzeug.wrappers import Response

from engine import Actor
from engine.errors import AuthenticationFailed, NotAuthorized, NotFound
from engine.identity import MANAGER_GROUPS
from web import current_engine
from web.config import LANGUAGES
from web.security import is_safe_next

bp = Blueprint("auth", __name__)
View = TypeVar("View", bound=Callable[..., object])


@bp.before_app_request
def load_actor() -> None:
    """Put the signed-in user's Actor (or None) on ``g`` for this request."""
    g.actor = None
    username = session.get("username")
    if not username:
        return
    try:
        g.actor = current_engine().get_actor(str(username))
    except (NotFound, NotAuthorized):
        session.clear()


def current_actor() -> Actor:
    """Return the signed-in user's Actor; only call it behind login_required."""
    actor = g.get("actor")
    if actor is None:
        abort(401)
    return cast(Actor, actor)


def login_required(view: View) -> View:
    """Send anonymous visitors to sign in, remembering where they wanted to go."""

    @functools.wraps(view)
    def wrapped(*args: object, **kwargs: object) -> object:
        if g.get("actor") is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return cast(View, wrapped)


def next_url(default: str | None = None) -> str:
    """Return the posted or queried ``next`` if it is a local path, else ``default``."""
    target = request.values.get("next")
    if target and is_safe_next(target):
        return target
    return default or url_for("inbox.index")


def can_assign(actor: Actor) -> bool:
    """Tell whether to offer "reassign" to ``actor`` (the engine still decides)."""
    return actor.is_admin or bool(actor.groups & MANAGER_GROUPS)


@bp.route("/login", methods=("GET", "POST"))
def login() -> Response | tuple[str, int] | tuple[str, int, dict[str, str]] | str:
    """Show the sign-in form; on POST check the password and start a fresh session."""
    if request.method == "GET":
        return render_template("auth/login.html", username="")
    username = request.form.get("username", "").strip()
    try:
        actor = current_engine().authenticate(
            username, request.form.get("password", "")
        )
    except AuthenticationFailed as exc:
        return login_failed(username, exc)
    start_session(actor, chosen=session.get("lang"))
    return redirect(next_url())


def start_session(actor: Actor, *, chosen: object) -> None:
    """Start a fresh session; a language picked before signing in becomes the user's."""
    session.clear()
    session.permanent = True
    session["username"] = actor.username
    lang = actor.language if actor.language in LANGUAGES else LANGUAGES[0]
    if chosen in LANGUAGES and chosen != lang:
        lang = str(chosen)
        current_engine().set_language(actor.username, lang, actor=actor)
    session["lang"] = lang


def login_failed(
    username: str, exc: AuthenticationFailed
) -> tuple[str, int] | tuple[str, int, dict[str, str]]:
    """Re-show the sign-in form with why it failed (429 while throttled)."""
    if exc.retry_after:
        message = gettext(
            "Too many failed attempts. Try again in %(seconds)d seconds.",
            seconds=exc.retry_after,
        )
        page = render_template("auth/login.html", username=username, error=message)
        return page, 429, {"Retry-After": str(exc.retry_after)}
    message = gettext("Wrong user name or password.")
    return render_template("auth/login.html", username=username, error=message), 401


@bp.post("/logout")
def logout() -> Response:
    """End the session."""
    session.clear()
    flash(gettext("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/language")
def set_language() -> Response:
    """Switch the interface language; remember it for the signed-in user."""
    lang = request.form.get("lang", "")
    if lang not in LANGUAGES:
        abort(400)
    session["lang"] = lang
    actor = g.get("actor")
    if actor is not None:
        current_engine().set_language(actor.username, lang, actor=actor)
    return redirect(next_url())
