"""Browser fixtures: the app served from a thread, Debian's chromium driven by Playwright, and axe.

One browser per session and one served app (with its world) per module keep the suite fast. Without
chromium or Playwright the tests skip locally but fail under CI=true: green CI means the browser ran.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from sqlalchemy import update
from werkzeug.serving import make_server

from broen.core.models import User
from tests.conftest import World, _make_world, make_app

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from playwright.sync_api import Browser, ConsoleMessage, Page, Response, ViewportSize

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE: ViewportSize = {"width": 360, "height": 740}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}


def unavailable(reason: str, allow_module_level: bool = False) -> None:
    """Skip locally, fail under CI=true."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"The browser tests must run under CI=true: {reason}")
    pytest.skip(f"Browser not available: {reason}", allow_module_level=allow_module_level)


def _buffered(app: WSGIApplication) -> WSGIApplication:
    """Each response read to its end and closed before werkzeug sends it.

    Chromium drops connections (a font request cancelled as the page moves on); werkzeug then skips
    closing the response, and the static file it left open surfaced as a ResourceWarning in a later test.
    """

    def wsgi(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return wsgi


@dataclass
class LiveServer:
    url: str
    world: World
    app: Flask


@pytest.fixture(scope="module")
def live_server(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app on a fresh SQLite copy with the world in it, served on 127.0.0.1 from a thread.

    One per module: tests in a module share its rows, so each makes what it changes its own.
    """
    path = tmp_path_factory.mktemp("e2e") / "broen.db"
    shutil.copy(sqlite_template, path)
    app = make_app(f"sqlite:///{path}")
    with app.app_context():
        world = _make_world(app)
        # The tests read the English texts: every user prefers English (the default is Danish).
        db = app.extensions["broen.db"]
        db.session.execute(update(User).values(language="en"))
        db.session.commit()
    server = make_server("127.0.0.1", 0, _buffered(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="broen-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", world, app)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        app.extensions["broen.db"].dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    try:
        import axe_playwright_python  # type: ignore[import-untyped]  # noqa: F401
        from playwright.sync_api import sync_playwright
    except ImportError as err:
        unavailable(f"{err.name} is not installed (pip install playwright axe-playwright-python)")
    if not os.access(CHROMIUM, os.X_OK):
        unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page_errors() -> list[str]:
    """Console errors, uncaught exceptions and failed sub-resources (a CSP refusal shows up here)."""
    return []


@pytest.fixture(params=[PHONE, DESKTOP], ids=["phone-360", "desktop-1280"])
def viewport(request: pytest.FixtureRequest) -> ViewportSize:
    size: ViewportSize = request.param
    return size


@pytest.fixture
def page(
    browser: Browser, viewport: ViewportSize, live_server: LiveServer, page_errors: list[str]
) -> Iterator[Page]:
    """A fresh browser context (no cookies) at the test's viewport, pointed at the live server."""
    context = browser.new_context(viewport=viewport, base_url=live_server.url, locale="en-GB")
    context.set_default_timeout(5000)
    page = context.new_page()
    page.on("console", lambda m: _console(m, page_errors))
    page.on("pageerror", lambda e: page_errors.append(str(e)))
    page.on("response", lambda r: _response(r, page_errors))
    try:
        yield page
    finally:
        context.close()


def _console(message: ConsoleMessage, errors: list[str]) -> None:
    # A failed load is reported by _response, which knows the URL (and lets a 404 page be a 404).
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        errors.append(message.text)


def _response(response: Response, errors: list[str]) -> None:
    if response.status < 400 or response.request.resource_type == "document":
        return
    errors.append(f"{response.status} for {response.url}")


class PageChecker:
    """What every visited page must satisfy: axe-clean, no console errors, no sideways scrolling on a phone."""

    def __init__(self, page: Page, viewport: ViewportSize, errors: list[str]) -> None:
        from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]

        self.page, self.viewport, self.errors, self.axe = page, viewport, errors, Axe()

    def __call__(self, what: str) -> None:
        results = self.axe.run(self.page)
        assert results.violations_count == 0, f"axe on {what} ({self.page.url}):\n{results.generate_report()}"
        assert not self.errors, f"console errors on {what} ({self.page.url}): {self.errors}"
        if self.viewport["width"] <= PHONE["width"]:
            scroll = self.page.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth,"
                " [...document.querySelectorAll('body *')]"
                ".filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)"
                ".slice(0, 5).map(e => e.outerHTML.slice(0, 120))]"
            )
            assert scroll[0] <= scroll[1], f"{what} scrolls sideways at {scroll[1]} px; too wide: {scroll[2]}"


@contextmanager
def another_person(
    browser: Browser, viewport: ViewportSize, live_server: LiveServer
) -> Iterator[tuple[Page, PageChecker]]:
    """A second person in a browser of their own (no shared cookies), at the same viewport, with their own
    page checker."""
    context = browser.new_context(viewport=viewport, base_url=live_server.url, locale="en-GB")
    context.set_default_timeout(5000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: _console(m, errors))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: _response(r, errors))
    try:
        yield page, PageChecker(page, viewport, errors)
    finally:
        context.close()


@pytest.fixture
def check(page: Page, viewport: ViewportSize, page_errors: list[str]) -> PageChecker:
    return PageChecker(page, viewport, page_errors)
