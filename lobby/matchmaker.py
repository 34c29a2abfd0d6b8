"""Tickets and queues: who waits for which game, and the passes that group them.

``Matchmaker`` is the interface; ``MemoryMatchmaker`` keeps the queues in this process
(``lobby.matchmaker_redis`` keeps them in Redis for many processes). A pass groups
tickets whose ratings lie in each other's skill windows (``lobby.grouping``): a full
group of ``max_players`` seats at once, or at least ``min_players`` once a ticket has
waited the fill timeout. A ticket waits from its ``enqueued`` time (never less than
zero: a stamp ahead of the passing clock counts as just arrived). A party's ticket holds
several players (``members``), takes as many seats and is rated at their mean; a ticket
is never split, and a party never forms a group alone (it waits for others). Popped
tickets are
"placing" until ``settle``: a player whose lobby socket closes meanwhile is reported as
gone, so that a player who left is never matched.

A ticket also names the process holding its lobby socket (``proc``), so that a placer
can tell a socket on a dead process before it announces a match (``alive``). After
placing, the lobby keeps a match's tickets for a while (``remember``/``recall``), to put
the players who came back in the queue at their place if a no-show abandons it, and the
no-show gets a cooldown (``cool_down``/``cooldown_left``).
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from gameserver.identity import Identity
from match.games import GameInfo

from .grouping import Pass, SkillWindow, Waiting

V = TypeVar("V")
QUEUED = "queued"
PLACING = "placing"


@dataclass
class Ticket:
    """One player's place in one game's queue, and the lobby socket to tell.

    A party's ticket is its leader's (``player``) and lists every member with the lobby
    socket to tell (``members``, ``channels``: the player first); a lone player's lists
    just the player. ``bots``: bots may fill the match after ``GAMESERVER_BOT_FILL``.
    """

    player: Identity
    game: str
    channel: str
    rating: float = 0.0  # the player's rating in that game (a new player's: 0)
    enqueued: float = field(default_factory=time.time)
    proc: str = ""  # the process holding the lobby socket ("": unknown, taken as alive)
    members: list[Identity] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    party: str | None = None
    bots: bool = False

    def __post_init__(self) -> None:
        if not self.members:
            self.members, self.channels = [self.player], [self.channel]

    @property
    def size(self) -> int:
        """The seats the ticket takes."""
        return len(self.members)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.player.id,
            "name": self.player.name,
            "game": self.game,
            "channel": self.channel,
            "rating": self.rating,
            "enqueued": self.enqueued,
            "proc": self.proc,
            "members": [m.as_dict() for m in self.members],
            "channels": self.channels,
            "party": self.party,
            "bots": self.bots,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Ticket:
        player = Identity(data["id"], data["name"])
        members = [Identity(m["id"], m["name"]) for m in data.get("members", [])]
        return cls(
            player, data["game"], data["channel"], data["rating"], data["enqueued"],
            data.get("proc", ""), members, list(data.get("channels", [])), data.get("party"),
            data.get("bots", False),
        )  # fmt: skip


class Matchmaker:
    """The matchmaker interface. A player holds at most one ticket, in one queue."""

    #: This process's name in tickets (``Ticket.proc``).
    token: str = ""

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

    async def give_back(self, tickets: list[Ticket]) -> set[str]:
        """Put popped tickets back in their queue, keeping their place; returns the ids
        of the players put back (not those who hold another ticket meanwhile)."""
        raise NotImplementedError

    async def ready(self) -> None:
        """Called before this process hands out a ticket: make ``alive`` see it."""

    async def alive(self, procs: set[str]) -> set[str]:
        """Which of the named processes are running (one process: all of them)."""
        return set(procs)

    async def remember(self, match_id: str, tickets: list[Ticket], ttl: float) -> None:
        """Keep a new match's tickets for ``ttl`` seconds (for ``recall``)."""
        raise NotImplementedError

    async def recall(self, match_id: str) -> list[Ticket]:
        """The tickets a match was formed from, forgotten now; [] once they expired."""
        raise NotImplementedError

    async def cool_down(self, player_id: str, seconds: float) -> None:
        """Refuse the player's tickets for ``seconds`` (a no-show's cooldown)."""
        raise NotImplementedError

    async def cooldown_left(self, player_id: str) -> float:
        """Seconds left of the player's cooldown; 0 when there is none."""
        raise NotImplementedError

    async def take_bot_groups(self, info: GameInfo, bot_fill: float) -> list[list[Ticket]]:
        """Atomically pop, each as a group of its own, the tickets that asked for bots and
        have waited ``bot_fill`` seconds (a pass first forms what groups it can)."""
        return []

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
        self.token = f"memory:{secrets.token_hex(6)}"
        self.formed: Expiring[list[Ticket]] = Expiring()
        self.cooling: Expiring[bool] = Expiring()

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
        if sum(t.size for t in queue.values()) < info.min_players:
            return []
        waiting = [Waiting(pid, t.rating, t.enqueued, t.size) for pid, t in queue.items()]
        window = window or SkillWindow.from_settings()
        found = Pass(waiting, self.clock(), window, fill_timeout)
        groups = []
        for ids in found.groups(info.min_players, info.max_players):
            tickets = [queue[pid] for pid in ids]
            self.pop(tickets)
            groups.append(tickets)
        return groups

    async def take_bot_groups(self, info: GameInfo, bot_fill: float) -> list[list[Ticket]]:
        cutoff = time.time() - bot_fill
        queue = self.queues.get(info.name, {})
        waiting = [t for t in queue.values() if t.bots and t.enqueued <= cutoff]
        self.pop(waiting)
        return [[ticket] for ticket in waiting]

    def pop(self, tickets: list[Ticket]) -> None:
        """Take tickets out of their queue: placing until ``settle``."""
        for ticket in tickets:
            pid = ticket.player.id
            del self.tickets[pid]
            del self.queues[ticket.game][pid]
            self.placing[pid] = ticket

    async def settle(self, tickets: list[Ticket]) -> set[str]:
        ids = {t.player.id for t in tickets}
        for pid in ids:
            self.placing.pop(pid, None)
        gone, self.gone = self.gone & ids, self.gone - ids
        return gone

    async def give_back(self, tickets: list[Ticket]) -> set[str]:
        back = {t.player.id for t in tickets if await self.add(t)}
        for game in {t.game for t in tickets}:
            queue = self.queues[game]
            self.queues[game] = dict(sorted(queue.items(), key=lambda kv: kv[1].enqueued))
        return back

    async def queue_lengths(self) -> dict[str, int]:
        return {game: len(queue) for game, queue in self.queues.items()}

    async def remember(self, match_id: str, tickets: list[Ticket], ttl: float) -> None:
        self.formed.put(match_id, list(tickets), ttl)

    async def recall(self, match_id: str) -> list[Ticket]:
        return self.formed.pop(match_id) or []

    async def cool_down(self, player_id: str, seconds: float) -> None:
        if seconds > 0:
            self.cooling.put(player_id, True, seconds)

    async def cooldown_left(self, player_id: str) -> float:
        return self.cooling.left(player_id)


class Expiring(Generic[V]):
    """A map whose entries lapse after their TTL; lapsed ones are dropped as others come."""

    def __init__(self) -> None:
        self.items: OrderedDict[str, tuple[float, V]] = OrderedDict()

    def put(self, key: str, value: V, ttl: float) -> None:
        now = time.monotonic()
        self.items.pop(key, None)
        self.items[key] = (now + ttl, value)
        # Entries of one map share a TTL: the oldest lapse first. A few with another TTL
        # only stay a little longer than they should.
        while self.items and next(iter(self.items.values()))[0] <= now:
            self.items.popitem(last=False)

    def pop(self, key: str) -> V | None:
        until, value = self.items.pop(key, (0.0, None))
        return value if until > time.monotonic() else None

    def left(self, key: str) -> float:
        until, _ = self.items.get(key, (0.0, None))
        return max(until - time.monotonic(), 0.0)
