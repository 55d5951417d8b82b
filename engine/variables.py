"""Declared process variables: what a process's scripts and decisions set, for people.

A process declares each such variable with a property ``variable:<name>`` on the
``bpmn:process`` whose value is a JSON object of the display keywords a form field
takes (``x-label`` with ``zh`` and ``en``, optionally ``x-enum-labels``,
``properties`` for a dict's keys, ``items`` for a table's columns), plus
``"x-internal": true`` for bookkeeping that staff pages leave out (auditors still
see it). So the labels live next to the scripts that set the values, and a version
keeps the labels it was deployed with. Checked at deploy; no SQL, nothing written.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from lxml import etree

from engine.errors import DefinitionInvalid
from engine.support import BPMN_NS, SPIFF_NS

logger = logging.getLogger(__name__)
PREFIX = "variable:"
INTERNAL = "x-internal"
_KEYWORDS = frozenset({"x-label", INTERNAL, "x-enum-labels", "properties", "items"})
_PROPERTIES = (
    "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property"
)
_NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}
Declarations = dict[str, dict[str, Any]]


def _declared(process: etree._Element) -> Iterator[tuple[etree._Element, str, str]]:
    """Yield (property element, variable name, JSON text) for each declaration."""
    for node in process.xpath(_PROPERTIES, namespaces=_NS):
        name = node.get("name") or ""
        if name.startswith(PREFIX):
            yield node, name[len(PREFIX):], node.get("value", "")


def parse(name: str, text: str) -> dict[str, Any]:
    """Return one declaration's display keywords.

    Raises:
        ValueError: not a well-formed declaration; the message says what is wrong.
    """
    if not name.isidentifier():
        raise ValueError(f"{name!r} is not a variable name")
    try:
        shape = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"is not JSON: {exc.msg} at character {exc.pos + 1}") from exc
    if not isinstance(shape, dict):
        raise ValueError('must be a JSON object such as {"x-label": {"zh": "…", '
                         '"en": "…"}}')
    unknown = sorted(set(shape) - _KEYWORDS)
    if unknown:
        raise ValueError(f"has unknown keyword(s) {', '.join(unknown)} (known: "
                         f"{', '.join(sorted(_KEYWORDS))})")
    label = shape.get("x-label")
    if not (isinstance(label, dict) and all(
            isinstance(label.get(k), str) and label[k].strip() for k in ("zh", "en"))):
        raise ValueError('needs "x-label" with a "zh" and an "en" text')
    if not isinstance(shape.get(INTERNAL, False), bool):
        raise ValueError(f'"{INTERNAL}" must be true or false')
    for key in ("x-enum-labels", "properties", "items"):
        if key in shape and not isinstance(shape[key], dict):
            raise ValueError(f'"{key}" must be an object')
    return shape


def check(process: etree._Element, file: str) -> Iterator[DefinitionInvalid]:
    """Yield a problem for each malformed declaration of ``process``."""
    for node, name, text in _declared(process):
        try:
            parse(name, text)
        except ValueError as exc:
            yield DefinitionInvalid(f"property {PREFIX}{name} {exc}", file=file,
                                    line=node.sourceline, bpmn_id=process.get("id"))


def read(process: etree._Element | None) -> Declarations:
    """Return a deployed process's declarations; one deploy would refuse reads as none
    (labels are for reading: they never stop an instance from loading)."""
    found: Declarations = {}
    for _node, name, text in _declared(process) if process is not None else ():
        try:
            found[name] = parse(name, text)
        except ValueError:
            logger.warning("ignoring the malformed declaration %s%s", PREFIX, name)
    return found


def merged(declared: Iterable[Mapping[str, Any]]) -> Declarations:
    """Lay the declarations of a bundle's processes over each other, later ones winning.

    The process's own come last: a called process's labels fill in what it returns
    to the caller, the caller's say what a value means there.
    """
    result: Declarations = {}
    for one in declared:
        result.update({name: dict(shape) for name, shape in one.items()})
    return result
