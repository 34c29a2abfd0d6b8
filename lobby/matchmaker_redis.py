"""Tickets and queues in Redis, shared by every server process.

Keys, all under one prefix (``gs:mm:`` by default):

- ``q:<game>``: a sorted set of the ids of the players waiting for a game, scored by
  their tickets' enqueue time (the fill timeout's oldest first);
- ``r:<game>``: the same tickets by rating: members ``<enqueue time>|<seats>|<player>``
  (the time zero-padded to a fixed width, the seats to 3 digits) scored by rating, so one
  ZRANGE lists them by (rating, arrival, seats, player), the order a pass works in;
- ``p:<player>``: one hash per player holding a ticket: ``state`` (queued or placing),
  ``game``, ``channel``, ``ticket`` (the ticket as JSON), ``rank`` (its member of
  ``r:<game>``) and ``gone`` once the player left while being placed. A placing hash
  expires after ``placing_ttl``, so players popped by a process that died are free to
  queue again;
- ``games``: every game that has had a queue, for ``queue_lengths``;
- ``lease``: the token of the process that runs the timed passes, with a TTL;
- ``formed:<match>``: the tickets a match was formed from (JSON), for its join timeout;
- ``cd:<player>``: a no-show's cooldown, expiring with it;
- the channel ``alive:<token>``: each process's presence subscription (lobby.presence).

Every operation that reads and then writes is one Lua script, atomic across processes:
two processes can never pop the same ticket. A pass (``take.lua``) groups by skill
window exactly as ``lobby.grouping`` does, in one script. The scripts derive player and queue keys
from the prefix, so all the keys must live on one Redis server (not Redis Cluster).
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from collections.abc import Callable
from pathlib import Path

import orjson

from match.games import GameInfo

from .grouping import SkillWindow
from .matchmaker import Matchmaker, Ticket
from .presence import Presence
from .redis_client import connect

# KEYS: player hash, arrival queue, rating queue, games set.
# ARGV: player, game, channel, ticket, enqueue time, rating, rating queue member.
ADD = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'state', 'queued', 'game', ARGV[2], 'channel', ARGV[3],
           'ticket', ARGV[4], 'rank', ARGV[7])
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[6], ARGV[7])
redis.call('SADD', KEYS[4], ARGV[2])
return 1
"""

# KEYS: player hash. ARGV: player, '1' if a channel is given, the channel, prefix.
REMOVE = """
local f = redis.call('HMGET', KEYS[1], 'state', 'game', 'channel', 'rank')
if not f[1] or (ARGV[2] == '1' and ARGV[3] ~= f[3]) then return 0 end
if f[1] == 'queued' then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', ARGV[4] .. 'q:' .. f[2], ARGV[1])
  redis.call('ZREM', ARGV[4] .. 'r:' .. f[2], f[4])
  return 1
end
redis.call('HSET', KEYS[1], 'gone', '1')
return 0
"""

TAKE = (Path(__file__).with_name("take.lua")).read_text()

# KEYS: arrival queue, rating queue. ARGV: prefix, cutoff (an enqueue time), placing TTL
# in ms. Pops the tickets (at most 100) that asked for bots and were queued before the
# cutoff.
TAKE_BOTS = """
local out = {}
for _, pid in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, 100)) do
  local key = ARGV[1] .. 'p:' .. pid
  local f = redis.call('HMGET', key, 'state', 'ticket', 'rank')
  if f[1] ~= 'queued' then
    redis.call('ZREM', KEYS[1], pid)
  elseif cjson.decode(f[2]).bots == true then
    redis.call('ZREM', KEYS[1], pid)
    redis.call('ZREM', KEYS[2], f[3])
    redis.call('HSET', key, 'state', 'placing')
    redis.call('PEXPIRE', key, ARGV[3])
    out[#out + 1] = f[2]
  end
end
return out
"""

# KEYS: player hashes. ARGV: their tickets (JSON). Returns the 1-based positions of the
# players who left meanwhile, or whose placing lapsed (then someone else may hold them).
SETTLE = """
local gone = {}
for i, key in ipairs(KEYS) do
  local f = redis.call('HMGET', key, 'state', 'ticket', 'gone')
  if f[1] ~= 'placing' or f[2] ~= ARGV[i] then
    gone[#gone + 1] = i
  else
    if f[3] then gone[#gone + 1] = i end
    redis.call('DEL', key)
  end
end
return gone
"""

# KEYS: games set. ARGV: prefix. Returns game, length, game, length...
LENGTHS = """
local out = {}
for _, game in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  out[#out + 1] = game
  out[#out + 1] = redis.call('ZCARD', ARGV[1] .. 'q:' .. game)
end
return out
"""

# KEYS: lease. ARGV: token, TTL in ms. Take a free lease or extend our own.
LEAD = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""

# KEYS: lease. ARGV: token.
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def encode(ticket: Ticket) -> bytes:
    return orjson.dumps(ticket.as_dict())


def decode(data: bytes) -> Ticket:
    return Ticket.from_dict(orjson.loads(data))


