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

from gameserver import metrics, protocol
from gameserver.delivery import deliver
from gameserver.identity import Identity
from gameserver.protocol import ClientError
from match import persistence
from match.games import GameInfo, Outcome
from match.persistence import MatchRecord, SeatRecord
from match.registry import get_game, installed_games
from match.runtime.hosting import hosts
from players.ratings import arating_of

from .matchmaker import PLACING, QUEUED, Matchmaker, MemoryMatchmaker, Ticket

log = logging.getLogger("lobby")


class Lobby:
    """Queues players and forms matches. One per process; passes also run on a timer."""

    def __init__(self, matchmaker: Matchmaker) -> None:
        self.matchmaker = matchmaker
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
        status = await self.matchmaker.status(player.id)
        if status == QUEUED:
            raise ClientError(protocol.ALREADY_QUEUED, "you are already queued")
        if status == PLACING or await hosts.unfinished_match_of(player.id):
            raise ClientError(protocol.IN_MATCH, "you are in a match that is not over")
        rating = await arating_of(player.id, game.name)
        if not await self.matchmaker.add(Ticket(player, game.name, channel, rating)):
            raise ClientError(protocol.ALREADY_QUEUED, "you are already queued")
        if queued is not None:
            await queued()
        self.ensure_timer()
        await self.run_pass(game.info())

    async def leave(self, player_id: str, channel: str | None = None) -> bool:
        """Drop the player's ticket; False if there was none."""
        return await self.matchmaker.remove(player_id, channel)

    async def run_pass(self, info: GameInfo) -> None:
        fill = settings.GAMESERVER_FILL_TIMEOUT
        for group in await self.matchmaker.take_groups(info, fill):
            await self.place(group)

    async def place(self, group: list[Ticket]) -> None:
        """Create the group's match and tell every member, unless one left meanwhile."""
        try:
            record = await self.create(group)
        except Exception:
            log.exception("placing players %s failed", [t.player.id for t in group])
            gone = await self.matchmaker.settle(group)
            await self.matchmaker.give_back([t for t in group if t.player.id not in gone])
            return
        gone = await self.matchmaker.settle(group)
        if gone:
            abandoned = Outcome(None, [], "abandoned")
            await persistence.afinish_match(record.id, abandoned, None, [])
            await self.matchmaker.give_back([t for t in group if t.player.id not in gone])
            return
        if hosts.ownership is None:
            hosts.start(record)  # one process: host it now; many: the first socket's process
        players = [s.as_player() for s in record.seats]
        for seat, ticket in enumerate(group):
            event = {"type": "match.found", "match_id": record.id, "game": record.game}
            await deliver(ticket.channel, {**event, "seat": seat, "players": players})

    async def create(self, group: list[Ticket]) -> MatchRecord:
        game, seed = group[0].game, secrets.randbits(62)
        options = get_game(game).resolve_options(settings.GAMESERVER_GAME_OPTIONS.get(game))
        ids, seen = [t.player.id for t in group], [t.rating for t in group]
        match_id = await persistence.acreate_match(game, seed, options, ids, True, seen)
        seats = [SeatRecord(i, t.player.id, t.player.name, t.rating) for i, t in enumerate(group)]
        return MatchRecord(match_id, game, seed, options, protocol.WAITING, time.time(), seats)

    def ensure_timer(self) -> None:
        """Start the pass loop that fills matches whose tickets waited the fill timeout."""
        if self.timer is None or self.timer.done():
            self.timer = asyncio.get_running_loop().create_task(self.pass_loop())

    async def pass_loop(self) -> None:
        """Timed passes while anyone waits; with many processes only the leader passes."""
        while True:
            try:
                lengths = await self.matchmaker.queue_lengths()
            except Exception:
                log.exception("reading the queues failed")
                lengths = {"?": 1}  # keep the loop alive until the backend answers
            for game in installed_games():
                metrics.queue_length.labels(game).set(lengths.get(game, 0))
            if not any(lengths.values()):
                return
            await asyncio.sleep(min(0.5, settings.GAMESERVER_FILL_TIMEOUT / 2 or 0.5))
            try:
                if not await self.matchmaker.lead():
                    continue
                for game in installed_games().values():
                    await self.run_pass(game.info())
            except Exception:
                log.exception("a matchmaking pass failed")


def make_matchmaker() -> Matchmaker:
    """Redis when ``REDIS_URL`` is set (many processes), else this process's memory."""
    if settings.REDIS_URL:
        from .matchmaker_redis import RedisMatchmaker

        return RedisMatchmaker(settings.REDIS_URL.split(",")[0].strip())
    return MemoryMatchmaker()


lobby = Lobby(make_matchmaker())
