"""One plain statement per row a step writes, keeping the session's objects current.

A completion writes three ORM rows (the instance state, the closed inbox row, the new
one). Letting the unit of work flush them costs more than the step itself, so the hot
path writes them here with one plain statement each (queued with engine/directsql.py,
sent before the session next touches the database) and marks the written values as
committed on the objects: the session then sees them as clean, and what the caller reads
back is what the database holds. Attribute names must equal column names (as in
engine/models.py). Never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, cast

from sqlalchemy import Table, bindparam, inspect, insert, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from engine import directsql
from engine.db import Base


def insert_rows(session: Session, rows: Sequence[Base]) -> None:
    """INSERT new objects in one statement and make them persistent in the session.

    Every column must be set (None counts): an unset one would be loaded lazily later.
    Only for rows whose key is known before the INSERT (no database-generated ids).
    """
    if not rows:
        return
    model = type(rows[0])
    keys = _column_names(model)
    values = [{k: getattr(row, k) for k in keys} for row in rows]
    directsql.write(session, _insert(model), values)
    for row in rows:
        make_transient_to_detached(row)
        session.add(row)


def update_row(session: Session, row: Base, **values: Any) -> None:
    """UPDATE one persistent object's columns by primary key, and set them on it."""
    query = _update(type(row), tuple(values), None)
    directsql.write(session, query, {**_key(row), **_params(values)})
    _mark_committed(row, values)


def update_versioned(session: Session, row: Base, version_attr: str, **values: Any
                     ) -> None:
    """UPDATE a row guarded by its version column (StaleDataError at the flush on a lost race).

    The same check the ORM makes with ``version_id_col``: the row must still carry the
    version this unit of work read, and the write moves it on by one. Columns the caller
    changed on the object beforehand go out in the same statement.
    """
    values = {**_unwritten(row), **values}
    _mark_committed(row, values)  # nothing of this row is left for the unit of work
    session.flush()  # other pending objects first, as autoflush would do at execute
    read = getattr(row, version_attr)
    query = _update(type(row), (*values, version_attr), version_attr)
    params = {**_key(row), **_params(values), f"_v_{version_attr}": read + 1,
              "_read": read}
    directsql.write(session, query, params, expect_rows=1,
                    stale=f"{type(row).__name__} {_key(row)} changed meanwhile")
    set_committed_value(row, version_attr, read + 1)


def _unwritten(row: Base) -> dict[str, Any]:
    """Column attributes changed on a persistent object and not flushed yet."""
    state = inspect(row)
    if not state.modified:
        return {}
    return {attr.key: getattr(row, attr.key) for attr in state.mapper.column_attrs
            if state.attrs[attr.key].history.has_changes()}


def _mark_committed(row: Base, values: dict[str, Any]) -> None:
    for name, value in values.items():
        set_committed_value(row, name, value)


def _params(values: dict[str, Any]) -> dict[str, Any]:
    return {f"_v_{name}": value for name, value in values.items()}


def _key(row: Base) -> dict[str, Any]:
    return {f"_k_{name}": getattr(row, name) for name in _key_names(type(row))}


@cache
def _key_names(model: type[Base]) -> tuple[str, ...]:
    mapper = inspect(model)
    return tuple(mapper.get_property_by_column(c).key for c in mapper.primary_key)


@cache
def _column_names(model: type[Base]) -> tuple[str, ...]:
    return tuple(attr.key for attr in inspect(model).column_attrs)


@cache
def _insert(model: type[Base]) -> Any:
    return insert(cast(Table, model.__table__))


@cache
def _update(model: type[Base], columns: tuple[str, ...], version: str | None) -> Any:
    """UPDATE by key of ``columns`` (and the version check), built once per shape."""
    table = cast(Table, model.__table__)
    query = update(table).where(*(table.c[name] == bindparam(f"_k_{name}")
                                  for name in _key_names(model)))
    if version is not None:
        query = query.where(table.c[version] == bindparam("_read"))
    return query.values({table.c[name]: bindparam(f"_v_{name}") for name in columns})
