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
    assert '<span class="subject">· 华东能源集团</span>' in page
    inbox = client.get("/?tab=group").text
    row = inbox.split(f'id="task-{task.id}"', 1)[1].split("</li>", 1)[0]
    assert '<span class="subject">· 华东能源集团</span>' in row


def test_the_starter_reads_the_request_data_by_label_before_any_review(
    auth: AuthActions, client: FlaskClient, deploy_workflows: Engine
) -> None:
    """Before any step is done, only the start form can label what the starter gave."""
    staff = demo.user_for("account_staff")
    request = {
        "customer_name": "华远物流", "support_content": "研讨会。",
        "planned_activity_type": "customer_appreciation", "customer_deep_needs": "降本。",
        "application_date": "2026-10-12", "applicant_name": "赵敏",
    }
    instance = deploy_workflows.start_instance(
        "service_support", request, actor=deploy_workflows.get_actor(staff))
    auth.login(staff, demo.DEMO_PASSWORD)
    page = client.get(f"/instances/{instance.id}").text
    assert '<dt title="customer_name">客户名称</dt>' in page
    assert '<dt title="planned_activity_type">拟开展的活动类型</dt>' in page
    assert "用户答谢会" in page and "customer_appreciation" not in page
    assert "<dt>applicant_name</dt>" not in page
    assert '<dt title="review_period">审核期限</dt><dd>2 天</dd>' in page  # "P2D"


def _task_of(engine: Engine, username: str, instance_id: int, bpmn_id: str) -> Any:
    actor = engine.get_actor(username)
    (task,) = [t for t in engine.inbox(actor, scope="all")
               if t.instance_id == instance_id and t.bpmn_id == bpmn_id]
    return task


def test_the_account_manager_sees_the_approved_plan_when_recording_the_visit(
    auth: AuthActions, client: FlaskClient, deploy_workflows: Engine
) -> None:
    """The task says "visit at the agreed time"; the page must show that time and whom."""
    engine, manager = deploy_workflows, demo.user_for("account_manager")
    plan = {
        "customer_name": "星河物流", "contact_person": "李总（采购总监）",
        "visit_purpose": "了解明年运输需求。", "visit_date": "2026-12-20",
        "visit_participants": "张伟、赵敏", "gift_budget": "800.00",
        "travel_budget": "1200.00", "meal_budget": "0.00", "other_budget": "0.00",
        "application_date": "2026-10-12",
    }
    iid = engine.start_instance("visit_approval", plan,
                                actor=engine.get_actor(manager)).id
    director = demo.user_for("director")
    review = _task_of(engine, director, iid, "review_visit_by_director")
    engine.complete_task(review.id, {"director_decision": "approve"},
                         actor=engine.get_actor(director))
    record = _task_of(engine, manager, iid, "record_visit")
    auth.login(manager, demo.DEMO_PASSWORD)
    page = client.get(f"/tasks/{record.id}").text
    for shown in ("星河物流", "李总（采购总监）", "了解明年运输需求。", "2026-12-20", "张伟、赵敏"):
        assert shown in page


SAMPLE_CSV = (Path(__file__).resolve().parents[2] / "workflows" / "samples"
              / "station_transactions_2026-10.csv").read_text(encoding="utf-8")
RAW_KEYS = ("station_id", "station_name", "electricity_tier", "withdrawal_tier",
            "rural_below_50", "reward_total", "branch_head_amount", "net_total",
            "card_no", "mobile_count")


@pytest.mark.parametrize(("lane", "bpmn_id", "shown"), [
    ("station_maintainer", "confirm_station_amount",
     ("站点编号", "电费档位", "分项奖励（元）", "助农取款", "奖励合计（元）", "待确认")),
    ("county_platform_office", "verify_branch_rewards",
     ("支局编号", "支局类型", "支局长应得（元）", "维护人员应得（元）", "农村")),
])
def test_payout_pages_label_every_column_and_code(
    auth: AuthActions, client: FlaskClient, deploy_workflows: Engine,
    lane: str, bpmn_id: str, shown: tuple[str, ...],
) -> None:
    """A station maintainer signs an amount: the page must say what each figure is."""
    engine = deploy_workflows
    city, county = demo.user_for("city_bureau"), demo.user_for("county_bureau")
    iid = engine.start_instance("station_payout", {"payout_month": "2026-10"},
                                actor=engine.get_actor(city)).id
    for user, step, answer in (
        (city, "import_transactions", {"transactions_csv": SAMPLE_CSV}),
        (county, "verify_allocation", {"county_verification_decision": "approve"}),
    ):
        task = _task_of(engine, user, iid, step)
        engine.complete_task(task.id, answer, actor=engine.get_actor(user))
    user = demo.user_for(lane)
    task = next(t for t in engine.inbox(engine.get_actor(user), scope="all")
                if t.bpmn_id == bpmn_id)
    auth.login(user, demo.DEMO_PASSWORD)
    page = client.get(f"/tasks/{task.id}").text
    for label in shown:
        assert label in page
    for key in RAW_KEYS:
        assert f">{key}<" not in page and f"{key}:" not in page, key
