"""Timer firing throughput with 1, 2 and 4 worker processes on PostgreSQL, and lag.

For each worker count, a fresh database gets N instances waiting at a timer. Phase one
(throughput): all N are already due when the workers start; it reports timers fired per
second (first to last firing) and the ratio to one worker. Phase two (lag): M more
timers fall due spread evenly over a few seconds while the workers idle-poll; it
reports how long after its due time each fired (p50, p95, max).
Usage: ``python bench/timers.py [--timers N] [--stream M] [--workers 1,2,4]
[--interval S]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "integration")]

from timerfarm import (  # noqa: E402
    farm_engine,
    firings,
    fresh_postgres,
    lag_seconds,
    percentile,
    plant,
    start_workers,
    stop_workers,
    wait_until_fired,
)


def run(
    workers: int, timers: int, stream: int, interval: float, log: Path
) -> tuple[float, list[float]]:
    """(timers fired per second from a backlog, lag of each streamed timer in s)."""
    url = fresh_postgres(f"signoff_bench_timers_{workers}")
    engine = farm_engine(url)
    now = datetime.now(timezone.utc)
    backlog = [now - timedelta(minutes=10)] * timers
    plant(engine, backlog, created_at=now - timedelta(hours=1))
    procs = start_workers(url, workers, log=log, interval=interval)
    try:
        wait_until_fired(engine, timeout=900)
        moments = sorted(f.fired_at for f in firings(engine))
        rate = timers / max((moments[-1] - moments[0]).total_seconds(), 1e-3)
        start = datetime.now(timezone.utc) + timedelta(seconds=stream / 50 + 5)
        spacing = timedelta(seconds=5) / max(1, stream)
        due = [start + spacing * i for i in range(stream)]
        before = {f.instance_id for f in firings(engine)}
        plant(engine, due, created_at=datetime.now(timezone.utc))
        wait_until_fired(engine, timeout=300)
        lags = lag_seconds([f for f in firings(engine) if f.instance_id not in before])
    finally:
        stop_workers(procs)
        engine.close()
    return rate, lags


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timers", type=int, default=2000)
    parser.add_argument("--stream", type=int, default=200)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument(
        "--interval",
        type=float,
        default=0.05,
        help="seconds an idle worker rests between polls",
    )
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    log = Path(tempfile.mkdtemp(prefix="signoff-bench-")) / "workers.log"
    print(
        f"PostgreSQL, {args.timers} due timers, then {args.stream} due over 5 s; "
        f"idle poll every {args.interval}s; worker log {log}"
    )
    print(
        f"{'workers':>7} {'fired/s':>9} {'ratio':>6} {'lag p50':>8} {'lag p95':>8} "
        f"{'lag max':>8}"
    )
    base = None
    for count in counts:
        rate, lags = run(count, args.timers, args.stream, args.interval, log)
        base = base or rate
        print(
            f"{count:>7} {rate:>9.1f} {rate / base:>6.2f} "
            f"{percentile(lags, 0.5):>7.3f}s "
            f"{percentile(lags, 0.95):>7.3f}s {max(lags, default=0.0):>7.3f}s",
            flush=True,
        )


if __name__ == "__main__":
    main()
