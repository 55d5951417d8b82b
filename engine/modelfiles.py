"""One uploaded BPMN or DMN file, parsed safely: its kind and the ids it defines.

The first thing a deploy does with a file, before any check that needs the database:
a file that is not XML, not BPMN 2.0 or DMN, or defines nothing to run is refused here
with the file (and where it helps, the line and element) named.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from lxml import etree

from engine import support, xmlsafe
from engine.errors import DefinitionInvalid
from engine.modelcheck import NS, properties

DMN_NAMESPACES = frozenset({
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
})


@dataclass
class ParsedFile:
    """One uploaded file after safe parsing: its kind and the ids it defines."""

    file_name: str
    data: bytes
    kind: str
    ids: list[str]
    root: etree._Element
    names: dict[str, tuple[str, str | None]] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def read(file_name: str, data: bytes) -> ParsedFile:
    """Parse one file safely and find the executable processes or decisions in it."""
    root = xmlsafe.parse(file_name, data)
    namespace = etree.QName(root).namespace
    if root.tag == f"{{{support.BPMN_NS}}}definitions":
        procs = [p for p in root.iterfind("bpmn:process", NS) if p.get("isExecutable") == "true"]
        if not procs:
            raise _no_executable(root, file_name)
        names = {p.get("id", ""): (p.get("name") or p.get("id", ""),
                                   properties(p).get("name_en")) for p in procs}
        return ParsedFile(file_name, data, "bpmn", list(names), root, names)
    if etree.QName(root).localname == "definitions" and namespace in DMN_NAMESPACES:
        decisions = root.findall(f"{{{namespace}}}decision")
        if not decisions:
            raise DefinitionInvalid("no decision in DMN file", file=file_name, line=1)
        names = {d.get("id", ""): (d.get("name") or d.get("id", ""), None) for d in decisions}
        return ParsedFile(file_name, data, "dmn", list(names), root, names)
    raise DefinitionInvalid(f"not a BPMN 2.0 or DMN file (root element {root.tag})",
                            file=file_name, line=root.sourceline)


def _no_executable(root: etree._Element, file_name: str) -> DefinitionInvalid:
    """Name the processes found, so the modeler knows which one to mark executable."""
    found = root.findall("bpmn:process", NS)
    if not found:
        return DefinitionInvalid("no process in file (bpmn:process)", file=file_name,
                                 line=root.sourceline)
    listed = ", ".join(
        f"{p.get('id')!r} (isExecutable={p.get('isExecutable')!r})"
        if p.get("isExecutable") is not None else f"{p.get('id')!r} (no isExecutable)"
        for p in found)
    only = found[0].get("id") if len(found) == 1 else None
    return DefinitionInvalid(
        f"no executable process (isExecutable=\"true\") in file; found {listed}: mark "
        "the process to run with isExecutable=\"true\"", file=file_name,
        line=found[0].sourceline, bpmn_id=only)
