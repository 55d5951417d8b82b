"""The BPMN editor's panel fields for the task properties the deploy checks (assignTo,
subject, due times, reminder, escalation): the panel asks the engine's own rule, and a
refused deploy or check names the property, so the editor marks that very field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from test_admin_import import script_json

from engine import SYSTEM, Engine, support
from web.admin.editor import PROPERTY_HINTS

AuthActions = Any  # the ``auth`` fixture of tests/web/conftest.py
SAMPLE = (Path(__file__).resolve().parent / "data" / "web_sample.bpmn").read_text()
DUE = '<spiffworkflow:property name="dueIn" value="P2D" />'
CHECK_URL = "/admin/properties/check"


def with_review_property(name: str, value: str) -> str:
    """web_sample with one more property on its review task."""
    extra = f'<spiffworkflow:property name="{name}" value="{value}" />'
    assert DUE in SAMPLE
    return SAMPLE.replace(DUE, DUE + extra)


def ask(client: FlaskClient, auth: AuthActions, body: object) -> Any:
    return client.post(CHECK_URL, json=body, headers={"X-CSRFToken": auth.token()})


@pytest.mark.parametrize(
    "name, good, bad, message",
    [
        ("assignTo", "starter", "boss",
         "Only “starter” (the person who started the request) can be given here."),
        ("subject", "{{ subject }}（{{ amount }} 元）", "{{ subject",
         "This template does not parse: write text with {{ variable }} placeholders, "
         "as in the instructions."),
        ("dueIn", "P3WD", "three days",
         "Write an ISO 8601 duration such as P3D or PT4H, or working days such as "
         "P3WD."),
        ("dueBy", "day 12 of the month", "day 40 of the month",
         "Write “day 12 of the month” (optionally with a time such as 17:00) or a "
         "date such as 2026-11-30."),
        ("escalation", "notify:director", "shout:director",
         "Write notify:<group> or reassign:<group>."),
        ("priority", "10", "101",
         "Write a whole number from 0 to 100; tasks with a higher number come first "
         "in the inbox."),
        ("assignToVariable", "station_to_confirm.maintainer_account", "who signs?",
         "Name the variable, or a key of it after a dot (such as "
         "station_to_confirm.maintainer_account), that holds the user name."),
        ("visibleSteps", "confirm_station_amount, correct_station_amount", "a;b",
         "List the ids of the earlier steps whose decisions this step shows, "
         "separated by commas."),
    ],
)
def test_panel_check_accepts_what_the_deploy_accepts_and_says_how_to_fix_the_rest(
        client: FlaskClient, auth: AuthActions, name: str, good: str, bad: str,
        message: str) -> None:
    auth.login("web.admin")
    auth.post("/language", {"lang": "en"})
    accepted = ask(client, auth, {"name": name, "value": good})
    assert accepted.status_code == 200
    assert accepted.json == {"name": name, "valid": True, "message": None}
    refused = ask(client, auth, {"name": name, "value": bad})
    assert refused.status_code == 200
    assert refused.json == {"name": name, "valid": False, "message": message}


def test_panel_check_speaks_the_admins_language(
        client: FlaskClient, auth: AuthActions) -> None:
    auth.login("web.admin")
    auth.post("/language", {"lang": "zh"})
    refused = ask(client, auth, {"name": "assignTo", "value": "boss"})
    assert refused.json["message"] == "此处只能填写“starter”（发起申请的人）。"


@pytest.mark.parametrize("body", [
    {"name": "formJsonSchemaFilename", "value": "x.json"},
    {"name": "assignTo", "value": None},
    {"value": "starter"},
])
def test_panel_check_of_an_unchecked_name_or_a_missing_value_is_refused(
        client: FlaskClient, auth: AuthActions, body: object) -> None:
    auth.login("web.admin")
    refused = ask(client, auth, body)
    assert refused.status_code == 400
    assert refused.json["error"]["message"] == (
        "name must be one of dueIn, dueInWorkingDays, dueBy, remindBefore, escalation, "
        "priority, assignTo, assignToVariable, visibleData, visibleSteps, aboutVariable, subject, "
        "and value a string")


def test_every_property_the_deploy_checks_has_a_panel_hint() -> None:
    assert list(PROPERTY_HINTS) == list(support.CHECKED_PROPERTIES)


def test_editor_hands_its_panel_the_checked_properties_and_where_to_check_them(
        client: FlaskClient, auth: AuthActions) -> None:
    auth.login("web.admin")
    page = client.get("/admin/edit/bpmn/web_sample").text
    editor = script_json(page, "editor-data")
    assert editor["checked_properties"] == list(support.CHECKED_PROPERTIES)
    assert editor["urls"]["property"] == CHECK_URL
    assert "admin/property-check.js" in page
    texts = script_json(page, "editor-text")
    assert {"assignTo", "assignToStarter", "subject", "remindBefore"} <= set(texts)


def test_refused_deploy_of_a_saved_bad_assignee_marks_that_property_of_the_task(
        client: FlaskClient, auth: AuthActions, web_engine: Engine) -> None:
    web_engine.save_draft("bpmn", "web_sample",
                          with_review_property("assignTo", "boss").encode(),
                          actor=SYSTEM)
    auth.login("web.admin")
    refused = auth.post("/admin/edit/bpmn/web_sample/deploy", {"comment": "x"})
    assert refused.status_code == 422
    [problem] = script_json(refused.text, "editor-data")["problems"]
    assert problem["element_id"] == "review_request"
    assert problem["property"] == "assignTo"
    assert problem["message"] == (
        "property assignTo='boss': use 'starter' (the person who started the request, "
        "when they are in the task's lane)")
    assert len(web_engine.list_process_versions(actor=SYSTEM)) == 1


def test_check_and_reopened_draft_mark_a_subject_that_does_not_parse(
        client: FlaskClient, auth: AuthActions, web_engine: Engine) -> None:
    bad = with_review_property("subject", "{{ subject")
    auth.login("web.admin")
    checked = client.post("/admin/edit/bpmn/web_sample/check", json={"source": bad},
                          headers={"X-CSRFToken": auth.token()})
    [problem] = checked.json["problems"]
    assert (problem["element_id"], problem["property"]) == ("review_request", "subject")
    assert problem["message"] == ("property subject='{{ subject': write text with "
                                  "{{ variable }} placeholders, as in instructions")
    web_engine.save_draft("bpmn", "web_sample", bad.encode(), actor=SYSTEM)
    reopened = script_json(client.get("/admin/edit/bpmn/web_sample").text,
                           "editor-data")
    assert reopened["problems"] == checked.json["problems"]


def test_good_assignee_and_subject_from_the_panel_deploy(
        client: FlaskClient, auth: AuthActions, web_engine: Engine) -> None:
    good = with_review_property("assignTo", "starter").replace(
        DUE, DUE + '<spiffworkflow:property name="subject" value="{{ subject }}" />')
    web_engine.save_draft("bpmn", "web_sample", good.encode(), actor=SYSTEM)
    auth.login("web.admin")
    deployed = auth.post("/admin/edit/bpmn/web_sample/deploy", {"comment": "assign"})
    assert deployed.status_code == 302
    source = web_engine.get_definition_source("web_sample", actor=SYSTEM).decode()
    assert 'name="assignTo" value="starter"' in source
