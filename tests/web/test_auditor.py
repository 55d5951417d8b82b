"""The auditor pages: search with paging, exports, timeline, reports, verify."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine import SYSTEM, Engine, Role, ScriptFailed
from web import create_app
from web.config import TestConfig

DATA = Path(__file__).resolve().parent / "data"
FAILING = (DATA / "divide.bpmn").read_bytes()  # a script that divides by zero


@pytest.fixture
def app(web_engine: Engine) -> Flask:
    """The test app over the web tests' engine (the auditor blueprint is registered)."""
    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    built = create_app(config, engine=web_engine)
    assert "auditor" in built.blueprints
    return built


def test_auditor_searches_and_pages_through_the_trail(
    client: FlaskClient, auth: Any, started: int
) -> None:
    auth.login("web.auditor")
    first = client.get("/auditor/")
    assert first.status_code == 200 and f"#{started}" in first.text
    narrowed = client.get(f"/auditor/?instance={started}&type=instance_started")
    assert narrowed.status_code == 200 and narrowed.text.count('id="event-') == 1


def test_staff_may_not_open_the_auditor_workspace(
    client: FlaskClient, auth: Any
) -> None:
    auth.login("web.applicant")
    assert client.get("/auditor/").status_code == 403
    assert client.get("/auditor/export.csv").status_code == 403


def test_export_streams_csv_with_chain_hashes(
    client: FlaskClient, auth: Any, started: int
) -> None:
    auth.login("web.auditor")
    response = client.get(f"/auditor/export.csv?instance={started}")
    lines = response.text.splitlines()
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert lines[0].startswith("\ufeffseq,id,at_utc,actor") and len(lines) > 2
    assert client.get("/auditor/export.xml").status_code == 400


def test_timeline_report_and_verification_pages_render(
    client: FlaskClient, auth: Any, start_sample: Callable[..., int]
) -> None:
    instance = start_sample(days_ago=3)
    auth.login("web.auditor")
    assert client.get(f"/auditor/instances/{instance}").status_code == 200
    record = client.get(f"/auditor/instances/{instance}/record.json")
    assert record.status_code == 200 and record.json["instance"]["id"] == instance
    report = client.get("/auditor/reports?name=approvals_by_approver")
    assert report.status_code == 200 and "approver" in report.text
    verified = auth.post("/auditor/verify", {})
    assert verified.status_code == 200 and "审计记录完好" in verified.text


def test_report_columns_are_headed_in_the_readers_language(
    client: FlaskClient, auth: Any, started: int
) -> None:
    auth.login("web.auditor")
    page = client.get("/auditor/reports?name=complaints_by_outcome&process=web_sample")
    assert page.status_code == 200
    assert '<th scope="col">结果</th>' in page.text
    assert '<th scope="col">outcome</th>' not in page.text
    assert "<td>进行中</td>" in page.text and "<td>open</td>" not in page.text
    assert "<td>进行中</td><td>—</td><td>—</td>" in page.text  # no outcome yet, in words


def test_auditor_opens_the_form_a_decision_was_made_on(
    client: FlaskClient, auth: Any, web_engine: Engine, started: int
) -> None:
    director = web_engine.get_actor("web.director")
    [task] = web_engine.inbox(director, scope="group")
    web_engine.complete_task(task.id, {"review_decision": "return",
                                       "review_opinion": "请补充报价"}, actor=director)
    auth.login("web.auditor")
    timeline = client.get(f"/auditor/instances/{started}").text
    links = re.findall(r'href="(/auditor/events/\d+/form)"', timeline)
    assert len(links) == 2, "the start and the completion link to their forms"
    page = client.get(links[-1])
    assert page.status_code == 200
    assert "审核结论" in page.text and "退回修改" in page.text and "请补充报价" in page.text
    assert "与所示数据一致" in page.text
    assert client.get("/auditor/events/999999/form").status_code == 404
    auth.switch("web.director")
    assert client.get(links[-1]).status_code == 403


