"""What BPMN this engine executes faithfully, and the check that refuses everything else.

SpiffWorkflow 3.2.0 quietly builds some elements as something else (a link or compensation
event becomes a plain none event) and accepts some invalid models; this matrix is the
single place that decides, element by element, what may be deployed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from engine.calendar import is_day_of_month, parse_working_days
from engine.durations import parse_duration
from engine import instructiontext, visibility
from engine.errors import DefinitionInvalid
from engine.sla import Escalation

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"


def _tag(name: str) -> str:
    return f"{{{BPMN_NS}}}{name}"


@dataclass(frozen=True, slots=True)
class Support:
    supported: bool
    note: str
    # for events: the event definitions allowed in this position (empty = none event only)
    definitions: frozenset[str] = frozenset()


_NO_SENDING = ("a process cannot send messages; they come in through `signoff message` "
               "or Engine.deliver_message")
_CATCH = frozenset({"timerEventDefinition", "signalEventDefinition",
                    "messageEventDefinition"})

ELEMENTS: Mapping[str, Support] = {
    "startEvent": Support(True, "none, timer or message start; timer start is scheduled by "
                          "the engine, a message start starts an instance per message",
                          frozenset({"timerEventDefinition", "messageEventDefinition"})),
    "endEvent": Support(True, "none, terminate, error or escalation end; terminate "
                        "ends the process it is in (a called process: that one only) "
                        "and cancels its open branches; an `outcome` property names "
                        "how the process ended",
                        frozenset({"terminateEventDefinition", "errorEventDefinition",
                                   "escalationEventDefinition"})),
    "intermediateCatchEvent": Support(True, "timer, signal or message catch", _CATCH),
    "intermediateThrowEvent": Support(True, "none, signal or escalation throw",
                                      frozenset({"signalEventDefinition",
                                                 "escalationEventDefinition"})),
    "boundaryEvent": Support(True, "timer, error, escalation, signal or message; "
                             "interrupting or not",
                             frozenset({"timerEventDefinition", "errorEventDefinition",
                                        "escalationEventDefinition",
                                        "signalEventDefinition",
                                        "messageEventDefinition"})),
    "task": Support(True, "a person in its lane confirms it, like a manual task (it is not skipped)"),
    "userTask": Support(True, "a person's task in the inbox, with a form; without one, "
                        "the person confirms it with an optional comment"),
    "manualTask": Support(True, "a person confirms it was done"),
    "scriptTask": Support(True, "Python in the sandbox"),
    "businessRuleTask": Support(True, "evaluates a deployed DMN decision"),
    "callActivity": Support(True, "calls another deployed process"),
    "subProcess": Support(True, "embedded subprocess (not event subprocess)"),
    "exclusiveGateway": Support(True, "conditions are sandboxed Python expressions"),
    "inclusiveGateway": Support(True, "conditions are sandboxed Python expressions"),
    "parallelGateway": Support(True, "fork and join; refused as the merge point of a loop"),
    "eventBasedGateway": Support(True, "followed by timer, signal or message catch events"),
    "sequenceFlow": Support(True, "with optional condition"),
    "serviceTask": Support(False, "service tasks call external systems; none are configured"),
    "sendTask": Support(False, _NO_SENDING),
    "receiveTask": Support(True, "waits for a message by name and correlation key"),
    "complexGateway": Support(False, "complex gateways are not executable in SpiffWorkflow"),
    "adHocSubProcess": Support(False, "ad-hoc subprocesses are not supported"),
    "transaction": Support(False, "transactions and compensation are not supported"),
    "dataStoreReference": Support(False, "data stores are not configured"),
}

# Elements that carry no behaviour (diagram, documentation, data): always accepted.
PASSIVE = frozenset({
    "laneSet", "lane", "flowNodeRef", "childLaneSet", "documentation", "extensionElements",
    "incoming", "outgoing", "conditionExpression", "textAnnotation", "association", "text",
    "dataObject", "dataObjectReference", "dataInputAssociation", "dataOutputAssociation",
    "sourceRef", "targetRef", "ioSpecification", "dataInput", "dataOutput", "inputSet",
    "outputSet", "dataInputRefs", "dataOutputRefs", "property", "group", "category",
    "categoryValue", "script", "loopCardinality", "completionCondition", "loopDataInputRef",
    "loopDataOutputRef", "inputDataItem", "outputDataItem", "standardLoopCharacteristics",
    "multiInstanceLoopCharacteristics", "timeDate", "timeDuration", "timeCycle",
    "loopCondition", "errorRef", "escalationRef", "signalRef", "messageRef",
    *(d for s in ELEMENTS.values() for d in s.definitions),
    "linkEventDefinition", "compensateEventDefinition", "messageEventDefinition",
    "conditionalEventDefinition", "cancelEventDefinition",
})

EVENTS = frozenset({"startEvent", "endEvent", "intermediateCatchEvent",
                    "intermediateThrowEvent", "boundaryEvent"})
_EVENT_DEF_REASONS = {
    "linkEventDefinition": "link events are not executed by SpiffWorkflow 3.2 (they would do nothing); draw a sequence flow instead",
    "compensateEventDefinition": "compensation is not supported",
    "messageEventDefinition": _NO_SENDING,
    "conditionalEventDefinition": "conditional events need data-change triggers this engine does not have",
    "cancelEventDefinition": "cancel events belong to transactions, which are not supported",
}


def _local(node: etree._Element) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _problem(file: str, node: etree._Element, reason: str,
             property_name: str | None = None) -> DefinitionInvalid:
    return DefinitionInvalid(reason, file=file, line=node.sourceline, bpmn_id=node.get("id")
                             or _local(node), property_name=property_name)


def check(process: etree._Element, file: str) -> Iterator[DefinitionInvalid]:
    """Yield a problem for every element of ``process`` the engine cannot run faithfully."""
    for node in process.iter():
        if not isinstance(node.tag, str) or etree.QName(node).namespace != BPMN_NS:
            continue
        name = _local(node)
        if node is process or name in PASSIVE:
            continue
        support = ELEMENTS.get(name)
        if support is None:
            yield _problem(file, node, f"bpmn:{name} is not supported by this engine")
            continue
        if not support.supported:
            yield _problem(file, node, f"bpmn:{name}: {support.note}")
            continue
        yield from _check_attributes(node, name, file)
        if name in EVENTS:
            yield from _check_event(node, name, support, file)
        if name in ("userTask", "manualTask"):
            yield from _check_task_properties(node, file)
        if name == "receiveTask" or (
                name in EVENTS and node.find(_tag("messageEventDefinition")) is not None):
            yield from _check_message(node, file)


def _check_attributes(node: etree._Element, name: str, file: str) -> Iterator[DefinitionInvalid]:
    for attr in ("startQuantity", "completionQuantity"):
        value = node.get(attr)
        if value is not None and value.strip() != "1":
            yield _problem(file, node, f"{attr}={value!r}: only 1 token per activity is "
                                       "supported (0 or negative is invalid BPMN)")
    if node.get("isForCompensation") == "true":
        yield _problem(file, node, "compensation handlers are not supported")
    if name == "subProcess" and node.get("triggeredByEvent") == "true":
        yield _problem(file, node, "event subprocesses are not supported")
    for loop in node.findall(_tag("multiInstanceLoopCharacteristics")):
        card = loop.find(_tag("loopCardinality"))
        text = (card.text or "").strip() if card is not None else ""
        if text.lstrip("-").isdigit() and int(text) <= 0:
            yield _problem(file, node, f"loop cardinality {text} must be a positive number")


def _check_event(node: etree._Element, name: str, support: Support,
                 file: str) -> Iterator[DefinitionInvalid]:
    defs = [_local(c) for c in node if isinstance(c.tag, str) and _local(c).endswith(
        "EventDefinition")]
    if node.findall(_tag("eventDefinitionRef")):
        yield _problem(file, node, "shared event definitions (eventDefinitionRef) are not supported")
    if len(defs) > 1:
        yield _problem(file, node, "events with several event definitions are not supported")
        return
    if not defs:
        if name in ("boundaryEvent", "intermediateCatchEvent"):
            yield _problem(file, node, f"bpmn:{name} needs an event definition")
        return
    kind = defs[0]
    if kind not in support.definitions:
        reason = _EVENT_DEF_REASONS.get(kind, f"{kind} is not supported on bpmn:{name}")
        yield _problem(file, node, f"bpmn:{name} with {kind}: {reason}")


def _check_task_properties(node: etree._Element, file: str) -> Iterator[DefinitionInvalid]:
    """Due-time, reminder, escalation, assignee and subject properties must parse."""
    props = {p.get("name"): (p.get("value") or "").strip()
             for p in node.iter(f"{{{SPIFF_NS}}}property")}
    for prop in CHECKED_PROPERTIES:
        hint = property_problem(prop, props[prop]) if prop in props else None
        if hint is not None:
            yield _problem(file, node, f"property {prop}={props[prop]!r}: {hint}", prop)
    if "assignTo" in props and "assignToVariable" in props:
        yield _problem(file, node, "properties assignTo and assignToVariable both name "
                                   "who gets the task: keep one", "assignToVariable")


def property_problem(name: str, value: str) -> str | None:
    """How to fix a task property the deploy would refuse, or None when it is fine.

    The admin's properties panel asks this as the value is typed, so the panel and the
    deploy can never disagree.
    """
    valid = _CHECKED_PROPERTIES.get(name)
    if valid is None or valid(value.strip()):
        return None
    return _PROPERTY_HINTS[name]


def _check_message(node: etree._Element, file: str) -> Iterator[DefinitionInvalid]:
    """A message is known by the name of a ``bpmn:message`` the element refers to."""
    holder = node if _local(node) == "receiveTask" else node.find(
        _tag("messageEventDefinition"))
    ref = holder.get("messageRef") if holder is not None else None
    found = node.getroottree().getroot().find(f"{_tag('message')}[@id='{ref}']") if ref \
        else None
    if found is None or not (found.get("name") or "").strip():
        yield _problem(file, node, "a message event or receive task needs messageRef naming "
                                   "a bpmn:message with a name")


def _is_escalation(text: str) -> bool:
    try:
        return Escalation.parse(text) is not None
    except ValueError:
        return False


def _is_date(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _is_priority(text: str) -> bool:
    # ASCII digits only: str.isdigit() also takes "³", which int() refuses.
    return text.isascii() and text.isdigit() and int(text) <= MAX_PRIORITY


# A task's inbox priority: a whole number from 0 (the default) to this; higher first.
MAX_PRIORITY = 100
_CHECKED_PROPERTIES: Mapping[str, Callable[[str], bool]] = {
    "dueIn": lambda t: parse_duration(t) is not None or parse_working_days(t) is not None,
    "dueInWorkingDays": lambda t: t.isdigit() and int(t) > 0,
    "dueBy": lambda t: is_day_of_month(t) or _is_date(t),
    "remindBefore": lambda t: parse_duration(t) is not None,
    "escalation": _is_escalation,
    "priority": _is_priority,
    "assignTo": lambda t: t == "starter",
    "assignToVariable": visibility.is_path,
    "visibleData": visibility.is_path_list,
    "visibleSteps": visibility.is_step_list,
    "aboutVariable": visibility.is_path,
    "subject": instructiontext.compiles,
}
# The user and manual task properties the deploy checks, in the panel's order.
CHECKED_PROPERTIES = tuple(_CHECKED_PROPERTIES)
_PROPERTY_HINTS = {
    "dueIn": "use an ISO 8601 duration such as P3D or PT4H, or working days such as P3WD",
    "dueInWorkingDays": "use a whole number of working days such as 3",
    "dueBy": "use 'day 12 of the month' (optionally '17:00') or an ISO date",
    "remindBefore": "use an ISO 8601 duration such as P1D",
    "escalation": "use notify:<group> or reassign:<group>",
    "priority": f"use a whole number from 0 to {MAX_PRIORITY} (higher comes first)",
    "assignTo": "use 'starter' (the person who started the request, when they are in"
                " the task's lane)",
    "assignToVariable": "name the variable, or a dict key after a dot (such as"
                        " station_to_confirm.maintainer_account), holding a user name",
    "visibleData": "list the variables or dict keys (a.b) this step shows, separated"
                   " by commas",
    "visibleSteps": "list the ids of the earlier steps whose decisions this step shows,"
                    " separated by commas",
    "aboutVariable": "name the variable, or a dict key after a dot (such as"
                     " station_to_confirm.station_id), saying what the task is about",
    "subject": "write text with {{ variable }} placeholders, as in instructions",
}
# Shown as "catch only" in the matrix: allowed where the process waits for a message.
_CATCH_ONLY = frozenset({"messageEventDefinition"})


def matrix_rows() -> list[tuple[str, str, str]]:
    """The support matrix as (element, supported, note) rows, for docs and tests."""
    rows = [(k, "yes" if v.supported else "no", v.note) for k, v in ELEMENTS.items()]
    rows += [(k, "catch only" if k in _CATCH_ONLY else "no", v)
             for k, v in _EVENT_DEF_REASONS.items()]
    return rows
