"""The lobby socket: welcome, queue.join / queue.leave, and match.found."""

from __future__ import annotations

from typing import Any

from gameserver import protocol
from gameserver.protocol import ClientError
from gameserver.sockets import ProtocolConsumer
from match.registry import installed_games
from match.runtime.hosting import hosts
from players.enforcement import enforcer
from players.ratings import aratings_of

from .service import lobby


def games_list() -> list[dict[str, Any]]:
    return [
        {
            "name": g.name,
            "min_players": g.min_players,
            "max_players": g.max_players,
            "realtime": g.tick_rate > 0,
        }
        for g in installed_games().values()
    ]


class LobbyConsumer(ProtocolConsumer):
    """``/ws/lobby/``: a player's place in the queues. Its ticket dies with it."""

    kind = "lobby"
    commands = {"ping": "cmd_ping", "queue.join": "cmd_queue_join", "queue.leave": "cmd_leave"}

    async def opened(self) -> None:
        await hosts.ensure_running()  # after a restart: resume the matches left unfinished
        await enforcer.ensure_running()  # this process acts on bans from now on
        await self.send_message(
            {
                "type": "welcome",
                "protocol": protocol.PROTOCOL_VERSION,
                "player": {
                    **self.identity.as_dict(),
                    "ratings": await aratings_of(self.identity.id),
                },
                "games": games_list(),
            }
        )

    async def closed(self, code: int) -> None:
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
        await lobby.join(self.identity, game, self.channel_name, lambda: self.send_message(reply))

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
