"""Run the shipped DMN tables and automated subprocesses in memory for rule tests.

Rule tests talk to SpiffWorkflow directly (the engine has no decision-evaluation API);
scripts run with the helpers docs/conventions.md promises, nothing more.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import TaskDataEnvironment
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

WORKFLOWS = Path(__file__).resolve().parents[3] / "workflows"

HELPERS: dict[str, Any] = {
    "Decimal": Decimal,
    "ROUND_HALF_UP": ROUND_HALF_UP,
    "date": date,
    "datetime": datetime,
    "timedelta": timedelta,
    "relativedelta": relativedelta,
    "today": lambda: date.today(),
    "now": lambda: datetime.now(timezone.utc),
}


def script_engine() -> PythonScriptEngine:
    """A plain script engine offering the documented helpers."""
    return PythonScriptEngine(environment=TaskDataEnvironment(dict(HELPERS)))


@pytest.fixture(scope="session")
def parser() -> SpiffBpmnParser:
    """Every shipped BPMN and DMN file, parsed and schema-validated."""
    found = SpiffBpmnParser(validator=VALIDATOR)
    found.add_bpmn_files(sorted(str(p) for p in WORKFLOWS.glob("*.bpmn")))
    found.add_dmn_files(sorted(str(p) for p in WORKFLOWS.glob("*.dmn")))
    return found


@pytest.fixture
def run_process(
    parser: SpiffBpmnParser,
) -> Callable[[str, Mapping[str, Any]], dict[str, Any]]:
    """Run an automated process to its end with ``data`` and return its final data."""

    def run(process_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
        workflow = BpmnWorkflow(
            parser.get_spec(process_id),
            parser.get_subprocess_specs(process_id),
            script_engine=script_engine(),
        )
        for task in workflow.get_tasks():
            task.data.update(dict(data))
        workflow.do_engine_steps()
        assert workflow.is_completed(), f"{process_id} stopped before its end"
        return dict(workflow.last_task.data)

    return run


@pytest.fixture
def decide(
    parser: SpiffBpmnParser,
) -> Callable[[str, Mapping[str, Any]], dict[str, Any]]:
    """Evaluate one decision table against ``data`` and return its outputs."""

    def evaluate(decision_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
        dmn = parser.dmn_parsers[decision_id]
        dmn.parse()
        table = DMNEngine(dmn.decision.decisionTables[0])
        task = SimpleNamespace(
            data=dict(data), workflow=SimpleNamespace(script_engine=script_engine())
        )
        return dict(table.result(task))

    return evaluate
