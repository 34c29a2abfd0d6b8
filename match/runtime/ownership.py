"""One host per match across processes: a Redis key per match, with a TTL and a heartbeat.

The key ``gs:host:<match id>`` holds the channel name of the process hosting the match.
A process claims a free key (SET NX PX), renews the keys of the matches it hosts every
third of the TTL, and lets them go when a match ends. When a process dies its keys
expire, and the next process that needs one of its matches claims it and rebuilds the
match from the database. Without ``REDIS_URL`` there is one process and no keys.
"""

from __future__ import annotations

import logging

from django.conf import settings
from redis import asyncio as aioredis

log = logging.getLogger("match.runtime.ownership")

PREFIX = "gs:host:"

# Extend our keys; take back a missing one (Redis restarted, nobody else claimed it).
RENEW = """
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

    def __init__(self, url: str, ttl: float) -> None:
        pool = aioredis.BlockingConnectionPool.from_url(
            url, max_connections=50, timeout=10, decode_responses=True
        )
        self.redis = aioredis.Redis(connection_pool=pool)
        self.ttl_ms = int(ttl * 1000)
        self.renew_script = self.redis.register_script(RENEW)
        self.release_script = self.redis.register_script(RELEASE)

    async def claim(self, match_id: str, me: str) -> str:
        """Take the match if nobody holds it; returns the holder's channel (maybe ``me``)."""
        key = PREFIX + match_id
        if await self.redis.set(key, me, nx=True, px=self.ttl_ms):
            return me
        owner = await self.redis.get(key)
        if owner is None:  # expired between the two calls: try once more
            return await self.claim(match_id, me)
        return owner

    async def owner(self, match_id: str) -> str | None:
        return await self.redis.get(PREFIX + match_id)

    async def renew(self, match_ids: list[str], me: str) -> list[str]:
        """Extend this process's keys; returns the matches it no longer holds."""
        if not match_ids:
            return []
        keys = [PREFIX + m for m in match_ids]
        lost = await self.renew_script(keys=keys, args=[me, self.ttl_ms])
        return [key[len(PREFIX) :] for key in lost]

    async def release(self, match_id: str, me: str) -> None:
        await self.release_script(keys=[PREFIX + match_id], args=[me])


def make_ownership() -> Ownership | None:
    """The process's ownership keys when Redis is configured, else None (one process)."""
    if not settings.REDIS_URL:
        return None
    url = settings.REDIS_URL.split(",")[0].strip()
    return Ownership(url, settings.GAMESERVER_HOST_TTL)
