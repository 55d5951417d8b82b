"""Compile every DMN input expression and rule cell in the sandbox before deploying.

SpiffWorkflow evaluates decision cells only when an instance reaches the decision, so a
typo in a threshold would put running instances in error; here it is refused at deploy,
naming the cell. Cells are compiled the way SpiffWorkflow's DMN engine evaluates them.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping

from lxml import etree

from engine import xmlsafe
from engine.modelfiles import DMN_NAMESPACES
from engine.errors import DefinitionInvalid
from engine.scripting import check_script


def check(files: Mapping[str, bytes]) -> list[DefinitionInvalid]:
    """Every input expression, input cell and output cell that does not compile."""
    found: list[DefinitionInvalid] = []
    for name, data in sorted(files.items()):
        try:
            root = xmlsafe.parse(name, data)
        except DefinitionInvalid:
            continue  # the deploy checks report unreadable files themselves
        namespace = etree.QName(root).namespace
        if namespace in DMN_NAMESPACES:
            found.extend(_tables(name, root, namespace or ""))
    return found


def _tables(file: str, root: etree._Element, ns: str) -> Iterator[DefinitionInvalid]:
    for table in root.iter(f"{{{ns}}}decisionTable"):
        inputs = []
        for node in table.iterfind(f"{{{ns}}}input"):
            text = _text(node.find(f"{{{ns}}}inputExpression"), ns)
            inputs.append(text or "None")
            if _fails(text):
                yield _problem(
                    file, node, f"input expression {text!r} does not compile"
                )
        for rule in table.iterfind(f"{{{ns}}}rule"):
            for expr, cell in zip(inputs, rule.iterfind(f"{{{ns}}}inputEntry")):
                text = _text(cell, ns)
                if text not in ("", "-") and not _is_test(expr, text):
                    yield _problem(file, cell, _refusal(text))
                elif _is_list(text):
                    yield _problem(file, cell, (
                        f"condition {text!r} compares the input with a tuple and never "
                        "matches: cells are Python expressions, not FEEL; to match any "
                        f"of these values write '? in ({text.strip('()')})'"))
            for cell in rule.iterfind(f"{{{ns}}}outputEntry"):
                text = _text(cell, ns)
                if text and _fails(text):
                    yield _problem(file, cell, f"output {text!r} does not compile")


_FEEL_RANGE = re.compile(r"^([\[\]()])\s*([^.\s][^\s]*?)\s*\.\.\s*([^\s]+?)\s*([\[\]()])$")


def _refusal(text: str) -> str:
    """Why a rule cell is refused; a FEEL range gets the Python test to write instead."""
    reason = f"condition {text!r} does not compile"
    found = _FEEL_RANGE.match(text)
    if found is None:
        return reason
    low_open, low, high, high_open = found.groups()
    lower = "<" if low_open in "](" else "<="
    upper = "<" if high_open in "[)" else "<="
    return (f"{reason}: cells are Python expressions, not FEEL, so a range is written "
            f"as a test of ? (the input), here '{low} {lower} ? {upper} {high}'")


def _is_list(text: str) -> bool:
    """A FEEL list of values (``"a","b"``), which Python reads as one tuple."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return False
    return isinstance(tree.body, ast.Tuple)


def _text(node: etree._Element | None, ns: str) -> str:
    found = node.find(f"{{{ns}}}text") if node is not None else None
    return (found.text or "").strip() if found is not None else ""


def _fails(source: str) -> bool:
    return not source or check_script(source, "eval") is not None


def _is_test(expr: str, entry: str) -> bool:
    """An equality test (``"visit"``), a comparison (``<= 5``) or a ``?`` test."""
    if "?" in entry:
        return not _fails(entry.replace("?", "dmninputexpr"))
    return not _fails(f"({expr}) == ({entry})") or not _fails(f"({expr}) {entry}")


def _problem(file: str, node: etree._Element, reason: str) -> DefinitionInvalid:
    owner = node
    while owner is not None and not owner.get("id"):
        owner = owner.getparent()
    element = owner.get("id") if owner is not None else None
    return DefinitionInvalid(reason, file=file, line=node.sourceline, bpmn_id=element)
