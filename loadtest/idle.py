"""W3, idle: N sockets that connect, get their welcome, and say nothing more.

Memory is read three times: once the identities exist, with half of the sockets
open, and with all of them open and idle for the window. The cost of an idle socket
is the growth from the half to the whole over the sockets opened in between (memory
the process freed earlier, e.g. after answering the guest requests, is reused first
and would hide part of the cost of the first sockets). ``--idle relay`` opens bare
relay sockets instead of lobby sockets: the stack's own cost per socket.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from .client import Wire
from .relay import PATH as RELAY_PATH
from .scenario import Scenario


class IdleSockets(Scenario):
    """N idle lobby (or relay) sockets."""

    name = "w3"
    title = "W3 idle"
    settles = True

    async def prepare(self) -> None:
        count = self.w.config.sockets
        self.wires: list[Wire] = []
        if self.w.config.idle == "relay":
            tag = f"idle-{self.w.config.seed}-{time.time_ns()}"
            self.targets = [(None, f"{tag}-{n // 2}") for n in range(count)]
        else:
            self.targets = [(t, None) for _, t in await self.w.guests(count, "w3-")]

    async def run(self) -> None:
        half = len(self.targets) // 2
        await asyncio.gather(*(self.enter(*target) for target in self.targets[:half]))
        self.rec.count("open_at_half", self.rec.counts["open"])
        self.w.say("half")
        await self.w.proceed.wait()
        await asyncio.gather(*(self.enter(*target) for target in self.targets[half:]))
        self.w.say("settled")
        await self.w.stop.wait()

    async def enter(self, token: str | None, pair: str | None) -> None:
        try:
            if pair is not None:
                self.wires.append(await self.open(RELAY_PATH, pair=pair))
                self.rec.count("open")
                return
            wire = await self.open("/ws/lobby/", token)
            self.wires.append(wire)
            welcome = await self.recv(wire)
        except Exception as exc:
            self.fail("connection", exc)
            return
        if welcome.get("type") == "welcome":
            self.rec.count("open")
        else:
            self.rec.error("no_welcome")

    async def finish(self) -> None:
        await asyncio.gather(*(self.close(wire) for wire in self.wires))

    @staticmethod
    def headline(result: dict[str, Any]) -> dict[str, Any]:
        server, counts = result["server"], result["counts"]
        opened, at_half = counts.get("open", 0), counts.get("open_at_half", 0)
        half, after = server.get("rss_half_kib"), server.get("rss_end_kib")
        before = server.get("rss_ready_kib")
        grown = opened - at_half
        marginal = (after - half) / grown if half and after and grown > 0 else None
        overall = (after - before) / opened if before and after and opened else None
        return {
            "sockets": result["config"]["sockets"],
            "idle_on": result["config"]["idle"],
            "open": opened,
            "rss_before_mib": round(before / 1024, 1) if before else None,
            "rss_after_mib": round(after / 1024, 1) if after else None,
            "kib_per_socket": round(marginal, 1) if marginal is not None else None,
            "kib_per_socket_overall": round(overall, 1) if overall is not None else None,
            "errors": result["totals"].get("errors", 0),
        }
