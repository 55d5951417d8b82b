"""Settings of other engines (Camunda 7, Camunda 8/Zeebe, Activiti, Flowable) that
Signoff does not read, refused where ignoring them would change who works a task, with
which form, or by when. Reads the parsed file only; never touches the database.

A Camunda export must run here as drawn: an assignee or form that silently vanished
would leave a task with no form that only admins can work.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from lxml import etree

from engine.errors import DefinitionInvalid
from engine.support import BPMN_NS

VENDORS: Mapping[str, tuple[str, str]] = {  # namespace -> (usual prefix, product)
    "http://camunda.org/schema/1.0/bpmn": ("camunda", "Camunda 7"),
    "http://camunda.org/schema/zeebe/1.0": ("zeebe", "Camunda 8 (Zeebe)"),
    "http://activiti.org/bpmn": ("activiti", "Activiti"),
    "http://flowable.org/bpmn": ("flowable", "Flowable"),
}


@dataclass(frozen=True, slots=True)
class Topic:
    """One thing Signoff models its own way: the vendors' names for it, what to use."""

    attributes: frozenset[str]
    elements: frozenset[str]
    instead: str  # ``{what}`` names the element: "the task", "the start event"


TOPICS: tuple[Topic, ...] = (
    Topic(frozenset({"assignee", "candidateUsers", "candidateGroups"}),
          frozenset({"assignmentDefinition"}),
          "Signoff assigns by lane: put {what} in a lane whose name is a group, and "
          "the members of that group may work it"),
    Topic(frozenset({"formKey", "formRef", "formRefBinding", "formRefVersion"}),
          frozenset({"formDefinition", "formData", "formProperty"}),
          "give {what} a form with the spiffworkflow:property formJsonSchemaFilename "
          "(value=\"<form key>.json\") in its spiffworkflow:properties"),
    Topic(frozenset({"dueDate", "followUpDate"}), frozenset({"taskSchedule"}),
          "give {what} a due time with the dueIn property (docs/deadlines.md)"),
)
WHAT = {
    "userTask": "the task",
    "manualTask": "the task",
    "startEvent": "the start event",
}


def check(process: etree._Element, file: str) -> Iterator[DefinitionInvalid]:
    """Yield a problem for each vendor assignment, form or due setting in ``process``."""
    for tag, what in WHAT.items():
        for node in process.iter(f"{{{BPMN_NS}}}{tag}"):
            for topic in TOPICS:
                found = _settings(node, topic)
                if found:
                    yield DefinitionInvalid(
                        f"bpmn:{tag} sets {', '.join(found)}, which Signoff does not "
                        f"read ({_products(found)} setting); "
                        + topic.instead.format(what=what),
                        file=file, line=node.sourceline, bpmn_id=node.get("id"))


def _settings(node: etree._Element, topic: Topic) -> list[str]:
    """The vendor attributes and extension elements of ``topic`` on ``node``."""
    names = [etree.QName(attr) for attr in node.attrib]
    found = [_name(n) for n in names if _vendor(n) and n.localname in topic.attributes]
    extensions = node.find(f"{{{BPMN_NS}}}extensionElements")
    for child in extensions.iter() if extensions is not None else ():
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child)
        if _vendor(name) and name.localname in topic.elements:
            found.append(_name(name))
    return list(dict.fromkeys(found))


def _vendor(name: etree.QName) -> bool:
    return name.namespace in VENDORS


def _name(name: etree.QName) -> str:
    return f"{VENDORS[name.namespace or ''][0]}:{name.localname}"


def _products(names: list[str]) -> str:
    prefixes = {n.split(":")[0] for n in names}
    return " and ".join(p for prefix, p in VENDORS.values() if prefix in prefixes)
