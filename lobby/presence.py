"""Which server processes are alive, as Redis sees them: one subscription per process.

Every process that hands out tickets subscribes to its own channel
``<prefix>alive:<token>``, on a connection of its own. A process that dies, even by
``kill -9``, loses its connections at once (the kernel closes them), and Redis drops
the subscription with them: ``PUBSUB NUMSUB`` then answers 0. So a placer asks, in one
round trip per group, whether the processes holding its players' lobby sockets still
run, and learns of a dead one the moment it died, with no heartbeat and no TTL to wait
for. Nothing is ever published on these channels.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from redis.asyncio import Redis

log = logging.getLogger("lobby.presence")


class Presence:
    """This process's presence subscription, and the question about the others."""

    def __init__(self, url: str, prefix: str, token: str) -> None:
        self.url = url
        self.prefix = prefix
        self.channel = self.name(token)
        self.task: asyncio.Task[None] | None = None
        self.subscribed: asyncio.Event | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    def name(self, token: str) -> str:
        return f"{self.prefix}alive:{token}"

    async def ready(self) -> None:
        """Hold the subscription (once per event loop); returns once Redis has it."""
        loop = asyncio.get_running_loop()
        if self.loop is not loop or self.task is None or self.task.done():
            self.loop, self.subscribed = loop, asyncio.Event()
            self.task = loop.create_task(self.hold(self.subscribed))
        with contextlib.suppress(TimeoutError):  # Redis is down: the queue fails anyway
            async with asyncio.timeout(5):
                await self.subscribed.wait()

    async def hold(self, subscribed: asyncio.Event) -> None:
        """Keep the subscription for the life of the process, resubscribing after a
        lost connection (a Redis restart) within about a second."""
        while True:
            client = Redis.from_url(self.url, health_check_interval=15)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    subscribed.set()
                    while True:  # reading is what notices a lost connection
                        await pubsub.get_message(ignore_subscribe_messages=True, timeout=10)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                subscribed.clear()  # ready() waits until the process is visible again
                log.warning("presence subscription lost (%s): subscribing again", exc)
                await asyncio.sleep(1)
            finally:
                await client.aclose()

    async def alive(self, client: Redis, tokens: set[str]) -> set[str]:
        """The tokens of the processes that hold their subscription now."""
        if not tokens:
            return set()
        names = {self.name(token): token for token in tokens}
        counts = await client.pubsub_numsub(*names)
        return {names[_text(channel)] for channel, count in counts if count > 0}


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
