"""The ``worker``, ``message``, ``jobs`` and ``retry-job`` commands of ``signoff``.

Kept apart from ``engine/cli.py``, which adds them with one call; runs without Flask.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
from collections.abc import Callable
from types import FrameType
from typing import Any

from engine import celery_app, worker
from engine.core import Engine
from engine.errors import InvalidInput
from engine.records import SYSTEM, Actor

Handler = Callable[[Engine, argparse.Namespace], Any]
Add = Callable[..., None]


def add_commands(sub: Any, add: Add) -> None:
    """Register the deadline commands on the ``signoff`` sub-parsers."""
    add(
        sub,
        "worker",
        _worker,
        "run a background worker (timers, reminders, e-mail)",
        ("--once", dict(action="store_true", help="one round, then exit")),
        ("--interval", dict(type=float, default=1.0, help="seconds to rest when idle")),
        (
            "--celery",
            dict(
                action="store_true",
                help="run a Celery worker for SIGNOFF_BROKER_URL instead",
            ),
        ),
        ("--concurrency", dict(type=int, default=1, help="Celery worker processes")),
    )
    add(
        sub,
        "message",
        _message,
        "deliver a message to the instance waiting for it",
        ("name", {}),
        ("--key", dict(default=None, help="correlation key")),
        ("--data", dict(default="{}")),
        ("--as", dict(dest="user", default=None)),
        ("--json", dict(action="store_true", help="print JSON")),
    )
    add(
        sub,
        "jobs",
        _jobs,
        "list background jobs (failed ones are incidents)",
        ("--failed", dict(action="store_true")),
        ("--as", dict(dest="user", default=None)),
        ("--json", dict(action="store_true", help="print JSON")),
    )
    add(
        sub,
        "retry-job",
        _retry_job,
        "queue a failed job again",
        ("job_id", dict(type=int)),
        ("--as", dict(dest="user", default=None)),
        ("--json", dict(action="store_true", help="print JSON")),
    )


def actor_of(engine: Engine, args: argparse.Namespace) -> Actor:
    """The user named by ``--as``, or the system when none is given."""
    return engine.get_actor(args.user) if args.user else SYSTEM


def _worker(engine: Engine, args: argparse.Namespace) -> str | None:
    deadlines = engine
    logging.basicConfig(
        level=os.environ.get("SIGNOFF_LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.celery:
        if not deadlines.deadline_config.broker_url:
            raise InvalidInput(
                "--celery needs SIGNOFF_BROKER_URL (redis:// or amqp://)"
            )
        config = deadlines.deadline_config
        app = celery_app.make_app(config.broker_url or "", config.celery_queue)
        app.worker_main(
            [
                "worker",
                "--loglevel=INFO",
                "--without-gossip",
                f"--concurrency={max(1, args.concurrency)}",
            ]
        )
        return None
    loop = worker.build(deadlines, interval=args.interval)
    if args.once:
        return f"{loop.run_once()} piece(s) of work done"

    def stop(_signum: int, _frame: FrameType | None) -> None:
        loop.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    loop.run()
    return None


def _message(engine: Engine, args: argparse.Namespace) -> Any:
    try:
        data = json.loads(args.data)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"--data is not valid JSON: {exc.msg} at column {exc.colno}")
    if not isinstance(data, dict):
        raise InvalidInput("--data must be a JSON object")
    return engine.deliver_message(
        args.name, correlation_key=args.key, data=data, actor=actor_of(engine, args)
    )


def _jobs(engine: Engine, args: argparse.Namespace) -> Any:
    return engine.list_jobs(
        actor=actor_of(engine, args), failed_only=args.failed
    )


def _retry_job(engine: Engine, args: argparse.Namespace) -> Any:
    return engine.retry_job(args.job_id, actor=actor_of(engine, args))
