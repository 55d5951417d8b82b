"""Settings of the deadline machinery: SMTP, SMS, broker, calendar, reminders, retries.

Read once from the environment when the Engine is built and failing loudly when a value
is malformed, like ``EngineConfig``; tests build one directly with the values they need.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import import_module
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from engine.durations import parse_duration

# The Engine puts its DeadlineConfig in ``session.info`` under this key for each unit of
# work, so inner modules (worklist, sla, messages) reach it without a global.
SESSION_KEY = "signoff.deadline_config"


class SmsSender(Protocol):
    """Anything that can hand one text message to a phone gateway."""

    def __call__(self, phone: str, text: str) -> None: ...


@dataclass(frozen=True, slots=True)
class DeadlineConfig:
    """How deadlines are computed and how notices leave the building."""

    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "signoff@localhost"
    smtp_timeout: float = 10.0
    broker_url: str | None = None
    celery_queue: str = "signoff"
    timezone: str = "Asia/Shanghai"
    holidays: frozenset[date] = frozenset()
    weekend: frozenset[int] = frozenset({5, 6})  # Monday is 0
    remind_before: timedelta = timedelta(days=1)
    message_ttl: timedelta = timedelta(days=7)
    job_lease: timedelta = timedelta(minutes=5)
    job_max_attempts: int = 8
    backoff_base: timedelta = timedelta(seconds=30)
    backoff_cap: timedelta = timedelta(hours=1)
    # None: SMS go to the ``sms_outbox`` table (engine/outbox.py) for a gateway.
    sms_sender: SmsSender | None = field(default=None, compare=False)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> DeadlineConfig:
        zone = env.get("SIGNOFF_TIMEZONE", "Asia/Shanghai")
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"SIGNOFF_TIMEZONE {zone!r} is not a known time zone"
            ) from exc
        return cls(
            smtp_host=env.get("SIGNOFF_SMTP_HOST") or None,
            smtp_port=_int(env, "SIGNOFF_SMTP_PORT", 25),
            smtp_from=env.get("SIGNOFF_SMTP_FROM", "signoff@localhost"),
            broker_url=env.get("SIGNOFF_BROKER_URL") or None,
            celery_queue=env.get("SIGNOFF_CELERY_QUEUE") or "signoff",
            timezone=zone,
            holidays=(
                read_holidays(Path(env["SIGNOFF_HOLIDAYS"]))
                if env.get("SIGNOFF_HOLIDAYS")
                else frozenset()
            ),
            remind_before=_duration(env, "SIGNOFF_REMIND_BEFORE", timedelta(days=1)),
            message_ttl=_duration(env, "SIGNOFF_MESSAGE_TTL", timedelta(days=7)),
            job_lease=_duration(env, "SIGNOFF_JOB_LEASE", timedelta(minutes=5)),
            job_max_attempts=_int(env, "SIGNOFF_JOB_MAX_ATTEMPTS", 8),
            sms_sender=_plugin(env.get("SIGNOFF_SMS_SENDER")),
        )

    @classmethod
    def from_env(cls) -> DeadlineConfig:
        return cls.from_mapping(os.environ)


DEFAULT = DeadlineConfig()


def of(session: Session) -> DeadlineConfig:
    """The configuration of the engine that opened this session's unit of work."""
    found = session.info.get(SESSION_KEY)
    return found if isinstance(found, DeadlineConfig) else DEFAULT


def read_holidays(path: Path) -> frozenset[date]:
    """Read one ISO date per line (``2026-10-01``); ``#`` starts a comment."""
    days = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            days.add(date.fromisoformat(text))
        except ValueError as exc:
            raise ValueError(
                f"{path}:{number}: {text!r} is not a date like 2026-10-01"
            ) from exc
    return frozenset(days)


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    text = env.get(name)
    if not text:
        return default
    try:
        return int(text)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, got {text!r}") from exc


def _duration(env: Mapping[str, str], name: str, default: timedelta) -> timedelta:
    text = env.get(name)
    if not text:
        return default
    delta = parse_duration(text)
    if delta is None or delta.months or delta.years:
        raise ValueError(
            f"{name} must be an ISO 8601 duration in days or less, e.g. P1D"
        )
    return timedelta(
        days=delta.days, hours=delta.hours, minutes=delta.minutes, seconds=delta.seconds
    )


def _plugin(spec: str | None) -> SmsSender | None:
    """Load ``package.module:factory``; the factory returns the sender callable."""
    if not spec:
        return None
    module, _, name = spec.partition(":")
    if not module or not name:
        raise ValueError(
            f"SIGNOFF_SMS_SENDER must look like package.module:factory, "
            f"got {spec!r}"
        )
    factory: Callable[[], SmsSender] = getattr(import_module(module), name)
    return factory()
