"""The bots' side of the wire: guest identities over HTTP and protocol v1 sockets.

Kept cheap on purpose, since one process runs hundreds of bots: orjson or MessagePack,
no per-message compression, no keepalive pings, and frames read without UTF-8 decoding.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from urllib.parse import quote, urlsplit

import msgpack
import orjson
from websockets.asyncio.client import ClientConnection, connect

JSON = "gameserver.v1.json"
MSGPACK = "gameserver.v1.msgpack"
ENCODINGS = {"json": JSON, "msgpack": MSGPACK}


class Server:
    """Where the server is: its HTTP base and its WebSocket base."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url.rstrip("/"))
        if parts.scheme not in ("http", "https"):
            raise ValueError(f"the server URL must be http(s)://..., not {url!r}")
        self.secure = parts.scheme == "https"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if self.secure else 80)
        self.http = f"{parts.scheme}://{parts.netloc}"
        self.ws = f"{'wss' if self.secure else 'ws'}://{parts.netloc}"

    def socket_url(self, path: str, token: str | None = None, **query: str) -> str:
        if token is not None:
            query = {"token": token, **query}
        params = "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items())
        return f"{self.ws}{path}" + (f"?{params}" if params else "")

    async def post_json(self, path: str, body: dict[str, Any], timeout: float = 10) -> Any:
        """One HTTP/1.1 POST on a fresh connection; the decoded JSON answer (2xx only)."""
        return await self.request_json("POST", path, orjson.dumps(body), timeout)

    async def get_json(self, path: str, timeout: float = 10) -> Any:
        """One HTTP/1.1 GET on a fresh connection; the decoded JSON answer (2xx only)."""
        return await self.request_json("GET", path, None, timeout)

    async def request_json(
        self, method: str, path: str, payload: bytes | None, timeout: float
    ) -> Any:
        body = (
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
            if payload is not None
            else ""
        )
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"{body}Accept: application/json\r\nConnection: close\r\n\r\n"
        )
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(
                self.host, self.port, ssl=True if self.secure else None
            )
            try:
                writer.write(head.encode() + (payload or b""))
                answer = await reader.read()
            finally:
                writer.close()
        status_line, _, rest = answer.partition(b"\r\n")
        status = int(status_line.split()[1])
        _, _, content = rest.partition(b"\r\n\r\n")
        if not 200 <= status < 300:
            raise OSError(f"{method} {path} answered {status}: {content[:200]!r}")
        return orjson.loads(content)

    async def guest(self, name: str, attempts: int = 3) -> tuple[str, str]:
        """(player id, token) of a new guest; retried a few times on failure."""
        for attempt in range(attempts):
            try:
                answer = await self.post_json("/api/guest", {"name": name})
                return answer["player"]["id"], answer["token"]
            except (OSError, TimeoutError, ValueError, KeyError):
                if attempt == attempts - 1:
                    raise
                await asyncio.sleep(0.2 * (attempt + 1))
        raise AssertionError("unreachable")


class Wire:
    """One WebSocket speaking protocol v1 in JSON (text frames) or MessagePack (binary)."""

    __slots__ = ("binary", "ws")

    def __init__(self, ws: ClientConnection, binary: bool) -> None:
        self.ws = ws
        self.binary = binary

    @classmethod
    async def open(cls, url: str, encoding: str, timeout: float = 30) -> Wire:
        ws = await connect(
            url,
            subprotocols=[encoding],  # type: ignore[list-item]
            compression=None,
            ping_interval=None,
            open_timeout=timeout,
            close_timeout=2,
            max_size=2**20,
            max_queue=64,
        )
        return cls(ws, encoding == MSGPACK)

    async def send(self, message: dict[str, Any]) -> None:
        if self.binary:
            await self.ws.send(msgpack.packb(message))
        else:
            await self.ws.send(orjson.dumps(message), text=True)

    async def recv(self) -> dict[str, Any]:
        frame = await self.ws.recv(decode=False)
        if self.binary:
            return msgpack.unpackb(frame)
        return orjson.loads(frame)

    async def close(self) -> None:
        with contextlib.suppress(Exception):  # a broken socket: nothing left to do
            await self.ws.close()
