"""Security headers, autoescaping of names and values, authorization of every route."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine import Engine

AuthActions = Any  # the ``auth`` fixture of tests/web/conftest.py


def test_security_headers_on_every_page(client: FlaskClient) -> None:
    for url in ("/login", "/static/app.css", "/no-such-page"):
        with client.get(url) as response:
            headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_pages_are_not_cached(client: FlaskClient) -> None:
    assert client.get("/login").headers["Cache-Control"] == "no-store"


def test_task_title_with_script_is_shown_as_text(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> None:
    auth.login("web.director")
    inbox = client.get("/?tab=group").text
    assert "审核 &lt;script&gt;alert(1)&lt;/script&gt;" in inbox
    assert "<script>alert" not in inbox
    task = web_engine.inbox(web_engine.get_actor("web.director"), scope="group")[0]
    page = client.get(f"/tasks/{task.id}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page


def test_form_value_with_script_is_shown_as_text(
    auth: AuthActions, client: FlaskClient, web_engine: Engine
) -> None:
    auth.login("web.applicant")
    data = {
        "subject": '"><script>alert(3)</script>',
        "amount": "5.00",
        "visit_date": "2026-12-01",
        "category": "a",
        "notes": "</textarea><script>",
    }
    response = auth.post("/start/web_sample", data)
    assert response.status_code == 302
    page = client.get(response.location).text
    assert "&#34;&gt;&lt;script&gt;alert(3)&lt;/script&gt;" in page
    assert "<script>alert" not in page
    invalid = auth.post("/start/web_sample", {**data, "amount": "x"})
    assert invalid.status_code == 422
    assert 'value="&#34;&gt;&lt;script&gt;alert(3)&lt;/script&gt;"' in invalid.text
    assert "&lt;/textarea&gt;&lt;script&gt;</textarea>" in invalid.text


def test_process_description_is_escaped(auth: AuthActions, client: FlaskClient) -> None:
    auth.login("web.applicant")
    page = client.get("/start/").text
    assert "&lt;b&gt;不加粗&lt;/b&gt;" in page


def test_diagram_data_cannot_break_out_of_its_script_block(
    auth: AuthActions, client: FlaskClient, started: int
) -> None:
    auth.login("web.applicant")
    page = client.get(f"/instances/{started}").text
    block = page.split('<script type="application/json" id="diagram-data">', 1)[1]
    block = block.split("</script>", 1)[0]
    assert "<" not in block and "\\u003c/bpmn:definitions\\u003e" in block


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/?tab=group",
        "/start/",
        "/start/web_sample",
        "/instances/mine",
        "/instances/1",
        "/tasks/00000000-0000-0000-0000-000000000001",
    ],
)
def test_every_page_requires_sign_in(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302 and response.location.startswith("/login")


@pytest.mark.parametrize(
    "url",
    [
        "/tasks/00000000-0000-0000-0000-000000000001",
        "/tasks/00000000-0000-0000-0000-000000000001/claim",
        "/tasks/00000000-0000-0000-0000-000000000001/unclaim",
        "/tasks/00000000-0000-0000-0000-000000000001/assign",
        "/start/web_sample",
    ],
)
def test_every_post_requires_sign_in(app: Flask, url: str) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    response = app.test_client().post(url, data={})
    assert response.status_code == 302 and response.location.startswith("/login")


def test_other_users_instance_is_not_found(
    auth: AuthActions, client: FlaskClient, started: int
) -> None:
    auth.login("web.outsider")
    assert client.get(f"/instances/{started}").status_code == 404
    auth.switch("web.applicant2")
    assert client.get(f"/instances/{started}").status_code == 404


def test_process_not_startable_by_lane_is_not_found(
    auth: AuthActions, client: FlaskClient
) -> None:
    auth.login("web.director")
    assert client.get("/start/web_sample").status_code == 404
    assert auth.post("/start/web_sample", {"subject": "x"}).status_code == 404
    assert "网页测试流程" not in client.get("/start/").text
