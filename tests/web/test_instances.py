"""My requests and the instance page: status, steps, trail, diagram data."""

from __future__ import annotations

import json
import re
from typing import Any

from flask.testing import FlaskClient

from engine import SYSTEM, Engine

AuthActions = Any  # the ``auth`` fixture of tests/web/conftest.py


def diagram_data(html: str) -> dict[str, Any]:
    match = re.search(
        r'<script type="application/json" id="diagram-data">(.*?)</script>', html, re.S
    )
    assert match
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def test_my_requests_shows_current_step_and_holder(
    auth: AuthActions, client: FlaskClient, started: int
) -> None:
    auth.login("web.applicant")
    page = client.get("/instances/mine").text
    assert f'id="instance-{started}"' in page
    assert "当前环节" in page and "审核 &lt;script&gt;" in page
    assert "大客户总监" in page  # the lane group holds the unclaimed task
    assert ">进行中</span>" in page


def test_my_requests_empty_state(auth: AuthActions, client: FlaskClient) -> None:
    auth.login("web.director")
    assert "您还没有发起过申请" in client.get("/instances/mine").text


def test_instance_page_shows_status_trail_and_diagram(
    auth: AuthActions, client: FlaskClient, started: int
) -> None:
    auth.login("web.applicant")
    page = client.get(f"/instances/{started}").text
    assert "发起人" in page and "web.applicant" in page
    assert "发起申请" in page  # instance_started in the trail
    data = diagram_data(page)
    assert data["active"] == ["review_request"]
    assert "submit_request" in data["completed"]
    assert data["xml"].startswith("<?xml")
    assert "/static/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js" in page
    assert "/static/diagram.js" in page


def test_instance_visible_to_task_holders_after_completion(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> None:
    director = web_engine.get_actor("web.director")
    task = web_engine.inbox(director, scope="group")[0]
    web_engine.complete_task(task.id, {"review_decision": "approve"}, actor=director)
    auth.login("web.director")
    page = client.get(f"/instances/{started}").text
    assert ">已完成</span>" in page and "完成任务" in page
    assert diagram_data(page)["active"] == []


def reject(web_engine: Engine, instance_id: int) -> None:
    director = web_engine.get_actor("web.director")
    [task] = [t for t in web_engine.inbox(director, scope="group")
              if t.instance_id == instance_id]
    decision = {"review_decision": "reject", "review_opinion": "预算超标。"}
    web_engine.complete_task(task.id, decision, actor=director)


def test_rejected_request_shows_how_it_ended(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> None:
    reject(web_engine, started)
    auth.login("web.applicant")
    page = client.get(f"/instances/{started}").text
    assert '<span class="badge outcome-rejected">已驳回</span>' in page
    assert ">已完成</span>" not in page
    assert "<dt>结果</dt><dd>已驳回</dd>" in page
    assert "审核结论: 驳回" in page  # the decision, in the trail
    assert "流程结束: 已驳回" in page  # the end event reached
    mine = client.get("/instances/mine").text
    assert '<span class="badge outcome-rejected">已驳回</span>' in mine
    assert ">已完成</span>" not in mine


def test_rejected_request_reads_rejected_in_english(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> None:
    reject(web_engine, started)
    web_engine.set_language("web.applicant", "en", actor=SYSTEM)
    auth.login("web.applicant")
    page = client.get(f"/instances/{started}").text
    assert '<span class="badge outcome-rejected">Rejected</span>' in page
    assert "Decision: Reject" in page
    mine = client.get("/instances/mine").text
    assert '<span class="badge outcome-rejected">Rejected</span>' in mine


def test_admin_list_shows_the_outcome_of_completed_instances(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> None:
    reject(web_engine, started)
    auth.login("web.admin")
    listed = client.get("/admin/instances").text
    assert '<span class="badge outcome-rejected">已驳回</span>' in listed


def test_vendored_bpmn_js_is_served_with_licence(client: FlaskClient) -> None:
    for name in (
        "bpmn-navigated-viewer.production.min.js",
        "bpmn-js.css",
        "diagram-js.css",
        "LICENSE",
        "README.md",
    ):
        with client.get(f"/static/vendor/bpmn-js/{name}") as response:
            assert response.status_code == 200, name


def test_times_carry_a_four_digit_year_in_english_too(
    auth: AuthActions, client: FlaskClient, started: int
) -> None:
    auth.login("web.applicant")
    auth.post("/language", {"lang": "en"})
    page = client.get("/instances/mine").text
    assert re.search(r'<time datetime="[^"]+" title="[^"]+">20\d\d-\d\d-\d\d \d\d:\d\d</time>',
                     page), page
    assert not re.search(r"\d{1,2}/\d{1,2}/\d{2}\b", page)
