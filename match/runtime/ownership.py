"""One host per match across processes: Redis keys with TTLs, a heartbeat and a lease.

Two kinds of key. ``gs:proc:<channel>`` says a process is alive: it has a short TTL
(``GAMESERVER_PROCESS_TTL``) and the process renews it several times a TTL. ``gs:host:
<match id>`` holds the channel name of the process hosting the match (TTL
``GAMESERVER_HOST_TTL``, renewed by the same heartbeat). A process claims a free match
key, or one whose owner's liveness key is gone (a compare-and-set in Lua: only while the
key still names that dead owner), so a killed process's matches move as soon as its
liveness key expires, not when its match keys would.

The lease keeps a process that was paused (not killed) from acting on matches it may
have lost: it counts from the moment the last successful renewal was sent, and ends a
safety margin before the liveness key can have expired in Redis. Past it, the host waits
for the next renewal before it commits anything; a renewal that finds a key taken over
drops that match. Without ``REDIS_URL`` there is one process and no keys.
"""

from __future__ import annotations

import asyncio
import logging
import time

from django.conf import settings
from redis import asyncio as aioredis

log = logging.getLogger("match.runtime.ownership")

PREFIX = "gs:host:"
PROC_PREFIX = "gs:proc:"
LEASE_MARGIN = 0.2  # of the process TTL: clock-rate drift and Redis latency

# Claim a match: free, already ours, or named after a process whose liveness key is gone.
# Returns {holder, how}: how is 'free', 'mine', '' (a live owner holds it) or the dead
# owner's channel. Claiming also marks this process alive: its loop is evidently running.
CLAIM = """
redis.call('SET', ARGV[3] .. ARGV[1], '1', 'PX', ARGV[4])
local owner = redis.call('GET', KEYS[1])
if not owner then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return {ARGV[1], 'free'}
end
if owner == ARGV[1] then return {owner, 'mine'} end
if redis.call('EXISTS', ARGV[3] .. owner) == 0 then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return {ARGV[1], owner}
end
return {owner, ''}
"""

# Mark this process alive; extend our match keys; take back a missing one (Redis
# restarted, or it expired while nobody else claimed it); report the ones taken over.
RENEW = """
redis.call('SET', ARGV[3], '1', 'PX', ARGV[4])
local lost = {}
for i, key in ipairs(KEYS) do
  local owner = redis.call('GET', key)
  if owner == ARGV[1] then
    redis.call('PEXPIRE', key, ARGV[2])
  elseif not owner then
    redis.call('SET', key, ARGV[1], 'PX', ARGV[2])
  else
    table.insert(lost, key)
  end
end
return lost
"""

RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class Ownership:
    """Claims, renews and releases match keys for this process (named by its channel)."""

    def __init__(self, url: str, ttl: float, process_ttl: float) -> None:
        pool = aioredis.BlockingConnectionPool.from_url(
            url, max_connections=50, timeout=10, decode_responses=True
        )
        self.redis = aioredis.Redis(connection_pool=pool)
        self.ttl_ms = int(ttl * 1000)
        self.process_ttl = process_ttl
        self.lease_until = 0.0  # monotonic
        self.renewed = asyncio.Event()  # set after each renewal (lease or not)
        self.claim_script = self.redis.register_script(CLAIM)
        self.renew_script = self.redis.register_script(RENEW)
        self.release_script = self.redis.register_script(RELEASE)

    @property
    def beat_s(self) -> float:
        """How often the heartbeat runs: four times per process TTL."""
        return self.process_ttl / 4

    def lease_valid(self) -> bool:
        return time.monotonic() < self.lease_until

    def extend_lease(self, sent: float) -> None:
        self.lease_until = max(self.lease_until, sent + self.process_ttl * (1 - LEASE_MARGIN))

    async def claim(self, match_id: str, me: str) -> tuple[str, str]:
        """Take the match if nobody live holds it: (holder's channel, how it was got).

        ``how`` is ``free`` (no key), ``mine``, the dead owner's channel (taken over), or
        empty (a live process holds it: the holder is that process).
        """
        sent = time.monotonic()
        holder, how = await self.claim_script(
            keys=[PREFIX + match_id],
            args=[me, self.ttl_ms, PROC_PREFIX, int(self.process_ttl * 1000)],
        )
        if holder == me:
            self.extend_lease(sent)
        return holder, how

    async def owner(self, match_id: str) -> str | None:
        return await self.redis.get(PREFIX + match_id)

    async def alive(self, channel: str) -> bool:
        """Whether the process named by ``channel`` has renewed its liveness key lately."""
        return bool(await self.redis.exists(PROC_PREFIX + channel))

    async def renew(self, match_ids: list[str], me: str) -> list[str]:
        """Mark this process alive, extend its keys; returns the matches it no longer holds."""
        sent = time.monotonic()
        keys = [PREFIX + m for m in match_ids]
        args = [me, self.ttl_ms, PROC_PREFIX + me, int(self.process_ttl * 1000)]
        lost = await self.renew_script(keys=keys, args=args)
        self.extend_lease(sent)
        return [key[len(PREFIX) :] for key in lost]

    async def release(self, match_id: str, me: str) -> None:
        await self.release_script(keys=[PREFIX + match_id], args=[me])


def make_ownership() -> Ownership | None:
    """The process's ownership keys when Redis is configured, else None (one process)."""
    if not settings.REDIS_URL:
        return None
    url = settings.REDIS_URL.split(",")[0].strip()
    return Ownership(url, settings.GAMESERVER_HOST_TTL, settings.GAMESERVER_PROCESS_TTL)
