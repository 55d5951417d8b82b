"""Flow shapes that are valid XML but cannot run: a parallel gateway merging a loop.

A parallel join waits for a token on every incoming flow. Used as the point where a
loop comes back (one flow from before the loop, one from its end), it gets the first
round's token from before the loop once only, so the second round waits forever. A
loop around a whole fork/join block is fine: there every incoming flow lies inside the
loop. So a parallel gateway is refused when some incoming flows can be reached from the
gateway itself and others cannot.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from lxml import etree

from engine.errors import DefinitionInvalid
from engine.support import BPMN_NS

_NS = {"bpmn": BPMN_NS}


def check(process: etree._Element, file: str) -> Iterator[DefinitionInvalid]:
    """Yield a problem for every parallel gateway that merges a loop's way back."""
    following: dict[str, set[str]] = defaultdict(set)
    incoming: dict[str, list[str]] = defaultdict(list)
    for flow in process.iterfind(".//bpmn:sequenceFlow", _NS):
        source, target = flow.get("sourceRef"), flow.get("targetRef")
        if source and target:
            following[source].add(target)
            incoming[target].append(source)
    for boundary in process.iterfind(".//bpmn:boundaryEvent", _NS):
        host, event = boundary.get("attachedToRef"), boundary.get("id")
        if host and event:
            following[host].add(event)
    for gateway in process.iterfind(".//bpmn:parallelGateway", _NS):
        gateway_id = gateway.get("id") or ""
        sources = incoming.get(gateway_id, [])
        if len(sources) < 2:
            continue
        reachable = _reachable(gateway_id, following)
        back = sorted({s for s in sources if s in reachable})
        if back and len(back) < len(set(sources)):
            yield DefinitionInvalid(
                f"parallel gateway merges a loop coming back from {', '.join(back)}: "
                "after the first round it would wait forever for the flow from before "
                "the loop; merge a loop with an exclusive gateway",
                file=file, line=gateway.sourceline, bpmn_id=gateway_id)


def _reachable(start: str, following: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    stack = list(following.get(start, ()))
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(following.get(node, ()))
    return seen
