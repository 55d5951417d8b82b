"""Pages in chromium: the live diagram, English, no JavaScript, phone-sized screens."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from engine import Engine, demo

pytestmark = pytest.mark.browser

UI = Any  # the ``ui`` fixture of tests/browser/conftest.py
ROOT = Path(__file__).resolve().parents[2]

APPLICATION = {
    "customer_name": "江南电子",
    "contact_person": "李主任",
    "visit_purpose": "年度回访",
    "visit_date": "2026-12-12",
    "visit_participants": "张伟",
    "gift_budget": "100.00",
    "travel_budget": "50.00",
    "meal_budget": "0.00",
    "other_budget": "0.00",
    "application_date": "2026-11-11",
}


def start_visit(engine: Engine) -> int:
    actor = engine.get_actor("zhang.wei")
    return engine.start_instance("visit_approval", APPLICATION, actor=actor).id


def test_diagram_renders_with_active_task_highlighted(page: Page, ui: UI) -> None:
    instance_id = start_visit(ui.server.engine)
    ui.login(page, "zhang.wei")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{ui.server.url}/instances/{instance_id}")
    diagram = page.locator("#diagram")
    expect(diagram).to_have_attribute("data-state", "rendered")
    active = diagram.locator(".djs-element.state-active[data-element-id]")
    expect(active).to_have_count(1)
    assert active.get_attribute("data-element-id") == "review_visit_by_director"
    done = diagram.locator('[data-element-id="submit_visit_application"]')
    expect(done).to_have_class(re.compile(r"\bstate-completed\b"))
    expect(diagram.locator(".bjs-powered-by")).to_be_visible()
    ui.screenshot(page, "instance-diagram")
    assert page.problems == []  # type: ignore[attr-defined]  # no CSP violation


def test_english_interface_with_names_from_definitions(page: Page, ui: UI) -> None:
    page.goto(f"{ui.server.url}/login")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    ui.screenshot(page, "login-en")
    page.get_by_label("User name").fill("wang.fang")
    page.get_by_label("Password").fill("signoff-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{ui.server.url}/")
    expect(page.get_by_role("link", name="My requests")).to_be_visible()
    page.get_by_role("button", name="中文").click()
    expect(page.get_by_role("link", name="我的申请")).to_be_visible()
    assert ui.server.engine.get_actor("wang.fang").language == "zh"


def test_inbox_and_forms_work_without_javascript(browser: Browser, ui: UI) -> None:
    context = browser.new_context(
        java_script_enabled=False,
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
    )
    page = context.new_page()
    try:
        ui.login(page, "zhang.wei")
        page.goto(f"{ui.server.url}/start/visit_approval")
        ui.fill(page, APPLICATION)
        page.get_by_role("button", name="发起", exact=True).click()
        page.wait_for_url(re.compile(r".*/instances/\d+$"))
        expect(page.locator("noscript")).to_have_count(1)
        instance_id = int(page.url.rsplit("/", 1)[1])
        ui.logout(page)
        ui.login(page, "liu.yang")
        ui.open_task(page, "总监审核拜访申请", instance_id)
        ui.fill(
            page, {"director_decision": "return", "director_opinion": "请补充拜访议程"}
        )
        page.get_by_role("button", name="提交", exact=True).click()
        expect(page.get_by_role("status").first).to_contain_text("已完成")
    finally:
        context.close()


def test_pages_fit_a_phone_screen(page: Page, ui: UI) -> None:
    instance_id = start_visit(ui.server.engine)
    ui.login(page, "liu.yang")
    task = ui.server.engine.inbox(ui.server.engine.get_actor("liu.yang"), scope="group")
    pages = {
        "inbox": "/?tab=group",
        "start": "/start/",
        "task": f"/tasks/{task[0].id}",
        "instance": f"/instances/{instance_id}",
        "my-requests": "/instances/mine",
    }
    for name, path in pages.items():
        page.goto(f"{ui.server.url}{path}")
        ui.screenshot(page, f"phone-{name}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{name} scrolls sideways ({width}px)"


def test_a_payout_file_saved_by_excel_in_chinese_fills_the_import_field(
        page: Page, ui: UI) -> None:
    engine: Engine = ui.server.engine
    clerk = demo.user_for("city_bureau")
    started = engine.start_instance("station_payout", {"payout_month": "2026-10"},
                                    actor=engine.get_actor(clerk))
    (task,) = [t for t in engine.inbox(engine.get_actor(clerk), scope="all")
               if t.instance_id == started.id and t.bpmn_id == "import_transactions"]
    sample = ROOT / "workflows" / "samples" / "station_transactions_2026-10.csv"
    text = sample.read_text(encoding="utf-8")
    ui.login(page, clerk)
    page.goto(f"{ui.server.url}/tasks/{task.id}")
    chooser = page.locator("input[type=file][data-fills]")
    expect(chooser).to_be_visible()
    chooser.set_input_files(files=[{"name": "october.csv", "mimeType": "text/csv",
                                    "buffer": text.encode("gb18030")}])
    expect(page.locator("textarea[name=transactions_csv]")).to_have_value(text)
    assert page.problems == []  # type: ignore[attr-defined]  # no CSP violation


def payout_awaiting_verification(engine: Engine) -> int:
    """The 2026-10 payout with the sample file imported (one month, one payout)."""
    clerk = engine.get_actor(demo.user_for("city_bureau"))
    running = [i for i in engine.list_instances(actor=engine.get_actor("admin"),
                                                process_id="station_payout")
               if i.business_key == "2026-10"]
    iid = running[0].id if running else engine.start_instance(
        "station_payout", {"payout_month": "2026-10"}, actor=clerk).id
    sample = ROOT / "workflows" / "samples" / "station_transactions_2026-10.csv"
    for task in engine.inbox(clerk, scope="all"):
        if task.instance_id == iid and task.bpmn_id == "import_transactions":
            engine.complete_task(task.id, {"transactions_csv": sample.read_text(
                encoding="utf-8")}, actor=clerk)
    return iid


def test_a_labelled_list_inside_a_list_keeps_its_values_readable_on_a_phone(
        page: Page, ui: UI) -> None:
    """Nested values were squeezed into a one-character column: "S 3 0 3" downwards."""
    engine: Engine = ui.server.engine
    iid = payout_awaiting_verification(engine)
    county = demo.user_for("county_bureau")
    (task,) = [t for t in engine.inbox(engine.get_actor(county), scope="all")
               if t.instance_id == iid and t.bpmn_id == "verify_allocation"]
    ui.login(page, county)
    page.goto(f"{ui.server.url}/tasks/{task.id}")
    values = page.locator("dl.facts.nested > dd")
    expect(values.first).to_be_visible()
    widths = values.evaluate_all("els => els.map(e => e.getBoundingClientRect().width)")
    ui.screenshot(page, "phone-nested-values")
    assert min(widths) >= 120, f"nested values squeezed to {min(widths):.0f}px"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
