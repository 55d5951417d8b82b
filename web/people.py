"""People on pages: a user name shown as the person's display name.

One engine read fills a table of every user's display name. The app keeps it for a
minute and reads it again sooner, once per request, when a page names someone it does
not hold yet (a user added since), so a page of many rows costs no read per row.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

from flask import current_app, g
from flask_babel import gettext
from markupsafe import Markup, escape

from engine import SYSTEM
from web import current_engine

TTL_SECONDS = 60.0


class Directory:
    """User name -> display name, loaded whole and kept for ``ttl`` seconds."""

    def __init__(
        self,
        load: Callable[[], Mapping[str, str]],
        *,
        ttl: float = TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load, self._ttl, self._clock = load, ttl, clock
        self._names: Mapping[str, str] = {}
        self._loaded_at: float | None = None
        self._lock = threading.Lock()

    def name(self, username: str, *, may_reload: bool = True) -> str | None:
        """Return the display name of ``username`` (None when the user is unknown).

        An unknown name reloads the table only when ``may_reload``.
        """
        now = self._clock()
        stale = self._loaded_at is None or now - self._loaded_at > self._ttl
        if stale or (may_reload and username not in self._names):
            self.reload()
        return self._names.get(username)

    def reload(self) -> None:
        """Read every display name again."""
        names = dict(self._load())
        with self._lock:
            self._names, self._loaded_at = names, self._clock()


def directory() -> Directory:
    """Return the running app's directory of display names (made on first use)."""
    found: Directory | None = current_app.extensions.get("people")
    if found is None:
        found = Directory(current_engine().display_names)
        current_app.extensions["people"] = found
    return found


def display_name(username: str | None) -> str:
    """Return how a person is called on pages: the display name, else the user name."""
    if not username:
        return ""
    if username == SYSTEM.username:
        return str(gettext("System"))
    # A request reloads the table for an unknown name once, not once per row.
    may_reload = not g.get("people_reloaded", False)
    name = directory().name(username, may_reload=may_reload)
    if name is None:
        g.people_reloaded = True
    return name or username


def person(username: str | None, name: str | None = None) -> Markup:
    """Return a person for a page: the display name, the user name as its tooltip.

    ``name`` is the display name when the caller already has it (an inbox row carries
    its applicant's), so the directory is not asked.
    """
    name = name or display_name(username)
    if not username or name == username:
        return Markup(escape(name))
    return Markup('<span class="person" title="{}">{}</span>').format(username, name)
