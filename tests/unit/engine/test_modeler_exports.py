"""Exports of Camunda Modeler 5, Flowable, yEd and others, deployed the way ``signoff
deploy`` does: each runs in the lane members' inboxes as drawn, or is refused naming the
file, line, element and reason."""

from __future__ import annotations

from typing import Any

import pytest
from modelkit import DATA

from engine import DefinitionInvalid, Engine
from engine.records import SYSTEM

MODELERS = DATA / "modelers"
LANE_USERS = {"account_staff": "zhao.min", "account_manager": "zhang.wei",
              "supervisor": "li.na", "director": "liu.yang", "finance": "yang.li"}


def deploy(engine: Engine, *names: str) -> list[Any]:
    return engine.deploy({n: (MODELERS / n).read_bytes() for n in names}, actor=SYSTEM)


def work_through(engine: Engine, process_id: str, starter: str, data: dict[str, Any],
                 answers: dict[str, str] | None = None) -> tuple[str, list[str]]:
    """Start as ``starter``; each lane member completes what their inbox shows."""
    instance = engine.start_instance(process_id, data, actor=engine.get_actor(starter))
    done: list[str] = []
    for _ in range(20):
        open_tasks = [(user, task) for user in LANE_USERS.values()
                      for task in engine.inbox(engine.get_actor(user))
                      if task.instance_id == instance.id]
        if not open_tasks:
            break
        user, task = open_tasks[0]
        assert LANE_USERS[task.lane] == user
        comment = (answers or {}).get(task.bpmn_id, "ok")
        engine.complete_task(task.id, {"comment": comment}, actor=engine.get_actor(user))
        done.append(task.bpmn_id)
    status = engine.get_instance(instance.id, actor=SYSTEM).status.value
    return status, done


@pytest.mark.parametrize("name, process_id", [
    ("camunda5_collaboration.bpmn", "Process_visit_collab"),
    ("bom_crlf_collaboration.bpmn", "bom_crlf_visit"),
    ("unknown_extension_namespace.bpmn", "acme_visit"),
])
def test_camunda5_pool_with_lanes_and_message_flows_runs_in_the_lane_inboxes(
        engine: Engine, name: str, process_id: str) -> None:
    [info] = deploy(engine, name)
    assert (info.def_id, info.name) == (process_id, "拜访审批（协作图）")
    status, done = work_through(engine, process_id, "zhang.wei", {})
    assert (status, done) == ("completed",
                              ["Activity_plan", "Activity_review", "Activity_record"])


def test_camunda5_default_flow_ends_the_collaboration_as_rejected(engine: Engine) -> None:
    deploy(engine, "camunda5_collaboration.bpmn")
    status, done = work_through(engine, "Process_visit_collab", "zhang.wei", {},
                                {"Activity_review": "no"})
    assert (status, done) == ("completed", ["Activity_plan", "Activity_review"])


def test_bom_and_crlf_file_keeps_its_chinese_names(engine: Engine) -> None:
    deploy(engine, "bom_crlf_collaboration.bpmn")
    source = engine.get_definition_source("bom_crlf_visit", actor=SYSTEM)
    assert source.startswith(b"\xef\xbb\xbf") and b"\r\n" in source
    assert "制定拜访计划".encode() in source


@pytest.mark.parametrize("amount, answers, expected", [
    (500, {}, ["prepare", "approve", "big_check", "upload_docs", "sign_each",
               "sign_each", "archive"]),
    (50, {"upload_docs": "missing"},
     ["prepare", "approve", "always_note", "upload_docs", "fix_docs"]),
])
def test_parallel_inclusive_error_boundary_and_multi_instance_run_as_drawn(
        engine: Engine, amount: int, answers: dict[str, str], expected: list[str]) -> None:
    deploy(engine, "events_gateways_subprocess.bpmn")
    status, done = work_through(engine, "feature_mix", "zhao.min", {"amount": amount},
                                answers)
    assert status == "completed"
    assert sorted(done[:2]) == ["approve", "prepare"] and done[2:] == expected[2:]


