"""Refused staff actions: said in the reader's language on the page they came from.

Each refusal is posted twice, once on a Chinese page and once on an English one: the
engine's English never shows, the sentence comes from the error's code and fields.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from flask.testing import FlaskClient

from engine import SYSTEM, Engine, ScriptFailed, TaskInfo

AuthActions = Any  # the ``auth`` fixture of tests/web/conftest.py
DATA = Path(__file__).resolve().parent / "data"
PASSWORD = "web-test-password"
# A flashed message opens the page's main part (an incident box may follow).
FLASH_ERROR = re.compile(
    r'<main id="main">\s*<p class="flash flash-error" role="alert">([^<]*)</p>')


def review_task(engine: Engine, instance_id: int) -> TaskInfo:
    director = engine.get_actor("web.director")
    return next(t for t in engine.inbox(director, scope="all")
                if t.instance_id == instance_id)


def flash_on(client: FlaskClient, url: str) -> str:
    """The error message flashed on the page at ``url``."""
    found = FLASH_ERROR.search(client.get(url).text)
    assert found, "no error message on the page"
    return html.unescape(found.group(1))


def refusal(
    auth: AuthActions, client: FlaskClient, url: str, data: dict[str, object], back: str
) -> str:
    """Post ``data`` to ``url`` from page ``back``; the sentence it comes back with."""
    response = auth.post(url, {**data, "next": back})
    assert response.status_code == 303 and response.location == back
    return flash_on(client, back)


def in_both(
    auth: AuthActions, client: FlaskClient, url: str, data: dict[str, object], back: str
) -> tuple[str, str]:
    """The refusal on a Chinese page, then on an English one."""
    auth.post("/language", {"lang": "zh"})
    chinese = refusal(auth, client, url, data, back)
    auth.post("/language", {"lang": "en"})
    english = refusal(auth, client, url, data, back)
    return chinese, english


@pytest.fixture
def colleague(web_engine: Engine) -> str:
    """A second director with a display name."""
    web_engine.add_user("web.li", password=PASSWORD, groups=["director"],
                        display_name="李主任", actor=SYSTEM)
    return "web.li"


def test_claiming_a_task_a_colleague_took_names_them(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int,
    colleague: str,
) -> None:
    task = review_task(web_engine, started)
    web_engine.claim_task(task.id, actor=web_engine.get_actor(colleague))
    auth.login("web.director")
    assert in_both(auth, client, f"/tasks/{task.id}/claim", {}, "/?tab=group") == (
        "李主任 已认领此任务。", "李主任 has already taken this task.")


def test_claiming_a_task_a_colleague_completed_names_them(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int,
    colleague: str,
) -> None:
    task = review_task(web_engine, started)
    web_engine.complete_task(task.id, {"review_decision": "approve"},
                             actor=web_engine.get_actor(colleague))
    auth.login("web.director")
    assert in_both(auth, client, f"/tasks/{task.id}/claim", {}, "/?tab=group") == (
        "李主任 已完成此任务。", "李主任 already completed this task.")


def test_claiming_a_task_from_a_stale_page_after_completing_it(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> None:
    task = review_task(web_engine, started)
    auth.login("web.director")
    assert auth.post(f"/tasks/{task.id}", {"review_decision": "approve"}).status_code == 302
    assert in_both(auth, client, f"/tasks/{task.id}/claim", {}, "/?tab=group") == (
        "您已完成此任务。", "You already completed this task.")


def test_claiming_a_task_of_a_terminated_request(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> None:
    task = review_task(web_engine, started)
    web_engine.cancel_instance(started, reason="重复申请", actor=SYSTEM)
    auth.login("web.director")
    assert in_both(auth, client, f"/tasks/{task.id}/claim", {}, "/?tab=group") == (
        "此任务已取消：申请已不再需要这一步，或已被终止。",
        "This task was cancelled: the request no longer needs this step, or it was "
        "stopped.")


def test_releasing_a_task_nobody_holds(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> None:
    task = review_task(web_engine, started)
    auth.login("web.director")
    back = f"/tasks/{task.id}"
    assert in_both(auth, client, f"/tasks/{task.id}/unclaim", {}, back) == (
        "此任务无人认领，无需释放。",
        "Nobody holds this task, so there is nothing to release.")


def test_claiming_a_task_of_a_suspended_request(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> None:
    task = review_task(web_engine, started)
    web_engine.suspend_instance(started, reason="核对预算", actor=SYSTEM)
    auth.login("web.director")
    assert in_both(auth, client, f"/tasks/{task.id}/claim", {}, "/?tab=group") == (
        f"申请 #{started} 已暂停：管理员恢复之前，其任务不能办理。",
        f"Request #{started} is suspended: its tasks wait until an administrator "
        "resumes it.")
    assert review_task(web_engine, started).assignee is None


def test_task_of_a_suspended_request_says_so_and_keeps_a_late_submission(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> None:
    task = review_task(web_engine, started)
    auth.login("web.director")
    shown = client.get(f"/tasks/{task.id}").text
    version = re.search(r'name="_expected_version" value="(\d+)"', shown)
    assert version and ">提交</button>" in shown
    web_engine.suspend_instance(started, reason="核对预算", actor=SYSTEM)
    page = client.get(f"/tasks/{task.id}").text
    assert (f'id="waiting">申请 #{started} 已暂停：管理员恢复之前，其任务不能办理。</p>'
            in page) and ">提交</button>" not in page
    late = {"review_decision": "reject", "review_opinion": "预算超标",
            "_expected_version": version.group(1)}
    response = auth.post(f"/tasks/{task.id}", late)
    assert response.status_code == 409 and ">预算超标</textarea>" in response.text
    assert f"<strong>申请 #{started} 已暂停：" in response.text
    assert "本次提交未保存" in response.text and ">提交</button>" not in response.text
    auth.post("/language", {"lang": "en"})
    response = auth.post(f"/tasks/{task.id}", late)
    assert f"<strong>Request #{started} is suspended: its tasks wait" in response.text
    assert "is suspended, not running" not in response.text  # no engine English


@pytest.mark.parametrize(("assignee", "said"), [
    ("web.applicant", ("web.applicant 不在此任务所属的组，不能把任务转派给该用户。",
                       "web.applicant is not in this task's group, so it cannot be "
                       "assigned to them.")),
    ("web.auditor", ("web.auditor 不能接收任务：该账号已停用或为只读（审计）账号。",
                     "web.auditor cannot be given tasks: the account is deactivated or "
                     "read-only (auditor).")),
    ("wang.wu", ("没有用户名为 wang.wu 的用户。", "There is no user named wang.wu.")),
], ids=["outside_the_group", "auditor", "unknown_user_name"])
def test_assigning_to_someone_who_cannot_take_the_task(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int,
    assignee: str, said: tuple[str, str],
) -> None:
    task = review_task(web_engine, started)
    auth.login("web.gm")
    form = {"assignee": assignee}
    assert in_both(auth, client, f"/tasks/{task.id}/assign", form, "/") == said
    assert review_task(web_engine, started).assignee is None


def test_assigning_without_the_right_to(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> None:
    task = review_task(web_engine, started)
    auth.login("web.applicant")  # not a manager
    form = {"assignee": "web.director2"}
    assert in_both(auth, client, f"/tasks/{task.id}/assign", form, "/") == (
        "您无权执行此操作。请刷新页面，查看您现在可以办理的事项。",
        "You may not do this. Reload the page to see what you can do now.")


def test_claiming_a_task_that_does_not_exist(
    auth: AuthActions, client: FlaskClient
) -> None:
    auth.login("web.director")
    assert in_both(auth, client, f"/tasks/{UUID(int=7)}/claim", {}, "/") == (
        "此任务已不存在，或您无权查看。",
        "This task no longer exists, or you may not see it.")


def test_refused_post_without_a_next_goes_back_to_the_referring_page(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> None:
    task = review_task(web_engine, started)
    web_engine.suspend_instance(started, reason="核对预算", actor=SYSTEM)
    auth.login("web.director")
    data = {"csrf_token": auth.token()}
    here = {"Referer": f"http://localhost/tasks/{task.id}"}
    back = client.post(f"/tasks/{task.id}/claim", data=data, headers=here)
    assert back.status_code == 303 and back.location == f"/tasks/{task.id}"
    elsewhere = {"Referer": "http://evil.example/phish"}
    home = client.post(f"/tasks/{task.id}/claim", data=data, headers=elsewhere)
    assert home.status_code == 303 and home.location == "/"


@pytest.fixture
def divide_review(web_engine: Engine) -> Engine:
    """The engine with a process whose scripts fail at the start or after a review."""
    web_engine.deploy({"divide_review.bpmn": (DATA / "divide_review.bpmn").read_bytes()},
                      actor=SYSTEM)
    return web_engine


@pytest.mark.parametrize(("lang", "said"), [
    ("zh", "申请 #{id} 在步骤 split_again 出错并已停止。已提交的内容已保留：排除原因后，"
           "管理员可以重试此申请。"),
    ("en", "Request #{id} stopped with an error at step split_again. What was submitted "
           "is kept: an administrator can retry the request once the cause is fixed."),
])
def test_a_step_failing_after_a_submission_says_the_input_is_kept(
    auth: AuthActions, client: FlaskClient, divide_review: Engine, lang: str, said: str
) -> None:
    applicant = divide_review.get_actor("web.applicant")
    started = divide_review.start_instance("divide_review", {"parts": 1},
                                           actor=applicant).id
    task = review_task(divide_review, started)
    auth.login("web.director")
    auth.post("/language", {"lang": lang})
    response = auth.post(f"/tasks/{task.id}", {})
    assert response.status_code == 303 and response.location == f"/instances/{started}"
    assert flash_on(client, f"/instances/{started}") == said.format(id=started)
    assert divide_review.get_instance(started, actor=SYSTEM).status.value == "error"


@pytest.mark.parametrize(("lang", "said"), [
    ("zh", "申请 #{id} 在步骤 split_first 出错并已停止。已提交的内容已保留：排除原因后，"
           "管理员可以重试此申请。"),
    ("en", "Request #{id} stopped with an error at step split_first. What was submitted "
           "is kept: an administrator can retry the request once the cause is fixed."),
])
def test_a_start_failing_at_a_script_opens_the_stopped_request(
    auth: AuthActions, client: FlaskClient, divide_review: Engine, lang: str, said: str
) -> None:
    auth.login("web.applicant")
    auth.post("/language", {"lang": lang})
    response = auth.post("/start/divide_review", {})
    [instance] = divide_review.list_instances(actor=SYSTEM, process_id="divide_review")
    assert response.status_code == 303 and response.location == f"/instances/{instance.id}"
    assert flash_on(client, f"/instances/{instance.id}") == said.format(id=instance.id)


def test_claiming_a_task_of_a_request_stopped_by_an_error(
    auth: AuthActions, client: FlaskClient, divide_review: Engine
) -> None:
    applicant = divide_review.get_actor("web.applicant")
    started = divide_review.start_instance("divide_review", {"parts": 1},
                                           actor=applicant).id
    task = review_task(divide_review, started)
    with pytest.raises(ScriptFailed):
        divide_review.complete_task(task.id, {}, actor=divide_review.get_actor("web.director2"))
    auth.login("web.director")
    assert in_both(auth, client, f"/tasks/{task.id}/claim", {}, "/?tab=group") == (
        f"申请 #{started} 因错误已停止：管理员重试之前，不能对其进行任何操作。",
        f"Request #{started} stopped with an error: nothing can be done on it until an "
        "administrator retries it.")
