"""The admin user pages: an admin's own account offers no way to lock themselves out,
refused changes say why on the user's page, and roles read in the page's language."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from engine import SYSTEM, Engine, Role

AuthActions = Any  # the ``auth`` fixture of tests/web/conftest.py


def test_own_account_page_offers_neither_deactivate_nor_a_role_change(
        client: FlaskClient, auth: AuthActions) -> None:
    auth.login("web.admin")
    own = client.get("/admin/users/web.admin").text
    other = client.get("/admin/users/web.applicant").text
    assert "/admin/users/web.admin/deactivate" not in own
    assert 'id="own-account-note"' in own and '<select id="role" name="role" disabled>' in own
    assert "/admin/users/web.applicant/deactivate" in other
    assert 'id="own-account-note"' not in other


def test_refused_role_change_says_why_on_the_user_page(
        client: FlaskClient, auth: AuthActions, web_engine: Engine) -> None:
    auth.login("web.admin")
    refused = auth.post("/admin/users/web.admin/role", {"role": "staff"})
    assert refused.status_code == 422
    assert 'id="user-error"' in refused.text
    assert "不能取消自己账户的管理员角色" in refused.text
    assert web_engine.get_actor("web.admin").role is Role.ADMIN


def test_refused_deactivation_says_why_on_the_user_page(
        client: FlaskClient, auth: AuthActions, web_engine: Engine) -> None:
    auth.login("web.admin")
    refused = auth.post("/admin/users/web.admin/deactivate", {})
    assert refused.status_code == 422
    assert "不能停用自己的账户" in refused.text
    assert [u.active for u in web_engine.list_users(actor=SYSTEM)
            if u.username == "web.admin"] == [True]


def test_unknown_group_is_refused_on_the_user_page(
        client: FlaskClient, auth: AuthActions) -> None:
    auth.login("web.admin")
    refused = auth.post("/admin/users/web.applicant/groups", {"groups": "no_such_group"})
    assert refused.status_code == 422 and "没有名为 no_such_group 的组。" in refused.text


def test_roles_read_in_the_page_language(client: FlaskClient, auth: AuthActions) -> None:
    auth.login("web.admin")
    chinese = client.get("/admin/users").text
    auth.post("/language", {"lang": "en"})
    english = client.get("/admin/users").text
    assert ">审计员（只读）</option>" in chinese and "<td>管理员</td>" in chinese
    assert ">Auditor (read only)</option>" in english and "<td>Administrator</td>" in english