def test_plain_bpmn_task_is_confirmed_by_a_member_of_its_lane(engine: Engine) -> None:
    deploy(engine, "events_gateways_subprocess.bpmn")
    instance = engine.start_instance("feature_mix", {"amount": 5},
                                     actor=engine.get_actor("zhao.min"))
    for user in ("zhao.min", "li.na"):
        for task in engine.inbox(engine.get_actor(user)):
            engine.complete_task(task.id, {}, actor=engine.get_actor(user))
    [task] = engine.inbox(engine.get_actor("zhao.min"))
    assert (task.instance_id, task.bpmn_id, task.lane) == (
        instance.id, "always_note", "account_staff")


def test_yed_semantic_prefix_without_diagram_runs(engine: Engine) -> None:
    [info] = deploy(engine, "yed_semantic_prefix.bpmn")
    assert info.name == "Order (yEd)"
    assert work_through(engine, "yed_order", "zhao.min", {}) == ("completed", ["_b"])


def test_flowable_export_is_refused_for_its_candidate_group_and_form_property(
        engine: Engine) -> None:
    with pytest.raises(DefinitionInvalid) as caught:
        deploy(engine, "flowable_leave.bpmn")
    reasons = [(p.file, p.line, p.bpmn_id, p.reason.split(",")[0])
               for p in caught.value.problems]
    assert reasons == [
        ("flowable_leave.bpmn", 6, "sid-approve", "bpmn:userTask sets flowable:candidateGroups"),
        ("flowable_leave.bpmn", 6, "sid-approve", "bpmn:userTask sets flowable:formProperty"),
    ]


def test_camunda_dmn13_feel_range_and_list_are_refused_at_deploy(engine: Engine) -> None:
    with pytest.raises(DefinitionInvalid) as caught:
        deploy(engine, "camunda_dmn13_discount.dmn")
    found = [(p.file, p.line, p.bpmn_id) for p in caught.value.problems]
    assert found == [("camunda_dmn13_discount.dmn", 24, "UnaryTests_4"),
                     ("camunda_dmn13_discount.dmn", 28, "UnaryTests_5")]
    [feel_range, feel_list] = [p.reason for p in caught.value.problems]
    assert feel_range.endswith("here '1 <= ? <= 999'")
    assert "compares the input with a tuple and never matches" in feel_list
    assert feel_list.endswith("""write '? in ("silver","bronze")'""")


@pytest.mark.parametrize("level, amount, discount", [
    ("gold", 5000, 0.15), ("gold", 50, 0.1), ("silver", 50, 0.05), ("none", 0, 0),
])
def test_camunda_dmn13_written_as_advised_decides_every_rule(
        engine: Engine, level: str, amount: int, discount: float) -> None:
    table = (MODELERS / "camunda_dmn13_discount.dmn").read_bytes().replace(
        b"[1..999]", b"1 &lt;= ? &lt;= 999").replace(
        b'<text>"silver","bronze"</text>', b'<text>? in ("silver", "bronze")</text>')
    engine.deploy({"discount.dmn": table,
                   "discount_check.bpmn": (MODELERS / "discount_check.bpmn").read_bytes()},
                  actor=SYSTEM)
    instance = engine.start_instance("discount_check",
                                     {"customer_level": level, "amount": amount},
                                     actor=engine.get_actor("yang.li"))
    assert engine.get_instance(instance.id, actor=SYSTEM).data["discount"] == discount


def test_deploy_names_a_flow_to_a_deleted_element_like_the_editor_does(
        engine: Engine) -> None:
    broken = (MODELERS / "yed_semantic_prefix.bpmn").read_bytes().replace(
        b'targetRef="_c" id="_f2"', b'targetRef="_gone" id="_f2"')
    with pytest.raises(DefinitionInvalid) as caught:
        engine.deploy({"order.bpmn": broken}, actor=SYSTEM)
    assert (caught.value.line, caught.value.bpmn_id, caught.value.reason) == (
        9, "_f2", "sequence flow leads to '_gone', which does not exist in this process")
