"""``signoff serve``: the parser, the waitress server and the embedded timer worker."""

from __future__ import annotations

import threading
import urllib.request
from typing import Any

import pytest
from flask import Flask

from engine.worker import Worker
from web import cli
from web.server import Server


def test_parser_adds_serve_to_engine_commands() -> None:
    parser = cli.build_parser()
    args = parser.parse_args(["serve", "--port", "8123"])
    assert (args.host, args.port, args.web_serve) == ("127.0.0.1", 8123, True)
    assert not getattr(parser.parse_args(["fire-timers"]), "web_serve", False)


def test_main_delegates_other_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []
    monkeypatch.setattr(cli.engine_cli, "main", lambda argv: seen.append(argv) or 0)
    assert cli.main(["fire-timers"]) == 0
    assert seen == [["fire-timers"]]


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("0.0.0.0", False),
        ("example.org", False),
    ],
)
def test_is_loopback(host: str, expected: bool) -> None:
    assert cli.is_loopback(host) is expected


def test_server_embeds_the_engine_worker_that_fires_due_work(app: Flask) -> None:
    server = Server(app, host="127.0.0.1", port=0)
    try:
        assert isinstance(server.worker, Worker)
        assert server.worker.run_once() == 0  # nothing is due on a fresh database
    finally:
        server.stop()


def test_server_serves_the_app_on_a_free_port(app: Flask) -> None:
    server = Server(app, host="127.0.0.1", port=0, worker=False)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"{server.url}/login", timeout=10) as response:
            body: Any = response.read().decode()
            assert response.status == 200 and "登录" in body
            assert response.headers["X-Frame-Options"] == "DENY"
    finally:
        server.stop()
        thread.join(5)
    assert not thread.is_alive()


def test_stopping_a_server_from_another_thread_ends_its_loop_cleanly(app: Flask) -> None:
    # Closing sockets under the loop's select() made it die with EBADF (a flaky CI failure).
    for _ in range(20):
        server = Server(app, host="127.0.0.1", port=0, worker=False)
        errors: list[BaseException] = []

        def serve(server: Server = server) -> None:
            try:
                server.run()
            except BaseException as error:  # noqa: BLE001 - the test reports any of them
                errors.append(error)

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        with urllib.request.urlopen(f"{server.url}/login", timeout=10) as response:
            response.read()
        server.stop()
        thread.join(5)
        assert not thread.is_alive() and errors == []


@pytest.mark.parametrize("host, secure", [("127.0.0.1", False), ("0.0.0.0", True)])
def test_session_cookie_is_secure_except_on_plain_loopback(
        host: str, secure: bool, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    # Browsers drop Secure cookies over http://127.0.0.1, so a local trial could not sign in.
    monkeypatch.setenv("SIGNOFF_DATABASE_URL", f"sqlite:///{tmp_path / 's.db'}")
    monkeypatch.setenv("SIGNOFF_SECRET_KEY", "test-key")
    monkeypatch.delenv("SIGNOFF_SESSION_COOKIE_SECURE", raising=False)
    seen: dict[str, object] = {}

    class Recorder:
        def __init__(self, app: Flask, **_kwargs: object) -> None:
            seen["secure"] = app.config["SESSION_COOKIE_SECURE"]

        def run(self) -> None:
            return None

    monkeypatch.setattr(cli, "Server", Recorder)
    assert cli.serve(host, 0) == 0
    assert seen["secure"] is secure
