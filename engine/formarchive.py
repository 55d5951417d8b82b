"""The bytes of every form version that was deployed or used, kept by sha256.

A completed task records the sha256 of the form the person filled in. Forms change (a
deploy from the admin editor, a new release), so the engine keeps each version's bytes
in ``form_source``: deploys store the forms their processes use (a form deployed from
the admin area lives only here, see engine/liveforms.py), and the first use of a version
in a process stores it if nobody has (one INSERT that ignores a duplicate, then
remembered in memory). Only adds rows; never commits.
"""

from __future__ import annotations

import threading
import weakref
from datetime import datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

import forms
from engine.errors import NotFound
from engine.models import FormSource

_PENDING = "signoff.forms_pending"  # shas inserted by this unit of work, until commit
_known: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def keep(session: Session, spec: forms.FormSpec, *, actor: str, now: datetime) -> None:
    """Make sure the bytes of ``spec``'s version are stored (once per process)."""
    bind = session.get_bind()
    with _lock:
        if spec.version in _known.get(bind, ()):
            return
    if spec.version in session.info.get(_PENDING, ()):
        return
    values = {"sha256": spec.version, "form_key": spec.key, "source": spec.source,
              "first_seen_at": now, "first_seen_by": actor}
    dialect = postgresql if bind.dialect.name == "postgresql" else sqlite
    session.execute(dialect.insert(FormSource).values(**values)
                    .on_conflict_do_nothing(index_elements=["sha256"]))
    session.info.setdefault(_PENDING, set()).add(spec.version)


def source_of(session: Session, sha256: str) -> FormSource:
    """The stored form version with this sha256."""
    row = session.get(FormSource, sha256)
    if row is None:
        raise NotFound(f"no stored form version {sha256[:12]}")
    return row


def versions(session: Session, form_key: str) -> list[FormSource]:
    """Every stored version of one form, oldest first."""
    return list(session.scalars(select(FormSource).where(FormSource.form_key == form_key)
                                .order_by(FormSource.first_seen_at)))


@event.listens_for(Session, "after_commit")
def _remember(session: Session) -> None:
    pending: set[str] | None = session.info.pop(_PENDING, None)
    if pending:
        with _lock:
            _known.setdefault(session.get_bind(), set()).update(pending)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous_transaction: Any) -> None:
    session.info.pop(_PENDING, None)  # a later use inserts again; duplicates are ignored
