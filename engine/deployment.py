"""Versioned deploys: store changed files as new versions and rebuild affected bundles.

Never commits. Unchanged content creates no version; a changed decision or called process
gives every process that uses it a new bundle version, so running instances keep theirs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit, definitions, dmncheck, modelfiles, schedules, wiring, xmlsafe
from engine.audit import AuditType
from engine.errors import DefinitionInvalid, NotFound
from engine.modelfiles import ParsedFile
from engine.models import Definition, ProcessVersion
from engine.records import Actor, DefinitionInfo


def parse_batch(files: Mapping[str, bytes]) -> tuple[list[ParsedFile], list[DefinitionInvalid]]:
    parsed: list[ParsedFile] = []
    failed: list[DefinitionInvalid] = []
    for name, data in sorted(files.items()):
        try:
            parsed.append(modelfiles.read(name, data))
        except DefinitionInvalid as exc:
            failed.append(exc)
    seen: dict[str, str] = {}
    for item in parsed:
        for def_id in item.ids:
            key = f"{item.kind}:{def_id}"
            if key in seen:
                failed.append(DefinitionInvalid(
                    f"{def_id!r} is also defined in {seen[key]}", file=item.file_name,
                    bpmn_id=def_id))
            seen[key] = item.file_name
    return parsed, failed


def validate(session: Session, files: Mapping[str, bytes], *, groups: frozenset[str],
             form_exists: Callable[[str], bool]) -> list[DefinitionInvalid]:
    """Return every problem with a batch of files without deploying anything."""
    broken = structure(files)
    if broken:
        return broken
    parsed, failed = parse_batch(files)
    failed += [problem for item in parsed if (problem := _damage(session, item))]
    if failed:
        return failed
    return definitions.problems(session, parsed, groups=groups, form_exists=form_exists)


def structure(files: Mapping[str, bytes]) -> list[DefinitionInvalid]:
    """Broken flow wiring and decision cells that do not compile, reported alone: until
    they are fixed, SpiffWorkflow's own messages about them only confuse. Every deploy
    (editor, upload, ``signoff deploy``) checks them, so no decision fails only when an
    instance reaches it."""
    return wiring.check(files) + dmncheck.check(files)


def _damage(session: Session, item: ParsedFile) -> DefinitionInvalid | None:
    """Text that lost characters to a wrong decoding since the live version: refused."""
    for def_id in item.ids:
        live = definitions.latest(session, item.kind, def_id)
        if live is None or live.sha256 == item.sha256:
            continue
        count, line = xmlsafe.replaced(xmlsafe.text(item.file_name, item.data),
                                       xmlsafe.text(live.file_name, live.source))
        if count:
            return DefinitionInvalid(
                f"the text has {count} replacement character(s) (U+FFFD, shown as "
                f"\ufffd) that version {live.version} does not have: characters were "
                "lost when it was decoded in the wrong encoding; deploy the original "
                "file or retype them", file=item.file_name, line=line, bpmn_id=def_id)
    return None


def deploy(session: Session, files: Mapping[str, bytes], *, actor: Actor, now: datetime,
           comment: str, groups: frozenset[str],
           form_exists: Callable[[str], bool]) -> list[DefinitionInfo]:
    """Deploy a batch atomically; raise the first problem (all of them on ``.problems``)."""
    found = validate(session, files, groups=groups, form_exists=form_exists)
    if found:
        first = found[0]
        first.problems = found
        raise first
    parsed, _ = parse_batch(files)
    infos: list[DefinitionInfo] = []
    changed: set[tuple[str, str]] = set()
    for item in parsed:
        for def_id in item.ids:
            info, created = _store(session, item, def_id, actor, now, comment)
            infos.append(info)
            if created:
                changed.add((item.kind, def_id))
    session.flush()
    for process_id in sorted(_affected(session, changed)):
        _rebuild(session, process_id, actor, now, comment)
    return infos


def _store(session: Session, item: ParsedFile, def_id: str, actor: Actor, now: datetime,
           comment: str) -> tuple[DefinitionInfo, bool]:
    current = definitions.latest(session, item.kind, def_id)
    if current is not None and current.sha256 == item.sha256:
        return to_info(current, created=False), False
    version = (current.version + 1) if current is not None else 1
    row = definitions.new_definition(item, def_id, version=version, actor=actor.username,
                                     now=now, comment=comment)
    session.add(row)
    session.flush()
    audit.record(session, AuditType.DEFINITION_DEPLOYED, actor=actor.username, at=now,
                 payload={"kind": item.kind, "def_id": def_id, "version": version,
                          "file": item.file_name, "sha256": item.sha256, "comment": comment})
    return to_info(row, created=True), True


def _affected(session: Session, changed: set[tuple[str, str]]) -> set[str]:
    """Processes whose bundle includes a changed file (including the changed processes)."""
    result = {def_id for kind, def_id in changed if kind == "bpmn"}
    if not changed:
        return result
    for process_id in definitions.latest_ids(session, "bpmn") - result:
        try:
            sources = definitions.bundle_sources(session, process_id)
        except (NotFound, DefinitionInvalid):  # a broken old bundle is not rebuilt
            continue
        if any((kind, def_id) in changed for kind, def_id, _n, _d in sources):
            result.add(process_id)
    return result


def _rebuild(session: Session, process_id: str, actor: Actor, now: datetime,
             comment: str) -> None:
    sources = definitions.bundle_sources(session, process_id)
    digest = definitions.bundle_hash(sources)
    previous = session.scalars(
        select(ProcessVersion).where(ProcessVersion.process_id == process_id)
        .order_by(ProcessVersion.version.desc()).limit(1)).first()
    if previous is not None and previous.bundle_sha256 == digest:
        return
    ids = [definitions.latest(session, kind, def_id) for kind, def_id, _n, _d in sources]
    main = definitions.latest(session, "bpmn", process_id)
    assert main is not None and all(ids)
    root = xmlsafe.parse(main.file_name, main.source)
    meta = definitions.process_meta(root, process_id)
    schedules.sync(session, root, process_id, file=main.file_name, now=now)
    version = previous.version + 1 if previous is not None else 1
    session.add(ProcessVersion(
        process_id=process_id, version=version, bundle_sha256=digest,
        definition_ids=sorted(d.id for d in ids if d is not None), created_by=actor.username,
        created_at=now, **meta))
    audit.record(session, AuditType.PROCESS_VERSION_CREATED, actor=actor.username, at=now,
                 payload={"process_id": process_id, "version": version,
                          "files": {f"{k}:{i}": d.version for (k, i, _n, _s), d in
                                    zip(sources, ids) if d is not None},
                          "comment": comment})


def to_info(row: Definition, *, created: bool) -> DefinitionInfo:
    return DefinitionInfo(kind=row.kind, def_id=row.def_id, version=row.version, name=row.name,
                          name_en=row.name_en, file_name=row.file_name, sha256=row.sha256,
                          deployed_by=row.deployed_by, deployed_at=row.deployed_at,
                          comment=row.comment, created=created)


def list_all(session: Session) -> list[DefinitionInfo]:
    rows = list(session.scalars(select(Definition).order_by(
        Definition.kind, Definition.def_id, Definition.version)))
    newest = {(r.kind, r.def_id): r.version for r in rows}
    return [replace(to_info(r, created=True), latest=newest[(r.kind, r.def_id)] == r.version)
            for r in rows]
