"""The live version of each form: the one deployed into the database, else the file.

A form deployed from the admin area is a ``live_form`` row pointing at its bytes in
``form_source``, so every process on every machine uses it from the deploy's commit on.
A key never deployed that way is read from the forms folder (the forms shipped with the
package). Never commits; never writes a file.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

import forms
from engine import formarchive
from engine.admin_records import FormInfo
from engine.errors import NotFound
from engine.models import LiveForm
from forms.spec import parse as parse_form

FORM_KEY = re.compile(r"^[a-z][a-z0-9_]{0,127}$")

# session.info: form key -> live sha256 (None: served from the file), as this unit of
# work found it, so a second lookup in the same transaction sends no query.
_RESOLVED = "signoff.live_forms"
_LIVE_SHA = select(LiveForm.sha256).where(
    LiveForm.form_key == bindparam("form_key", type_=LiveForm.form_key.type))
# Parsed versions by (key, sha256): a version's bytes never change, so each process
# parses it once. Few entries: one per form version ever deployed.
_parsed: dict[tuple[str, str], forms.FormSpec] = {}
_lock = threading.Lock()


def load(session: Session, key: str, *, forms_dir: Path | None) -> forms.FormSpec:
    """The live form of ``key``: its deployed database version, else its file.

    Raises:
        forms.FormNotFound: neither exists.  forms.FormSchemaInvalid: it does not load.
    """
    sha256 = _live_sha(session, key)
    if sha256 is None:
        return forms.load(key, forms_dir=forms_dir)
    return _stored_spec(session, key, sha256)


def version(session: Session, key: str, sha256: str, *, forms_dir: Path | None
            ) -> forms.FormSpec:
    """The version ``sha256`` of ``key`` as stored, else (never stored) the live form.

    Work done before form versions were kept recorded a sha256 with no stored bytes.
    """
    try:
        return _stored_spec(session, key, sha256)
    except NotFound:
        return load(session, key, forms_dir=forms_dir)


def exists(session: Session, key: str, *, forms_dir: Path | None) -> bool:
    """Whether ``key`` names a live form that loads (the deploy checks ask this)."""
    try:
        load(session, key, forms_dir=forms_dir)
    except (forms.FormNotFound, forms.FormSchemaInvalid):
        return False
    return True


def keep(session: Session, spec: forms.FormSpec, *, actor: str, now: datetime) -> None:
    """Make sure the bytes of a version about to be used are stored.

    A database-live version needs nothing: live_form's foreign key proves they are.
    """
    if _resolved(session).get(spec.key) != spec.version:
        formarchive.keep(session, spec, actor=actor, now=now)


def note(session: Session, live: Mapping[str, str | None]) -> None:
    """Tell this unit of work the live versions a query of its own already read."""
    _resolved(session).update(live)


def deploy(session: Session, spec: forms.FormSpec, *, actor: str, now: datetime
           ) -> None:
    """Store ``spec``'s version and make it the live form of its key."""
    formarchive.keep(session, spec, actor=actor, now=now)
    values = {"form_key": spec.key, "sha256": spec.version, "deployed_at": now,
              "deployed_by": actor}
    postgres = session.get_bind().dialect.name == "postgresql"
    dialect: Any = postgresql if postgres else sqlite
    upsert = dialect.insert(LiveForm).values(**values)
    # One statement: two admins deploying the same key at once cannot collide on insert.
    session.execute(upsert.on_conflict_do_update(
        index_elements=["form_key"],
        set_={name: upsert.excluded[name] for name in values if name != "form_key"}))
    with _lock:
        _parsed[(spec.key, spec.version)] = spec
    _resolved(session)[spec.key] = spec.version


def list_all(session: Session, *, forms_dir: Path | None) -> list[FormInfo]:
    """Every form: each deployed version, and each shipped file not deployed over."""
    found = {info.key: info for info in _file_infos(_directory(forms_dir))}
    for key, sha256 in session.execute(select(LiveForm.form_key, LiveForm.sha256)):
        found[key] = _info(key, partial(_stored_spec, session, key, sha256))
    return [found[key] for key in sorted(found)]


def get_source(session: Session, key: str, *, forms_dir: Path | None) -> bytes:
    """The bytes of ``key``'s live form, even when they no longer load."""
    sha256 = _live_sha(session, key)
    if sha256 is not None:
        return formarchive.source_of(session, sha256).source
    path = _directory(forms_dir) / f"{key}.json"
    if not FORM_KEY.fullmatch(key) or not path.is_file():
        raise NotFound(f"no form {key!r}")
    return path.read_bytes()


def to_info(spec: forms.FormSpec) -> FormInfo:
    """The admin list's row of a form that loads."""
    return FormInfo(key=spec.key, title=spec.title_zh, title_en=spec.title_en,
                    version=spec.version)


def clear_cache() -> None:
    """Forget every parsed version, as a new process would (tests)."""
    with _lock:
        _parsed.clear()


def _live_sha(session: Session, key: str) -> str | None:
    resolved = _resolved(session)
    if key not in resolved:
        resolved[key] = (session.scalar(_LIVE_SHA, {"form_key": key})
                         if FORM_KEY.fullmatch(key) else None)
    return resolved[key]


def _stored_spec(session: Session, key: str, sha256: str) -> forms.FormSpec:
    with _lock:
        spec = _parsed.get((key, sha256))
    if spec is None:
        source = formarchive.source_of(session, sha256).source
        spec = parse_form(key, source, file=f"{key}.json")
        with _lock:
            _parsed[(key, sha256)] = spec
    return spec


def _resolved(session: Session) -> dict[str, str | None]:
    found: dict[str, str | None] = session.info.setdefault(_RESOLVED, {})
    return found


def _directory(forms_dir: Path | None) -> Path:
    return forms_dir if forms_dir is not None else forms.DEFAULT_FORMS_DIR


def _file_infos(directory: Path) -> list[FormInfo]:
    """Every form file, with the reason it cannot load when it cannot."""
    return [_info(path.stem, partial(forms.load, path.stem, forms_dir=directory))
            for path in sorted(directory.glob("*.json"))
            if not path.name.endswith(".ui.json") and FORM_KEY.fullmatch(path.stem)]


def _info(key: str, read: Callable[[], forms.FormSpec]) -> FormInfo:
    try:
        return to_info(read())
    except (forms.FormNotFound, forms.FormSchemaInvalid) as exc:
        return FormInfo(key=key, title="", title_en="", version="", problem=str(exc))


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, *_: Any) -> None:
    # What a unit of work resolved holds for that unit of work only.
    session.info.pop(_RESOLVED, None)
