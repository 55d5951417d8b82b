"""What the shipped processes' scripts set, read by label: staff see what means something
to them, auditors and admins everything, each label with the raw key on hover."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine import Engine, demo
from web import create_app
from web.config import TestConfig

AuthActions = Any  # the ``auth`` fixture of tests/web/conftest.py
SUPPORT = {
    "customer_name": "华远物流", "support_content": "研讨会。",
    "planned_activity_type": "technical_seminar", "customer_deep_needs": "降本。",
    "application_date": "2026-10-12", "applicant_name": "赵敏",
}
COMPLAINT = {
    "customer_name": "恒信建材", "contact_person": "王经理", "contact_phone": "0571-88886666",
    "complaint_received_date": "2026-10-12", "complaint_received_time": "09:00",
    "complaint_channel": "phone", "complaint_category": "delivery",
    "complaint_content": "送货延迟。", "customer_request": "查明原因。",
}


@pytest.fixture
def app(deploy_workflows: Engine) -> Flask:
    """The app over an engine with every shipped definition deployed."""
    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    return create_app(config, engine=deploy_workflows)


def start(engine: Engine, process_id: str, data: dict[str, str], group: str) -> int:
    starter = engine.get_actor(demo.user_for(group))
    return engine.start_instance(process_id, data, actor=starter).id


def all_data(client: FlaskClient, instance_id: int) -> str:
    page = client.get(f"/instances/{instance_id}").text
    return page.split('<summary>', 2)[-1].split("</details>", 1)[0]


def test_the_service_request_reads_its_rounds_and_return_visit_days_by_label(
    auth: AuthActions, client: FlaskClient, deploy_workflows: Engine
) -> None:
    started = start(deploy_workflows, "service_support", SUPPORT, "account_staff")
    auth.login(demo.user_for("account_staff"), demo.DEMO_PASSWORD)
    shown = all_data(client, started)
    assert '<dt title="request_round">提交次数</dt><dd>1</dd>' in shown
    assert '<dt title="return_visit_days">回访期限（活动结束后天数）</dt><dd>7</dd>' in shown
    assert '<dt title="return_visit_overdue">回访已逾期</dt><dd>否</dd>' in shown
    auth.post("/language", {"lang": "en"})
    shown = all_data(client, started)
    assert '<dt title="request_round">Times submitted</dt><dd>1</dd>' in shown
    assert ('<dt title="return_visit_days">Return visit due (days after the activity)'
            "</dt><dd>7</dd>") in shown
    assert not re.search(r"<dt>[a-z_]+</dt>", shown)  # no raw key left as a label


def test_staff_do_not_see_bookkeeping_values(
    auth: AuthActions, client: FlaskClient, deploy_workflows: Engine
) -> None:
    started = start(deploy_workflows, "complaint_handling", COMPLAINT, "customer_service")
    auth.login(demo.user_for("customer_service"), demo.DEMO_PASSWORD)
    shown = all_data(client, started)
    assert '<dt title="first_contact_limit">首次联系时限</dt><dd>24 小时</dd>' in shown
    assert '<dt title="resolution_rounds">解决方案沟通次数</dt><dd>0</dd>' in shown
    assert 'title="office_utc_offset"' not in shown and "+08:00" not in shown
    assert 'class="internal"' not in shown


@pytest.mark.parametrize("reader", ["auditor", "admin"])
def test_auditors_and_admins_see_the_bookkeeping_labelled_and_marked(
    auth: AuthActions, client: FlaskClient, deploy_workflows: Engine, reader: str
) -> None:
    started = start(deploy_workflows, "complaint_handling", COMPLAINT, "customer_service")
    auth.login(reader, demo.DEMO_PASSWORD)
    auth.post("/language", {"lang": "zh"})
    shown = all_data(client, started)
    assert ('<dt title="office_utc_offset" class="internal">办公时区（UTC 偏移）'
            ' <span class="muted">（流程内部数据，员工页面不显示）</span></dt>'
            "<dd>+08:00</dd>") in shown
    assert '<dt title="first_contact_limit">首次联系时限</dt>' in shown
    auth.post("/language", {"lang": "en"})
    assert ('<dt title="office_utc_offset" class="internal">Office time zone (UTC offset)'
            ' <span class="muted">(bookkeeping; not shown to staff)</span></dt>'
            ) in all_data(client, started)


def test_the_timeline_names_what_a_script_set_by_its_label(
    auth: AuthActions, client: FlaskClient, deploy_workflows: Engine
) -> None:
    started = start(deploy_workflows, "service_support", SUPPORT, "account_staff")
    auth.login("auditor", demo.DEMO_PASSWORD)
    auth.post("/language", {"lang": "zh"})
    page = client.get(f"/auditor/instances/{started}").text
    assert '<td title="request_round">提交次数</td>' in page
    assert '<td title="review_period">审核期限</td>' in page
    auth.post("/language", {"lang": "en"})
    page = client.get(f"/auditor/instances/{started}").text
    assert '<td title="return_visit_days">Return visit due (days after the activity)' in page
