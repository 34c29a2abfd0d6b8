"""The match socket: a seat (or a spectator) connected to the match's host."""

from __future__ import annotations

from typing import Any

from gameserver import protocol
from gameserver.protocol import ClientError
from gameserver.sockets import ProtocolConsumer

from .host import MatchHost
from .hosts import finished_frame, hosts


class MatchConsumer(ProtocolConsumer):
    """``/ws/match/<id>/``: forwards commands to the host; the host sends the frames."""

    kind = "match"
    commands = {
        "ping": "cmd_ping",
        "move": "cmd_move",
        "input": "cmd_input",
        "resign": "cmd_resign",
        "sync": "cmd_sync",
    }
    host: MatchHost | None = None
    seat: int | None = None

    async def opened(self) -> None:
        """Join the match's host, or say the match is over, or that there is none (4404)."""
        match_id = self.scope["url_route"]["kwargs"]["match_id"]
        found = await hosts.open(match_id)
        if found is None:
            await self.close(protocol.CLOSE_NOT_FOUND)
        elif isinstance(found, MatchHost):
            self.host = found
            self.seat = found.seat_of(self.identity.id)
            await found.join(self)
        else:
            seat = next((s.seat for s in found.seats if s.player_id == self.identity.id), None)
            await self.send_frame(finished_frame(found, seat))
            await self.close(protocol.CLOSE_NORMAL)

    async def closed(self, code: int) -> None:
        if self.host is not None:
            await self.host.leave(self)

    def live_host(self) -> MatchHost:
        if self.host is None:
            raise ClientError(protocol.MATCH_OVER, "the match is over")
        return self.host

    async def cmd_move(self, request: dict[str, Any], rid: Any) -> None:
        """``move``: a turn-based move; acknowledged with ``ack`` when it carried an id."""
        if "move" not in request:
            raise ClientError(protocol.INVALID, "'move' needs a 'move' field")
        seq = await self.live_host().move(self, request["move"])
        if rid is not None:
            await self.send_message({"type": "ack", "id": rid, "seq": seq})

    async def cmd_input(self, request: dict[str, Any], rid: Any) -> None:
        """``input``: a real-time input, applied from the next tick."""
        if "input" not in request:
            raise ClientError(protocol.INVALID, "'input' needs an 'input' field")
        await self.live_host().input(self, request["input"])
        if rid is not None:
            await self.send_message({"type": "ack", "id": rid})

    async def cmd_resign(self, request: dict[str, Any], rid: Any) -> None:
        """``resign``: the match ends, this seat last."""
        await self.live_host().resign(self)

    async def cmd_sync(self, request: dict[str, Any], rid: Any) -> None:
        """``sync`` (extension): resend ``match.state``."""
        await self.live_host().sync(self)
