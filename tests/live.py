"""Real server processes for the tests that need them: daphne, uvicorn or ``make serve``
on free ports."""

from __future__ import annotations

import hashlib
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from loadtest.probe import free_port, wait_healthy

RUN_SALT = secrets.token_hex(16)  # one per test run
ROOT = Path(__file__).resolve().parent.parent
SERVERS = ("daphne", "uvicorn")


def command(kind: str, port: int) -> list[str]:
    """The command line of a server process, with the flags a production recipe uses."""
    if kind == "daphne":
        return [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                "gameserver.asgi:application"]  # fmt: skip
    if kind == "uvicorn":
        return [
            sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port),
            "--log-level", "warning", "--no-access-log", "--lifespan", "off",
            "--ws-max-size", "65536", "--ws-per-message-deflate", "false",
            "gameserver.asgi:application",
        ]  # fmt: skip
    raise ValueError(f"no server called {kind!r}")


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip


@dataclass
class Server:
    """One server process (daphne unless ``kind`` says uvicorn)."""

    proc: subprocess.Popen
    url: str
    env: dict[str, str]
    port: int
    log_path: Path
    kind: str = "daphne"

    @property
    def ws(self) -> str:
        return self.url.replace("http", "ws", 1)

    def kill(self) -> None:
        """Kill -9: no cleanup, as when a machine dies."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def restart(self) -> None:
        self.stop()
        started = start(self.env, self.log_path.parent, self.port, self.kind)
        self.proc = started.proc


def start(env: dict[str, str], tmp: Path, port: int | None = None, kind: str = "daphne") -> Server:
    port = port or free_port()
    log_path = tmp / f"{kind}-{port}.log"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            command(kind, port), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    server = Server(proc, f"http://127.0.0.1:{port}", env, port, log_path, kind)
    try:
        wait_healthy(server.url, proc)
    except RuntimeError:
        server.stop()
        raise RuntimeError(log_path.read_text()[-3000:]) from None
    return server


def start_serve(env: dict[str, str], tmp: Path, server: str = "uvicorn") -> Server:
    """``make serve``'s command (``--server daphne``: the same limits on daphne)."""
    port = free_port()
    log_path = tmp / f"serve-{server}-{port}.log"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gameserver.serve", "--server", server, "--port", str(port)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    started = Server(proc, f"http://127.0.0.1:{port}", env, port, log_path)
    try:
        wait_healthy(started.url, proc)
    except RuntimeError:
        started.stop()
        raise RuntimeError(log_path.read_text()[-3000:]) from None
    return started


def server_env(env_extra: dict[str, str], tmp: Path) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}", **env_extra}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.setdefault("GAMESERVER_DATA_DIR", str(tmp))  # its own key file, not the worktree's
    # The tests' clients all come from loopback: past the per-address limits unless a
    # test asks for them (tests/hostile).
    env.setdefault("GAMESERVER_UNLIMITED_ADDRESSES", "127.0.0.1,::1")
    if env.get("REDIS_URL") and not env.get("SECRET_KEY"):
        # Many processes share one key: every process started on this folder gets the
        # same one (a spare started later too), and no other test run has it.
        env["SECRET_KEY"] = hashlib.sha256(f"{tmp.resolve()}:{RUN_SALT}".encode()).hexdigest()
    return env


@contextmanager
def server(env_extra: dict[str, str], tmp: Path, port: int | None = None) -> Iterator[str]:
    """A migrated database and a daphne process serving it; yields its base URL."""
    with serving("daphne", env_extra, tmp, port) as proc:
        yield proc.url


@contextmanager
def serving(
    kind: str, env_extra: dict[str, str], tmp: Path, port: int | None = None
) -> Iterator[Server]:
    """A migrated database and one ``kind`` (daphne or uvicorn) process serving it."""
    env = server_env(env_extra, tmp)
    migrate(env)
    proc = start(env, tmp, port, kind)
    try:
        yield proc
    finally:
        proc.stop()


@contextmanager
def cluster(count: int, env_extra: dict[str, str], tmp: Path) -> Iterator[list[Server]]:
    """``count`` daphne processes sharing one database and one Redis."""
    env = server_env(env_extra, tmp)
    migrate(env)
    servers: list[Server] = []
    try:
        for _ in range(count):
            servers.append(start(env, tmp))
        yield servers
    finally:
        for proc in servers:
            proc.stop()


@contextmanager
def postgres_database(base_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test run; dropped afterwards."""
    import psycopg

    name = f"gs_test_{secrets.token_hex(4)}"
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(base_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
