"""Run the web app under waitress with the engine's embedded worker (``signoff serve``).

The worker (engine/worker.py) fires due timers and runs due jobs (reminders, e-mail, SMS,
kept messages) in a thread, or hands them to Celery when SIGNOFF_BROKER_URL is set.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask
from waitress import wasyncore
from waitress.server import create_server

from engine import Engine
from engine.worker import Worker, build

logger = logging.getLogger(__name__)


class Server:
    """A waitress server for ``app`` and its worker, run and stopped as one."""

    def __init__(
        self, app: Flask, *, host: str, port: int, threads: int = 8, worker: bool = True
    ) -> None:
        self.app = app
        self.wsgi = create_server(app, host=host, port=port, threads=threads)
        engine: Engine = app.extensions["engine"]
        interval = float(app.config.get("WORKER_INTERVAL", 5.0))
        self.worker: Worker | None = build(engine, interval=interval) if worker else None
        self._loop: threading.Thread | None = None
        self._loop_ended = threading.Event()
        self._closed = False

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
        """Start the worker and serve until interrupted or stopped, then stop both."""
        if self.worker is not None:
            self.worker.start_thread()
        logger.info("serving on %s", self.url)
        self._loop = threading.current_thread()
        try:
            self.wsgi.run()
        finally:
            self._loop = None
            self._loop_ended.set()
            self.stop()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the worker and close the server's sockets.

        Sockets are closed inside the serving loop's own thread: closing them under a
        ``select`` running in another thread makes it fail with EBADF.
        """
        if self.worker is not None:
            self.worker.stop()
        loop = self._loop
        if loop is None or loop is threading.current_thread():
            self._close()
            return
        try:
            self.wsgi.trigger.pull_trigger(self._close)
        except OSError:  # the loop closed its trigger while ending on its own
            pass
        self._loop_ended.wait(timeout)

    def _close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.wsgi.task_dispatcher.shutdown()
        wasyncore.close_all(getattr(self.wsgi, "_map"))
