"""The inbox: tabs with counts, filters, sorting, paging, overdue, empty states."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine import SYSTEM, Engine, ScriptFailed

AuthActions = Any  # the ``auth`` fixture of tests/web/conftest.py
StartSample = Any  # the ``start_sample`` fixture
DATA = Path(__file__).resolve().parent / "data"


def task_ids(html: str) -> list[str]:
    return re.findall(r'<li class="task[^"]*" id="task-([0-9a-f-]+)"', html)


def test_empty_inbox_says_what_to_do(auth: AuthActions, client: FlaskClient) -> None:
    auth.login("web.director")
    page = client.get("/").text
    assert "您目前没有待办任务" in page
    assert 'href="/start/"' in page
    assert "您所在的组目前没有待认领的任务" in client.get("/?tab=group").text


def test_group_tab_lists_unclaimed_tasks_with_counts(
    auth: AuthActions, client: FlaskClient, start_sample: StartSample
) -> None:
    start_sample("一")
    start_sample("二")
    auth.login("web.director")
    mine = client.get("/?tab=mine").text
    assert re.search(r"组内待认领\s*<span class=\"count\"[^>]*>2</span>", mine)
    assert "可以从“组内待认领”中认领任务" in mine
    group = client.get("/?tab=group").text
    assert len(task_ids(group)) == 2
    assert ">认领</button>" in group and "待认领：大客户总监" in group


def test_inbox_opens_on_the_group_tab_while_nothing_is_claimed(
    auth: AuthActions, client: FlaskClient, started: int
) -> None:
    auth.login("web.director")
    [task_id] = task_ids(client.get("/").text)  # no tab asked for: the group's work
    auth.post(f"/tasks/{task_id}/claim", {"next": "/"})
    assert task_ids(client.get("/").text) == [task_id]  # now "my tasks" has it
    assert task_ids(client.get("/?tab=group").text) == []


def test_claim_from_list_moves_task_to_my_tasks(
    auth: AuthActions, client: FlaskClient, started: int
) -> None:
    auth.login("web.director")
    [task_id] = task_ids(client.get("/?tab=group").text)
    response = auth.post(f"/tasks/{task_id}/claim", {"next": "/?tab=group"})
    assert response.location == "/?tab=group"
    assert task_ids(client.get("/?tab=group").text) == []
    page = client.get("/").text
    assert task_ids(page) == [task_id]
    assert ">退回组内</button>" in page and ">转派</button>" in page


def test_overdue_tasks_are_highlighted_and_filterable(
    auth: AuthActions, client: FlaskClient, start_sample: StartSample
) -> None:
    start_sample("新的")
    start_sample("旧的", days_ago=5)
    auth.login("web.director")
    page = client.get("/?tab=group").text
    assert page.count('class="task overdue"') == 1
    assert page.count(">已逾期</span>") == 1
    overdue = client.get("/?tab=group&due=overdue").text
    assert len(task_ids(overdue)) == 1 and "task overdue" in overdue


def test_filter_by_process_and_state(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> None:
    auth.login("web.director")
    assert len(task_ids(client.get("/?tab=group&process=web_sample").text)) == 1
    empty = client.get("/?tab=group&process=other_process").text
    assert task_ids(empty) == [] and "没有符合筛选条件的任务" in empty
    task = web_engine.inbox(web_engine.get_actor("web.director"), scope="group")[0]
    web_engine.complete_task(
        task.id,
        {"review_decision": "approve"},
        actor=web_engine.get_actor("web.director"),
    )
    done = client.get("/?tab=mine&state=completed").text
    assert task_ids(done) == [str(task.id)] and ">认领</button>" not in done


def test_sort_and_paging(
    app: Flask, auth: AuthActions, client: FlaskClient, start_sample: StartSample
) -> None:
    app.config["PAGE_SIZE"] = 2
    for n in range(5):
        start_sample(f"第{n}个", days_ago=n)
    auth.login("web.director")
    first = client.get("/?tab=group&sort=created_at").text
    second = client.get("/?tab=group&sort=created_at&page=2").text
    third = client.get("/?tab=group&sort=created_at&page=3").text
    assert len(task_ids(first)) == 2 and len(task_ids(third)) == 1
    assert not set(task_ids(first)) & set(task_ids(second))
    assert 'rel="next"' in first and 'rel="prev"' in second
    assert "page=2" in first and 'rel="next"' not in third


def test_bad_query_values_fall_back_to_defaults(
    auth: AuthActions, client: FlaskClient
) -> None:
    auth.login("web.director")
    response = client.get("/?tab=all&sort=drop&due=x&state=y&page=-3")
    assert response.status_code == 200
    assert 'aria-current="page">\n      我的待办' in response.text


@pytest.fixture
def applicants(web_engine: Engine) -> dict[str, int]:
    """A request each from 钱进 (started first) and 赵敏, both account managers."""
    started = {}
    for username, name in (("web.qian", "钱进"), ("web.zhao", "赵敏")):
        web_engine.add_user(username, password="web-test-password", display_name=name,
                            groups=["account_manager"], actor=SYSTEM)
        data = {"subject": f"{name}的申请", "amount": "10.00",
                "visit_date": "2026-12-01", "category": "a"}
        actor = web_engine.get_actor(username)
        started[username] = web_engine.start_instance("web_sample", data, actor=actor).id
    return started


def row_of(page: str, instance_id: int) -> str:
    [row] = [r for r in page.split('<li class="task')[1:] if f"#{instance_id}" in r]
    return row


def test_each_row_names_the_applicant_by_display_name(
    auth: AuthActions, client: FlaskClient, applicants: dict[str, int]
) -> None:
    auth.login("web.director")
    page = client.get("/?tab=group").text
    assert ('<li class="applicant">申请人：<span class="person" title="web.zhao">赵敏'
            "</span></li>") in row_of(page, applicants["web.zhao"])
    assert '<span class="person" title="web.qian">钱进</span>' in row_of(
        page, applicants["web.qian"])
    auth.post("/language", {"lang": "en"})
    page = client.get("/?tab=group").text
    assert ('<li class="applicant">Applicant: <span class="person" title="web.zhao">赵敏'
            "</span></li>") in row_of(page, applicants["web.zhao"])


def test_the_task_page_names_the_applicant_too(
    auth: AuthActions, client: FlaskClient, applicants: dict[str, int]
) -> None:
    auth.login("web.director")
    page = client.get("/?tab=group").text
    link = re.search(r'href="(/tasks/[0-9a-f-]+)"', row_of(page, applicants["web.zhao"]))
    assert link
    assert ('<li class="applicant">申请人：<span class="person" title="web.zhao">赵敏'
            "</span></li>") in client.get(link.group(1)).text


def test_sort_by_applicant(
    auth: AuthActions, client: FlaskClient, web_engine: Engine,
    applicants: dict[str, int],
) -> None:
    auth.login("web.director")
    tasks = {t.instance_id: str(t.id) for t in web_engine.inbox(
        web_engine.get_actor("web.director"), scope="group")}
    qian, zhao = tasks[applicants["web.qian"]], tasks[applicants["web.zhao"]]
    assert task_ids(client.get("/?tab=group").text) == [qian, zhao]  # due first
    page = client.get("/?tab=group&sort=applicant").text
    assert task_ids(page) == [zhao, qian]  # 赵 (U+8D75) before 钱 (U+94B1)
    assert '<option value="applicant" selected>申请人</option>' in page


def test_filter_by_applicant_name_or_user_name(
    auth: AuthActions, client: FlaskClient, applicants: dict[str, int]
) -> None:
    auth.login("web.director")
    by_name = client.get("/?tab=group&applicant=赵").text
    assert len(task_ids(by_name)) == 1 and "赵敏" in row_of(
        by_name, applicants["web.zhao"])
    assert 'name="applicant" value="赵"' in by_name
    by_user = client.get("/?tab=group&applicant=web.qian").text
    assert len(task_ids(by_user)) == 1 and "钱进" in row_of(
        by_user, applicants["web.qian"])
    nobody = client.get("/?tab=group&applicant=孙").text
    assert task_ids(nobody) == [] and "没有符合筛选条件的任务" in nobody


def rows(html: str) -> dict[str, str]:
    """Each task row's HTML by task id, in page order."""
    chunks = html.split('<li class="task')[1:]
    return {re.search(r'id="task-([0-9a-f-]+)"', c).group(1): c  # type: ignore[union-attr]
            for c in chunks}


