"""Queued writes on the driver cursor behave as through the Session (engine/directsql)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from modelkit import statements
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from engine import Engine, directsql
from engine.models import AppUser, UserGroup

GROUPS = UserGroup.__table__
USERS = AppUser.__table__
WHEN = datetime(2026, 11, 23, 8, 30, tzinfo=timezone.utc)
MINE = select(UserGroup.name).where(UserGroup.name.in_(["a", "b"]))


def group(name: str) -> dict[str, str]:
    return {"name": name, "title": f"组{name}", "title_en": f"Group {name}"}


def test_rows_written_in_the_session_transaction_commit_with_it(engine: Engine) -> None:
    with engine.sessions.begin() as session:
        directsql.write(session, insert(GROUPS), [group("a"), group("b")])
        # The session reads what was queued: sent first, in the same transaction.
        assert session.scalar(select(UserGroup.title).where(UserGroup.name == "b")) == "组b"
    with engine.sessions() as session:
        assert sorted(session.scalars(MINE)) == ["a", "b"]


def test_a_rolled_back_session_keeps_nothing_written(engine: Engine) -> None:
    with pytest.raises(RuntimeError), engine.sessions.begin() as session:
        directsql.write(session, insert(GROUPS), group("gone"))
        directsql.flush(session)
        directsql.write(session, insert(GROUPS), group("queued"))
        raise RuntimeError("the step failed")
    with engine.sessions() as session:
        assert session.get(UserGroup, "gone") is None
        assert session.get(UserGroup, "queued") is None


def test_a_guarded_update_that_changes_nothing_fails_the_flush(engine: Engine) -> None:
    rename = (update(GROUPS).where(GROUPS.c.name == bindparam("which"),
                                   GROUPS.c.title == bindparam("was"))
              .values(title=bindparam("now")))
    with engine.sessions.begin() as session:
        directsql.write(session, insert(GROUPS), group("a"))
        directsql.write(session, rename, {"which": "a", "was": "组a", "now": "新"},
                        expect_rows=1)
        directsql.write(session, rename, {"which": "a", "was": "组a", "now": "又新"},
                        expect_rows=1, stale="group a changed meanwhile")
        with pytest.raises(StaleDataError, match="group a changed meanwhile"):
            directsql.flush(session)
        session.rollback()


def test_the_commit_sends_what_is_still_queued(engine: Engine) -> None:
    with engine.sessions.begin() as session:
        directsql.write(session, insert(GROUPS), group("late"))
    with engine.sessions() as session:
        assert session.get(UserGroup, "late") is not None


def test_a_savepoint_rolled_back_drops_only_its_own_writes(engine: Engine) -> None:
    with engine.sessions.begin() as session:
        directsql.write(session, insert(GROUPS), group("a"))
        with pytest.raises(RuntimeError), session.begin_nested():
            directsql.write(session, insert(GROUPS), group("b"))
            raise RuntimeError("refused inside the savepoint")
    with engine.sessions() as session:
        assert list(session.scalars(MINE)) == ["a"]


def test_writes_are_sent_in_order_in_one_batch(engine: Engine) -> None:
    with engine.sessions.begin() as session:
        session.connection()
        with statements(engine) as seen:
            directsql.write(session, insert(GROUPS), group("a"))
            directsql.write(session, update(GROUPS).where(GROUPS.c.name == "a")
                            .values(title="改"), {})
            assert seen == []  # nothing is sent while only writes are queued
            title = session.scalar(select(UserGroup.title).where(UserGroup.name == "a"))
    assert title == "改"
    assert [s.split()[0] for s in seen] == ["INSERT", "UPDATE", "SELECT"]


def test_values_go_through_the_column_types(engine: Engine) -> None:
    row = {"username": "zhou.li", "display_name": "周丽", "password_hash": "x",
           "role": "staff", "language": "zh", "email": None, "active": False,
           "failed_logins": 0, "locked_until": None, "created_at": WHEN}
    with engine.sessions.begin() as session:
        directsql.write(session, insert(USERS), row)
    with engine.sessions() as session:
        user = session.scalars(select(AppUser).where(AppUser.username == "zhou.li")).one()
        assert user.created_at == WHEN and user.active is False


def test_literal_values_in_the_statement_are_bound_too(engine: Engine) -> None:
    drop_b = delete(GROUPS).where(GROUPS.c.name == "b")
    with engine.sessions.begin() as session:
        directsql.write(session, insert(GROUPS), [group("a"), group("b")])
        directsql.write(session, drop_b, {})
        assert list(session.scalars(MINE)) == ["a"]


def test_statement_counters_see_each_statement(engine: Engine) -> None:
    with engine.sessions.begin() as session:
        session.connection()
        with statements(engine) as seen:
            directsql.write(session, insert(GROUPS), [group("a"), group("b")])
            directsql.flush(session)
            directsql.write(session, update(GROUPS).values(title="t"), {})
            directsql.flush(session)
            directsql.flush(session)  # nothing queued: sends nothing
    assert [s.split()[0] for s in seen] == ["INSERT", "UPDATE"]


def test_a_constraint_violation_is_sqlalchemys_integrity_error(engine: Engine) -> None:
    with engine.sessions.begin() as session:
        directsql.write(session, insert(GROUPS), group("a"))
        directsql.flush(session)
        directsql.write(session, insert(GROUPS), group("b"))
        directsql.write(session, insert(GROUPS), group("a"))  # in one batch with "b"
        with pytest.raises(IntegrityError, match="(?i)unique|duplicate"):
            directsql.flush(session)
        session.rollback()


def test_a_value_left_out_is_refused_before_anything_runs(engine: Engine) -> None:
    guarded = update(GROUPS).where(GROUPS.c.name == bindparam("which")).values(
        title=bindparam("title"))
    with engine.sessions.begin() as session, pytest.raises(
            ValueError, match="no value for 'which'"):
        directsql.write(session, guarded, {"title": "t"})


def test_a_statement_that_needs_column_defaults_is_refused(engine: Engine) -> None:
    row = {"username": "wu.gang", "display_name": "吴刚", "password_hash": "x",
           "role": "staff", "language": "zh", "created_at": WHEN}
    with engine.sessions.begin() as session, pytest.raises(
            ValueError, match="app_user needs column defaults"):
        directsql.write(session, insert(USERS), row)
