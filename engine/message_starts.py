"""Processes that start on a message: which message starts which process.

``schedules.sync`` keeps these rows in step with each deployed version, next to the
timer start schedule; ``Engine.deliver_message`` looks them up by name. Never commits.
"""

from __future__ import annotations

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import MessageStart
from engine.modelcheck import NS


def starts_for(session: Session, name: str) -> list[MessageStart]:
    return list(
        session.scalars(
            select(MessageStart)
            .where(MessageStart.message_name == name)
            .order_by(MessageStart.process_id)
        )
    )


def sync_starts(session: Session, root: etree._Element, process_id: str) -> None:
    """Record the messages that start a process, as its newest deployed version says."""
    names = {
        node.get("name", ""): node.get("id", "")
        for node in root.iterfind("bpmn:message", NS)
    }
    wanted: dict[str, str] = {}
    for start in root.iterfind(f"bpmn:process[@id='{process_id}']/bpmn:startEvent", NS):
        definition = start.find("bpmn:messageEventDefinition", NS)
        if definition is None:
            continue
        ref = definition.get("messageRef", "")
        name = next((n for n, i in names.items() if i == ref), start.get("name") or ref)
        wanted[name] = start.get("id", "")
    existing = {
        r.message_name: r
        for r in session.scalars(
            select(MessageStart).where(MessageStart.process_id == process_id)
        )
    }
    for name, row in existing.items():
        if name not in wanted:
            session.delete(row)
    for name, bpmn_id in wanted.items():
        if name not in existing:
            session.add(
                MessageStart(process_id=process_id, bpmn_id=bpmn_id, message_name=name)
            )
        else:
            existing[name].bpmn_id = bpmn_id
