"""Browser tests: a real daphne server and the system's Chromium driven by Playwright.

Without Playwright or ``/usr/bin/chromium`` these tests skip, except in CI
(``CI=true``), where a missing browser fails them. Screenshots and the server's log
go to ``test-artifacts/``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live import server

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
TIMEOUT_MS = 15_000


def require(ok: bool, reason: str) -> None:
    """Skip when ``ok`` is false; in CI fail instead, since the browser must be there."""
    if ok:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: browser tests must run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def requirement() -> Callable[[bool, str], None]:
    """``requirement(ok, reason)``: skip the test (fail it in CI) unless ``ok``."""
    return require


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated SQLite database and a daphne process serving the whole site."""
    tmp = tmp_path_factory.mktemp("browser-server")
    # One process: the in-memory layer and matchmaker, whatever the caller's REDIS_URL.
    with server({"GAMESERVER_FILL_TIMEOUT": "1", "REDIS_URL": ""}, tmp) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """The system Chromium, launched headless by Playwright (never a downloaded build).

    Module scope, not session: Playwright's sync API keeps an event loop running in
    this thread until it stops, which would break the async tests collected after.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "playwright is not installed (pip install playwright)")
    require(Path(CHROMIUM).exists(), f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(
    browser: Any, demo_server: str, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Any]]:
    """``open_page(query="")`` -> a page in a fresh browser context (a separate player).

    Console errors and uncaught exceptions are collected on ``page.errors``; the test
    fails at teardown if any page had one that no pattern in ``page.allowed`` matches.
    """
    contexts: list[Any] = []
    pages: list[Any] = []

    def open_(query: str = "") -> Any:
        context = browser.new_context(viewport={"width": 1100, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.allowed = []
        page.on("pageerror", lambda exc: page.errors.append(f"pageerror: {exc}"))
        page.on(
            "console",
            lambda msg: page.errors.append(f"console: {msg.text}") if msg.type == "error" else None,
        )
        page.goto(f"{demo_server}/{query}")
        pages.append(page)
        return page

    yield open_
    errors = [
        error
        for page in pages
        for error in page.errors
        if not any(re.search(pattern, error) for pattern in page.allowed)
    ]
    for context in contexts:
        context.close()
    assert not errors, f"the page reported errors: {errors}"


@pytest.fixture
def screenshot() -> Callable[[Any, str], None]:
    """``screenshot(page, name)`` saves ``test-artifacts/screenshots/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str) -> None:
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name)
        page.screenshot(
            path=str(SCREENSHOTS / f"{safe}.png"), full_page=True, animations="disabled"
        )

    return take
