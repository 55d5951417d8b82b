"""What the engine computes by itself lands on the audit trail with before/after values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from modelkit import chain, process, script_task, user_task

from engine import Actor, Engine, ScriptFailed
from engine.records import SYSTEM

DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d"
    namespace="http://signoff.example/test">
  <decision id="approval_level" name="Approval level">
    <decisionTable id="t" hitPolicy="{policy}">
      <input id="i1" label="Amount"><inputExpression id="e1" typeRef="number">
        <text>Decimal(total)</text></inputExpression></input>
      <output id="o1" label="Level" name="level" typeRef="string"/>
      <rule id="small"><description>up to 1,000</description>
        <inputEntry id="r1i"><text>&lt;= 1000</text></inputEntry>
        <outputEntry id="r1o"><text>"team"</text></outputEntry></rule>
      <rule id="large"><description>above 1,000</description>
        <inputEntry id="r2i"><text>&gt; 1000</text></inputEntry>
        <outputEntry id="r2o"><text>"manager"</text></outputEntry></rule>
      <rule id="any"><description>always</description>
        <inputEntry id="r3i"><text>-</text></inputEntry>
        <outputEntry id="r3o"><text>"audit"</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>
"""

RULE = (
    '<bpmn:businessRuleTask id="decide" name="定级"><bpmn:extensionElements>'
    "<spiffworkflow:calledDecisionId>approval_level</spiffworkflow:calledDecisionId>"
    '<spiffworkflow:properties><spiffworkflow:property name="name_en" value="Grade"/>'
    "</spiffworkflow:properties></bpmn:extensionElements></bpmn:businessRuleTask>"
)
POST = "<spiffworkflow:postScript>note = item.upper()\ndel draft</spiffworkflow:postScript>"
BODY = (
    script_task("compute", "total = str(Decimal(base) * 2)\ndraft = 1")
    + RULE
    + user_task("fill", extra=POST)
    + chain("compute", "decide", "fill")
)

LANES = (
    '<bpmn:laneSet id="lanes"><bpmn:lane id="lane_staff" name="account_staff">'
    + "".join(f"<bpmn:flowNodeRef>{n}</bpmn:flowNodeRef>"
              for n in ("start", "compute", "decide", "fill", "end"))
    + "</bpmn:lane></bpmn:laneSet>"
)


def deployed(engine: Engine, policy: str = "FIRST") -> Engine:
    engine.deploy(
        {
            "level.dmn": DMN.replace("{policy}", policy).encode(),
            "graded.bpmn": process(BODY, process_id="graded", lanes=LANES),
        },
        actor=SYSTEM,
    )
    return engine


def events(engine: Engine, instance_id: int, kind: str) -> list[Any]:
    trail = engine.history(instance_id, actor=SYSTEM, computed=True)
    return [e for e in trail if e.event_type == kind]


def test_script_task_changes_are_recorded_with_values_before_and_after(
    engine: Engine, actor: Callable[[str], Actor]
) -> None:
    staff = actor("zhang.wei")
    instance = deployed(engine).start_instance("graded", {"base": "700"}, actor=staff)
    [computed, *_rest] = events(engine, instance.id, "data_computed")
    assert computed.bpmn_id == "compute"
    assert computed.actor == "zhang.wei"
    assert computed.payload["kind"] == "script_task"
    assert computed.payload["data"] == {"total": "1400", "draft": 1}
    assert computed.payload["before"] == {}


def test_decision_records_inputs_the_matching_rule_and_outputs(
    engine: Engine, actor: Callable[[str], Actor]
) -> None:
    staff = actor("zhang.wei")
    instance = deployed(engine).start_instance("graded", {"base": "700"}, actor=staff)
    [decision] = events(engine, instance.id, "decision_evaluated")
    assert decision.bpmn_id == "decide"
    payload = decision.payload
    assert payload["decision_id"] == "approval_level"
    assert payload["decision_name"] == "Approval level"
    assert payload["inputs"] == {"Amount": "1400"}
    assert payload["rule_id"] == "large"
    assert [r["row"] for r in payload["rules"]] == [2]
    assert payload["outputs"] == {"level": "manager"}
    assert payload["title_en"] == "Grade"
    # The outputs are the decision's record; no second event repeats them.
    assert [e.bpmn_id for e in events(engine, instance.id, "data_computed")] == ["compute"]


def test_collect_decision_lists_every_matching_rule(
    engine: Engine, actor: Callable[[str], Actor]
) -> None:
    staff = actor("zhang.wei")
    instance = deployed(engine, "COLLECT").start_instance(
        "graded", {"base": "100"}, actor=staff
    )
    [decision] = events(engine, instance.id, "decision_evaluated")
    assert [r["rule_id"] for r in decision.payload["rules"]] == ["small", "any"]
    assert decision.payload["outputs"] == {"level": ["team", "audit"]}


def test_post_script_changes_are_recorded_apart_from_the_submission(
    engine: Engine, actor: Callable[[str], Actor]
) -> None:
    staff = actor("zhang.wei")
    instance = deployed(engine).start_instance("graded", {"base": "700"}, actor=staff)
    [task] = engine.inbox(staff, scope="all")
    engine.complete_task(task.id, {"item": "desk", "amount": "10.00"}, actor=staff)
    completed = events(engine, instance.id, "task_completed")[-1]
    assert completed.payload["data"] == {"item": "desk", "amount": "10.00"}
    post = [e for e in events(engine, instance.id, "data_computed") if e.bpmn_id == "fill"]
    assert len(post) == 1
    assert post[0].payload["data"] == {"note": "DESK"}
    assert post[0].payload["removed"] == ["draft"]
    assert post[0].payload["before"] == {"draft": 1}


def test_timeline_shows_decision_and_computed_values(
    engine: Engine, actor: Callable[[str], Actor]
) -> None:
    staff = actor("zhang.wei")
    instance = deployed(engine).start_instance("graded", {"base": "700"}, actor=staff)
    timeline = engine.instance_timeline(instance.id, actor=actor("auditor"))
    by_type = {step.event_type: step for step in timeline.steps}
    decision = by_type["decision_evaluated"]
    assert decision.decision is not None
    assert (decision.decision.name, decision.decision.rows) == ("Approval level", (2,))
    assert decision.decision.inputs == {"Amount": "1400"}
    assert [(c.key, c.before, c.after) for c in decision.changes] == [
        ("level", None, "manager")
    ]
    computed = by_type["data_computed"]
    assert computed.title == "compute"
    assert {c.key: c.after for c in computed.changes} == {"total": "1400", "draft": 1}


def test_people_history_leaves_computed_events_out(
    engine: Engine, actor: Callable[[str], Actor]
) -> None:
    staff = actor("zhang.wei")
    instance = deployed(engine).start_instance("graded", {"base": "700"}, actor=staff)
    kinds = {e.event_type for e in engine.history(instance.id, actor=staff)}
    assert "instance_started" in kinds
    assert not kinds & {"data_computed", "decision_evaluated"}


def test_failed_step_records_no_computed_events(
    engine: Engine, actor: Callable[[str], Actor]
) -> None:
    staff = actor("zhang.wei")
    with pytest.raises(ScriptFailed) as failed:
        deployed(engine).start_instance("graded", {"base": "oops"}, actor=staff)
    assert "not a valid decimal" in str(failed.value)
    instance_id = failed.value.instance_id
    assert instance_id
    kinds = [e.event_type for e in engine.history(instance_id, actor=SYSTEM, computed=True)]
    assert kinds == ["instance_started", "instance_failed"]
