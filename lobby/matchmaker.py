"""Tickets and queues: who waits for which game, and the passes that group them.

``Matchmaker`` is the interface; ``MemoryMatchmaker`` keeps the queues in this process.
A pass takes tickets first come, first matched: a full group of ``max_players`` at once,
or at least ``min_players`` once the oldest ticket has waited the fill timeout.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from gameserver.identity import Identity
from match.games import GameInfo


@dataclass
class Ticket:
    """One player's place in one game's queue, and the lobby socket to tell."""

    player: Identity
    game: str
    channel: str
    rating: float = 1500.0
    enqueued: float = field(default_factory=time.monotonic)


class Matchmaker:
    """The matchmaker interface: a player holds at most one ticket."""

    def add(self, ticket: Ticket) -> bool:
        """Queue a ticket; False if the player already has one."""
        raise NotImplementedError

    def remove(self, player_id: str, channel: str | None = None) -> Ticket | None:
        """Drop the player's ticket (only if held by ``channel`` when given)."""
        raise NotImplementedError

    def holds(self, player_id: str) -> bool:
        raise NotImplementedError

    def take_groups(self, info: GameInfo, fill_timeout: float) -> list[list[Ticket]]:
        """Pop the groups that a pass over one game's queue can form now."""
        raise NotImplementedError

    def give_back(self, tickets: list[Ticket]) -> None:
        """Put popped tickets back at the front of their queue, keeping their wait."""
        raise NotImplementedError

    def queue_lengths(self) -> dict[str, int]:
        raise NotImplementedError


class MemoryMatchmaker(Matchmaker):
    """Queues in this process's memory: for one server process."""

    def __init__(self) -> None:
        self.queues: dict[str, dict[str, Ticket]] = {}
        self.players: dict[str, Ticket] = {}

    def add(self, ticket: Ticket) -> bool:
        if ticket.player.id in self.players:
            return False
        self.players[ticket.player.id] = ticket
        self.queues.setdefault(ticket.game, {})[ticket.player.id] = ticket
        return True

    def remove(self, player_id: str, channel: str | None = None) -> Ticket | None:
        ticket = self.players.get(player_id)
        if ticket is None or (channel is not None and ticket.channel != channel):
            return None
        del self.players[player_id]
        del self.queues[ticket.game][player_id]
        return ticket

    def holds(self, player_id: str) -> bool:
        return player_id in self.players

    def take_groups(self, info: GameInfo, fill_timeout: float) -> list[list[Ticket]]:
        queue = self.queues.get(info.name, {})
        groups: list[list[Ticket]] = []
        while len(queue) >= info.min_players:
            tickets = list(queue.values())[: info.max_players]
            waited = time.monotonic() - tickets[0].enqueued
            if len(tickets) < info.max_players and waited < fill_timeout:
                break
            for ticket in tickets:
                self.remove(ticket.player.id)
            groups.append(tickets)
        return groups

    def give_back(self, tickets: list[Ticket]) -> None:
        for ticket in tickets:
            self.add(ticket)
        for game in {t.game for t in tickets}:
            queue = self.queues[game]
            self.queues[game] = dict(sorted(queue.items(), key=lambda kv: kv[1].enqueued))

    def queue_lengths(self) -> dict[str, Any]:
        return {game: len(queue) for game, queue in self.queues.items()}
