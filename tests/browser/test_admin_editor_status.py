"""The line above the BPMN editor in chromium: after the first save of a live version
it names the draft now open, who saved it and when, exactly as a reload shows it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from engine import SYSTEM

pytestmark = pytest.mark.browser

AdminServer = Any  # the ``admin_server`` fixture of tests/browser/conftest.py


@pytest.fixture
def admin_language() -> str:
    """This page is checked in Chinese."""
    return "zh"


def test_first_save_of_the_live_version_says_a_draft_is_open_without_a_reload(
        admin_page: Page, admin_server: AdminServer) -> None:
    page, engine = admin_page, admin_server.engine
    assert engine.find_draft("bpmn", "complaint_handling", actor=SYSTEM) is None
    [live] = [d for d in engine.list_definitions(actor=SYSTEM)
              if d.def_id == "complaint_handling"]
    page.goto(f"{admin_server.url}/admin/edit/bpmn/complaint_handling")
    expect(page.locator("#canvas")).to_have_attribute("data-state", "rendered")
    state = page.locator("#draft-state")
    expect(state).to_contain_text(f"当前显示生效的第 {live.version} 版")
    page.locator("#tab-xml").click()
    box = page.locator("#xml-source")
    renamed = 'name="首次联系客户（改）"'
    box.fill(box.input_value().replace('name="首次联系客户"', renamed, 1))
    page.locator("#save-draft").click()
    expect(page.locator("#editor-status")).to_have_class(re.compile(r"\bok\b"))
    expect(state).to_contain_text("草稿由 admin 保存于")
    expect(state).not_to_contain_text("当前显示生效")
    draft = engine.find_draft("bpmn", "complaint_handling", actor=SYSTEM)
    assert draft is not None
    expect(state.locator("time")).to_have_attribute(
        "datetime", draft.saved_at.isoformat())
    expect(state).to_contain_text(f"基于第 {live.version} 版")
    after_save = state.inner_text()
    page.reload()
    expect(page.locator("#canvas")).to_have_attribute("data-state", "rendered")
    assert page.locator("#draft-state").inner_text() == after_save
