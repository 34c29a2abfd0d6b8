"""The load tester's configuration and one worker: a share of the bots on one event loop.

A worker prepares its bots (identities, sockets), says ``ready``, starts them on
``go``, records only inside the measurement window it is given, and on ``stop`` lets
them wind down for a bounded time before it sends back its recorder.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import asdict, dataclass, replace
from typing import Any

from .client import ENCODINGS, Server
from .stats import Recorder

PROGRESS_EVERY_S = 0.5
LAG_PERIOD_S = 0.01


@dataclass(frozen=True)
class Config:
    """One load test. Counts are totals; ``share`` splits them between processes."""

    url: str = "http://127.0.0.1:8000"
    scenario: str = "w1"
    players: int = 100  # W1 bots
    rooms: int = 10  # W2 rooms of 8 bots
    sockets: int = 1000  # W3 idle lobby sockets
    pairs: int = 50  # relay pairs
    duration: float = 15.0  # the measurement window (W3: how long the sockets stay idle)
    warmup: float = 3.0  # running, not recorded
    encoding: str = "json"
    procs: int = 1
    server_pid: int | None = None
    rate: float = 20.0  # W2 inputs per second and bot
    window: int = 4  # relay: messages in flight per socket
    concurrency: int = 64  # guest requests and handshakes at once, per process
    idle: str = "lobby"  # W3: idle sockets on the lobby, or on the bare relay (baseline)
    drain: float = 5.0  # after stop, how long bots may finish what they are doing
    seed: int = 1
    match_urls: str = ""  # comma-separated: match sockets go here, round robin by seat
    reconnect: bool = False  # a dropped match socket reconnects, as a real client does

    def share(self, index: int, procs: int) -> Config:
        """This worker's part: every count split as evenly as whole bots allow."""

        def part(total: int) -> int:
            return total // procs + (1 if index < total % procs else 0)

        return replace(
            self,
            players=part(self.players),
            rooms=part(self.rooms),
            sockets=part(self.sockets),
            pairs=part(self.pairs),
            seed=self.seed * 1000 + index,
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Worker:
    """What a scenario's bots share: config, server, recorder, clock and stop signal."""

    def __init__(self, config: Config, index: int = 0) -> None:
        self.config = config
        self.index = index
        self.server = Server(config.url)
        self.match_servers = [Server(u) for u in config.match_urls.split(",") if u.strip()]
        self.encoding = ENCODINGS[config.encoding]
        self.rec = Recorder()
        self.rng = random.Random(config.seed)
        self.stop = asyncio.Event()
        self.gauges: dict[str, int] = {}
        self.limit = asyncio.Semaphore(max(1, config.concurrency))
        self.proceed = asyncio.Event()
        self.said: Callable[[str], None] = lambda name: None
        self.cpu_s = 0.0

    def match_server(self, seat: int, attempt: int = 0) -> Server:
        """Where a bot in ``seat`` opens its match socket (``--match-urls``, else ``--url``);
        each failed attempt to reconnect tries the next URL."""
        if not self.match_servers:
            return self.server
        return self.match_servers[(seat + attempt) % len(self.match_servers)]

    def gauge(self, name: str, delta: int) -> None:
        """A value that goes up and down (open sockets, bots in a match)."""
        self.gauges[name] = self.gauges.get(name, 0) + delta

    def say(self, name: str) -> None:
        """Tell the runner this worker reached a point (a ``settles`` scenario's halves)."""
        self.said(name)

    async def limited(self, make: Callable[[], Awaitable[Any]]) -> Any:
        """Run ``make()`` while holding one of the ``concurrency`` slots."""
        async with self.limit:
            return await make()

    async def guests(self, count: int, prefix: str) -> list[tuple[str, str]]:
        """``count`` new guest identities, ``concurrency`` requests at a time."""
        names = [f"{prefix}{self.index}-{n}" for n in range(count)]
        asks = (self.limited(lambda n=n: self.server.guest(n)) for n in names)
        return await asyncio.gather(*asks)

    async def wind_down(self, tasks: Iterable[asyncio.Task[Any]]) -> None:
        """After ``stop``, give the bots ``drain`` seconds, then cancel the rest."""
        tasks = list(tasks)
        await self.stop.wait()
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=self.config.drain)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    def open_window(self, start: float, end: float | None) -> None:
        """Record from ``start`` to ``end`` (monotonic seconds; None: until stop)."""
        loop = asyncio.get_running_loop()
        loop.call_later(max(0.0, start - time.monotonic()), self._record, True)
        if end is not None:
            loop.call_later(max(0.0, end - time.monotonic()), self._record, False)

    def _record(self, on: bool) -> None:
        if on == self.rec.recording:
            return
        cpu = sum(os.times()[:2])
        self.cpu_s += cpu if not on else -cpu
        self.rec.recording = on

    def close_window(self) -> None:
        self._record(False)

    async def watch_lag(self) -> None:
        """Sample how late this loop wakes up: a busy tester shows here first."""
        while not self.stop.is_set():
            due = time.monotonic() + LAG_PERIOD_S
            await asyncio.sleep(LAG_PERIOD_S)
            self.rec.sample("tester.loop_lag", (time.monotonic() - due) * 1000)


def spawn(tasks: set[asyncio.Task[Any]], coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
    """A task kept alive in ``tasks`` until it is done."""
    task = asyncio.get_running_loop().create_task(coro)
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    return task
