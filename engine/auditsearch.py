"""Auditor search over the trail: keyset pages and streamed CSV / JSON Lines exports.

Every query orders by (at, seq) and pages by keyset on an index that ends in
(at, seq), so the millionth page costs what the first does. Never writes or commits.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Select, literal, or_, select, tuple_
from sqlalchemy.orm import Session

from engine import auditchain, deadline_config
from engine.audit_records import AuditFilter, AuditPage, ChainEntry
from engine.calendar import day_bound
from engine.db import UTCDateTime
from engine.errors import InvalidInput
from engine.models import AppUser, AuditEvent
from engine.records import SYSTEM
from engine.values import plain

MAX_PAGE = 500
EXPORT_BATCH = 1000
# seq first: the order an auditor reads the chain in.
CSV_COLUMNS = ("seq", *(f for f in auditchain.CONTENT_FIELDS if f != "seq"), "prev_hash",
               "content_hash", "row_hash")
# The header says what the times are: UTC, written like 2026-11-22T19:02:00.000000Z.
CSV_HEADER = tuple("at_utc" if c == "at" else c for c in CSV_COLUMNS)
FORMATS = ("csv", "jsonl")
# Excel reads a CSV file as UTF-8 (and so shows Chinese) only when it starts with this.
BOM = "\ufeff"
# A cell starting with one of these is run as a formula by spreadsheet programs; text
# such as a name typed at the sign-in page must not be (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def to_chain_entry(row: AuditEvent) -> ChainEntry:
    return ChainEntry(
        id=row.id,
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        event_type=row.event_type,
        process_id=row.process_id,
        business_key=row.business_key,
        instance_id=row.instance_id,
        task_id=row.task_id,
        bpmn_id=row.bpmn_id,
        payload=row.payload,
        prev_hash=row.prev_hash,
        content_hash=row.content_hash,
        row_hash=row.row_hash,
    )


def entry_document(entry: ChainEntry) -> dict[str, Any]:
    """The JSON form of an event: hashable content plus its chain fields."""
    return {
        "id": entry.id,
        "seq": entry.seq,
        "at": auditchain.format_at(entry.at),
        "actor": entry.actor,
        "event_type": entry.event_type,
        "process_id": entry.process_id,
        "business_key": entry.business_key,
        "instance_id": entry.instance_id,
        "task_id": entry.task_id,
        "bpmn_id": entry.bpmn_id,
        "payload": plain(entry.payload),
        "prev_hash": entry.prev_hash,
        "content_hash": entry.content_hash,
        "row_hash": entry.row_hash,
    }


def filtered(filters: AuditFilter, zone: tzinfo) -> Select[AuditEvent]:
    """The events matching ``filters``, not yet ordered; days are office days in
    ``zone``."""
    query = select(AuditEvent)
    equal = {
        AuditEvent.process_id: filters.process_id,
        AuditEvent.instance_id: filters.instance_id,
        AuditEvent.business_key: filters.business_key,
    }
    for column, value in equal.items():
        if value is not None and value != "":
            query = query.where(column == value)
    if filters.user:
        query = query.where(by_user(filters.user))
    if filters.event_types:
        query = query.where(AuditEvent.event_type.in_(list(filters.event_types)))
    since = day_bound(filters.since, zone)
    until = day_bound(filters.until, zone, end=True)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    if until is not None:
        query = query.where(AuditEvent.at < until)
    return query


def by_user(text: str) -> ColumnElement[bool]:
    """Events by the user named ``text``, or by users whose user name or display name
    starts with it ("zhao", "赵敏"). Names are looked up among the users, so the
    actor column is still matched by equality (its index keeps paging cheap)."""
    names = select(AppUser.username).where(
        or_(
            AppUser.username.startswith(text.lower(), autoescape=True),
            AppUser.display_name.istartswith(text, autoescape=True),
        )
    )
    exact = [text, SYSTEM.username] if SYSTEM.username.startswith(text) else [text]
    return or_(AuditEvent.actor.in_(exact), AuditEvent.actor.in_(names))


def office_zone(session: Session) -> tzinfo:
    """The time zone office days are counted in (the engine's configured one)."""
    return deadline_config.of(session).zone


def _position(at: datetime, seq: int) -> Any:
    return tuple_(literal(at, UTCDateTime()), literal(seq, BigInteger()))


def encode_cursor(entry: ChainEntry) -> str:
    return f"{auditchain.format_at(entry.at)}~{entry.seq}"


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        at_text, seq_text = cursor.split("~", 1)
        return datetime.fromisoformat(at_text.replace("Z", "+00:00")), int(seq_text)
    except ValueError as exc:
        raise InvalidInput(f"{cursor!r} is not a page cursor") from exc


def search(
    session: Session,
    filters: AuditFilter,
    *,
    cursor: str | None = None,
    limit: int = 50,
) -> AuditPage:
    """One page of matching events, newest first, after ``cursor`` when given."""
    limit = max(1, min(limit, MAX_PAGE))
    query = filtered(filters, office_zone(session)).order_by(
        AuditEvent.at.desc(), AuditEvent.seq.desc()
    )
    if cursor:
        at, seq = decode_cursor(cursor)
        query = query.where(tuple_(AuditEvent.at, AuditEvent.seq) < _position(at, seq))
    rows = list(session.scalars(query.limit(limit + 1)))
    entries = tuple(to_chain_entry(r) for r in rows[:limit])
    more = len(rows) > limit
    return AuditPage(
        entries=entries, next_cursor=encode_cursor(entries[-1]) if more else None
    )


def iter_entries(
    session: Session, filters: AuditFilter, *, batch: int = EXPORT_BATCH
) -> Iterator[ChainEntry]:
    """Every matching event, oldest first, fetched in keyset batches (flat memory)."""
    base = (
        filtered(filters, office_zone(session))
        .order_by(AuditEvent.at, AuditEvent.seq)
        .limit(batch)
    )
    after: tuple[datetime, int] | None = None
    while True:
        query = base
        if after is not None:
            query = query.where(
                tuple_(AuditEvent.at, AuditEvent.seq) > _position(*after)
            )
        rows = [to_chain_entry(r) for r in session.scalars(query)]
        session.expunge_all()
        yield from rows
        if len(rows) < batch:
            return
        after = (rows[-1].at, rows[-1].seq)


def export_csv(
    entries: Iterator[ChainEntry], *, batch: int = EXPORT_BATCH
) -> Iterator[str]:
    """CSV text in chunks: a byte order mark and a header, then one row per event
    (times in UTC, payload as JSON, formula-like text defused by ``csv_cell``)."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for count, entry in enumerate(entries, start=1):
        document = entry_document(entry)
        document["payload"] = json.dumps(
            document["payload"], ensure_ascii=False, sort_keys=True
        )
        writer.writerow([csv_cell(document[c]) for c in CSV_COLUMNS])
        if count % batch == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_cell(value: Any) -> Any:
    """A value as a spreadsheet should show it: text that would start a formula gets
    a leading apostrophe (shown, never run). JSON Lines keep the exact values."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def export_jsonl(entries: Iterator[ChainEntry]) -> Iterator[str]:
    """One JSON object per line, each with its chain hashes; ``at`` is UTC (``Z``)."""
    for entry in entries:
        yield json.dumps(
            entry_document(entry), ensure_ascii=False, sort_keys=True
        ) + "\n"
