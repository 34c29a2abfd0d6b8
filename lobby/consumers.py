"""The lobby socket: welcome, queue.join / queue.leave, and match.found."""

from __future__ import annotations

from typing import Any

from gameserver import protocol
from gameserver.protocol import ClientError
from gameserver.sockets import ProtocolConsumer
from match.registry import installed_games
from match.runtime.hosting import hosts

from .matchmaker import Ticket
from .service import Cooldown, lobby


def games_list() -> list[dict[str, Any]]:
    return [
        {
            "name": g.name,
            "min_players": g.min_players,
            "max_players": g.max_players,
            "realtime": g.tick_rate > 0,
            "title": g.display_title(),
            "description": g.description,
            "bots": g.has_bot(),
        }
        for g in installed_games().values()
    ]


class LobbyConsumer(ProtocolConsumer):
    """``/ws/lobby/``: a player's place in the queues. Its ticket dies with it."""

    kind = "lobby"
    commands = {"ping": "cmd_ping", "queue.join": "cmd_queue_join", "queue.leave": "cmd_leave"}

    async def opened(self) -> None:
        lobby.sockets.add(self.channel_name)
        await hosts.ensure_running()  # after a restart: resume the matches left unfinished
        await self.send_message(
            {
                "type": "welcome",
                "protocol": protocol.PROTOCOL_VERSION,
                "player": self.identity.as_dict(),
                "games": games_list(),
            }
        )

    async def closed(self, code: int) -> None:
        lobby.sockets.discard(self.channel_name)
        await lobby.leave(self.identity.id, self.channel_name)

    async def cmd_queue_join(self, request: dict[str, Any], rid: Any) -> None:
        """``queue.join``: take a ticket for a game."""
        game = request.get("game")
        if not isinstance(game, str):
            raise ClientError(protocol.INVALID, "'queue.join' needs a string 'game'")
        reply: dict[str, Any] = {"type": "queue.joined", "game": game}
        if rid is not None:
            reply["id"] = rid
        # The reply goes out before a pass can send match.found for this ticket.
        try:
            await lobby.join(
                self.identity, game, self.channel_name, lambda: self.send_message(reply)
            )
        except Cooldown as exc:
            refusal = protocol.error(exc.code, exc.message, rid)
            await self.send_message({**refusal, "retry_after_s": exc.retry_after_s})

    async def cmd_leave(self, request: dict[str, Any], rid: Any) -> None:
        """``queue.leave``: drop the ticket."""
        if not await lobby.leave(self.identity.id, self.channel_name):
            raise ClientError(protocol.NOT_QUEUED, "you have no ticket")
        reply: dict[str, Any] = {"type": "queue.left"}
        if rid is not None:
            reply["id"] = rid
        await self.send_message(reply)

    async def match_found(self, event: dict[str, Any]) -> None:
        """``match.found`` from the matchmaker, directly or through the channel layer."""
        await self.send_message(event)

    async def lobby_requeue(self, event: dict[str, Any]) -> None:
        """A no-show abandoned the match this socket's ticket went to: the ticket goes
        back at its place, and the client hears ``queue.joined`` with ``requeued``."""
        ticket = Ticket.from_dict(event["ticket"])
        if not self.is_open or ticket.player.id != self.identity.id:
            return
        if event.get("quiet"):  # a placer took this process for dead: the client never knew
            await lobby.requeue(ticket)
            return
        reply = {"type": "queue.joined", "game": ticket.game, "requeued": True}
        reply["match_id"] = event["match_id"]  # the match that was abandoned
        await lobby.requeue(ticket, lambda: self.send_message(reply))
