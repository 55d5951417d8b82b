"""The admin API: drafts, checks and deploys of BPMN, DMN and forms, plus the mixins
for versions (``_admin_versions_api``) and running work (``_admin_ops_api``).

Admin only, one transaction each. A draft changes nothing that runs; deploying it goes
through the deploy checks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.orm import Session

from engine import (
    audit,
    deployment,
    drafts,
    identity,
    liveforms,
    modelfiles,
    wiring,
)
from engine._admin_ops_api import OperationsAdminAPI
from engine._admin_versions_api import VersionsAdminAPI
from engine.admin_records import DefinitionProblem, DraftInfo, FormInfo
from engine.audit import AuditType
from engine.errors import DefinitionInvalid, DraftExists, InvalidInput
from engine.records import Actor, DefinitionInfo
from forms.spec import FormSchemaInvalid
from forms.spec import parse as parse_form


class AdminAPI(VersionsAdminAPI, OperationsAdminAPI):
    """Everything the admin area needs beyond the core Engine."""

    def list_drafts(self, *, actor: Actor) -> list[DraftInfo]:
        identity.require_admin(actor)
        with self._tx() as session:
            return [drafts.to_info(r) for r in drafts.list_all(session)]

    def find_draft(self, kind: str, def_id: str, *, actor: Actor) -> DraftInfo | None:
        identity.require_admin(actor)
        with self._tx() as session:
            row = drafts.find(session, kind, def_id)
            return drafts.to_info(row) if row is not None else None

    def save_draft(
        self,
        kind: str,
        def_id: str,
        source: bytes,
        *,
        actor: Actor,
        comment: str = "",
        file_name: str | None = None,
        expected_version: int | None = None,
        replace: bool = True,
        overwrite: bool = False,
    ) -> DraftInfo:
        """Keep an edit without deploying it (one shared draft per file).

        A first draft keeps the live version's file name; ``file_name`` (an upload's)
        renames it. ``overwrite`` saves over another admin's newer save on purpose,
        after a refusal below; the audit event then names whose save it replaced.

        Raises:
            DraftExists: someone saved the draft after ``expected_version``, or
                ``replace`` is False and a draft with other content exists (a
                ``ConcurrentUpdate``); it carries that draft. Never with ``overwrite``.
            TextDamaged: the text has U+FFFD characters the draft (else the live
                version) does not have: it was decoded in the wrong encoding.
        """
        identity.require_admin(actor)
        now = self.now()
        with self._tx() as session:
            row, overridden = drafts.save(
                session,
                kind,
                def_id,
                source,
                actor=actor.username,
                now=now,
                comment=comment,
                file_name=file_name,
                expected_version=expected_version,
                replace=replace,
                overwrite=overwrite,
            )
            payload: dict[str, object] = {
                "kind": kind,
                "def_id": def_id,
                "file": row.file_name,
                "sha256": hashlib.sha256(source).hexdigest(),
            }
            if overridden is not None:
                payload["replaced"] = {
                    "saved_by": overridden.saved_by,
                    "saved_at": overridden.saved_at.isoformat(),
                    "sha256": hashlib.sha256(overridden.source).hexdigest(),
                }
            audit.record(
                session,
                AuditType.DRAFT_SAVED,
                actor=actor.username,
                at=now,
                payload=payload,
            )
            return drafts.to_info(row)

    def upload_draft(
        self, file_name: str, data: bytes, *, actor: Actor, replace: bool = False
    ) -> DraftInfo:
        """Make a draft of a file from any modeler; its ids decide what it replaces.

        Raises:
            DefinitionInvalid: the file is not readable BPMN, DMN or JSON at all.
            DraftExists: a draft of that id holds other content and ``replace`` is
                False; it names who saved it and when.
        """
        name = Path(file_name).name
        if name.endswith(".json"):
            return self.save_draft(
                "form", Path(name).stem, data, actor=actor, replace=replace
            )
        parsed = modelfiles.read(name, data)
        stem = Path(name).stem
        def_id = stem if stem in parsed.ids else parsed.ids[0]
        return self.save_draft(
            parsed.kind, def_id, data, actor=actor, file_name=name, replace=replace
        )

    def discard_draft(self, kind: str, def_id: str, *, actor: Actor) -> None:
        identity.require_admin(actor)
        with self._tx() as session:
            session.delete(drafts.get(session, kind, def_id))
            audit.record(
                session,
                AuditType.DRAFT_DISCARDED,
                actor=actor.username,
                at=self.now(),
                payload={"kind": kind, "def_id": def_id},
            )

    def check_definition(
        self, files: Mapping[str, bytes], *, actor: Actor
    ) -> list[DefinitionProblem]:
        """Every problem a deploy of ``files`` would meet, each tied to its element.

        Broken flow wiring and decision cells that do not compile are reported alone:
        until they are fixed, SpiffWorkflow's own messages about them only confuse.
        """
        identity.require_admin(actor)
        with self._tx() as session:
            return self._problems(session, files)

    def _problems(
        self, session: Session, files: Mapping[str, bytes]
    ) -> list[DefinitionProblem]:
        errors = deployment.validate(
            session,
            files,
            groups=frozenset(identity.group_names(session)),
            form_exists=lambda key: self._form_exists(session, key),
        )
        return wiring.to_problems(errors, files)

    def check_draft(
        self, kind: str, def_id: str, *, actor: Actor
    ) -> list[DefinitionProblem]:
        """The problems of a saved draft (a form draft: whether it loads as a form)."""
        identity.require_admin(actor)
        with self._tx() as session:
            row = drafts.get(session, kind, def_id)
            if kind == "form":
                problem = drafts.form_problem(def_id, row.source)
                return (
                    [DefinitionProblem(row.file_name, None, None, problem)]
                    if problem
                    else []
                )
            return self._problems(session, {row.file_name: row.source})

    def deploy_draft(
        self, kind: str, def_id: str, *, actor: Actor, comment: str = ""
    ) -> list[DefinitionInfo]:
        """Deploy a BPMN or DMN draft and drop it; running instances keep their version.

        Raises:
            DefinitionInvalid: the first problem; ``.problems`` lists all of them.
        """
        identity.require_admin(actor)
        if kind == "form":
            raise InvalidInput("deploy forms with deploy_form")
        with self._tx() as session:
            row = drafts.get(session, kind, def_id)
            files = {row.file_name: row.source}
            infos = deployment.deploy(
                session,
                files,
                actor=actor,
                now=self.now(),
                comment=comment or row.comment,
                groups=frozenset(identity.group_names(session)),
                form_exists=lambda key: self._form_exists(session, key),
            )
            session.delete(row)
            return infos

    def list_forms(self, *, actor: Actor) -> list[FormInfo]:
        """Every form with its live version: the deployed one, else the shipped file."""
        identity.require_admin(actor)
        with self._tx() as session:
            return liveforms.list_all(session, forms_dir=self._forms_dir)

    def get_form_source(self, key: str, *, actor: Actor) -> bytes:
        """The bytes of a form's live version.

        Raises:
            NotFound: no form of that key is deployed or shipped.
        """
        identity.require_admin(actor)
        with self._tx() as session:
            return liveforms.get_source(session, key, forms_dir=self._forms_dir)

    def deploy_form(
        self, key: str, source: bytes, *, actor: Actor, comment: str = "",
        guard_draft: bool = False, draft_version: int | None = None,
    ) -> FormInfo:
        """Make ``source`` the live form of ``key`` for every process; new tasks use it.

        The version is stored in the database, not written to the forms folder, so web
        and worker processes on every machine see it from this commit on. The form's
        draft is dropped; with ``guard_draft`` only if it is the one the editor opened
        (``draft_version``, None: none) or holds ``source``, so that a draft another
        admin saved meanwhile is never thrown away unseen.

        Raises:
            DefinitionInvalid: the JSON is not a usable form (nothing changes).
            DraftExists: guarded, and someone saved another draft since.
        """
        identity.require_admin(actor)
        drafts.check_name("form", key)
        try:
            spec = parse_form(key, source, file=f"{key}.json")
        except FormSchemaInvalid as exc:
            raise DefinitionInvalid(exc.reason, file=f"{key}.json") from exc
        with self._tx() as session:
            draft = drafts.find(session, "form", key)
            if guard_draft and draft is not None and draft.source != source and (
                    draft.row_version != draft_version):
                raise DraftExists(
                    f"{draft.saved_by} saved a draft of form {key!r} at "
                    f"{draft.saved_at:%Y-%m-%d %H:%M} UTC after this editor opened; "
                    "nothing was deployed", kind="form", def_id=key,
                    saved_by=draft.saved_by, saved_at=draft.saved_at,
                    row_version=draft.row_version, source=draft.source)
            if draft is not None:
                session.delete(draft)
            now = self.now()
            liveforms.deploy(session, spec, actor=actor.username, now=now)
            audit.record(
                session,
                AuditType.FORM_DEPLOYED,
                actor=actor.username,
                at=now,
                payload={
                    "form_key": key,
                    "comment": comment,
                    "sha256": spec.version,
                },
            )
        return liveforms.to_info(spec)

