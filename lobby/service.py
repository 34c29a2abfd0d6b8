"""The lobby's work: queueing players, running matchmaking passes, placing groups in
new matches and telling each player's lobby socket where to go.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings

from gameserver import protocol
from gameserver.delivery import deliver
from gameserver.identity import Identity
from gameserver.protocol import ClientError
from match import persistence
from match.games import GameInfo, Outcome
from match.hosts import hosts
from match.persistence import MatchRecord, SeatRecord
from match.registry import get_game, installed_games

from .matchmaker import Matchmaker, MemoryMatchmaker, Ticket

log = logging.getLogger("lobby")


class Lobby:
    """Queues players and forms matches. One per process; passes also run on a timer."""

    def __init__(self, matchmaker: Matchmaker) -> None:
        self.matchmaker = matchmaker
        self.placing: dict[str, str] = {}  # player id -> lobby channel, while placed
        self.left: set[str] = set()
        self.timer: asyncio.Task[None] | None = None

    async def join(
        self,
        player: Identity,
        game_name: Any,
        channel: str,
        queued: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Queue the player for a game (then await ``queued``), or raise ClientError."""
        game = get_game(game_name)
        if game is None:
            raise ClientError(protocol.UNKNOWN_GAME, f"no game called {game_name!r}")
        if self.matchmaker.holds(player.id):
            raise ClientError(protocol.ALREADY_QUEUED, "you are already queued")
        if player.id in self.placing or await persistence.aunfinished_match_of(player.id):
            raise ClientError(protocol.IN_MATCH, "you are in a match that is not over")
        if not self.matchmaker.add(Ticket(player, game.name, channel)):
            raise ClientError(protocol.ALREADY_QUEUED, "you are already queued")
        if queued is not None:
            await queued()
        self.ensure_timer()
        await self.run_pass(game.info())

    def leave(self, player_id: str, channel: str | None = None) -> bool:
        """Drop the player's ticket; a player being placed right now is marked as gone."""
        if self.matchmaker.remove(player_id, channel) is not None:
            return True
        if player_id in self.placing and channel in (None, self.placing[player_id]):
            self.left.add(player_id)
        return False

    async def run_pass(self, info: GameInfo) -> None:
        fill = settings.GAMESERVER_FILL_TIMEOUT
        for group in self.matchmaker.take_groups(info, fill):
            await self.place(group)

    async def place(self, group: list[Ticket]) -> None:
        """Create the group's match and tell every member, unless one left meanwhile."""
        ids = [t.player.id for t in group]
        self.placing.update((t.player.id, t.channel) for t in group)
        try:
            record = await self.create(group)
            gone = self.left.intersection(ids)
            if gone:
                await persistence.afinish_match(record.id, Outcome(None, [], "abandoned"), None, [])
                self.matchmaker.give_back([t for t in group if t.player.id not in gone])
                return
            hosts.start(record)
            players = [{"id": s.player_id, "name": s.name, "seat": s.seat} for s in record.seats]
            for seat, ticket in enumerate(group):
                event = {"type": "match.found", "match_id": record.id, "game": record.game}
                await deliver(ticket.channel, {**event, "seat": seat, "players": players})
        except Exception:
            log.exception("placing players %s failed", ids)
            self.matchmaker.give_back([t for t in group if t.player.id not in self.left])
        finally:
            for pid in ids:
                self.placing.pop(pid, None)
                self.left.discard(pid)

    async def create(self, group: list[Ticket]) -> MatchRecord:
        game, seed = group[0].game, secrets.randbits(62)
        options = get_game(game).resolve_options(settings.GAMESERVER_GAME_OPTIONS.get(game))
        ids = [t.player.id for t in group]
        match_id = await persistence.acreate_match(game, seed, options, ids)
        seats = [SeatRecord(i, t.player.id, t.player.name) for i, t in enumerate(group)]
        return MatchRecord(match_id, game, seed, options, protocol.WAITING, time.time(), seats)

    def ensure_timer(self) -> None:
        """Start the pass loop that fills matches whose tickets waited the fill timeout."""
        if self.timer is None or self.timer.done():
            self.timer = asyncio.get_running_loop().create_task(self.pass_loop())

    async def pass_loop(self) -> None:
        while any(self.matchmaker.queue_lengths().values()):
            await asyncio.sleep(min(0.5, settings.GAMESERVER_FILL_TIMEOUT / 2 or 0.5))
            for game in installed_games().values():
                try:
                    await self.run_pass(game.info())
                except Exception:
                    log.exception("matchmaking pass for %s failed", game.name)


lobby = Lobby(MemoryMatchmaker())
