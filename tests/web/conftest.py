"""Fixtures for the Flask test-client tests: app, client, auth (flaskr style).

Builds on the root ``engine`` fixture (a fresh database): a sibling Engine on the same
sessions reads the test-only forms in tests/web/data/forms, and the test-only process
tests/web/data/web_sample.bpmn is deployed with a few users of its two lanes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from engine import SYSTEM, Engine, Role
from web import create_app
from web.config import TestConfig

DATA = Path(__file__).resolve().parent / "data"
FORMS_DIR = DATA / "forms"
PASSWORD = "web-test-password"
USERS = {
    "web.applicant": ("account_manager",),
    "web.applicant2": ("account_manager",),
    "web.director": ("director",),
    "web.director2": ("director",),
    "web.gm": ("general_manager",),
    "web.outsider": ("finance",),
}
GROUPS = {
    "account_manager": ("大客户经理", "Account manager"),
    "director": ("大客户总监", "Director"),
    "general_manager": ("总经理", "General manager"),
    "finance": ("财务部", "Finance"),
}
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def web_engine(engine: Engine) -> Engine:
    """An Engine on the test database that knows the web test forms and process."""
    sample = Engine(engine.sessions, forms_dir=FORMS_DIR)
    for name, (title, title_en) in GROUPS.items():
        sample.ensure_group(name, title=title, title_en=title_en, actor=SYSTEM)
    for username, groups in USERS.items():
        sample.add_user(username, password=PASSWORD, groups=groups, actor=SYSTEM)
    sample.add_user("web.admin", password=PASSWORD, role=Role.ADMIN, actor=SYSTEM)
    sample.add_user("web.auditor", password=PASSWORD, role=Role.AUDITOR, actor=SYSTEM)
    sample.deploy(
        {"web_sample.bpmn": (DATA / "web_sample.bpmn").read_bytes()}, actor=SYSTEM
    )
    return sample


@pytest.fixture
def app(web_engine: Engine) -> Flask:
    """The web app in test configuration (CSRF on) over ``web_engine``."""
    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    return create_app(config, engine=web_engine)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_from(html: str) -> str:
    """Return the CSRF token of the first form in ``html``."""
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


class AuthActions:
    """Sign in and out, and post forms with the page's CSRF token."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(
        self, username: str = "web.applicant", password: str = PASSWORD
    ) -> TestResponse:
        token = csrf_from(self.client.get("/login").text)
        data = {"username": username, "password": password, "csrf_token": token}
        return self.client.post("/login", data=data)

    def logout(self) -> TestResponse:
        return self.post("/logout", {})

    def token(self) -> str:
        return csrf_from(self.client.get("/login").text)

    def post(self, url: str, data: dict[str, object]) -> TestResponse:
        return self.client.post(url, data={**data, "csrf_token": self.token()})

    def switch(self, username: str) -> TestResponse:
        self.logout()
        return self.login(username)


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


StartSample = Callable[..., int]


@pytest.fixture
def start_sample(web_engine: Engine) -> StartSample:
    """Return a function starting web_sample as web.applicant, maybe in the past."""

    def start(subject: str = "电脑采购", *, days_ago: int = 0) -> int:
        engine = web_engine
        if days_ago:
            then = datetime.now(timezone.utc) - timedelta(days=days_ago)
            engine = Engine(
                web_engine.sessions, forms_dir=FORMS_DIR, clock=lambda: then
            )
        data = {
            "subject": subject,
            "amount": "1200.00",
            "visit_date": "2026-12-01",
            "category": "a",
        }
        actor = engine.get_actor("web.applicant")
        return engine.start_instance("web_sample", data, actor=actor).id

    return start


@pytest.fixture
def started(start_sample: StartSample) -> int:
    """Start one web_sample instance as web.applicant; return its id."""
    return start_sample()
