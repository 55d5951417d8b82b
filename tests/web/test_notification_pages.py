"""The in-app notification list: unread badge in the menu, list, mark as read."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

AuthActions = Any  # the ``auth`` fixture of tests/web/conftest.py
StartSample = Any  # the ``start_sample`` fixture


def badge(html: str) -> str | None:
    found = re.search(r'href="/notifications/"[^>]*>[^<]*<span class="badge"[^>]*>(\d+)<', html)
    return found.group(1) if found else None


def test_new_group_task_shows_unread_badge_and_notice(
        auth: AuthActions, client: FlaskClient, start_sample: StartSample) -> None:
    start_sample("打印机采购")
    auth.login("web.director")
    assert badge(client.get("/").text) == "1"
    page = client.get("/notifications/").text
    assert page.count('class="task unread"') == 1
    assert 'href="/tasks/' in page


def test_marking_all_read_clears_the_badge(auth: AuthActions, client: FlaskClient,
                                           start_sample: StartSample) -> None:
    start_sample()
    auth.login("web.director")
    response = auth.post("/notifications/read", {})
    assert response.status_code == 302
    assert badge(client.get("/").text) is None
    assert 'class="task unread"' not in client.get("/notifications/").text


def test_marking_read_needs_the_csrf_token(auth: AuthActions, client: FlaskClient,
                                           start_sample: StartSample) -> None:
    start_sample()
    auth.login("web.director")
    assert client.post("/notifications/read", data={}).status_code == 400
    assert badge(client.get("/").text) == "1"


def test_notifications_need_sign_in(client: FlaskClient) -> None:
    response = client.get("/notifications/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_notice_reads_in_the_language_of_the_page(
        auth: AuthActions, client: FlaskClient, start_sample: StartSample) -> None:
    start_sample("打印机采购")
    auth.login("web.director")
    assert "新任务" in client.get("/notifications/").text
    auth.post("/language", {"lang": "en"})
    page = client.get("/notifications/").text
    assert "New task" in page and "新任务" not in page
