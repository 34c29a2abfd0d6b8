"""The lobby socket: welcome, queue.join / queue.leave, match.found, and parties."""

from __future__ import annotations

from typing import Any

from gameserver import protocol
from gameserver.protocol import ClientError
from gameserver.sockets import ProtocolConsumer
from match.registry import installed_games
from match.runtime.hosting import hosts
from players.enforcement import enforcer
from players.ratings import aratings_of

from .matchmaker import Ticket
from .party_service import parties
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
    commands = {
        "ping": "cmd_ping",
        "queue.join": "cmd_queue_join",
        "queue.leave": "cmd_leave",
        "party.create": "cmd_party_create",
        "party.join": "cmd_party_join",
        "party.leave": "cmd_party_leave",
        "party.start": "cmd_party_start",
        "party.queue": "cmd_party_queue",
        "party.state": "cmd_party_state",
    }

    async def opened(self) -> None:
        lobby.sockets.add(self.channel_name)
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
        lobby.sockets.discard(self.channel_name)
        await parties.drop(self.identity.id, self.channel_name)
        await lobby.leave(self.identity.id, self.channel_name)

    async def cmd_queue_join(self, request: dict[str, Any], rid: Any) -> None:
        """``queue.join``: take a ticket for a game."""
        game, bots = request.get("game"), request.get("bots", False)
        if not isinstance(game, str):
            raise ClientError(protocol.INVALID, "'queue.join' needs a string 'game'")
        if not isinstance(bots, bool):
            raise ClientError(protocol.INVALID, "'bots' is true or false")
        await parties.check_solo(self.identity.id)
        reply: dict[str, Any] = {"type": "queue.joined", "game": game}
        if rid is not None:
            reply["id"] = rid

        async def queued() -> None:  # before a pass can send match.found for this ticket
            await self.send_message(reply)

        try:
            await lobby.join(self.identity, game, self.channel_name, queued, bots)
        except Cooldown as exc:
            refusal = protocol.error(exc.code, exc.message, rid)
            await self.send_message({**refusal, "retry_after_s": exc.retry_after_s})

    async def cmd_leave(self, request: dict[str, Any], rid: Any) -> None:
        """``queue.leave``: drop the ticket (a party's, for any of its members)."""
        if await parties.queue_leave(self.identity, self.channel_name, rid):
            return
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

    # Parties --------------------------------------------------------------------------

    async def cmd_party_create(self, request: dict[str, Any], rid: Any) -> None:
        """``party.create``: lead a new party."""
        await parties.create(self.identity, self.channel_name, rid)

    async def cmd_party_join(self, request: dict[str, Any], rid: Any) -> None:
        """``party.join``: join the party with ``code``."""
        await parties.join(self.identity, self.channel_name, request.get("code"), rid)

    async def cmd_party_leave(self, request: dict[str, Any], rid: Any) -> None:
        """``party.leave``: leave the party."""
        await parties.leave(self.identity, self.channel_name, rid)

    async def cmd_party_start(self, request: dict[str, Any], rid: Any) -> None:
        """``party.start``: the leader starts a private match (with ``bots``)."""
        await parties.start(self.identity, self.channel_name, request, rid)

    async def cmd_party_queue(self, request: dict[str, Any], rid: Any) -> None:
        """``party.queue``: the leader queues the whole party for ``game``."""
        await parties.queue(self.identity, self.channel_name, request.get("game"), rid)

    async def cmd_party_state(self, request: dict[str, Any], rid: Any) -> None:
        """``party.state``: the socket's party now (``party: null`` when in none)."""
        await parties.state(self.identity, self.channel_name, rid)

    async def lobby_send(self, event: dict[str, Any]) -> None:
        """A message for this socket from the parties, directly or through the layer."""
        await self.send_message(event["message"])
