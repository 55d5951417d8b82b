"""Refused input on the admin user and group pages, and a refused instance move: a
sentence in the admin's language built from the error's field and rule, never the
engine's English; nothing is changed and what was typed stays in the form."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from engine import SYSTEM, Engine

AuthActions = Any  # the ``auth`` fixture of tests/web/conftest.py
NEW_USER = {"display_name": "新同事", "role": "staff", "groups": "finance"}
FLASH_ERROR = re.compile(
    r'<main id="main">\s*<p class="flash flash-error" role="alert">([^<]*)</p>')


def said(page: str, element_id: str) -> str:
    """The text of the error paragraph ``element_id`` of ``page``."""
    found = re.search(rf'id="{element_id}">([^<]*)</p>', page)
    assert found, f"no #{element_id} on the page"
    return html.unescape(found.group(1))


def in_both(auth: AuthActions, url: str, data: dict[str, str], element_id: str
            ) -> tuple[str, str]:
    """Post on a Chinese, then an English page; what the page shown again says."""
    texts = []
    for lang in ("zh", "en"):
        auth.post("/language", {"lang": lang})
        page = auth.post(url, data)
        assert page.status_code == 422
        texts.append(said(page.text, element_id))
    return texts[0], texts[1]


@pytest.mark.parametrize("form, zh, en", [
    ({"username": "new.person", "password": "short"},
     "密码太短：至少需要 8 个字符。",
     "The password is too short: use at least 8 characters."),
    ({"username": "web.applicant", "password": "long-enough-pw"},
     "已有用户名为 web.applicant 的用户：请换一个用户名。",
     "There is already a user named web.applicant: choose another user name."),
    ({"username": "Bad Name", "password": "long-enough-pw"},
     "“Bad Name”不能用作用户名：请使用 2 到 64 个小写字母、数字、点、_ 或 -，并以字母开头。",
     "“Bad Name” cannot be a user name: use 2 to 64 lower-case letters, digits, "
     "dots, _ or -, starting with a letter."),
    ({"username": "new.person", "password": "long-enough-pw", "email": "new.person@"},
     "“new.person@”不是电子邮件地址：请按 name@example.com 的格式填写。",
     "“new.person@” is not an e-mail address: write it as name@example.com."),
])
def test_refused_new_user_is_explained_in_the_admins_language(
        auth: AuthActions, web_engine: Engine, form: dict[str, str], zh: str,
        en: str) -> None:
    auth.login("web.admin")
    assert in_both(auth, "/admin/users", {**NEW_USER, **form}, "new-user-error") == (
        f"未创建用户：{zh}", f"The user was not created: {en}")
    names = [u.username for u in web_engine.list_users(actor=SYSTEM)]
    assert "new.person" not in names and "Bad Name" not in names


def test_new_user_with_an_e_mail_address_is_created_with_it(
        auth: AuthActions, web_engine: Engine) -> None:
    auth.login("web.admin")
    created = auth.post("/admin/users", {**NEW_USER, "username": "new.person",
                                         "password": "long-enough-pw",
                                         "email": "new.person@example.test"})
    assert created.status_code == 302
    [user] = [u for u in web_engine.list_users(actor=SYSTEM)
              if u.username == "new.person"]
    assert user.email == "new.person@example.test"


def test_refused_e_mail_keeps_what_was_typed(auth: AuthActions) -> None:
    auth.login("web.admin")
    page = auth.post("/admin/users", {**NEW_USER, "username": "new.person",
                                      "password": "long-enough-pw", "email": "a b@c"})
    assert page.status_code == 422
    assert 'name="email" type="email" value="a b@c"' in page.text
    assert 'value="new.person"' in page.text and 'value="新同事"' in page.text


def test_bad_group_name_is_explained_in_the_admins_language(
        auth: AuthActions, web_engine: Engine) -> None:
    auth.login("web.admin")
    form = {"name": "Bad Name!", "title": "坏组", "title_en": "Bad"}
    assert in_both(auth, "/admin/groups", form, "new-group-error") == (
        "未保存组：“Bad Name!”不能用作组名：请使用 2 到 64 个小写字母、数字或 _，并以字母开头。",
        "The group was not saved: “Bad Name!” cannot be a group name: use 2 to 64 "
        "lower-case letters, digits or _, starting with a letter.")
    assert "Bad Name!" not in [g.name for g in web_engine.list_groups()]


def test_short_password_on_reset_is_explained_on_the_user_page(
        auth: AuthActions, web_engine: Engine) -> None:
    auth.login("web.admin")
    url = "/admin/users/web.applicant/password"
    assert in_both(auth, url, {"password": "short"}, "user-error") == (
        "未做任何改动：密码太短：至少需要 8 个字符。",
        "Nothing was changed: The password is too short: use at least 8 characters.")
    assert web_engine.authenticate("web.applicant", "web-test-password")


def test_unknown_group_is_explained_on_the_user_page(auth: AuthActions) -> None:
    auth.login("web.admin")
    url = "/admin/users/web.applicant/groups"
    assert in_both(auth, url, {"groups": "no_such_group"}, "user-error") == (
        "未做任何改动：没有名为 no_such_group 的组。",
        "Nothing was changed: There is no group named no_such_group.")


@pytest.mark.parametrize("action, data, zh, en", [
    ("deactivate", {}, "不能停用自己的账户：可以请其他管理员停用。",
     "You cannot deactivate your own account: another administrator can."),
    ("role", {"role": "staff"}, "不能取消自己账户的管理员角色：可以请其他管理员取消。",
     "You cannot take the administrator role from your own account: another "
     "administrator can."),
])
def test_locking_oneself_out_is_explained_on_the_own_user_page(
        auth: AuthActions, action: str, data: dict[str, str], zh: str,
        en: str) -> None:
    auth.login("web.admin")
    url = f"/admin/users/web.admin/{action}"
    assert in_both(auth, url, data, "user-error") == (
        f"未做任何改动：{zh}", f"Nothing was changed: {en}")


def test_move_to_a_version_not_deployed_says_nothing_was_moved_and_why(
        client: FlaskClient, auth: AuthActions, started: int) -> None:
    auth.login("web.admin")
    back = "/admin/instances"
    texts = []
    for lang in ("zh", "en"):
        auth.post("/language", {"lang": lang})
        moved = auth.post("/admin/instances/migrate",
                          {"instance_id": str(started), "to_version": "99",
                           "next": back})
        assert moved.status_code == 302 and moved.location == back
        found = FLASH_ERROR.search(client.get(back).text)
        assert found, "no error message on the page"
        texts.append(html.unescape(found.group(1)))
    assert texts == ["没有迁移任何实例：此流程没有已部署的第 99 版。",
                     "Nothing was moved: Version 99 of this process is not deployed."]
