"""Tickets and queues in Redis, shared by every server process.

Keys, all under one prefix (``gs:mm:`` by default):

- ``q:<game>``: a sorted set of the ids of the players waiting for a game, scored by
  their tickets' enqueue time (so a pass pops first come, first matched);
- ``p:<player>``: one hash per player holding a ticket: ``state`` (queued or placing),
  ``game``, ``channel``, ``ticket`` (the ticket as JSON) and ``gone`` once the player
  left while being placed. A placing hash expires after ``placing_ttl``, so players
  popped by a process that died are free to queue again;
- ``games``: every game that has had a queue, for ``queue_lengths``;
- ``lease``: the token of the process that runs the timed passes, with a TTL;
- ``formed:<match>``: the tickets a match was formed from (JSON), for its join timeout;
- ``cd:<player>``: a no-show's cooldown, expiring with it;
- the channel ``alive:<token>``: each process's presence subscription (lobby.presence).

Every operation that reads and then writes is one Lua script, atomic across processes:
two processes can never pop the same ticket. The scripts derive player and queue keys
from the prefix, so all the keys must live on one Redis server (not Redis Cluster).
"""

from __future__ import annotations

import os
import secrets
import socket
import time

import orjson
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

from match.games import GameInfo

from .matchmaker import Matchmaker, Ticket
from .presence import Presence

# KEYS: player hash, game queue, games set. ARGV: player, game, channel, ticket, score.
ADD = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'state', 'queued', 'game', ARGV[2], 'channel', ARGV[3],
           'ticket', ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[2])
return 1
"""

# KEYS: player hash. ARGV: player, '1' if a channel is given, the channel, prefix.
REMOVE = """
local f = redis.call('HMGET', KEYS[1], 'state', 'game', 'channel')
if not f[1] or (ARGV[2] == '1' and ARGV[3] ~= f[3]) then return 0 end
if f[1] == 'queued' then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', ARGV[4] .. 'q:' .. f[2], ARGV[1])
  return 1
end
redis.call('HSET', KEYS[1], 'gone', '1')
return 0
"""

# KEYS: game queue. ARGV: prefix, min players, max players, now, fill timeout, placing TTL
# in ms. Returns the groups, each a list of tickets (JSON), oldest first. A ticket takes a
# seat per member (a party's lists several): a group is the oldest ticket, then each later
# one that still fits, looking at most 4 * max players down the queue.
TAKE = """
local prefix, low, high = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local now, fill = tonumber(ARGV[4]), tonumber(ARGV[5])
local groups = {}
while true do
  local head = redis.call('ZRANGE', KEYS[1], 0, 4 * high - 1, 'WITHSCORES')
  if #head == 0 then break end
  local group, taken, stale = {}, 0, false
  for i = 1, #head, 2 do
    local key = prefix .. 'p:' .. head[i]
    local f = redis.call('HMGET', key, 'state', 'ticket')
    if f[1] ~= 'queued' then
      redis.call('ZREM', KEYS[1], head[i])  -- a stray entry: drop it and look again
      stale = true
    elseif taken < high then
      local members = cjson.decode(f[2]).members
      local size = (type(members) == 'table' and #members > 0) and #members or 1
      if taken + size <= high then
        group[#group + 1] = {key, head[i], f[2]}
        taken = taken + size
      end
    end
  end
  if not stale then
    if taken < low or (taken < high and now - tonumber(head[2]) < fill) then break end
    if #group == 1 and taken > 1 then break end  -- a party alone waits for others
    local tickets = {}
    for i, t in ipairs(group) do
      redis.call('ZREM', KEYS[1], t[2])
      redis.call('HSET', t[1], 'state', 'placing')
      redis.call('PEXPIRE', t[1], ARGV[6])
      tickets[i] = t[3]
    end
    groups[#groups + 1] = tickets
  end
end
return groups
"""

# KEYS: game queue. ARGV: prefix, cutoff (an enqueue time), placing TTL in ms. Pops the
# tickets (at most 100) that asked for bots and were queued before the cutoff.
TAKE_BOTS = """
local out = {}
for _, pid in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, 100)) do
  local key = ARGV[1] .. 'p:' .. pid
  local f = redis.call('HMGET', key, 'state', 'ticket')
  if f[1] ~= 'queued' then
    redis.call('ZREM', KEYS[1], pid)
  elseif cjson.decode(f[2]).bots == true then
    redis.call('ZREM', KEYS[1], pid)
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
    at once.
    """

    def __init__(
        self,
        url: str,
        prefix: str = "gs:mm:",
        lease_ttl: float = 5.0,
        placing_ttl: float = 10.0,
        max_connections: int = 50,
        pool_timeout: float = 10.0,
    ) -> None:
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=pool_timeout,
            retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), 3),
            health_check_interval=30,
        )
        self.redis = Redis.from_pool(pool)
        self.prefix = prefix
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
        return {
            "keys": [self.key("p", pid), self.key("q", game), self.key("games")],
            "args": [pid, game, ticket.channel, encode(ticket), ticket.enqueued],
        }

    async def add(self, ticket: Ticket) -> bool:
        return bool(await self._add(**self.add_call(ticket)))

    async def remove(self, player_id: str, channel: str | None = None) -> bool:
        given = "0" if channel is None else "1"
        args = [player_id, given, channel or "", self.prefix]
        return bool(await self._remove(keys=[self.key("p", player_id)], args=args))

    async def status(self, player_id: str) -> str | None:
        state = await self.redis.hget(self.key("p", player_id), "state")
        return None if state is None else state.decode()

    async def take_groups(self, info: GameInfo, fill_timeout: float) -> list[list[Ticket]]:
        # Enqueue times come from the joining process's clock, so "now" does too.
        args = [self.prefix, info.min_players, info.max_players, time.time(), fill_timeout]
        groups = await self._take(keys=[self.key("q", info.name)], args=[*args, self.placing_ms])
        return [[decode(data) for data in group] for group in groups]

    async def take_bot_groups(self, info: GameInfo, bot_fill: float) -> list[list[Ticket]]:
        args = [self.prefix, time.time() - bot_fill, self.placing_ms]
        found = await self._take_bots(keys=[self.key("q", info.name)], args=args)
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
