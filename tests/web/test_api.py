"""The JSON API: Basic or session auth, JSON errors, no CSRF but JSON-only writes."""

from __future__ import annotations

import base64
from typing import Any

from flask.testing import FlaskClient

from engine import SYSTEM, Engine

AuthActions = Any  # the ``auth`` fixture of tests/web/conftest.py
PASSWORD = "web-test-password"


def basic(username: str, password: str = PASSWORD) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_api_requires_authentication(client: FlaskClient) -> None:
    response = client.get("/api/tasks")
    assert response.status_code == 401
    assert response.json == {
        "error": {
            "status": 401,
            "code": "authentication_required",
            "message": "sign in or send Basic auth",
        }
    }
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_api_wrong_password_is_401_json(client: FlaskClient) -> None:
    response = client.get("/api/tasks", headers=basic("web.director", "nope-nope"))
    assert response.status_code == 401
    assert response.json["error"]["code"] == "authentication_failed"


def test_api_lists_tasks_with_basic_auth(client: FlaskClient, started: int) -> None:
    response = client.get("/api/tasks?scope=group", headers=basic("web.director"))
    assert response.status_code == 200
    [task] = response.json["tasks"]
    assert task["instance_id"] == started and task["state"] == "ready"
    assert task["title_en"] == "Review <script>alert(2)</script>"


def test_api_session_auth_works_too(
    auth: AuthActions, client: FlaskClient, started: int
) -> None:
    auth.login("web.director")
    assert len(client.get("/api/tasks?scope=group").json["tasks"]) == 1


def test_api_task_detail_and_complete(client: FlaskClient, started: int) -> None:
    headers = basic("web.director")
    task_id = client.get("/api/tasks?scope=group", headers=headers).json["tasks"][0][
        "id"
    ]
    detail = client.get(f"/api/tasks/{task_id}", headers=headers).json
    assert detail["data"]["subject"] == "电脑采购"
    body = {
        "data": {"review_decision": "reject"},
        "expected_version": detail["instance_version"],
    }
    invalid = client.post(f"/api/tasks/{task_id}/complete", json=body, headers=headers)
    assert invalid.status_code == 422
    assert "review_opinion" in invalid.json["error"]["errors"]
    body["data"]["review_opinion"] = "不符合规定"
    done = client.post(f"/api/tasks/{task_id}/complete", json=body, headers=headers)
    assert done.status_code == 200 and done.json["status"] == "completed"
    again = client.post(f"/api/tasks/{task_id}/complete", json=body, headers=headers)
    assert again.status_code == 409
    assert again.json["error"]["code"] in ("task_not_ready", "concurrent_update")


def test_api_other_users_task_is_404(client: FlaskClient, started: int) -> None:
    task_id = client.get("/api/tasks?scope=group", headers=basic("web.director")).json[
        "tasks"
    ][0]["id"]
    response = client.get(f"/api/tasks/{task_id}", headers=basic("web.outsider"))
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def test_api_start_process(client: FlaskClient, web_engine: Engine) -> None:
    headers = basic("web.applicant")
    processes = client.get("/api/processes", headers=headers).json["processes"]
    assert [p["process_id"] for p in processes] == ["web_sample"]
    body = {
        "data": {
            "subject": "API",
            "amount": "10",
            "visit_date": "2026-12-01",
            "category": "b",
        },
        "business_key": "API-1",
    }
    response = client.post(
        "/api/processes/web_sample/start", json=body, headers=headers
    )
    assert response.status_code == 201
    assert (
        response.json["business_key"] == "API-1"
        and response.json["data"]["amount"] == "10.00"
    )
    refused = client.post(
        "/api/processes/web_sample/start", json=body, headers=basic("web.director")
    )
    assert refused.status_code == 403


def test_api_writes_must_be_json(client: FlaskClient) -> None:
    response = client.post(
        "/api/processes/web_sample/start",
        data={"data": "x"},
        headers=basic("web.applicant"),
    )
    assert response.status_code == 415 and "error" in response.json
    bad = client.post(
        "/api/processes/web_sample/start", json=["x"], headers=basic("web.applicant")
    )
    assert bad.status_code == 400


def test_api_unknown_route_is_json_404(client: FlaskClient) -> None:
    response = client.get("/api/nothing", headers=basic("web.applicant"))
    assert response.status_code == 404 and response.json["error"]["status"] == 404


def test_api_claim_and_unclaim_a_task(client: FlaskClient, started: int) -> None:
    headers = basic("web.director")
    task_id = client.get("/api/tasks?scope=group", headers=headers).json["tasks"][0][
        "id"
    ]
    form_post = client.post(f"/api/tasks/{task_id}/claim", headers=headers)
    assert form_post.status_code == 415  # a cross-site form cannot claim for you
    claimed = client.post(f"/api/tasks/{task_id}/claim", json={}, headers=headers)
    assert claimed.status_code == 200 and claimed.json["assignee"] == "web.director"
    mine = client.get("/api/tasks?scope=mine", headers=headers).json["tasks"]
    assert [t["id"] for t in mine] == [task_id]
    refused = client.post(
        f"/api/tasks/{task_id}/unclaim", json={}, headers=basic("web.applicant")
    )
    assert refused.status_code in (403, 404)
    released = client.post(f"/api/tasks/{task_id}/unclaim", json={}, headers=headers)
    assert released.status_code == 200 and released.json["assignee"] is None


