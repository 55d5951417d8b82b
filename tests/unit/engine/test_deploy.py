"""Deploying definitions: versions, and a specific error for every kind of bad file."""

from __future__ import annotations

import pytest
from modelkit import chain, process, read, script_task, user_task

from engine import DefinitionInvalid, Engine, InvalidSubmission, NotAuthorized
from engine.records import SYSTEM

SIMPLE = process(user_task("fill_in") + chain("fill_in"))


def deploy_error(engine: Engine, name: str, data: bytes) -> DefinitionInvalid:
    with pytest.raises(DefinitionInvalid) as caught:
        engine.deploy({name: data}, actor=SYSTEM)
    return caught.value


def test_deploy_creates_version_one_then_unchanged_content_creates_none(engine: Engine) -> None:
    first = engine.deploy({"p.bpmn": SIMPLE}, actor=SYSTEM, comment="initial")
    again = engine.deploy({"p.bpmn": SIMPLE}, actor=SYSTEM)
    assert [(d.def_id, d.version, d.created) for d in first] == [("p", 1, True)]
    assert [(d.def_id, d.version, d.created) for d in again] == [("p", 1, False)]
    assert len(engine.list_definitions(actor=SYSTEM)) == 1


def test_changed_file_creates_next_version_and_running_instance_keeps_its_own(
        engine: Engine) -> None:
    engine.deploy({"p.bpmn": SIMPLE}, actor=SYSTEM)
    starter = engine.get_actor("admin")
    old = engine.start_instance("p", {}, actor=starter)
    changed = process(user_task("fill_in") + user_task("check") + chain("fill_in", "check"))
    infos = engine.deploy({"p.bpmn": changed}, actor=SYSTEM, comment="adds a check")
    new = engine.start_instance("p", {}, actor=starter)
    assert infos[0].version == 2 and infos[0].comment == "adds a check"
    assert (old.version, new.version) == (1, 2)
    task = engine.inbox(starter, scope="all")[0]
    finished = engine.complete_task(
        next(t.id for t in engine.inbox(starter) if t.instance_id == old.id),
        {"item": "pen", "amount": "1.00"}, actor=starter)
    assert finished.status.value == "completed" and task is not None
    assert engine.get_definition_source("p", 1, actor=SYSTEM) == SIMPLE


def test_deploy_records_who_deployed_in_audit_trail(engine: Engine) -> None:
    engine.deploy({"p.bpmn": SIMPLE}, actor=SYSTEM, comment="first")
    events = [e for e in engine.audit_log(actor=SYSTEM) if e.event_type == "definition_deployed"]
    assert events[0].actor == "system"
    assert events[0].payload["def_id"] == "p" and events[0].payload["comment"] == "first"


def test_only_admins_deploy(engine: Engine) -> None:
    with pytest.raises(NotAuthorized):
        engine.deploy({"p.bpmn": SIMPLE}, actor=engine.get_actor("li.na"))


def test_malformed_xml_is_refused_with_file_and_line(engine: Engine) -> None:
    error = deploy_error(engine, "broken.bpmn", b"<a>\n<b>\n</a>")
    assert (error.file, error.line) == ("broken.bpmn", 3)
    assert "malformed XML" in error.message


def test_file_without_executable_process_is_refused(engine: Engine) -> None:
    error = deploy_error(engine, "p.bpmn", process(chain(), executable=False))
    assert "no executable process" in error.message and error.file == "p.bpmn"


def test_non_bpmn_xml_is_refused(engine: Engine) -> None:
    error = deploy_error(engine, "x.bpmn", b"<html><body/></html>")
    assert "not a BPMN 2.0 or DMN file" in error.message


def test_user_task_with_missing_form_is_refused_naming_the_task(engine: Engine) -> None:
    error = deploy_error(engine, "p.bpmn", process(user_task("fill_in", "nope") +
                                                   chain("fill_in")))
    assert error.bpmn_id == "fill_in" and "form 'nope' does not exist" in error.message
    assert error.line is not None


def test_user_task_without_form_takes_only_an_optional_comment(engine: Engine) -> None:
    engine.deploy({"p.bpmn": process('<bpmn:userTask id="bare"/>' + chain("bare"))},
                  actor=SYSTEM)
    admin = engine.get_actor("admin")
    engine.start_instance("p", {}, actor=admin)
    [task] = engine.inbox(admin)
    with pytest.raises(InvalidSubmission) as caught:
        engine.complete_task(task.id, {"amount": "5"}, actor=admin)
    assert caught.value.errors == {"amount": ["unknown field: this task has no form"]}
    done = engine.complete_task(task.id, {"comment": "done"}, actor=admin)
    assert done.status.value == "completed" and done.data["comment"] == "done"


def test_lane_naming_unknown_group_is_refused(engine: Engine) -> None:
    lanes = ('<bpmn:laneSet id="ls"><bpmn:lane id="lane_x" name="wizards">'
             "<bpmn:flowNodeRef>start</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>")
    error = deploy_error(engine, "p.bpmn", process(chain(), lanes=lanes))
    assert error.bpmn_id == "lane_x" and "'wizards' names no known group" in error.message


def test_script_that_does_not_compile_is_refused_with_its_line(engine: Engine) -> None:
    body = script_task("calc", "a = 1\nb = (") + chain("calc")
    error = deploy_error(engine, "p.bpmn", process(body))
    assert error.bpmn_id == "calc" and "does not compile" in error.message
    assert error.line is not None and error.line >= 2


@pytest.mark.parametrize("script, reason", [
    ("import os", "imports are not allowed"),
    ("x = ().__class__", "starts with \"_\""),
    ("eval('1')", "Eval calls are not allowed"),
])
def test_script_escaping_the_sandbox_is_refused_at_deploy(engine: Engine, script: str,
                                                          reason: str) -> None:
    error = deploy_error(engine, "p.bpmn", process(script_task("calc", script) + chain("calc")))
    assert error.bpmn_id == "calc" and reason in error.message


