"""workflows/README.md lists every shipped file; every form a process names exists;
every variable a shipped script leaves in the data is declared with its labels."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / "workflows"
SCHEMAS = ROOT / "forms" / "schemas"
README = (WORKFLOWS / "README.md").read_text(encoding="utf-8")
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN, "spiffworkflow": SPIFF}
SHIPPED = sorted(
    p for p in WORKFLOWS.rglob("*") if p.suffix in (".bpmn", ".dmn", ".csv")
)
PROCESSES = sorted(WORKFLOWS.glob("*.bpmn"))


def catalogue_row(name: str) -> str:
    rows = [line for line in README.splitlines() if line.startswith(f"| `{name}`")]
    assert rows, f"{name} has no row in workflows/README.md"
    return rows[0]


def form_keys(path: Path) -> set[str]:
    root = etree.parse(str(path)).getroot()
    values = root.xpath(
        "//spiffworkflow:property[@name='formJsonSchemaFilename']/@value", namespaces=NS
    )
    return {str(v).removesuffix(".json") for v in values}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_file_has_a_catalogue_row(path: Path) -> None:
    catalogue_row(path.relative_to(WORKFLOWS).as_posix())


@pytest.mark.parametrize("path", PROCESSES, ids=lambda p: p.stem)
def test_file_stem_is_the_executable_process_id(path: Path) -> None:
    root = etree.parse(str(path)).getroot()
    processes = root.findall("bpmn:process", NS)
    assert [p.get("id") for p in processes] == [path.stem]
    assert processes[0].get("isExecutable") == "true"


@pytest.mark.parametrize("path", PROCESSES, ids=lambda p: p.stem)
def test_every_form_exists_and_is_listed(path: Path) -> None:
    row = catalogue_row(f"{path.stem}.bpmn")
    for key in form_keys(path):
        assert (SCHEMAS / f"{key}.json").is_file(), f"{path.name}: no form {key}"
        assert f"`{key}`" in row, f"README row of {path.name} does not list {key}"


@pytest.mark.parametrize("path", PROCESSES, ids=lambda p: p.stem)
def test_every_decision_and_call_is_shipped_and_listed(path: Path) -> None:
    root = etree.parse(str(path)).getroot()
    row = catalogue_row(f"{path.stem}.bpmn")
    decisions = [d.text for d in root.iterfind(".//spiffworkflow:calledDecisionId", NS)]
    calls = [c.get("calledElement") for c in root.iterfind(".//bpmn:callActivity", NS)]
    for decision in decisions:
        assert (WORKFLOWS / f"{decision}.dmn").is_file() and f"`{decision}`" in row
    for called in calls:
        assert (WORKFLOWS / f"{called}.bpmn").is_file() and f"`{called}`" in row


def script_results(process: etree._Element) -> set[str]:
    """Names a process's own scripts leave in its data: assigned at a script's top
    level and not deleted again (helper lambdas such as ``q2`` are not data)."""
    names: set[str] = set()
    for tag in ("bpmn:script", "spiffworkflow:preScript", "spiffworkflow:postScript"):
        for script in process.iterfind(f".//{tag}", NS):
            tree = ast.parse(script.text or "")
            deleted = {t.id for node in ast.walk(tree) if isinstance(node, ast.Delete)
                       for t in node.targets if isinstance(t, ast.Name)}
            for node in tree.body:
                if isinstance(node, ast.Assign) and not isinstance(node.value, ast.Lambda):
                    names.update(t.id for t in node.targets if isinstance(t, ast.Name))
            names -= deleted
    return names


@pytest.mark.parametrize("path", PROCESSES, ids=lambda p: p.stem)
def test_every_variable_a_script_leaves_is_declared_or_asked_for_by_a_form(
    path: Path,
) -> None:
    process = etree.parse(str(path)).getroot().find("bpmn:process", NS)
    assert process is not None
    named = process.xpath(
        "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property/@name",
        namespaces=NS,
    )
    declared = {str(n).removeprefix("variable:") for n in named
                if str(n).startswith("variable:")}
    asked = {field for key in form_keys(path) for field in json.loads(
        (SCHEMAS / f"{key}.json").read_text(encoding="utf-8"))["properties"]}
    missing = script_results(process) - declared - asked
    assert not missing, f"{path.name}: declare {sorted(missing)} (docs/conventions.md)"


@pytest.mark.parametrize("path", PROCESSES, ids=lambda p: p.stem)
def test_readable_ids_and_complete_diagram(path: Path) -> None:
    root = etree.parse(str(path)).getroot()
    process = root.find("bpmn:process", NS)
    assert process is not None
    nodes = [
        n
        for n in process.iter()
        if isinstance(n.tag, str)
        and n.get("id")
        and etree.QName(n).localname in FLOW_NODES
    ]
    assert len(nodes) <= 32, f"{path.name} has {len(nodes)} flow nodes; extract a call"
    drawn = set(
        root.xpath(
            "//*[local-name()='BPMNShape' or local-name()='BPMNEdge']" "/@bpmnElement"
        )
    )
    for node in [
        *nodes,
        *process.iterfind(".//bpmn:lane", NS),
        *process.iterfind(".//bpmn:sequenceFlow", NS),
    ]:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", node.get("id")), node.get("id")
        assert node.get("id") in drawn, f"{node.get('id')} has no diagram shape or edge"


FLOW_NODES = {
    "startEvent",
    "endEvent",
    "userTask",
    "scriptTask",
    "businessRuleTask",
    "callActivity",
    "exclusiveGateway",
    "parallelGateway",
    "boundaryEvent",
    "manualTask",
    "intermediateCatchEvent",
    "task",
}
