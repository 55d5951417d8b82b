"""An instance whose very first step failed (a decision that cannot be evaluated) is
moved to the version with the corrected decision and, retried, runs that version: the
migration used to crash with AttributeError, a 500 on the admin page."""

from __future__ import annotations

import pytest
from modelkit import DATA

from engine import Engine, ScriptFailed
from engine.records import SYSTEM

MODELERS = DATA / "modelers"
PROCESS = (MODELERS / "discount_check.bpmn").read_bytes()
TABLE = (MODELERS / "camunda_dmn13_discount.dmn").read_bytes().replace(
    b"[1..999]", b"1 &lt;= ? &lt;= 999").replace(
    b'<text>"silver","bronze"</text>', b'<text>? in ("silver", "bronze")</text>')


def failed_at_start(engine: Engine) -> int:
    """Deploy a table whose first rule divides by zero; start an instance that hits it."""
    broken = TABLE.replace(b"<text>0.15</text>", b"<text>1/0</text>")
    engine.deploy({"discount.dmn": broken, "discount_check.bpmn": PROCESS}, actor=SYSTEM)
    with pytest.raises(ScriptFailed):
        engine.start_instance("discount_check", {"customer_level": "gold", "amount": 5000},
                              actor=engine.get_actor("yang.li"))
    [instance] = engine.search_instances(actor=SYSTEM)
    assert instance.status.value == "error"
    return instance.id


def test_instance_that_failed_at_its_first_step_moves_and_runs_the_fixed_version(
        engine: Engine) -> None:
    instance_id = failed_at_start(engine)
    engine.deploy({"discount.dmn": TABLE}, actor=SYSTEM)
    [result] = engine.migrate_instances([instance_id], 2, actor=SYSTEM)
    assert (result.migrated, result.blockers) == (True, ())
    retried = engine.retry_instance(instance_id, actor=SYSTEM)
    assert (retried.version, retried.status.value) == (2, "running")
    assert retried.data["discount"] == 0.15
    [task] = engine.inbox(engine.get_actor("yang.li"))
    assert (task.instance_id, task.bpmn_id) == (instance_id, "confirm_big")


def test_dry_run_of_that_move_changes_nothing(engine: Engine) -> None:
    instance_id = failed_at_start(engine)
    engine.deploy({"discount.dmn": TABLE}, actor=SYSTEM)
    [result] = engine.migrate_instances([instance_id], 2, actor=SYSTEM, dry_run=True)
    assert (result.migrated, result.blockers) == (False, ())
    assert engine.get_instance(instance_id, actor=SYSTEM).version == 1
