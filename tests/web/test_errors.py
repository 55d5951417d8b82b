"""The table from engine errors to HTTP statuses; error pages as HTML and JSON."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from flask import Flask, abort
from flask.testing import FlaskClient

from engine.errors import (
    AuthenticationFailed,
    ConcurrentUpdate,
    DefinitionInvalid,
    EngineError,
    InstanceNotRunnable,
    InvalidInput,
    InvalidSubmission,
    MessageNotDelivered,
    NotAuthorized,
    NotFound,
    ScriptFailed,
    TaskNotReady,
)
from web.errors import STATUS, status_for
from web.refusals import explain


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotFound("x"), 404),
        (NotAuthorized("x"), 403),
        (TaskNotReady("x"), 409),
        (ConcurrentUpdate("x"), 409),
        (InvalidSubmission({"a": ["is required"]}), 422),
        (DefinitionInvalid("x", file="a.bpmn", line=3), 422),
        (AuthenticationFailed("x"), 401),
        (InstanceNotRunnable("x"), 409),
        (InvalidInput("x"), 400),
        (ScriptFailed("boom", bpmn_id="t"), 409),
        (EngineError("x"), 400),
    ],
)
def test_status_for_each_engine_error(error: EngineError, status: int) -> None:
    assert status_for(error) == status


def test_every_listed_error_is_an_engine_error() -> None:
    assert all(issubclass(cls, EngineError) for cls in STATUS)


@pytest.fixture
def raising_app(app: Flask) -> Flask:
    @app.get("/boom/<kind>")
    def boom(kind: str) -> str:
        if kind == "conflict":
            raise ConcurrentUpdate("someone else was first")
        if kind == "invalid":
            raise InvalidSubmission({"amount": ["must be money"]})
        abort(405)

    @app.get("/api/boom")
    def api_boom() -> str:
        raise InvalidSubmission({"amount": ["must be money"]})

    return app


def test_engine_error_renders_html_page(raising_app: Flask) -> None:
    response = raising_app.test_client().get("/boom/conflict")
    assert response.status_code == 409
    assert "已被他人处理" in response.text and "someone else was first" in response.text


def test_http_error_renders_html_page(raising_app: Flask) -> None:
    response = raising_app.test_client().get("/boom/other")
    assert response.status_code == 405 and "错误代码 405" in response.text


def test_api_errors_are_json(raising_app: Flask) -> None:
    response = raising_app.test_client().get("/api/boom")
    assert response.status_code == 422
    assert response.json["error"]["errors"] == {"amount": ["must be money"]}


def test_error_page_speaks_chinese_and_folds_the_engines_english_detail(
    auth: Any, client: FlaskClient
) -> None:
    auth.login()
    page = client.get(f"/tasks/{UUID(int=7)}").text
    body = page.split('<section class="card error-page">', 1)[1]
    assert "未找到" in body and "此页面不存在，或您无权查看。" in body
    assert "详情：" not in body
    folded = body.split('<details class="detail muted">', 1)[1].split("</details>")[0]
    assert "技术详情" in folded and f'<p lang="en"><code>no task {UUID(int=7)}' in folded


def test_error_page_in_english_shows_the_detail_inline(
    auth: Any, client: FlaskClient
) -> None:
    auth.login()
    auth.post("/language", {"lang": "en"})
    page = client.get(f"/tasks/{UUID(int=7)}").text
    assert "Not found" in page and f"Details:</span> no task {UUID(int=7)}" in page
    assert '<details class="detail' not in page


@pytest.mark.parametrize(("error", "zh", "en"), [
    (ConcurrentUpdate("instance 5 was changed by someone else; reload and try again"),
     "他人刚刚同时修改了此申请。请刷新页面查看最新状态后再试。",
     "Someone else changed this request at the same moment. Reload the page to see it "
     "as it is now, then try again."),
    (TaskNotReady("this task was already completed or is no longer waiting"),
     "此任务已不再等待您处理。", "This task is no longer waiting for you."),
    (NotFound("process 'visit' is not deployed"),
     "要处理的内容已不存在，或您无权查看。", "This no longer exists, or you may not see it."),
    (InstanceNotRunnable("instance 5 is running", instance_id=5, status="running",
                         action="claim"),
     "操作未能完成。请刷新页面后重试。", "This could not be done. Reload the page and try again."),
    (MessageNotDelivered("nobody waits for 'paid'"),
     "操作未能完成。请刷新页面后重试。", "This could not be done. Reload the page and try again."),
], ids=["race", "no_longer_waiting", "unnamed_thing", "no_sentence_fits", "other_error"])
def test_refusals_no_page_reliably_meets_still_read_in_the_users_language(
    app: Flask, error: EngineError, zh: str, en: str
) -> None:
    """Races and the engine's own checks: a sentence for each, never the English."""
    for lang, said in (("zh", zh), ("en", en)):
        with app.test_request_context(headers={"Accept-Language": lang}):
            assert explain(error) == said
