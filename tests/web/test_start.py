"""The start page: processes by start lane, start forms, validation round trip."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from engine import Engine

AuthActions = Any  # the ``auth`` fixture of tests/web/conftest.py

VALID = {
    "subject": "拜访客户",
    "amount": "88",
    "visit_date": "2026-12-24",
    "category": "c",
    "channels": ["phone", "visit"],
    "people": "3",
    "urgent": "true",
    "notes": "第一行\n第二行",
}


def test_start_page_lists_processes_with_descriptions(
    auth: AuthActions, client: FlaskClient
) -> None:
    auth.login("web.applicant")
    page = client.get("/start/").text
    assert "网页测试流程" in page and "用于网页测试的流程" in page
    assert 'href="/start/web_sample"' in page


def test_start_form_renders_every_widget(
    auth: AuthActions, client: FlaskClient
) -> None:
    auth.login("web.applicant")
    page = client.get("/start/web_sample").text
    assert (
        'id="f-subject" name="subject" value="" type="text" maxlength="200" required'
        in page
    )
    assert 'name="amount" value="" type="text" inputmode="decimal"' in page
    assert 'name="visit_date" value="" type="date"' in page
    assert '<select id="f-category" name="category" required' in page
    assert 'type="checkbox" name="channels" value="visit"' in page
    assert 'name="people" value="" type="number"' in page and 'min="1" max="20"' in page
    assert 'type="checkbox" id="f-urgent" name="urgent" value="true"' in page
    assert '<textarea id="f-notes" name="notes"' in page
    assert '<label for="f-subject">事由' in page


def test_start_with_valid_form_goes_to_instance(
    auth: AuthActions, client: FlaskClient, web_engine: Engine
) -> None:
    auth.login("web.applicant")
    response = auth.post("/start/web_sample", VALID)
    assert response.status_code == 302 and response.location.startswith("/instances/")
    instance_id = int(response.location.rsplit("/", 1)[1])
    actor = web_engine.get_actor("web.applicant")
    data = web_engine.get_instance(instance_id, actor=actor).data
    assert data["amount"] == "88.00" and data["channels"] == ["phone", "visit"]
    assert data["urgent"] is True and data["people"] == 3
    assert "已发起：网页测试流程" in client.get(response.location).text


def test_start_validation_errors_keep_input(
    auth: AuthActions, client: FlaskClient
) -> None:
    auth.login("web.applicant")
    response = auth.post(
        "/start/web_sample", {**VALID, "amount": "1.234", "people": "99"}
    )
    assert response.status_code == 422
    page = response.text
    assert "请修改标出的字段" in page
    assert 'id="field-amount"' in page and "最多两位小数" in page
    assert "不能大于 20" in page
    assert 'value="1.234"' in page and 'value="拜访客户"' in page
    assert 'value="visit" checked' in page and "第一行\n第二行</textarea>" in page
    assert 'aria-invalid="true"' in page


def test_start_error_messages_follow_language(
    auth: AuthActions, client: FlaskClient
) -> None:
    auth.login("web.applicant")
    auth.post("/language", {"lang": "en"})
    response = auth.post("/start/web_sample", {**VALID, "subject": ""})
    assert response.status_code == 422
    assert (
        "is required" in response.text
        and "Please correct the marked fields." in response.text
    )


def test_unknown_process_is_404(auth: AuthActions, client: FlaskClient) -> None:
    auth.login("web.applicant")
    assert client.get("/start/no_such_process").status_code == 404


def test_auditor_can_start_nothing(auth: AuthActions, client: FlaskClient) -> None:
    auth.login("web.auditor")
    assert "没有您可以发起的流程" in client.get("/start/").text
