"""The admin API: drafts, checks, deploys, forms, instance operations and accounts."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from modelkit import DATA, chain, copied_forms, process, script_task, user_task

from engine import (
    Actor,
    ConcurrentUpdate,
    DefinitionInvalid,
    Engine,
    InstanceNotRunnable,
    InvalidInput,
    NotAuthorized,
    NotFound,
    ScriptFailed,
)
from engine._admin_api import AdminAPI
from engine.admin_queries import InstanceFilter
from engine.errors import DraftExists
from engine.records import SYSTEM, InstanceStatus, Role

REQUEST = {"item": "laptop", "amount": "1200.50"}
SIMPLE = process(user_task("fill_in") + chain("fill_in"))
NOWHERE = SIMPLE.replace(b'targetRef="end"', b'targetRef="nowhere"')
LANED = process(
    user_task("fill_in") + chain("fill_in"),
    lanes='<bpmn:laneSet id="ls"><bpmn:lane id="l1" name="supervisor">'
    "<bpmn:flowNodeRef>fill_in</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>",
)


@pytest.fixture
def forms_dir(tmp_path: Path) -> Path:
    """A copy of the test forms, to prove that a deploy leaves the folder alone."""
    return copied_forms(tmp_path)


@pytest.fixture
def admin(engine: Engine) -> Any:
    """The engine with the admin methods (Engine and AdminAPI in one object)."""
    return engine


def start(admin: Any, body: bytes = SIMPLE, data: dict[str, Any] | None = None) -> int:
    admin.deploy({"p.bpmn": body}, actor=SYSTEM)
    return int(admin.start_instance("p", data or {}, actor=SYSTEM).id)


def test_process_versions_list_who_comment_files_and_counts(admin: Any) -> None:
    admin.deploy({"p.bpmn": SIMPLE}, actor=SYSTEM, comment="first")
    admin.start_instance("p", {}, actor=SYSTEM)
    admin.deploy(
        {"p.bpmn": SIMPLE.replace(b'name="fill_in"', b'name="x"')},
        actor=SYSTEM,
        comment="renamed",
    )
    v2, v1 = admin.list_process_versions(actor=SYSTEM)
    assert (v1.version, v1.comment, v1.live, v1.counts) == (
        1,
        "first",
        False,
        {"running": 1},
    )
    assert (v2.version, v2.comment, v2.live, v2.active_count) == (2, "renamed", True, 0)
    assert [(f.kind, f.def_id, f.version) for f in v2.files] == [("bpmn", "p", 2)]
    assert v1.created_by == SYSTEM.username


def test_save_draft_refuses_a_stale_version(admin: Any) -> None:
    first = admin.save_draft("bpmn", "p", SIMPLE, actor=SYSTEM)
    admin.save_draft(
        "bpmn", "p", SIMPLE + b" ", actor=SYSTEM, expected_version=first.row_version
    )
    with pytest.raises(ConcurrentUpdate, match="saved this draft"):
        admin.save_draft(
            "bpmn", "p", SIMPLE, actor=SYSTEM, expected_version=first.row_version
        )
    assert admin.find_draft("bpmn", "p", actor=SYSTEM).source == SIMPLE + b" "


def test_stale_save_carries_the_newer_draft_so_the_editor_can_show_it(
    admin: Any,
) -> None:
    first = admin.save_draft("bpmn", "p", SIMPLE, actor=SYSTEM)
    theirs = admin.save_draft("bpmn", "p", SIMPLE + b" ", actor=SYSTEM)
    with pytest.raises(DraftExists) as caught:
        admin.save_draft(
            "bpmn", "p", SIMPLE + b"\n", actor=SYSTEM,
            expected_version=first.row_version,
        )
    refusal = caught.value
    assert (refusal.saved_by, refusal.row_version, refusal.source) == (
        "system", theirs.row_version, SIMPLE + b" ")


def test_saving_over_a_newer_draft_on_purpose_audits_whose_save_it_replaced(
    admin: Any,
) -> None:
    opened = admin.save_draft("bpmn", "p", SIMPLE, actor=SYSTEM)
    other = admin.add_user("other.admin", password="pw-other-admin-1",
                           role=Role.ADMIN, actor=SYSTEM)
    theirs = admin.save_draft("bpmn", "p", SIMPLE + b" ", actor=admin.get_actor(
        other.username), expected_version=opened.row_version)
    mine = SIMPLE + b"\n"
    admin.save_draft("bpmn", "p", mine, actor=SYSTEM,
                     expected_version=opened.row_version, overwrite=True)
    assert admin.find_draft("bpmn", "p", actor=SYSTEM).source == mine
    saves = [e for e in admin.audit_log(actor=SYSTEM) if e.event_type == "draft_saved"]
    assert "replaced" not in saves[0].payload and "replaced" not in saves[1].payload
    assert saves[-1].actor == "system" and saves[-1].payload["replaced"] == {
        "saved_by": "other.admin",
        "saved_at": theirs.saved_at.isoformat(),
        "sha256": hashlib.sha256(SIMPLE + b" ").hexdigest(),
    }


def test_overwrite_after_nobody_else_saved_records_no_replacement(admin: Any) -> None:
    opened = admin.save_draft("bpmn", "p", SIMPLE, actor=SYSTEM)
    admin.save_draft("bpmn", "p", SIMPLE + b" ", actor=SYSTEM,
                     expected_version=opened.row_version, overwrite=True)
    saves = [e for e in admin.audit_log(actor=SYSTEM) if e.event_type == "draft_saved"]
    last = saves[-1]
    assert "replaced" not in last.payload and last.payload["file"] == "p.bpmn"


def test_first_draft_keeps_the_live_file_name_and_an_upload_renames_it(
    admin: Any,
) -> None:
    admin.deploy({"Leave request (export).bpmn": SIMPLE}, actor=SYSTEM)
    draft = admin.save_draft("bpmn", "p", SIMPLE + b" ", actor=SYSTEM)
    assert draft.file_name == "Leave request (export).bpmn"
    [info] = admin.deploy_draft("bpmn", "p", actor=SYSTEM)
    assert (info.version, info.file_name) == (2, "Leave request (export).bpmn")
    [version, _] = admin.list_process_versions(actor=SYSTEM)
    assert [f.file_name for f in version.files] == ["Leave request (export).bpmn"]
    uploaded = admin.upload_draft("leave.bpmn", SIMPLE, actor=SYSTEM)
    assert uploaded.file_name == "leave.bpmn"  # an upload names its file on purpose


def test_check_points_at_a_flow_to_nowhere_and_its_source(admin: Any) -> None:
    [problem] = admin.check_definition({"p.bpmn": NOWHERE}, actor=SYSTEM)
    assert problem.element_id == "f1" and "'nowhere'" in problem.message
    assert problem.highlight == ("f1", "fill_in") and problem.line == 4


def test_check_ties_a_line_only_schema_error_to_its_element(admin: Any) -> None:
    broken = SIMPLE.replace(b' targetRef="end"', b"")
    problems = admin.check_definition({"p.bpmn": broken}, actor=SYSTEM)
    assert [p.element_id for p in problems] == ["f1"]
    assert "no targetRef" in problems[0].message


def test_check_reports_every_problem_of_another_modelers_file(admin: Any) -> None:
    data = (DATA / "modelers" / "zeebe_service_task.bpmn").read_bytes()
    draft = admin.upload_draft("zeebe_service_task.bpmn", data, actor=SYSTEM)
    assert (draft.kind, draft.def_id) == ("bpmn", "send_invoice")
    problems = admin.check_draft("bpmn", "send_invoice", actor=SYSTEM)
    assert [(p.element_id, p.line) for p in problems] == [("send_mail", 5)]
    assert "serviceTask" in problems[0].message


def test_upload_of_unreadable_file_is_refused(admin: Any) -> None:
    with pytest.raises(DefinitionInvalid, match="malformed XML"):
        admin.upload_draft("x.bpmn", b"<bpmn:definitions", actor=SYSTEM)


def test_deploy_draft_refuses_broken_wiring_and_keeps_the_draft(admin: Any) -> None:
    admin.save_draft("bpmn", "p", NOWHERE, actor=SYSTEM)
    with pytest.raises(DefinitionInvalid) as caught:
        admin.deploy_draft("bpmn", "p", actor=SYSTEM)
    assert caught.value.bpmn_id == "f1"
    assert admin.find_draft("bpmn", "p", actor=SYSTEM) is not None
    assert admin.list_process_versions(actor=SYSTEM) == []


def test_deploy_draft_deploys_audits_and_drops_the_draft(admin: Any) -> None:
    admin.save_draft("bpmn", "p", SIMPLE, actor=SYSTEM, comment="new")
    [info] = admin.deploy_draft("bpmn", "p", actor=SYSTEM)
    assert (info.def_id, info.version, info.comment) == ("p", 1, "new")
    assert admin.find_draft("bpmn", "p", actor=SYSTEM) is None
    types = [e.event_type for e in admin.audit_log(actor=SYSTEM)]
    assert "draft_saved" in types and "definition_deployed" in types


def test_draft_diff_compares_live_version_with_the_draft(admin: Any) -> None:
    admin.deploy({"p.bpmn": SIMPLE}, actor=SYSTEM)
    admin.save_draft(
        "bpmn", "p", SIMPLE.replace(b'name="fill_in"', b'name="x"'), actor=SYSTEM
    )
    diff = admin.diff_definition("bpmn", "p", 1, None, actor=SYSTEM)
    assert [(c.element_id, c.change) for c in diff.changes] == [("fill_in", "changed")]


def test_deploy_form_goes_live_without_touching_the_file_and_refuses_a_broken_form(
    admin: Any, forms_dir: Path
) -> None:
    shipped = (forms_dir / "request_form.json").read_bytes()
    source = shipped.replace("物品".encode(), b"Thing")
    info = admin.deploy_form("request_form", source, actor=SYSTEM)
    sha = hashlib.sha256(source).hexdigest()
    assert (info.key, info.version, info.problem) == ("request_form", sha, None)
    assert admin.get_form_source("request_form", actor=SYSTEM) == source
    with pytest.raises(DefinitionInvalid, match="properties"):
        admin.deploy_form("request_form", b'{"type": "object"}', actor=SYSTEM)
    assert (forms_dir / "request_form.json").read_bytes() == shipped
    listed = {f.key: f.version for f in admin.list_forms(actor=SYSTEM)}
    assert listed["request_form"] == sha and "manager_review" in listed
    assert admin.live_form("request_form").version == sha


def test_suspend_blocks_completion_and_timers_until_resumed(admin: Any) -> None:
    instance_id = start(admin)
    with pytest.raises(InvalidInput, match="reason"):
        admin.suspend_instance(instance_id, reason=" ", actor=SYSTEM)
    held = admin.suspend_instance(instance_id, reason="waiting for legal", actor=SYSTEM)
    assert held.status is InstanceStatus.SUSPENDED
    [task] = admin.inbox(SYSTEM)
    with pytest.raises(InstanceNotRunnable, match="suspended"):
        admin.complete_task(task.id, REQUEST, actor=SYSTEM)
    admin.resume_instance(instance_id, actor=SYSTEM)
    done = admin.complete_task(task.id, REQUEST, actor=SYSTEM)
    assert done.status is InstanceStatus.COMPLETED
    events = [e.event_type for e in admin.history(instance_id, actor=SYSTEM)]
    assert "instance_suspended" in events and "instance_resumed" in events


def test_edit_instance_data_records_reason_before_and_after(admin: Any) -> None:
    instance_id = start(admin, data={"amount": "10.00", "note": "x"})
    with pytest.raises(InvalidInput, match="reason"):
        admin.edit_instance_data(instance_id, {"amount": "1"}, reason="", actor=SYSTEM)
    edited = admin.edit_instance_data(
        instance_id,
        {"amount": "12.00"},
        remove=["note"],
        reason="typo on the phone",
        actor=SYSTEM,
    )
    assert edited.data["amount"] == "12.00" and "note" not in edited.data
    [event] = [
        e
        for e in admin.history(instance_id, actor=SYSTEM)
        if e.event_type == "instance_data_edited"
    ]
    assert event.payload == {
        "reason": "typo on the phone",
        "before": {"amount": "10.00", "note": "x"},
        "after": {"amount": "12.00"},
        "removed": ["note"],
    }
    [task] = admin.inbox(SYSTEM)
    assert admin.get_task(task.id, actor=SYSTEM).data["amount"] == "12.00"


def test_edit_instance_data_refuses_private_names(admin: Any) -> None:
    instance_id = start(admin)
    with pytest.raises(InvalidInput, match="variable names"):
        admin.edit_instance_data(instance_id, {"__x": 1}, reason="r", actor=SYSTEM)


def test_search_filters_by_step_version_key_starter_and_date(admin: Any) -> None:
    admin.deploy({"p.bpmn": SIMPLE}, actor=SYSTEM)
    one = admin.start_instance("p", {}, actor=SYSTEM, business_key="KEY-1")
    two = admin.start_instance("p", {}, actor=SYSTEM, business_key="KEY-2")
    [task] = [t for t in admin.inbox(SYSTEM) if t.instance_id == two.id]
    admin.complete_task(task.id, REQUEST, actor=SYSTEM)

    def ids(**where: Any) -> list[int]:
        found = admin.search_instances(actor=SYSTEM, where=InstanceFilter(**where))
        return [i.id for i in found]

    assert ids(step="fill_in") == [one.id]
    assert ids(business_key="KEY") == [two.id, one.id]
    assert ids(version=1, status=InstanceStatus.COMPLETED) == [two.id]
    assert ids(version=2) == [] and ids(started_by="nobody") == []
    now = datetime.now(timezone.utc)
    assert ids(
        started_from=now - timedelta(hours=1),
        started_to=now + timedelta(hours=1),
        process_id="p",
    ) == [two.id, one.id]


def test_incidents_name_element_line_and_message(admin: Any) -> None:
    failing = process(script_task("divide", "share = 100 / parts") + chain("divide"))
    admin.deploy({"p.bpmn": failing}, actor=SYSTEM)
    with pytest.raises(ScriptFailed):
        admin.start_instance("p", {"parts": 0}, actor=SYSTEM)
    [incident] = admin.list_incidents(actor=SYSTEM)
    assert (incident.bpmn_id, incident.line, incident.kind) == ("divide", 1, "script")
    assert "ZeroDivisionError" in incident.message and incident.version == 1


def test_deactivated_users_tasks_are_flagged_for_reassignment(
    admin: Any, actor: Callable[[str], Actor]
) -> None:
    instance_id = start(admin, LANED)
    [task] = admin.inbox(actor("li.na"))
    admin.claim_task(task.id, actor=actor("li.na"))
    admin.deactivate_user("li.na", actor=SYSTEM)
    with pytest.raises(NotAuthorized):
        actor("li.na")
    [flagged] = admin.list_flagged_tasks(actor=SYSTEM)
    assert (flagged.id, flagged.assignee, flagged.instance_id) == (
        task.id,
        "li.na",
        instance_id,
    )
    admin.add_user(
        "new.super", password="long-enough-1", groups=["supervisor"], actor=SYSTEM
    )
    admin.assign_task(task.id, "new.super", actor=SYSTEM)
    assert admin.list_flagged_tasks(actor=SYSTEM) == []
    assert admin.reactivate_user("li.na", actor=SYSTEM).active


def test_reset_password_generates_one_and_unlocks(admin: Any) -> None:
    for _ in range(6):
        with pytest.raises(Exception):
            admin.authenticate("li.na", "wrong password")
    password = admin.reset_password("li.na", actor=SYSTEM)
    assert (
        len(password) >= 12
        and admin.authenticate("li.na", password).username == "li.na"
    )
    [event] = [
        e for e in admin.audit_log(actor=SYSTEM) if e.event_type == "password_reset"
    ]
    assert password not in str(event.payload)


def test_groups_and_role_changes_are_audited(admin: Any) -> None:
    info = admin.set_groups("li.na", ["supervisor", "finance"], actor=SYSTEM)
    assert info.groups == ("finance", "supervisor")
    with pytest.raises(InvalidInput, match="unknown group"):
        admin.set_groups("li.na", ["no_such_group"], actor=SYSTEM)
    assert admin.set_role("li.na", Role.AUDITOR, actor=SYSTEM).role is Role.AUDITOR
    changes = [
        e.payload
        for e in admin.audit_log(actor=SYSTEM)
        if e.event_type == "user_updated"
    ]
    assert changes[-2]["groups"] == {
        "before": ["supervisor"],
        "after": ["finance", "supervisor"],
    }
    assert changes[-1]["role"] == {"before": "staff", "after": "auditor"}


def test_admin_cannot_lock_themself_out(
    admin: Any, actor: Callable[[str], Actor]
) -> None:
    me = actor("admin")
    with pytest.raises(InvalidInput, match="your own"):
        admin.deactivate_user("admin", actor=me)
    with pytest.raises(InvalidInput, match="your own"):
        admin.set_role("admin", Role.STAFF, actor=me)


ADMIN_CALLS: dict[str, Callable[[AdminAPI, Actor], object]] = {
    "list_process_versions": lambda e, a: e.list_process_versions(actor=a),
    "list_drafts": lambda e, a: e.list_drafts(actor=a),
    "save_draft": lambda e, a: e.save_draft("bpmn", "p", SIMPLE, actor=a),
    "upload_draft": lambda e, a: e.upload_draft("p.bpmn", SIMPLE, actor=a),
    "check_definition": lambda e, a: e.check_definition({"p.bpmn": SIMPLE}, actor=a),
    "deploy_draft": lambda e, a: e.deploy_draft("bpmn", "p", actor=a),
    "diff_versions": lambda e, a: e.diff_versions("p", 1, 2, actor=a),
    "migrate_instances": lambda e, a: e.migrate_instances([1], 2, actor=a),
    "deploy_form": lambda e, a: e.deploy_form("request_form", b"{}", actor=a),
    "list_forms": lambda e, a: e.list_forms(actor=a),
    "search_instances": lambda e, a: e.search_instances(actor=a),
    "suspend_instance": lambda e, a: e.suspend_instance(1, reason="r", actor=a),
    "edit_instance_data": lambda e, a: e.edit_instance_data(
        1, {"a": 1}, reason="r", actor=a
    ),
    "list_incidents": lambda e, a: e.list_incidents(actor=a),
    "deactivate_user": lambda e, a: e.deactivate_user("li.na", actor=a),
    "reset_password": lambda e, a: e.reset_password("li.na", actor=a),
    "set_groups": lambda e, a: e.set_groups("li.na", [], actor=a),
    "set_role": lambda e, a: e.set_role("li.na", Role.ADMIN, actor=a),
}


@pytest.mark.parametrize("who", ["li.na", "auditor"])
@pytest.mark.parametrize("call", sorted(ADMIN_CALLS))
def test_admin_methods_refuse_staff_and_auditors(
    admin: Any, actor: Callable[[str], Actor], call: str, who: str
) -> None:
    with pytest.raises(NotAuthorized):
        ADMIN_CALLS[call](admin, actor(who))


def test_missing_draft_is_not_found(admin: Any) -> None:
    with pytest.raises(NotFound):
        admin.check_draft("dmn", "nothing", actor=SYSTEM)


def test_check_names_the_decision_cell_that_does_not_compile(admin: Any) -> None:
    dmn = (DATA.parents[1] / "workflows" / "visit_gm_threshold.dmn").read_bytes()
    broken = dmn.replace(
        b"&lt;= Decimal(&quot;5000.00&quot;)", b"&lt;= Decimal(5000", 1
    )
    [problem] = admin.check_definition({"visit_gm_threshold.dmn": broken}, actor=SYSTEM)
    assert problem.element_id == "rule_visit_gm_threshold_1_in_2"
    assert "does not compile" in problem.message and problem.line


def test_auditor_sees_the_form_version_a_completion_was_made_on_after_it_changed(
    admin: Any, forms_dir: Path
) -> None:
    instance_id = start(admin)
    [task] = admin.inbox(SYSTEM, scope="all")
    admin.complete_task(task.id, {"item": "desk", "amount": "10.00"}, actor=SYSTEM)
    old = (forms_dir / "request_form.json").read_bytes()
    admin.deploy_form("request_form", old.replace("物品".encode(), b"Thing"), actor=SYSTEM)
    [done] = [e for e in admin.history(instance_id, actor=SYSTEM)
              if e.event_type == "task_completed"]
    shown = admin.submitted_form(done.id, actor=admin.get_actor("auditor"))
    assert shown.form_version == hashlib.sha256(old).hexdigest()
    assert shown.form.properties["item"]["x-label"]["zh"] == "物品"  # as it was then
    assert shown.data == {"item": "desk", "amount": "10.00"} and shown.digest_matches
    with pytest.raises(NotAuthorized):
        admin.submitted_form(done.id, actor=admin.get_actor("zhang.wei"))
    with pytest.raises(NotFound):
        admin.submitted_form(done.id - 1, actor=SYSTEM)


def test_auditor_sees_the_start_form_version_and_hash_an_applicant_started_on(
    admin: Any, forms_dir: Path
) -> None:
    start_form = ('<bpmn:startEvent id="start"><bpmn:extensionElements>'
                  '<spiffworkflow:properties><spiffworkflow:property '
                  'name="formJsonSchemaFilename" value="request_form.json"/>'
                  '</spiffworkflow:properties></bpmn:extensionElements>'
                  '</bpmn:startEvent>')
    body = process(user_task("fill_in") + chain("fill_in").replace(
        '<bpmn:startEvent id="start"/>', start_form))
    instance_id = start(admin, body, {"item": "chair", "amount": "5"})
    old = (forms_dir / "request_form.json").read_bytes()
    admin.deploy_form("request_form", old.replace("物品".encode(), b"Thing"), actor=SYSTEM)
    [began] = [e for e in admin.history(instance_id, actor=SYSTEM)
               if e.event_type == "instance_started"]
    assert began.payload["form_key"] == "request_form"
    shown = admin.submitted_form(began.id, actor=admin.get_actor("auditor"))
    assert shown.form_version == hashlib.sha256(old).hexdigest()
    assert shown.form.properties["item"]["x-label"]["zh"] == "物品"
    assert shown.data == {"item": "chair", "amount": "5.00"} and shown.digest_matches


def test_a_start_without_a_form_records_its_data_hash_but_offers_no_form(
    admin: Any,
) -> None:
    instance_id = start(admin, data={"source": "import"})
    [began] = [e for e in admin.history(instance_id, actor=SYSTEM)
               if e.event_type == "instance_started"]
    assert began.payload["data_sha256"] and "form_version" not in began.payload
    with pytest.raises(NotFound, match="no start or task completion on a form"):
        admin.submitted_form(began.id, actor=SYSTEM)
