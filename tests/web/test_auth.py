"""Sign-in, sign-out, throttling, session cookie flags, CSRF and language choice."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from engine import Engine

AuthActions = Any  # the ``auth`` fixture of tests/web/conftest.py


def test_login_page_renders_in_chinese_by_default(client: FlaskClient) -> None:
    response = client.get("/login")
    assert response.status_code == 200
    assert "登录" in response.text
    assert 'lang="zh-CN"' in response.text


def test_login_success_redirects_to_inbox_and_sets_secure_cookie(
    app: Flask, auth: AuthActions
) -> None:
    app.config["SESSION_COOKIE_SECURE"] = True
    response = auth.login()
    assert response.status_code == 302
    assert response.location == "/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_login_wrong_password_shows_error(auth: AuthActions) -> None:
    response = auth.login(password="wrong-password")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text
    assert 'value="web.applicant"' in response.text


def test_login_throttled_after_repeated_failures(auth: AuthActions) -> None:
    statuses = [auth.login(password="wrong-password").status_code for _ in range(8)]
    assert statuses[-1] == 429
    response = auth.login()  # even the right password is refused while locked
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "秒后重试" in response.text


def test_login_required_redirects_with_next(client: FlaskClient) -> None:
    response = client.get("/instances/mine")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=/instances/mine")


def test_login_follows_local_next_only(auth: AuthActions) -> None:
    token = auth.token()
    data = {
        "username": "web.applicant",
        "password": "web-test-password",
        "csrf_token": token,
        "next": "//evil.example/x",
    }
    response = auth.client.post("/login", data=data)
    assert response.location == "/"
    auth.logout()
    data["next"], data["csrf_token"] = "/start/", auth.token()
    assert auth.client.post("/login", data=data).location == "/start/"


def test_logout_ends_session(auth: AuthActions, client: FlaskClient) -> None:
    auth.login()
    assert client.get("/").status_code == 200
    response = auth.logout()
    assert response.location == "/login"
    assert client.get("/").status_code == 302


def test_post_without_csrf_token_is_rejected(
    auth: AuthActions, client: FlaskClient
) -> None:
    auth.login()
    response = client.post("/logout")
    assert response.status_code == 400
    assert client.get("/").status_code == 200  # still signed in


def test_language_switch_is_remembered_per_user(
    auth: AuthActions, client: FlaskClient, web_engine: Engine
) -> None:
    auth.login()
    response = auth.post("/language", {"lang": "en", "next": "/start/"})
    assert response.location == "/start/"
    assert web_engine.get_actor("web.applicant").language == "en"
    assert "Start a process" in client.get("/start/").text
    auth.logout()
    auth.login()
    page = client.get("/").text
    assert "My tasks" in page and 'lang="en"' in page


def test_language_switch_rejects_unknown_language(auth: AuthActions) -> None:
    assert auth.post("/language", {"lang": "fr"}).status_code == 400


def test_deactivated_user_session_is_dropped(
    auth: AuthActions, client: FlaskClient, web_engine: Engine
) -> None:
    auth.login("web.outsider")
    with client.session_transaction() as session:
        session["username"] = "no.such.user"
    assert client.get("/").status_code == 302


def test_language_chosen_before_sign_in_is_kept_and_saved(
    auth: AuthActions, client: FlaskClient, web_engine: Engine
) -> None:
    auth.post("/language", {"lang": "en"})
    assert "Sign in" in client.get("/login").text
    auth.login("web.director")
    assert "My tasks" in client.get("/").text
    assert web_engine.get_actor("web.director").language == "en"
