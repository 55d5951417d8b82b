"""Audit trail at scale: one million hash-chained events, then auditor query latencies.

Fills a fresh SQLite file and a fresh PostgreSQL database with N events (bulk inserts
that compute the chain exactly as the engine does), then prints the latency of the first
and a deep page of filtered keyset searches, of an instance timeline, of concurrent
appends, and of a full chain verification. Usage: ``python bench/audit.py [--events N]
[--databases sqlite,postgresql] [--no-verify]``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine import Engine, audit, auditchain, demo  # noqa: E402
from engine._audit_api import AuditAPI  # noqa: E402
from engine.audit import AuditType  # noqa: E402
from engine.audit_records import AuditFilter, ChainEntry  # noqa: E402
from engine.auditsearch import encode_cursor, filtered, to_chain_entry  # noqa: E402
from engine.db import make_sessionmaker  # noqa: E402
from engine.models import AuditChainHead, AuditEvent, ProcessVersion  # noqa: E402
from engine.records import SYSTEM  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
START = datetime(2024, 1, 1, tzinfo=timezone.utc)
SPAN = timedelta(days=730)
EVENTS_PER_INSTANCE = 10
PROCESSES = (
    "visit_approval",
    "reception_approval",
    "complaint_handling",
    "service_support",
    "station_payout",
)
USERS = tuple(f"user{n:02d}" for n in range(60))
COLUMNS = (*auditchain.CONTENT_FIELDS, "prev_hash", "content_hash", "row_hash")


class BenchEngine(Engine, AuditAPI):
    """The Engine with the auditor API (as engine/core.py mixes it in)."""


def instance_events(rng: random.Random, instance_id: int) -> list[dict[str, Any]]:
    """Ten events of one approval: start, three tasks created/claimed/completed, end."""
    process = PROCESSES[instance_id % len(PROCESSES)]
    starter, reviewer, manager = rng.sample(USERS, 3)
    at = START + SPAN * rng.random()
    amount = f"{rng.randint(100, 90000)}.{rng.randint(0, 99):02d}"
    steps: list[tuple[str, str, str | None, dict[str, Any]]] = [
        ("instance_started", starter, None, {"data": {"amount": amount}}),
        ("task_created", "system", "submit", {"lane": "staff", "due_at": None}),
        ("task_completed", starter, "submit", {"data": {"amount": amount}}),
        ("task_created", "system", "review", {"lane": "supervisor", "due_at": None}),
        ("task_claimed", reviewer, "review", {}),
        (
            "task_completed",
            reviewer,
            "review",
            {"data": {"review_decision": "approve"}},
        ),
        ("task_created", "system", "approve", {"lane": "manager", "due_at": None}),
        (
            "task_completed",
            manager,
            "approve",
            {"data": {"manager_decision": "approve"}},
        ),
        ("timer_fired", "system", "remind", {"kind": "boundary"}),
        ("instance_completed", manager, None, {}),
    ]
    events = []
    for event_type, actor, bpmn_id, payload in steps:
        at += timedelta(minutes=rng.randint(5, 3000))
        if event_type == "task_created":
            payload = dict(payload, due_at=(at + timedelta(days=3)).isoformat())
        events.append(
            {
                "at": at,
                "actor": actor,
                "event_type": event_type,
                "process_id": process,
                "business_key": f"BK-{instance_id}",
                "instance_id": instance_id,
                "task_id": None,
                "bpmn_id": bpmn_id,
                "payload": payload,
            }
        )
    return events


def chained(
    events: list[dict[str, Any]], seq: int, prev: str, first_id: int
) -> Iterator[dict[str, Any]]:
    """Give each event id, seq and hashes exactly as ``engine.audit.append`` does."""
    for offset, event in enumerate(events):
        content = dict(event, id=first_id + offset, seq=seq + 1 + offset)
        digest = auditchain.content_hash(content)
        link = auditchain.link_hash(prev, event["instance_id"], digest)
        yield dict(content, prev_hash=prev, content_hash=digest, row_hash=link)
        prev = link


def fill(engine: BenchEngine, count: int) -> tuple[int, float]:
    """Deploy one process, add the instances, and bulk-load ``count`` chained events."""
    engine.upgrade_schema()
    demo.ensure_groups(engine)
    engine.deploy(
        {"two_approver.bpmn": (ROOT / "tests/data/two_approver.bpmn").read_bytes()},
        actor=SYSTEM,
    )
    rng = random.Random(7)
    instances = count // EVENTS_PER_INSTANCE
    started = time.perf_counter()
    events = [e for i in range(1, instances + 1) for e in instance_events(rng, i)]
    events.sort(key=lambda e: e["at"])
    bind = engine.sessions.kw["bind"]
    with engine.sessions.begin() as session:
        head = session.get(AuditChainHead, auditchain.HEAD_ID)
        assert head is not None
        seq, prev = head.seq, head.row_hash
        version_id = session.scalar(select(func.min(ProcessVersion.id)))
        first_id = (session.scalar(select(func.max(AuditEvent.id))) or 0) + 1
    rows = chained(events, seq, prev, first_id)
    indexes = _drop_secondary_indexes(bind)
    raw = bind.raw_connection()
    try:
        load = _copy_postgres if bind.dialect.name == "postgresql" else _insert_sqlite
        last = load(raw, rows, instances, int(version_id or 0))
        raw.commit()
    finally:
        raw.close()
    with bind.begin() as conn:
        if bind.dialect.name == "postgresql":
            conn.execute(text("SET maintenance_work_mem = '256MB'"))
        for definition in indexes:
            conn.execute(text(definition))
    with engine.sessions.begin() as session:
        head = session.get(AuditChainHead, auditchain.HEAD_ID)
        assert head is not None
        head.seq, head.row_hash = last["seq"], last["row_hash"]
        if bind.dialect.name == "postgresql":
            session.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('audit_event', " "'id'), :v)"
                ),
                {"v": last["id"]},
            )
    with bind.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    return instances, time.perf_counter() - started


def _drop_secondary_indexes(bind: Any) -> list[str]:
    """Bulk-load practice: drop audit_event's search indexes, return their definitions
    to build again afterwards (the primary key and the unique ``seq`` stay)."""
    if bind.dialect.name == "postgresql":
        listing = (
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = "
            "'audit_event' AND indexdef NOT LIKE 'CREATE UNIQUE%'"
        )
    else:
        listing = (
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND "
            "tbl_name = 'audit_event' AND sql IS NOT NULL"
        )
    with bind.begin() as conn:
        found = list(conn.execute(text(listing)))
        for name, _definition in found:
            conn.execute(text(f'DROP INDEX "{name}"'))
    return [definition for _name, definition in found]


def _instance_rows(instances: int, version_id: int) -> Iterator[tuple[Any, ...]]:
    for i in range(1, instances + 1):
        yield (
            i,
            version_id,
            PROCESSES[i % len(PROCESSES)],
            f"BK-{i}",
            "completed",
            "user00",
            START.isoformat(),
            "{}",
            "bench",
            1,
        )


_INSTANCE_SQL = (
    "process_instance (id, process_version_id, process_id, business_key, "
    "status, started_by, started_at, state, serializer_version, row_version)"
)


def _copy_postgres(
    raw: Any, rows: Iterator[dict[str, Any]], instances: int, version_id: int
) -> dict[str, Any]:
    cursor = raw.cursor()
    with cursor.copy(f"COPY {_INSTANCE_SQL} FROM STDIN") as copy:
        for row in _instance_rows(instances, version_id):
            copy.write_row(row)
    last: dict[str, Any] = {}
    with cursor.copy(f"COPY audit_event ({', '.join(COLUMNS)}) FROM STDIN") as copy:
        for last in rows:
            copy.write_row(
                [json.dumps(last[c]) if c == "payload" else last[c] for c in COLUMNS]
            )
    return last


def _insert_sqlite(
    raw: Any, rows: Iterator[dict[str, Any]], instances: int, version_id: int
) -> dict[str, Any]:
    cursor = raw.cursor()
    cursor.execute("BEGIN")
    cursor.executemany(
        f"INSERT INTO {_INSTANCE_SQL} VALUES (?,?,?,?,?,?,?,?,?,?)",
        _instance_rows(instances, version_id),
    )
    last: dict[str, Any] = {}

    def values() -> Iterator[list[Any]]:
        nonlocal last
        for last in rows:
            yield [
                (
                    json.dumps(last[c])
                    if c == "payload"
                    else (
                        last[c]
                        .astimezone(timezone.utc)
                        .replace(tzinfo=None)
                        .isoformat(" ")
                        if c == "at"
                        else last[c]
                    )
                )
                for c in COLUMNS
            ]

    marks = ", ".join("?" for _ in COLUMNS)
    cursor.executemany(
        f"INSERT INTO audit_event ({', '.join(COLUMNS)}) VALUES ({marks})", values()
    )
    return last


def timed(call: Callable[[], object], repeat: int = 5) -> float:
    """Median wall time in milliseconds (the first, cold call is included)."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def deep_cursor(engine: BenchEngine, filters: AuditFilter, depth: int) -> str:
    """The cursor a user would hold after paging ``depth`` events into the results."""
    query = (
        filtered(filters, timezone.utc)
        .order_by(AuditEvent.at.desc(), AuditEvent.seq.desc())
        .offset(depth - 1)
        .limit(1)
    )
    with engine.sessions.begin() as session:
        row = session.scalars(query).one()
        entry: ChainEntry = to_chain_entry(row)
    return encode_cursor(entry)


