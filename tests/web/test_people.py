"""People appear by display name (user name as tooltip), read once and cached."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from engine import SYSTEM, Engine, demo
from web.people import Directory

AuthActions = Any  # the ``auth`` fixture of tests/web/conftest.py
PASSWORD = "web-test-password"
START = {"subject": "电脑采购", "amount": "1200.00", "visit_date": "2026-12-01",
         "category": "a"}


class CountingLoad:
    def __init__(self) -> None:
        self.calls = 0
        self.names = {"zhao.min": "赵敏"}

    def __call__(self) -> dict[str, str]:
        self.calls += 1
        return dict(self.names)


def test_directory_reads_once_then_again_after_its_lifetime() -> None:
    load, now = CountingLoad(), [0.0]
    names = Directory(load, ttl=60, clock=lambda: now[0])
    assert names.name("zhao.min") == "赵敏" and names.name("zhao.min") == "赵敏"
    assert load.calls == 1
    now[0] = 61.0
    load.names["zhao.min"] = "赵敏（新）"
    assert names.name("zhao.min") == "赵敏（新）" and load.calls == 2


def test_directory_reads_again_for_an_unknown_name_only_when_allowed() -> None:
    load = CountingLoad()
    names = Directory(load, clock=lambda: 0.0)
    names.name("zhao.min")
    load.names["li.na"] = "李娜"
    assert names.name("li.na", may_reload=False) is None and load.calls == 1
    assert names.name("li.na") == "李娜" and load.calls == 2


def test_pages_name_people_by_display_name_with_the_user_name_as_tooltip(
    auth: AuthActions, client: FlaskClient, web_engine: Engine
) -> None:
    # zhang.wei (张伟) and liu.yang (刘洋) are demo users of the sample's two lanes.
    starter = web_engine.get_actor("zhang.wei")
    reviewer = web_engine.get_actor("liu.yang")
    instance = web_engine.start_instance("web_sample", START, actor=starter)
    task = next(t for t in web_engine.inbox(reviewer, scope="group")
                if t.instance_id == instance.id)
    web_engine.claim_task(task.id, actor=reviewer)
    liu_yang = '<span class="person" title="liu.yang">刘洋</span>'
    auth.login("web.director")
    assert f"处理人：{liu_yang}" in client.get(f"/tasks/{task.id}").text
    web_engine.complete_task(task.id, {"review_decision": "approve"}, actor=reviewer)
    auth.switch("web.director2")
    assert f"· {liu_yang} ·" in client.get(f"/tasks/{task.id}").text
    auth.login("web.admin")
    page = client.get(f"/instances/{instance.id}").text
    assert '<dd><span class="person" title="zhang.wei">张伟</span></dd>' in page
    assert f"<td>{liu_yang}</td>" in page and "<td>liu.yang</td>" not in page


def test_a_user_added_after_the_names_were_read_is_named_at_once(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> None:
    auth.login("web.applicant")
    assert client.get(f"/instances/{started}").status_code == 200  # names read
    web_engine.add_user("zhou.xin", password=PASSWORD, groups=["director"],
                        display_name="周新", actor=SYSTEM)
    reviewer = web_engine.get_actor("zhou.xin")
    task = next(t for t in web_engine.inbox(reviewer, scope="group")
                if t.instance_id == started)
    web_engine.claim_task(task.id, actor=reviewer)
    page = client.get(f"/instances/{started}").text
    assert '<span class="person" title="zhou.xin">周新</span>' in page


def test_the_inbox_names_who_holds_a_task(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> None:
    reviewer = web_engine.get_actor("liu.yang")
    task = next(t for t in web_engine.inbox(reviewer, scope="group")
                if t.instance_id == started)
    web_engine.claim_task(task.id, actor=reviewer)
    auth.login("liu.yang", demo.DEMO_PASSWORD)
    page = client.get("/?tab=mine").text
    assert '处理人：<span class="person" title="liu.yang">刘洋</span>' in page
