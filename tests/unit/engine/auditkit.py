"""Helpers for the audit tests: an Engine with the auditor API, a clock, and tampering.

``AuditingEngine`` mixes ``AuditAPI`` in the way ``engine/core.py`` will; tampering goes
straight to the database, switching the append-only triggers off like a rogue DBA would.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import insert, text

from engine import Actor, Engine
from engine._audit_api import AuditAPI
from engine.models import AuditEvent

SQLITE_TRIGGERS = ("audit_event_no_update", "audit_event_no_delete")
REQUEST = {"item": "chair", "amount": "300.00"}


class AuditingEngine(Engine, AuditAPI):
    """The Engine with the auditor API mixed in."""


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def auditing(
    engine: Engine, clock: Callable[[], datetime] | None = None
) -> AuditingEngine:
    """An AuditingEngine on the same database (and forms) as ``engine``."""
    if clock is None:
        return AuditingEngine(engine.sessions, forms_dir=engine._forms_dir)
    return AuditingEngine(engine.sessions, forms_dir=engine._forms_dir, clock=clock)


def tamper(
    engine: Engine,
    *statements: str,
    rows: list[dict[str, Any]] | None = None,
    **params: Any,
) -> None:
    """Run SQL against audit_event with the append-only triggers switched off."""
    with engine.sessions.kw["bind"].begin() as conn:
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
        else:
            for name in SQLITE_TRIGGERS:
                conn.execute(text(f"DROP TRIGGER {name}"))
        for statement in statements:
            conn.execute(text(statement), params)
        if rows:
            conn.execute(insert(AuditEvent), rows)
        if postgres:
            conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER USER"))
        else:
            for name, verb in zip(SQLITE_TRIGGERS, ("UPDATE", "DELETE")):
                refuse = f"RAISE(ABORT, 'audit_event is append-only: {verb} refused')"
                conn.execute(
                    text(
                        f"CREATE TRIGGER {name} BEFORE {verb} ON audit_event "
                        f"BEGIN SELECT {refuse}; END"
                    )
                )


def event_rows(engine: Engine) -> list[Any]:
    """(id, seq, instance_id, prev_hash, row_hash) of every event in chain order."""
    with engine.sessions.kw["bind"].connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT id, seq, instance_id, prev_hash, row_hash, event_type "
                    "FROM audit_event ORDER BY seq"
                )
            )
        )


def run_purchase(
    engine: Engine,
    actor: Callable[[str], Actor],
    *,
    key: str = "PO-1",
    starter: str = "zhang.wei",
    supervisor: str = "li.na",
    decision: str = "approve",
    clock: Clock | None = None,
) -> int:
    """Start and finish one two-approver purchase; return the instance id."""
    staff, manager = actor(starter), actor("wang.fang")
    instance = engine.start_instance("two_approver", {}, actor=staff, business_key=key)
    steps = [
        (staff, REQUEST),
        (
            actor(supervisor),
            {"supervisor_decision": decision, "supervisor_opinion": "ok"},
        ),
        (manager, {"manager_decision": "approve"}),
    ]
    for who, data in steps:
        if clock is not None:
            clock.advance(hours=5)
        tasks = [t for t in engine.inbox(who) if t.instance_id == instance.id]
        if not tasks:
            break
        engine.complete_task(tasks[0].id, data, actor=who)
    return instance.id
