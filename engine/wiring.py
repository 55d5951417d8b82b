"""Tie every deploy problem to a diagram element, and check sequence-flow wiring first.

SpiffWorkflow reports a flow to a missing element with a puzzling message about "two
items", and schema errors with a line only; the editor must point at the element, so
flows are checked here by id and line-only problems are mapped to the element there.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from lxml import etree

from engine import xmlsafe
from engine.admin_records import DefinitionProblem
from engine.errors import DefinitionInvalid
from engine.modelcheck import NS
from engine.support import BPMN_NS

_NOT_NODES = {
    "sequenceFlow",
    "laneSet",
    "lane",
    "incoming",
    "outgoing",
    "flowNodeRef",
    "extensionElements",
    "documentation",
    "conditionExpression",
    "script",
    "textAnnotation",
    "association",
    "dataObject",
}


def check(files: Mapping[str, bytes]) -> list[DefinitionInvalid]:
    """Every flow whose source or target is missing, and every dangling in/out ref."""
    found: list[DefinitionInvalid] = []
    for name, data in sorted(files.items()):
        try:
            root = xmlsafe.parse(name, data)
        except DefinitionInvalid:
            continue  # the deploy checks report unreadable files themselves
        if root.tag != f"{{{BPMN_NS}}}definitions":
            continue
        for process in root.iterfind("bpmn:process", NS):
            found.extend(_process(name, process))
    return found


def _process(file: str, process: etree._Element) -> Iterator[DefinitionInvalid]:
    nodes = {n.get("id"): n for n in _flow_nodes(process)}
    flows = {f.get("id"): f for f in process.iterfind(".//bpmn:sequenceFlow", NS)}
    for flow_id, flow in flows.items():
        for end, word in (("sourceRef", "comes from"), ("targetRef", "leads to")):
            ref = flow.get(end)
            if not ref:
                yield DefinitionInvalid(
                    f"sequence flow has no {end}: it {word} nowhere",
                    file=file,
                    line=flow.sourceline,
                    bpmn_id=flow_id,
                )
            elif ref not in nodes:
                yield DefinitionInvalid(
                    f"sequence flow {word} {ref!r}, which does not exist "
                    "in this process",
                    file=file,
                    line=flow.sourceline,
                    bpmn_id=flow_id,
                )
    for node_id, node in nodes.items():
        for tag in ("incoming", "outgoing"):
            for ref in node.iterfind(f"bpmn:{tag}", NS):
                if (ref.text or "").strip() not in flows:
                    yield DefinitionInvalid(
                        f"{tag} flow {(ref.text or '').strip()!r} does " "not exist",
                        file=file,
                        line=ref.sourceline,
                        bpmn_id=node_id,
                    )


def _flow_nodes(process: etree._Element) -> Iterator[etree._Element]:
    for node in process.iter():
        if not isinstance(node.tag, str) or node is process or not node.get("id"):
            continue
        local = etree.QName(node).localname
        if local in _NOT_NODES or local.endswith("EventDefinition"):
            continue
        if etree.QName(node).namespace == BPMN_NS:
            yield node


def to_problems(
    errors: Iterable[DefinitionInvalid], files: Mapping[str, bytes]
) -> list[DefinitionProblem]:
    """Attach an element (found by line when the error names none) and what to mark."""
    roots: dict[str, etree._Element | None] = {}
    problems = []
    for error in errors:
        root, name = None, error.file
        if name is not None and name in files:
            if name not in roots:
                roots[name] = _parse_or_none(name, files[name])
            root = roots[name]
        element_id = error.bpmn_id or _element_at(root, error.line)
        problems.append(
            DefinitionProblem(
                file=error.file,
                line=error.line,
                element_id=element_id,
                message=error.reason,
                highlight=_highlight(root, element_id),
                property_name=error.property_name,
            )
        )
    return problems


def _parse_or_none(name: str, data: bytes) -> etree._Element | None:
    try:
        return xmlsafe.parse(name, data)
    except DefinitionInvalid:
        return None


def _element_at(root: etree._Element | None, line: int | None) -> str | None:
    """The innermost element with an id that starts on ``line`` or encloses it."""
    if root is None or line is None:
        return None
    best: str | None = None
    for node in root.iter():
        if not isinstance(node.tag, str) or node.sourceline is None:
            continue
        if node.sourceline > line:
            break
        if node.get("id") and _ends_after(node, line):
            best = node.get("id")
    return best


def _ends_after(node: etree._Element, line: int) -> bool:
    last = node
    while len(last):
        last = last[-1]
    return (last.sourceline or 0) >= line or node.sourceline == line


def _highlight(root: etree._Element | None, element_id: str | None) -> tuple[str, ...]:
    """The element itself, and for a flow its ends that exist (it may not be drawn)."""
    if not element_id:
        return ()
    marks = [element_id]
    if root is not None:
        found = root.xpath("//*[@id=$id]", id=element_id)
        node = found[0] if found else None
        if node is not None and etree.QName(node).localname == "sequenceFlow":
            marks += [
                r
                for r in (node.get("sourceRef"), node.get("targetRef"))
                if r and root.xpath("//*[@id=$id]", id=r)
            ]
    return tuple(marks)
