"""Clients for the server-process tests of hostile and slow sockets.

``NeverReads`` is a raw socket with a tiny receive buffer that sends pings and never
reads a byte after the handshake. ``Reader`` is an honest client (the ``websockets``
library) that reads everything and notes when each message arrived.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import re
import socket
import time
import urllib.request
from pathlib import Path
from typing import Any

import websockets

from gameserver import codec


def http(url: str, body: dict | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as answer:
        return json.loads(answer.read())


async def guest(url: str, name: str) -> str:
    """A new guest's token."""
    answer = await asyncio.to_thread(http, f"{url}/api/guest", {"name": name})
    return str(answer["token"])


def open_sockets(url: str, kind: str) -> int:
    """The server's ``gs_open_sockets`` gauge for ``kind`` sockets."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=5) as answer:
        text = answer.read().decode()
    found = re.search(rf'^gs_open_sockets\{{kind="{kind}"\}} (\S+)$', text, re.MULTILINE)
    return int(float(found.group(1))) if found else 0


async def until_open_sockets(url: str, kind: str, count: int, timeout: float) -> float:
    """Wait until the gauge shows ``count`` open ``kind`` sockets; seconds it took."""
    began = time.monotonic()
    async with asyncio.timeout(timeout):
        while True:
            if await asyncio.to_thread(open_sockets, url, kind) == count:
                break
            await asyncio.sleep(0.1)
    return time.monotonic() - began


def rss_mib(pid: int) -> float:
    """Resident memory of process ``pid`` (VmRSS), in MiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE).group(1)) / 1024


class Reader:
    """An honest client: reads every message, noting its arrival time."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.seen: list[tuple[float, dict[str, Any]]] = []  # every message, as it came
        self.unread: list[dict[str, Any]] = []  # what ``next`` has not returned yet
        self.arrived = asyncio.Event()
        self.task = asyncio.get_running_loop().create_task(self.read())

    @classmethod
    async def open(cls, url: str) -> Reader:
        return cls(await websockets.connect(url, max_size=None))

    async def read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for frame in self.ws:
                message = codec.decode(frame, None)
                self.seen.append((time.monotonic(), message))
                self.unread.append(message)
                self.arrived.set()

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(codec.encode_json(message))

    async def next(self, kind: str, timeout: float = 5, **fields: Any) -> dict[str, Any]:
        """The first message of type ``kind`` (with ``fields``) not yet returned."""
        async with asyncio.timeout(timeout):
            while True:
                for n, message in enumerate(self.unread):
                    if message["type"] == kind and fields.items() <= message.items():
                        del self.unread[: n + 1]
                        return message
                self.arrived.clear()
                await self.arrived.wait()

    def times(self, kind: str) -> list[float]:
        return [at for at, message in self.seen if message["type"] == kind]

    async def close(self) -> None:
        await self.ws.close()
        self.task.cancel()


async def form_match(url: str, game: str, players: int = 2) -> tuple[str, list[Reader]]:
    """``players`` guests queue for ``game``; returns the match id and the match sockets
    by seat, every one past ``match.started``.
    """
    ws = url.replace("http", "ws", 1)
    tokens = [await guest(url, f"p{n}") for n in range(players)]
    lobbies = [await Reader.open(f"{ws}/ws/lobby/?token={t}") for t in tokens]
    for lobby in lobbies:
        await lobby.next("welcome")
        await lobby.send({"type": "queue.join", "game": game})
    found = [await lobby.next("match.found") for lobby in lobbies]
    for lobby in lobbies:
        await lobby.close()
    match_id = found[0]["match_id"]
    by_seat = sorted(zip(found, tokens, strict=True), key=lambda pair: pair[0]["seat"])
    seats = [await Reader.open(f"{ws}/ws/match/{match_id}/?token={t}") for _, t in by_seat]
    for seat in seats:
        await seat.next("match.started")
    return match_id, seats


def ws_frame(payload: bytes, opcode: int = 1) -> bytes:
    """One masked client frame (a zero mask: the payload goes as it is)."""
    size = len(payload)
    if size < 126:
        head = bytes([0x80 | opcode, 0x80 | size])
    elif size < 65536:
        head = bytes([0x80 | opcode, 0x80 | 126]) + size.to_bytes(2, "big")
    else:
        head = bytes([0x80 | opcode, 0x80 | 127]) + size.to_bytes(8, "big")
    return head + b"\x00\x00\x00\x00" + payload


class NeverReads:
    """A raw WebSocket client that reads its handshake reply and then never reads again."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.sent = 0
        self.ended: BaseException | None = None  # how the server ended it, if it did

    @classmethod
    async def open(cls, url: str, path: str, rcvbuf: int = 4096) -> NeverReads:
        host, port = url.split("://", 1)[1].split(":")
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.setblocking(False)
        loop = asyncio.get_running_loop()
        await loop.sock_connect(sock, (host, int(port)))
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        await loop.sock_sendall(sock, request.encode())
        reply = b""
        while b"\r\n\r\n" not in reply:  # byte by byte: not one byte past the handshake
            reply += await loop.sock_recv(sock, 1)
        assert reply.startswith(b"HTTP/1.1 101"), reply
        return cls(sock)

    async def pings(self, size: int, rate: float, seconds: float) -> None:
        """Send pings of about ``size`` bytes ``rate`` times a second, for ``seconds``."""
        frame = ws_frame(codec.encode_json({"type": "ping", "pad": "x" * size}).encode())
        loop = asyncio.get_running_loop()
        deadline = time.monotonic() + seconds
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                while time.monotonic() < deadline:
                    try:
                        await loop.sock_sendall(self.sock, frame)
                    except OSError as exc:  # the server dropped the connection
                        self.ended = exc
                        return
                    self.sent += 1
                    await asyncio.sleep(1 / rate)

    def close(self) -> None:
        self.sock.close()
