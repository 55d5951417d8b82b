"""Run the step's few fixed DML statements straight on the driver's cursor.

Every completion writes the same handful of statements (engine/corewrites.py, the
archive, the notice, the audit rows). Through ``Session.execute`` each one costs about
twenty microseconds of SQLAlchemy bookkeeping on SQLite, more than the database spends
on it. Here each statement is compiled once per dialect and parameter shape with
SQLAlchemy's own compiler and type processors, then handed to the cursor of the
session's connection, inside the session's transaction. What SQLAlchemy would add is
kept: ``before_cursor_execute`` listeners still see every statement, and driver errors
come out as SQLAlchemy's ``DBAPIError`` subclasses.

Only for INSERT/UPDATE/DELETE whose every value the caller gives: a statement that
needs Python-side column defaults is refused when it is first planned.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
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


_PLANS: dict[tuple[int, str, tuple[str, ...], bool], tuple[UpdateBase, _Plan]] = {}


def execute(session: Session, statement: UpdateBase,
            params: Params | Sequence[Params]) -> int:
    """Run ``statement`` once (a mapping) or for each row (a list); return the rowcount."""
    many = not isinstance(params, Mapping)
    rows: Sequence[Params] = cast(Sequence[Params], params) if many else [
        cast(Params, params)]
    if not rows:
        return 0
    connection = session.connection()  # joins (or begins) the session's transaction
    plan = _plan(statement, connection.dialect, tuple(rows[0]), many)
    bound: Any = [plan.bind(row) for row in rows] if many else plan.bind(rows[0])
    cursor = connection.connection.cursor()
    try:
        _announce(connection, cursor, plan.sql, bound, many)
        if many:
            cursor.executemany(plan.sql, bound)
        else:
            cursor.execute(plan.sql, bound)
        return int(cursor.rowcount)
    except connection.dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(plan.sql, bound, exc,
                                  connection.dialect.loaded_dbapi.Error) from exc
    finally:
        cursor.close()


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
    _PLANS[cache_key] = (statement, plan)
    return plan
