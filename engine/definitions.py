"""Parse, check, version and load BPMN/DMN definitions. Never commits.

A deploy stores each changed file as a new immutable version, then (re)builds the
executable bundle of every process it touches: the process pinned to the exact versions
of the processes it calls and the decisions it uses. Parsed bundles are cached per version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine import (
    decisions,
    instancekeys,
    modelcheck,
    parsedepth,
    schedules,
    support,
    variables,
    vendorcheck,
    xmlsafe,
)
from engine.errors import DefinitionInvalid, NotFound
from engine.models import Definition, ProcessVersion
from engine.modelcheck import NS, Known, form_key_of, properties
from engine.modelfiles import ParsedFile

@lru_cache(maxsize=1)
def _validator() -> BpmnValidator:
    return BpmnValidator()


def latest(session: Session, kind: str, def_id: str) -> Definition | None:
    query = (select(Definition).where(Definition.kind == kind, Definition.def_id == def_id)
             .order_by(Definition.version.desc()).limit(1))
    return session.scalars(query).first()


def latest_ids(session: Session, kind: str) -> set[str]:
    return set(session.scalars(select(Definition.def_id).where(Definition.kind == kind)))


def problems(session: Session, files: Iterable[ParsedFile], *,
             groups: frozenset[str], form_exists: Callable[[str], bool]) -> list[DefinitionInvalid]:
    """Return every problem of a batch: support matrix, our rules, and Spiff's own parse."""
    batch = list(files)
    known = Known(
        groups=groups,
        form_exists=form_exists,
        processes=frozenset(latest_ids(session, "bpmn") | _ids(batch, "bpmn")),
        decisions=frozenset(latest_ids(session, "dmn") | _ids(batch, "dmn")),
    )
    found: list[DefinitionInvalid] = []
    for parsed in batch:
        if parsed.kind != "bpmn":
            continue
        for process in parsed.root.iterfind("bpmn:process", NS):
            if process.get("id") in parsed.ids:
                found.extend(support.check(process, parsed.file_name))
                found.extend(vendorcheck.check(process, parsed.file_name))
                found.extend(modelcheck.check(process, parsed.file_name, known))
    if found:
        return found
    for parsed in batch:
        for def_id in parsed.ids if parsed.kind == "bpmn" else ():
            try:
                sources = bundle_sources(session, def_id, batch)
                spec, subprocess_specs = build_spec(def_id, sources)
            except DefinitionInvalid as exc:
                found.append(exc)
                continue
            if not parsedepth.startable(spec, subprocess_specs):
                found.append(DefinitionInvalid(parsedepth.TOO_LONG_TO_RUN,
                                               file=parsed.file_name, bpmn_id=def_id))
    return found


def _ids(batch: Iterable[ParsedFile], kind: str) -> set[str]:
    return {i for f in batch if f.kind == kind for i in f.ids}


Source = tuple[str, str, str, bytes]  # kind, def_id, file name, bytes


def bundle_sources(session: Session, process_id: str,
                   batch: Iterable[ParsedFile] = ()) -> list[Source]:
    """Collect the process, its callees (transitively) and its decisions, newest first."""
    pending = {f.kind + ":" + i: f for f in batch for i in f.ids}
    result: dict[str, Source] = {}
    todo = [("bpmn", process_id)]
    while todo:
        kind, def_id = todo.pop()
        key = f"{kind}:{def_id}"
        if key in result:
            continue
        if key in pending:
            parsed = pending[key]
            data, name, root = parsed.data, parsed.file_name, parsed.root
        else:
            row = latest(session, kind, def_id)
            if row is None:
                raise NotFound(f"{kind} {def_id!r} is not deployed")
            data, name = row.source, row.file_name
            root = xmlsafe.parse(name, data)
        result[key] = (kind, def_id, name, data)
        if kind == "bpmn":
            todo.extend(_references(root, def_id))
    return list(result.values())


def _references(root: etree._Element, process_id: str) -> list[tuple[str, str]]:
    process = root.find(f"bpmn:process[@id='{process_id}']", NS)
    if process is None:
        return []
    refs = [("bpmn", n.get("calledElement", "")) for n in process.iterfind(
        ".//bpmn:callActivity", NS)]
    refs += [("dmn", (n.text or "").strip()) for n in process.iterfind(
        ".//spiffworkflow:calledDecisionId", NS)]
    return [r for r in refs if r[1]]


