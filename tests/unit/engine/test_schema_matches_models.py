"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from engine import Engine
from engine.models import Base


def test_migrated_database_has_no_difference_from_the_models(engine: Engine) -> None:
    bind = engine.sessions.kw["bind"]
    with bind.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": False})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_audit_trail_keeps_its_append_only_guard_after_the_index_migration(
    engine: Engine,
) -> None:
    bind = engine.sessions.kw["bind"]
    with bind.connect() as connection:
        dialect = connection.dialect.name
        if dialect == "sqlite":
            names = connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'audit_event'").scalars().all()
        else:
            names = connection.exec_driver_sql(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_event'::regclass "
                "AND NOT tgisinternal").scalars().all()
    assert len(names) >= 1
