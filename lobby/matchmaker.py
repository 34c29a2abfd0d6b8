"""Tickets and queues: who waits for which game, and the passes that group them.

``Matchmaker`` is the interface; ``MemoryMatchmaker`` keeps the queues in this process
(``lobby.matchmaker_redis`` keeps them in Redis for many processes). A pass groups
tickets whose ratings lie in each other's skill windows (``lobby.grouping``): a full
group of ``max_players`` at once, or at least ``min_players`` once a ticket has waited
the fill timeout. A ticket waits from its ``enqueued`` time (never less than zero: a
stamp ahead of the passing clock counts as just arrived). Popped tickets are
"placing" until ``settle``: a player whose lobby socket closes meanwhile is reported as
gone, so that a player who left is never matched.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gameserver.identity import Identity
from match.games import GameInfo

from .grouping import Pass, SkillWindow, Waiting

QUEUED = "queued"
PLACING = "placing"


@dataclass
class Ticket:
    """One player's place in one game's queue, and the lobby socket to tell."""

    player: Identity
    game: str
    channel: str
    rating: float = 0.0  # the player's rating in that game (a new player's: 0)
    enqueued: float = field(default_factory=time.time)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.player.id,
            "name": self.player.name,
            "game": self.game,
            "channel": self.channel,
            "rating": self.rating,
            "enqueued": self.enqueued,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Ticket:
        player = Identity(data["id"], data["name"])
        return cls(player, data["game"], data["channel"], data["rating"], data["enqueued"])


class Matchmaker:
    """The matchmaker interface. A player holds at most one ticket, in one queue."""

    async def add(self, ticket: Ticket) -> bool:
        """Queue a ticket; False if the player already has one (or is being placed)."""
        raise NotImplementedError

    async def remove(self, player_id: str, channel: str | None = None) -> bool:
        """Drop the player's ticket (only one held by ``channel`` when given).

        A player being placed right now is marked gone instead, and False is returned.
        """
        raise NotImplementedError

    async def status(self, player_id: str) -> str | None:
        """``QUEUED``, ``PLACING`` or None."""
        raise NotImplementedError

    async def take_groups(
        self, info: GameInfo, fill_timeout: float, window: SkillWindow | None = None
    ) -> list[list[Ticket]]:
        """Atomically pop the groups a pass over one game's queue can form now, each in
        arrival order; ``window`` defaults to the settings' skill window.
        """
        raise NotImplementedError

    async def settle(self, tickets: list[Ticket]) -> set[str]:
        """End the placing of popped tickets; returns the ids of players who left meanwhile."""
        raise NotImplementedError

    async def give_back(self, tickets: list[Ticket]) -> None:
        """Put popped tickets back in their queue, keeping their place."""
        raise NotImplementedError

    async def queue_lengths(self) -> dict[str, int]:
        raise NotImplementedError

    async def lead(self) -> bool:
        """Whether this process runs the timed passes now (one process at a time)."""
        return True


class MemoryMatchmaker(Matchmaker):
    """Queues in this process's memory: for one server process."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.queues: dict[str, dict[str, Ticket]] = {}
        self.tickets: dict[str, Ticket] = {}
        self.placing: dict[str, Ticket] = {}
        self.gone: set[str] = set()

    async def add(self, ticket: Ticket) -> bool:
        pid = ticket.player.id
        if pid in self.tickets or pid in self.placing:
            return False
        self.tickets[pid] = ticket
        self.queues.setdefault(ticket.game, {})[pid] = ticket
        return True

    async def remove(self, player_id: str, channel: str | None = None) -> bool:
        ticket = self.tickets.get(player_id)
        if ticket is not None and channel in (None, ticket.channel):
            del self.tickets[player_id]
            del self.queues[ticket.game][player_id]
            return True
        placed = self.placing.get(player_id)
        if placed is not None and channel in (None, placed.channel):
            self.gone.add(player_id)
        return False

    async def status(self, player_id: str) -> str | None:
        if player_id in self.tickets:
            return QUEUED
        return PLACING if player_id in self.placing else None

    async def take_groups(
        self, info: GameInfo, fill_timeout: float, window: SkillWindow | None = None
    ) -> list[list[Ticket]]:
        queue = self.queues.get(info.name, {})
        if len(queue) < info.min_players:
            return []
        waiting = [Waiting(pid, t.rating, t.enqueued) for pid, t in queue.items()]
        window = window or SkillWindow.from_settings()
        found = Pass(waiting, self.clock(), window, fill_timeout)
        groups = []
        for ids in found.groups(info.min_players, info.max_players):
            tickets = [queue[pid] for pid in ids]
            for ticket in tickets:
                await self.remove(ticket.player.id)
                self.placing[ticket.player.id] = ticket
            groups.append(tickets)
        return groups

    async def settle(self, tickets: list[Ticket]) -> set[str]:
        ids = {t.player.id for t in tickets}
        for pid in ids:
            self.placing.pop(pid, None)
        gone, self.gone = self.gone & ids, self.gone - ids
        return gone

    async def give_back(self, tickets: list[Ticket]) -> None:
        for ticket in tickets:
            await self.add(ticket)

    async def queue_lengths(self) -> dict[str, int]:
        return {game: len(queue) for game, queue in self.queues.items()}