def test_auditor_opens_the_start_form_an_applicant_filled_in(
    client: FlaskClient, auth: Any, started: int
) -> None:
    auth.login("web.auditor")
    timeline = client.get(f"/auditor/instances/{started}").text
    first = re.findall(r'href="(/auditor/events/\d+/form)"', timeline)[0]
    page = client.get(first).text
    assert "测试申请" in page  # the start form's title heads the page
    assert "<td>类别</td>" in page and "甲" in page and "电脑采购" in page
    assert "与所示数据一致" in page


# 19:02 UTC on 22 November is 03:02 on 23 November in the office (Asia/Shanghai).
LATE_EVENING_UTC = datetime(2026, 11, 22, 19, 2, tzinfo=timezone.utc)
SAMPLE_DATA = {"subject": "电脑采购", "amount": "1200.00", "visit_date": "2026-12-01",
               "category": "a"}


def start_at(web_engine: Engine, at: datetime) -> int:
    """Start web_sample as web.applicant with the clock at ``at``."""
    then = Engine(web_engine.sessions, forms_dir=web_engine._forms_dir,
                  clock=lambda: at)
    actor = then.get_actor("web.applicant")
    return then.start_instance("web_sample", SAMPLE_DATA, actor=actor).id


def test_day_filter_finds_the_office_day_not_the_utc_day(
    client: FlaskClient, auth: Any, web_engine: Engine
) -> None:
    instance = start_at(web_engine, LATE_EVENING_UTC)
    auth.login("web.auditor")
    office_day = client.get("/auditor/?since=2026-11-23&until=2026-11-23").text
    assert f">#{instance}<" in office_day
    utc_day = client.get("/auditor/?since=2026-11-22&until=2026-11-22").text
    assert f">#{instance}<" not in utc_day


def test_invalid_date_is_reported_not_ignored(client: FlaskClient, auth: Any) -> None:
    auth.login("web.auditor")
    search = client.get("/auditor/?since=2026-13-45")
    assert search.status_code == 400
    assert "2026-13-45" in search.text and 'aria-invalid="true"' in search.text
    assert 'id="event-' not in search.text
    backwards = client.get("/auditor/?since=2026-11-23&until=2026-11-01")
    assert backwards.status_code == 400 and 'id="err-audit-until"' in backwards.text
    report = client.get("/auditor/reports?name=approvals_by_approver&until=2026-02-30")
    assert report.status_code == 400 and "2026-02-30" in report.text
    assert client.get("/auditor/export.csv?since=yesterday").status_code == 400


def test_times_show_the_zone_and_a_four_digit_year(
    client: FlaskClient, auth: Any, web_engine: Engine
) -> None:
    instance = start_at(web_engine, LATE_EVENING_UTC)
    auth.login("web.auditor")
    chinese = client.get(f"/auditor/instances/{instance}").text
    assert "2026年11月23日 03:02:00 UTC+08:00" in chinese
    web_engine.set_language("web.auditor", "en", actor=SYSTEM)
    auth.switch("web.auditor")
    for page in (f"/auditor/instances/{instance}", f"/auditor/?instance={instance}"):
        english = client.get(page).text
        assert re.search(r"Nov 23, 2026, 3:02:00\W+AM UTC\+08:00", english), page
        assert "11/23/26" not in english
    assert "Asia/Shanghai" in client.get("/auditor/").text


def test_export_is_named_after_its_period_with_one_charset_and_a_bom(
    client: FlaskClient, auth: Any, web_engine: Engine
) -> None:
    instance = start_at(web_engine, LATE_EVENING_UTC)
    auth.login("web.auditor")
    response = client.get("/auditor/export.csv?since=2026-11-23&until=2026-11-23")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="signoff-audit-2026-11-23-2026-11-23.csv"' in (
        response.headers["Content-Disposition"])
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbfseq,id,at_utc,")
    assert "2026-11-22T19:02:00.000000Z" in body.decode("utf-8-sig")
    assert f",{instance}," in body.decode("utf-8-sig")
    lines = client.get(f"/auditor/export.jsonl?instance={instance}")
    assert lines.headers["Content-Type"] == "application/x-ndjson; charset=utf-8"
    assert f'filename="signoff-audit-instance-{instance}-all.jsonl"' in (
        lines.headers["Content-Disposition"])


