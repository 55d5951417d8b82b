"""Read a shipped BPMN file as a graph to prove structural rules (no report, no pay)."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}


def flows(process_id: str) -> list[tuple[str, str, str]]:
    """(source, target, condition) for every sequence flow and boundary attachment."""
    root = etree.parse(str(WORKFLOWS / f"{process_id}.bpmn")).getroot()
    edges = [
        (
            f.get("sourceRef"),
            f.get("targetRef"),
            (f.findtext("bpmn:conditionExpression", namespaces=NS) or "").strip(),
        )
        for f in root.iterfind(".//bpmn:sequenceFlow", NS)
    ]
    edges += [
        (b.get("attachedToRef"), b.get("id"), "")
        for b in root.iterfind(".//bpmn:boundaryEvent", NS)
    ]
    return edges


def start_events(process_id: str) -> list[str]:
    root = etree.parse(str(WORKFLOWS / f"{process_id}.bpmn")).getroot()
    return [s.get("id") for s in root.iterfind(".//bpmn:startEvent", NS)]


def reachable(process_id: str, target: str, *, avoiding: str) -> bool:
    """Whether ``target`` is reachable from a start without passing ``avoiding``."""
    edges = flows(process_id)
    seen: set[str] = set()
    todo = [s for s in start_events(process_id) if s != avoiding]
    while todo:
        node = todo.pop()
        if node == target:
            return True
        if node in seen:
            continue
        seen.add(node)
        todo += [t for s, t, _ in edges if s == node and t != avoiding]
    return False
