"""DMN evaluation that leaves evidence: which inputs a decision saw and which rules hit.

SpiffWorkflow's ``DMNEngine`` returns only the outputs. Auditors must be able to see why a
business rule task decided what it did, so every business rule task of a parsed spec gets
a ``RecordingDecision``: it evaluates the table the same way (first hit, or every hit under
COLLECT) and leaves a plain record on the Spiff task, which ``engine.steplog`` turns into a
``decision_evaluated`` audit event. The record lives on the in-memory task object only; the
serializer never stores it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.dmn.specs.model import HitPolicy

from engine.values import plain

EVIDENCE = "_signoff_decision"  # attribute set on the Spiff task that evaluated a table


class RecordingDecision(DMNEngine):  # type: ignore[misc]
    """A decision table evaluator that records its inputs, matched rules and outputs."""

    def __init__(self, table: Any, decision_id: str, decision_name: str) -> None:
        super().__init__(table)
        self.decision_id = decision_id
        self.decision_name = decision_name

    def result(self, task: Any) -> dict[str, Any]:
        matched = self.decide(task)
        if self.decision_table.hit_policy == HitPolicy.COLLECT.value:
            outputs: dict[str, Any] = {}
            for rule in matched:
                for key, value in rule.output_as_dict(task).items():
                    outputs.setdefault(key, []).append(value)
        else:
            matched = matched[:1]  # FIRST and UNIQUE: the first hit decides
            outputs = dict(matched[0].output_as_dict(task)) if matched else {}
        setattr(task, EVIDENCE, {
            "decision_id": self.decision_id,
            "decision_name": self.decision_name,
            "hit_policy": self.decision_table.hit_policy,
            "inputs": self._inputs(task),
            "rule_id": matched[0].id if matched else None,
            "rules": [{"rule_id": r.id, "row": r.row_number, "description": r.description}
                      for r in matched],
            "outputs": plain(outputs),
        })
        return outputs

    def _inputs(self, task: Any) -> dict[str, Any]:
        """Each input column's value as the table saw it, keyed by its label."""
        seen: dict[str, Any] = {}
        for column in self.decision_table.inputs:
            label = column.label or column.name or column.expression or column.id
            try:
                value = task.workflow.script_engine.evaluate(task, column.expression)
            except Exception:  # noqa: BLE001 - a missing variable is evidence too
                value = None
            seen[str(label)] = plain(value)
        return seen


def instrument(specs: Iterable[Any], parsers: dict[str, Any]) -> None:
    """Swap every business rule task's evaluator for a recording one (in place)."""
    names: dict[int, tuple[str, str]] = {}
    for decision_id, parser in parsers.items():
        decision = getattr(parser, "decision", None)
        if decision is not None:
            for table in decision.decisionTables:
                names[id(table)] = (decision_id, decision.name or decision_id)
    for spec in specs:
        for task_spec in spec.task_specs.values():
            engine = getattr(task_spec, "dmnEngine", None)
            if isinstance(engine, DMNEngine) and not isinstance(engine, RecordingDecision):
                table = engine.decision_table
                decision_id, name = names.get(id(table), (table.id, table.name or table.id))
                task_spec.dmnEngine = RecordingDecision(table, decision_id, name)


def evidence(task: Any) -> dict[str, Any] | None:
    """Take (and clear) the record a task's decision left, if any."""
    found = getattr(task, EVIDENCE, None)
    if found is not None:
        delattr(task, EVIDENCE)
    return found
