"""How the runner and its workers talk: queues on one loop, or pipes between processes."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol


class Link(Protocol):
    """One end of a two-way channel of small tuples."""

    def put(self, message: tuple[Any, ...]) -> None: ...

    async def get(self) -> tuple[Any, ...]: ...


class LocalLink:
    """An end of a pair of asyncio queues (runner and worker on the same loop)."""

    def __init__(self) -> None:
        self.inbox: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
        self.peer: LocalLink = self

    def put(self, message: tuple[Any, ...]) -> None:
        self.peer.inbox.put_nowait(message)

    async def get(self) -> tuple[Any, ...]:
        return await self.inbox.get()


def local_pair() -> tuple[LocalLink, LocalLink]:
    a, b = LocalLink(), LocalLink()
    a.peer, b.peer = b, a
    return a, b


class PipeLink:
    """An end of a ``multiprocessing`` pipe, read without blocking the loop."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def put(self, message: tuple[Any, ...]) -> None:
        self.conn.send(message)

    async def get(self) -> tuple[Any, ...]:
        loop = asyncio.get_running_loop()
        while not self.conn.poll():
            readable = loop.create_future()
            loop.add_reader(self.conn.fileno(), wake, readable)
            try:
                await readable
            finally:
                loop.remove_reader(self.conn.fileno())
        return self.conn.recv()


def wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
