"""The outbox on its own: a send that never waits, a bounded backlog, one close."""

from __future__ import annotations

import asyncio
import functools
from types import SimpleNamespace

from gameserver.outbox import Outbox

BIG = (100, 10**6, 30.0)  # frames, bytes, seconds: bounds no test here reaches by accident


class Server:
    """A server's ``send`` that takes events at once, or waits while its buffer is full
    (as uvicorn's does).
    """

    def __init__(self) -> None:
        self.sent: list[dict] = []
        self.writable = asyncio.Event()
        self.writable.set()

    async def send(self, event: dict) -> None:
        await self.writable.wait()
        self.sent.append(event)


def text(n: int, size: int = 10) -> dict:
    return {"type": "websocket.send", "text": f"{n:0{size}d}"}


def outbox(send, limits=BIG) -> tuple[Outbox, list[int]]:
    slow: list[int] = []
    return Outbox(send, lambda: slow.append(1), limits, 4408), slow


async def settled(condition, timeout: float = 2) -> None:
    for _ in range(int(timeout * 100)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the outbox did not settle")


async def test_a_frame_goes_out_inline_when_the_server_takes_it():
    server = Server()
    box, _ = outbox(server.send)
    box.put(text(1))
    assert server.sent == [text(1)]  # before any await: no task, no queue
    assert box.writer is None


async def test_a_full_server_never_makes_the_sender_wait_and_order_is_kept():
    server = Server()
    box, slow = outbox(server.send)
    server.writable.clear()
    for n in range(5):
        box.put(text(n))  # returns at once though nothing can go out
    assert server.sent == [] and box.writer is not None
    server.writable.set()
    await settled(lambda: len(server.sent) == 5)
    assert server.sent == [text(n) for n in range(5)] and not slow
    await settled(lambda: box.writer is None)
    box.put(text(5))
    assert server.sent[-1] == text(5)  # inline again once the backlog is gone


async def test_a_realtime_state_replaces_the_one_still_queued():
    server = Server()
    box, _ = outbox(server.send)
    server.writable.clear()
    box.put(text(1), latest=True)  # in flight: the server holds it
    box.put(text(2))
    box.put(text(3), latest=True)
    box.put(text(4))
    box.put(text(5), latest=True)  # supersedes 3
    server.writable.set()
    await settled(lambda: box.writer is None)
    assert server.sent == [text(1), text(2), text(4), text(5)]


async def test_too_many_frames_close_the_socket_once():
    server = Server()
    box, slow = outbox(server.send, (3, 10**6, 30.0))
    server.writable.clear()
    for n in range(6):
        box.put(text(n))
    assert slow == [1]
    box.close(1000)  # the owner's close after the outbox's own: not sent again
    box.put(text(9))
    server.writable.set()
    await settled(lambda: box.writer is None)
    assert server.sent == [text(0), {"type": "websocket.close", "code": 4408}]


async def test_too_many_bytes_close_the_socket():
    server = Server()
    box, slow = outbox(server.send, (100, 1500, 30.0))
    server.writable.clear()
    box.put(text(0, 1000))  # in flight
    box.put(text(1, 1000))
    assert slow == []
    box.put(text(2, 1000))
    assert slow == [1]


async def test_a_socket_that_stops_reading_is_closed_after_the_timeout():
    server = Server()
    box, slow = outbox(server.send, (100, 10**6, 0.2))
    server.writable.clear()
    box.put(text(1))
    await settled(lambda: slow == [1])
    server.writable.set()  # the client reads again, too late
    await settled(lambda: box.writer is None)
    assert server.sent == [{"type": "websocket.close", "code": 4408}]


async def test_a_close_goes_after_what_is_queued_and_nothing_after_it():
    server = Server()
    box, slow = outbox(server.send)
    server.writable.clear()
    box.put(text(1))
    box.put(text(2))
    box.close(1000, "over")
    box.close(4429)
    box.put(text(3))
    server.writable.set()
    await settled(lambda: box.writer is None)
    close = {"type": "websocket.close", "code": 1000, "reason": "over"}
    assert server.sent == [text(1), text(2), close] and not slow


async def test_a_gone_client_stops_the_writer():
    server = Server()
    box, _ = outbox(server.send)
    server.writable.clear()
    box.put(text(1))
    box.put(text(2))
    box.gone()
    box.put(text(3))
    server.writable.set()
    await asyncio.sleep(0.05)
    assert server.sent == [] and box.writer is None


class Buffering:
    """A server like daphne: ``send`` never waits; its transport says when it is full."""

    def __init__(self) -> None:
        self.sent: list[dict] = []
        self.transport = SimpleNamespace(producerPaused=False)
        self.send = functools.partial(Buffering.handle_reply, self)

    async def handle_reply(self, event: dict) -> None:
        self.sent.append(event)


async def test_a_buffering_server_is_not_fed_while_its_transport_is_paused():
    server = Buffering()
    box, slow = outbox(server.send)
    box.put(text(1))
    assert server.sent == [text(1)]
    server.transport.producerPaused = True
    box.put(text(2))
    box.put(text(3))
    await asyncio.sleep(0.15)
    assert server.sent == [text(1)]
    server.transport.producerPaused = False
    await settled(lambda: len(server.sent) == 3)
    assert server.sent == [text(1), text(2), text(3)] and not slow


async def test_a_paused_buffering_server_still_gets_the_close_of_a_stalled_socket():
    server = Buffering()
    box, slow = outbox(server.send, (100, 10**6, 0.2))
    server.transport.producerPaused = True
    box.put(text(1))
    await settled(lambda: slow == [1])
    await settled(lambda: box.writer is None)
    assert server.sent == [{"type": "websocket.close", "code": 4408}]


async def test_the_paused_flag_is_found_behind_the_session_middleware(settings):
    from channels.sessions import InstanceSessionWrapper

    server = Buffering()
    wrapped = InstanceSessionWrapper({"type": "websocket", "cookies": {}}, server.send)
    await wrapped.resolve_session()
    box, _ = outbox(wrapped.send)
    server.transport.producerPaused = True
    box.put(text(1))
    await asyncio.sleep(0.1)
    assert server.sent == []
    server.transport.producerPaused = False
    await settled(lambda: server.sent == [text(1)])


async def test_a_send_to_a_client_that_is_going_ends_the_outbox_quietly(caplog):
    from autobahn.exception import Disconnected

    async def closing(event: dict) -> None:  # daphne, once the client's close arrived
        raise Disconnected("Attempt to send on a closed protocol")

    box, slow = outbox(closing)
    box.put(text(1))
    box.put(text(2))
    box.close(1000)
    assert box.closing and box.writer is None and not slow
    assert "Traceback" not in caplog.text
