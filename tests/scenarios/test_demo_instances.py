"""`signoff init --demo` opens with real work waiting in the demo users' inboxes."""

from __future__ import annotations

from pathlib import Path

from engine import Engine, demo

SAMPLES = Path(__file__).resolve().parents[2] / "workflows" / "samples"


def test_demo_instances_put_work_in_many_inboxes_and_run_once(
        deploy_workflows: Engine) -> None:
    engine = deploy_workflows
    assert demo.seed_instances(engine, SAMPLES / "demo_instances.json") == 9
    busy = {u.username for u in demo.USERS
            if engine.inbox(engine.get_actor(u.username), limit=1)}
    assert {"liu.yang", "chen.jie", "li.na", "wang.fang", "huang.lei", "zhang.wei",
            "yang.li", "zhou.tao"} <= busy
    mine = engine.list_instances(actor=engine.get_actor("zhang.wei"))
    assert {i.business_key for i in mine} >= {"VISIT-2026-001", "RCP-2026-001"}
    assert demo.seed_instances(engine, SAMPLES / "demo_instances.json") == 0
