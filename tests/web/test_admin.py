"""Blueprint "admin": admins only on every route, CSRF on every post, main flows."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine import SYSTEM, Engine, ScriptFailed
from web import create_app
from web.config import TestConfig

AuthActions = Any  # the ``auth`` fixture of tests/web/conftest.py
DATA = Path(__file__).resolve().parent / "data"
SAMPLE = (DATA / "web_sample.bpmn").read_bytes()
NOWHERE = SAMPLE.replace(b'targetRef="request_done"', b'targetRef="nowhere"')
OPEN = (DATA / "open_task.bpmn").read_bytes()  # one user task without a lane
URL_VALUES = {
    "kind": "bpmn",
    "def_id": "web_sample",
    "process_id": "web_sample",
    "instance_id": 1,
    "task_id": uuid4(),
    "username": "web.applicant",
    "key": "web_request",
    "job_id": 1,
}


@pytest.fixture
def forms_copy(tmp_path: Path) -> Path:
    target = tmp_path / "forms"
    shutil.copytree(DATA / "forms", target)
    return target


@pytest.fixture
def app(web_engine: Engine, forms_copy: Path) -> Flask:
    """The web app over the web test data, with its own copy of the form folder."""
    engine = Engine(web_engine.sessions, forms_dir=forms_copy)
    if not hasattr(Engine, "forms_dir"):
        engine.forms_dir = forms_copy  # type: ignore[attr-defined]
    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    return create_app(config, engine=engine)


def admin_routes(app: Flask) -> list[tuple[str, str]]:
    """(method, url) of every admin route, with placeholder values."""
    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("admin."):
                continue
            url = app.url_for(
                rule.endpoint, **{a: URL_VALUES[a] for a in rule.arguments}
            )
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found.append((method, url))
    return found


def token_of(client: FlaskClient) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert match
    return match.group(1)


def test_admin_area_has_the_routes_the_tests_cover(app: Flask) -> None:
    routes = admin_routes(app)
    assert len(routes) >= 35 and ("GET", "/admin/") in routes


def test_every_admin_route_sends_anonymous_visitors_to_sign_in(
    app: Flask, client: FlaskClient
) -> None:
    token = token_of(client)
    for method, url in admin_routes(app):
        response = client.open(url, method=method, data={"csrf_token": token})
        assert response.status_code == 302, (method, url)
        assert response.headers["Location"].startswith("/login"), (method, url)


@pytest.mark.parametrize("user", ["web.applicant", "web.director", "web.auditor"])
def test_every_admin_route_refuses_staff_and_auditors(
    app: Flask, client: FlaskClient, auth: AuthActions, user: str
) -> None:
    auth.login(user)
    token = token_of(client)
    for method, url in admin_routes(app):
        response = client.open(
            url,
            method=method,
            data={"csrf_token": token},
            headers={"X-CSRFToken": token},
        )
        assert response.status_code == 403, (method, url)


def test_every_admin_post_needs_the_csrf_token(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("web.admin")
    for method, url in admin_routes(app):
        if method == "POST":
            response = client.post(url, json={"source": "x"})
            assert response.status_code == 400, url
            assert "CSRF" in response.text, url


def test_admin_pages_allow_only_own_scripts(
    client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("web.admin")
    csp = client.get("/admin/edit/bpmn/web_sample").headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "unsafe-eval" not in csp
    assert "unsafe-inline" not in csp


def test_definitions_page_lists_processes_forms_and_versions(
    client: FlaskClient, auth: AuthActions, started: int
) -> None:
    auth.login("web.admin")
    page = client.get("/admin/").text
    assert 'id="process-web_sample"' in page and "web_request" in page
    versions = client.get("/admin/processes/web_sample").text
    assert 'id="version-1"' in versions
    assert "/admin/instances?process_id=web_sample&amp;version=1" in versions


def test_editor_saves_checks_and_deploys_a_draft(
    client: FlaskClient, auth: AuthActions, web_engine: Engine
) -> None:
    auth.login("web.admin")
    page = client.get("/admin/edit/bpmn/web_sample")
    assert page.status_code == 200 and "bpmn-modeler.production.min.js" in page.text
    headers = {"X-CSRFToken": token_of(client)}
    checked = client.post(
        "/admin/edit/bpmn/web_sample/check",
        headers=headers,
        json={"source": NOWHERE.decode()},
    )
    [problem] = checked.json["problems"]
    assert problem["element_id"] == "flow_to_end"
    assert problem["highlight"] == ["flow_to_end", "check_review"]
    renamed = SAMPLE.replace("提交申请".encode(), "提交新申请".encode())
    saved = client.post(
        "/admin/edit/bpmn/web_sample/draft",
        headers=headers,
        json={"source": renamed.decode()},
    )
    assert saved.status_code == 200 and saved.json["row_version"] == 1
    changes = client.get("/admin/definitions/bpmn/web_sample/diff?from=1").text
    assert "submit_request" in changes and "提交新申请" in changes
    deployed = client.post(
        "/admin/edit/bpmn/web_sample/deploy",
        data={"csrf_token": headers["X-CSRFToken"], "comment": "rename"},
    )
    assert deployed.status_code == 302
    versions = web_engine.list_process_versions(actor=SYSTEM)
    assert [(v.version, v.comment) for v in versions] == [(2, "rename"), (1, "")]


def test_deploy_of_a_broken_draft_shows_its_problems(
    client: FlaskClient, auth: AuthActions, web_engine: Engine
) -> None:
    web_engine.save_draft("bpmn", "web_sample", NOWHERE, actor=SYSTEM)
    auth.login("web.admin")
    response = auth.post("/admin/edit/bpmn/web_sample/deploy", {"comment": "x"})
    assert response.status_code == 422 and 'data-element="flow_to_end"' in response.text
    assert len(web_engine.list_process_versions(actor=SYSTEM)) == 1


def test_upload_of_another_modelers_file_opens_it_with_its_problems(
    client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("web.admin")
    data = (
        DATA.parents[1] / "data" / "modelers" / "zeebe_service_task.bpmn"
    ).read_bytes()
    response = client.post(
        "/admin/upload",
        data={
            "csrf_token": token_of(client),
            "file": (io.BytesIO(data), "zeebe_service_task.bpmn"),
        },
    )
    assert response.headers["Location"] == "/admin/edit/bpmn/send_invoice"
    page = client.get("/admin/edit/bpmn/send_invoice").text
    assert 'data-element="send_mail"' in page and "serviceTask" in page


def test_form_preview_renders_fields_and_deploy_goes_live_without_the_file(
    client: FlaskClient, auth: AuthActions, forms_copy: Path, web_engine: Engine
) -> None:
    auth.login("web.admin")
    source = (forms_copy / "web_request.json").read_text(encoding="utf-8")
    headers = {"X-CSRFToken": token_of(client)}
    preview = client.post(
        "/admin/forms/web_request/preview", headers=headers, json={"source": source}
    )
    assert 'id="f-subject"' in preview.text
    broken = client.post(
        "/admin/forms/web_request/preview", headers=headers, json={"source": "{"}
    )
    assert 'id="preview-error"' in broken.text
    changed = source.replace('"subject"', '"topic"')
    response = auth.post("/admin/forms/web_request/deploy", {"source": changed})
    assert response.status_code == 302
    assert (forms_copy / "web_request.json").read_text(encoding="utf-8") == source
    # Another Engine on the database (another process) serves the deployed version.
    assert "topic" in web_engine.live_form("web_request").properties
    assert '"topic"' in auth.client.get("/admin/forms/web_request").text
    refused = auth.post("/admin/forms/web_request/deploy", {"source": "[]"})
    assert refused.status_code == 422 and 'id="form-error"' in refused.text


def test_instance_actions_are_audited_with_the_admins_name(
    client: FlaskClient, auth: AuthActions, web_engine: Engine, started: int
) -> None:
    auth.login("web.admin")
    assert (
        f'id="instance-{started}"'
        in client.get("/admin/instances?step=review_request").text
    )
    base = f"/admin/instances/{started}"
    assert auth.post(f"{base}/suspend", {"reason": "checking"}).status_code == 302
    assert auth.post(f"{base}/resume", {}).status_code == 302
    auth.post(f"{base}/data", {"changes": '{"amount": "1300.00"}', "reason": "typo"})
    assert "1300.00" in client.get(base).text
    assert auth.post(f"{base}/terminate", {"reason": "duplicate"}).status_code == 302
    events = {e.event_type: e.actor for e in web_engine.history(started, actor=SYSTEM)}
    for event in (
        "instance_suspended",
        "instance_resumed",
        "instance_data_edited",
        "instance_cancelled",
    ):
        assert events[event] == "web.admin"


def test_reassign_and_migrate_from_the_instance_page(
    client: FlaskClient, auth: AuthActions, web_engine: Engine, started: int
) -> None:
    auth.login("web.admin")
    page = client.get(f"/admin/instances/{started}").text
    task_id = re.search(r'id="task-([0-9a-f-]{36})"', page)
    assert task_id
    auth.post(
        f"/admin/instances/{started}/tasks/{task_id.group(1)}/assign",
        {"assignee": "web.director2"},
    )
    [task] = web_engine.inbox(web_engine.get_actor("web.director2"), scope="mine")
    assert task.instance_id == started
    web_engine.deploy(
        {"web_sample.bpmn": SAMPLE.replace(b"\xe7\xbb\x93\xe6\x9d\x9f", b"End")},
        actor=SYSTEM,
    )
    checked = auth.post(
        "/admin/instances/migrate",
        {"instance_id": str(started), "to_version": "2", "dry_run": "1"},
    )
    assert "badge running" in checked.text
    moved = auth.post(
        "/admin/instances/migrate", {"instance_id": str(started), "to_version": "2"}
    )
    assert f'id="migration-{started}"' in moved.text and "badge completed" in moved.text
    assert web_engine.get_instance(started, actor=SYSTEM).version == 2


def test_users_are_created_deactivated_and_get_a_new_password(
    client: FlaskClient, auth: AuthActions, web_engine: Engine
) -> None:
    auth.login("web.admin")
    auth.post(
        "/admin/users",
        {
            "username": "new.person",
            "password": "long-enough-1",
            "role": "staff",
            "groups": "finance",
        },
    )
    assert web_engine.get_actor("new.person").groups == frozenset({"finance"})
    auth.post("/admin/users/new.person/groups", {"groups": "director"})
    assert web_engine.get_actor("new.person").groups == frozenset({"director"})
    reset = auth.post("/admin/users/new.person/password", {})
    password = re.search(r'<code id="new-password">([^<]+)</code>', reset.text)
    assert password and web_engine.authenticate("new.person", password.group(1))
    auth.post("/admin/users/new.person/deactivate", {})
    assert "new.person" in client.get("/admin/users").text
    assert not [
        u for u in web_engine.list_users(actor=SYSTEM) if u.username == "new.person"
    ][0].active


FAILING = (DATA / "divide.bpmn").read_bytes()  # a script that divides by zero


def failed_instance(engine: Engine) -> Any:
    """An instance of the dividing process stopped by its script (parts = 0)."""
    engine.deploy({"divide.bpmn": FAILING}, actor=SYSTEM)
    with pytest.raises(ScriptFailed):
        engine.start_instance("divide", {"parts": 0}, actor=SYSTEM)
    [instance] = engine.list_instances(actor=SYSTEM, process_id="divide")
    return instance


def test_incident_is_listed_and_retried_with_corrected_data(
    client: FlaskClient, auth: AuthActions, web_engine: Engine
) -> None:
    instance = failed_instance(web_engine)
    auth.login("web.admin")
    page = client.get("/admin/incidents").text
    assert f'id="incident-{instance.id}"' in page and "ZeroDivisionError" in page
    assert 'id="failed-jobs"' in page
    auth.post(f"/admin/instances/{instance.id}/retry", {"changes": '{"parts": 4}'})
    retried = web_engine.get_instance(instance.id, actor=SYSTEM)
    assert retried.status.value == "completed" and retried.data["share"] == 25


def test_reassign_offers_only_people_who_may_take_tasks(
    client: FlaskClient, auth: AuthActions, web_engine: Engine
) -> None:
    web_engine.deploy({"open.bpmn": OPEN}, actor=SYSTEM)  # no lanes: anyone's group
    instance = web_engine.start_instance("open_task", {}, actor=SYSTEM)
    web_engine.deactivate_user("web.gm", actor=SYSTEM)
    auth.login("web.admin")
    page = client.get(f"/admin/instances/{instance.id}").text
    offered = set(re.findall(r'<option value="([^"]+)">', page))
    assert {"web.director", "web.applicant"} <= offered
    assert "web.auditor" not in offered and "web.gm" not in offered
    task = re.search(r'id="task-([0-9a-f-]{36})"', page)
    assert task
    back = f"/admin/instances/{instance.id}"
    refused = auth.post(f"{back}/tasks/{task.group(1)}/assign",
                        {"assignee": "web.auditor", "next": back})
    assert refused.status_code == 303 and refused.location == back
    assert "web.auditor 不能接收任务：该账号已停用或为只读（审计）账号。" in client.get(
        back).text


def test_saving_an_existing_group_says_updated_and_is_audited(
    client: FlaskClient, auth: AuthActions, web_engine: Engine
) -> None:
    auth.login("web.admin")
    form = {"name": "finance", "title": "财务", "title_en": "Finance office"}
    page = client.get(auth.post("/admin/groups", form).location).text
    assert "已更新用户组 finance" in page and "已新建" not in page
    [event] = [e for e in web_engine.audit_log(actor=SYSTEM)
               if e.event_type == "group_updated"]
    assert event.actor == "web.admin" and event.payload["title_en"] == {
        "before": "Finance", "after": "Finance office"}
    new = {"name": "legal", "title": "法务部", "title_en": "Legal"}
    assert "已新建用户组 legal" in client.get(auth.post("/admin/groups", new).location).text


def test_retry_with_variables_that_are_not_a_json_object_is_explained_in_place(
    client: FlaskClient, auth: AuthActions, web_engine: Engine
) -> None:
    instance = failed_instance(web_engine)
    auth.login("web.admin")
    refused = auth.post(f"/admin/instances/{instance.id}/retry", {"changes": "[4]"})
    assert refused.status_code == 422
    assert 'id="action-error">未做任何改动：变量须为 JSON 对象' in refused.text
    assert 'name="changes" class="code" rows="3" spellcheck="false">[4]</textarea>' \
        in refused.text
    assert web_engine.get_instance(instance.id, actor=SYSTEM).status.value == "error"