def test_search_rows_say_whom_an_admin_change_concerns(
    client: FlaskClient, auth: Any, web_engine: Engine
) -> None:
    web_engine.set_role("web.applicant2", Role.ADMIN, actor=SYSTEM)
    web_engine.ensure_group("finance", title="财务", title_en="Finance", actor=SYSTEM)
    auth.login("web.auditor")
    changed = client.get("/auditor/?type=user_updated").text
    assert "web.applicant2 · 角色：员工 → 管理员" in changed
    created = client.get("/auditor/?type=user_created").text
    assert "web.director2 · 角色：员工 · 所属组：大客户总监" in created
    retitled = client.get("/auditor/?type=group_updated").text
    assert "finance · 中文名称：财务部 → 财务" in retitled


def test_timeline_shows_reasons_versions_and_the_error(
    client: FlaskClient, auth: Any, web_engine: Engine, started: int
) -> None:
    web_engine.suspend_instance(started, reason="核对供应商", actor=SYSTEM)
    web_engine.resume_instance(started, reason="供应商已确认", actor=SYSTEM)
    sample = (DATA / "web_sample.bpmn").read_bytes()
    web_engine.deploy({"web_sample.bpmn": sample.replace(b"Done", b"Finished")},
                      actor=SYSTEM)
    web_engine.migrate_instances([started], 2, actor=SYSTEM)
    web_engine.deploy({"divide.bpmn": FAILING}, actor=SYSTEM)
    with pytest.raises(ScriptFailed):
        web_engine.start_instance("divide", {"parts": 0}, actor=SYSTEM)
    [failed] = web_engine.list_instances(actor=SYSTEM, process_id="divide")
    auth.login("web.auditor")
    page = client.get(f"/auditor/instances/{started}").text
    assert "原因：核对供应商" in page and "原因：供应商已确认" in page
    assert "版本：1 → 2" in page
    assert "division by zero" in client.get(f"/auditor/instances/{failed.id}").text


def test_user_filter_finds_display_names_and_name_starts(
    client: FlaskClient, auth: Any, web_engine: Engine, started: int
) -> None:
    web_engine.add_user("zhao.min2", password="web-test-password", display_name="赵敏",
                        groups=("account_manager",), actor=SYSTEM)
    zhao = web_engine.get_actor("zhao.min2")
    web_engine.start_instance("web_sample", SAMPLE_DATA, actor=zhao)
    auth.login("web.auditor")
    for typed in ("zhao", "赵敏", "赵"):
        rows = client.get("/auditor/", query_string={"user": typed,
                                                     "type": "instance_started"})
        assert rows.text.count('id="event-') == 1, typed


def test_reports_label_outcomes_and_name_people_in_the_readers_language(
    client: FlaskClient, auth: Any, web_engine: Engine, start_sample: Callable[..., int]
) -> None:
    """A late rejection: its outcome, how its step closed and who closed it, in words."""
    web_engine.add_user("qian.li", password="web-test-password", display_name="钱丽",
                        groups=("director",), actor=SYSTEM)
    director = web_engine.get_actor("qian.li")
    start_sample(days_ago=3)  # the review was due two days after the start
    [task] = web_engine.inbox(director, scope="group")
    web_engine.complete_task(task.id, {"review_decision": "reject",
                                       "review_opinion": "预算不足"}, actor=director)
    auth.login("web.auditor")
    outcomes = client.get("/auditor/reports?name=complaints_by_outcome&process=web_sample")
    assert "<td>已完成</td><td>已驳回</td>" in outcomes.text
    assert "<td>rejected</td>" not in outcomes.text
    overdue = client.get("/auditor/reports?name=overdue_steps&process=web_sample").text
    assert "<td>步骤已完成</td>" in overdue and "task_completed" not in overdue
    assert '<span class="person" title="qian.li">钱丽</span>' in overdue
    approvers = client.get("/auditor/reports?name=approvals_by_approver").text
    assert '<span class="person" title="qian.li">钱丽</span>' in approvers
    [row] = re.findall(r'<td><a href="/auditor/instances/(\d+)">#\d+</a></td>', overdue)
    assert client.get(f"/auditor/instances/{row}").status_code == 200