def test_a_suspended_requests_task_is_listed_last_with_a_badge_and_no_claim(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, start_sample: StartSample
) -> None:
    running = start_sample("一", days_ago=2)
    held = start_sample("二", days_ago=1)
    web_engine.suspend_instance(held, reason="核对预算", actor=SYSTEM)
    director = web_engine.get_actor("web.director")
    ids = {t.instance_id: str(t.id) for t in web_engine.inbox(director, scope="group")}
    auth.login("web.director")
    page = rows(client.get("/?tab=group&sort=created_at").text)
    assert list(page) == [ids[running], ids[held]]  # newest, yet last: it waits
    row = page[ids[held]]
    assert ' on-hold" ' in row and 'data-instance-status="suspended"' in row
    assert '<span class="badge suspended">已暂停</span>' in row
    assert '<li class="on-hold-reason">等待管理员恢复此申请。</li>' in row
    assert f"/tasks/{ids[held]}/claim" not in row and ">认领</button>" not in row
    assert f"/tasks/{ids[running]}/claim" in page[ids[running]]
    assert "已暂停" not in page[ids[running]]
    auth.post("/language", {"lang": "en"})
    row = rows(client.get("/?tab=group").text)[ids[held]]
    assert '<span class="badge suspended">Suspended</span>' in row
    assert "Waits until an administrator resumes the request." in row
    assert ">Claim</button>" not in row


def test_a_claimed_task_of_a_suspended_request_can_still_be_released(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> None:
    director = web_engine.get_actor("web.director")
    [task] = web_engine.inbox(director, scope="group")
    web_engine.claim_task(task.id, actor=director)
    web_engine.suspend_instance(started, reason="核对预算", actor=SYSTEM)
    auth.login("web.director")
    row = rows(client.get("/").text)[str(task.id)]
    assert '<span class="badge suspended">已暂停</span>' in row
    assert f"/tasks/{task.id}/unclaim" in row and f"/tasks/{task.id}/claim" not in row


def test_a_task_of_a_request_stopped_by_an_error_says_so_in_the_inbox(
    auth: AuthActions, client: FlaskClient, web_engine: Engine
) -> None:
    web_engine.deploy({"divide_review.bpmn": (DATA / "divide_review.bpmn").read_bytes()},
                      actor=SYSTEM)
    started = web_engine.start_instance(
        "divide_review", {"parts": 1}, actor=web_engine.get_actor("web.applicant")).id
    [task] = [t for t in web_engine.inbox(web_engine.get_actor("web.director"),
                                          scope="group") if t.instance_id == started]
    with pytest.raises(ScriptFailed):
        web_engine.complete_task(task.id, {}, actor=web_engine.get_actor("web.director2"))
    auth.login("web.director")
    row = rows(client.get("/?tab=group").text)[str(task.id)]
    assert '<span class="badge error">出错</span>' in row
    assert '<li class="on-hold-reason">等待管理员重试此申请。</li>' in row
    assert f"/tasks/{task.id}/claim" not in row
