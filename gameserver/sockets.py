"""The base of every socket: identity, origin, encoding, limits and command routing.

Both the lobby and the match socket are ``ProtocolConsumer``s. A subclass lists its
commands in ``commands`` (message type -> ``cmd_*`` method) and implements ``opened``
and ``closed``. Channel-layer events dispatch by dotted type (``match.found`` ->
``match_found``), as in every Channels consumer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from typing import Any, ClassVar

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from . import codec, delivery, limits, metrics, protocol
from .identity import Identity
from .outbox import Outbox
from .protocol import ClientError
from .ratelimit import CLOSE, WARN, TokenBucket

log = logging.getLogger("gameserver.sockets")


def choose_encoding(offered: list[str]) -> tuple[str, str | None] | None:
    """(encoding, subprotocol to accept) for the offered subprotocols; None if none fits."""
    if not offered:
        return codec.JSON, None
    for name in offered:
        if name in codec.SUBPROTOCOLS:
            return name, name
    return None


class ProtocolConsumer(AsyncWebsocketConsumer):
    """A protocol v1 socket. ``opened`` runs once it is accepted, ``closed`` once it closes."""

    commands: ClassVar[dict[str, str]] = {"ping": "cmd_ping"}
    kind: ClassVar[str] = "socket"

    identity: Identity
    encoding: str = codec.JSON
    is_open: bool = False  # accepted, and not yet cleaned up
    outbox: Outbox | None = None  # once accepted
    refused: bool = False  # the handshake was refused (a close before accept)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not settings.GAMESERVER_CROSS_PROCESS:
            # One process: every event reaches this socket directly (gameserver.delivery),
            # so it needs no channel, whose in-memory receive scans every channel.
            self.channel_layer_alias = "<this process only>"
            self.channel_name = f"local.{secrets.token_hex(8)}"

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Route an ASGI or channel-layer event to its handler.

        Unlike Channels' own dispatch this skips ``aclose_old_connections()`` on every
        message: sockets never touch the ORM except through ``database_sync_to_async``.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"no handler for message type {message['type']}")
        await handler(message)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Run the socket; however it ends (even by an error), it is cleaned up once."""
        try:
            await super().__call__(scope, receive, send)
        finally:
            if self.outbox is not None:
                self.outbox.gone()
            await self.finish(1011)

    async def websocket_connect(self, message: dict[str, Any]) -> None:
        """Refuse (HTTP 403) a socket from a foreign host or origin, without identity or
        encoding; close (4409) one over its player's socket limit (gameserver.limits)."""
        chosen = choose_encoding(self.scope.get("subprotocols") or [])
        identity = await limits.identify(self.scope)  # host, origin, identity in time
        if identity is None or chosen is None:
            await self.close()
            return
        self.identity = identity
        self.encoding, subprotocol = chosen
        self.bucket = TokenBucket(
            settings.GAMESERVER_RATE,
            settings.GAMESERVER_RATE_BURST,
            settings.GAMESERVER_RATE_STRIKES,
            settings.GAMESERVER_RATE_WINDOW,
        )
        self.counted_in = metrics.messages_in.labels(self.kind)
        self.counted_out = metrics.messages_out.labels(self.kind)
        await self.accept(subprotocol)
        bounds = (
            settings.GAMESERVER_SEND_QUEUE,
            settings.GAMESERVER_SEND_QUEUE_BYTES,
            settings.GAMESERVER_SEND_TIMEOUT,
        )
        self.outbox = Outbox(self.base_send, self.too_slow, bounds, protocol.CLOSE_TOO_SLOW)
        refusal = limits.admit(self)  # sockets per player; the token's expiry
        if refusal is not None:
            await self.close(refusal)  # never open: no cleanup to run
            return
        self.is_open = True
        metrics.open_sockets.labels(self.kind).inc()
        delivery.register(self)
        await self.opened()

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        """The connection is over (the client, the network or the server closed it)."""
        if self.outbox is not None:
            self.outbox.gone()
        await self.finish(message.get("code", 1006))
        # Not Channels' own, which closes old database connections on every disconnect:
        # sockets touch the database only through database_sync_to_async.
        raise StopConsumer()

    async def finish(self, code: int) -> None:
        """The one cleanup path: forget the socket and run ``closed``, exactly once.

        It runs as soon as the server decides to close (before the client confirms), or
        when the connection ends, or when the consumer stops for any other reason.
        """
        if not self.is_open:
            return
        self.is_open = False
        delivery.unregister(self)
        metrics.open_sockets.labels(self.kind).dec()
        try:
            await self.closed(code)
        except Exception:
            log.exception("closing %s of player %s failed", self.kind, self.identity.id)

    async def opened(self) -> None:
        """Called once the socket is accepted."""

    async def closed(self, code: int) -> None:
        """Called once the socket has closed."""

    async def disconnect(self, code: int) -> None:
        pass

    async def websocket_receive(self, message: dict[str, Any]) -> None:
        """Limit, decode, check and route one client frame; refusals become error frames."""
        if not self.is_open:
            return  # closed by the server: what the client still sends is dropped
        rid = None
        self.counted_in.inc()
        try:
            if not self.bucket.allow():
                await self.refuse()
                return
            request = self.decode_frame(message.get("text"), message.get("bytes"))
            kind = protocol.check_envelope(request)
            rid = protocol.request_id(request)
            method = self.commands.get(kind)
            if method is None:
                raise ClientError(protocol.UNKNOWN_TYPE, f"{self.kind} sockets take no {kind!r}")
            await getattr(self, method)(request, rid)
        except ClientError as exc:
            await self.send_message(protocol.error(exc.code, exc.message, rid))
        except Exception:
            log.exception("%s of player %s failed on a frame", self.kind, self.identity.id)
            await self.send_message(protocol.error(protocol.INTERNAL, "server error", rid))

    async def refuse(self) -> None:
        """A message over the rate: dropped, with at most one error frame a second; a
        socket that keeps on is closed with 4429.
        """
        verdict = self.bucket.refuse()
        if verdict == CLOSE:
            await self.close(protocol.CLOSE_RATE_LIMITED)
        elif verdict == WARN:
            await self.send_message(protocol.error(protocol.RATE_LIMITED, "slow down"))

    def decode_frame(self, text: str | None, data: bytes | None) -> Any:
        """The decoded frame, or ClientError(too_large / bad_message)."""
        limit = settings.GAMESERVER_MAX_FRAME_BYTES
        size = len(data) if text is None else len(text)
        if text is not None and limit // 4 < size <= limit:
            size = len(text.encode())
        if size > limit:
            raise ClientError(protocol.TOO_LARGE, f"frames are limited to {limit} bytes")
        try:
            return codec.decode(text, data)
        except codec.DecodeError as exc:
            raise ClientError(protocol.BAD_MESSAGE, f"undecodable frame: {exc}") from None

    async def send_message(self, message: dict[str, Any]) -> None:
        """Encode and send one message to this socket."""
        await self.send_frame(codec.Frame(message))

    async def send_frame(self, frame: codec.Frame, latest: bool = False) -> None:
        """Send an already built frame in this socket's encoding; never waits on the
        client (no-op once closed). ``latest``: a real-time state that may replace this
        socket's queued one when it lags behind.
        """
        if not self.is_open:
            return
        try:
            event = frame.asgi(self.encoding)
        except (TypeError, ValueError, OverflowError):
            rid = frame.message.get("id")
            msg = "the reply carries data this encoding cannot"
            event = codec.Frame(protocol.error(protocol.INVALID, msg, rid)).asgi(self.encoding)
        self.counted_out.inc()
        self.send_event(event, latest)

    def send_event(self, event: dict[str, Any], latest: bool = False) -> None:
        """Hand one ``websocket.send`` event to the outbox (no-op once closed)."""
        if self.is_open and self.outbox is not None:
            self.outbox.put(event, latest)

    async def close(self, code: int | None = None, reason: str | None = None) -> None:
        """Close with ``code`` (once, after the frames already sent) and clean up at once."""
        if self.outbox is None:  # not accepted: the server refuses the handshake
            if not self.refused:
                self.refused = True
                with contextlib.suppress(OSError):
                    await super().close(code, reason)
            return
        self.outbox.close(code or protocol.CLOSE_NORMAL, reason)
        await self.finish(code or protocol.CLOSE_NORMAL)

    def too_slow(self) -> None:
        """The client does not keep up with what it is sent: its outbox closed it (4408)."""
        log.info("%s of player %s is too slow: closed", self.kind, self.identity.id)
        metrics.slow_sockets.labels(self.kind).inc()
        self.cleanup = asyncio.get_running_loop().create_task(self.finish(protocol.CLOSE_TOO_SLOW))

    async def cmd_ping(self, request: dict[str, Any], rid: Any) -> None:
        """``ping`` -> ``pong`` echoing every field."""
        await self.send_message(protocol.pong(request))
