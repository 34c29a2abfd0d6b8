"""One small function decides how an event reaches a socket: directly when the socket
lives in this process, through the channel layer when it does not.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

from channels.consumer import get_handler_name
from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer
from redis.exceptions import RedisError

log = logging.getLogger("gameserver.delivery")


class Receiver(Protocol):
    channel_name: str


_local: dict[str, Any] = {}


def register(consumer: Receiver) -> None:
    """Make a consumer of this process reachable directly by its channel name."""
    name = getattr(consumer, "channel_name", None)
    if name:
        _local[name] = consumer


def unregister(consumer: Receiver) -> None:
    _local.pop(getattr(consumer, "channel_name", ""), None)


def local_consumers() -> list[Any]:
    """Every consumer of this process that is reachable directly (moderation walks them)."""
    return list(_local.values())


def local(channel_name: str) -> Any | None:
    """The consumer of this process with that channel name, if any."""
    return _local.get(channel_name)


async def deliver(channel_name: str, event: dict[str, Any]) -> None:
    """Hand ``event`` (MessagePack-safe data) to the consumer on ``channel_name``."""
    consumer = _local.get(channel_name)
    if consumer is not None:
        await getattr(consumer, get_handler_name(event))(event)
        return
    await layer_send(channel_name, event)


async def layer_send(channel: str, event: dict[str, Any], tries: int = 4) -> None:
    """Send through the channel layer, dropping on a full channel (receivers resync).

    A connection the layer's Redis closed (it restarted) fails once before it is
    replaced, so a failed send is tried again a few times before it is given up.
    """
    for attempt in range(tries):
        try:
            await get_channel_layer().send(channel, event)
            return
        except ChannelFull:
            log.warning("channel %s is full: dropped a %s", channel, event.get("type"))
            return
        except (RedisError, OSError):
            if attempt == tries - 1:
                raise
            await asyncio.sleep(0.1 * 2**attempt)
