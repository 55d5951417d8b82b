"""Engine methods for deploying and reading BPMN/DMN definitions and live forms."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

import forms
from engine import definitions, deployment, identity, liveforms
from engine._base import EngineBase
from engine.errors import DefinitionInvalid, InvalidInput, NotFound
from engine.models import Definition, ProcessVersion
from engine.records import Actor, DefinitionInfo, ProcessInfo

DEFINITION_SUFFIXES = (".bpmn", ".dmn")


class DefinitionsAPI(EngineBase):
    def deploy(self, files: Mapping[str, bytes], *, actor: Actor, comment: str = ""
               ) -> list[DefinitionInfo]:
        """Deploy BPMN/DMN files atomically; unchanged files create no new version.

        Args:
            files: file name -> raw bytes (any encoding the XML declares).
        Returns:
            One record per process or decision in the files (``created`` tells new ones).
        Raises:
            DefinitionInvalid: the first problem, naming file, line and element;
                ``.problems`` lists all of them. Nothing is deployed then.
            NotAuthorized: the actor is not an admin.
        """
        identity.require_admin(actor)
        if not files:
            raise InvalidInput("no files to deploy")
        used: set[str] = set()
        with self._tx() as session:
            def form_exists(key: str) -> bool:
                found = self._form_exists(session, key)
                if found:
                    used.add(key)
                return found

            now = self.now()
            infos = deployment.deploy(
                session, files, actor=actor, now=now, comment=comment,
                groups=frozenset(identity.group_names(session)), form_exists=form_exists)
            for key in sorted(used):  # the forms as this deploy saw them stay readable
                spec = liveforms.load(session, key, forms_dir=self._forms_dir)
                liveforms.keep(session, spec, actor=actor.username, now=now)
            return infos

    def deploy_directory(self, path: Path, *, actor: Actor, comment: str = ""
                         ) -> list[DefinitionInfo]:
        """Deploy every .bpmn and .dmn file directly in ``path`` (or one file)."""
        files = _read_files(path)
        return self.deploy(files, actor=actor, comment=comment)

    def validate_files(self, files: Mapping[str, bytes]) -> list[DefinitionInvalid]:
        """Every problem the deploy would report, without deploying."""
        with self._tx() as session:
            return deployment.validate(
                session, files, groups=frozenset(identity.group_names(session)),
                form_exists=lambda key: self._form_exists(session, key))

    def list_definitions(self, *, actor: Actor) -> list[DefinitionInfo]:
        """Every version of every definition, oldest first."""
        with self._tx() as session:
            return deployment.list_all(session)

    def get_definition_source(self, def_id: str, version: int | None = None, *,
                              kind: str = "bpmn", actor: Actor) -> bytes:
        """The exact bytes deployed as a version of a process or decision."""
        with self._tx() as session:
            query = select(Definition).where(Definition.kind == kind,
                                             Definition.def_id == def_id)
            if version is not None:
                query = query.where(Definition.version == version)
            row = session.scalars(query.order_by(Definition.version.desc()).limit(1)).first()
            if row is None:
                raise NotFound(f"no {kind} definition {def_id!r}")
            return row.source

    def live_form(self, key: str) -> forms.FormSpec:
        """The form that new work of ``key`` shows and is validated against.

        Returns:
            The version last deployed from the admin area, else the shipped file's.
        Raises:
            forms.FormNotFound: no such form.  forms.FormSchemaInvalid: it does not load.
        """
        with self._tx() as session:
            return liveforms.load(session, key, forms_dir=self._forms_dir)

    def form_version(self, key: str, sha256: str) -> forms.FormSpec:
        """The form ``key`` as it was at version ``sha256`` (what a completion was made on).

        Falls back to the live form when that version's bytes were never stored.
        Raises:
            forms.FormNotFound: no such form.  forms.FormSchemaInvalid: it does not load.
        """
        with self._tx() as session:
            return liveforms.version(session, key, sha256, forms_dir=self._forms_dir)

    def start_form_key(self, process_id: str, version: int, *, actor: Actor) -> str | None:
        """The start form of one version of a process, None when it has none.

        Pages label the data a starter gave with it (anyone signed in may read which
        form a process starts with; the data itself is guarded by the instance reads).
        Raises:
            NotFound: no such process version.
        """
        with self._tx() as session:
            row = definitions.get_process_version(session, process_id, version)
            return row.start_form_key

    def process_variables(self, process_id: str, version: int, *, actor: Actor
                          ) -> dict[str, dict[str, object]]:
        """The variables one version's scripts and decisions set, with their labels.

        Per name the display keywords of its ``variable:<name>`` declaration
        (``x-label``, ``x-internal`` for bookkeeping, ...; see engine/variables.py),
        the called processes' included. Pages label an instance's data with it; like the start
        form, anyone signed in may read it (the data is guarded by the instance reads).
        Raises:
            NotFound: no such process version.
        """
        with self._tx() as session:
            row = definitions.get_process_version(session, process_id, version)
            declared = definitions.load_spec(session, row).variables
            return copy.deepcopy({name: dict(shape) for name, shape in declared.items()})

    def list_startable(self, actor: Actor) -> list[ProcessInfo]:
        """Live versions of the processes this actor may start (by start-event lane)."""
        if actor.is_auditor:
            return []
        with self._tx() as session:
            rows = session.scalars(select(ProcessVersion).order_by(
                ProcessVersion.process_id, ProcessVersion.version.desc()))
            latest: dict[str, ProcessVersion] = {}
            for row in rows:
                latest.setdefault(row.process_id, row)
            called = _callees(session, latest.values())
            return [_process_info(r) for r in latest.values()
                    if r.process_id not in called and may_start(actor, r)]


def _callees(session: Session, versions: Iterable[ProcessVersion]) -> set[str]:
    """Processes that another live process calls: started by their caller, not by hand."""
    wanted = {i for v in versions for i in v.definition_ids}
    if not wanted:
        return set()
    rows = session.execute(select(Definition.id, Definition.def_id).where(
        Definition.id.in_(wanted), Definition.kind == "bpmn"))
    by_id = {row.id: row.def_id for row in rows}
    return {by_id[i] for v in versions for i in v.definition_ids
            if i in by_id and by_id[i] != v.process_id}


def may_start(actor: Actor, row: ProcessVersion) -> bool:
    if actor.is_auditor:
        return False
    return actor.is_admin or not row.start_groups or bool(set(row.start_groups) & actor.groups)


def _process_info(row: ProcessVersion) -> ProcessInfo:
    return ProcessInfo(process_id=row.process_id, version=row.version, name=row.name,
                       name_en=row.name_en, description=row.description,
                       description_en=row.description_en,
                       start_groups=tuple(row.start_groups),
                       start_form_key=row.start_form_key)


def _read_files(path: Path) -> dict[str, bytes]:
    if path.is_file():
        return {path.name: path.read_bytes()}
    if not path.is_dir():
        raise InvalidInput(f"{path} is neither a file nor a folder")
    files = {p.name: p.read_bytes() for p in sorted(path.iterdir())
             if p.suffix in DEFINITION_SUFFIXES and p.is_file()}
    if not files:
        raise InvalidInput(f"no .bpmn or .dmn files in {path}")
    return files
