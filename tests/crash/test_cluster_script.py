"""``make cluster``'s script as an operator runs it: a killed process comes back, and
nginx (``max_fails=0``) sends the lobby elsewhere meanwhile, refusing nobody."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
import websockets

from loadtest.probe import free_port
from tests.live import ROOT, postgres_database
from tests.services import postgres_url, redis_url, require_postgres, require_redis
from tests.test_cluster import http

pytestmark = [pytest.mark.live]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


def refused(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def wait_until(check, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


async def lobby_sockets(url: str, count: int) -> list[int]:
    """Open ``count`` lobby sockets through ``url``; the HTTP status of each refusal."""
    token = http(f"{url}/api/guest", {"name": "op"})["token"]
    refused = []
    for _ in range(count):
        try:
            async with websockets.connect(f"{url.replace('http', 'ws')}/ws/lobby/?token={token}"):
                pass
        except websockets.InvalidStatus as exc:
            refused.append(exc.response.status_code)
    return refused


def two_free_ports() -> int:
    """The first of two consecutive free ports."""
    while True:
        first = free_port()
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", first + 1))
                return first
            except OSError:
                continue


def test_the_cluster_script_restarts_a_killed_process_and_nginx_refuses_nobody(tmp_path):
    require_redis()
    require_postgres()
    nginx = shutil.which("nginx") is not None
    first = two_free_ports()
    port = free_port()
    while port in (first, first + 1):
        port = free_port()
    with postgres_database(postgres_url()) as database:
        env = {**os.environ, "DATABASE_URL": database, "REDIS_URL": redis_url(db=1),
               "PROCESSES": "2", "PORT": str(port), "FIRST_BACKEND_PORT": str(first),
               "RUNDIR": str(tmp_path), "SERVER": "uvicorn", "RESTART_DELAY": "1",
               "PROXY": "nginx" if nginx else "none"}  # fmt: skip
        env.pop("DJANGO_SETTINGS_MODULE", None)
        script = subprocess.Popen(
            ["bash", "deploy/cluster.sh"], cwd=ROOT, env=env, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        backends = [f"http://127.0.0.1:{first + i}" for i in range(2)]
        front = f"http://127.0.0.1:{port}" if nginx else backends[1]
        try:
            wait_until(lambda: all(map(healthy, [*backends, front])), 60)
            pid = int(Path(tmp_path / f"server-{first}.pid").read_text())
            os.kill(pid, signal.SIGKILL)
            wait_until(lambda: refused(first), 10)  # gone (a request in flight may fail)
            assert asyncio.run(lobby_sockets(front, 20)) == []  # the live one takes them all
            wait_until(lambda: healthy(backends[0]), 30)
            assert int(Path(tmp_path / f"server-{first}.pid").read_text()) != pid
            log = (tmp_path / "supervisor.log").read_text()
            assert f"server on port {first} exited (137); restart 1" in log
        finally:
            os.killpg(script.pid, signal.SIGTERM)
            script.wait(30)
