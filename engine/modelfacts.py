"""The facts of each BPMN and DMN element that the engine reads, for comparing versions.

Names, flows, conditions, scripts, forms, timers, called decisions and rule cells, as
plain strings keyed by element id. Layout (BPMNDI/DMNDI) is left out on purpose.
"""

from __future__ import annotations

from lxml import etree

from engine.modelcheck import NS, SPIFF_NS

_SKIP = {
    "laneSet",
    "extensionElements",
    "incoming",
    "outgoing",
    "flowNodeRef",
    "conditionExpression",
    "script",
    "documentation",
    "multiInstanceLoopCharacteristics",
    "timeDate",
    "timeDuration",
    "timeCycle",
    "text",
    "inputEntry",
    "outputEntry",
    "inputExpression",
    "decisionTable",
    "description",
    "definitions",
}
_EVENT_SUFFIX = "EventDefinition"
_SCRIPTS = ("preScript", "postScript", "calledDecisionId", "instructionsForEndUser")


def local_name(node: etree._Element) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def bpmn_facts(root: etree._Element) -> dict[str, dict[str, str]]:
    """Every element with an id in the processes, with the facts the engine reads."""
    result: dict[str, dict[str, str]] = {}
    for process in root.iterfind("bpmn:process", NS):
        lanes = {
            (ref.text or "").strip(): lane.get("name", "")
            for lane in process.iterfind(".//bpmn:lane", NS)
            for ref in lane.iterfind("bpmn:flowNodeRef", NS)
        }
        for node in process.iter():
            local = local_name(node)
            if not node.get("id") or local in _SKIP or local.endswith(_EVENT_SUFFIX):
                continue
            facts = _bpmn_node(node, local)
            if node.get("id") in lanes:
                facts["lane"] = lanes[node.get("id", "")]
            result[node.get("id", "")] = facts
    return result


def _bpmn_node(node: etree._Element, local: str) -> dict[str, str]:
    facts = {"type": local, "name": node.get("name", "")}
    for attr in (
        "sourceRef",
        "targetRef",
        "default",
        "calledElement",
        "attachedToRef",
        "cancelActivity",
        "scriptFormat",
    ):
        if node.get(attr) is not None:
            facts[attr] = node.get(attr, "")
    for child in node:
        child_local = local_name(child)
        if child_local == "conditionExpression":
            facts["condition"] = (child.text or "").strip()
        elif child_local == "script":
            facts["script"] = (child.text or "").strip()
        elif child_local == "documentation":
            facts["documentation"] = (child.text or "").strip()
        elif child_local.endswith(_EVENT_SUFFIX):
            facts.update(_event(child, child_local))
        elif child_local == "multiInstanceLoopCharacteristics":
            facts["multi_instance"] = (
                "sequential" if child.get("isSequential") == "true" else "parallel"
            )
    facts.update(_extensions(node))
    return facts


def _event(definition: etree._Element, local: str) -> dict[str, str]:
    facts = {"event": local[: -len(_EVENT_SUFFIX)]}
    for timer in ("timeDate", "timeDuration", "timeCycle"):
        found = definition.find(f"bpmn:{timer}", NS)
        if found is not None:
            facts["timer"] = f"{timer}: {(found.text or '').strip()}"
    for ref in ("signalRef", "errorRef", "escalationRef", "messageRef"):
        if definition.get(ref):
            facts[ref] = definition.get(ref, "")
    return facts


def _extensions(node: etree._Element) -> dict[str, str]:
    facts: dict[str, str] = {}
    ext = node.find("bpmn:extensionElements", NS)
    if ext is None:
        return facts
    for prop in ext.iterfind("spiffworkflow:properties/spiffworkflow:property", NS):
        name = prop.get("name")
        if name:
            facts["form" if name == "formJsonSchemaFilename" else name] = prop.get(
                "value", ""
            )
    for tag in _SCRIPTS:
        found = ext.find(f"{{{SPIFF_NS}}}{tag}")
        if found is not None:
            facts[tag] = (found.text or "").strip()
    return facts


def dmn_facts(root: etree._Element) -> dict[str, dict[str, str]]:
    """Decisions, inputs, outputs and rules of a DMN file, rules spelled by column."""
    result: dict[str, dict[str, str]] = {}
    ns = etree.QName(root).namespace
    for decision in root.iterfind(f"{{{ns}}}decision"):
        table = decision.find(f"{{{ns}}}decisionTable")
        result[decision.get("id", "")] = {
            "type": "decision",
            "name": decision.get("name", ""),
            "hit_policy": table.get("hitPolicy", "UNIQUE") if table is not None else "",
        }
        if table is None:
            continue
        inputs = [
            (i.get("label") or i.get("id", ""), i)
            for i in table.iterfind(f"{{{ns}}}input")
        ]
        outputs = [
            (o.get("name") or o.get("label") or o.get("id", ""), o)
            for o in table.iterfind(f"{{{ns}}}output")
        ]
        for label, node in inputs:
            expr = node.find(f"{{{ns}}}inputExpression/{{{ns}}}text")
            result[node.get("id", "")] = {
                "type": "input",
                "name": label,
                "expression": (expr.text or "").strip() if expr is not None else "",
            }
        for label, node in outputs:
            result[node.get("id", "")] = {
                "type": "output",
                "name": label,
                "type_ref": node.get("typeRef", ""),
            }
        for number, rule in enumerate(table.iterfind(f"{{{ns}}}rule"), start=1):
            result[rule.get("id", "")] = _rule(ns, rule, number, inputs, outputs)
    return result


def _rule(
    ns: str,
    rule: etree._Element,
    number: int,
    inputs: list[tuple[str, etree._Element]],
    outputs: list[tuple[str, etree._Element]],
) -> dict[str, str]:
    description = rule.find(f"{{{ns}}}description")
    label = (description.text or "").strip() if description is not None else ""
    facts = {"type": "rule", "name": label or f"#{number}"}
    entries = [
        (f"when {label}", e)
        for (label, _), e in zip(inputs, rule.iterfind(f"{{{ns}}}inputEntry"))
    ]
    entries += [
        (f"then {label}", e)
        for (label, _), e in zip(outputs, rule.iterfind(f"{{{ns}}}outputEntry"))
    ]
    for key, entry in entries:
        text = entry.find(f"{{{ns}}}text")
        facts[key] = (text.text or "").strip() if text is not None else ""
    return facts
