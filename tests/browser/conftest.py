"""Browser fixtures: the real server (waitress + timer worker) and Debian's chromium.

The server runs in a thread on a free 127.0.0.1 port against a fresh SQLite database
with workflows/ deployed and the demo users. The admin tests get a server of their own
per module (``admin_server``), because they deploy new versions of the shipped
definitions that the other browser tests must not see. Nothing is skipped: without
/usr/bin/chromium these tests fail and say how to install it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from engine import SYSTEM, Engine, EngineConfig, demo
from web import create_app
from web.i18n import compile_catalogs
from web.server import Server

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
# dmn-js ships Inferno's development notice in its production bundle; chromium's own
# contenteditable editing adds style attributes that the CSP blocks (harmlessly); and
# bpmn-js logs each element of a broken file it cannot draw (the editor says so too).
TOLERATED = (
    "development build of Inferno",
    "Applying inline style violates",
    "failed to import <bpmn:",
)
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
FieldValue = str | bool | list[str]
DESKTOP = {"width": 1280, "height": 900}


@dataclass(frozen=True)
class LiveServer:
    url: str
    engine: Engine


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Serve the app from a fresh database with the shipped workflows and demo users."""
    compile_catalogs()
    var = tmp_path_factory.mktemp("browser-var")
    config = EngineConfig.from_mapping(
        {
            "SIGNOFF_DATABASE_URL": f"sqlite:///{var / 'signoff.db'}",
            "SIGNOFF_VAR_DIR": str(var),
        }
    )
    engine = Engine.from_config(config)
    engine.upgrade_schema()
    demo.ensure_users(engine)
    engine.deploy_directory(ROOT / "workflows", actor=SYSTEM, comment="browser tests")
    settings = {"SECRET_KEY": "browser-test-key", "WORKER_INTERVAL": 1.0}
    app = create_app(settings, engine=engine)
    server = Server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(
        target=server.run, name="browser-test-server", daemon=True
    )
    thread.start()
    yield LiveServer(url=server.url, engine=engine)
    server.stop()
    thread.join(10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's chromium, headless, driven by Playwright."""
    if not CHROMIUM.exists():
        pytest.fail(
            "/usr/bin/chromium is missing: run `make test` (it runs "
            "scripts/ensure-chromium.sh), or run that script as root yourself"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) with a phone-sized screen."""
    created = browser.new_context(viewport=PHONE, locale="zh-CN")
    yield created
    created.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    """One tab; console errors and CSP violations are collected in ``page.problems``."""
    tab = context.new_page()
    problems: list[str] = []
    tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: problems.append(str(e)))
    tab.problems = problems  # type: ignore[attr-defined]
    yield tab
    tab.close()


class UI:
    """What a person does in the browser: sign in, fill forms, take pictures."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server

    def login(
        self, page: Page, username: str, password: str = demo.DEMO_PASSWORD
    ) -> None:
        page.goto(f"{self.server.url}/login")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{self.server.url}/")

    def logout(self, page: Page) -> None:
        page.get_by_role("button", name="退出").click()
        page.wait_for_url("**/login")

    def fill(self, page: Page, values: Mapping[str, FieldValue]) -> None:
        """Fill form fields by name: text, radio, select, checkbox(es)."""
        for name, value in values.items():
            if isinstance(value, bool):
                page.locator(f'input[type=checkbox][name="{name}"]').set_checked(value)
            elif isinstance(value, list):
                for item in value:
                    page.locator(f'input[name="{name}"][value="{item}"]').check()
            elif page.locator(f'input[type=radio][name="{name}"]').count():
                page.locator(
                    f'input[type=radio][name="{name}"][value="{value}"]'
                ).check()
            elif page.locator(f'select[name="{name}"]').count():
                page.locator(f'select[name="{name}"]').select_option(value)
            else:
                page.locator(f'[name="{name}"]').fill(value)

    def open_task(self, page: Page, title: str, instance_id: int) -> None:
        """Open an instance's task by title from "my tasks", else "my groups' tasks"."""
        for tab in ("mine", "group"):
            page.goto(f"{self.server.url}/?tab={tab}")
            row = page.locator("li.task", has_text=re.compile(rf"#{instance_id}\b"))
            link = row.get_by_role("link", name=title, exact=True)
            if link.count():
                link.first.click()
                page.wait_for_url("**/tasks/**")
                return
        raise AssertionError(f"task {title!r} of #{instance_id} is not in the inbox")

    def complete_task(
        self,
        page: Page,
        username: str,
        title: str,
        values: Mapping[str, FieldValue],
        *,
        instance_id: int,
    ) -> None:
        """Sign in as ``username``, open the task, fill it, submit, and sign out."""
        self.login(page, username)
        self.open_task(page, title, instance_id)
        # Screenshot before typing: a full-page capture of a filled form can make
        # headless chromium swallow the next click.
        self.screenshot(page, f"task-{username}-{title}")
        self.fill(page, values)
        page.get_by_role("button", name="提交", exact=True).click()
        expect(page.get_by_role("status").first).to_contain_text(f"已完成：{title}")
        assert page.url == f"{self.server.url}/"
        self.logout(page)

    def screenshot(self, page: Page, name: str) -> Path:
        """Save a full-page screenshot under test-artifacts/ (git-ignored)."""
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def ui(live_server: LiveServer) -> UI:
    return UI(live_server)


class AdminServer:
    """The app over a fresh SQLite database with workflows/ and the demo users."""

    def __init__(self, var: Path) -> None:
        config = EngineConfig.from_mapping(
            {
                "SIGNOFF_DATABASE_URL": f"sqlite:///{var / 'signoff.db'}",
                "SIGNOFF_VAR_DIR": str(var),
            }
        )
        self.engine = Engine.from_config(config)
        self.engine.upgrade_schema()
        demo.ensure_users(self.engine)
        self.engine.deploy_directory(ROOT / "workflows", actor=SYSTEM, comment="tests")
        app = create_app(
            {"SECRET_KEY": "admin-browser-key", "WORKER_INTERVAL": 60.0},
            engine=self.engine,
        )
        self.server = Server(app, host="127.0.0.1", port=0, threads=4)
        self.url = self.server.url
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.stop()
        self.thread.join(10)


@pytest.fixture(scope="module")
def admin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdminServer]:
    """A server of the module's own, so its deploys stay out of other modules' way."""
    compile_catalogs()
    server = AdminServer(tmp_path_factory.mktemp("admin-browser"))
    yield server
    server.stop()


