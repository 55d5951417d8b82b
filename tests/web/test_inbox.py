"""The inbox: tabs with counts, filters, sorting, paging, overdue, empty states."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from engine import Engine

AuthActions = Any  # the ``auth`` fixture of tests/web/conftest.py
StartSample = Any  # the ``start_sample`` fixture


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
