"""What saving an instance owes the deadline machinery, in the same transaction.

``instances.save`` calls ``after_save`` next to the timer rows: the message
subscriptions follow the workflow, and the person who started an instance hears when it
finishes. Never commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine import deadline_config, messages, notifications
from engine.models import ProcessInstance
from engine.records import InstanceStatus


def after_save(
    session: Session,
    row: ProcessInstance,
    workflow: Any,
    *,
    finished: bool,
    now: datetime,
) -> None:
    """Sync message subscriptions; announce an instance that finished in this step."""
    config = deadline_config.of(session)
    messages.sync(session, row, workflow, finished=finished, now=now, config=config)
    if (
        finished
        and row.status == InstanceStatus.COMPLETED.value
        and row.ended_at == now
    ):
        notifications.instance_finished(session, row, now=now, config=config)
