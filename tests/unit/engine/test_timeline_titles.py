"""The auditor's timeline names each step as the trail recorded it, never by the task's
current name: a rename in a later version must not rewrite history."""

from __future__ import annotations

from modelkit import HEAD, chain

from engine import Engine
from engine.records import SYSTEM

REQUEST = {"item": "laptop", "amount": "1200.50"}


def review_process(zh: str, en: str) -> bytes:
    """One user task ``review`` named ``zh`` in Chinese and ``en`` in English."""
    task = (
        f'<bpmn:userTask id="review" name="{zh}"><bpmn:extensionElements>'
        "<spiffworkflow:properties>"
        '<spiffworkflow:property name="formJsonSchemaFilename" '
        'value="request_form.json"/>'
        f'<spiffworkflow:property name="name_en" value="{en}"/>'
        "</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>"
    )
    return (HEAD + '<bpmn:process id="p" isExecutable="true">\n' + task
            + chain("review") + "\n</bpmn:process>\n</bpmn:definitions>\n").encode()


def test_timeline_keeps_recorded_titles_after_a_migration_renames_the_task(
    engine: Engine,
) -> None:
    engine.deploy({"p.bpmn": review_process("主管审核申请", "Supervisor review")},
                  actor=SYSTEM)
    instance = engine.start_instance("p", {}, actor=SYSTEM)
    engine.deploy({"p.bpmn": review_process("经理复核", "Manager check")}, actor=SYSTEM)
    [moved] = engine.migrate_instances([instance.id], 2, actor=SYSTEM)
    assert moved.migrated
    [task] = engine.inbox(SYSTEM)
    assert task.title == "经理复核"  # the live task has the new name ...
    engine.claim_task(task.id, actor=SYSTEM)
    engine.cancel_instance(instance.id, reason="wrong supplier", actor=SYSTEM)
    steps = {s.event_type: s for s in
             engine.instance_timeline(instance.id, actor=SYSTEM).steps}
    # ... but the trail says what each event recorded, in both languages.
    created = steps["task_created"]
    assert (created.title, created.title_en) == ("主管审核申请", "Supervisor review")
    claimed = steps["task_claimed"]
    assert (claimed.title, claimed.title_en) == ("经理复核", "Manager check")
    # task_cancelled records no names: it shows the ones its task's trail last had.
    cancelled = steps["task_cancelled"]
    assert (cancelled.title, cancelled.title_en) == ("经理复核", "Manager check")
