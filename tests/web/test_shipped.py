"""Every demo user can open every page; every shipped form renders in both languages.

Uses the real workflows/ and forms/schemas, as a newcomer would after `make run`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from markupsafe import escape

import forms
from engine import Engine, demo
from engine.records import Role
from web import create_app
from web.config import TestConfig

AuthActions = Any  # the ``auth`` fixture of tests/web/conftest.py
SCHEMAS = sorted(Path(forms.DEFAULT_FORMS_DIR).glob("*.json"))
RENDER_FORM = """{% from "_macros.html" import form_field %}
{% for f in fields %}{{ form_field(f) }}{% endfor %}"""


@pytest.fixture
def app(deploy_workflows: Engine) -> Flask:
    """The app over an engine with every shipped definition deployed."""
    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    return create_app(config, engine=deploy_workflows)


def test_every_demo_user_can_open_every_page(
    auth: AuthActions, client: FlaskClient, deploy_workflows: Engine
) -> None:
    for user in demo.USERS:
        assert auth.login(user.username, demo.DEMO_PASSWORD).status_code == 302
        for url in ("/", "/?tab=group", "/start/", "/instances/mine"):
            # An auditor's home is the audit trail, where "/" sends them.
            inbox = url in ("/", "/?tab=group")
            expected = 302 if inbox and user.role is Role.AUDITOR else 200
            assert client.get(url).status_code == expected, (user.username, url)
        actor = deploy_workflows.get_actor(user.username)
        for process in deploy_workflows.list_startable(actor):
            response = client.get(f"/start/{process.process_id}")
            assert response.status_code == 200, (user.username, process.process_id)
        auth.logout()


@pytest.fixture(scope="module")
def bare_app() -> Flask:
    """The app with no engine behind it: enough to render templates."""
    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    return create_app(config, engine=cast(Engine, object()))


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda p: p.stem)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_shipped_form_renders(bare_app: Flask, schema: Path, lang: str) -> None:
    spec = forms.load(schema.stem)
    fields = forms.fields(spec, {}, lang=lang)
    with bare_app.test_request_context("/"):
        html = render_template_string(RENDER_FORM, fields=fields, lang=lang)
    for field in fields:
        assert f'name="{field.name}"' in html, field.name
        assert str(escape(field.label)) in html


def test_auditor_timeline_shows_the_gm_threshold_decision(
    auth: AuthActions, client: FlaskClient, deploy_workflows: Engine
) -> None:
    manager = deploy_workflows.get_actor(demo.user_for("account_manager"))
    visit = {
        "customer_name": "星河物流", "contact_person": "李总", "visit_purpose": "介绍方案",
        "visit_date": "2026-12-20", "visit_participants": "张伟", "gift_budget": "3000.00",
        "travel_budget": "1500.00", "meal_budget": "500.01", "other_budget": "0.00",
        "advance_requested": False, "application_date": "2026-11-12",
    }
    instance = deploy_workflows.start_instance("visit_approval", visit, actor=manager)
    auth.login("auditor", demo.DEMO_PASSWORD)
    page = client.get(f"/auditor/instances/{instance.id}")
    assert page.status_code == 200
    text = page.text
    assert "visit_gm_threshold" in text and "5000.01" in text
    assert "Matched rule: row 2 (rule_visit_gm_threshold_2)" in text
    assert "Data computed by the process" in text and "budget_total" in text
    auth.logout()
    auth.login("liu.yang", demo.DEMO_PASSWORD)  # staff: the history leaves computed steps out
    staff_page = client.get(f"/instances/{instance.id}")
    assert staff_page.status_code == 200
    assert "执行决策表" not in staff_page.text and "流程计算数据" not in staff_page.text


def test_timeline_folds_a_list_of_records_into_a_table(bare_app: Flask) -> None:
    template = '{% from "_values.html" import show %}{{ show(v|as_view, true) }}'
    rows = [{"station_id": "S1", "reward_total": "3.00"}, {"station_id": "S2", "extra": True}]
    with bare_app.test_request_context("/"):
        folded = render_template_string(template, v=rows)
        plain = render_template_string(template, v={"a": 1})
    assert "<details" in folded and "2 条记录" in folded
    assert "<th scope=\"col\">extra</th>" in folded and "<td>是</td>" in folded
    assert "<details" not in plain
    assert '<dl class="facts nested"><dt>a</dt><dd>1</dd></dl>' in plain


def test_the_supervisor_reviews_the_whole_service_request(
    auth: AuthActions, client: FlaskClient, deploy_workflows: Engine
) -> None:
    staff = deploy_workflows.get_actor(demo.user_for("account_staff"))
    request = {
        "customer_name": "华东能源集团", "customer_contact": "陈主任 021-55550001",
        "support_content": "举办产品技术研讨会。", "planned_activity_type": "technical_seminar",
        "customer_deep_needs": "数据中心扩容。", "estimated_budget": "8500.00",
        "application_date": "2026-10-12", "applicant_name": "赵敏",
    }
    instance = deploy_workflows.start_instance("service_support", request, actor=staff)
    supervisor = demo.user_for("supervisor")
    (task,) = [t for t in deploy_workflows.inbox(deploy_workflows.get_actor(supervisor),
                                                 scope="all")
               if t.instance_id == instance.id]
    auth.login(supervisor, demo.DEMO_PASSWORD)
    page = client.get(f"/tasks/{task.id}").text
    for shown in ("8500.00", "陈主任 021-55550001", "产品技术研讨会"):
        assert shown in page
    assert "technical_seminar" not in page
