"""Each socket's outgoing frames: sending never waits on a client.

``Outbox.put`` hands a frame to the server at once when the server takes it without
waiting, which is the usual case and costs what a direct send costs. When the server
would make the sender wait (its write buffer for that client is full), the frame and
every later one queue up, and one writer task for that socket drains the queue. A
socket whose queue outgrows its bounds, or whose writer makes no progress for
``timeout`` seconds, is too slow: its owner closes it (4408).

Servers push back differently. uvicorn's ``send`` waits while its write buffer is over
its mark. daphne's never waits and buffers without bound, so for daphne the outbox also
reads the transport's own "paused" flag (``server_paused``) before each send.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sys
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Generator
from types import CoroutineType
from typing import Any

log = logging.getLogger("gameserver.sockets")
Event = dict[str, Any]
Send = Callable[[Event], Awaitable[None]]
POLL_S = 0.05  # how often a writer waiting on daphne looks whether its buffer drained


def server_paused(send: Send) -> Callable[[], bool] | None:
    """For a server whose ``send`` never waits: whether this connection's write buffer is
    over its mark. None for servers whose ``send`` waits by itself (uvicorn, tests).

    daphne's ``send`` is ``functools.partial(Server.handle_reply, protocol)``; the
    protocol's Twisted transport sets ``producerPaused`` while its buffer is full.
    Channels' session middleware wraps ``send`` in a method that keeps it as ``real_send``.
    """
    while (inner := getattr(getattr(send, "__self__", None), "real_send", None)) is not None:
        send = inner
    protocol = send.args[0] if isinstance(send, functools.partial) and send.args else None
    transport = getattr(protocol, "transport", None)
    if transport is None or not hasattr(transport, "producerPaused"):
        return None
    return lambda: bool(transport.producerPaused)


def client_gone(exc: BaseException) -> bool:
    """Whether a server's ``send`` failed because the client is gone: an OSError (uvicorn's
    ClientDisconnected), or autobahn's Disconnected (daphne, once a close is under way).
    """
    if isinstance(exc, OSError):
        return True
    disconnected = getattr(sys.modules.get("autobahn.exception"), "Disconnected", None)
    return disconnected is not None and isinstance(exc, disconnected)


class Resumed:
    """Awaits the rest of a coroutine whose first step already ran and suspended."""

    __slots__ = ("coro", "signal")

    def __init__(self, coro: Coroutine[Any, Any, Any], signal: Any) -> None:
        self.coro, self.signal = coro, signal

    def __await__(self) -> Generator[Any, Any, None]:
        coro, signal = self.coro, self.signal
        while True:  # what ``yield from coro`` does, after its first step
            try:
                sent = yield signal
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:
                try:
                    signal = coro.throw(exc)
                except StopIteration:
                    return
            else:
                try:
                    signal = coro.send(sent)
                except StopIteration:
                    return


class Outbox:
    """One socket's outgoing frames, sent in order, never making the sender wait."""

    __slots__ = (
        "behind", "closing", "max_bytes", "max_frames", "on_slow", "paused", "queue", "send",
        "size", "slow_code", "timeout", "writer",
    )  # fmt: skip

    def __init__(
        self,
        send: Send,
        on_slow: Callable[[], None],
        limits: tuple[int, int, float],
        slow_code: int,
    ) -> None:
        self.send = send
        self.on_slow = on_slow  # called once when the client falls too far behind
        self.slow_code = slow_code  # the close code then
        self.paused = server_paused(send)
        self.max_frames, self.max_bytes, self.timeout = limits
        self.queue: deque[tuple[Event, int, bool]] = deque()  # (event, bytes, latest)
        self.size = 0
        self.writer: asyncio.Task[None] | None = None
        self.closing = False  # a close is on its way: nothing more goes out
        self.behind = False  # too slow: the backlog is dropped

    def put(self, event: Event, latest: bool = False) -> None:
        """Send ``event`` now, or queue it behind the backlog. ``latest`` (a real-time
        state) replaces a queued ``latest`` event that has not gone out yet.
        """
        if self.closing:
            return
        if self.writer is None and (self.paused is None or not self.paused()):
            self.start(event)
            return
        if latest:
            self.drop_latest()
        size = len(event.get("text") or event.get("bytes") or "")
        self.queue.append((event, size, latest))
        self.size += size
        if len(self.queue) > self.max_frames or self.size > self.max_bytes:
            self.too_slow()
        elif self.writer is None:
            self.writer = asyncio.get_running_loop().create_task(self.drain(None))

    def close(self, code: int, reason: str | None = None) -> None:
        """Send the close after what is already queued (once); nothing goes after it."""
        if self.closing:
            return
        self.closing = True
        event: Event = {"type": "websocket.close", "code": code}
        if reason:
            event["reason"] = reason
        if self.writer is None:
            self.start(event)
        else:
            self.queue.append((event, 0, False))

    def gone(self) -> None:
        """The connection is over: drop everything, stop the writer."""
        self.closing = self.behind = True
        self.queue.clear()
        if self.writer is not None and self.writer is not asyncio.current_task():
            self.writer.cancel()
            self.writer = None

    def start(self, event: Event) -> None:
        """Send at once; if the server makes us wait, the rest goes to a writer task."""
        sending = self.send(event)
        if type(sending) is not CoroutineType:
            waiting: Awaitable[None] = sending
        else:
            try:
                waiting = Resumed(sending, sending.send(None))
            except StopIteration:
                return  # sent: the usual case
            except Exception as exc:
                if not client_gone(exc):
                    raise
                self.closing = True  # its disconnect follows
                return
        final = event["type"] == "websocket.close"
        self.writer = asyncio.get_running_loop().create_task(self.drain(waiting, final))

    async def drain(self, first: Awaitable[None] | None, final: bool = False) -> None:
        """Write the backlog in order; the close goes last, and waits as long as it takes."""
        try:
            if first is not None and final:
                await first
            elif first is not None:
                await self.within(first)
            while self.queue:
                event, size, _ = self.queue.popleft()
                self.size -= size
                if event["type"] == "websocket.close":
                    await self.send(event)  # out as soon as the client reads, if ever
                    return
                await self.within(self.when_writable(event))
        except Exception as exc:
            if not client_gone(exc):
                log.exception("sending to a socket failed: it gets nothing more")
            self.gone()  # the client is gone: its disconnect follows
        finally:
            self.writer = None

    async def within(self, sending: Awaitable[None]) -> None:
        try:
            async with asyncio.timeout(self.timeout):
                await sending
        except TimeoutError:
            self.too_slow()

    async def when_writable(self, event: Event) -> None:
        # Twisted only sets a flag, with no event to await: look again every POLL_S.
        while self.paused is not None and self.paused() and not self.behind:  # noqa: ASYNC110
            await asyncio.sleep(POLL_S)
        if not self.behind:
            await self.send(event)

    def drop_latest(self) -> None:
        for n, (_, size, latest) in enumerate(self.queue):
            if latest:
                del self.queue[n]
                self.size -= size
                return

    def too_slow(self) -> None:
        """Over a bound or stalled: drop the backlog, close, and tell the owner (once)."""
        if self.behind:
            return
        self.behind = True
        close = [entry for entry in self.queue if entry[0]["type"] == "websocket.close"]
        self.queue.clear()
        self.queue.extend(close)  # a close already queued stays; else this one goes
        self.size = 0
        self.close(self.slow_code)
        self.on_slow()
