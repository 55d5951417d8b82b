"""The BPMN editor in chromium when another admin saved the same draft first, and with a
file that has no diagram layout: the admin's work stays on screen and can be kept."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from test_admin_browser import MODELERS, TOLERATED, AdminServer

from engine import SYSTEM, demo
from web.i18n import compile_catalogs

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def conflict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdminServer]:
    compile_catalogs()
    server = AdminServer(tmp_path_factory.mktemp("editor-conflicts"))
    yield server
    server.stop()


@pytest.fixture
def editor_page(browser: Browser, conflict_server: AdminServer) -> Iterator[Page]:
    """A tab signed in as the demo admin, in Chinese; fails on console errors."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                  locale="zh-CN")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" and not any(
        t in m.text for t in (*TOLERATED, "no diagram to display", "status of 409"))
        else None)  # bpmn-js logs the file it cannot draw; chromium the refused save
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{conflict_server.url}/login")
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{conflict_server.url}/")
    chinese = page.locator('form[action="/language"] button[value="zh"]')
    if chinese.count():  # the demo admin may have chosen English before
        chinese.click()
    yield page
    context.close()
    assert problems == []


def edit_xml(page: Page, old: str, new: str) -> None:
    page.locator("#tab-xml").click()
    box = page.locator("#xml-source")
    box.fill(box.input_value().replace(old, new))


def test_save_after_another_admins_save_keeps_the_work_and_can_replace_theirs(
        editor_page: Page, conflict_server: AdminServer) -> None:
    page, engine = editor_page, conflict_server.engine
    page.goto(f"{conflict_server.url}/admin/edit/bpmn/visit_approval")
    expect(page.locator("#canvas")).to_have_attribute("data-state", "rendered")
    expect(page.locator("#replace-draft")).to_be_hidden()
    theirs = engine.get_definition_source("visit_approval", actor=SYSTEM).replace(
        "总监审核拜访申请".encode(), "总监审核（另一位管理员）".encode())
    engine.save_draft("bpmn", "visit_approval", theirs, actor=SYSTEM)
    edit_xml(page, "总监审核拜访申请", "总监审核（我的修改）")
    page.locator("#save-draft").click()
    expect(page.locator("#editor-status")).to_contain_text("用我的版本覆盖")
    expect(page.locator("#replace-draft")).to_be_visible()
    draft = engine.find_draft("bpmn", "visit_approval", actor=SYSTEM)
    assert draft is not None and "另一位管理员" in draft.text  # nothing overwritten yet
    assert "我的修改" in page.locator("#xml-source").input_value()
    page.locator("#replace-draft").click()
    expect(page.locator("#editor-status")).to_have_class(re.compile(r"\bok\b"))
    expect(page.locator("#replace-draft")).to_be_hidden()
    draft = engine.find_draft("bpmn", "visit_approval", actor=SYSTEM)
    assert draft is not None and "我的修改" in draft.text and "另一位管理员" not in draft.text


def test_file_without_diagram_layout_says_so_and_stays_editable_as_xml(
        editor_page: Page, conflict_server: AdminServer) -> None:
    page = editor_page
    page.goto(f"{conflict_server.url}/admin/upload")
    page.set_input_files("#upload-file", str(MODELERS / "yed_semantic_prefix.bpmn"))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{conflict_server.url}/admin/edit/bpmn/yed_order")
    expect(page.locator("#canvas")).to_have_attribute("data-state", "error")
    expect(page.locator("#editor-status")).to_contain_text("没有流程图布局信息（BPMN DI）")
    edit_xml(page, 'name="Check order"', 'name="核对订单"')
    page.locator("#save-draft").click()
    expect(page.locator("#editor-status")).to_have_class(re.compile(r"\bok\b"))
    draft = conflict_server.engine.find_draft("bpmn", "yed_order", actor=SYSTEM)
    assert draft is not None and 'name="核对订单"' in draft.text


def test_form_saved_then_edited_again_deploys_from_the_same_page(
        editor_page: Page, conflict_server: AdminServer) -> None:
    page, engine = editor_page, conflict_server.engine
    page.goto(f"{conflict_server.url}/admin/forms/visit_record")
    box = page.locator("#form-source")
    box.fill(box.input_value().replace("实际拜访日期", "拜访日期（草稿）", 1))
    page.locator("#save-draft").click()
    expect(page.locator("#editor-status")).to_have_class(re.compile(r"\bok\b"))
    box.fill(box.input_value().replace("拜访日期（草稿）", "拜访日期（发布）", 1))
    page.locator("#deploy").click()
    page.wait_for_url(f"{conflict_server.url}/admin/")
    label = engine.live_form("visit_record").properties["visit_actual_date"]["x-label"]
    assert label["zh"] == "拜访日期（发布）"
    assert engine.find_draft("form", "visit_record", actor=SYSTEM) is None
