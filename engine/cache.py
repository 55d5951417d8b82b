"""Deserialized workflows kept in memory between steps, so a hot step skips the load.

Entries are keyed by instance id and carry the random ``state_token`` written with the
state they came from: a workflow is reused only when the row's token still matches, so a
save by another process, a rolled-back save or a fresh database is never taken for it.
A workflow is handed out to one caller at a time (``take`` removes it) and comes back
with its new token after the caller saved it. Holds no database objects.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from typing import Any

CAPACITY = 512


class WorkflowCache:
    """A small thread-safe LRU of ``instance id -> (state token, workflow)``."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[int, tuple[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, instance_id: int, token: str | None) -> Any | None:
        """Remove and return the workflow saved with ``token`` (None if stale)."""
        with self._lock:
            entry = self._entries.pop(instance_id, None)
        if entry is None or token is None or entry[0] != token:
            return None
        return entry[1]

    def put(self, instance_id: int, token: str, workflow: Any) -> None:
        with self._lock:
            self._entries[instance_id] = (token, workflow)
            self._entries.move_to_end(instance_id)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_BY_BIND: weakref.WeakKeyDictionary[Any, WorkflowCache] = weakref.WeakKeyDictionary()
_BY_BIND_LOCK = threading.Lock()


def for_bind(bind: Any) -> WorkflowCache:
    """The cache of one database (one SQLAlchemy engine): a new engine starts empty."""
    with _BY_BIND_LOCK:
        cache = _BY_BIND.get(bind)
        if cache is None:
            cache = _BY_BIND[bind] = WorkflowCache()
        return cache
