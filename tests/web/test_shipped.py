"""Every demo user can open every page; every shipped form renders in both languages.

Uses the real workflows/ and forms/schemas, as a newcomer would after `make run`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from markupsafe import escape

import forms
from engine import Engine, demo
from web import create_app
from web.config import TestConfig

AuthActions = Any  # the ``auth`` fixture of tests/web/conftest.py
SCHEMAS = sorted(Path(forms.DEFAULT_FORMS_DIR).glob("*.json"))
RENDER_FORM = """{% from "_macros.html" import form_field %}
{% for f in fields %}{{ form_field(f) }}{% endfor %}"""


@pytest.fixture
def app(deploy_workflows: Engine) -> Flask:
    """The app over an engine with every shipped definition deployed."""
    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    return create_app(config, engine=deploy_workflows)


def test_every_demo_user_can_open_every_page(
    auth: AuthActions, client: FlaskClient, deploy_workflows: Engine
) -> None:
    for user in demo.USERS:
        assert auth.login(user.username, demo.DEMO_PASSWORD).status_code == 302
        for url in ("/", "/?tab=group", "/start/", "/instances/mine"):
            assert client.get(url).status_code == 200, (user.username, url)
        actor = deploy_workflows.get_actor(user.username)
        for process in deploy_workflows.list_startable(actor):
            response = client.get(f"/start/{process.process_id}")
            assert response.status_code == 200, (user.username, process.process_id)
        auth.logout()


@pytest.fixture(scope="module")
def bare_app() -> Flask:
    """The app with no engine behind it: enough to render templates."""
    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    return create_app(config, engine=cast(Engine, object()))


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda p: p.stem)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_shipped_form_renders(bare_app: Flask, schema: Path, lang: str) -> None:
    spec = forms.load(schema.stem)
    fields = forms.fields(spec, {}, lang=lang)
    with bare_app.test_request_context("/"):
        html = render_template_string(RENDER_FORM, fields=fields, lang=lang)
    for field in fields:
        assert f'name="{field.name}"' in html, field.name
        assert str(escape(field.label)) in html
