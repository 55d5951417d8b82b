"""Schema management through Alembic migrations (``engine/migrations``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(sessions: sessionmaker[Session], revision: str = "head") -> None:
    """Upgrade the database behind ``sessions`` to ``revision`` in one transaction."""
    bind = sessions.kw["bind"]
    config = alembic_config()
    with bind.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
