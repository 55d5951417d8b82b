"""Run the step's few fixed writes straight on the driver's cursor, in one round trip.

Every completion writes the same handful of statements (engine/corewrites.py, the
archive, the notice, the audit rows). Through ``Session.execute`` each one costs about
twenty microseconds of SQLAlchemy bookkeeping on SQLite, more than the database spends
on it, and on PostgreSQL each one is a network round trip. Here each statement is
compiled once per dialect and parameter shape with SQLAlchemy's own compiler and type
processors, and ``write`` only queues it. The queue goes to the session's connection,
inside the session's transaction, before anything else can see the database: before
any statement the session executes, before an ORM flush and before commit. On
PostgreSQL it goes in one psycopg pipeline (one round trip however many writes).

What SQLAlchemy would add is kept: ``before_cursor_execute`` listeners still see every
statement, and driver errors come out as SQLAlchemy's ``DBAPIError`` subclasses. A write
that must change an exact number of rows (an optimistic version check) says so, and
the flush raises ``StaleDataError`` when it did not.

Only for INSERT/UPDATE/DELETE whose every value the caller gives: a statement that
needs Python-side column defaults is refused when it is first planned.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import event
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import UpdateBase

Params = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class _Plan:
    """One compiled statement: its SQL text and how to turn values into driver ones."""

    sql: str
    constants: dict[str, Any]  # values the statement carries itself (literal binds)
    order: tuple[str, ...] | None  # bind names in order (positional drivers), else None
    names: tuple[tuple[str, str], ...]  # (bind name, name in the SQL) for named drivers
    processors: tuple[tuple[str, Callable[[Any], Any]], ...]

    def bind(self, values: Params) -> Any:
        converted = {**self.constants, **values}
        for name, process in self.processors:
            converted[name] = process(converted[name])
        if self.order is not None:
            return tuple(converted[name] for name in self.order)
        return {escaped: converted[name] for name, escaped in self.names}


@dataclass(frozen=True, slots=True)
class _Write:
    plan: _Plan
    bound: Any
    many: bool
    expect_rows: int | None
    stale: str
    transaction: SessionTransaction | None  # innermost when queued (a savepoint's?)


# Plans by statement identity: callers build their statements once (module level or
# cached). A caller that builds one per call would only refill this; the cap keeps
# such a mistake from growing memory without end.
_PLANS: dict[tuple[int, str, tuple[str, ...], bool], tuple[UpdateBase, _Plan]] = {}
_PLAN_LIMIT = 512
_QUEUE = "signoff.directsql.queue"


def write(session: Session, statement: UpdateBase, params: Params | Sequence[Params],
          *, expect_rows: int | None = None, stale: str = "") -> None:
    """Queue ``statement`` once (a mapping) or for each row (a list) in this transaction.

    With ``expect_rows``, the flush raises ``StaleDataError(stale)`` unless the statement
    changed exactly that many rows. A plan error (a missing value) is raised here.
    """
    many = not isinstance(params, Mapping)
    rows: Sequence[Params] = cast(Sequence[Params], params) if many else [
        cast(Params, params)]
    if not rows:
        return
    dialect = session.get_bind().dialect
    plan = _plan(statement, dialect, tuple(rows[0]), many)
    bound: Any = [plan.bind(row) for row in rows] if many else plan.bind(rows[0])
    session.info.setdefault(_QUEUE, []).append(_Write(
        plan, bound, many, expect_rows, stale,
        session.get_nested_transaction() or session.get_transaction()))


def flush(session: Session) -> None:
    """Send the queued writes (one pipeline on PostgreSQL) and check their row counts."""
    queue: list[_Write] | None = session.info.pop(_QUEUE, None)
    if not queue:
        return
    connection = session.connection()  # joins (or begins) the session's transaction
    dbapi_error = connection.dialect.loaded_dbapi.Error
    cursors: list[Any] = []
    item = queue[0]  # the write that failed, when one is sent at a time
    try:
        if connection.dialect.name == "postgresql" and len(queue) > 1:
            driver = connection.connection.driver_connection
            with driver.pipeline():  # type: ignore[union-attr]
                for item in queue:
                    cursors.append(_send(connection, item))
        else:
            for item in queue:
                cursors.append(_send(connection, item))
        counts = [int(cursor.rowcount) for cursor in cursors]
    except dbapi_error as exc:
        pipelined = len(cursors) > 1 and connection.dialect.name == "postgresql"
        sql = "; ".join(w.plan.sql for w in queue) if pipelined else item.plan.sql
        raise DBAPIError.instance(sql, None if pipelined else item.bound, exc,
                                  dbapi_error) from exc
    finally:
        for cursor in cursors:
            cursor.close()
    for item, count in zip(queue, counts, strict=True):
        if item.expect_rows is not None and count != item.expect_rows:
            raise StaleDataError(item.stale or f"{item.plan.sql!r} changed {count} rows, "
                                 f"{item.expect_rows} expected")


def _send(connection: Connection, item: _Write) -> Any:
    cursor = connection.connection.cursor()
    _announce(connection, cursor, item.plan.sql, item.bound, item.many)
    if item.many:
        cursor.executemany(item.plan.sql, item.bound)
    else:
        cursor.execute(item.plan.sql, item.bound)
    return cursor


@event.listens_for(Session, "do_orm_execute")
def _before_statement(state: ORMExecuteState) -> None:
    flush(state.session)


@event.listens_for(Session, "before_flush")
def _before_orm_flush(session: Session, _context: Any, _objects: Any) -> None:
    flush(session)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    flush(session)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous: SessionTransaction) -> None:
    """Drop what the rolled-back part queued (all of it, or a savepoint's share)."""
    queue: list[_Write] = session.info.get(_QUEUE, [])
    session.info[_QUEUE] = [w for w in queue if previous.nested and
                            not within(w.transaction, previous)]


def within(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    """Whether ``transaction`` is ``outer`` or nested inside it."""
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


def _announce(connection: Connection, cursor: Any, sql: str, bound: Any,
              many: bool) -> None:
    """Tell ``before_cursor_execute`` listeners (statement counters) as SQLAlchemy would."""
    listeners = connection.dispatch.before_cursor_execute
    if listeners:
        listeners(connection, cursor, sql, bound, None, many)


def _plan(statement: UpdateBase, dialect: Dialect, keys: tuple[str, ...],
          many: bool) -> _Plan:
    cache_key = (id(statement), dialect.name, keys, many)
    found = _PLANS.get(cache_key)
    if found is not None and found[0] is statement:
        return found[1]
    compiled: SQLCompiler = statement.compile(
        dialect=dialect, column_keys=list(keys), for_executemany=many)
    if compiled.insert_prefetch or compiled.update_prefetch:
        raise ValueError(f"{statement.table} needs column defaults that only "
                         "Session.execute computes: give every value")
    constants: dict[str, Any] = {}
    processors = []
    for parameter, name in compiled.bind_names.items():
        if parameter.key not in keys:
            if parameter.required or parameter.callable is not None:
                raise ValueError(f"no value for {name!r} in {compiled.string!r}")
            constants[name] = parameter.value
        elif name != parameter.key:
            raise ValueError(f"bind {parameter.key!r} is renamed in {compiled.string!r}")
        process = parameter.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            processors.append((name, process))
    escaped: dict[str, str] = compiled.escaped_bind_names or {}
    positional = compiled.positional and compiled.positiontup is not None
    plan = _Plan(
        sql=compiled.string,
        constants=constants,
        order=tuple(compiled.positiontup or ()) if positional else None,
        names=tuple((name, escaped.get(name, name))
                    for name in compiled.bind_names.values()),
        processors=tuple(processors))
    if len(_PLANS) >= _PLAN_LIMIT:
        _PLANS.clear()
    _PLANS[cache_key] = (statement, plan)
    return plan
