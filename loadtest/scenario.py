"""The shape every workload shares, and the helpers its bots use to talk and count."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from .client import Server, Wire
from .worker import Worker

log = logging.getLogger("loadtest")


class Scenario:
    """A workload: ``prepare`` before the clock starts, ``run`` until stop, ``finish``.

    ``headline`` turns a merged result into the figures a report shows. A scenario
    that ``settles`` (W3) has no warmup and measures memory rather than rates: its
    workers ``say("half")`` and wait for ``proceed``, then ``say("settled")``, and the
    runner reads the server's memory at each point.
    """

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    settles: ClassVar[bool] = False

    def __init__(self, worker: Worker) -> None:
        self.w = worker
        self.rec = worker.rec

    async def prepare(self) -> None:
        """Called once before ``go``: identities and sockets."""

    async def run(self) -> None:
        """Called at ``go``: drive the bots until ``worker.stop`` (then wind down)."""

    async def finish(self) -> None:
        """Called after ``run``: end matches and close sockets (bounded by the runner)."""

    @staticmethod
    def headline(result: dict[str, Any]) -> dict[str, Any]:
        """The figures that matter for this workload."""
        return {}

    def fail(self, kind: str, exc: BaseException) -> None:
        """Count an error; log the first of each kind, so that a failing run says why."""
        if not self.rec.totals.get(f"error.{kind}"):
            cause = f" ({type(exc.__cause__).__name__}: {exc.__cause__})" if exc.__cause__ else ""
            log.warning("first %s error: %s: %s%s", kind, type(exc).__name__, exc, cause)
        self.rec.error(kind)

    # Talking, counted: every frame the bots send or receive is a "message".

    async def send(self, wire: Wire, message: dict[str, Any]) -> None:
        await wire.send(message)
        self.rec.count("sent")

    async def recv(self, wire: Wire) -> dict[str, Any]:
        message = await wire.recv()
        self.rec.count("received")
        return message

    async def open(
        self, path: str, token: str | None = None, via: Server | None = None, **query: str
    ) -> Wire:
        """A socket to ``path`` on ``via`` (default: the server); handshakes are limited."""
        url = (via or self.w.server).socket_url(path, token, **query)
        wire = await self.w.limited(lambda: Wire.open(url, self.w.encoding))
        self.w.gauge("sockets", 1)
        return wire

    async def close(self, wire: Wire) -> None:
        await wire.close()
        self.w.gauge("sockets", -1)


def per_s(result: dict[str, Any], name: str) -> float:
    """A windowed count as a rate."""
    window = result["window_s"] or float("nan")
    return round(result["counts"].get(name, 0) / window, 1)


def per_1000(result: dict[str, Any], name: str) -> float | None:
    """Server CPU-seconds per 1000 of a windowed count (None without a server pid)."""
    cpu, n = result["server"].get("cpu_s"), result["counts"].get(name, 0)
    return round(cpu / n * 1000, 3) if cpu is not None and n else None


def latency(result: dict[str, Any], name: str, *qs: str) -> dict[str, float | None]:
    summary = result["latency_ms"].get(name, {})
    return {f"{name}_{q}_ms": summary.get(q) for q in qs}