@dataclass(frozen=True)
class LoadedSpec:
    """A parsed, ready-to-run bundle; shared read-only between instances of a version."""

    process_version_id: int
    process_id: str
    version: int
    name: str
    name_en: str | None
    spec: Any
    subprocess_specs: Mapping[str, Any]
    bpmn_xml: str
    one_instance_per: str | None = None  # engine/instancekeys.py
    # Labels of what its scripts set, the called processes' included (engine/variables.py).
    variables: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def build_spec(process_id: str, sources: Iterable[Source]) -> tuple[Any, dict[str, Any]]:
    """Parse a bundle with SpiffWorkflow; translate its errors into DefinitionInvalid."""
    parser = SpiffBpmnParser(validator=_validator())
    current, elements = "", 0
    try:
        for kind, _def_id, name, data in sorted(sources, key=lambda s: s[0] != "dmn"):
            current = name
            root = xmlsafe.parse(name, data)
            elements += sum(1 for _ in root.iter())
            if kind == "dmn":
                parser.add_dmn_xml(root, filename=name)
            else:
                parser.add_bpmn_xml(root.getroottree(), filename=name)
        current = process_id
        with parsedepth.room_for(elements):
            spec = parser.get_spec(process_id)
            subprocess_specs = parser.get_subprocess_specs(process_id)
        schedules.neutralize(spec)
        decisions.instrument([spec, *subprocess_specs.values()], parser.dmn_parsers)
        return spec, subprocess_specs
    except ValidationException as exc:
        reason = (parsedepth.TOO_DEEP if isinstance(exc.__context__, RecursionError)
                  else str(exc).splitlines()[0])
        raise DefinitionInvalid(reason, file=exc.file_name or current,
                                line=_int(exc.line_number), bpmn_id=exc.id or None) from exc
    except (SpiffWorkflowException, NotImplementedError, KeyError, ValueError) as exc:
        raise DefinitionInvalid(f"cannot be parsed: {exc}", file=current) from exc


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def next_version(session: Session, model: type[Definition] | type[ProcessVersion],
                 **where: str) -> int:
    query = select(func.max(model.version)).filter_by(**where)
    return int(session.scalar(query) or 0) + 1


def bundle_hash(sources: Iterable[Source]) -> str:
    digest = hashlib.sha256()
    for kind, def_id, _name, data in sorted(sources, key=lambda s: (s[0], s[1])):
        digest.update(f"{kind}:{def_id}:{hashlib.sha256(data).hexdigest()}\n".encode())
    return digest.hexdigest()


def process_meta(root: etree._Element, process_id: str) -> dict[str, Any]:
    """Read the start page facts of a process: names, description, starters, start form."""
    process = root.find(f"bpmn:process[@id='{process_id}']", NS)
    assert process is not None
    props = properties(process)
    doc = process.find("bpmn:documentation", NS)
    starts = process.findall("bpmn:startEvent", NS)
    start_ids = {s.get("id") for s in starts}
    groups = sorted({
        lane.get("name", "") for lane in process.iterfind(".//bpmn:lane", NS)
        if start_ids & {(r.text or "").strip() for r in lane.iterfind("bpmn:flowNodeRef", NS)}
    })
    return {
        "name": process.get("name") or process_id,
        "name_en": props.get("name_en"),
        "description": props.get("description") or (doc.text or "" if doc is not None else ""),
        "description_en": props.get("description_en"),
        "start_groups": groups,
        "start_form_key": next((k for k in map(form_key_of, starts) if k), None),
    }


def get_process_version(session: Session, process_id: str,
                        version: int | None = None) -> ProcessVersion:
    query = select(ProcessVersion).where(ProcessVersion.process_id == process_id)
    if version is not None:
        query = query.where(ProcessVersion.version == version)
    row = session.scalars(query.order_by(ProcessVersion.version.desc()).limit(1)).first()
    if row is None:
        at = f" version {version}" if version is not None else ""
        # A page names the missing version; without one, the process is what is missing.
        raise NotFound(
            f"process {process_id!r}{at} is not deployed",
            kind="process_version" if version is not None else "process",
            key=str(version) if version is not None else process_id,
        )
    return row


_CACHE: dict[tuple[int, int, str], LoadedSpec] = {}


def load_spec(session: Session, row: ProcessVersion) -> LoadedSpec:
    """Return the parsed bundle of a process version, parsing it once per process."""
    key = (row.id, row.version, row.bundle_sha256)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    defs = session.scalars(select(Definition).where(Definition.id.in_(row.definition_ids)))
    sources = [(d.kind, d.def_id, d.file_name, d.source) for d in defs]
    spec, subs = build_spec(row.process_id, sources)
    main = next(s for s in sources if s[0] == "bpmn" and s[1] == row.process_id)
    processes = {def_id: _process_of(name, data, def_id)
                 for kind, def_id, name, data in sources if kind == "bpmn"}
    process = processes[row.process_id]
    keyed = properties(process).get(instancekeys.PROPERTY) if process is not None else None
    own_last = sorted(processes, key=lambda def_id: def_id == row.process_id)
    declared = variables.merged(variables.read(processes[i]) for i in own_last)
    loaded = LoadedSpec(row.id, row.process_id, row.version, row.name, row.name_en, spec,
                        subs, xmlsafe.text(main[2], main[3]), keyed or None, declared)
    _CACHE[key] = loaded
    return loaded


def _process_of(file_name: str, data: bytes, process_id: str) -> etree._Element | None:
    return xmlsafe.parse(file_name, data).find(f"bpmn:process[@id='{process_id}']", NS)


def clear_cache() -> None:
    _CACHE.clear()


def new_definition(parsed: ParsedFile, def_id: str, *, version: int, actor: str,
                   now: datetime, comment: str) -> Definition:
    name, name_en = parsed.names.get(def_id, (def_id, None))
    return Definition(kind=parsed.kind, def_id=def_id, version=version, name=name,
                      name_en=name_en, file_name=parsed.file_name, source=parsed.data,
                      sha256=parsed.sha256, deployed_by=actor, deployed_at=now,
                      comment=comment)
