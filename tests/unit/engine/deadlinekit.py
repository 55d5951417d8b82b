"""Helpers for deadline tests: an engine with the deadline methods, an SMTP inbox."""

from __future__ import annotations

import os
import socket
import threading
from dataclasses import replace
from email import message_from_bytes
from email.message import Message
from typing import Any


from engine import Engine
from engine._deadlines_api import DeadlinesAPI
from engine.deadline_config import DeadlineConfig

# Once engine/core.py mixes DeadlinesAPI into Engine this is Engine itself.
DeadlineEngine: type[DeadlinesAPI] = (
    Engine
    if issubclass(Engine, DeadlinesAPI)
    else type("DeadlineEngine", (DeadlinesAPI, Engine), {})
)

BASE_CONFIG = DeadlineConfig(timezone="Asia/Shanghai")
BACKENDS = os.environ.get("SIGNOFF_TEST_DATABASES", "sqlite,postgresql").split(",")


def with_config(engine: Engine, config: DeadlineConfig = BASE_CONFIG) -> Any:
    """An engine on the database of ``engine``, with the deadline methods and config."""
    built = DeadlineEngine(
        engine.sessions, forms_dir=engine._forms_dir, deadlines=config
    )
    return built


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Inbox:
    """Collects every message the test SMTP server receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        self.arrived.set()
        return "250 OK"


def smtp_config(port: int, **changes: Any) -> DeadlineConfig:
    return replace(
        BASE_CONFIG,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_from="signoff@example.test",
        **changes,
    )