def test_api_instance_and_its_history_for_those_who_may_see_it(
    client: FlaskClient, started: int
) -> None:
    instance = client.get(f"/api/instances/{started}", headers=basic("web.applicant"))
    assert instance.status_code == 200
    assert instance.json["status"] == "running" and instance.json["id"] == started
    assert instance.json["data"]["subject"] == "电脑采购"
    history = client.get(
        f"/api/instances/{started}/history", headers=basic("web.applicant")
    ).json["events"]
    assert history[0]["event_type"] == "instance_started"
    assert history[0]["payload"]["data"]["category"] == "a"
    hidden = client.get(f"/api/instances/{started}", headers=basic("web.outsider"))
    assert hidden.status_code == 404
    hidden = client.get(
        f"/api/instances/{started}/history", headers=basic("web.outsider")
    )
    assert hidden.status_code in (403, 404)


WAITS_FOR_FEEDBACK = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    id="defs" targetNamespace="http://signoff.example/test">
  <bpmn:message id="feedback_msg" name="customer_feedback"/>
  <bpmn:process id="waits_for_feedback" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="feedback"/>
    <bpmn:intermediateCatchEvent id="feedback">
      <bpmn:messageEventDefinition messageRef="feedback_msg"/>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="feedback" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


def test_api_delivers_a_message_to_the_instance_waiting_for_it(
    client: FlaskClient, web_engine: Engine
) -> None:
    web_engine.deploy({"waits_for_feedback.bpmn": WAITS_FOR_FEEDBACK}, actor=SYSTEM)
    applicant = web_engine.get_actor("web.applicant")
    waiting = web_engine.start_instance(
        "waits_for_feedback", {}, actor=applicant, business_key="C-7"
    )
    headers = basic("web.applicant")
    early = client.post(
        "/api/messages",
        json={"name": "customer_feedback", "correlation_key": "C-8", "data": {}},
        headers=headers,
    )
    assert early.status_code == 200 and early.json["state"] == "kept"
    body = {
        "name": "customer_feedback",
        "correlation_key": "C-7",
        "data": {"satisfied": True},
    }
    delivered = client.post("/api/messages", json=body, headers=headers)
    assert delivered.status_code == 200
    assert delivered.json["state"] == "delivered"
    assert delivered.json["instance_id"] == waiting.id
    done = web_engine.get_instance(waiting.id, actor=SYSTEM)
    assert done.status.value == "completed" and done.data["satisfied"] is True
    nameless = client.post(
        "/api/messages", json={"name": " ", "data": {}}, headers=headers
    )
    assert nameless.status_code == 400
    assert "message name" in nameless.json["error"]["message"]
    untyped = client.post("/api/messages", json={"name": 5}, headers=headers)
    assert untyped.status_code == 400


def test_api_tasks_name_their_applicant_and_filter_and_sort_by_them(
    client: FlaskClient, web_engine: Engine, started: int
) -> None:
    web_engine.add_user("web.zhao", password="web-test-password", display_name="赵敏",
                        groups=["account_manager"], actor=SYSTEM)
    data = {"subject": "赵敏的申请", "amount": "10.00", "visit_date": "2026-12-01",
            "category": "a"}
    other = web_engine.start_instance(
        "web_sample", data, actor=web_engine.get_actor("web.zhao")).id
    director = basic("web.director")
    listed = client.get("/api/tasks?scope=group&sort=applicant", headers=director).json
    assert [(t["instance_id"], t["started_by"], t["started_by_name"])
            for t in listed["tasks"]] == [
        (started, "web.applicant", "web.applicant"), (other, "web.zhao", "赵敏")]
    only = client.get("/api/tasks?scope=group&applicant=赵", headers=director).json
    assert [t["instance_id"] for t in only["tasks"]] == [other]
    [task] = only["tasks"]
    detail = client.get(f"/api/tasks/{task['id']}", headers=director).json
    assert detail["task"]["started_by_name"] == "赵敏"


def test_api_tasks_carry_their_requests_status_and_list_a_suspended_ones_last(
    client: FlaskClient, web_engine: Engine, start_sample: Any
) -> None:
    held = start_sample("一")
    running = start_sample("二")
    web_engine.suspend_instance(held, reason="核对预算", actor=SYSTEM)
    director = basic("web.director")
    listed = client.get("/api/tasks?scope=group&sort=created_at", headers=director).json
    assert [(t["instance_id"], t["instance_status"]) for t in listed["tasks"]] == [
        (running, "running"), (held, "suspended")]
    task_id = listed["tasks"][1]["id"]
    detail = client.get(f"/api/tasks/{task_id}", headers=director).json
    assert detail["task"]["instance_status"] == "suspended"
    claim = client.post(f"/api/tasks/{task_id}/claim", json={}, headers=director)
    assert claim.status_code == 409 and claim.json["error"]["code"] == "instance_not_runnable"
