"""Saving a BPMN draft that another admin saved after the editor opened: refused unless
the admin asks to put theirs over it, and then nothing else is lost."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from engine import SYSTEM, Engine

AuthActions = Any  # the ``auth`` fixture of tests/web/conftest.py
URL = "/admin/edit/bpmn/web_sample/draft"


def test_stale_save_is_refused_then_replaces_only_when_asked(
        client: FlaskClient, auth: AuthActions, web_engine: Engine) -> None:
    live = web_engine.get_definition_source("web_sample", actor=SYSTEM).decode("utf-8")
    auth.login("web.admin")
    headers = {"X-CSRFToken": auth.token()}
    first = client.post(URL, headers=headers, json={"source": live.replace(
        'id="web_sample"', 'id="web_sample"  ')})
    opened_at = first.json["row_version"]
    theirs = live.replace("</bpmn:definitions>", "<!-- theirs --></bpmn:definitions>")
    web_engine.save_draft("bpmn", "web_sample", theirs.encode(), actor=SYSTEM,
                          expected_version=opened_at, replace=True)
    mine = live.replace("</bpmn:definitions>", "<!-- mine --></bpmn:definitions>")
    refused = client.post(URL, headers=headers,
                          json={"source": mine, "expected_version": opened_at})
    draft = web_engine.find_draft("bpmn", "web_sample", actor=SYSTEM)
    assert refused.status_code == 409 and draft is not None and "theirs" in draft.text
    kept = client.post(URL, headers=headers, json={
        "source": mine, "expected_version": opened_at, "replace": True})
    draft = web_engine.find_draft("bpmn", "web_sample", actor=SYSTEM)
    assert kept.status_code == 200 and draft is not None
    assert "mine" in draft.text and "theirs" not in draft.text


def test_replace_must_be_true_not_just_present(
        client: FlaskClient, auth: AuthActions, web_engine: Engine) -> None:
    live = web_engine.get_definition_source("web_sample", actor=SYSTEM).decode("utf-8")
    web_engine.save_draft("bpmn", "web_sample", live.replace(
        "</bpmn:definitions>", "<!-- theirs --></bpmn:definitions>").encode(),
        actor=SYSTEM)
    auth.login("web.admin")
    refused = client.post(URL, headers={"X-CSRFToken": auth.token()},
                          json={"source": live, "replace": "yes"})
    assert refused.status_code == 409


def test_form_deploy_keeps_a_draft_saved_after_the_editor_opened(
        client: FlaskClient, auth: AuthActions, web_engine: Engine) -> None:
    live = web_engine.get_form_source("web_request", actor=SYSTEM).decode("utf-8")
    auth.login("web.admin")
    page = client.get("/admin/forms/web_request").text
    assert 'name="draft_version" id="deploy-draft-version" value=""' in page
    theirs = live.replace('"subject"', '"their_subject"')
    web_engine.save_draft("form", "web_request", theirs.encode(), actor=SYSTEM)
    mine = live.replace('"subject"', '"my_subject"')
    refused = auth.post("/admin/forms/web_request/deploy",
                        {"source": mine, "draft_version": ""})
    draft = web_engine.find_draft("form", "web_request", actor=SYSTEM)
    assert refused.status_code == 409 and 'id="form-error"' in refused.text
    assert "my_subject" in refused.text  # the admin's JSON is still on the page
    assert draft is not None and "their_subject" in draft.text
    assert "subject" in web_engine.live_form("web_request").properties
    again = auth.post("/admin/forms/web_request/deploy",
                      {"source": mine, "draft_version": str(draft.row_version)})
    assert again.status_code == 302
    assert "my_subject" in web_engine.live_form("web_request").properties
    assert web_engine.find_draft("form", "web_request", actor=SYSTEM) is None


def test_form_deploy_of_the_draft_it_opened_goes_through(
        client: FlaskClient, auth: AuthActions, web_engine: Engine) -> None:
    live = web_engine.get_form_source("web_request", actor=SYSTEM).decode("utf-8")
    draft = web_engine.save_draft("form", "web_request", live.replace(
        '"subject"', '"draft_subject"').encode(), actor=SYSTEM)
    auth.login("web.admin")
    page = client.get("/admin/forms/web_request").text
    assert f'id="deploy-draft-version" value="{draft.row_version}"' in page
    sent = auth.post("/admin/forms/web_request/deploy", {
        "source": live.replace('"subject"', '"edited_subject"'),
        "draft_version": str(draft.row_version)})
    assert sent.status_code == 302
    assert "edited_subject" in web_engine.live_form("web_request").properties
