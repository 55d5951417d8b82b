"""Run the web app under waitress with an embedded timer worker (``signoff serve``).

The worker thread calls engine.fire_due_timers() every few seconds; the engine gives
each timer its own transaction, so one failing instance cannot stop the others.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask
from waitress.server import create_server

from engine import Engine

logger = logging.getLogger(__name__)


class TimerWorker(threading.Thread):
    """Background thread that fires due timers until stop() is called."""

    def __init__(self, engine: Engine, *, interval: float = 5.0) -> None:
        super().__init__(name="signoff-timer-worker", daemon=True)
        self.engine = engine
        self.interval = interval
        self._stop_event = threading.Event()

    def run(self) -> None:
        """Fire due timers every ``interval`` seconds until stopped."""
        logger.info("timer worker started (every %.1fs)", self.interval)
        while not self._stop_event.is_set():
            self.tick()
            self._stop_event.wait(self.interval)
        logger.info("timer worker stopped")

    def tick(self) -> int:
        """Fire the timers due now; log and carry on if anything goes wrong."""
        try:
            fired = self.engine.fire_due_timers()
        except Exception:  # the one allowed catch-all: the loop must survive
            logger.exception("firing due timers failed; retrying next round")
            return 0
        if fired:
            logger.info("fired %d due timer(s)", fired)
        return fired

    def stop(self) -> None:
        """Ask the loop to end after the current round."""
        self._stop_event.set()


class Server:
    """A waitress server for ``app`` and its timer worker, run and stopped as one."""

    def __init__(
        self, app: Flask, *, host: str, port: int, threads: int = 8, worker: bool = True
    ) -> None:
        self.app = app
        self.wsgi = create_server(app, host=host, port=port, threads=threads)
        engine: Engine = app.extensions["engine"]
        interval = float(app.config.get("WORKER_INTERVAL", 5.0))
        self.worker = TimerWorker(engine, interval=interval) if worker else None

    @property
    def port(self) -> int:
        """Return the port actually bound (useful when asked for port 0)."""
        return int(getattr(self.wsgi, "effective_port"))

    @property
    def url(self) -> str:
        """Return the base URL the server answers on."""
        host = str(getattr(self.wsgi, "effective_host"))
        return f"http://{host}:{self.port}"

    def run(self) -> None:
        """Start the worker and serve until interrupted, then stop both."""
        if self.worker is not None:
            self.worker.start()
        logger.info("serving on %s", self.url)
        try:
            self.wsgi.run()
        finally:
            self.stop()

    def stop(self) -> None:
        """Stop the timer worker and close the listening socket."""
        if self.worker is not None:
            self.worker.stop()
        self.wsgi.close()
