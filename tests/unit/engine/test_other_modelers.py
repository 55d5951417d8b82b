"""Files from other modelers either deploy or are refused precisely: never a crash."""

from __future__ import annotations

import pytest
from modelkit import DATA

from engine import DefinitionInvalid, Engine
from engine.records import SYSTEM

MODELERS = DATA / "modelers"


@pytest.mark.parametrize("name, element, reason", [
    ("camunda_leave_request.bpmn", "Flow_yes", "condition does not compile"),
    ("signavio_purchase.bpmn", None, "no executable process"),
    ("link_events.bpmn", "go_to_b", "link events are not executed"),
    ("zeebe_service_task.bpmn", "send_mail", "service tasks call external systems"),
])
def test_unrunnable_files_are_refused_with_element_and_reason(
        engine: Engine, name: str, element: str | None, reason: str) -> None:
    with pytest.raises(DefinitionInvalid) as caught:
        engine.deploy({name: (MODELERS / name).read_bytes()}, actor=SYSTEM)
    assert caught.value.file == name and caught.value.bpmn_id == element
    assert reason in caught.value.message and caught.value.line


@pytest.mark.parametrize("name, process_id", [
    ("camunda_python_conditions.bpmn", "leave_request_python"),
    ("signavio_executable.bpmn", "sid-purchase-exec"),
    ("bizagi_latin1.bpmn", "bizagi_purchase"),
    ("utf16_purchase.bpmn", "utf16_purchase"),
])
def test_runnable_files_from_other_modelers_deploy_and_run(
        engine: Engine, name: str, process_id: str) -> None:
    [info] = engine.deploy({name: (MODELERS / name).read_bytes()}, actor=SYSTEM)
    assert info.def_id == process_id
    admin = engine.get_actor("admin")
    instance = engine.start_instance(process_id, {"approved": "yes"}, actor=admin)
    for task in engine.inbox(admin):
        engine.complete_task(task.id, {"comment": "ok"}, actor=admin)
    assert engine.get_instance(instance.id, actor=admin).status.value == "completed"


def test_latin1_names_survive_deploy(engine: Engine) -> None:
    engine.deploy({"b.bpmn": (MODELERS / "bizagi_latin1.bpmn").read_bytes()}, actor=SYSTEM)
    admin = engine.get_actor("admin")
    instance = engine.start_instance("bizagi_purchase", {}, actor=admin)
    diagram = engine.instance_diagram(instance.id, actor=admin)
    assert "Commande passée à l'économat" in diagram.bpmn_xml
