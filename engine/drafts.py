"""Admins' drafts of BPMN, DMN and form files. Never commits.

A draft is saved as often as the admin likes and changes nothing that runs; deploying
it goes through the same checks as any deploy (forms: engine/liveforms.py).
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

import forms
from engine import definitions, xmlsafe
from engine.admin_records import DraftInfo
from engine.errors import (
    DraftExists,
    InvalidInput,
    NotFound,
    TextDamaged,
)
from engine.liveforms import FORM_KEY
from engine.models import DefinitionDraft
from forms.spec import parse as parse_form

KINDS = ("bpmn", "dmn", "form")
DEF_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,127}$")
MAX_SOURCE = 5 * 1024 * 1024


def check_name(kind: str, def_id: str) -> None:
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}")
    pattern = FORM_KEY if kind == "form" else DEF_ID
    if not pattern.fullmatch(def_id):
        raise InvalidInput(f"{def_id!r} is not a valid {kind} id")


def find(session: Session, kind: str, def_id: str) -> DefinitionDraft | None:
    return session.scalars(
        select(DefinitionDraft).where(
            DefinitionDraft.kind == kind, DefinitionDraft.def_id == def_id
        )
    ).first()


def save(
    session: Session,
    kind: str,
    def_id: str,
    source: bytes,
    *,
    actor: str,
    now: datetime,
    comment: str = "",
    file_name: str | None = None,
    expected_version: int | None = None,
    replace: bool = True,
    overwrite: bool = False,
) -> tuple[DefinitionDraft, DraftExists | None]:
    """Create or overwrite the shared draft; refuse when someone saved in between.

    ``replace=False`` refuses to overwrite any other content of an existing draft
    (an upload, or an editor opened when there was no draft yet). ``overwrite`` saves
    over such a draft, or one saved after ``expected_version``, on purpose; the refusal
    it overrode comes back with the row, so the audit can name whose save was replaced.
    A new draft keeps the file name of the live version: an edit is not a rename.
    """
    check_name(kind, def_id)
    if not source.strip() or len(source) > MAX_SOURCE:
        raise InvalidInput(f"a draft must hold 1 to {MAX_SOURCE} bytes")
    row = find(session, kind, def_id)
    _refuse_damage(session, kind, def_id, source, row)
    overridden = None
    if row is None:
        live = None if kind == "form" else definitions.latest(session, kind, def_id)
        row = DefinitionDraft(
            kind=kind,
            def_id=def_id,
            base_version=live.version if live is not None else None,
            file_name=live.file_name if live is not None else _default_file_name(
                kind, def_id),
        )
        session.add(row)
    else:
        overridden = _refusal(row, source, expected_version, replace)
        if overridden is not None and not overwrite:
            raise overridden
    row.file_name = file_name or row.file_name
    row.source, row.comment, row.saved_by, row.saved_at = source, comment, actor, now
    session.flush()
    return row, overridden


def _default_file_name(kind: str, def_id: str) -> str:
    """The file name of a definition that was never deployed: ``<id>.<kind>``."""
    return f"{def_id}.{'json' if kind == 'form' else kind}"


def _refusal(
    row: DefinitionDraft, source: bytes, expected_version: int | None, replace: bool
) -> DraftExists | None:
    """Why saving ``source`` over ``row`` would lose someone's save, or None."""
    if not replace and row.source != source:
        message = (
            f"{row.saved_by} saved a draft of {row.kind} {row.def_id!r} at "
            f"{row.saved_at:%Y-%m-%d %H:%M} UTC; open that draft, or replace it on "
            "purpose"
        )
    elif expected_version is not None and row.row_version != expected_version:
        message = (
            f"{row.saved_by} saved this draft at {row.saved_at:%H:%M} "
            "after you opened it; reload to see their changes"
        )
    else:
        return None
    return DraftExists(
        message, kind=row.kind, def_id=row.def_id, saved_by=row.saved_by,
        saved_at=row.saved_at, row_version=row.row_version, source=row.source,
    )


def _refuse_damage(
    session: Session, kind: str, def_id: str, source: bytes, row: DefinitionDraft | None
) -> None:
    """Refuse text whose characters were lost to a wrong decoding (new U+FFFD)."""
    if kind == "form":
        return
    original = row or definitions.latest(session, kind, def_id)
    if original is None:
        return
    name = original.file_name
    count, line = xmlsafe.replaced(
        xmlsafe.text(name, source), xmlsafe.text(name, original.source)
    )
    if count:
        at = f", first on line {line}" if line else ""
        raise TextDamaged(
            f"nothing was saved: the text has {count} replacement character(s) "
            f"(U+FFFD, shown as \ufffd){at} that the saved version does not have, so "
            "characters were lost when it was decoded; reload the editor or upload "
            "the file again",
            count=count,
            line=line,
        )


def get(session: Session, kind: str, def_id: str) -> DefinitionDraft:
    row = find(session, kind, def_id)
    if row is None:
        raise NotFound(f"no draft of {kind} {def_id!r}")
    return row


def list_all(session: Session) -> list[DefinitionDraft]:
    return list(
        session.scalars(
            select(DefinitionDraft).order_by(
                DefinitionDraft.kind, DefinitionDraft.def_id
            )
        )
    )


def to_info(row: DefinitionDraft) -> DraftInfo:
    return DraftInfo(
        kind=row.kind,
        def_id=row.def_id,
        file_name=row.file_name,
        source=row.source,
        base_version=row.base_version,
        comment=row.comment,
        saved_by=row.saved_by,
        saved_at=row.saved_at,
        row_version=row.row_version,
    )


def form_problem(key: str, source: bytes) -> str | None:
    """Why ``source`` is not a usable form, or None."""
    try:
        parse_form(key, source, file=f"{key}.json")
    except forms.FormSchemaInvalid as exc:
        return exc.reason
    return None
