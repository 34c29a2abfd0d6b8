"""The bare baseline for ``make bench``: a Channels consumer that only relays frames.

``/ws/bench/relay/?pair=KEY`` pairs the two sockets that give the same key; every
frame one of them sends goes straight to the other's socket, in the same kind (text
or binary), with no decoding, no channel layer and no per-message database hop (like
the game's sockets, it skips ``aclose_old_connections``). What the load tester
measures through it is what this stack allows at best on one process. Served only
when ``GAMESERVER_BENCH_RELAY=1`` (see ``gameserver/asgi.py``); it lives with the load
tester, its only client.
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.urls import path

from .client import ENCODINGS


class RelayConsumer(AsyncWebsocketConsumer):
    """One socket of a pair; it is connected to its peer once both have arrived."""

    waiting: ClassVar[dict[str, RelayConsumer]] = {}
    key: str = ""
    peer: RelayConsumer | None = None

    async def dispatch(self, message: dict[str, Any]) -> None:
        """As Channels' dispatch, minus ``aclose_old_connections()`` (no ORM here)."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"no handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        """Pair the socket before accepting it, so that its first frame finds the peer."""
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        self.key = (query.get("pair") or [""])[0]
        if not self.key:
            await self.close()
            return
        other = self.waiting.pop(self.key, None)
        if other is None:
            self.waiting[self.key] = self
        else:
            self.peer, other.peer = other, self
        offered = self.scope.get("subprotocols") or []
        await self.accept(next((p for p in offered if p in ENCODINGS.values()), None))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Relay the frame as it came; dropped while the peer has not arrived."""
        if self.peer is not None:
            await self.peer.send(text_data, bytes_data)

    async def disconnect(self, code: int) -> None:
        if self.waiting.get(self.key) is self:
            del self.waiting[self.key]
        if self.peer is not None:
            self.peer.peer = None
            self.peer = None


websocket_urlpatterns = [path("ws/bench/relay/", RelayConsumer.as_asgi())]
