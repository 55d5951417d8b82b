"""Refused admin actions on an instance: a sentence in the admin's language, no English
from the engine; what was typed stays in the form when the input is what is wrong."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from engine import SYSTEM, Engine

AuthActions = Any  # the ``auth`` fixture of tests/web/conftest.py
FLASH_ERROR = re.compile(
    r'<main id="main">\s*<p class="flash flash-error" role="alert">([^<]*)</p>')
ACTION_ERROR = re.compile(r'<p class="flash flash-error" role="alert" id="action-error">'
                          r"([^<]*)</p>")


def in_both(
    auth: AuthActions, client: FlaskClient, url: str, data: dict[str, str], back: str
) -> tuple[str, str]:
    """Post from page ``back`` on a Chinese, then an English page; what each said."""
    said = []
    for lang in ("zh", "en"):
        auth.post("/language", {"lang": lang})
        response = auth.post(url, {**data, "next": back})
        assert response.status_code == 303 and response.location == back
        found = FLASH_ERROR.search(client.get(back).text)
        assert found, "no error message on the page"
        said.append(html.unescape(found.group(1)))
    return said[0], said[1]


def in_place(
    auth: AuthActions, url: str, data: dict[str, str], status: int
) -> tuple[str, str]:
    """Post on a Chinese, then an English page; the page shown again says why."""
    said = []
    for lang in ("zh", "en"):
        auth.post("/language", {"lang": lang})
        response = auth.post(url, data)
        assert response.status_code == status
        found = ACTION_ERROR.search(response.text)
        assert found, "no error above the actions"
        said.append(html.unescape(found.group(1)))
    return said[0], said[1]


def test_suspending_twice(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> None:
    auth.login("web.admin")
    page = f"/admin/instances/{started}"
    assert auth.post(f"{page}/suspend", {"reason": "核对预算"}).status_code == 302
    assert in_both(auth, client, f"{page}/suspend", {"reason": "再次暂停"}, page) == (
        f"申请 #{started} 已处于暂停状态。", f"Request #{started} is already suspended.")
    events = [e.event_type for e in web_engine.history(started, actor=SYSTEM)]
    assert events.count("instance_suspended") == 1


def test_resuming_a_running_request(
    auth: AuthActions, client: FlaskClient, started: int
) -> None:
    auth.login("web.admin")
    page = f"/admin/instances/{started}"
    assert in_both(auth, client, f"{page}/resume", {}, page) == (
        f"申请 #{started} 没有暂停，正在运行中。",
        f"Request #{started} is not suspended: it is running.")


def test_a_reason_of_only_spaces_is_asked_for_again_keeping_the_input(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> None:
    auth.login("web.admin")
    page = f"/admin/instances/{started}"
    for action in ("suspend", "terminate"):
        assert in_place(auth, f"{page}/{action}", {"reason": "   "}, 400) == (
            "未做任何改动：请填写原因（只填空格不算）：原因会记入审计记录。",
            "Nothing was changed: Write a reason (spaces alone are not one): it is kept "
            "in the audit trail.")
        shown = auth.post(f"{page}/{action}", {"reason": "   "}).text
        assert f'id="{action}-reason" name="reason" required value="   "' in shown
    assert web_engine.get_instance(started, actor=SYSTEM).status.value == "running"


def test_terminating_twice(
    auth: AuthActions, client: FlaskClient, started: int
) -> None:
    auth.login("web.admin")
    page = f"/admin/instances/{started}"
    assert auth.post(f"{page}/terminate", {"reason": "重复申请"}).status_code == 302
    assert in_both(auth, client, f"{page}/terminate", {"reason": "重复"}, page) == (
        f"申请 #{started} 已被终止。", f"Request #{started} has already been terminated.")


def test_terminating_a_finished_request(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> None:
    director = web_engine.get_actor("web.director")
    [task] = web_engine.inbox(director, scope="group")
    web_engine.complete_task(task.id, {"review_decision": "approve"}, actor=director)
    auth.login("web.admin")
    page = f"/admin/instances/{started}"
    assert in_both(auth, client, f"{page}/terminate", {"reason": "已无需要"}, page) == (
        f"申请 #{started} 已结束，不能再进行此操作。",
        f"Request #{started} has already finished, so this can no longer be done.")


def test_suspending_a_terminated_request(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> None:
    web_engine.cancel_instance(started, reason="重复申请", actor=SYSTEM)
    auth.login("web.admin")
    page = f"/admin/instances/{started}"
    assert in_both(auth, client, f"{page}/suspend", {"reason": "核对"}, page) == (
        f"申请 #{started} 已被终止，不能再进行此操作。",
        f"Request #{started} was terminated, so this can no longer be done.")


def test_retrying_a_request_that_did_not_fail(
    auth: AuthActions, client: FlaskClient, started: int
) -> None:
    auth.login("web.admin")
    page = f"/admin/instances/{started}"
    assert in_both(auth, client, f"{page}/retry", {"changes": "{}"}, page) == (
        f"申请 #{started} 没有因错误停止，无需重试。",
        f"Request #{started} has not stopped with an error, so there is nothing to "
        "retry.")


NOT_JSON = "data is not plain JSON: Out of range float values are not JSON compliant"


@pytest.mark.parametrize(("changes", "said"), [
    ("{}", ("未做任何改动：没有要修改的内容：请填写要设置或要删除的变量。",
            "Nothing was changed: Nothing to change: give variables to set or to "
            "remove.")),
    ('{"2nd": 1, "_x": 2}', (
        "未做任何改动：2nd, _x 不能用作变量名：请使用字母、数字和下划线，"
        "且不要以下划线或数字开头。",
        "Nothing was changed: 2nd, _x cannot be variable names: use letters, digits "
        "and _, and do not start with _ or a digit.")),
    ('{"amount": NaN}', (f"未做任何改动：输入未被接受（{NOT_JSON}）。",
                         f"Nothing was changed: This input was not accepted ({NOT_JSON}).")),
], ids=["nothing", "bad_names", "not_plain_json"])
def test_a_refused_data_edit_says_why_above_the_kept_input(
    auth: AuthActions, web_engine: Engine, started: int, changes: str,
    said: tuple[str, str],
) -> None:
    auth.login("web.admin")
    form = {"changes": changes, "reason": "核对"}
    url = f"/admin/instances/{started}/data"
    assert in_place(auth, url, form, 422) == said
    shown = auth.post(url, form).text
    assert 'id="data-reason" name="reason" required value="核对"' in shown
    assert "instance_data_edited" not in [
        e.event_type for e in web_engine.history(started, actor=SYSTEM)]


def test_data_edit_of_a_finished_request(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> None:
    web_engine.cancel_instance(started, reason="重复申请", actor=SYSTEM)
    auth.login("web.admin")
    page = f"/admin/instances/{started}"
    form = {"changes": '{"amount": "1.00"}', "reason": "更正"}
    assert in_both(auth, client, f"{page}/data", form, page) == (
        f"申请 #{started} 已被终止，不能再进行此操作。",
        f"Request #{started} was terminated, so this can no longer be done.")


def test_action_on_a_request_that_does_not_exist(
    auth: AuthActions, client: FlaskClient
) -> None:
    auth.login("web.admin")
    form = {"reason": "核对"}
    assert in_both(auth, client, "/admin/instances/999999/suspend", form, "/admin/") == (
        "申请 #999999 不存在，或您无权查看。",
        "Request #999999 does not exist, or you may not see it.")


def test_the_instance_page_sends_refusals_back_to_itself(
    auth: AuthActions, client: FlaskClient, started: int
) -> None:
    auth.login("web.admin")
    page = client.get(f"/admin/instances/{started}").text
    back = f'<input type="hidden" name="next" value="/admin/instances/{started}">'
    for action in ("suspend", "terminate", "data"):
        form = page.split(f'action="/admin/instances/{started}/{action}"', 1)[1]
        assert form.split("</form>", 1)[0].count(back) == 1, action