def test_search_names_steps_as_recorded_in_the_readers_language(
    client: FlaskClient, auth: Any, web_engine: Engine, started: int
) -> None:
    auth.login("web.auditor")
    chinese = client.get(f"/auditor/?instance={started}&type=task_created").text
    assert '<span title="review_request">审核 &lt;script&gt;alert(1)' in chinese
    web_engine.set_language("web.auditor", "en", actor=SYSTEM)
    auth.switch("web.auditor")
    english = client.get(f"/auditor/?instance={started}&type=task_created").text
    assert '<span title="review_request">Review &lt;script&gt;alert(2)' in english


def test_workspace_tabs_are_links_in_the_tab_bar_not_a_bulleted_list(
    client: FlaskClient, auth: Any
) -> None:
    auth.login("web.auditor")
    page = client.get("/auditor/reports").text
    bar = page[page.index('<nav class="tabs"'):]
    bar = bar[:bar.index("</nav>")]
    assert "<ul>" not in bar and 'aria-current="page">报表</a>' in bar


def test_timeline_names_the_process_version_an_instance_started_on(
    client: FlaskClient, auth: Any, started: int
) -> None:
    auth.login("web.auditor")
    page = client.get(f"/auditor/instances/{started}").text
    start = page.index("发起申请")
    assert "版本：1" in page[start:page.index("</li>", start)]


def test_timeline_says_how_a_finished_instance_ended(
    client: FlaskClient, auth: Any, web_engine: Engine, start_sample: Callable[..., int]
) -> None:
    director = web_engine.get_actor("web.director")
    endings = {}
    for decision in ("reject", "approve"):  # the approving end names no outcome
        instance = start_sample()
        [task] = [t for t in web_engine.inbox(director, scope="group")
                  if t.instance_id == instance]
        web_engine.complete_task(task.id, {"review_decision": decision,
                                           "review_opinion": "好"}, actor=director)
        endings[decision] = instance
    auth.login("web.auditor")
    rejected = client.get(f"/auditor/instances/{endings['reject']}").text
    assert "<dt>结果</dt><dd>已驳回</dd>" in rejected
    plain = client.get(f"/auditor/instances/{endings['approve']}").text
    assert "<dt>结果</dt><dd>未指明</dd>" in plain


def test_auditor_home_is_the_audit_trail_without_task_menus(
    client: FlaskClient, auth: Any
) -> None:
    auth.login("web.auditor")
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/auditor/")
    page = client.get("/auditor/").text
    menu = page.split('class="site-nav"', 1)[1].split("</nav>", 1)[0]
    assert "审计记录" in menu or "Audit trail" in menu
    for item in ("待办", "发起流程", "我的申请"):
        assert item not in menu
    auth.switch("web.director")
    menu = client.get("/").text.split('class="site-nav"', 1)[1].split("</nav>", 1)[0]
    assert "待办" in menu


def test_timeline_changes_read_with_the_labels_of_the_forms_used(
    client: FlaskClient, auth: Any, web_engine: Engine, started: int
) -> None:
    director = web_engine.get_actor("web.director")
    [task] = web_engine.inbox(director, scope="group")
    web_engine.complete_task(task.id, {"review_decision": "return",
                                       "review_opinion": "请补充报价"}, actor=director)
    auth.login("web.auditor")
    page = client.get(f"/auditor/instances/{started}").text
    assert '<td title="review_decision">审核结论</td>' in page
    assert "退回修改" in page and "<td>return</td>" not in page
    auth.post("/language", {"lang": "en"})
    page = client.get(f"/auditor/instances/{started}").text
    assert '<td title="review_decision">Decision</td>' in page and "Return" in page
