"""The auditor pages: search with paging, exports, timeline, reports, verify."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine import Engine
from web import create_app
from web.config import TestConfig


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
    assert lines[0].startswith("seq,id,at,actor") and len(lines) > 2
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


def test_auditor_opens_the_form_a_decision_was_made_on(
    client: FlaskClient, auth: Any, web_engine: Engine, started: int
) -> None:
    director = web_engine.get_actor("web.director")
    [task] = web_engine.inbox(director, scope="group")
    web_engine.complete_task(task.id, {"review_decision": "return",
                                       "review_opinion": "请补充报价"}, actor=director)
    auth.login("web.auditor")
    timeline = client.get(f"/auditor/instances/{started}").text
    link = re.search(r'href="(/auditor/events/(\d+)/form)"', timeline)
    assert link, "the completion links to its form"
    page = client.get(link.group(1))
    assert page.status_code == 200
    assert "审核结论" in page.text and "退回修改" in page.text and "请补充报价" in page.text
    assert "与所示数据一致" in page.text
    assert client.get("/auditor/events/999999/form").status_code == 404
    auth.switch("web.director")
    assert client.get(link.group(1)).status_code == 403
