"""The audit hash chain: intact after real work, and every kind of tampering is caught,
on SQLite and PostgreSQL, in the database and in exported files."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from auditkit import AuditingEngine, auditing, event_rows, run_purchase, tamper
from sqlalchemy import create_engine, exc, select, text

from engine import Actor, Engine, NotAuthorized, audit, auditchain
from engine._base import data_digest
from engine.audit import AuditType
from engine.audit_records import ProblemKind
from engine.cli import main
from engine.db import make_sessionmaker
from engine.models import AuditEvent
from engine.records import Role
from engine.schema import alembic_config, upgrade

AT = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def trail(purchase: Engine, actor: Callable[[str], Actor]) -> AuditingEngine:
    """An auditing engine whose trail holds two finished purchases."""
    auditor = auditing(purchase)
    run_purchase(auditor, actor, key="PO-1")
    run_purchase(auditor, actor, key="PO-2")
    return auditor


def test_chain_verifies_after_real_work(
    trail: AuditingEngine, actor: Callable[[str], Actor]
) -> None:
    result = trail.verify_audit_chain(actor=actor("auditor"))
    rows = event_rows(trail)
    assert result.ok and result.problem is None
    assert result.checked == len(rows) > 10
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert (result.head_seq, result.head_hash) == (rows[-1].seq, rows[-1].row_hash)
    assert all(b.prev_hash == a.row_hash for a, b in zip(rows, rows[1:]))


def test_altered_payload_is_reported_with_its_event_id(
    trail: AuditingEngine, actor: Callable[[str], Actor]
) -> None:
    target = event_rows(trail)[7]
    tamper(
        trail,
        "UPDATE audit_event SET payload = :p WHERE id = :id",
        p='{"data": {"amount": "1.00"}}',
        id=target.id,
    )
    result = trail.verify_audit_chain(actor=actor("auditor"))
    assert not result.ok and result.problem is not None
    assert (result.problem.kind, result.problem.event_id) == (
        ProblemKind.ALTERED,
        target.id,
    )


def test_altered_actor_with_rehashed_content_is_still_caught(
    trail: AuditingEngine, actor: Callable[[str], Actor]
) -> None:
    target = event_rows(trail)[5]
    with trail.sessions() as session:
        row = session.get(AuditEvent, target.id)
        assert row is not None
        content = dict(auditchain.content_of(row), actor="someone.else")
    digest = auditchain.content_hash(content)
    tamper(
        trail,
        "UPDATE audit_event SET actor = 'someone.else', content_hash = :d, "
        "row_hash = :h WHERE id = :id",
        d=digest,
        h=auditchain.link_hash(target.prev_hash, target.instance_id, digest),
        id=target.id,
    )
    problem = trail.verify_audit_chain(actor=actor("auditor")).problem
    assert problem is not None and problem.kind is ProblemKind.ALTERED
    assert problem.event_id == target.id  # found because the next link no longer fits


def test_deleted_event_is_reported_at_the_event_after_the_gap(
    trail: AuditingEngine, actor: Callable[[str], Actor]
) -> None:
    rows = event_rows(trail)
    tamper(trail, "DELETE FROM audit_event WHERE id = :id", id=rows[4].id)
    problem = trail.verify_audit_chain(actor=actor("auditor")).problem
    assert problem is not None
    assert (problem.kind, problem.event_id) == (ProblemKind.DELETED, rows[5].id)
    assert f"seq {rows[4].seq} " in problem.detail


def test_deleted_newest_event_is_reported_against_the_chain_head(
    trail: AuditingEngine, actor: Callable[[str], Actor]
) -> None:
    rows = event_rows(trail)
    tamper(trail, "DELETE FROM audit_event WHERE id = :id", id=rows[-1].id)
    problem = trail.verify_audit_chain(actor=actor("auditor")).problem
    assert problem is not None
    assert (problem.kind, problem.event_id) == (ProblemKind.DELETED, rows[-2].id)


def forged(
    row_id: int, seq: int, prev_hash: str, instance_id: int | None
) -> dict[str, object]:
    content = {
        "id": row_id,
        "seq": seq,
        "at": AT,
        "actor": "mallory",
        "event_type": "task_completed",
        "process_id": None,
        "business_key": None,
        "instance_id": instance_id,
        "task_id": None,
        "bpmn_id": "approve_by_manager",
        "payload": {"data": {"manager_decision": "approve"}},
    }
    digest = auditchain.content_hash(content)
    return dict(
        content,
        prev_hash=prev_hash,
        content_hash=digest,
        row_hash=auditchain.link_hash(prev_hash, instance_id, digest),
    )


def test_forged_event_appended_with_valid_hashes_is_reported_as_inserted(
    trail: AuditingEngine, actor: Callable[[str], Actor]
) -> None:
    last = event_rows(trail)[-1]
    tamper(trail, rows=[forged(last.id + 100, last.seq + 1, last.row_hash, None)])
    problem = trail.verify_audit_chain(actor=actor("auditor")).problem
    assert problem is not None
    assert (problem.kind, problem.event_id) == (ProblemKind.INSERTED, last.id + 100)


def test_forged_event_inserted_mid_chain_is_reported_as_inserted(
    trail: AuditingEngine, actor: Callable[[str], Actor]
) -> None:
    rows = event_rows(trail)
    shift = [
        f"UPDATE audit_event SET seq = seq + 1 WHERE id = {r.id}" for r in rows[:5:-1]
    ]
    tamper(
        trail,
        *shift,
        rows=[
            forged(
                rows[-1].id + 100, rows[6].seq, rows[5].row_hash, rows[5].instance_id
            )
        ],
    )
    problem = trail.verify_audit_chain(actor=actor("auditor")).problem
    assert problem is not None
    assert (problem.kind, problem.event_id) == (ProblemKind.INSERTED, rows[-1].id + 100)


def test_naive_forged_event_with_garbage_hashes_is_reported_as_inserted(
    trail: AuditingEngine, actor: Callable[[str], Actor]
) -> None:
    rows = event_rows(trail)
    shift = [
        f"UPDATE audit_event SET seq = seq + 1 WHERE id = {r.id}" for r in rows[:2:-1]
    ]
    row = dict(forged(rows[-1].id + 7, rows[3].seq, "f" * 64, None), row_hash="e" * 64)
    tamper(trail, *shift, rows=[row])
    problem = trail.verify_audit_chain(actor=actor("auditor")).problem
    assert problem is not None
    assert (problem.kind, problem.event_id) == (ProblemKind.INSERTED, rows[-1].id + 7)


def test_swapped_events_are_reported_as_reordered(
    trail: AuditingEngine, actor: Callable[[str], Actor]
) -> None:
    rows = event_rows(trail)
    first, second = rows[8], rows[9]
    tamper(
        trail,
        "UPDATE audit_event SET seq = -1 WHERE id = :a",
        "UPDATE audit_event SET seq = :sa WHERE id = :b",
        "UPDATE audit_event SET seq = :sb WHERE id = :a",
        a=first.id,
        b=second.id,
        sa=first.seq,
        sb=second.seq,
    )
    problem = trail.verify_audit_chain(actor=actor("auditor")).problem
    assert problem is not None
    assert (problem.kind, problem.event_id) == (ProblemKind.REORDERED, second.id)


def test_database_refuses_update_and_delete_of_audit_rows(
    trail: AuditingEngine,
) -> None:
    bind = trail.sessions.kw["bind"]
    for statement in ("UPDATE audit_event SET actor = 'x'", "DELETE FROM audit_event"):
        with pytest.raises(exc.DBAPIError, match="append-only"):
            with bind.begin() as conn:
                conn.execute(text(statement))
    assert len(event_rows(trail)) > 10


def test_task_completion_records_hash_of_submitted_data_and_form_version(
    trail: AuditingEngine, actor: Callable[[str], Actor]
) -> None:
    page = trail.search_audit(actor=actor("auditor"), limit=500)
    completions = [e for e in page.entries if e.event_type == "task_completed"]
    assert len(completions) == 6
    for entry in completions:
        assert entry.payload["data_sha256"] == data_digest(entry.payload["data"])
        assert len(str(entry.payload["form_version"])) == 64


def test_concurrent_writers_keep_one_unbroken_chain(
    engine: Engine, actor: Callable[[str], Actor]
) -> None:
    auditor = auditing(engine)
    before = len(event_rows(engine))
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        barrier.wait()
        try:
            for n in range(15):
                with engine.sessions.begin() as session:
                    for k in range(2):
                        audit.record(
                            session,
                            AuditType.TASK_CLAIMED,
                            actor=f"w{worker}",
                            at=AT,
                            payload={"n": n, "k": k},
                        )
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    result = auditor.verify_audit_chain(actor=actor("auditor"))
    assert result.ok, result.problem
    assert result.checked == before + 6 * 15 * 2


def test_open_transaction_does_not_hold_the_chain_until_it_commits(
    engine: Engine, actor: Callable[[str], Actor], database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serialises all writers with BEGIN IMMEDIATE anyway")
    slow = engine.sessions()
    slow.begin()
    audit.record(slow, AuditType.TASK_CLAIMED, actor="slow", at=AT)
    slow.flush()
    done = threading.Event()

    def quick() -> None:
        with engine.sessions.begin() as session:
            audit.record(session, AuditType.TASK_CLAIMED, actor="quick", at=AT)
        done.set()

    thread = threading.Thread(target=quick)
    thread.start()
    assert done.wait(timeout=10), "a writer waited for another transaction's chain lock"
    slow.commit()
    slow.close()
    thread.join()
    rows = event_rows(engine)
    assert [r.seq for r in rows][-2:] == [len(rows) - 1, len(rows)]
    assert auditing(engine).verify_audit_chain(actor=actor("auditor")).ok


def test_rolled_back_work_leaves_no_event_and_no_gap(
    purchase: Engine, actor: Callable[[str], Actor]
) -> None:
    with pytest.raises(RuntimeError):
        with purchase.sessions.begin() as session:
            audit.record(session, AuditType.TASK_CLAIMED, actor="x", at=AT)
            raise RuntimeError("boom")
    with purchase.sessions.begin() as session:
        audit.record(session, AuditType.TASK_CLAIMED, actor="y", at=AT)
    rows = event_rows(purchase)
    assert rows[-1].seq == len(rows) and "x" not in {r.event_type for r in rows}
    assert auditing(purchase).verify_audit_chain(actor=actor("auditor")).ok


def test_staff_may_not_verify_or_read_the_chain(
    trail: AuditingEngine, actor: Callable[[str], Actor]
) -> None:
    with pytest.raises(NotAuthorized):
        trail.verify_audit_chain(actor=actor("zhang.wei"))
    with pytest.raises(NotAuthorized):
        trail.export_instance_record(1, actor=actor("li.na"))


def test_migration_chains_events_written_before_it(database_url: str) -> None:
    before = (
        ScriptDirectory.from_config(alembic_config()).get_revision("0003").down_revision
    )
    sessions = make_sessionmaker(database_url)
    upgrade(sessions, str(before))
    old = [
        {
            "id": i,
            "at": AT,
            "actor": "old",
            "event_type": "user_created",
            "instance_id": None,
            "task_id": None,
            "bpmn_id": None,
            "payload": {"n": i},
        }
        for i in (3, 5, 9)
    ]
    bind = create_engine(database_url)
    with bind.begin() as conn:
        for row in old:
            conn.execute(
                text(
                    "INSERT INTO audit_event (id, at, actor, event_type, payload) "
                    "VALUES (:id, :at, :actor, :event_type, :payload)"
                ),
                dict(
                    row,
                    at=AT.replace(tzinfo=None) if bind.dialect.name == "sqlite" else AT,
                    payload=json.dumps(row["payload"]),
                ),
            )
    bind.dispose()
    upgrade(sessions)
    engine = AuditingEngine(sessions)
    with sessions.begin() as session:
        audit.record(session, AuditType.USER_CREATED, actor="new", at=AT)
    result = engine.verify_audit_chain(actor=Actor("a", role=Role.AUDITOR))
    engine.close()
    assert result.ok and result.checked == 4, result


def test_exported_record_verifies_offline(
    trail: AuditingEngine, actor: Callable[[str], Actor]
) -> None:
    data = trail.export_instance_record(1, actor=actor("auditor"))
    result = trail.verify_audit_file(data)
    document = json.loads(data)
    assert result.ok and result.source == "file"
    assert result.checked == len(document["events"]) > 5
    assert {e["instance_id"] for e in document["events"]} == {1}


def test_tampered_record_file_is_reported_with_event_id(
    trail: AuditingEngine, actor: Callable[[str], Actor]
) -> None:
    document = json.loads(trail.export_instance_record(1, actor=actor("auditor")))
    victim = next(e for e in document["events"] if e["event_type"] == "task_completed")
    victim["payload"]["data"]["amount"] = "3.00"
    result = trail.verify_audit_file(json.dumps(document).encode())
    assert result.problem is not None
    assert (result.problem.kind, result.problem.event_id) == (
        ProblemKind.ALTERED,
        victim["id"],
    )
    document = json.loads(trail.export_instance_record(1, actor=actor("auditor")))
    dropped = document["events"].pop(3)
    problem = trail.verify_audit_file(json.dumps(document).encode()).problem
    assert problem is not None
    assert (problem.kind, problem.seq) == (ProblemKind.DELETED, dropped["seq"])


def test_cli_verify_exits_non_zero_on_a_broken_chain_or_file(
    trail: AuditingEngine, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["audit", "verify", "--as", "auditor"], engine=trail) == 0
    assert "audit chain intact" in capsys.readouterr().out
    record = tmp_path / "record.json"
    assert (
        main(
            [
                "audit",
                "export",
                "--record",
                "1",
                "--output",
                str(record),
                "--as",
                "auditor",
            ],
            engine=trail,
        )
        == 0
    )
    assert main(["audit", "verify", "--file", str(record)], engine=trail) == 0
    record.write_text(record.read_text().replace('"chair"', '"table"'))
    assert main(["audit", "verify", "--file", str(record)], engine=trail) == 3
    target = event_rows(trail)[3]
    tamper(trail, "DELETE FROM audit_event WHERE id = :id", id=target.id)
    capsys.readouterr()
    assert main(["audit", "verify", "--as", "auditor"], engine=trail) == 3
    assert f"event {event_rows(trail)[3].id} " in capsys.readouterr().out
    assert main(["audit", "--instance", "1"], engine=trail) == 0


@pytest.mark.parametrize("count", [1, 32, 33, 200])
def test_chain_verifies_whatever_number_of_events_one_commit_appends(
    trail: AuditingEngine, actor: Callable[[str], Actor], count: int
) -> None:
    before = len(event_rows(trail))
    with trail.sessions.begin() as session:
        for number in range(count):
            audit.record(session, AuditType.USER_UPDATED, actor="admin", at=AT,
                         payload={"number": number, "note": "批量"})
    rows = event_rows(trail)
    with trail.sessions() as session:
        payloads = session.scalars(select(AuditEvent.payload).order_by(AuditEvent.seq))
        assert [p["number"] for p in list(payloads)[before:]] == list(range(count))
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert [r.id for r in rows] == sorted(r.id for r in rows)
    assert trail.verify_audit_chain(actor=actor("auditor")).ok
