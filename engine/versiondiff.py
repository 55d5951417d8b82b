"""Compare two versions of a BPMN or DMN file element by element, plus the raw XML diff.

An admin must see what a new version changes (names, flows, scripts, forms, timers,
decision rules) without reading XML. Pure functions over bytes: no session, no Spiff.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from lxml import etree

from engine import xmlsafe
from engine.modelfacts import bpmn_facts, dmn_facts, local_name


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One fact of an element before and after ('' when absent)."""

    field: str
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class ElementChange:
    """An element added, removed or changed between two versions."""

    change: str  # "added", "removed" or "changed"
    element_id: str
    element_type: str
    name: str
    fields: tuple[FieldChange, ...] = ()


@dataclass(frozen=True, slots=True)
class FileDiff:
    """The changes of one file between two of its versions (0 = the file is new)."""

    kind: str
    def_id: str
    from_version: int
    to_version: int
    changes: tuple[ElementChange, ...]
    unified: str
    layout_changed: bool = False


def diff_file(
    kind: str,
    def_id: str,
    old: tuple[int, str, bytes] | None,
    new: tuple[int, str, bytes] | None,
) -> FileDiff:
    """Diff two versions given as (version, file name, bytes); either may be missing."""
    old_facts = _facts(kind, old) if old else {}
    new_facts = _facts(kind, new) if new else {}
    changes = tuple(compare(old_facts, new_facts))
    old_text, new_text = (_text(v) if v else "" for v in (old, new))
    return FileDiff(
        kind=kind,
        def_id=def_id,
        from_version=old[0] if old else 0,
        to_version=new[0] if new else 0,
        changes=changes,
        unified=unified(old_text, new_text, _label(def_id, old), _label(def_id, new)),
        layout_changed=_layout(kind, old) != _layout(kind, new),
    )


def compare(
    old: Mapping[str, dict[str, str]], new: Mapping[str, dict[str, str]]
) -> Iterator[ElementChange]:
    """Yield removed, changed and added elements in document order."""
    for element_id, facts in old.items():
        if element_id not in new:
            yield ElementChange(
                "removed", element_id, facts["type"], facts.get("name", "")
            )
            continue
        after = new[element_id]
        fields = tuple(
            FieldChange(key, facts.get(key, ""), after.get(key, ""))
            for key in dict.fromkeys([*facts, *after])
            if facts.get(key, "") != after.get(key, "")
        )
        if fields:
            yield ElementChange(
                "changed",
                element_id,
                after["type"],
                after.get("name") or facts.get("name", ""),
                fields,
            )
    for element_id, facts in new.items():
        if element_id not in old:
            yield ElementChange(
                "added",
                element_id,
                facts["type"],
                facts.get("name", ""),
                tuple(
                    FieldChange(k, "", v)
                    for k, v in facts.items()
                    if k not in ("type", "name") and v
                ),
            )


def unified(old: str, new: str, old_label: str, new_label: str) -> str:
    """The raw line diff of two XML texts."""
    lines = difflib.unified_diff(
        old.splitlines(),
        new.splitlines(),
        fromfile=old_label,
        tofile=new_label,
        lineterm="",
        n=3,
    )
    return "\n".join(lines)


def _label(def_id: str, version: tuple[int, str, bytes] | None) -> str:
    return f"{version[1]} (v{version[0]})" if version else f"{def_id} (none)"


def _text(version: tuple[int, str, bytes]) -> str:
    return xmlsafe.text(version[1], version[2])


def _facts(kind: str, version: tuple[int, str, bytes]) -> dict[str, dict[str, str]]:
    root = xmlsafe.parse(version[1], version[2])
    return dmn_facts(root) if kind == "dmn" else bpmn_facts(root)


def _layout(kind: str, version: tuple[int, str, bytes] | None) -> bytes:
    """The diagram interchange part, compared only to say 'the layout moved'."""
    if version is None:
        return b""
    root = xmlsafe.parse(version[1], version[2])
    parts = [
        etree.tostring(node)
        for node in root
        if local_name(node) in ("BPMNDiagram", "DMNDI")
    ]
    return b"".join(parts)
