"""The ``signoff`` console script: the engine's commands plus ``serve`` for the web app.

Everything except ``serve`` is delegated unchanged to engine.cli.main, which runs
without Flask; ``serve`` starts waitress with the embedded timer worker.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import signal
import sys
from collections.abc import Sequence

from engine import cli as engine_cli
from web import create_app
from web.server import Server

logger = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    """Return the engine's parser with the ``serve`` subcommand added."""
    parser = engine_cli.build_parser()
    serve = parser.subcommands.add_parser(  # type: ignore[attr-defined]
        "serve", help="run the web app with the embedded timer worker"
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=5000, help="port to listen on")
    serve.add_argument("--threads", type=int, default=8, help="request threads")
    serve.add_argument(
        "--no-worker", action="store_true", help="do not fire timers in this process"
    )
    serve.set_defaults(web_serve=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``signoff``: serve the web app, or hand the command to the engine CLI."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(args_list)
    if not getattr(args, "web_serve", False):
        return engine_cli.main(args_list)
    logging.basicConfig(
        level=os.environ.get("SIGNOFF_LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return serve(args.host, args.port, threads=args.threads, worker=not args.no_worker)


def serve(host: str, port: int, *, threads: int = 8, worker: bool = True) -> int:
    """Build the app from the environment and serve it until interrupted."""
    app = create_app()
    if is_loopback(host) and "SIGNOFF_SESSION_COOKIE_SECURE" not in os.environ:
        # Browsers drop Secure cookies sent over plain HTTP to 127.0.0.1, so a local
        # trial could never sign in; anything not on loopback keeps them Secure.
        app.config["SESSION_COOKIE_SECURE"] = False
    elif "SIGNOFF_SESSION_COOKIE_SECURE" not in os.environ:
        logger.warning(
            "session cookies are marked Secure: serve %s behind HTTPS, or set "
            "SIGNOFF_SESSION_COOKIE_SECURE=false for a plain-HTTP trial",
            host,
        )
    signal.signal(signal.SIGTERM, stop_on_signal)
    Server(app, host=host, port=port, threads=threads, worker=worker).run()
    return 0


def stop_on_signal(signum: int, frame: object) -> None:
    """Turn SIGTERM into the KeyboardInterrupt waitress shuts down cleanly on."""
    raise KeyboardInterrupt(f"signal {signum}")


def is_loopback(host: str) -> bool:
    """Tell whether ``host`` is a loopback address or name."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
