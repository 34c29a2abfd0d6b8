"""The lobby's work: queueing players, running matchmaking passes, placing groups in
new matches and telling each player's lobby socket where to go.

A group is announced only when every member can hear it: a member who left while it
was being placed, or whose lobby socket is closed or on a process that died, is dropped
and the match (never announced to anyone) is discarded; the others go back to the
queue at their place. A match that a no-show abandons puts the players who came back
in the queue at their place too, and gives the no-show a cooldown.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings

from gameserver import metrics, protocol
from gameserver.delivery import deliver
from gameserver.identity import Identity
from gameserver.protocol import ClientError
from match import persistence
from match.games import GameInfo
from match.persistence import MatchRecord
from match.registry import get_game, installed_games
from match.runtime.hosting import hosts
from match.runtime.signals import match_abandoned
from players.ratings import arating_of

from .matchmaker import PLACING, QUEUED, Matchmaker, MemoryMatchmaker, Ticket
from .seating import match_found, seat_match

log = logging.getLogger("lobby")
COOLDOWN = "cooldown"  # error code (docs/protocol.md, extensions)


class Cooldown(ClientError):
    """``queue.join`` from a player whose no-show abandoned a match a moment ago."""

    def __init__(self, left: float) -> None:
        self.retry_after_s = math.ceil(left * 10) / 10
        super().__init__(COOLDOWN, f"you missed a match: queue again in {self.retry_after_s} s")


class Lobby:
    """Queues players and forms matches. One per process; passes also run on a timer."""

    def __init__(self, matchmaker: Matchmaker) -> None:
        self.matchmaker = matchmaker
        self.timer: asyncio.Task[None] | None = None
        self.sockets: set[str] = set()  # the channels of this process's open lobby sockets

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
        if status == PLACING or await self.in_match(player.id):
            raise ClientError(protocol.IN_MATCH, "you are in a match that is not over")
        left = await self.matchmaker.cooldown_left(player.id)
        if left > 0:
            raise Cooldown(left)
        await self.matchmaker.ready()
        rating = await arating_of(player.id, game.name)
        token = self.matchmaker.token
        ticket = Ticket(player, game.name, channel, rating, proc=token, bots=bots)
        if not await self.matchmaker.add(ticket):
            raise ClientError(protocol.ALREADY_QUEUED, "you are already queued")
        if queued is not None:
            await queued()
        self.ensure_timer()
        await self.run_pass(game.info())

    async def in_match(self, player_id: str) -> bool:
        """Whether the player is seated in a match whose result is not committed yet.

        A host here frees its players once the result is committed, before it sends
        ``match.over``, so a client may queue the instant it reads it.
        """
        match_id = await hosts.unfinished_match_of(player_id)
        if match_id is None:
            return False
        host = hosts.get(match_id)
        return host is None or not host.result_committed

    async def leave(self, player_id: str, channel: str | None = None) -> bool:
        """Drop the player's ticket; False if there was none."""
        return await self.matchmaker.remove(player_id, channel)

    async def run_pass(self, info: GameInfo) -> None:
        """Place every group the queue forms now; again while members drop out of groups
        (the rest went back to the queue and may form a group with someone else)."""
        fill, again = settings.GAMESERVER_FILL_TIMEOUT, True
        while again:
            again = False
            for group in await self.matchmaker.take_groups(info, fill):
                again = not await self.place(group) or again
        game = get_game(info.name)
        if game is not None and game.has_bot():
            for group in await self.matchmaker.take_bot_groups(info, settings.GAMESERVER_BOT_FILL):
                await self.place(group, max(1, info.min_players - group[0].size))

    async def place(self, group: list[Ticket], bots: int = 0) -> bool:
        """Create the group's match (with ``bots`` bots) and tell every member (of every
        party's ticket too); False when members dropped out.

        Dropped: who cannot hear ``match.found`` (asked before the match is written and
        again before it is announced) and who left while placed (``settle``). Their
        tickets are gone, so they are free; the match is discarded unannounced.
        """
        unreachable = await self.unreachable(group)
        if unreachable:  # e.g. tickets left by a dead process: no match to write at all
            return await self.drop(group, unreachable)
        try:
            record = await self.create(group, bots)
        except Exception:
            log.exception("placing players %s failed", [t.player.id for t in group])
            gone = await self.matchmaker.settle(group)
            await self.matchmaker.give_back([t for t in group if t.player.id not in gone])
            return True  # the queue is intact: no second try before the next pass
        gone = await self.matchmaker.settle(group)
        unreachable = await self.unreachable(group)
        if gone or unreachable:
            await persistence.adiscard_match(record.id)
            return await self.drop(group, unreachable, gone)
        ttl = settings.GAMESERVER_JOIN_TIMEOUT + 60
        await self.matchmaker.remember(record.id, group, ttl)
        if hosts.ownership is None:
            hosts.start(record)  # one process: host it now; many: the first socket's process
        for ticket in group:
            extra = {"party": ticket.party} if ticket.party else {}
            for member, channel in zip(ticket.members, ticket.channels, strict=True):
                await deliver(channel, match_found(record, member.id, **extra))
        from .party_service import parties  # parties build on the lobby, not it on them

        await parties.placed(group)
        return True

    async def drop(
        self, group: list[Ticket], unreachable: set[str], gone: set[str] | None = None
    ) -> bool:
        """End a group's placing without a match: the others go back to their place."""
        if gone is None:
            gone = await self.matchmaker.settle(group)
        lost = gone | unreachable
        await self.matchmaker.give_back([t for t in group if t.player.id not in lost])
        await self.reclaim([t for t in group if t.player.id in unreachable - gone])
        return False

    async def unreachable(self, group: list[Ticket]) -> set[str]:
        """Players whose lobby socket cannot hear ``match.found``: closed (a socket of this
        process) or on a process that is not running (one round trip for the group)."""
        mine = self.matchmaker.token
        lost = {t.player.id for t in group if t.proc == mine and t.channel not in self.sockets}
        elsewhere = {t.proc for t in group if t.proc and t.proc != mine}
        if elsewhere:
            try:
                dead = elsewhere - await self.matchmaker.alive(elsewhere)
            except Exception:  # unsure: announce, and let the join timeout sort it out
                log.exception("asking which processes are alive failed")
                dead = set()
            lost |= {t.player.id for t in group if t.proc in dead}
        return lost

    async def reclaim(self, tickets: list[Ticket]) -> None:
        """Tell the sockets of dropped tickets on other processes that their ticket is
        gone: a process taken for dead that was not (it lost Redis for a moment) puts
        the ticket back quietly; a dead one never hears it."""
        for ticket in tickets:
            if ticket.proc != self.matchmaker.token:
                event = {"type": "lobby.requeue", "ticket": ticket.as_dict(), "quiet": True}
                await deliver(ticket.channel, event)

    async def no_show(self, match_id: str, present: list[str], missing: list[str]) -> None:
        """The join timeout abandoned a match: who came goes back to the queue at their
        place (through their lobby socket, if it is still open); who did not cools down."""
        for player_id in missing:
            await self.matchmaker.cool_down(player_id, settings.GAMESERVER_NOSHOW_COOLDOWN)
        for ticket in await self.matchmaker.recall(match_id):
            here = ticket.proc == self.matchmaker.token
            if ticket.player.id in present and (ticket.channel in self.sockets or not here):
                event = {"type": "lobby.requeue", "match_id": match_id, "ticket": ticket.as_dict()}
                await deliver(ticket.channel, event)

    async def requeue(
        self, ticket: Ticket, queued: Callable[[], Awaitable[None]] | None = None
    ) -> None:
        """Put a ticket back at its place (then await ``queued``), unless the player holds
        another ticket by now; then run a pass."""
        await self.matchmaker.ready()  # others must see this process before they pop it
        if await self.in_match(ticket.player.id):  # queued again and matched meanwhile
            return
        if ticket.player.id not in await self.matchmaker.give_back([ticket]):
            return
        if queued is not None:
            await queued()
        self.ensure_timer()
        game = get_game(ticket.game)
        if game is not None:
            await self.run_pass(game.info())

    async def create(self, group: list[Ticket], bots: int = 0) -> MatchRecord:
        """Record the group's match: its players in queue order, then ``bots`` bots (a
        match with bots is unrated)."""
        game = get_game(group[0].game)
        players = [member for ticket in group for member in ticket.members]
        seen = {t.player.id: t.rating for t in group if t.size == 1}
        return await seat_match(game, players, bots, rated=not bots, seen=seen)

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


async def on_match_abandoned(
    sender: Any, match_id: str, present: list[str], missing: list[str], **kwargs: Any
) -> None:
    """``match_abandoned``: a match's join timeout ran out (in whichever process hosts it)."""
    await lobby.no_show(match_id, present, missing)


match_abandoned.connect(on_match_abandoned, dispatch_uid="lobby.no_show")
