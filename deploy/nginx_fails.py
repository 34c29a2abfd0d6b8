"""How nginx's ``max_fails`` setting treats backends that die and come back: measured.

Three bare WebSocket backends (each answers any socket with one message) behind
``deploy/nginx.conf.template``, as ``make cluster`` fills it in; clients open lobby
and match sockets in a loop; each backend is killed (``kill -9``) once and restarted
5 s later, one after the other. Counts the sockets nginx refused (HTTP 502) per
variant of the upstream servers' parameters, and for how long refusals went on.

    .venv/bin/python deploy/nginx_fails.py            # three variants, about 3 minutes

Traffic stays on 127.0.0.1. Prints a Markdown table (docs/deploy.md has the last one).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from loadtest.probe import free_port  # noqa: E402

VARIANTS = {
    "nginx default (max_fails=1 fail_timeout=10s)": "",
    "max_fails=1 fail_timeout=2s": " max_fails=1 fail_timeout=2s",
    "max_fails=0": " max_fails=0",
}
# A backend takes STARTUP_S to listen after a (re)start, as a server process loading
# its application does.
STARTUP_S = 2.0
BACKEND = f"""
import asyncio, sys, time
from websockets.asyncio.server import serve
async def answer(ws):
    await ws.send('{{"type": "welcome"}}')
    await ws.wait_closed()
async def main():
    time.sleep({STARTUP_S})
    async with serve(answer, "127.0.0.1", int(sys.argv[1])):
        await asyncio.Future()
asyncio.run(main())
"""


class Backends:
    """The bare backends, each on its own port, that can be killed and restarted."""

    def __init__(self, count: int) -> None:
        self.ports = [free_port() for _ in range(count)]
        self.procs = [self.spawn(port) for port in self.ports]

    def spawn(self, port: int) -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-c", BACKEND, str(port)])

    def kill(self, index: int) -> None:
        self.procs[index].send_signal(signal.SIGKILL)
        self.procs[index].wait()

    def restart(self, index: int) -> None:
        self.procs[index] = self.spawn(self.ports[index])

    def stop(self) -> None:
        for proc in self.procs:
            proc.kill()
            proc.wait()


def nginx_config(rundir: Path, listen: int, ports: list[int], params: str) -> Path:
    servers = "\n".join(f"        server 127.0.0.1:{port}{params};" for port in ports)
    text = (ROOT / "deploy/nginx.conf.template").read_text()
    text = text.replace("__UPSTREAMS__", servers).replace("__LISTEN__", f"127.0.0.1:{listen}")
    path = rundir / "nginx.conf"
    path.write_text(text.replace("__RUNDIR__", str(rundir)))
    return path


class Tally:
    """Sockets opened and refused, and when the refusals happened."""

    def __init__(self) -> None:
        self.opened = self.refused = self.other = 0
        self.refusal_times: list[float] = []


async def client(url: str, tally: Tally, stop: asyncio.Event, start: float) -> None:
    while not stop.is_set():
        path = "/ws/lobby/" if secrets.randbelow(2) else f"/ws/match/{secrets.token_hex(6)}/"
        try:
            async with asyncio.timeout(3), connect(url + path, open_timeout=3) as ws:
                await ws.recv()
                tally.opened += 1
                await asyncio.sleep(0.5 + secrets.randbelow(1500) / 1000)  # held, as clients do
        except InvalidStatus as exc:
            if exc.response.status_code == 502:
                tally.refused += 1
                tally.refusal_times.append(time.monotonic() - start)
            else:
                tally.other += 1
        except (OSError, TimeoutError, Exception):
            tally.other += 1
        await asyncio.sleep(0.05)


async def measure(params: str, seconds: float, clients: int) -> Tally:
    backends = Backends(3)
    rundir = Path(tempfile.mkdtemp(prefix="nginx-fails-"))
    listen = free_port()
    conf = nginx_config(rundir, listen, backends.ports, params)
    nginx = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(rundir)])  # noqa: ASYNC220
    await asyncio.sleep(STARTUP_S + 1.0)  # every backend listens
    tally, stop, start = Tally(), asyncio.Event(), time.monotonic()
    tasks = [
        asyncio.create_task(client(f"ws://127.0.0.1:{listen}", tally, stop, start))
        for _ in range(clients)
    ]
    try:
        for index in range(3):  # each backend dies once, and comes back 5 s later
            await asyncio.sleep(5)
            backends.kill(index)
            await asyncio.sleep(5)
            backends.restart(index)
        await asyncio.sleep(max(0.0, seconds - (time.monotonic() - start)))
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        nginx.terminate()
        nginx.wait(10)
        backends.stop()
        shutil.rmtree(rundir, ignore_errors=True)
    return tally


def row(name: str, tally: Tally) -> str:
    times = tally.refusal_times
    span = f"{times[0]:.1f}-{times[-1]:.1f} s" if times else "none"
    total = tally.opened + tally.refused + tally.other
    return f"| {name} | {total} | {tally.refused} | {span} | {tally.other} |"


async def main(seconds: float, clients: int) -> None:
    print("| upstream server parameters | sockets tried | refused (502) | refusals from-to "
          "| other failures |")  # fmt: skip
    print("| --- | --- | --- | --- | --- |")
    for name, params in VARIANTS.items():
        tally = await measure(params, seconds, clients)
        print(row(name, tally), flush=True)


if __name__ == "__main__":
    if shutil.which("nginx") is None:
        sys.exit("nginx is not installed (Debian: apt-get install nginx-light)")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="per variant")
    parser.add_argument("--clients", type=int, default=20, help="socket loops at once")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(args.seconds, args.clients))
