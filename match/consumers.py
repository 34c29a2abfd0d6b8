"""The match socket: a seat (or a spectator) connected to the match's host."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from django.conf import settings

from gameserver import protocol
from gameserver.protocol import ClientError
from gameserver.sockets import ProtocolConsumer
from players.enforcement import enforcer

from .runtime.host import MatchHost
from .runtime.hosting import finished_frame, hosts
from .runtime.remote import RemoteHost

CLOSE_RESTART = protocol.CLOSE_HOST_MOVED  # reconnect: the new host is elsewhere


class MatchConsumer(ProtocolConsumer):
    """``/ws/match/<id>/``: forwards commands to the host; the host sends the frames.

    The host may be in this process (frames arrive straight from it) or in another
    (frames arrive through the channel layer as ``match.frame`` events).
    """

    kind = "match"
    commands = {
        "ping": "cmd_ping",
        "move": "cmd_move",
        "input": "cmd_input",
        "resign": "cmd_resign",
        "sync": "cmd_sync",
    }
    host: MatchHost | RemoteHost | None = None
    seat: int | None = None
    last_seq: int | None = None

    async def opened(self) -> None:
        """Join the match's host, or say the match is over, or that there is none (4404)."""
        match_id = self.scope["url_route"]["kwargs"]["match_id"]
        await enforcer.ensure_running()  # this process acts on bans from now on
        found = await hosts.open(match_id)
        if found is None:
            await self.close(protocol.CLOSE_NOT_FOUND)
        elif isinstance(found, MatchHost | RemoteHost):
            self.host = found
            self.seat = found.seat_of(self.identity.id)
            await found.join(self)
            if isinstance(found, RemoteHost):
                self.watchdog = asyncio.get_running_loop().create_task(self.watch(found))
        else:
            seat = next((s.seat for s in found.seats if s.player_id == self.identity.id), None)
            await self.send_frame(finished_frame(found, seat))
            await self.close(protocol.CLOSE_NORMAL)

    async def closed(self, code: int) -> None:
        if getattr(self, "watchdog", None) is not None:
            self.watchdog.cancel()
        if self.host is not None:
            await self.host.leave(self)

    async def watch(self, host: RemoteHost) -> None:
        """Close (4503) when the remote host is gone: no state within a TTL, or a new owner.

        The client reconnects, and its socket then finds (or becomes) the new host.
        """
        ttl = settings.GAMESERVER_HOST_TTL
        await asyncio.sleep(ttl + 1)
        while self.is_open:
            with contextlib.suppress(Exception):
                owner = await hosts.ownership.owner(host.id)
                if self.last_seq is None or owner != host.channel:
                    await self.close(CLOSE_RESTART)
                    return
            await asyncio.sleep(ttl)

    def live_host(self) -> MatchHost | RemoteHost:
        if self.host is None:
            raise ClientError(protocol.MATCH_OVER, "the match is over")
        return self.host

    async def cmd_move(self, request: dict[str, Any], rid: Any) -> None:
        """``move``: a turn-based move; acknowledged with ``ack`` when it carried an id."""
        if "move" not in request:
            raise ClientError(protocol.INVALID, "'move' needs a 'move' field")
        await self.live_host().move(self, request["move"], rid)

    async def cmd_input(self, request: dict[str, Any], rid: Any) -> None:
        """``input``: a real-time input, applied from the next tick."""
        if "input" not in request:
            raise ClientError(protocol.INVALID, "'input' needs an 'input' field")
        await self.live_host().input(self, request["input"], rid)

    async def cmd_resign(self, request: dict[str, Any], rid: Any) -> None:
        """``resign``: the match ends, this seat last."""
        await self.live_host().resign(self, rid)

    async def cmd_sync(self, request: dict[str, Any], rid: Any) -> None:
        """``sync`` (extension): resend ``match.state``."""
        await self.live_host().sync(self, rid)

    async def match_frame(self, event: dict[str, Any]) -> None:
        """A frame from a host in another process; a gap in ``seq`` asks for the state."""
        seq, kind = event.get("seq"), event.get("kind")
        if kind == "match.update" and self.last_seq is not None and seq != self.last_seq + 1:
            if seq is not None and seq <= self.last_seq:
                return  # already seen
            self.last_seq = None
            await self.live_host().sync(self)
            return
        if seq is not None:
            self.last_seq = seq
        if kind == "match.update" and self.last_seq is None:
            return  # waiting for the state we asked for
        if self.is_open:
            if event.get("bytes") is not None:
                await self.base_send({"type": "websocket.send", "bytes": event["bytes"]})
            else:
                await self.base_send({"type": "websocket.send", "text": event["text"]})

    async def match_close(self, event: dict[str, Any]) -> None:
        """The remote host closes this socket (match over, or it no longer hosts it)."""
        await self.close(event.get("code", protocol.CLOSE_NORMAL))
