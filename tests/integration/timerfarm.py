"""Plant thousands of waiting timers and run worker processes against them.

Shared by tests/integration/test_workers.py and bench/timers.py. Each instance of the
``timer_farm`` process waits at one intermediate timer whose date comes from its start
data, so instances can be created up front (at a travelled clock) and fall due later.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import time_machine
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from engine import definitions
from engine._deadlines_api import DeadlinesAPI
from engine.core import Engine
from engine.db import make_sessionmaker
from engine.deadline_config import DeadlineConfig
from engine.models import AuditEvent, ProcessInstance, Timer
from engine.records import SYSTEM

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN_URL = os.environ.get(
    "SIGNOFF_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
FARM = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    id="farm_defs" targetNamespace="http://signoff.example/test">
  <bpmn:process id="timer_farm" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:intermediateCatchEvent id="wait_until">
      <bpmn:timerEventDefinition><bpmn:timeDate>fire_at</bpmn:timeDate>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:scriptTask id="count_firing" scriptFormat="python">
      <bpmn:script>fired = fired + 1</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait_until"/>
    <bpmn:sequenceFlow id="f2" sourceRef="wait_until" targetRef="count_firing"/>
    <bpmn:sequenceFlow id="f3" sourceRef="count_firing" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


def fresh_postgres(name: str) -> str:
    """Create an empty database ``name`` and return its URL."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return (
        make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    )


def farm_engine(url: str) -> DeadlinesAPI:
    """A migrated engine on ``url`` with the timer farm deployed."""
    engine = Engine(make_sessionmaker(url))
    engine._deadlines = DeadlineConfig()
    engine.upgrade_schema()
    engine.deploy({"timer_farm.bpmn": FARM}, actor=SYSTEM)
    return engine


def plant(
    engine: DeadlinesAPI,
    due_times: Sequence[datetime],
    *,
    created_at: datetime,
    threads: int = 4,
    batch: int = 100,
) -> list[int]:
    """Start one instance per due time, as if at ``created_at``; return their ids.

    Instances are started through the engine's own start path, ``batch`` per transaction
    (one commit per instance would make planting slower than firing).
    """

    def start(chunk: Sequence[datetime]) -> list[int]:
        with engine._tx() as session:
            version = definitions.get_process_version(session, "timer_farm")
            started = [
                engine._start_in(
                    session,
                    version,
                    {"fire_at": due.isoformat(), "fired": 0},
                    actor=SYSTEM,
                    business_key=None,
                )[0]
                for due in chunk
            ]
        return [info.id for info in started if info is not None]

    chunks = [due_times[i : i + batch] for i in range(0, len(due_times), batch)]
    with time_machine.travel(created_at, tick=True), ThreadPoolExecutor(
        threads
    ) as pool:
        return [i for ids in pool.map(start, chunks) for i in ids]


def start_workers(
    url: str, count: int, *, log: Path, interval: float = 0.05
) -> list[subprocess.Popen[bytes]]:
    """Start ``count`` ``signoff worker`` processes (``python -m engine worker``)."""
    env = dict(
        os.environ,
        SIGNOFF_DATABASE_URL=url,
        SIGNOFF_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    env.pop("SIGNOFF_BROKER_URL", None)
    with log.open("ab") as sink:
        return [
            subprocess.Popen(
                [sys.executable, "-m", "engine", "worker", "--interval", str(interval)],
                cwd=ROOT,
                env=env,
                stdout=sink,
                stderr=sink,
            )
            for _ in range(count)
        ]


def stop_workers(workers: Sequence[subprocess.Popen[bytes]]) -> None:
    for proc in workers:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in workers:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def waiting_timers(engine: DeadlinesAPI) -> int:
    with engine.sessions.begin() as session:
        return int(session.scalar(select(func.count()).select_from(Timer)) or 0)


def wait_until_fired(engine: DeadlinesAPI, *, timeout: float) -> float:
    """Seconds until no timer row is left; raises TimeoutError after ``timeout``."""
    started = time.monotonic()
    while waiting_timers(engine):
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{waiting_timers(engine)} timers still waiting")
        time.sleep(0.1)
    return time.monotonic() - started


@dataclass(frozen=True)
class Firing:
    instance_id: int
    due_at: datetime
    fired_at: datetime


def firings(engine: DeadlinesAPI) -> list[Firing]:
    query = select(AuditEvent.instance_id, AuditEvent.payload, AuditEvent.at).where(
        AuditEvent.event_type == "timer_fired"
    )
    with engine.sessions.begin() as session:
        return [
            Firing(int(i or 0), datetime.fromisoformat(p["due_at"]), at)
            for i, p, at in session.execute(query)
        ]


def statuses(engine: DeadlinesAPI, ids: Sequence[int]) -> dict[str, int]:
    query = (
        select(ProcessInstance.status, func.count())
        .where(ProcessInstance.id.in_(list(ids)))
        .group_by(ProcessInstance.status)
    )
    with engine.sessions.begin() as session:
        return {status: int(n) for status, n in session.execute(query)}


def lag_seconds(found: Sequence[Firing]) -> list[float]:
    return sorted((f.fired_at - f.due_at) / timedelta(seconds=1) for f in found)


def percentile(values: Sequence[float], fraction: float) -> float:
    return values[min(len(values) - 1, int(len(values) * fraction))] if values else 0.0