def measure(engine: BenchEngine, instances: int) -> list[tuple[str, float]]:
    who = SYSTEM
    month = START + timedelta(days=400)
    searches = {
        "user + type": AuditFilter(user="user07", event_types=("task_completed",)),
        "process + month": AuditFilter(
            process_id="complaint_handling",
            since=month,
            until=month + timedelta(days=31),
        ),
        "whole trail": AuditFilter(),
    }
    results = []
    for label, filters in searches.items():
        page = engine.search_audit(filters, actor=who)
        first = partial(engine.search_audit, filters, actor=who)
        results.append((f"search {label}: first page", timed(first)))
        matching = _count(engine, filters)
        depth = max(1, matching - 50)
        deep = partial(
            engine.search_audit,
            filters,
            actor=who,
            cursor=deep_cursor(engine, filters, depth),
        )
        results.append(
            (f"search {label}: page at depth {depth:,} of {matching:,}", timed(deep))
        )
        assert page.entries
    probe = random.Random(3).sample(range(1, instances + 1), 5)
    results.append(
        (
            "instance timeline (10 events)",
            timed(
                lambda: [engine.instance_timeline(i, actor=who) for i in probe],
                repeat=1,
            )
            / 5,
        )
    )
    return results


def _count(engine: BenchEngine, filters: AuditFilter) -> int:
    with engine.sessions.begin() as session:
        return int(
            session.scalar(
                select(func.count()).select_from(
                    filtered(filters, timezone.utc).subquery()
                )
            )
            or 0
        )


