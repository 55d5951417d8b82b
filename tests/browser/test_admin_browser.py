"""The admin area in chromium: a decision-table change, a refused broken edit, the diff,
and the properties panel.

These tests run on the module's own server and database (``admin_server`` in
conftest.py), because they deploy new versions of the shipped definitions.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from engine import SYSTEM, Engine

pytestmark = pytest.mark.browser

AdminServer = Any  # the ``admin_server`` fixture of tests/browser/conftest.py
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
DMN_ID = "visit_gm_threshold"
FLOW = "flow_decide_visit_gm_approval_to_review_visit_by_director"
APPLICATION = {
    "customer_name": "华东机械有限公司",
    "contact_person": "王经理",
    "visit_purpose": "拜访",
    "visit_date": "2026-12-10",
    "visit_participants": "张伟",
    "gift_budget": "1000.00",
    "travel_budget": "1000.00",
    "meal_budget": "1000.00",
    "other_budget": "1000.00",
    "application_date": "2026-11-10",
}


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"admin-{name}.png"), full_page=True)


def open_in_panel(page: Page, server: AdminServer, element_id: str) -> Locator:
    """Open visit_approval in the editor, select ``element_id``; return the panel."""
    page.goto(f"{server.url}/admin/edit/bpmn/visit_approval")
    expect(page.locator("#canvas")).to_have_attribute("data-state", "rendered")
    page.locator(f'g.djs-element[data-element-id="{element_id}"]').click()
    return page.locator("#properties")


def start_visit(engine: Engine) -> int:
    return engine.start_instance(
        "visit_approval", APPLICATION, actor=engine.get_actor("zhang.wei")
    ).id


def gm_needed(engine: Engine, instance_id: int) -> Any:
    return engine.get_instance(instance_id, actor=SYSTEM).data["gm_approval_required"]


def task_of(engine: Engine, user: str, instance_id: int) -> Any:
    who = engine.get_actor(user)
    return next(t for t in engine.inbox(who) if t.instance_id == instance_id)


def set_threshold(page: Page, amount: str) -> None:
    """Type a new budget threshold into the four rules of the decision table."""
    for number in (1, 2, 3, 4):
        page.locator(f'[data-element-id="rule_{DMN_ID}_{number}_in_2"]').click()
        page.keyboard.press("Control+A")
        page.keyboard.type(f'{"<=" if number % 2 else ">"} Decimal("{amount}")')


def test_dmn_threshold_change_applies_to_new_instances_only(
    admin_page: Page, admin_server: AdminServer
) -> None:
    engine = admin_server.engine
    before = start_visit(engine)  # 4,000.00 yuan: no GM approval under the 5,000 rule
    assert gm_needed(engine, before) is False
    page = admin_page
    page.goto(f"{admin_server.url}/admin/edit/dmn/{DMN_ID}")
    expect(page.locator("#canvas")).to_have_attribute("data-state", "rendered")
    set_threshold(page, "3000.00")
    page.locator("#deploy-comment").fill("GM approves budgets above 3,000")
    page.locator("#check").click()
    expect(page.locator("#editor-status")).to_have_class(re.compile(r"\bok\b"))
    shot(page, "dmn-threshold-edited")
    page.locator("#deploy").click()
    page.wait_for_url(f"{admin_server.url}/admin/")
    expect(page.locator(".flash")).to_contain_text(f"Deployed {DMN_ID} version 2")

    after = start_visit(engine)
    assert gm_needed(engine, after) is True
    # The old instance meets the decision again after a return and keeps its rule.
    engine.complete_task(
        task_of(engine, "liu.yang", before).id,
        {"director_decision": "return", "director_opinion": "补充说明"},
        actor=engine.get_actor("liu.yang"),
    )
    engine.complete_task(
        task_of(engine, "zhang.wei", before).id,
        dict(APPLICATION, revision_action="resubmit", revision_note="已补充"),
        actor=engine.get_actor("zhang.wei"),
    )
    resubmitted = engine.get_instance(before, actor=SYSTEM)
    assert resubmitted.version == 1 and resubmitted.data["application_round"] == 2
    assert gm_needed(engine, before) is False
    assert engine.get_instance(after, actor=SYSTEM).version == 2


def test_flow_to_nowhere_is_refused_with_the_element_highlighted(
    admin_page: Page, admin_server: AdminServer
) -> None:
    page = admin_page
    page.goto(f"{admin_server.url}/admin/edit/bpmn/visit_approval")
    expect(page.locator("#canvas")).to_have_attribute("data-state", "rendered")
    page.locator("#tab-xml").click()
    xml = page.locator("#xml-source").input_value()
    broken = xml.replace(
        'sourceRef="decide_visit_gm_approval" ' 'targetRef="review_visit_by_director"',
        'sourceRef="decide_visit_gm_approval" targetRef="nowhere"',
    )
    assert broken != xml
    page.locator("#xml-source").fill(broken)
    page.locator("#tab-diagram").click()
    page.locator("#check").click()
    expect(page.locator("#problems")).to_be_visible()
    expect(page.locator("#problem-list")).to_contain_text(FLOW)
    expect(page.locator("#problem-list")).to_contain_text("nowhere")
    marked = page.locator(
        'g.djs-element.has-problem[data-element-id="decide_visit_gm_approval"]'
    )
    expect(marked).to_have_count(1)
    expect(page.locator("#deploy")).to_be_disabled()
    expect(page.locator("#editor-status")).to_have_text("1 problem to fix.")
    shot(page, "flow-to-nowhere")

    page.locator("#save-draft").click()
    expect(page.locator("#editor-status")).to_have_class(re.compile(r"\bok\b"))
    data = page.locator("#editor-data").text_content() or ""
    token = re.search(r'"csrf": "([^"]+)"', data)
    assert token is not None
    refused = page.request.post(
        f"{admin_server.url}/admin/edit/bpmn/visit_approval/deploy",
        form={"csrf_token": token.group(1), "comment": "should not deploy"},
    )
    assert refused.status == 422 and FLOW in refused.text()
    versions = admin_server.engine.list_process_versions(actor=SYSTEM)
    assert all(v.comment != "should not deploy" for v in versions)
    page.reload()  # the saved draft opens with its problem marked
    expect(page.locator("#canvas")).to_have_attribute("data-state", "rendered")
    expect(page.locator("#problem-list")).to_contain_text(FLOW)
    expect(marked).to_have_count(1)
    page.get_by_role("button", name="Discard draft").click()
    page.wait_for_url(f"{admin_server.url}/admin/")


def test_gbk_file_keeps_its_chinese_names_through_the_editor_and_deploy(
    admin_page: Page, admin_server: AdminServer, modelers: Path
) -> None:
    page = admin_page
    page.goto(f"{admin_server.url}/admin/upload")
    page.set_input_files("#upload-file", str(modelers / "gbk_notice.bpmn"))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{admin_server.url}/admin/edit/bpmn/gbk_notice")
    expect(page.locator("#canvas")).to_have_attribute("data-state", "rendered")
    expect(page.locator("#canvas")).to_contain_text("确认已阅读通知（县局）")
    page.locator("#save-draft").click()
    expect(page.locator("#editor-status")).to_have_class(re.compile(r"\bok\b"))
    page.locator("#check").click()
    expect(page.locator("#deploy")).to_be_enabled()
    page.locator("#deploy").click()
    page.wait_for_url(f"{admin_server.url}/admin/")
    source = admin_server.engine.get_definition_source("gbk_notice", actor=SYSTEM)
    text = source.decode("utf-8")
    assert 'name="确认已阅读通知（县局）"' in text and 'name="县局通知确认"' in text


def test_diff_page_shows_the_threshold_change(
    admin_page: Page, admin_server: AdminServer
) -> None:
    engine = admin_server.engine
    live = engine.get_definition_source(DMN_ID, kind="dmn", actor=SYSTEM)
    old = re.search(rb'Decimal\((&quot;|")([0-9.]+)(&quot;|")\)', live)
    assert old is not None
    changed = live.replace(old.group(0), b"Decimal(&quot;2500.00&quot;)")
    engine.deploy({f"{DMN_ID}.dmn": changed}, actor=SYSTEM, comment="threshold 2,500")
    page = admin_page
    page.goto(f"{admin_server.url}/admin/processes/visit_approval")
    page.locator("#versions tbody tr").first.get_by_role("link").last.click()
    expect(page).to_have_url(re.compile(r"/admin/processes/visit_approval/diff\?"))
    section = page.locator(f"#diff-dmn-{DMN_ID}")
    expect(section).to_contain_text("rule_visit_gm_threshold_1")
    row = section.locator("table.fields tr", has_text="Budget total")
    expect(row.first).to_contain_text(f'<= Decimal("{old.group(2).decode()}")')
    expect(row.first).to_contain_text('<= Decimal("2500.00")')
    expect(page.locator("#diff-bpmn-visit_approval")).to_have_count(0)
    page.get_by_text("Raw XML changes").click()
    expect(
        section.locator("pre.unified .add", has_text="2500.00").first
    ).to_be_visible()
    shot(page, "diff")


def test_properties_panel_edit_saves_and_keeps_every_extension(
    admin_page: Page, admin_server: AdminServer
) -> None:
    page = admin_page
    panel = open_in_panel(page, admin_server, "review_visit_by_director")
    expect(panel).to_contain_text("UserTask")
    expect(panel.get_by_label("Form")).to_have_value("visit_director_review")
    panel.get_by_label("Name (English)").fill("Director reviews the visit")
    panel.get_by_label("Due in (ISO duration, e.g. P3D)").fill("P1D")
    page.locator("#save-draft").click()
    expect(page.locator("#editor-status")).to_have_class(re.compile(r"\bok\b"))
    admin = admin_server.engine
    draft = admin.find_draft("bpmn", "visit_approval", actor=SYSTEM)
    assert draft is not None
    original = (ROOT / "workflows" / "visit_approval.bpmn").read_text()
    for tag in (
        "properties",
        "calledDecisionId",
        "preScript",
        "postScript",
        "instructionsForEndUser",
    ):
        assert draft.text.count(f"<spiffworkflow:{tag}>") == original.count(
            f"<spiffworkflow:{tag}>"
        ), tag
    assert 'name="name_en" value="Director reviews the visit"' in draft.text
    assert 'name="dueIn" value="P1D"' in draft.text
    assert admin.check_draft("bpmn", "visit_approval", actor=SYSTEM) == []
    admin.discard_draft("bpmn", "visit_approval", actor=SYSTEM)


SUBJECT_PROBLEM = (
    "This template does not parse: write text with {{ variable }} placeholders, as in "
    "the instructions."
)
SUBJECT_DEPLOY_PROBLEM = (
    "property subject='{{ customer_name': write text with {{ variable }} placeholders, "
    "as in instructions"
)


def test_assignee_and_subject_are_set_in_the_panel_and_a_bad_one_is_marked_there(
    admin_page: Page, admin_server: AdminServer
) -> None:
    page = admin_page
    panel = open_in_panel(page, admin_server, "revise_visit_application")
    expect(panel.get_by_label("Assign to", exact=True)).to_have_value("starter")
    page.locator('g.djs-element[data-element-id="review_visit_by_director"]').click()
    assignee = panel.get_by_label("Assign to", exact=True)
    expect(assignee).to_have_value("")
    expect(assignee.locator("option:checked")).to_have_text(
        "Everyone in the lane’s group")
    assignee.select_option(label="The person who started the request")
    subject = panel.get_by_label("Subject in the inbox")
    expect(subject).to_have_value("{{ customer_name }}")
    subject.fill("{{ customer_name")
    subject.press("Tab")
    problem = panel.locator("#" + (subject.get_attribute("id") or "") + "-problem")
    expect(problem).to_have_text(SUBJECT_PROBLEM)
    expect(subject).to_have_attribute("aria-invalid", "true")
    shot(page, "panel-bad-subject")

    page.locator("#save-draft").click()  # saved anyway: the deploy's own words show
    expect(page.locator("#editor-status")).to_have_text("Draft saved.")
    expect(problem).to_have_text(SUBJECT_DEPLOY_PROBLEM)
    expect(page.locator("#problem-list")).to_contain_text(SUBJECT_DEPLOY_PROBLEM)
    expect(page.locator("#deploy")).to_be_disabled()
    engine = admin_server.engine
    draft = engine.find_draft("bpmn", "visit_approval", actor=SYSTEM)
    assert draft is not None and 'value="{{ customer_name"' in draft.text

    subject.fill("{{ customer_name }}（复核）")
    subject.press("Tab")
    expect(problem).to_be_hidden()
    expect(subject).not_to_have_attribute("aria-invalid", "true")
    page.locator("#check").click()
    expect(page.locator("#editor-status")).to_have_class(re.compile(r"\bok\b"))
    page.locator("#save-draft").click()
    expect(page.locator("#editor-status")).to_have_text("Draft saved.")
    draft = engine.find_draft("bpmn", "visit_approval", actor=SYSTEM)
    assert draft is not None
    review = re.search(
        r'<bpmn:userTask id="review_visit_by_director".*?</bpmn:userTask>',
        draft.text,
        re.S,
    )
    assert review is not None
    assert 'name="assignTo" value="starter" />' in review.group()
    assert 'name="subject" value="{{ customer_name }}（复核）"' in review.group()
    assert engine.check_draft("bpmn", "visit_approval", actor=SYSTEM) == []
    engine.discard_draft("bpmn", "visit_approval", actor=SYSTEM)


def test_reminder_and_escalation_fields_check_as_they_change(
    admin_page: Page, admin_server: AdminServer
) -> None:
    page = admin_page
    panel = open_in_panel(page, admin_server, "record_visit")
    remind = panel.get_by_label("Remind before the due time")
    remind.fill("tomorrow")
    remind.press("Tab")
    expect(panel.locator(".field-error:visible")).to_have_text(
        ["Write an ISO 8601 duration such as P1D."])
    escalation = panel.get_by_label("When overdue")
    escalation.fill("reassign:director")
    escalation.press("Tab")
    remind.fill("P1D")
    remind.press("Tab")
    expect(panel.locator(".field-error:visible")).to_have_count(0)
    page.locator("#tab-xml").click()
    xml = page.locator("#xml-source").input_value()
    assert 'name="remindBefore" value="P1D"' in xml
    assert 'name="escalation" value="reassign:director"' in xml


RECEIVING = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
    xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
    xmlns:di="http://www.omg.org/spec/DD/20100524/DI" id="d" targetNamespace="t">
  <bpmn:message id="m" name="customer_feedback"/>
  <bpmn:process id="feedback_wait" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:receiveTask id="wait_feedback" name="等待客户反馈" messageRef="m"/>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait_feedback"/>
    <bpmn:sequenceFlow id="f2" sourceRef="wait_feedback" targetRef="end"/>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="dia"><bpmndi:BPMNPlane id="plane" bpmnElement="feedback_wait">
    <bpmndi:BPMNShape id="s1" bpmnElement="start">
      <dc:Bounds x="100" y="100" width="36" height="36"/></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s2" bpmnElement="wait_feedback">
      <dc:Bounds x="200" y="78" width="100" height="80"/></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s3" bpmnElement="end">
      <dc:Bounds x="360" y="100" width="36" height="36"/></bpmndi:BPMNShape>
    <bpmndi:BPMNEdge id="e1" bpmnElement="f1">
      <di:waypoint x="136" y="118"/><di:waypoint x="200" y="118"/></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="e2" bpmnElement="f2">
      <di:waypoint x="300" y="118"/><di:waypoint x="360" y="118"/></bpmndi:BPMNEdge>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def test_receive_task_takes_its_correlation_key_in_the_panel(
    admin_page: Page, admin_server: AdminServer
) -> None:
    engine = admin_server.engine
    engine.upload_draft("feedback_wait.bpmn", RECEIVING.encode(), actor=SYSTEM)
    page = admin_page
    page.goto(f"{admin_server.url}/admin/edit/bpmn/feedback_wait")
    expect(page.locator("#canvas")).to_have_attribute("data-state", "rendered")
    page.locator('g.djs-element[data-element-id="wait_feedback"]').click()
    key = page.locator("#properties").get_by_label("Correlation key")
    key.fill("complaint_no")
    key.press("Tab")
    page.locator("#save-draft").click()
    expect(page.locator("#editor-status")).to_have_text("Draft saved.")
    draft = engine.find_draft("bpmn", "feedback_wait", actor=SYSTEM)
    assert draft is not None
    assert 'name="correlationKey" value="complaint_no"' in draft.text
    engine.discard_draft("bpmn", "feedback_wait", actor=SYSTEM)
