"""Scale-out on Celery: the broker carries references to due work; workers run it.

With ``SIGNOFF_BROKER_URL`` (Redis or RabbitMQ) the worker loop dispatches each due
timer, start or job to the ``signoff.execute`` task. A Celery worker runs it through
``DeadlinesAPI.execute``, the code path local workers use, so the database still decides
who does what: a duplicate or late message finds the work claimed and does nothing, and
a worker lost mid-task leaves its timer rolled back or its job's lease to run out.

Run workers with ``celery -A engine.celery_app worker`` or ``signoff worker --celery``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from celery import Celery
from celery.signals import worker_process_init

from engine._deadlines_api import DeadlinesAPI
from engine.config import EngineConfig
from engine.deadline_config import DeadlineConfig
from engine.core import Engine
from engine.records import WorkRef

TASK = "signoff.execute"


def make_app(broker_url: str, queue: str = "signoff") -> Celery:
    """A Celery app whose messages are acknowledged only after the work is done."""
    app = Celery("signoff", broker=broker_url, set_as_current=False)
    app.conf.update(
        task_default_queue=queue,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_ignore_result=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    app.task(name=TASK)(_execute)
    return app


_lock = threading.Lock()
_engine: DeadlinesAPI | None = None


def _shared_engine() -> DeadlinesAPI:
    """One engine per Celery worker process, built from the environment on first use."""
    global _engine
    with _lock:
        if _engine is None:
            _engine = Engine.from_config(EngineConfig.from_env())
        return _engine


def _forget_parent_engine(**_kwargs: object) -> None:
    """A forked pool process must not reuse the parent's database connections."""
    global _engine
    _engine = None


worker_process_init.connect(_forget_parent_engine, weak=False)


def _execute(kind: str, ref_id: int) -> bool:
    return _shared_engine().execute(
        WorkRef(kind, int(ref_id)), worker=f"celery:{os.getpid()}"
    )


def dispatcher(config: DeadlineConfig) -> Callable[[WorkRef], None]:
    """Send each due ref as one ``signoff.execute`` message on the configured queue."""
    assert config.broker_url, "dispatching needs SIGNOFF_BROKER_URL"
    celery = make_app(config.broker_url, config.celery_queue)

    def send(ref: WorkRef) -> None:
        celery.send_task(TASK, args=(ref.kind, ref.id))

    return send


def __getattr__(name: str) -> Celery:
    """``celery -A engine.celery_app`` finds ``app``, built from the environment."""
    if name != "app":
        raise AttributeError(name)
    config = DeadlineConfig.from_env()
    built = make_app(config.broker_url or "memory://", config.celery_queue)
    globals()["app"] = built
    return built
