"""The instance record file: one instance's trail plus the chain segment around it.

The segment holds, for every event between the instance's first and last, only its
instance id and content hash, so a reader can recompute the links offline and see
that no event of the instance is missing, without seeing other instances' data.
Never commits.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.audit_records import ChainProblem, ProblemKind, VerificationResult
from engine.auditchain import (
    FORMAT_VERSION,
    GENESIS,
    content_hash,
    format_at,
    link_hash,
)
from engine.auditsearch import entry_document, to_chain_entry
from engine.errors import InvalidInput, NotFound
from engine.models import AuditEvent, ProcessInstance

RECORD_FORMAT = "signoff-audit-record"


def build(
    session: Session, instance_id: int, *, exported_at: datetime, exported_by: str
) -> bytes:
    """The full trail of one instance with the chain segment that proves it complete."""
    instance = session.get(ProcessInstance, instance_id)
    rows = list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.instance_id == instance_id)
            .order_by(AuditEvent.seq)
        )
    )
    if instance is None and not rows:
        raise NotFound(f"no instance {instance_id}")
    events = [entry_document(to_chain_entry(r)) for r in rows]
    chain: dict[str, Any] = {
        "from_seq": 1,
        "prev_hash": GENESIS,
        "links": [],
        "to_seq": 0,
        "to_hash": GENESIS,
    }
    if rows:
        links = session.execute(
            select(AuditEvent.instance_id, AuditEvent.content_hash)
            .where(AuditEvent.seq.between(rows[0].seq, rows[-1].seq))
            .order_by(AuditEvent.seq)
        )
        chain = {
            "from_seq": rows[0].seq,
            "prev_hash": rows[0].prev_hash,
            "links": [[owner, digest] for owner, digest in links],
            "to_seq": rows[-1].seq,
            "to_hash": rows[-1].row_hash,
        }
    document = {
        "format": RECORD_FORMAT,
        "version": FORMAT_VERSION,
        "exported_at": format_at(exported_at),
        "exported_by": exported_by,
        "instance": _instance_facts(instance, instance_id),
        "events": events,
        "chain": chain,
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def _instance_facts(
    instance: ProcessInstance | None, instance_id: int
) -> dict[str, Any]:
    if instance is None:
        return {"id": instance_id}
    return {
        "id": instance.id,
        "process_id": instance.process_id,
        "business_key": instance.business_key,
        "status": instance.status,
        "started_by": instance.started_by,
        "started_at": format_at(instance.started_at),
        "ended_at": (format_at(instance.ended_at) if instance.ended_at else None),
    }


def verify(data: bytes) -> VerificationResult:
    """Check an exported instance record offline: every event against its hash, the
    links between them, and that no event of the instance is missing in between."""
    try:
        document = json.loads(data)
        events: list[dict[str, Any]] = document["events"]
        chain = document["chain"]
        if document.get("format") != RECORD_FORMAT:
            raise ValueError("format")
        links = _replay_links(chain)
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"not a Signoff audit record file ({exc})") from exc
    instance_id = document.get("instance", {}).get("id")
    problem = _check_record_events(events, links, instance_id)
    checked = len(events) if problem is None else 0
    return VerificationResult(
        problem is None,
        checked,
        int(chain["to_seq"]),
        str(chain["to_hash"]),
        problem,
        source="file",
    )


def _replay_links(chain: Mapping[str, Any]) -> dict[int, tuple[str, Any, str, str]]:
    """Recompute the segment's links: seq -> (prev, instance, digest, hash)."""
    prev, seq = str(chain["prev_hash"]), int(chain["from_seq"])
    links = {}
    for owner, digest in chain["links"]:
        row_hash = link_hash(prev, owner, str(digest))
        links[seq] = (prev, owner, str(digest), row_hash)
        prev, seq = row_hash, seq + 1
    if prev != chain["to_hash"] or seq - 1 != int(chain["to_seq"]):
        raise ValueError("the chain segment does not end at its stated anchor")
    return links


def _check_record_events(
    events: list[dict[str, Any]],
    links: Mapping[int, tuple[str, Any, str, str]],
    instance_id: Any,
) -> ChainProblem | None:
    seen: set[int] = set()
    last_seq = 0
    for event in events:
        seq, event_id = int(event["seq"]), event.get("id")
        link = links.get(seq)
        if link is None or event.get("instance_id") != instance_id or seq in seen:
            return ChainProblem(
                ProblemKind.INSERTED,
                event_id,
                seq,
                "this event is not part of the instance's chain segment",
            )
        if seq < last_seq:
            return ChainProblem(
                ProblemKind.REORDERED,
                event_id,
                seq,
                "it comes after an event that was written later",
            )
        prev, owner, digest, row_hash = link
        if content_hash(event) != digest or (
            event.get("prev_hash"),
            event.get("content_hash"),
            event.get("row_hash"),
            owner,
        ) != (prev, digest, row_hash, instance_id):
            return ChainProblem(
                ProblemKind.ALTERED,
                event_id,
                seq,
                "its content no longer matches its hash",
            )
        seen.add(seq)
        last_seq = seq
    for seq, (_prev, owner, _digest, _hash) in sorted(links.items()):
        if owner == instance_id and seq not in seen:
            return ChainProblem(
                ProblemKind.DELETED,
                None,
                seq,
                f"the chain holds an event of instance {instance_id} at "
                f"seq {seq} that the file does not contain",
            )
    return None
