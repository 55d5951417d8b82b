"""The audit hash chain: canonical event content, link hashes, and verification.

Each event's content is hashed in one canonical JSON form; each link hashes the previous
link, the event's instance and that content hash, so altering, deleting, inserting or
moving an event breaks the chain there. This format is a permanent contract (migrations,
exports and ``bench/`` use it too). Only reads; never writes or commits.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from engine.audit_records import ChainProblem, ProblemKind, VerificationResult
from engine.models import AuditChainHead, AuditEvent

GENESIS = "0" * 64
FORMAT_VERSION = 1
HEAD_ID = 1
CONTENT_FIELDS = (
    "id",
    "seq",
    "at",
    "actor",
    "event_type",
    "process_id",
    "business_key",
    "instance_id",
    "task_id",
    "bpmn_id",
    "payload",
)
_BATCH = 5000
_COLUMNS = [
    AuditEvent.__table__.c[name]
    for name in (*CONTENT_FIELDS, "prev_hash", "content_hash", "row_hash")
]


def format_at(at: datetime | str) -> str:
    """UTC with microseconds and ``Z``: the one text form of a time that is hashed."""
    if isinstance(at, str):
        return at
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(content: Mapping[str, Any]) -> bytes:
    """The bytes that get hashed: sorted keys, no spaces, UTF-8, no NaN."""
    body = {name: content[name] for name in CONTENT_FIELDS}
    body["at"] = format_at(body["at"])
    body["v"] = FORMAT_VERSION
    return json.dumps(
        body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def content_hash(content: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(content)).hexdigest()


def link_hash(prev_hash: str, instance_id: int | None, digest: str) -> str:
    """Chain one event to the previous link; the instance id is bound so that an export
    can prove it holds every event of its instance between two links."""
    owner = "" if instance_id is None else str(instance_id)
    return hashlib.sha256(f"{prev_hash}|{owner}|{digest}".encode("ascii")).hexdigest()


def content_of(row: AuditEvent | Row[Any]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in CONTENT_FIELDS}


def verify(session: Session) -> VerificationResult:
    """Walk the chain in ``seq`` order; report the first event that does not fit."""
    head = session.get(AuditChainHead, HEAD_ID)
    head_seq, head_hash = (head.seq, head.row_hash) if head else (0, GENESIS)
    expected_seq, checked = 1, 0
    last: Row[Any] | None = None
    for row in _walk(session):
        problem = _check(session, row, last, expected_seq, head_seq)
        if problem is not None:
            return VerificationResult(False, checked, head_seq, head_hash, problem)
        expected_seq, checked, last = row.seq + 1, checked + 1, row
    problem = _check_head(last, head_seq, head_hash)
    return VerificationResult(problem is None, checked, head_seq, head_hash, problem)


def _walk(session: Session) -> Iterator[Row[Any]]:
    """Every event in chain order as plain rows, in batches (flat memory, no ORM)."""
    after = None
    while True:
        query = select(*_COLUMNS).order_by(AuditEvent.seq).limit(_BATCH)
        if after is not None:
            query = query.where(AuditEvent.seq > after)
        rows = session.execute(query).all()
        yield from rows
        if len(rows) < _BATCH:
            return
        after = rows[-1].seq


def _problem(
    kind: ProblemKind,
    row: Row[Any] | AuditEvent | None,
    detail: str,
    seq: int | None = None,
) -> ChainProblem:
    return ChainProblem(kind, row.id if row else None, row.seq if row else seq, detail)


def _check(
    session: Session,
    row: Row[Any],
    previous: Row[Any] | None,
    expected_seq: int,
    head_seq: int,
) -> ChainProblem | None:
    expected_prev = previous.row_hash if previous is not None else GENESIS
    if row.seq > head_seq:
        return _problem(
            ProblemKind.INSERTED,
            row,
            f"seq {row.seq} lies beyond the chain head (seq {head_seq})",
        )
    intact = (
        content_hash(content_of(row)) == row.content_hash
        and link_hash(row.prev_hash, row.instance_id, row.content_hash) == row.row_hash
    )
    if row.prev_hash != expected_prev:
        return _broken_link(session, row, previous, expected_seq, intact)
    if row.seq != expected_seq:
        return _problem(ProblemKind.DELETED, row, _missing(expected_seq, row.seq))
    if not intact:
        return _problem(
            ProblemKind.ALTERED, row, "its content no longer matches its hash"
        )
    return None


def _broken_link(
    session: Session,
    row: Row[Any],
    previous: Row[Any] | None,
    expected_seq: int,
    intact: bool,
) -> ChainProblem:
    """Tell apart why ``row`` does not follow ``previous``, the last good event."""
    expected_prev = previous.row_hash if previous is not None else GENESIS
    target = session.execute(
        select(AuditEvent.id, AuditEvent.seq).where(
            AuditEvent.row_hash == row.prev_hash
        )
    ).first()
    if target is not None and target.seq > row.seq:
        return _problem(
            ProblemKind.REORDERED,
            row,
            f"it was written after event {target.id} but now comes before it",
        )
    if target is not None:
        forged = session.scalar(
            select(AuditEvent)
            .where(AuditEvent.seq > target.seq)
            .order_by(AuditEvent.seq)
            .limit(1)
        )
        return _problem(
            ProblemKind.INSERTED,
            forged,
            f"it sits between event {target.id} and event {row.id}, "
            "which were written one after the other",
        )
    follower = session.scalar(
        select(AuditEvent.id)
        .where(AuditEvent.prev_hash == expected_prev, AuditEvent.seq > row.seq)
        .limit(1)
    )
    if follower is not None:
        return _problem(
            ProblemKind.INSERTED,
            row,
            f"the chain continues at event {follower} without it",
        )
    if intact and row.seq > expected_seq:
        return _problem(ProblemKind.DELETED, row, _missing(expected_seq, row.seq))
    if intact and previous is not None:
        return _problem(
            ProblemKind.ALTERED,
            previous,
            f"its hash was rewritten: event {row.id} was chained to another hash",
        )
    return _problem(
        ProblemKind.ALTERED, row, "its content and its link no longer match"
    )


def _missing(expected_seq: int, seq: int) -> str:
    span = (
        str(expected_seq) if seq == expected_seq + 1 else f"{expected_seq}..{seq - 1}"
    )
    return f"the event(s) at seq {span} before it are missing"


def _check_head(
    last: Row[Any] | None, head_seq: int, head_hash: str
) -> ChainProblem | None:
    last_seq = last.seq if last else 0
    last_hash = last.row_hash if last else GENESIS
    if last_seq == head_seq and last_hash == head_hash:
        return None
    if head_seq > last_seq:
        return _problem(
            ProblemKind.DELETED,
            last,
            f"the chain head says seq {head_seq} but the trail ends at "
            f"seq {last_seq}: the newest event(s) are missing",
            seq=last_seq,
        )
    return _problem(
        ProblemKind.ALTERED, last, "the newest event no longer matches the chain head"
    )
