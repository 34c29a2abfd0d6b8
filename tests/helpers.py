"""Clients and players for the socket tests."""

from __future__ import annotations

import asyncio
from typing import Any

from channels.testing import WebsocketCommunicator

from gameserver import codec
from gameserver.identity import mint_token


def guest(name: str) -> tuple[str, str]:
    """A guest player in the database and their token."""
    from players.models import Player

    player = Player.objects.create(name=name)
    return player.id, mint_token(player.id, player.name)


class Client:
    """A WebSocket client of the real ASGI application, in JSON or MessagePack."""

    def __init__(self, path: str, encoding: str = codec.JSON, headers=None, app=None) -> None:
        from gameserver.asgi import application

        subprotocols = [encoding] if encoding == codec.MSGPACK else None
        self.encoding = encoding
        self.closed: int | None = None  # the close code once the server closed the socket
        self.pings = 0  # barrier pings sent, for unique ids
        self.comm = WebsocketCommunicator(
            app or application, path, headers=headers or [], subprotocols=subprotocols
        )

    async def connect(self) -> tuple[bool, Any]:
        return await self.comm.connect(timeout=5)

    async def send(self, message: dict[str, Any]) -> None:
        if self.encoding == codec.MSGPACK:
            await self.comm.send_to(bytes_data=codec.encode_msgpack(message))
        else:
            await self.comm.send_to(text_data=codec.encode_json(message))

    async def recv(self, timeout: float = 3) -> dict[str, Any]:
        event = await self.comm.receive_output(timeout)
        if event["type"] == "websocket.close":
            self.closed = event.get("code", 1000)
            return {"type": "<closed>", "code": self.closed}
        if self.encoding == codec.MSGPACK:
            assert event.get("bytes") is not None, "a msgpack socket got a text frame"
        return codec.decode(event.get("text"), event.get("bytes"))

    async def expect(self, kind: str, timeout: float = 3) -> dict[str, Any]:
        """The next message, which must be of type ``kind``."""
        message = await self.recv(timeout)
        assert message["type"] == kind, message
        return message

    async def until(self, kind: str, timeout: float = 5) -> dict[str, Any]:
        """Skip messages until one of type ``kind``."""
        async with asyncio.timeout(timeout):
            while True:
                message = await self.recv(timeout)
                if message["type"] == kind:
                    return message

    async def closed_with(self, timeout: float = 3) -> int | None:
        event = await self.comm.receive_output(timeout)
        assert event["type"] == "websocket.close", event
        return event.get("code")

    async def nothing(self, timeout: float = 0.1) -> bool:
        return await self.comm.receive_nothing(timeout)

    async def close(self) -> None:
        await self.comm.disconnect()


async def lobby_client(token: str, encoding: str = codec.JSON) -> Client:
    client = Client(f"/ws/lobby/?token={token}", encoding)
    connected, _ = await client.connect()
    assert connected
    await client.expect("welcome")
    return client


async def match_client(match_id: str, token: str, encoding: str = codec.JSON) -> Client:
    client = Client(f"/ws/match/{match_id}/?token={token}", encoding)
    connected, _ = await client.connect()
    assert connected
    return client
