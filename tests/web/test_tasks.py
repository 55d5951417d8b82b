"""The task page: form rendering, validation round trip, lost races, authorization."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from uuid import UUID

from flask.testing import FlaskClient

from engine import SYSTEM, Engine, TaskInfo

AuthActions = Any  # the ``auth`` fixture of tests/web/conftest.py
FORMS_DIR = Path(__file__).resolve().parent / "data" / "forms"


def review_task(web_engine: Engine, instance_id: int) -> TaskInfo:
    director = web_engine.get_actor("web.director")
    tasks = web_engine.inbox(director, scope="group")
    return next(t for t in tasks if t.instance_id == instance_id)


def test_task_page_shows_form_instructions_and_earlier_data(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> None:
    task = review_task(web_engine, started)
    auth.login("web.director")
    page = client.get(f"/tasks/{task.id}").text
    assert "测试审核" in page  # form title
    assert "请审核“电脑采购”。" in page  # instructions with instance data
    assert "1200.00" in page  # x-readonly amount under "earlier decisions"
    assert 'type="radio" name="review_decision" value="approve"' in page
    assert '<textarea id="f-review_opinion" name="review_opinion"' in page
    assert 'name="_expected_version"' in page


def test_task_page_in_english_uses_english_names(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> None:
    task = review_task(web_engine, started)
    auth.login("web.director")
    auth.post("/language", {"lang": "en"})
    page = client.get(f"/tasks/{task.id}").text
    assert "Test review" in page and "Please review “电脑采购”." in page
    assert "Approve" in page and "Web sample process" in page


def test_task_page_shows_the_form_deployed_in_the_database(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> None:
    task = review_task(web_engine, started)
    source = (FORMS_DIR / "web_review.json").read_text(encoding="utf-8")
    changed = source.replace('"review_opinion"', '"review_remark"')
    web_engine.deploy_form("web_review", changed.encode("utf-8"), actor=SYSTEM)
    auth.login("web.director")
    page = client.get(f"/tasks/{task.id}").text
    assert 'id="f-review_remark"' in page and 'id="f-review_opinion"' not in page


def test_validation_errors_shown_next_to_fields_with_input_kept(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> None:
    task = review_task(web_engine, started)
    auth.login("web.director")
    response = auth.post(f"/tasks/{task.id}", {"review_decision": "return"})
    assert response.status_code == 422
    field = re.search(
        r'<div class="field has-error" id="field-review_opinion">.*?</div>',
        response.text,
        re.S,
    )
    assert field and "为必填项" in field.group(0)
    assert 'value="return" checked' in response.text
    assert web_engine.get_task(task.id, actor=web_engine.get_actor("web.director"))


def test_submit_completes_task_and_returns_to_inbox(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> None:
    task = review_task(web_engine, started)
    auth.login("web.director")
    response = auth.post(
        f"/tasks/{task.id}", {"review_decision": "approve", "review_opinion": "同意"}
    )
    assert response.status_code == 302 and response.location == "/"
    assert "已完成" in client.get("/").text
    auth.switch("web.director2")
    instance = web_engine.get_instance(
        started, actor=web_engine.get_actor("web.director")
    )
    assert instance.status.value == "completed"
    assert instance.data["review_decision"] == "approve"


def test_someone_else_completed_first_keeps_input(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> None:
    task = review_task(web_engine, started)
    auth.login("web.director")
    client.get(f"/tasks/{task.id}")
    other = web_engine.get_actor("web.director2")
    web_engine.complete_task(task.id, {"review_decision": "approve"}, actor=other)
    response = auth.post(
        f"/tasks/{task.id}",
        {"review_decision": "reject", "review_opinion": "我的意见<很长>"},
    )
    assert response.status_code == 409
    assert "web.director2 已先完成此任务" in response.text
    assert "我的意见&lt;很长&gt;</textarea>" in response.text
    assert ">提交</button>" not in response.text


def test_stale_expected_version_keeps_the_form_open_to_submit_again(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> None:
    task = review_task(web_engine, started)
    director = web_engine.get_actor("web.director")
    version = web_engine.get_task(task.id, actor=director).instance_version
    auth.login("web.director")
    response = auth.post(
        f"/tasks/{task.id}",
        {"review_decision": "approve", "_expected_version": str(version + 7)},
    )
    assert response.status_code == 409
    assert 'value="approve" checked' in response.text
    assert "此申请已有变化" in response.text and ">提交</button>" in response.text
    assert "他人" not in response.text
    again = {"review_decision": "approve", "_expected_version": shown_version(response)}
    assert auth.post(f"/tasks/{task.id}", again).status_code == 302


def shown_version(response: Any) -> str:
    match = re.search(r'name="_expected_version" value="(\d+)"', response.text)
    assert match
    return match.group(1)


def test_second_submit_from_another_tab_says_you_already_completed_it(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> None:
    task = review_task(web_engine, started)
    auth.login("web.director")
    version = shown_version(client.get(f"/tasks/{task.id}"))  # two tabs, one form
    first = {"review_decision": "approve", "_expected_version": version}
    assert auth.post(f"/tasks/{task.id}", first).status_code == 302
    second = {"review_decision": "reject", "review_opinion": "第二个标签页",
              "_expected_version": version}
    response = auth.post(f"/tasks/{task.id}", second)
    assert response.status_code == 409
    assert "您已完成此任务" in response.text and "他人" not in response.text
    assert "第二个标签页</textarea>" in response.text
    assert ">提交</button>" not in response.text
    auth.post("/language", {"lang": "en"})
    response = auth.post(f"/tasks/{task.id}", second)
    assert "You already completed this task" in response.text


def test_other_users_task_is_not_found(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> None:
    task = review_task(web_engine, started)
    auth.login("web.outsider")
    assert client.get(f"/tasks/{task.id}").status_code == 404
    response = auth.post(f"/tasks/{task.id}", {"review_decision": "approve"})
    assert response.status_code == 404
    assert web_engine.get_task(task.id, actor=web_engine.get_actor("web.director"))


def test_task_claimed_by_a_colleague_is_read_only(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> None:
    task = review_task(web_engine, started)
    web_engine.claim_task(task.id, actor=web_engine.get_actor("web.director"))
    auth.login("web.director2")
    page = client.get(f"/tasks/{task.id}").text
    assert "处理人：web.director" in page and ">提交</button>" not in page
    claim = auth.post(f"/tasks/{task.id}/claim", {"next": f"/tasks/{task.id}"})
    assert claim.status_code == 303 and claim.location == f"/tasks/{task.id}"
    response = auth.post(f"/tasks/{task.id}", {"review_decision": "approve"})
    assert response.status_code == 409 and 'value="approve" checked' in response.text
    assert "此任务已由 web.director 认领" in response.text


def test_unknown_task_id_is_404(auth: AuthActions, client: FlaskClient) -> None:
    auth.login()
    assert client.get(f"/tasks/{UUID(int=7)}").status_code == 404
    assert client.get("/tasks/not-a-uuid").status_code == 404


def test_claim_unclaim_and_reassign(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> None:
    task = review_task(web_engine, started)
    auth.login("web.director")
    response = auth.post(f"/tasks/{task.id}/claim", {"next": "/?tab=group"})
    assert response.location == "/?tab=group"
    assert (
        web_engine.get_task(
            task.id, actor=web_engine.get_actor("web.director")
        ).task.assignee
        == "web.director"
    )
    auth.post(f"/tasks/{task.id}/unclaim", {})
    director = web_engine.get_actor("web.director")
    assert web_engine.get_task(task.id, actor=director).task.assignee is None
    auth.post(f"/tasks/{task.id}/assign", {"assignee": "web.director2"})
    assert web_engine.get_task(task.id, actor=director).task.assignee == "web.director2"


def test_reassign_refused_for_staff(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> None:
    task = review_task(web_engine, started)
    web_engine.add_user(
        "web.plain",
        password="web-test-password",
        groups=["director"],
        actor=web_engine.get_actor("web.admin"),
    )
    auth.login("web.applicant")
    refused = auth.post(f"/tasks/{task.id}/assign", {"assignee": "web.director"})
    assert refused.status_code == 303 and refused.location == "/"
    assert "您无权执行此操作。" in client.get("/").text
    director = web_engine.get_actor("web.director")
    assert web_engine.get_task(task.id, actor=director).task.assignee is None


def test_finished_task_shows_decisions_read_only(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> None:
    task = review_task(web_engine, started)
    director = web_engine.get_actor("web.director")
    web_engine.complete_task(
        task.id, {"review_decision": "return", "review_opinion": "补充材料"}, actor=director
    )
    auth.login("web.director")
    page = client.get(f"/tasks/{task.id}").text
    assert "此任务已结束" in page and "完成人：web.director" in page
    decision = page.split('<details class="decision" open>', 1)[1]
    assert "<dt>审核结论</dt><dd>退回修改</dd>" in decision
    assert "<dt>审核意见</dt><dd>补充材料</dd>" in decision
    assert ">提交</button>" not in page


def test_earlier_decisions_keep_the_labels_of_the_form_they_were_made_on(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> None:
    task = review_task(web_engine, started)
    director = web_engine.get_actor("web.director")
    web_engine.complete_task(
        task.id, {"review_decision": "return", "review_opinion": "补充"}, actor=director
    )
    source = (FORMS_DIR / "web_review.json").read_text(encoding="utf-8")
    web_engine.deploy_form(
        "web_review", source.replace("退回修改", "打回").encode("utf-8"), actor=SYSTEM
    )
    auth.login("web.director")
    page = client.get(f"/tasks/{task.id}").text
    decision = page.split('<details class="decision" open>', 1)[1]
    assert "<dd>退回修改</dd>" in decision and "打回" not in decision
    assert "打回" in web_engine.live_form("web_review").source.decode("utf-8")
