"""With SIGNOFF_BROKER_URL set, due work goes through the real Redis broker to a Celery
worker process, which runs it through the engine's own execution path, exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import redis
from timerfarm import ROOT, farm_engine, firings, plant, statuses, waiting_timers

from engine.deadline_config import DeadlineConfig
from engine.worker import build

BROKER = os.environ.get("SIGNOFF_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
TIMERS = 30

pytestmark = pytest.mark.slow


def redis_is_up() -> bool:
    try:
        return bool(redis.Redis.from_url(BROKER, socket_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def queue() -> Iterator[str]:
    name = f"signoff-test-{uuid.uuid4().hex[:12]}"
    yield name
    redis.Redis.from_url(BROKER).delete(name)


def start_celery(url: str, queue: str, log: Path) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        SIGNOFF_DATABASE_URL=url,
        SIGNOFF_BROKER_URL=BROKER,
        SIGNOFF_CELERY_QUEUE=queue,
        PYTHONPATH=str(ROOT),
    )
    with log.open("ab") as sink:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "engine",
                "worker",
                "--celery",
                "--concurrency",
                "2",
            ],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=sink,
        )


@pytest.mark.skipif(not redis_is_up(), reason="Redis is not running")
def test_celery_worker_fires_dispatched_timers_once_over_redis(
    tmp_path: Path, queue: str
) -> None:
    url = f"sqlite:///{tmp_path / 'signoff.db'}"
    engine = farm_engine(url)
    engine._deadlines = replace(DeadlineConfig(), broker_url=BROKER, celery_queue=queue)
    now = datetime.now(timezone.utc)
    ids = plant(
        engine,
        [now - timedelta(minutes=1)] * TIMERS,
        created_at=now - timedelta(hours=1),
        threads=1,
    )
    dispatcher = build(engine)
    assert dispatcher.dispatcher is not None  # the broker is configured: no local work
    assert dispatcher.run_once() == TIMERS
    assert waiting_timers(engine) == TIMERS  # nothing ran in this process
    log = tmp_path / "celery.log"
    celery = start_celery(url, queue, log)
    try:
        deadline = time.monotonic() + 90
        while waiting_timers(engine):
            assert celery.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        assert dispatcher.run_once() == 0 and engine.list_due_work() == []
    finally:
        celery.terminate()
        celery.wait(timeout=30)
    assert Counter(f.instance_id for f in firings(engine)) == Counter(
        {i: 1 for i in ids}
    )
    assert statuses(engine, ids) == {"completed": TIMERS}
    assert "signoff.execute" in log.read_text()
    engine.close()
