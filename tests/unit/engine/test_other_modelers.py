"""Files from other modelers either deploy or are refused precisely: never a crash."""

from __future__ import annotations

import pytest
from modelkit import DATA

from engine import DefinitionInvalid, Engine
from engine.records import SYSTEM

MODELERS = DATA / "modelers"


@pytest.mark.parametrize("name, element, reason", [
    ("camunda_leave_request.bpmn", "Flow_yes", "condition does not compile"),
    ("camunda_python_conditions.bpmn", "Activity_approve",
     "sets camunda:assignee, which Signoff does not read"),
    ("signavio_purchase.bpmn", "sid-purchase", "found 'sid-purchase'"),
    ("link_events.bpmn", "go_to_b", "link events are not executed"),
    ("zeebe_service_task.bpmn", "send_mail", "service tasks call external systems"),
])
def test_unrunnable_files_are_refused_with_element_and_reason(
        engine: Engine, name: str, element: str | None, reason: str) -> None:
    with pytest.raises(DefinitionInvalid) as caught:
        engine.deploy({name: (MODELERS / name).read_bytes()}, actor=SYSTEM)
    assert [p for p in caught.value.problems if p.file == name and p.bpmn_id == element
            and reason in p.message and p.line]


@pytest.mark.parametrize("name, process_id", [
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


def test_camunda_file_runs_once_its_assignee_and_form_key_are_removed(
        engine: Engine) -> None:
    data = (MODELERS / "camunda_python_conditions.bpmn").read_bytes().replace(
        b' camunda:assignee="demo" camunda:formKey="camunda-forms:deployment:leave.form"',
        b"")
    engine.deploy({"leave.bpmn": data}, actor=SYSTEM)
    admin = engine.get_actor("admin")
    instance = engine.start_instance("leave_request_python", {"approved": "yes"},
                                     actor=admin)
    [task] = engine.inbox(admin)
    engine.complete_task(task.id, {"comment": "ok"}, actor=admin)
    assert engine.get_instance(instance.id, actor=admin).status.value == "completed"
