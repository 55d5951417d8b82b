"""Admin pages with files from other modelers and refused input: the editor works on the
file's real text, and every refusal says why on the page it came from."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from markupsafe import escape
from werkzeug.datastructures import FileStorage
from werkzeug.test import TestResponse, encode_multipart

from engine import SYSTEM, Engine, xmlsafe

AuthActions = Any  # the ``auth`` fixture of tests/web/conftest.py
MODELERS = Path(__file__).resolve().parents[1] / "data" / "modelers"
NOTICES = ["gbk_notice", "gb2312_notice", "utf16_notice"]
TASK_NAME = "确认已阅读通知（县局）"
MIB = 1024 * 1024


def notice(process_id: str) -> bytes:
    return (MODELERS / f"{process_id}.bpmn").read_bytes()


def script_json(page: str, block: str) -> dict[str, Any]:
    """The JSON a page hands its script in a ``<script type="application/json">``."""
    found = re.search(rf'<script type="application/json" id="{block}">(.*?)</script>',
                      page, re.S)
    assert found, f"no {block} block"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def upload(client: FlaskClient, auth: AuthActions, name: str, data: bytes,
           **fields: str) -> TestResponse:
    """Post a file to the upload page, encoded in memory (a spooled temporary file
    would stay open when the app refuses the body unread)."""
    form = {"csrf_token": auth.token(), "file": FileStorage(io.BytesIO(data), name),
            **fields}
    boundary, body = encode_multipart(form)
    return client.post("/admin/upload", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


@pytest.mark.parametrize("process_id", NOTICES)
def test_editor_shows_the_chinese_names_of_an_uploaded_gbk_gb2312_or_utf16_file(
        client: FlaskClient, auth: AuthActions, process_id: str) -> None:
    auth.login("web.admin")
    sent = upload(client, auth, f"{process_id}.bpmn", notice(process_id))
    assert sent.headers["Location"] == f"/admin/edit/bpmn/{process_id}"
    xml = script_json(client.get(sent.headers["Location"]).text, "editor-data")["xml"]
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert f'name="{TASK_NAME}"' in xml and "\ufffd" not in xml


@pytest.mark.parametrize("process_id", NOTICES)
def test_editor_save_and_deploy_of_a_deployed_legacy_file_keeps_its_names(
        client: FlaskClient, auth: AuthActions, web_engine: Engine,
        process_id: str) -> None:
    web_engine.deploy({f"{process_id}.bpmn": notice(process_id)}, actor=SYSTEM)
    auth.login("web.admin")
    page = client.get(f"/admin/edit/bpmn/{process_id}").text
    editor = script_json(page, "editor-data")
    assert f'name="{TASK_NAME}"' in editor["xml"]
    headers = {"X-CSRFToken": auth.token()}
    saved = client.post(f"/admin/edit/bpmn/{process_id}/draft", headers=headers,
                        json={"source": editor["xml"].replace("发出通知", "发出新通知"),
                              "expected_version": editor["draft_version"]})
    assert saved.status_code == 200, saved.text
    diff = client.get(f"/admin/definitions/bpmn/{process_id}/diff?from=1").text
    assert diff.count("发出新通知") >= 1 and "\ufffd" not in diff
    deployed = auth.post(f"/admin/edit/bpmn/{process_id}/deploy", {"comment": "rename"})
    assert deployed.status_code == 302
    source = web_engine.get_definition_source(process_id, actor=SYSTEM).decode("utf-8")
    assert f'name="{TASK_NAME}"' in source and 'name="发出新通知"' in source


def test_editor_save_of_text_that_lost_characters_is_refused_with_the_reason(
        client: FlaskClient, auth: AuthActions, web_engine: Engine) -> None:
    web_engine.deploy({"gbk_notice.bpmn": notice("gbk_notice")}, actor=SYSTEM)
    auth.login("web.admin")
    auth.post("/language", {"lang": "en"})
    garbled = notice("gbk_notice").decode("utf-8", errors="replace")
    refused = client.post("/admin/edit/bpmn/gbk_notice/draft", json={"source": garbled},
                          headers={"X-CSRFToken": auth.token()})
    assert refused.status_code == 400
    count = garbled.count("\ufffd")
    assert refused.json["error"]["message"] == (
        f"Not saved: the text has {count} replacement characters (\ufffd) that the "
        "saved version does not have, so characters were lost when it was decoded. "
        "Reload the editor or upload the file again. The first is on line 3.")
    assert web_engine.find_draft("bpmn", "gbk_notice", actor=SYSTEM) is None


def test_upload_over_someone_elses_draft_names_them_and_replaces_only_when_ticked(
        client: FlaskClient, auth: AuthActions, web_engine: Engine) -> None:
    theirs = notice("gbk_notice")
    saved = web_engine.save_draft("bpmn", "gbk_notice", theirs, actor=SYSTEM)
    auth.login("web.admin")
    auth.post("/language", {"lang": "en"})
    mine = xmlsafe.to_utf8(xmlsafe.text("x.bpmn", theirs).replace("发出通知", "通知"))
    refused = upload(client, auth, "gbk_notice.bpmn", mine)
    assert refused.status_code == 409
    assert ("system saved a draft of gbk_notice on <time datetime=\""
            f"{saved.saved_at.isoformat()}\" title=\"") in refused.text
    assert 'href="/admin/edit/bpmn/gbk_notice"' in refused.text
    assert 'name="replace"' in refused.text
    assert web_engine.find_draft("bpmn", "gbk_notice", actor=SYSTEM).source == theirs
    replaced = upload(client, auth, "gbk_notice.bpmn", mine, replace="1")
    assert replaced.headers["Location"] == "/admin/edit/bpmn/gbk_notice"
    draft = web_engine.find_draft("bpmn", "gbk_notice", actor=SYSTEM)
    assert (draft.source, draft.saved_by) == (mine, "web.admin")


def test_editor_opened_without_a_draft_does_not_overwrite_one_saved_since(
        client: FlaskClient, auth: AuthActions, web_engine: Engine) -> None:
    web_engine.deploy({"gbk_notice.bpmn": notice("gbk_notice")}, actor=SYSTEM)
    auth.login("web.admin")
    editor = script_json(client.get("/admin/edit/bpmn/gbk_notice").text, "editor-data")
    web_engine.save_draft("bpmn", "gbk_notice", notice("gbk_notice") + b"\n",
                          actor=SYSTEM)
    late = client.post("/admin/edit/bpmn/gbk_notice/draft",
                       headers={"X-CSRFToken": auth.token()},
                       json={"source": editor["xml"], "expected_version": None})
    assert late.status_code == 409
    assert late.json["error"]["message"].startswith("system saved a draft of bpmn")


@pytest.mark.parametrize("size, status, limit_text", [
    (5 * MIB + 60_000, 413, "该文件大小为 5.1 MiB，文件最大为 5 MiB。"),  # the upload page
    (9 * MIB, 413, "文件最大为 5 MiB。"),  # larger than any admin request: the error page
])
def test_oversized_upload_names_the_5_mib_limit_in_a_signed_in_page(
        client: FlaskClient, auth: AuthActions, size: int, status: int,
        limit_text: str) -> None:
    auth.login("web.admin")
    page = upload(client, auth, "huge.bpmn", b"<a>" + b" " * size + b"</a>")
    assert page.status_code == status and limit_text in page.text
    assert 'href="/admin/"' in page.text and "/logout" in page.text
    assert 'href="/login"' not in page.text


def test_editor_counts_problems_and_undrawn_parts_in_singular_and_plural(
        client: FlaskClient, auth: AuthActions) -> None:
    auth.login("web.admin")
    auth.post("/language", {"lang": "en"})
    texts = script_json(client.get("/admin/edit/bpmn/web_sample").text, "editor-text")
    assert (texts["problemsOne"], texts["problems"]) == (
        "{n} problem to fix.", "{n} problems to fix.")
    assert (texts["importWarningsOne"], texts["importWarnings"]) == (
        "{n} part of the file could not be drawn.",
        "{n} parts of the file could not be drawn.")


@pytest.mark.parametrize("form, error", [
    ({"username": "web.applicant", "password": "long-enough-pw"},
     "已有用户名为 web.applicant 的用户"),
    ({"username": "Bad Name", "password": "long-enough-pw"}, "“Bad Name”不能用作用户名"),
    ({"username": "new.person", "password": "short"}, "密码太短"),
])
def test_refused_new_user_is_explained_on_the_users_page_with_the_input_kept(
        client: FlaskClient, auth: AuthActions, form: dict[str, str],
        error: str) -> None:
    auth.login("web.admin")
    page = auth.post("/admin/users", {**form, "display_name": "新同事", "role": "staff",
                                      "groups": "finance"})
    assert page.status_code == 422
    shown = re.escape(str(escape(error)))
    assert re.search(r'id="new-user-error">[^<]*' + shown, page.text)
    kept = f'pattern="[a-z][a-z0-9._-]+" value="{form["username"]}"'
    assert kept in page.text and 'value="新同事"' in page.text
    assert re.search(r'value="finance" checked', page.text)


def test_refused_group_name_is_explained_with_the_input_kept(
        client: FlaskClient, auth: AuthActions) -> None:
    auth.login("web.admin")
    page = auth.post("/admin/groups", {"name": "Bad Name!", "title": "坏组",
                                       "title_en": "Bad"})
    assert page.status_code == 422 and "“Bad Name!”不能用作组名" in page.text
    assert 'value="Bad Name!"' in page.text and 'value="坏组"' in page.text


def test_data_edit_that_is_not_json_is_explained_on_the_instance_page(
        client: FlaskClient, auth: AuthActions, started: int) -> None:
    auth.login("web.admin")
    auth.post("/language", {"lang": "en"})
    page = auth.post(f"/admin/instances/{started}/data",
                     {"changes": "{amount: 5}", "reason": "typo fix"})
    assert page.status_code == 422
    assert ('id="action-error">Nothing was changed: The variables are not valid JSON: '
            "Expecting property name enclosed in double quotes (line 1, column 2).") \
        in page.text
    assert ">{amount: 5}</textarea>" in page.text and 'value="typo fix"' in page.text


def test_move_to_a_version_that_does_not_exist_is_explained_on_the_same_page(
        client: FlaskClient, auth: AuthActions, started: int) -> None:
    auth.login("web.admin")
    back = "/admin/instances?process_id=web_sample"
    moved = auth.post("/admin/instances/migrate",
                      {"instance_id": str(started), "to_version": "7", "next": back})
    assert moved.status_code == 302 and moved.headers["Location"] == back
    page = client.get(back).text
    assert "没有迁移任何实例：此流程没有已部署的第 7 版。" in page


def test_editor_save_and_deploy_keep_the_name_the_file_was_deployed_under(
        client: FlaskClient, auth: AuthActions, web_engine: Engine) -> None:
    name = "网页测试 (Camunda export).bpmn"
    sample = (Path(__file__).resolve().parent / "data" / "web_sample.bpmn").read_text()
    web_engine.deploy({name: sample.replace("结束", "完成").encode()}, actor=SYSTEM)
    auth.login("web.admin")
    auth.post("/language", {"lang": "en"})
    page = client.get("/admin/edit/bpmn/web_sample").text
    assert f'id="file-name">File {escape(name)}</span>' in page
    xml = script_json(page, "editor-data")["xml"]
    saved = client.post("/admin/edit/bpmn/web_sample/draft",
                        headers={"X-CSRFToken": auth.token()},
                        json={"source": xml.replace("完成", "已完成")})
    assert saved.status_code == 200
    assert web_engine.find_draft("bpmn", "web_sample", actor=SYSTEM).file_name == name
    assert auth.post("/admin/edit/bpmn/web_sample/deploy", {}).status_code == 302
    infos = [i for i in web_engine.list_definitions(actor=SYSTEM)
             if i.def_id == "web_sample"]
    assert [(i.version, i.file_name) for i in infos] == [
        (1, "web_sample.bpmn"), (2, name), (3, name)]
    deployed = [e for e in web_engine.audit_log(actor=SYSTEM)
                if e.event_type == "definition_deployed"]
    assert deployed[-1].payload["file"] == name
    versions = client.get("/admin/processes/web_sample").text
    assert f'<span class="muted file-name">{escape(name)}</span>' in versions
    download = client.get("/admin/definitions/bpmn/web_sample/source")
    assert download.headers["Content-Disposition"] == (
        "attachment; filename=\" (Camunda export).bpmn\"; filename*=UTF-8''"
        "%E7%BD%91%E9%A1%B5%E6%B5%8B%E8%AF%95%20%28Camunda%20export%29.bpmn")
    first = client.get("/admin/definitions/bpmn/web_sample/source?version=1")
    assert first.headers["Content-Disposition"] == (
        "attachment; filename=web_sample.bpmn")
