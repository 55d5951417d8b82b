"""BpmnWorkflow <-> stored state. The only module that knows the blob format.

The spec is not stored with each instance: it belongs to the process version and is
parsed once, so the state holds tasks and data only, tagged with the serializer version.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from engine.definitions import LoadedSpec



class _StateConverter(BpmnWorkflowConverter):  # type: ignore[misc]
    """Leave the specs out of the state; they come from the cached process version."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any], spec: Any = None,
                  subprocess_specs: Any = None) -> BpmnWorkflow:
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _make_serializer() -> BpmnWorkflowSerializer:
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = _StateConverter
    registry = BpmnWorkflowSerializer.configure(config)
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]))
    registry.register(date, lambda v: {"value": v.isoformat()},
                      lambda v: date.fromisoformat(v["value"]))
    return BpmnWorkflowSerializer(registry)


_SERIALIZER = _make_serializer()
SERIALIZER_VERSION = f"signoff-1/spiff-{_SERIALIZER.VERSION}"


def dump(workflow: BpmnWorkflow) -> str:
    """Serialize a workflow's tasks and data (not its spec) to JSON text."""
    registry = _SERIALIZER.registry
    registry._encoder_mode = True
    try:
        return json.dumps(_SERIALIZER.to_dict(workflow), separators=(",", ":"),
                          cls=_SERIALIZER._encoder_cls)
    finally:
        registry._encoder_mode = False


def load(state: str, loaded: LoadedSpec, script_engine: Any) -> BpmnWorkflow:
    """Rebuild a workflow from stored JSON text and the cached specs of its version."""
    dct = json.loads(state)
    workflow = _SERIALIZER.from_dict(dct, spec=loaded.spec,
                                     subprocess_specs=loaded.subprocess_specs)
    workflow.script_engine = script_engine
    return workflow
