"""Admin views of people: users, their groups (lanes) and roles, and the groups.

A deactivated user's open tasks are listed here for reassignment. A generated password
is shown once, on the page that reset it, and never stored in clear.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from engine import InvalidInput, Role
from web import current_engine
from web.admin._blueprint import actor, admin_engine, bp
from web.refusals import explain

ROLES = tuple(r.value for r in Role)


@bp.get("/users")
def users() -> str:
    """Everyone with groups and role, tasks to reassign, and the groups."""
    return render_users()


def render_users(error: InvalidInput | None = None, form: str = "") -> str:
    """The users page; after a refused ``form`` ("user", "group"): why, with input."""
    who, engine = actor(), current_engine()
    return render_template(
        "admin/users.html",
        users=engine.list_users(actor=who),
        groups=engine.list_groups(),
        roles=ROLES,
        flagged=admin_engine().list_flagged_tasks(actor=who),
        error=explain(error) if error else None,
        refused=form,
        kept=request.form if error else {},
    )


def _role() -> Role:
    role = request.form.get("role", "")
    if role not in ROLES:
        abort(400)
    return Role(role)


@bp.post("/users")
def create_user() -> Response | tuple[str, int]:
    """Add a user with a first password, groups and role."""
    form = request.form
    try:
        current_engine().add_user(
            form.get("username", "").strip(),
            password=form.get("password", ""),
            groups=form.getlist("groups"),
            role=_role(),
            display_name=form.get("display_name", "").strip(),
            email=form.get("email", "").strip() or None,
            actor=actor(),
        )
    except InvalidInput as exc:
        return render_users(exc, "user"), 422
    flash(gettext("User created."), "info")
    return redirect(url_for("admin.users"))


@bp.get("/users/<username>")
def user(username: str) -> str:
    """One user: groups, role, activation, password."""
    return render_user(username)


def render_user(username: str, error: InvalidInput | None = None) -> str:
    """The user page; after a refused change, why (the page stays as it was)."""
    found = [
        u for u in current_engine().list_users(actor=actor()) if u.username == username
    ]
    if not found:
        abort(404)
    return render_template(
        "admin/user.html",
        user=found[0],
        roles=ROLES,
        groups=current_engine().list_groups(),
        own_account=username == actor().username,
        error=explain(error) if error else None,
    )


def _to_user(username: str, message: str) -> Response:
    flash(message, "info")
    return redirect(url_for("admin.user", username=username))


@bp.post("/users/<username>/groups")
def user_groups(username: str) -> Response | tuple[str, int]:
    try:
        admin_engine().set_groups(
            username, request.form.getlist("groups"), actor=actor()
        )
    except InvalidInput as exc:
        return render_user(username, exc), 422
    return _to_user(username, gettext("Groups saved."))


@bp.post("/users/<username>/role")
def user_role(username: str) -> Response | tuple[str, int]:
    try:
        admin_engine().set_role(username, _role(), actor=actor())
    except InvalidInput as exc:  # e.g. an admin taking their own admin role away
        return render_user(username, exc), 422
    return _to_user(username, gettext("Role saved."))


@bp.post("/users/<username>/deactivate")
def deactivate(username: str) -> Response | tuple[str, int]:
    try:
        admin_engine().deactivate_user(username, actor=actor())
    except InvalidInput as exc:  # e.g. an admin deactivating themselves
        return render_user(username, exc), 422
    return _to_user(username, gettext("User deactivated; reassign their open tasks."))


@bp.post("/users/<username>/reactivate")
def reactivate(username: str) -> Response:
    admin_engine().reactivate_user(username, actor=actor())
    return _to_user(username, gettext("User reactivated."))


@bp.post("/users/<username>/password")
def reset_password(username: str) -> str | tuple[str, int]:
    """Set a new password, the given one or a generated one shown only now."""
    given = request.form.get("password", "") or None
    try:
        password = admin_engine().reset_password(
            username, password=given, actor=actor()
        )
    except InvalidInput as exc:  # e.g. too short: the user page says so
        return render_user(username, exc), 422
    return render_template(
        "admin/password.html", username=username, password=None if given else password
    )


@bp.post("/groups")
def create_group() -> Response | tuple[str, int]:
    """Add a group (a lane name), or retitle an existing one, in Chinese and English."""
    form = request.form
    try:
        group = current_engine().ensure_group(
            form.get("name", "").strip(),
            title=form.get("title", "").strip(),
            title_en=form.get("title_en", "").strip(),
            actor=actor(),
        )
    except InvalidInput as exc:
        return render_users(exc, "group"), 422
    messages = {
        "created": gettext("Group %(name)s created.", name=group.name),
        "updated": gettext(
            "Group %(name)s updated: its titles changed.", name=group.name
        ),
    }
    flash(messages.get(group.outcome, gettext("Group %(name)s unchanged.",
                                              name=group.name)), "info")
    return redirect(url_for("admin.users"))
