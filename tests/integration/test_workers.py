"""Several ``signoff worker`` processes share thousands of due timers on PostgreSQL:
every timer fires exactly once, and none is lost when one worker is killed (SIGKILL)
mid-run.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from timerfarm import (
    farm_engine,
    firings,
    fresh_postgres,
    plant,
    start_workers,
    statuses,
    stop_workers,
    wait_until_fired,
    waiting_timers,
)

BACKENDS = os.environ.get("SIGNOFF_TEST_DATABASES", "sqlite,postgresql").split(",")
TIMERS = 2000
WORKERS = 3

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif("postgresql" not in BACKENDS, reason="needs PostgreSQL"),
]


def test_worker_processes_fire_each_timer_once_even_when_one_is_killed(
    worker_id: str, tmp_path: Path
) -> None:
    url = fresh_postgres(f"signoff_it_workers_{worker_id}")
    engine = farm_engine(url)
    now = datetime.now(timezone.utc)
    due = [
        now - timedelta(minutes=10) + timedelta(milliseconds=i) for i in range(TIMERS)
    ]
    ids = plant(engine, due, created_at=now - timedelta(hours=1))
    assert waiting_timers(engine) == TIMERS
    workers = start_workers(url, WORKERS, log=tmp_path / "workers.log")
    try:
        victim = workers[0]
        deadline = time.monotonic() + 120
        while waiting_timers(engine) > TIMERS * 3 // 4:
            assert time.monotonic() < deadline, "workers made no progress"
            time.sleep(0.1)
        os.kill(victim.pid, signal.SIGKILL)  # mid-run, most likely mid-transaction
        victim.wait(timeout=10)
        wait_until_fired(engine, timeout=240)
    finally:
        stop_workers(workers)
    assert victim.returncode == -signal.SIGKILL
    log = (tmp_path / "workers.log").read_text()
    assert all(p.returncode == 0 for p in workers[1:]), log
    assert "Traceback" not in log, log
    per_instance = Counter(f.instance_id for f in firings(engine))
    assert per_instance == Counter({i: 1 for i in ids})
    assert statuses(engine, ids) == {"completed": TIMERS}
    engine.close()
