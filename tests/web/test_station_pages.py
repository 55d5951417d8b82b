"""A station maintainer's pages show their own station only; admins still see it all.

Runs the shipped payout on the sample file up to the stations' confirmations, with the
real forms, and reads the pages as the people of each role would.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine import Engine, TaskInfo, demo
from engine.records import SYSTEM
from web import create_app
from web.config import TestConfig

AuthActions = Any  # the ``auth`` fixture of tests/web/conftest.py
SAMPLE = (Path(__file__).resolve().parents[2] / "workflows" / "samples"
          / "station_transactions_2026-10.csv").read_text(encoding="utf-8")
CARD_PREFIX = "62215800"  # every card number of the sample starts so


@pytest.fixture
def app(deploy_workflows: Engine) -> Flask:
    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    return create_app(config, engine=deploy_workflows)


def confirmations_open(engine: Engine, *, leaving: str | None = None) -> int:
    """Import the sample and verify it: each station's confirmation is then open.

    ``leaving`` is deactivated between the import and the county's verification.
    """
    city, county = demo.user_for("city_bureau"), demo.user_for("county_bureau")
    iid = engine.start_instance("station_payout", {"payout_month": "2026-10"},
                                actor=engine.get_actor(city)).id
    for user, step, answer in (
        (city, "import_transactions", {"transactions_csv": SAMPLE}),
        (county, "verify_allocation", {"county_verification_decision": "approve"}),
    ):
        [task] = [t for t in engine.inbox(engine.get_actor(user), scope="all")
                  if t.instance_id == iid and t.bpmn_id == step]
        engine.complete_task(task.id, answer, actor=engine.get_actor(user))
        if leaving and step == "import_transactions":
            engine.deactivate_user(leaving, actor=SYSTEM)
    return iid


def station_task(engine: Engine, username: str, station_id: str,
                 scope: str = "mine") -> TaskInfo:
    [task] = [t for t in engine.inbox(engine.get_actor(username), scope=scope)
              if t.bpmn_id == "confirm_station_amount"
              and (t.subject or "").endswith(f"（{station_id}）")]
    return task


@pytest.fixture
def payout(deploy_workflows: Engine) -> tuple[Engine, int]:
    """The shipped engine with the sample payout waiting for the stations."""
    return deploy_workflows, confirmations_open(deploy_workflows)


def read_as(auth: AuthActions, client: FlaskClient, username: str, url: str) -> str:
    auth.login(username, demo.DEMO_PASSWORD)
    return str(client.get(url).text)


def others(engine: Engine, iid: int, own: str) -> list[dict[str, Any]]:
    results = engine.get_instance(iid, actor=SYSTEM).data["station_results"]
    return [r for r in results if r["station_id"] != own]  # type: ignore[union-attr]


def test_a_maintainers_task_page_shows_no_other_stations_id_amount_or_card(
    auth: AuthActions, client: FlaskClient, payout: tuple[Engine, int]
) -> None:
    engine, iid = payout
    task = station_task(engine, "hu.bin", "S101")
    page = read_as(auth, client, "hu.bin", f"/tasks/{task.id}")
    own = json.dumps(engine.get_task(task.id, actor=SYSTEM).data, ensure_ascii=False)
    assert "S101" in page and "城关东街便民站" in page
    assert 'id="limited"' in page
    for station in others(engine, iid, "S101"):
        assert station["station_id"] not in page, station["station_id"]
        assert station["station_name"] not in page, station["station_name"]
        if station["reward_total"] not in own:  # the same figure may be S101's too
            assert station["reward_total"] not in page, station["station_id"]
    assert CARD_PREFIX not in page


def test_a_maintainers_instance_page_shows_only_their_own_steps(
    auth: AuthActions, client: FlaskClient, payout: tuple[Engine, int]
) -> None:
    engine, iid = payout
    page = read_as(auth, client, "guo.ping", f"/instances/{iid}")
    assert "便民站确认签字" in page  # the history of guo.ping's own tasks
    stations = others(engine, iid, "")
    own = json.dumps([r for r in stations if r["branch_id"] == "B03"])
    for station in stations:
        if station["branch_id"] != "B03":  # guo.ping's own stations are all of B03
            assert station["station_id"] not in page, station["station_id"]
            if station["reward_total"] not in own:
                assert station["reward_total"] not in page, station["station_id"]
    assert CARD_PREFIX not in page
    assert "All data of this request" not in page and "本申请的全部数据" not in page


def test_admins_still_read_the_whole_import_on_the_same_pages(
    auth: AuthActions, client: FlaskClient, payout: tuple[Engine, int]
) -> None:
    engine, iid = payout
    task = station_task(engine, "hu.bin", "S101")
    task_page = read_as(auth, client, "admin", f"/tasks/{task.id}")
    assert "S301" in task_page and CARD_PREFIX in task_page
    assert 'id="limited"' not in task_page
    instance_page = client.get(f"/instances/{iid}").text
    assert "S301" in instance_page and CARD_PREFIX in instance_page


def test_a_colleague_gets_not_found_for_a_station_task_another_maintainer_holds(
    auth: AuthActions, client: FlaskClient, payout: tuple[Engine, int]
) -> None:
    engine, _iid = payout
    task = station_task(engine, "hu.bin", "S101")
    auth.login("guo.ping", demo.DEMO_PASSWORD)
    assert client.get(f"/tasks/{task.id}").status_code == 404
    assert client.get(f"/api/tasks/{task.id}").status_code == 404


def test_a_pooled_station_task_says_why_it_waits_for_every_maintainer(
    auth: AuthActions, client: FlaskClient, deploy_workflows: Engine
) -> None:
    engine = deploy_workflows
    iid = confirmations_open(engine, leaving="guo.ping")
    task = station_task(engine, "hu.bin", "S301", scope="group")
    page = read_as(auth, client, "hu.bin", f"/tasks/{task.id}")
    assert ("此任务本应交给指定人员，但guo.ping（由 station_to_confirm.maintainer_account "
            "指定）已停用。管理员或经理可将其指派给正确的人员。") in page
    auth.logout()
    auth.login("admin", demo.DEMO_PASSWORD)
    page = client.get(f"/tasks/{task.id}").text
    assert ("This task was meant for one person, but guo.ping, named in "
            "station_to_confirm.maintainer_account, is deactivated.") in page
    history = client.get(f"/instances/{iid}").text
    assert "guo.ping, named in station_to_confirm.maintainer_account, is deactivated" \
        in history
