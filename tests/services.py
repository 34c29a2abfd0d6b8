"""The real services some tests need: where they are, and what to do when one is missing.

On a developer's machine a missing Redis or PostgreSQL skips the tests that need it; in
CI (``CI=true``) it fails them: there a missing service is a broken build, not a pass.
"""

from __future__ import annotations

import functools
import os
import re
from urllib.parse import urlsplit

import pytest

REDIS_DEFAULT = "redis://127.0.0.1:6379/0"
POSTGRES_DEFAULT = "postgres://postgres@127.0.0.1:5432/test"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(service: str, url: str, error: str) -> None:
    """Skip the test (on a user's machine) or fail it (in CI): the service is unreachable."""
    message = f"{service} is not reachable at {url} ({error}): start it to run these tests"
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def redis_url(db: int | None = None) -> str:
    """``TEST_REDIS_URL`` (default: local Redis, database 0), on database ``db`` if given.

    ``TEST_REDIS_DB_SHIFT`` moves every numbered database up, so that two checkouts can
    run their server-process tests on one Redis at once without sharing keys.
    """
    url = os.environ.get("TEST_REDIS_URL", REDIS_DEFAULT)
    if db is None:
        return url
    db += int(os.environ.get("TEST_REDIS_DB_SHIFT", "0"))
    return urlsplit(url)._replace(path=f"/{db}").geturl()


def postgres_url() -> str:
    """``TEST_POSTGRES_URL``: a database the tests may connect to (and create others from)."""
    return os.environ.get("TEST_POSTGRES_URL", POSTGRES_DEFAULT)


@functools.cache
def redis_error(url: str) -> str | None:
    """Why Redis at ``url`` cannot be used, or None; asked once per test run."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        return str(error) or type(error).__name__
    finally:
        client.close()
    return None


@functools.cache
def postgres_error(url: str) -> str | None:
    """Why PostgreSQL at ``url`` cannot be used, or None; asked once per test run."""
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=2) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as error:
        return str(error).strip() or type(error).__name__
    return None


def require_redis() -> str:
    """The Redis URL to use; skips the test (fails it in CI) if Redis does not answer."""
    url = redis_url()
    error = redis_error(url)
    if error is not None:
        missing("Redis", url, error)
    return url


def require_postgres() -> str:
    """The PostgreSQL URL to use; skips the test (fails it in CI) if it does not answer."""
    url = postgres_url()
    error = postgres_error(url)
    if error is not None:
        missing("PostgreSQL", url, error)
    return url


async def delete_keys(client, prefix: str) -> None:
    """Delete every key under ``prefix`` (a test's own namespace) from an async client."""
    pattern = re.sub(r"([*?\[\]\\])", r"\\\1", prefix) + "*"
    keys = [key async for key in client.scan_iter(match=pattern, count=500)]
    if keys:
        await client.delete(*keys)


def clear_server_keys(url: str) -> None:
    """Delete the server's own keys (``gs:``) from the Redis database at ``url``, so that
    nothing an earlier, interrupted run left (a ticket, a party) meets this one."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match="gs:*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()
