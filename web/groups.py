"""Groups and roles as people read them: a group's title, a role's name, in a language."""

from __future__ import annotations

from flask import g
from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString

from engine import GroupInfo
from web import current_engine

ROLE_LABELS: dict[str, LazyString] = {
    "staff": lazy_gettext("Staff"),
    "admin": lazy_gettext("Administrator"),
    "auditor": lazy_gettext("Auditor (read only)"),
}


def role_label(role: str) -> str:
    """Return a role's name in the page's language (the role itself when unknown)."""
    label = ROLE_LABELS.get(role)
    return str(label) if label is not None else role


def group_title(name: str | None, lang: str) -> str:
    """Return a group's title in ``lang`` (its name when the group is unknown)."""
    if not name:
        return ""
    group = groups().get(name)
    if group is None:
        return name
    return group.title_en if lang == "en" and group.title_en else group.title


def groups() -> dict[str, GroupInfo]:
    """Every group by name, read once per request."""
    found: dict[str, GroupInfo] | None = g.get("group_titles")
    if found is None:
        found = {group.name: group for group in current_engine().list_groups()}
        g.group_titles = found
    return found
