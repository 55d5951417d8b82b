"""My requests and the instance page: status, steps, trail, diagram data."""

from __future__ import annotations

import json
import re
from typing import Any

from flask.testing import FlaskClient

from engine import Engine

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
