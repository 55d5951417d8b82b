"""Shared fixtures: an Engine on a fresh database, once on SQLite and once on PostgreSQL.

Set SIGNOFF_TEST_DATABASES=sqlite (or postgresql) to run one backend only; by default
every engine and scenario test runs on both. PostgreSQL is used for real, never mocked.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from engine import Actor, Engine, demo
from engine.db import make_sessionmaker
from engine.definitions import clear_cache
from engine.records import SYSTEM

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
PG_ADMIN_URL = os.environ.get(
    "SIGNOFF_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BACKENDS = [b for b in os.environ.get("SIGNOFF_TEST_DATABASES", "sqlite,postgresql")
            .split(",") if b]


def _admin_engine() -> Any:
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def pg_url(worker_id: str) -> Iterator[str]:
    """A PostgreSQL database for this test run and xdist worker, dropped at the end.

    The name carries the run's id so that concurrent runs on one server never share one.
    """
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", uuid.uuid4().hex)[:10]
    name = f"signoff_test_{run}_{worker_id}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database of the parametrized backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'signoff.db'}"
        return
    url = request.getfixturevalue("pg_url")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    yield url


@pytest.fixture
def forms_dir() -> Path | None:
    """Forms the engine reads; engine unit tests override this with tests/data/forms."""
    return None


@pytest.fixture
def engine(database_url: str, forms_dir: Path | None) -> Iterator[Engine]:
    """A migrated Engine with the demo groups and users, on a fresh database."""
    clear_cache()
    sessions = make_sessionmaker(database_url)
    built = Engine(sessions, forms_dir=forms_dir, script_timeout=2.0)
    built.upgrade_schema()
    demo.ensure_users(built)
    yield built
    built.close()


@pytest.fixture
def actor(engine: Engine) -> Callable[[str], Actor]:
    """Look up a demo user's Actor by name, e.g. ``actor("li.na")``."""
    return engine.get_actor


@pytest.fixture
def admin() -> Actor:
    return SYSTEM


@pytest.fixture
def deploy_workflows(engine: Engine) -> Engine:
    """The engine with every shipped definition in workflows/ deployed."""
    engine.deploy_directory(ROOT / "workflows", actor=SYSTEM, comment="tests")
    return engine


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing() -> Iterator[None]:
    """Argon2 at production cost makes each demo user take ~50 ms; tests need speed only."""
    from argon2 import PasswordHasher

    from engine import identity

    original = identity._hasher
    identity._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    identity._hasher = original
