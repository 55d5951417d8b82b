"""Rows written with one plain statement stay current in the session (engine/corewrites)."""

from __future__ import annotations

import pytest
from modelkit import chain, process, statements, user_task
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from engine import Engine, corewrites, directsql
from engine.models import ProcessInstance, UserGroup
from engine.records import SYSTEM


def verbs(seen: list[str]) -> list[str]:
    return [statement.split()[0] for statement in seen]


def started(engine: Engine) -> int:
    engine.deploy({"p.bpmn": process(user_task("fill_in") + chain("fill_in"))},
                  actor=SYSTEM)
    return engine.start_instance("p", {}, actor=SYSTEM).id


def test_inserted_rows_are_persistent_and_read_without_sql(engine: Engine) -> None:
    with engine.sessions.begin() as session:
        rows = [UserGroup(name=f"g{n}", title=f"组{n}", title_en=f"Group {n}")
                for n in range(3)]
        session.connection()  # BEGIN first: not part of what is counted
        with statements(engine) as seen:
            corewrites.insert_rows(session, rows)
            titles = [row.title_en for row in rows]
            directsql.flush(session)
            session.flush()
        assert verbs(seen) == ["INSERT"]  # one statement for all rows, nothing at flush
        assert titles == ["Group 0", "Group 1", "Group 2"]
        assert session.get(UserGroup, "g1") is rows[1]
    with engine.sessions() as session:
        title = select(UserGroup.title).where(UserGroup.name == "g2")
        assert session.scalar(title) == "组2"


def test_updated_row_is_clean_and_holds_the_written_values(engine: Engine) -> None:
    with engine.sessions.begin() as session:
        group = UserGroup(name="g", title="旧", title_en="Old")
        session.add(group)
        session.flush()
        with statements(engine) as seen:
            corewrites.update_row(session, group, title="新", title_en="New")
            directsql.flush(session)
            session.flush()
        assert verbs(seen) == ["UPDATE"]
        assert group not in session.dirty and group.title_en == "New"
    with engine.sessions() as session:
        assert session.get(UserGroup, "g").title == "新"  # type: ignore[union-attr]


def test_versioned_update_moves_the_version_and_takes_pending_changes(
    engine: Engine,
) -> None:
    instance_id = started(engine)
    with engine.sessions.begin() as session:
        row = session.get(ProcessInstance, instance_id)
        assert row is not None
        read = row.row_version
        row.business_key = "K-1"  # changed by the caller before the write
        with statements(engine) as seen:
            corewrites.update_versioned(session, row, "row_version", status="suspended")
            directsql.flush(session)
            session.flush()
        assert verbs(seen) == ["UPDATE"] and row.row_version == read + 1
    with engine.sessions() as session:
        stored = session.get(ProcessInstance, instance_id)
        assert stored is not None
        assert (stored.status, stored.business_key, stored.row_version) == (
            "suspended", "K-1", read + 1)


def test_versioned_update_refuses_a_row_changed_meanwhile(engine: Engine) -> None:
    instance_id = started(engine)
    with engine.sessions() as session:
        row = session.get(ProcessInstance, instance_id)
        assert row is not None
        session.commit()  # keep the object as read; SQLite allows one writer at a time
        with engine.sessions.begin() as other:  # someone else saves first
            theirs = other.get(ProcessInstance, instance_id)
            assert theirs is not None
            corewrites.update_versioned(other, theirs, "row_version", status="error")
        corewrites.update_versioned(session, row, "row_version", status="suspended")
        with pytest.raises(StaleDataError, match="ProcessInstance .* changed meanwhile"):
            directsql.flush(session)  # sent (and checked) before anything else
        session.rollback()
    with engine.sessions() as session:
        stored = session.get(ProcessInstance, instance_id)
        assert stored is not None and stored.status == "error"
