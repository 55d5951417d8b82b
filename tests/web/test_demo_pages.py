"""The demo instances as a tester sees them: nested payout data, people, format hints.

Uses the real workflows/, forms/schemas and workflows/samples/demo_instances.json, as
after `make run`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

import forms
from engine import Engine, TaskInfo, demo
from web import create_app
from web.config import TestConfig

AuthActions = Any  # the ``auth`` fixture of tests/web/conftest.py
SAMPLES = Path(__file__).resolve().parents[2] / "workflows" / "samples"


@pytest.fixture
def app(deploy_workflows: Engine) -> Flask:
    """The app over the shipped definitions with the demo instances started."""
    demo.seed_instances(deploy_workflows, SAMPLES / "demo_instances.json")
    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    return create_app(config, engine=deploy_workflows)


def open_task(engine: Engine, username: str, bpmn_id: str) -> TaskInfo:
    tasks = engine.inbox(engine.get_actor(username), limit=500)
    return next(t for t in tasks if t.bpmn_id == bpmn_id)


def login(auth: AuthActions, username: str, lang: str = "zh") -> None:
    auth.login(username, demo.DEMO_PASSWORD)
    auth.post("/language", {"lang": lang})


def test_county_verification_shows_the_summary_and_the_import_as_tables(
    app: Flask, auth: AuthActions, client: FlaskClient, deploy_workflows: Engine
) -> None:
    task = open_task(deploy_workflows, "zhou.tao", "verify_allocation")
    login(auth, "zhou.tao")
    page = client.get(f"/tasks/{task.id}").text
    assert "{&#39;payout_month&#39;" not in page and "line: 10, station_id" not in page
    assert '<dt>奖励汇总</dt><dd><dl class="facts nested">' in page
    assert '<dt title="payout_month">兑现月份</dt><dd>2026-10</dd>' in page
    assert '<dt title="grand_total">奖励总计（元）</dt>' in page
    counties = page.split('<dt title="counties">分县汇总</dt>', 1)[1].split("</table>", 1)[0]
    assert ('<th scope="col" class="num" title="station_reward_total">便民站奖励合计（元）</th>'
            in counties)
    assert '<td>平安县</td><td class="num">8</td><td class="num">211.88</td>' in counties
    imported = page.split('<details class="decision" open>', 1)[1]
    assert "· <span class=\"person\" title=\"sun.qiang\">孙强</span> ·" in imported
    rows = imported.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert '<td class="num">10</td><td>S101</td>' in rows
    assert "<td>13700001101</td>" in rows  # a phone number is not an amount
    assert "<summary>3 条记录</summary>" in rows  # a station's withdrawals, folded


def test_county_verification_in_english_uses_english_labels(
    app: Flask, auth: AuthActions, client: FlaskClient, deploy_workflows: Engine
) -> None:
    task = open_task(deploy_workflows, "zhou.tao", "verify_allocation")
    login(auth, "zhou.tao", "en")
    page = client.get(f"/tasks/{task.id}").text
    assert '<dt>Payout summary</dt><dd><dl class="facts nested">' in page
    assert ">Payout month</dt>" in page and "<summary>3 records</summary>" in page


def test_escalation_shows_the_deadlines_as_a_labelled_list(
    app: Flask, auth: AuthActions, client: FlaskClient, deploy_workflows: Engine
) -> None:
    tasks = deploy_workflows.inbox(deploy_workflows.get_actor("chen.jie"), limit=500)
    task = next(t for t in tasks if t.form_key == "payout_escalation")
    login(auth, "chen.jie")
    page = client.get(f"/tasks/{task.id}").text
    assert '<dt>各环节期限</dt><dd><dl class="facts nested">' in page
    # stored as 2026-11-06T18:00:00+08:00; people read office time to the minute
    assert '<dt title="county_verification">核实奖励分配</dt><dd>2026-11-06 18:00</dd>' in page
    assert "{&#39;import&#39;" not in page


@pytest.mark.parametrize(
    ("lang", "hint"),
    [("zh", "请按 24 小时制填写时:分，例如 09:05 或 14:30"),
     ("en", "Enter the time as HH:MM on a 24-hour clock, e.g. 09:05 or 14:30")],
)
def test_pattern_fields_tell_their_format_before_and_after_an_error(
    app: Flask, auth: AuthActions, client: FlaskClient, lang: str, hint: str
) -> None:
    spec = forms.load("complaint_intake")
    (field,) = [f for f in forms.fields(spec, {}, lang=lang)
                if f.name == "complaint_received_time"]
    assert field.format_hint == hint
    login(auth, demo.user_for("customer_service"), lang)
    page = client.get("/start/complaint_handling").text
    assert f'title="{hint}"' in page.replace("&#34;", '"')


def test_auditor_sees_the_submitted_import_as_a_table(
    app: Flask, auth: AuthActions, client: FlaskClient, deploy_workflows: Engine
) -> None:
    auditor = deploy_workflows.get_actor("auditor")
    payout = next(i for i in deploy_workflows.list_instances(actor=auditor)
                  if i.process_id == "station_payout")
    event = next(e for e in deploy_workflows.history(payout.id, actor=auditor)
                 if e.event_type == "task_completed")
    login(auth, "auditor")
    page = client.get(f"/auditor/events/{event.id}/form").text
    assert "[{&#39;line&#39;" not in page and "<summary>12 条记录</summary>" in page
    assert '<td class="num">10</td><td>S101</td>' in page
