"""The visit approval walked end to end in Chinese by the demo users, in chromium."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from engine import InstanceStatus, Outcome

pytestmark = pytest.mark.browser

UI = Any  # the ``ui`` fixture of tests/browser/conftest.py

APPLICATION = {
    "contact_person": "王经理（采购部经理）",
    "visit_purpose": "了解明年办公设备采购计划",
    "visit_date": "2026-12-10",
    "visit_participants": "张伟、赵敏",
    "gift_budget": "3000",
    "travel_budget": "1500.00",
    "meal_budget": "800.00",
    "other_budget": "200.00",
    "application_date": "2026-11-10",
}


def apply_for_visit(page: Page, ui: UI, customer: str) -> int:
    """Fill and submit the start form as the signed-in account manager."""
    page.goto(f"{ui.server.url}/start/")
    page.locator('a[href="/start/visit_approval"]').click()
    ui.screenshot(page, "start-visit-application")
    page.get_by_label("客户名称").fill(customer)
    ui.fill(page, APPLICATION)
    page.get_by_label("申请财务款项支持（借支）").check()
    page.get_by_label("借支金额（元）").fill("2000.00")
    page.get_by_role("button", name="发起", exact=True).click()
    page.wait_for_url(re.compile(r".*/instances/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def test_visit_approval_end_to_end_in_chinese(page: Page, ui: UI) -> None:
    ui.login(page, "zhang.wei")
    ui.screenshot(page, "inbox-empty")
    instance_id = apply_for_visit(page, ui, "华东机械有限公司")
    expect(page.locator("main")).to_contain_text("总监审核拜访申请")
    ui.screenshot(page, "instance-started")
    ui.logout(page)

    ui.complete_task(
        page,
        "liu.yang",
        "总监审核拜访申请",
        {"director_decision": "approve", "director_opinion": "同意拜访。"},
        instance_id=instance_id,
    )
    ui.complete_task(
        page,
        "chen.jie",
        "总经理审批拜访申请",
        {"gm_decision": "approve", "gm_opinion": "同意，注意控制费用。"},
        instance_id=instance_id,
    )
    ui.complete_task(
        page,
        "yang.li",
        "款项支持",
        {
            "advance_paid_amount": "2000.00",
            "advance_paid_date": "2026-12-01",
            "advance_voucher_no": "JZ-2026-001",
        },
        instance_id=instance_id,
    )
    ui.complete_task(
        page,
        "zhang.wei",
        "按约定时间拜访并记录",
        {
            "visit_actual_date": "2026-12-10",
            "needs_learned": "明年计划采购 200 台电脑",
            "next_visit_agreed": False,
        },
        instance_id=instance_id,
    )
    ui.complete_task(
        page,
        "zhang.wei",
        "拜访后一周内回访",
        {
            "feedback_date": "2026-12-15",
            "feedback_method": "phone",
            "customer_feedback": "客户对拜访满意",
        },
        instance_id=instance_id,
    )
    ui.complete_task(
        page,
        "zhang.wei",
        "提交客户拜访报告",
        {
            "report_summary": "拜访顺利",
            "customer_file_update": "更新联系人信息",
            "actual_gift_expense": "2800.00",
            "actual_travel_expense": "1400.00",
            "actual_meal_expense": "760.00",
            "actual_other_expense": "0.00",
            "invoice_count": "4",
        },
        instance_id=instance_id,
    )
    ui.complete_task(
        page,
        "liu.yang",
        "总监审核报告",
        {"report_director_decision": "approve"},
        instance_id=instance_id,
    )
    ui.complete_task(
        page,
        "chen.jie",
        "总经理审核报告",
        {"report_gm_decision": "approve"},
        instance_id=instance_id,
    )

    ui.login(page, "yang.li")
    ui.open_task(page, "费用报销", instance_id)
    expect(page.locator(".instructions")).to_contain_text("4960.00")
    expect(page.locator("#earlier-heading")).to_have_text("前序审批意见")
    ui.screenshot(page, "task-reimbursement")
    ui.fill(
        page,
        {
            "reimbursed_amount": "2960.00",
            "advance_offset": "2000.00",
            "reimbursement_date": "2026-12-20",
            "reimbursement_voucher_no": "BX-2026-009",
        },
    )
    page.get_by_role("button", name="提交", exact=True).click()
    page.wait_for_url(f"{ui.server.url}/")
    ui.logout(page)

    ui.login(page, "zhang.wei")
    page.goto(f"{ui.server.url}/instances/mine")
    expect(page.locator(f"#instance-{instance_id}")).to_contain_text("已批准")
    ui.screenshot(page, "my-requests")
    page.goto(f"{ui.server.url}/instances/{instance_id}")
    history = page.locator("section[aria-labelledby=history-heading] table.log")
    # people by display name; the user name is the tooltip
    expect(history.locator(".person[title='yang.li']").first).to_have_text("杨丽")
    ui.screenshot(page, "instance-completed")
    actor = ui.server.engine.get_actor("zhang.wei")
    instance = ui.server.engine.get_instance(instance_id, actor=actor)
    assert (instance.status, instance.outcome) == (
        InstanceStatus.COMPLETED,
        Outcome.APPROVED,
    )


def test_validation_error_round_trip(page: Page, ui: UI) -> None:
    ui.login(page, "zhang.wei")
    page.goto(f"{ui.server.url}/start/visit_approval")
    page.get_by_label("客户名称").fill("<script>alert('x')</script> 公司")
    ui.fill(page, APPLICATION)
    page.get_by_label("申请财务款项支持（借支）").check()
    page.get_by_role("button", name="发起", exact=True).click()

    expect(page.locator("#form-errors")).to_contain_text("请修改标出的字段")
    field = page.locator("#field-advance_amount")
    expect(field.locator(".field-error")).to_have_text("为必填项")
    expect(field.locator("input")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("客户名称")).to_have_value(
        "<script>alert('x')</script> 公司"
    )
    expect(page.get_by_label("礼品预算（元）")).to_have_value("3000")
    expect(page.get_by_label("申请财务款项支持（借支）")).to_be_checked()
    ui.screenshot(page, "start-validation-error")

    page.get_by_label("借支金额（元）").fill("500")
    page.get_by_role("button", name="发起", exact=True).click()
    page.wait_for_url(re.compile(r".*/instances/\d+$"))
    expect(page.locator("h1")).to_contain_text("客户拜访")
