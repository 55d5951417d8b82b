"""Our own checks of a BPMN process beyond what SpiffWorkflow validates.

Lanes must name known groups, user tasks must point at existing forms, every script and
expression must compile in the sandbox, called processes and decisions must exist,
an ``outcome`` may only be named by an end event of the process itself, and declared
``variables`` must be well formed.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

from lxml import etree

from engine import flowcheck, variables
from engine.errors import DefinitionInvalid
from engine.records import Outcome
from engine.scripting import check_script
from engine.support import BPMN_NS

SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}
_LINE = re.compile(r"Line (\d+)")
Mode = Literal["exec", "eval"]


@dataclass(frozen=True, slots=True)
class Known:
    """What exists around the file being checked: groups, forms, processes, decisions."""

    groups: frozenset[str]
    form_exists: Callable[[str], bool]
    processes: frozenset[str]
    decisions: frozenset[str]


def properties(node: etree._Element) -> dict[str, str]:
    """Return the ``spiffworkflow:property`` name/value pairs directly on ``node``."""
    found = node.xpath(
        "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property",
        namespaces=NS,
    )
    return {p.get("name"): p.get("value", "") for p in found if p.get("name")}


def form_key_of(node: etree._Element) -> str | None:
    filename = properties(node).get("formJsonSchemaFilename")
    if not filename:
        return None
    return filename[: -len(".json")] if filename.endswith(".json") else filename


def _problem(file: str, node: etree._Element, reason: str,
             line: int | None = None) -> DefinitionInvalid:
    return DefinitionInvalid(reason, file=file, line=line or node.sourceline,
                             bpmn_id=node.get("id"))


def check(process: etree._Element, file: str, known: Known) -> Iterator[DefinitionInvalid]:
    """Yield every problem our own rules find in one ``bpmn:process`` element."""
    yield from _check_lanes(process, file, known)
    yield from _check_forms(process, file, known)
    yield from _check_scripts(process, file)
    yield from _check_calls(process, file, known)
    yield from _check_outcomes(process, file)
    yield from variables.check(process, file)
    yield from flowcheck.check(process, file)


def _check_lanes(process: etree._Element, file: str, known: Known) -> Iterator[DefinitionInvalid]:
    for lane in process.iterfind(".//bpmn:lane", NS):
        name = (lane.get("name") or "").strip()
        if lane.find("bpmn:childLaneSet", NS) is not None:
            continue
        if name not in known.groups:
            yield _problem(file, lane, f"lane {name!r} names no known group (known: "
                                       f"{', '.join(sorted(known.groups)) or 'none'})")


def _check_forms(process: etree._Element, file: str, known: Known) -> Iterator[DefinitionInvalid]:
    for tag in ("userTask", "manualTask", "startEvent"):
        for node in process.iterfind(f".//bpmn:{tag}", NS):
            key = form_key_of(node)
            if key is None:
                # Without a form a person confirms the task, optionally with a comment:
                # this lets models from other modelers run without our form property.
                continue
            if not re.fullmatch(r"[a-z][a-z0-9_]*", key) or not known.form_exists(key):
                yield _problem(file, node, f"form {key!r} does not exist in forms/schemas")


def _scripts(process: etree._Element) -> Iterator[tuple[etree._Element, str, str, Mode]]:
    """Yield (owner element, what, source, mode) for every script and expression."""
    for node in process.iterfind(".//bpmn:scriptTask", NS):
        script = node.find("bpmn:script", NS)
        yield node, "script", (script.text if script is not None else "") or "", "exec"
    for tag in ("preScript", "postScript"):
        for script in process.iterfind(f".//spiffworkflow:{tag}", NS):
            owner = script.getparent().getparent()
            yield owner, tag, script.text or "", "exec"
    for flow in process.iterfind(".//bpmn:sequenceFlow", NS):
        cond = flow.find("bpmn:conditionExpression", NS)
        if cond is not None and (cond.text or "").strip():
            yield flow, "condition", cond.text or "", "eval"
    for tag in ("timeDate", "timeDuration", "timeCycle", "loopCardinality",
                "completionCondition", "loopCondition"):
        for expr in process.iterfind(f".//bpmn:{tag}", NS):
            owner = expr.getparent()
            while owner is not None and owner.get("id") is None:
                owner = owner.getparent()
            yield (owner if owner is not None else expr), tag, expr.text or "", "eval"


def _check_scripts(process: etree._Element, file: str) -> Iterator[DefinitionInvalid]:
    for node, what, source, mode in _scripts(process):
        if not source.strip():
            if what == "script":
                yield _problem(file, node, "script task has no script")
            elif what in ("timeDate", "timeDuration", "timeCycle"):
                yield _problem(file, node, f"{what} has no expression")
            continue
        problem = _sandbox_problem(source.strip() if mode == "eval" else source, mode)
        if problem is not None:
            line, reason = problem
            yield _problem(file, node, f"{what} does not compile: {reason}",
                           (node.sourceline or 0) + (line or 1) - 1 if what == "script"
                           else None)


def _sandbox_problem(source: str, mode: Mode) -> tuple[int | None, str] | None:
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as exc:
        return exc.lineno, exc.msg
    for item in ast.walk(tree):
        if isinstance(item, (ast.Import, ast.ImportFrom)):
            return item.lineno, "imports are not allowed in scripts"
    problem = check_script(source, mode)
    if problem is None:
        return None
    line, reason = problem
    match = _LINE.search(reason)
    return (int(match.group(1)) if match else line), reason.strip("()',\"")


def _check_calls(process: etree._Element, file: str, known: Known) -> Iterator[DefinitionInvalid]:
    for node in process.iterfind(".//bpmn:callActivity", NS):
        called = node.get("calledElement")
        if not called or called not in known.processes:
            yield _problem(file, node, f"called process {called!r} is not deployed")
    for node in process.iterfind(".//bpmn:businessRuleTask", NS):
        ref = node.find("bpmn:extensionElements/spiffworkflow:calledDecisionId", NS)
        decision = (ref.text or "").strip() if ref is not None else ""
        if not decision:
            yield _problem(file, node, "business rule task names no decision "
                           "(spiffworkflow:calledDecisionId)")
        elif decision not in known.decisions:
            yield _problem(file, node, f"decision {decision!r} is not deployed")


def _check_outcomes(process: etree._Element, file: str) -> Iterator[DefinitionInvalid]:
    """An outcome is read only where the process itself ends (runtime.ending)."""
    known = ", ".join(o.value for o in Outcome)
    owners = process.xpath("(.|.//*)[bpmn:extensionElements/spiffworkflow:properties"
                           "/spiffworkflow:property/@name = 'outcome']", namespaces=NS)
    for node in owners:
        value = properties(node)["outcome"]
        if node.tag != f"{{{BPMN_NS}}}endEvent" or node.getparent() is not process:
            yield _problem(file, node, "only an end event of the process itself may "
                           "name an outcome")
        elif Outcome.parse(value) is None:
            yield _problem(file, node, f"outcome {value!r} is none of {known}")
