"""Limits per player, per match and per address, and the end of a token's sockets.

Every count lives in this process's memory: with many processes (``REDIS_URL``) a
limit holds per process (docs/protocol.md says so). A socket's slots are given back
by ``SocketLimits``, the ASGI middleware around every socket, once its consumer has
finished, however it finished.

| limit | setting | refusal |
| --- | --- | --- |
| sockets per player | ``GAMESERVER_MAX_SOCKETS_PER_PLAYER`` | close 4409 |
| spectators per match | ``GAMESERVER_MAX_SPECTATORS`` | close 4413 |
| guests per address a minute | ``GAMESERVER_GUESTS_PER_MINUTE`` | HTTP 429, ``Retry-After`` |
| identity within the handshake | ``GAMESERVER_HANDSHAKE_TIMEOUT`` | HTTP 403 |
| a token's age | ``GAMESERVER_TOKEN_MAX_AGE`` | close 4401 when it expires |
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from django.conf import settings

from . import protocol
from .identity import Identity, host_allowed, origin_allowed, resolve

RELEASE = "gameserver.release"  # scope key: what to give back when the socket is done

sockets_of: Counter[str] = Counter()  # player id -> open sockets in this process
spectators_of: Counter[str] = Counter()  # match id -> spectator sockets in this process


class SocketLimits:
    """ASGI middleware: runs the socket, then gives back whatever it held."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        releases: list[Callable[[], None]] = []
        try:
            return await self.inner({**scope, RELEASE: releases}, receive, send)
        finally:
            for release in releases:
                release()


def on_release(scope: dict[str, Any], release: Callable[[], None]) -> None:
    """Run ``release`` when the socket of ``scope`` is done (at once without the middleware)."""
    releases = scope.get(RELEASE)
    if releases is None:
        release()  # served without SocketLimits: nothing would ever give it back
    else:
        releases.append(release)


async def identify(scope: dict[str, Any]) -> Identity | None:
    """The socket's identity if its host and origin are allowed and it proves who it
    is within ``GAMESERVER_HANDSHAKE_TIMEOUT``; None refuses it (HTTP 403).
    """
    if not (host_allowed(scope) and origin_allowed(scope)):
        return None
    try:
        async with asyncio.timeout(settings.GAMESERVER_HANDSHAKE_TIMEOUT):
            return await resolve(scope)
    except TimeoutError:
        return None


def admit(consumer: Any) -> int | None:
    """Count an accepted socket for its player and arm its token's expiry.

    Returns the close code that refuses it (4409: the player holds as many sockets as
    allowed), or None once it holds a slot until it is done.
    """
    identity: Identity = consumer.identity
    if sockets_of[identity.id] >= settings.GAMESERVER_MAX_SOCKETS_PER_PLAYER:
        return protocol.CLOSE_TOO_MANY_SOCKETS
    sockets_of[identity.id] += 1
    on_release(consumer.scope, lambda: uncount(sockets_of, identity.id))
    if identity.expires is not None:
        timer = asyncio.get_running_loop().call_later(
            max(0.0, identity.expires - time.time()), expire, consumer
        )
        on_release(consumer.scope, timer.cancel)
    return None


def expire(consumer: Any) -> None:
    """The socket's token has expired: close it with 4401 (the client gets a new one)."""
    task = asyncio.get_running_loop().create_task(consumer.close(protocol.CLOSE_UNAUTHORIZED))
    expiring.add(task)
    task.add_done_callback(expiring.discard)


expiring: set[asyncio.Task[None]] = set()


def admit_spectator(scope: dict[str, Any], match_id: str) -> bool:
    """Take one of a match's spectator places; False when it has them all (close 4413)."""
    if spectators_of[match_id] >= settings.GAMESERVER_MAX_SPECTATORS:
        return False
    spectators_of[match_id] += 1
    on_release(scope, lambda: uncount(spectators_of, match_id))
    return True


def uncount(counter: Counter[str], key: str) -> None:
    counter[key] -= 1
    if counter[key] <= 0:
        del counter[key]


class AddressBuckets:
    """A token bucket per client address: ``per_minute`` actions, as a burst or spread.

    Full buckets are dropped as they are met, so memory holds only the addresses
    that acted within the last minute or so.
    """

    def __init__(self, per_minute: Callable[[], float]) -> None:
        self.per_minute = per_minute
        self.buckets: dict[str, tuple[float, float]] = {}  # address -> (tokens, at)
        self.sweep_at = 1024  # sweep when this many addresses are kept

    def take(self, address: str, now: float | None = None) -> float:
        """0 if the address may act now (a token is taken), else seconds to wait."""
        capacity = self.per_minute()
        rate = capacity / 60.0
        now = time.monotonic() if now is None else now
        tokens, at = self.buckets.get(address, (capacity, now))
        tokens = min(capacity, tokens + (now - at) * rate)
        if tokens >= 1:
            self.buckets[address] = (tokens - 1, now)
            self.sweep(now, capacity, rate)
            return 0.0
        self.buckets[address] = (tokens, now)
        return (1 - tokens) / rate if rate > 0 else math.inf

    def sweep(self, now: float, capacity: float, rate: float) -> None:
        if len(self.buckets) < self.sweep_at or rate <= 0:
            return
        full = [a for a, (t, at) in self.buckets.items() if t + (now - at) * rate >= capacity]
        for address in full:
            del self.buckets[address]
        self.sweep_at = max(1024, 2 * len(self.buckets))  # amortised: linear in what is kept


guests = AddressBuckets(lambda: settings.GAMESERVER_GUESTS_PER_MINUTE)
