"""Messages kept before migration 0013 get the expiry job newer ones get when kept."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from deadlinekit import with_config
from sqlalchemy import insert, select

from engine import Engine, schema
from engine.audit_records import AuditFilter
from engine.db import make_sessionmaker
from engine.models import InboundMessage, Job
from engine.records import SYSTEM

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def message(state: str, key: str) -> dict[str, object]:
    return {"message_name": "customer_feedback", "correlation_key": key,
            "payload": {"rating": 3}, "state": state, "received_at": T0,
            "expires_at": T0 + timedelta(days=7), "sent_by": "system",
            "delivered_to": None, "delivered_at": None}


@pytest.fixture
def upgraded_with_old_messages(database_url: str) -> Iterator[Engine]:
    """A database at 0012 holding a kept and a delivered message, then upgraded."""
    sessions = make_sessionmaker(database_url)
    schema.upgrade(sessions, "0012")
    with sessions.begin() as session:
        session.execute(insert(InboundMessage), [message("kept", "C-1"),
                                                 message("delivered", "C-2")])
    schema.upgrade(sessions)
    engine = Engine(sessions)
    yield engine
    engine.close()


def test_only_the_still_kept_message_gets_an_expiry_job_due_at_its_expiry(
        upgraded_with_old_messages: Engine) -> None:
    with upgraded_with_old_messages.sessions() as session:
        kept = session.scalars(select(InboundMessage).where(
            InboundMessage.state == "kept")).one()
        jobs = session.scalars(select(Job)).all()
    assert [(j.kind, j.key, j.payload, j.state, j.run_at) for j in jobs] == [
        ("expire_message", f"expire:{kept.id}", {"message_id": kept.id}, "pending",
         T0 + timedelta(days=7))]


def test_the_old_message_then_expires_on_the_audit_trail(
        upgraded_with_old_messages: Engine) -> None:
    deadlines = with_config(upgraded_with_old_messages)
    with time_machine.travel(T0 + timedelta(days=8), tick=False):
        assert deadlines.run_due_jobs() == 1
    states = {m.correlation_key: m.state for m in deadlines.list_messages(actor=SYSTEM)}
    assert states == {"C-1": "expired", "C-2": "delivered"}
    only = AuditFilter(event_types=("message_expired",))
    [event] = deadlines.search_audit(only, actor=SYSTEM).entries
    assert event.payload["key"] == "C-1"
