"""Browser tests: a real daphne server and the system's Chromium driven by Playwright.

Without Playwright or ``/usr/bin/chromium`` these tests skip, except in CI
(``CI=true``), where a missing browser fails them. Screenshots and the server's log
go to ``test-artifacts/``.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def executable(name: str) -> str:
    path = VENV_BIN / name
    return str(path) if path.exists() else name


def wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"daphne exited with {proc.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url}/healthz did not answer 200 within {seconds} s")


@pytest.fixture
def requirement() -> Callable[[bool, str], None]:
    """``requirement(ok, reason)``: skip the test (fail it in CI) unless ``ok``."""
    return require


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated SQLite database and a daphne process serving the whole site."""
    tmp = tmp_path_factory.mktemp("browser-server")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "GAMESERVER_FILL_TIMEOUT": "1",
        "DJANGO_SETTINGS_MODULE": "gameserver.settings",
    }
    env.pop("REDIS_URL", None)  # one process: the in-memory layer and matchmaker
    python = executable("python")
    subprocess.run(
        [python, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    port = free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log_path = ARTIFACTS / "browser-daphne.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                executable("daphne"),
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                "gameserver.asgi:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(url, proc, log_path)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


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