@pytest.fixture
def modelers() -> Path:
    """Files exported by other modelers (Camunda, Signavio, yEd, …) to import."""
    return ROOT / "tests" / "data" / "modelers"


@pytest.fixture
def admin_language() -> str | None:
    """The language the admin's tab switches to; None keeps the demo admin's English.

    A module overrides this fixture to see the admin area in Chinese.
    """
    return None


@pytest.fixture
def console_tolerated() -> tuple[str, ...]:
    """Console errors that are not the page's fault (a module may add its own)."""
    return TOLERATED


@pytest.fixture
def admin_page(
    browser: Browser,
    admin_server: AdminServer,
    admin_language: str | None,
    console_tolerated: tuple[str, ...],
) -> Iterator[Page]:
    """A desktop-sized tab signed in as the demo admin; fails on console errors."""
    context = browser.new_context(
        viewport={"width": 1400, "height": 1000}, locale="zh-CN"
    )
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and not any(t in m.text for t in console_tolerated)
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{admin_server.url}/login")
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{admin_server.url}/")
    if admin_language is not None:
        switch = page.locator(
            f'form[action="/language"] button[value="{admin_language}"]'
        )
        if switch.count():  # not when an earlier test of the module already chose it
            switch.click()
            expect(switch).to_have_count(0)  # the page came back in that language
    yield page
    context.close()
    assert problems == []