def concurrent_appends(engine: BenchEngine, threads: int = 4, each: int = 100) -> float:
    """Transactions per second with ``threads`` writers appending three events each."""
    at = datetime.now(timezone.utc)

    def work() -> None:
        for _ in range(each):
            with engine.sessions.begin() as session:
                for _event in range(3):
                    audit.record(session, AuditType.TASK_CLAIMED, actor="bench", at=at)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return threads * each / (time.perf_counter() - started)


def database(kind: str, folder: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{folder / 'audit-bench.db'}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('DROP DATABASE IF EXISTS "signoff_bench_audit" WITH (FORCE)'))
        conn.execute(text('CREATE DATABASE "signoff_bench_audit"'))
    admin.dispose()
    return (
        make_url(PG_ADMIN).set(database="signoff_bench_audit").render_as_string(False)
    )


def run(kind: str, count: int, verify: bool, folder: Path) -> None:
    engine = BenchEngine(
        make_sessionmaker(database(kind, folder)),
        forms_dir=ROOT / "tests" / "data" / "forms",
    )
    instances, seconds = fill(engine, count)
    print(
        f"\n== {kind}: {count:,} events in {instances:,} instances, "
        f"filled in {seconds:.1f} s"
    )
    for label, ms in measure(engine, instances):
        print(f"  {label:<58} {ms:8.2f} ms")
    print(
        f"  {'concurrent appends (4 writers, 3 events per commit)':<58} "
        f"{concurrent_appends(engine):8.0f} tx/s"
    )
    if verify:
        started = time.perf_counter()
        result = engine.verify_audit_chain(actor=SYSTEM)
        print(
            f"  {'verify whole chain':<58} {time.perf_counter() - started:8.1f} s  "
            f"({result.summary()[:60]}...)"
        )
        assert result.ok, result.summary()
    engine.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--no-verify", dest="verify", action="store_false")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for kind in args.databases.split(","):
            run(kind, args.events, args.verify, Path(folder))


if __name__ == "__main__":
    main()
