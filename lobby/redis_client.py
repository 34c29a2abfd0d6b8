"""The Redis client the lobby's shared state uses (the matchmaker and the parties)."""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff


def connect(url: str, max_connections: int, pool_timeout: float) -> Redis:
    """A client whose pool waits up to ``pool_timeout`` for a free connection under load
    (rather than failing at once) and retries a dropped connection a few times."""
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=pool_timeout,
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), 3),
        health_check_interval=30,
    )
    return Redis.from_pool(pool)
