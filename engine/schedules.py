"""Timer start events: the engine's schedule of when to start a new instance.

BPMN gives every occurrence of a timer start event its own instance. SpiffWorkflow would
wait (and for cycles, loop) inside one instance instead, so the engine keeps the schedule
in ``start_timer`` and the start event itself runs as a plain start. Never commits.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent

from engine import message_starts
from engine.durations import parse_duration
from engine.errors import DefinitionInvalid
from engine.models import StartTimer
from engine.modelcheck import NS
from engine.scripting import SandboxEnvironment, ScriptRejected, ScriptTimeout

_CYCLE = re.compile(r"^R(?P<count>\d*)/(?:(?P<start>[^/P][^/]*)/)?(?P<period>P[^/]+)$")


def timer_start(root: etree._Element, process_id: str) -> tuple[str, str, str] | None:
    """(start event id, timeDate|timeDuration|timeCycle, expression) or None."""
    for start in root.iterfind(f"bpmn:process[@id='{process_id}']/bpmn:startEvent", NS):
        timer = start.find("bpmn:timerEventDefinition", NS)
        if timer is None:
            continue
        for kind in ("timeDate", "timeDuration", "timeCycle"):
            node = timer.find(f"bpmn:{kind}", NS)
            if node is not None:
                return start.get("id", ""), kind, (node.text or "").strip()
    return None


def neutralize(spec: Any) -> None:
    """Make timer and message start events plain starts inside instances.

    The engine's schedule (timers) or a delivery (messages, engine/messages.py) is what
    starts such an instance, so inside it the start event has already happened.
    """
    for task_spec in spec.task_specs.values():
        definition = getattr(task_spec, "event_definition", None)
        if isinstance(task_spec, StartEvent) and isinstance(
                definition, (TimerEventDefinition, MessageEventDefinition)):
            task_spec.event_definition = NoneEventDefinition()


def _value(expression: str, file: str, bpmn_id: str) -> str:
    try:
        value = SandboxEnvironment(timeout=1.0).evaluate(expression, {})
    except (SyntaxError, NameError, TypeError, ValueError, AttributeError, LookupError,
            ArithmeticError, ScriptTimeout, ScriptRejected) as exc:
        raise DefinitionInvalid(f"timer start expression must be a constant ISO 8601 text: "
                                f"{exc}", file=file, bpmn_id=bpmn_id) from exc
    if not isinstance(value, str):
        raise DefinitionInvalid("timer start expression must give ISO 8601 text",
                                file=file, bpmn_id=bpmn_id)
    return value.strip()


def first_due(kind: str, value: str, now: datetime) -> datetime | None:
    """When the schedule first fires, from deploy time ``now``; None when never again."""
    if kind == "timeDate":
        at = _datetime(value)
        return at if at > now else None
    if kind == "timeDuration":
        delta = parse_duration(value)
        if delta is None:
            raise ValueError(f"{value!r} is not an ISO 8601 duration")
        return now + delta
    return next_cycle(value, now, fired=0)


def next_cycle(value: str, after: datetime, *, fired: int) -> datetime | None:
    """The first occurrence of an ISO ``R[n]/[start/]period`` cycle later than ``after``."""
    match = _CYCLE.match(value.upper().replace(" ", ""))
    period = parse_duration(match.group("period")) if match else None
    if match is None or period is None:
        raise ValueError(f"{value!r} is not an ISO 8601 repeating interval like "
                         "R/2026-01-01T00:00:00+08:00/P1M")
    count = int(match.group("count")) if match.group("count") else None
    if count is not None and fired >= count:
        return None
    start = _datetime(value.split("/")[1]) if match.group("start") else after + period
    steps = 0
    while start + period * steps <= after:
        steps += 1
    return start + period * steps


def _datetime(text: str) -> datetime:
    at = datetime.fromisoformat(text)
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


def sync(session: Session, root: etree._Element, process_id: str, *, file: str,
         now: datetime) -> None:
    """Create, update or remove how a process starts by itself, as its new version says.

    Timer start events get a schedule row; message start events a ``message_start`` row.
    """
    message_starts.sync_starts(session, root, process_id)
    row = session.scalar(select(StartTimer).where(StartTimer.process_id == process_id))
    found = timer_start(root, process_id)
    if found is None:
        if row is not None:
            session.delete(row)
        return
    bpmn_id, kind, expression = found
    value = _value(expression, file, bpmn_id)
    try:
        due = first_due(kind, value, now)
    except ValueError as exc:
        raise DefinitionInvalid(str(exc), file=file, bpmn_id=bpmn_id) from exc
    text = f"{kind}:{value}"
    if row is None:
        session.add(StartTimer(process_id=process_id, bpmn_id=bpmn_id, expression=text,
                               due_at=due, fired_count=0))
    elif row.expression != text:
        row.bpmn_id, row.expression, row.due_at = bpmn_id, text, due


def due_rows(session: Session, now: datetime, *, limit: int) -> list[StartTimer]:
    query = (select(StartTimer).where(StartTimer.due_at <= now)
             .order_by(StartTimer.due_at).limit(limit))
    return list(session.scalars(query))


def claim(session: Session, now: datetime, *, start_id: int | None = None
          ) -> StartTimer | None:
    """Lock the next due schedule (or the given one if due); skip rows others hold."""
    query = select(StartTimer).where(StartTimer.due_at <= now)
    if start_id is not None:
        query = query.where(StartTimer.id == start_id)
    query = query.order_by(StartTimer.due_at, StartTimer.id).limit(1)
    return session.scalars(query.with_for_update(skip_locked=True)).first()


def advance(row: StartTimer, now: datetime) -> None:
    """After firing: the next occurrence of a cycle (missed ones are not replayed)."""
    row.fired_count += 1
    kind, _, value = row.expression.partition(":")
    row.due_at = next_cycle(value, now, fired=row.fired_count) if kind == "timeCycle" else None
