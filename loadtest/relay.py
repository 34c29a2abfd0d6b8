"""The relay baseline: pairs of sockets bouncing frames through ``loadtest.benchrelay``.

Each socket keeps ``window`` frames in flight: every frame it receives it sends
back, so the pair plays ping-pong as fast as the server relays. The frame is about
the size of a tic-tac-toe update. Needs a server started with GAMESERVER_BENCH_RELAY=1.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from .client import Wire
from .scenario import Scenario, latency, per_1000, per_s

PATH = "/ws/bench/relay/"
BOARD = ["X", "O", None, None, "X", None, None, None, None]


class Relay(Scenario):
    """Pairs relaying through the bare Channels consumer: what the stack itself allows."""

    name = "relay"
    title = "Relay baseline"

    async def prepare(self) -> None:
        tag = f"{self.w.config.seed}-{time.time_ns()}"
        pairs = [f"{tag}-{n}" for n in range(self.w.config.pairs)]
        opened = await asyncio.gather(*(self.open(PATH, pair=key) for key in pairs for _ in "ab"))
        self.wires: list[Wire] = list(opened)

    async def run(self) -> None:
        tasks = [asyncio.create_task(self.bounce(wire)) for wire in self.wires]
        await self.w.stop.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def bounce(self, wire: Wire) -> None:
        rec, seq = self.rec, 0
        try:
            for _ in range(self.w.config.window):
                await wire.send(self.frame(seq))
            while True:
                message = await wire.recv()
                rec.count("received")
                rec.sample("relay_latency", (time.perf_counter() - message["t"]) * 1000)
                seq += 1
                await wire.send(self.frame(seq))
                rec.count("sent")
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if not self.w.stop.is_set():
                self.fail("connection", exc)

    @staticmethod
    def frame(seq: int) -> dict[str, Any]:
        state = {"board": BOARD, "turn": seq % 2, "marks": ["X", "O"]}
        return {"type": "match.update", "seq": seq, "t": time.perf_counter(), "state": state}

    async def finish(self) -> None:
        await asyncio.gather(*(self.close(wire) for wire in self.wires))

    @staticmethod
    def headline(result: dict[str, Any]) -> dict[str, Any]:
        server = result["server"]
        return {
            "pairs": result["config"]["pairs"],
            "delivered_per_s": per_s(result, "received"),
            "messages_per_s": per_s(result, "messages"),
            **latency(result, "relay_latency", "p50", "p99"),
            "errors": result["totals"].get("errors", 0),
            "server_cpu_util": server.get("cpu_util"),
            "server_cpu_s_per_1000_messages": per_1000(result, "messages"),
        }
