"""The worker loop behind ``signoff worker`` and the embedded thread of ``serve``.

Without a broker a worker fires due timers and runs due jobs itself; any number of
workers may run against PostgreSQL, since each piece of work is claimed by exactly one.
With ``SIGNOFF_BROKER_URL`` set the loop only dispatches: it hands each due piece of
work to Celery, whose workers run ``DeadlinesAPI.execute``; the local loop claims work
through
the same ``_fire_guarded`` / ``_run_guarded`` paths.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

from engine import celery_app
from engine._deadlines_api import DeadlinesAPI, worker_name
from engine.records import WorkRef

logger = logging.getLogger(__name__)


Dispatcher = Callable[[WorkRef], None]


class Worker:
    """Fire timers and run jobs until stopped; or, given a dispatcher, hand them out."""

    def __init__(
        self,
        engine: DeadlinesAPI,
        *,
        name: str | None = None,
        interval: float = 1.0,
        batch: int = 100,
        dispatcher: Dispatcher | None = None,
        redispatch_after: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.name = name or worker_name()
        self.interval = interval
        self.batch = batch
        self.dispatcher = dispatcher
        self.redispatch_after = redispatch_after
        self._clock = clock
        self._sent: dict[WorkRef, float] = {}
        self.stop_event = threading.Event()

    def run_once(self) -> int:
        """One round: how many timers, starts and jobs were run (or dispatched)."""
        if self.dispatcher is not None:
            return self._dispatch(self.engine.list_due_work(limit=self.batch * 5))
        done = self.engine.fire_due_timers(limit=self.batch)
        return done + self.engine.run_due_jobs(limit=self.batch, worker=self.name)

    def _dispatch(self, refs: Iterable[WorkRef]) -> int:
        """Send each due ref once per ``redispatch_after`` s (duplicates are no-ops)."""
        assert self.dispatcher is not None
        now = self._clock()
        self._sent = {
            r: t for r, t in self._sent.items() if now - t < self.redispatch_after
        }
        sent = 0
        for ref in refs:
            if ref in self._sent:
                continue
            self.dispatcher(ref)
            self._sent[ref] = now
            sent += 1
        return sent

    def run(self) -> None:
        """Loop until ``stop()``; rest ``interval`` s whenever a round found nothing."""
        logger.info("worker %s started", self.name)
        while not self.stop_event.is_set():
            try:
                busy = self.run_once() > 0
            except (
                Exception
            ):  # the top of the worker loop: log and keep the worker alive
                logger.exception("worker round failed; trying again")
                busy = False
            if not busy:
                self.stop_event.wait(self.interval)
        logger.info("worker %s stopped", self.name)

    def stop(self) -> None:
        self.stop_event.set()

    def start_thread(self) -> threading.Thread:
        """Run the loop in a daemon thread (the embedded worker of ``serve``)."""
        thread = threading.Thread(
            target=self.run, name=f"signoff-worker-{self.name}", daemon=True
        )
        thread.start()
        return thread


def build(
    engine: DeadlinesAPI, *, interval: float = 1.0, name: str | None = None
) -> Worker:
    """A worker that dispatches to Celery if a broker is configured, else runs work."""
    config = engine.deadline_config
    dispatcher = celery_app.dispatcher(config) if config.broker_url else None
    return Worker(engine, interval=interval, name=name, dispatcher=dispatcher)
