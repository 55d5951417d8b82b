"""A supervisor's inbox in chromium: who asked, sorted by applicant; a refused claim."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from engine import SYSTEM, Engine

pytestmark = pytest.mark.browser

UI = Any  # the ``ui`` fixture of tests/browser/conftest.py
REQUEST = {
    "customer_name": "华远物流", "support_content": "研讨会。",
    "planned_activity_type": "technical_seminar", "customer_deep_needs": "降本。",
    "application_date": "2026-10-12", "applicant_name": "—",
}


def request_from(engine: Engine, username: str) -> int:
    """A service-support request waiting for the supervisors' review."""
    actor = engine.get_actor(username)
    return engine.start_instance("service_support", REQUEST, actor=actor).id


def row(page: Page, instance_id: int) -> Any:
    return page.locator("li.task", has_text=re.compile(rf"#{instance_id}\b"))


def test_the_supervisor_sees_who_asked_and_sorts_by_applicant(page: Page, ui: UI) -> None:
    engine: Engine = ui.server.engine
    zhao = request_from(engine, "zhao.min")
    zhang = request_from(engine, "zhang.wei")
    ui.login(page, "li.na")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{ui.server.url}/?tab=group")
    applicant = row(page, zhao).locator("li.applicant")
    expect(applicant).to_have_text("申请人：赵敏")
    expect(applicant.locator(".person")).to_have_attribute("title", "zhao.min")
    expect(row(page, zhang).locator("li.applicant")).to_have_text("申请人：张伟")
    page.get_by_label("排序").select_option(label="申请人")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url(re.compile(r".*sort=applicant"))
    names = page.locator("li.task li.applicant").all_inner_texts()
    assert names.index("申请人：张伟") < names.index("申请人：赵敏")  # 张 U+5F20, 赵 U+8D75
    page.get_by_label("申请人", exact=True).fill("赵")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url(re.compile(r".*applicant=%E8%B5%B5"))
    expect(row(page, zhao)).to_have_count(1)
    expect(row(page, zhang)).to_have_count(0)
    ui.screenshot(page, "inbox-applicant")
    assert page.problems == []  # type: ignore[attr-defined]


def test_claiming_from_a_page_left_open_while_the_request_was_suspended(
    page: Page, ui: UI
) -> None:
    engine: Engine = ui.server.engine
    started = request_from(engine, "zhao.min")
    ui.login(page, "li.na")
    page.goto(f"{ui.server.url}/?tab=group")
    engine.suspend_instance(started, reason="等待客户确认", actor=SYSTEM)
    row(page, started).get_by_role("button", name="认领").click()
    page.wait_for_url(f"{ui.server.url}/?tab=group")
    expect(page.get_by_role("alert")).to_have_text(
        f"申请 #{started} 已暂停：管理员恢复之前，其任务不能办理。")
    row(page, started).get_by_role("link").first.click()
    expect(page.locator("#waiting")).to_have_text(
        f"申请 #{started} 已暂停：管理员恢复之前，其任务不能办理。")
    expect(page.get_by_role("button", name="提交", exact=True)).to_have_count(0)
    ui.screenshot(page, "task-of-a-suspended-request")
    engine.resume_instance(started, actor=SYSTEM)
