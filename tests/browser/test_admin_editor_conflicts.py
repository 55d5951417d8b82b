"""The BPMN and form editors in chromium when another admin saved the same draft first,
and a file that has no diagram layout: the admin's work stays on screen, what the other
save holds is shown, and the work can be kept."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from engine import SYSTEM

pytestmark = pytest.mark.browser

AdminServer = Any  # the ``admin_server`` fixture of tests/browser/conftest.py


@pytest.fixture
def admin_language() -> str:
    """These pages are checked in Chinese."""
    return "zh"


@pytest.fixture
def console_tolerated(console_tolerated: tuple[str, ...]) -> tuple[str, ...]:
    """bpmn-js logs the file it cannot draw; chromium each refused (409) save."""
    return (*console_tolerated, "no diagram to display", "status of 409")


def edit_xml(page: Page, old: str, new: str) -> None:
    page.locator("#tab-xml").click()
    box = page.locator("#xml-source")
    box.fill(box.input_value().replace(old, new))


def keep_mine_over_theirs(page: Page, engine: Any, kind: str, def_id: str,
                          mine: Locator) -> None:
    """After a refused save: the page shows their save against mine, nothing is
    overwritten and my text stays, until "save mine over it" puts mine in its place."""
    expect(page.locator("#editor-status")).to_contain_text("用我的版本覆盖")
    expect(page.locator("#replace-draft")).to_be_visible()
    changes = page.locator("#conflict-changes")
    expect(changes.locator("span.del", has_text="另一位管理员")).to_have_count(1)
    expect(changes.locator("span.add", has_text="我的修改")).to_have_count(1)
    draft = engine.find_draft(kind, def_id, actor=SYSTEM)
    assert draft is not None and "另一位管理员" in draft.text
    assert "我的修改" in mine.input_value()
    page.locator("#replace-draft").click()
    expect(page.locator("#editor-status")).to_have_class(re.compile(r"\bok\b"))
    expect(page.locator("#replace-draft")).to_be_hidden()
    expect(page.locator("#conflict")).to_be_hidden()
    draft = engine.find_draft(kind, def_id, actor=SYSTEM)
    assert draft is not None and "我的修改" in draft.text and "另一位管理员" not in draft.text


def test_save_after_another_admins_save_keeps_the_work_and_can_replace_theirs(
        admin_page: Page, admin_server: AdminServer) -> None:
    page, engine = admin_page, admin_server.engine
    page.goto(f"{admin_server.url}/admin/edit/bpmn/visit_approval")
    expect(page.locator("#canvas")).to_have_attribute("data-state", "rendered")
    expect(page.locator("#replace-draft")).to_be_hidden()
    theirs = engine.get_definition_source("visit_approval", actor=SYSTEM).replace(
        "总监审核拜访申请".encode(), "总监审核（另一位管理员）".encode())
    engine.save_draft("bpmn", "visit_approval", theirs, actor=SYSTEM)
    edit_xml(page, "总监审核拜访申请", "总监审核（我的修改）")
    page.locator("#save-draft").click()
    keep_mine_over_theirs(page, engine, "bpmn", "visit_approval", page.locator(
        "#xml-source"))


def test_file_without_diagram_layout_says_so_and_stays_editable_as_xml(
        admin_page: Page, admin_server: AdminServer, modelers: Path) -> None:
    page = admin_page
    page.goto(f"{admin_server.url}/admin/upload")
    page.set_input_files("#upload-file", str(modelers / "yed_semantic_prefix.bpmn"))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{admin_server.url}/admin/edit/bpmn/yed_order")
    expect(page.locator("#canvas")).to_have_attribute("data-state", "error")
    expect(page.locator("#editor-status")).to_contain_text("没有流程图布局信息（BPMN DI）")
    edit_xml(page, 'name="Check order"', 'name="核对订单"')
    page.locator("#save-draft").click()
    expect(page.locator("#editor-status")).to_have_class(re.compile(r"\bok\b"))
    draft = admin_server.engine.find_draft("bpmn", "yed_order", actor=SYSTEM)
    assert draft is not None and 'name="核对订单"' in draft.text


def test_form_saved_then_edited_again_deploys_from_the_same_page(
        admin_page: Page, admin_server: AdminServer) -> None:
    page, engine = admin_page, admin_server.engine
    page.goto(f"{admin_server.url}/admin/forms/visit_record")
    box = page.locator("#form-source")
    box.fill(box.input_value().replace("实际拜访日期", "拜访日期（草稿）", 1))
    page.locator("#save-draft").click()
    expect(page.locator("#editor-status")).to_have_class(re.compile(r"\bok\b"))
    box.fill(box.input_value().replace("拜访日期（草稿）", "拜访日期（发布）", 1))
    page.locator("#deploy").click()
    page.wait_for_url(f"{admin_server.url}/admin/")
    label = engine.live_form("visit_record").properties["visit_actual_date"]["x-label"]
    assert label["zh"] == "拜访日期（发布）"
    assert engine.find_draft("form", "visit_record", actor=SYSTEM) is None


def test_form_save_after_another_admins_save_keeps_json_shows_theirs_and_can_replace(
        admin_page: Page, admin_server: AdminServer) -> None:
    page, engine = admin_page, admin_server.engine
    page.goto(f"{admin_server.url}/admin/forms/visit_feedback")
    expect(page.locator("#replace-draft")).to_be_hidden()
    expect(page.locator("#conflict")).to_be_hidden()
    theirs = engine.get_form_source("visit_feedback", actor=SYSTEM).decode().replace(
        "客户意见", "客户意见（另一位管理员）", 1)
    engine.save_draft("form", "visit_feedback", theirs.encode(), actor=SYSTEM)
    box = page.locator("#form-source")
    box.fill(box.input_value().replace("客户意见", "客户意见（我的修改）", 1))
    page.locator("#save-draft").click()
    expect(page.locator("#conflict-who")).to_contain_text("system 于 ")
    expect(page.locator("#conflict-who")).to_contain_text("保存了此草稿。")
    keep_mine_over_theirs(page, engine, "form", "visit_feedback", box)
    saved = [e for e in engine.audit_log(actor=SYSTEM) if e.event_type == "draft_saved"]
    assert saved[-1].actor == "admin" and saved[-1].payload["replaced"]["saved_by"] == (
        "system")
    engine.discard_draft("form", "visit_feedback", actor=SYSTEM)