def test_call_activity_to_undeployed_process_is_refused(engine: Engine) -> None:
    body = '<bpmn:callActivity id="call_it" calledElement="elsewhere"/>' + chain("call_it")
    error = deploy_error(engine, "p.bpmn", process(body))
    assert error.bpmn_id == "call_it" and "'elsewhere' is not deployed" in error.message


def test_business_rule_task_naming_undeployed_decision_is_refused(engine: Engine) -> None:
    body = ('<bpmn:businessRuleTask id="decide"><bpmn:extensionElements>'
            "<spiffworkflow:calledDecisionId>threshold</spiffworkflow:calledDecisionId>"
            "</bpmn:extensionElements></bpmn:businessRuleTask>" + chain("decide"))
    error = deploy_error(engine, "p.bpmn", process(body))
    assert error.bpmn_id == "decide" and "decision 'threshold' is not deployed" in error.message


def test_external_entity_file_is_refused(engine: Engine) -> None:
    xxe = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           b"<d>&x;</d>")
    error = deploy_error(engine, "xxe.bpmn", xxe)
    assert "DOCTYPE declarations are not allowed" in error.message


def test_entity_expansion_file_is_refused(engine: Engine) -> None:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
            b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><l>&c;</l>')
    assert "DOCTYPE" in deploy_error(engine, "bomb.bpmn", bomb).message


def test_oversized_file_is_refused(engine: Engine) -> None:
    error = deploy_error(engine, "huge.bpmn", b"<a>" + b" " * (6 * 1024 * 1024) + b"</a>")
    assert "limit is" in error.message


def test_gbk_file_that_declares_its_encoding_deploys(engine: Engine) -> None:
    text = process(user_task("fill_in") + chain("fill_in")).decode("utf-8")
    text = text.replace('encoding="UTF-8"', 'encoding="GBK"').replace(
        'id="fill_in" name="fill_in"', 'id="fill_in" name="填写申请"')
    infos = engine.deploy({"gbk.bpmn": text.encode("gbk")}, actor=SYSTEM)
    assert infos[0].def_id == "p"


def test_gbk_file_without_declaration_is_refused_not_crashed(engine: Engine) -> None:
    text = process(chain()).decode("utf-8").replace(
        '<bpmn:startEvent id="start"/>', '<bpmn:startEvent id="start" name="开始"/>')
    error = deploy_error(engine, "gbk.bpmn", text.encode("gbk"))
    assert "declared encoding" in error.message


def test_two_approver_definition_deploys_with_names_in_both_languages(
        purchase: Engine) -> None:
    startable = purchase.list_startable(purchase.get_actor("zhang.wei"))
    assert [(p.process_id, p.name, p.name_en, p.start_groups) for p in startable] == [
        ("two_approver", "采购审批", "Purchase approval", ("account_staff",))]
    assert purchase.list_startable(purchase.get_actor("li.na")) == []


def test_validate_files_reports_every_problem_without_deploying(engine: Engine) -> None:
    body = user_task("a", "nope") + user_task("b", "gone") + chain("a", "b")
    problems = engine.validate_files({"p.bpmn": process(body)})
    assert sorted(p.bpmn_id or "" for p in problems) == ["a", "b"]
    assert engine.list_definitions(actor=SYSTEM) == []


def test_shipped_test_model_from_data_folder_deploys(engine: Engine) -> None:
    infos = engine.deploy({"two_approver.bpmn": read("two_approver.bpmn")}, actor=SYSTEM)
    assert infos[0].name_en == "Purchase approval"


def _flows(*pairs: tuple[str, str]) -> str:
    return "".join(f'<bpmn:sequenceFlow id="g{i}" sourceRef="{a}" targetRef="{b}"/>'
                   for i, (a, b) in enumerate(pairs))


def test_parallel_gateway_merging_a_loop_is_refused_naming_it(engine: Engine) -> None:
    body = ('<bpmn:startEvent id="start"/><bpmn:parallelGateway id="merge"/>'
            + user_task("work") + '<bpmn:exclusiveGateway id="again"/>'
            + '<bpmn:endEvent id="end"/>'
            + _flows(("start", "merge"), ("merge", "work"), ("work", "again"),
                     ("again", "merge"), ("again", "end")))
    problem = deploy_error(engine, "loop.bpmn", process(body))
    assert problem.bpmn_id == "merge" and problem.file == "loop.bpmn"
    assert "parallel gateway merges a loop coming back from again" in problem.message


def test_loop_around_a_whole_fork_and_join_deploys(engine: Engine) -> None:
    body = ('<bpmn:startEvent id="start"/><bpmn:exclusiveGateway id="round"/>'
            '<bpmn:parallelGateway id="fork"/><bpmn:parallelGateway id="join"/>'
            + user_task("left") + user_task("right")
            + '<bpmn:exclusiveGateway id="again" default="done"/><bpmn:endEvent id="end"/>'
            + _flows(("start", "round"), ("round", "fork"), ("fork", "left"),
                     ("fork", "right"), ("left", "join"), ("right", "join"),
                     ("join", "again"))
            + '<bpmn:sequenceFlow id="redo" sourceRef="again" targetRef="round">'
            '<bpmn:conditionExpression>comment == "again"</bpmn:conditionExpression>'
            '</bpmn:sequenceFlow>'
            '<bpmn:sequenceFlow id="done" sourceRef="again" targetRef="end"/>')
    [info] = engine.deploy({"block.bpmn": process(body)}, actor=SYSTEM)
    assert info.def_id == "p"
