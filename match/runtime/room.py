"""What every match host does with its sockets and its background work.

``Room`` keeps a match's connections and sends them frames: each view of the state is
built and encoded once, however many sockets see it. It also owns the host's tasks and
timers, so that one failing task is logged with its match and never reaches the loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from gameserver.codec import Frame
from gameserver.identity import Identity

from ..games import Game

log = logging.getLogger("match.runtime.host")


def now_ms() -> int:
    return int(time.time() * 1000)


class Connection(Protocol):
    """What a host needs of a socket: who it is, and a way to send it frames."""

    identity: Identity
    seat: int | None

    async def send_frame(self, frame: Frame, latest: bool = False) -> None: ...

    async def close(self, code: int | None = None, reason: str | None = None) -> None: ...


class Room:
    """A match's connections, how frames reach them, and the host's tasks.

    Sending never waits on a client: each socket queues what it cannot send at once
    (``gameserver.outbox``), so ``order`` covers building frames, never the writes.
    """

    id: str
    game: Game

    def __init__(self) -> None:
        self.connections: list[Connection] = []
        self.tasks: set[asyncio.Task[Any]] = set()
        # Frames leave in the order the state changed: every send of state holds this.
        self.order = asyncio.Lock()

    async def broadcast_state(
        self, kind: str, state: Any, seq: int, extra: dict[str, Any] | None = None
    ) -> None:
        """Send every connection its view, built and encoded once per distinct view.

        A real-time update is the latest state: a lagging socket keeps only the newest.
        """
        base = {"type": kind, "seq": seq, "t": now_ms(), **(extra or {})}
        latest = kind == "match.update" and self.game.tick_rate > 0
        frames: dict[int | None, Frame] = {}
        shared: Frame | None = None
        for conn in list(self.connections):
            frame = frames.get(conn.seat)
            if frame is None:
                view = self.game.view(state, conn.seat)
                if view is state:  # the game hides nothing: one frame for all
                    shared = shared or Frame({**base, "state": view})
                    frame = shared
                else:
                    frame = Frame({**base, "state": view})
                frames[conn.seat] = frame
            await self.send(conn, frame, latest)

    async def broadcast(self, message: dict[str, Any], skip: int | None = None) -> None:
        """Send one message to every connection, except those of seat ``skip``."""
        frame = Frame(message)
        for conn in list(self.connections):
            if skip is None or conn.seat != skip:
                await self.send(conn, frame)

    async def send(self, conn: Connection, frame: Frame, latest: bool = False) -> None:
        try:
            await conn.send_frame(frame, latest)
        except Exception:
            log.exception("match %s: sending to player %s failed", self.id, conn.identity.id)

    async def close_quietly(self, conn: Connection, code: int) -> None:
        """Close one connection; a failure is logged, never stops closing the others."""
        try:
            await conn.close(code)
        except Exception:
            log.exception("match %s: closing player %s failed", self.id, conn.identity.id)

    # Timers and tasks ------------------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(self.guarded(coro))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    def later(self, delay: float, make: Callable[[], Coroutine[Any, Any, Any]]):
        return asyncio.get_running_loop().call_later(delay, lambda: self.spawn(make()))

    async def guarded(self, coro: Coroutine[Any, Any, Any]) -> None:
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("match %s: host task failed", self.id)