class RedisMatchmaker(Matchmaker):
    """Queues in one Redis server: for many server processes.

    ``lease_ttl`` is how long the process running the timed passes may stay silent before
    another takes over (it renews on every ``lead``); ``placing_ttl`` how long popped
    players stay placing if their placer never settles (a process killed while placing
    them: they may queue again this soon; a placement takes milliseconds). The connection
    pool waits up to ``pool_timeout`` for a free connection under load rather than failing
    at once. A pass forms at most ``groups_per_call`` groups per script call and calls
    again while a call forms that many, so that a burst never holds Redis for long.
    ``clock`` gives the passes' "now" (tests move it).
    """

    def __init__(
        self,
        url: str,
        prefix: str = "gs:mm:",
        lease_ttl: float = 5.0,
        placing_ttl: float = 10.0,
        max_connections: int = 50,
        pool_timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
        groups_per_call: int = 500,
    ) -> None:
        self.redis = connect(url, max_connections, pool_timeout)
        self.prefix = prefix
        self.clock = clock
        self.groups_per_call = groups_per_call
        self.lease_ms = max(1, round(lease_ttl * 1000))
        self.placing_ms = max(1, round(placing_ttl * 1000))
        self.token = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(8)}"
        self.presence = Presence(url, prefix, self.token)
        script = self.redis.register_script
        self._add, self._remove, self._take = script(ADD), script(REMOVE), script(TAKE)
        self._settle, self._lengths = script(SETTLE), script(LENGTHS)
        self._lead, self._release = script(LEAD), script(RELEASE)
        self._take_bots = script(TAKE_BOTS)

    def key(self, *parts: str) -> str:
        """A key under this matchmaker's prefix: ``key("p", player_id)``."""
        return self.prefix + ":".join(parts)

    def add_call(self, ticket: Ticket) -> dict[str, list]:
        """The ADD script's keys and arguments for a ticket."""
        pid, game = ticket.player.id, ticket.game
        member = f"{ticket.enqueued:020.6f}|{ticket.size:03d}|{pid}"
        keys = [self.key("p", pid), self.key("q", game), self.key("r", game), self.key("games")]
        args = [pid, game, ticket.channel, encode(ticket), ticket.enqueued, ticket.rating]
        return {"keys": keys, "args": [*args, member]}

    async def add(self, ticket: Ticket) -> bool:
        return bool(await self._add(**self.add_call(ticket)))

    async def remove(self, player_id: str, channel: str | None = None) -> bool:
        given = "0" if channel is None else "1"
        args = [player_id, given, channel or "", self.prefix]
        return bool(await self._remove(keys=[self.key("p", player_id)], args=args))

    async def status(self, player_id: str) -> str | None:
        state = await self.redis.hget(self.key("p", player_id), "state")
        return None if state is None else state.decode()

    async def take_groups(
        self, info: GameInfo, fill_timeout: float, window: SkillWindow | None = None
    ) -> list[list[Ticket]]:
        # Enqueue times come from the joining process's clock, so "now" does too.
        window = window or SkillWindow.from_settings()
        keys = [self.key("r", info.name), self.key("q", info.name)]
        args = [self.prefix, info.min_players, info.max_players, self.clock(), fill_timeout]
        args += [self.placing_ms, window.base, window.widen, self.groups_per_call]
        taken: list[list[Ticket]] = []
        while True:
            groups = await self._take(keys=keys, args=args)
            taken += [[decode(data) for data in group] for group in groups]
            if len(groups) < self.groups_per_call:
                return taken

    async def take_bot_groups(self, info: GameInfo, bot_fill: float) -> list[list[Ticket]]:
        args = [self.prefix, time.time() - bot_fill, self.placing_ms]
        keys = [self.key("q", info.name), self.key("r", info.name)]
        found = await self._take_bots(keys=keys, args=args)
        return [[decode(data)] for data in found]

    async def settle(self, tickets: list[Ticket]) -> set[str]:
        """As ``Matchmaker.settle``; a player whose placing lapsed also counts as gone."""
        if not tickets:
            return set()
        keys = [self.key("p", t.player.id) for t in tickets]
        gone = await self._settle(keys=keys, args=[encode(t) for t in tickets])
        return {tickets[i - 1].player.id for i in gone}

    async def give_back(self, tickets: list[Ticket]) -> set[str]:
        """Re-add each ticket with its original enqueue time (unless the player re-queued)."""
        if not tickets:
            return set()
        async with self.redis.pipeline(transaction=False) as pipe:
            for ticket in tickets:
                await self._add(**self.add_call(ticket), client=pipe)
            added = await pipe.execute()
        return {t.player.id for t, ok in zip(tickets, added, strict=True) if ok}

    async def ready(self) -> None:
        await self.presence.ready()

    async def alive(self, procs: set[str]) -> set[str]:
        return await self.presence.alive(self.redis, procs)

    async def remember(self, match_id: str, tickets: list[Ticket], ttl: float) -> None:
        data = orjson.dumps([t.as_dict() for t in tickets])
        await self.redis.set(self.key("formed", match_id), data, px=max(1, round(ttl * 1000)))

    async def recall(self, match_id: str) -> list[Ticket]:
        data = await self.redis.getdel(self.key("formed", match_id))
        return [Ticket.from_dict(t) for t in orjson.loads(data)] if data else []

    async def cool_down(self, player_id: str, seconds: float) -> None:
        if seconds > 0:
            await self.redis.set(self.key("cd", player_id), 1, px=max(1, round(seconds * 1000)))

    async def cooldown_left(self, player_id: str) -> float:
        left = await self.redis.pttl(self.key("cd", player_id))
        return max(left, 0) / 1000

    async def queue_lengths(self) -> dict[str, int]:
        flat = await self._lengths(keys=[self.key("games")], args=[self.prefix])
        return {game.decode(): int(n) for game, n in zip(flat[::2], flat[1::2], strict=True)}

    async def lead(self) -> bool:
        return bool(await self._lead(keys=[self.key("lease")], args=[self.token, self.lease_ms]))

    async def close(self) -> None:
        """Give up the lease (another process may lead at once) and close the pool."""
        try:
            await self._release(keys=[self.key("lease")], args=[self.token])
        finally:
            if self.presence.task is not None:
                self.presence.task.cancel()
            await self.redis.aclose()
