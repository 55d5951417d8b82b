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


def their_draft_of_the_sample(web_engine: Engine) -> str:
    """Save another admin's draft of web_sample; return the live text it changed."""
    live = web_engine.get_definition_source("web_sample", actor=SYSTEM).decode("utf-8")
    web_engine.save_draft("bpmn", "web_sample", live.replace(
        "</bpmn:definitions>", "<!-- theirs --></bpmn:definitions>").encode(),
        actor=SYSTEM)
    return live


def test_replace_must_be_true_not_just_present(
        client: FlaskClient, auth: AuthActions, web_engine: Engine) -> None:
    live = their_draft_of_the_sample(web_engine)
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


FORM_URL = "/admin/forms/web_request/draft"


def test_form_save_after_another_admins_save_shows_their_changes_and_can_replace_them(
        client: FlaskClient, auth: AuthActions, web_engine: Engine) -> None:
    live = web_engine.get_form_source("web_request", actor=SYSTEM).decode("utf-8")
    auth.login("web.admin")
    auth.post("/language", {"lang": "en"})
    headers = {"X-CSRFToken": auth.token()}
    first = client.post(FORM_URL, headers=headers, json={"source": live + " "})
    opened_at = first.json["row_version"]
    theirs = live.replace('"subject"', '"their_subject"')
    saved = web_engine.save_draft("form", "web_request", theirs.encode(), actor=SYSTEM,
                                  expected_version=opened_at, replace=True)
    mine = live.replace('"subject"', '"my_subject"')
    refused = client.post(FORM_URL, headers=headers,
                          json={"source": mine, "expected_version": opened_at})
    assert refused.status_code == 409
    conflict = refused.json["conflict"]
    assert conflict["saved_by"] == "system"
    assert conflict["row_version"] == saved.row_version
    lines = conflict["changes"].splitlines()
    theirs_only = [line[1:] for line in lines[2:] if line.startswith("-")]
    mine_only = [line[1:] for line in lines[2:] if line.startswith("+")]
    assert theirs_only and all('"their_subject"' in line for line in theirs_only)
    assert [t.replace("their_", "my_") for t in theirs_only] == mine_only
    assert lines[1] == "+++ your text"
    assert web_engine.find_draft("form", "web_request", actor=SYSTEM).text == theirs
    kept = client.post(FORM_URL, headers=headers, json={
        "source": mine, "expected_version": opened_at, "replace": True})
    assert kept.status_code == 200
    draft = web_engine.find_draft("form", "web_request", actor=SYSTEM)
    assert draft is not None and draft.text == mine and draft.saved_by == "web.admin"
    event = [e for e in web_engine.audit_log(actor=SYSTEM)
             if e.event_type == "draft_saved"][-1]
    assert event.actor == "web.admin"
    assert event.payload["replaced"]["saved_by"] == "system"


def test_form_save_over_a_newer_draft_is_named_on_the_audit_trail(
        client: FlaskClient, auth: AuthActions, web_engine: Engine) -> None:
    live = web_engine.get_form_source("web_request", actor=SYSTEM).decode("utf-8")
    web_engine.save_draft("form", "web_request", (live + " ").encode(), actor=SYSTEM)
    auth.login("web.admin")
    client.post(FORM_URL, headers={"X-CSRFToken": auth.token()},
                json={"source": live, "replace": True})
    auth.switch("web.auditor")
    auth.post("/language", {"lang": "en"})
    trail = client.get("/auditor/?type=draft_saved").text
    assert ("web_request · File: web_request.json · Saved over a newer draft by: "
            "system") in trail


def test_form_save_without_replace_over_a_newer_draft_keeps_theirs(
        client: FlaskClient, auth: AuthActions, web_engine: Engine) -> None:
    live = web_engine.get_form_source("web_request", actor=SYSTEM).decode("utf-8")
    web_engine.save_draft("form", "web_request", (live + " ").encode(), actor=SYSTEM)
    auth.login("web.admin")
    refused = client.post(FORM_URL, headers={"X-CSRFToken": auth.token()},
                          json={"source": live, "replace": "yes"})
    assert refused.status_code == 409
    assert refused.json["conflict"]["saved_by"] == "system"
    assert web_engine.find_draft("form", "web_request", actor=SYSTEM).text == live + " "


def test_refused_form_deploy_shows_how_the_newer_draft_differs(
        client: FlaskClient, auth: AuthActions, web_engine: Engine) -> None:
    live = web_engine.get_form_source("web_request", actor=SYSTEM).decode("utf-8")
    web_engine.save_draft("form", "web_request",
                          live.replace('"subject"', '"their_subject"').encode(),
                          actor=SYSTEM)
    auth.login("web.admin")
    auth.post("/language", {"lang": "en"})
    refused = auth.post("/admin/forms/web_request/deploy", {
        "source": live.replace('"subject"', '"my_subject"'), "draft_version": ""})
    assert refused.status_code == 409
    assert '<div id="conflict" class="flash flash-error conflict">' in refused.text
    assert '<span class="del">-' in refused.text and "their_subject" in refused.text
    assert '<span class="add">+' in refused.text


def test_stale_bpmn_save_says_who_saved_and_how_their_draft_differs(
        client: FlaskClient, auth: AuthActions, web_engine: Engine) -> None:
    live = their_draft_of_the_sample(web_engine)
    auth.login("web.admin")
    mine = live.replace("</bpmn:definitions>", "<!-- mine --></bpmn:definitions>")
    refused = client.post(URL, headers={"X-CSRFToken": auth.token()},
                          json={"source": mine})
    assert refused.status_code == 409
    changes = refused.json["conflict"]["changes"].splitlines()
    assert "-<!-- theirs --></bpmn:definitions>" in changes
    assert "+<!-- mine --></bpmn:definitions>" in changes
