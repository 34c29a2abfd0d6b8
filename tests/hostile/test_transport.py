"""The transport's limits, through real server processes (``make serve`` on uvicorn, and
daphne through the same launcher): oversized frames, compression, silent handshakes."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import struct
import time
import urllib.request
from pathlib import Path

import pytest
import websockets

from tests.live import Server, migrate, server_env, start_serve

pytestmark = [pytest.mark.live]

LIMIT = 65536  # GAMESERVER_MAX_FRAME_BYTES's default
HUGE = 15 * 1024 * 1024
HANDSHAKE_S = 2.0
KINDS = ["uvicorn", "daphne"]


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """Both servers, without and with compression, on one migrated database."""
    tmp = tmp_path_factory.mktemp("transport")
    env = server_env({"GAMESERVER_HANDSHAKE_TIMEOUT": str(HANDSHAKE_S)}, tmp)
    migrate(env)
    started: dict[tuple[str, bool], Server] = {}
    try:
        for kind in KINDS:
            started[kind, False] = start_serve(env, tmp, kind)
            started[kind, True] = start_serve({**env, "GAMESERVER_WS_COMPRESSION": "1"}, tmp, kind)
        yield started
    finally:
        for server in started.values():
            server.stop()


def token(server: Server) -> str:
    body = json.dumps({"name": "eve"}).encode()
    request = urllib.request.Request(
        f"{server.url}/api/guest", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        return json.loads(answer.read())["token"]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def upgrade(server: Server, path: str) -> tuple[socket.socket, bytes]:
    """A raw socket past the WebSocket handshake; returns it and what followed the 101."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    key = base64.b64encode(os.urandom(16))
    head = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
    head += "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
    sock.sendall(head.encode() + b"Sec-WebSocket-Key: " + key + b"\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, data
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock, rest


def frame_header(length: int, opcode: int = 0x1) -> bytes:
    """A client frame's header (FIN, masked with a zero mask: the payload goes as is)."""
    if length < 126:
        return struct.pack("!BB", 0x80 | opcode, 0x80 | length) + bytes(4)
    if length < 1 << 16:
        return struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length) + bytes(4)
    return struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length) + bytes(4)


def read_frame(sock: socket.socket, buffer: bytes) -> tuple[int, bytes, bytes]:
    """(opcode, payload, what is left) of the next server frame (servers never mask)."""

    def need(n: int) -> None:
        nonlocal buffer
        while len(buffer) < n:
            chunk = sock.recv(65536)
            assert chunk, "the server dropped the connection without a close frame"
            buffer += chunk

    need(2)
    opcode, length = buffer[0] & 0x0F, buffer[1] & 0x7F
    start = 2
    if length == 126:
        need(4)
        length, start = struct.unpack("!H", buffer[2:4])[0], 4
    elif length == 127:
        need(10)
        length, start = struct.unpack("!Q", buffer[2:10])[0], 10
    need(start + length)
    return opcode, buffer[start : start + length], buffer[start + length :]


@pytest.mark.parametrize("kind", KINDS)
def test_an_oversized_frame_is_refused_with_1009_before_it_is_read(servers, kind):
    """The header announces 15 MiB; the close comes back while almost none of it is sent."""
    server = servers[kind, False]
    sock, rest = upgrade(server, f"/ws/lobby/?token={token(server)}")
    with sock:
        opcode, welcome, rest = read_frame(sock, rest)
        assert opcode == 0x1 and json.loads(welcome)["type"] == "welcome"
        sock.sendall(frame_header(HUGE) + b"x" * 4096)  # 4 KiB of the 15 MiB announced
        opcode, payload, _ = read_frame(sock, rest)
    assert opcode == 0x8, (opcode, payload)
    assert struct.unpack("!H", payload[:2])[0] == 1009


@pytest.mark.parametrize("kind", KINDS)
async def test_whole_oversized_frames_leave_memory_alone(servers, kind):
    """Four clients each send a whole 15 MiB frame: each gets 1009, RSS grows far less."""
    server = servers[kind, False]
    before = rss_mib(server.proc.pid)

    async def flood() -> int | None:
        url = f"{server.ws}/ws/lobby/?token={token(server)}"
        async with websockets.connect(url, max_size=None, compression=None) as ws:
            await ws.recv()
            try:
                await ws.send("x" * HUGE)
                await asyncio.wait_for(ws.recv(), 10)
            except websockets.ConnectionClosed as closed:
                return closed.rcvd.code if closed.rcvd else None
        return None

    codes = await asyncio.gather(*(flood() for _ in range(4)))
    grown = rss_mib(server.proc.pid) - before
    assert codes == [1009] * 4
    assert grown < 12, f"RSS grew by {grown:.1f} MiB for 4 x 15 MiB refused"


@pytest.mark.parametrize("kind", KINDS)
async def test_compression_is_off_unless_the_setting_turns_it_on(servers, kind):
    for compressed in (False, True):
        server = servers[kind, compressed]
        url = f"{server.ws}/ws/lobby/?token={token(server)}"
        async with websockets.connect(url, compression="deflate") as ws:  # offers it
            await ws.recv()
            agreed = ws.response.headers.get("Sec-WebSocket-Extensions")
            assert (agreed is not None and "permessage-deflate" in agreed) == compressed


@pytest.mark.parametrize("kind", KINDS)
async def test_with_compression_the_limit_holds_for_the_inflated_size(servers, kind):
    """16 MiB of zeros travel as ~16 KB: the inflated size is what is refused."""
    server = servers[kind, True]
    before = rss_mib(server.proc.pid)
    url = f"{server.ws}/ws/lobby/?token={token(server)}"
    async with websockets.connect(url, compression="deflate", max_size=None) as ws:
        await ws.recv()
        await ws.send(json.dumps({"type": "ping", "pad": "0" * (16 * 1024 * 1024)}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    assert rss_mib(server.proc.pid) - before < 12


def closed_by_server(sock: socket.socket) -> bool:
    """True once the server closes the connection (after a 4xx answer, perhaps)."""
    try:
        while sock.recv(1024):
            pass
        return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


@pytest.mark.parametrize("kind", KINDS)
def test_silent_and_half_sent_handshakes_are_dropped(servers, kind):
    server = servers[kind, False]
    began = time.monotonic()
    socks = [socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(20)]
    for sock in socks[10:]:  # the first ten send nothing at all
        sock.sendall(b"GET /ws/lobby/ HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: webs")
    dropped = []
    for sock in socks:
        with sock:
            dropped.append(closed_by_server(sock))
    elapsed = time.monotonic() - began
    assert all(dropped), dropped
    assert HANDSHAKE_S - 0.5 < elapsed < HANDSHAKE_S + 6, f"dropped after {elapsed:.1f} s"
