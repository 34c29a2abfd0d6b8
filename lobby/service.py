"""The lobby's work: queueing players, running matchmaking passes, placing groups in
new matches and telling each player's lobby socket where to go.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings

from gameserver import metrics, protocol
from gameserver.delivery import deliver
from gameserver.identity import Identity
from gameserver.protocol import ClientError
from match import persistence
from match.games import GameInfo, Outcome
from match.persistence import MatchRecord
from match.registry import get_game, installed_games
from match.runtime.hosting import hosts

from .matchmaker import PLACING, QUEUED, Matchmaker, MemoryMatchmaker, Ticket
from .seating import match_found, seat_match

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
        bots: bool = False,
    ) -> None:
        """Queue the player for a game (then await ``queued``), or raise ClientError.

        ``bots``: if no group forms within ``GAMESERVER_BOT_FILL``, bots fill the match.
        """
        game = get_game(game_name)
        if game is None:
            raise ClientError(protocol.UNKNOWN_GAME, f"no game called {game_name!r}")
        if bots and not game.has_bot():
            raise ClientError(protocol.INVALID, f"{game.name} has no bots")
        status = await self.matchmaker.status(player.id)
        if status == QUEUED:
            raise ClientError(protocol.ALREADY_QUEUED, "you are already queued")
        if status == PLACING or await hosts.unfinished_match_of(player.id):
            raise ClientError(protocol.IN_MATCH, "you are in a match that is not over")
        if not await self.matchmaker.add(Ticket(player, game.name, channel, bots=bots)):
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
        game = get_game(info.name)
        if game is not None and game.has_bot():
            for group in await self.matchmaker.take_bot_groups(info, settings.GAMESERVER_BOT_FILL):
                await self.place(group, max(1, info.min_players - group[0].size))

    async def place(self, group: list[Ticket], bots: int = 0) -> None:
        """Create the group's match (with ``bots`` bots) and tell every member (of every
        party's ticket too), unless one left meanwhile."""
        try:
            record = await self.create(group, bots)
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
        for ticket in group:
            extra = {"party": ticket.party} if ticket.party else {}
            for member, channel in zip(ticket.members, ticket.channels, strict=True):
                await deliver(channel, match_found(record, member.id, **extra))
        from .party_service import parties  # parties build on the lobby, not it on them

        await parties.placed(group)

    async def create(self, group: list[Ticket], bots: int = 0) -> MatchRecord:
        """Record the group's match: its players in queue order, then ``bots`` bots (a
        match with bots is unrated)."""
        game = get_game(group[0].game)
        players = [member for ticket in group for member in ticket.members]
        return await seat_match(game, players, bots, rated=not bots)

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
