"""One small function decides how an event reaches a socket: directly when the socket
lives in this process, through the channel layer when it does not.
"""

from __future__ import annotations

from typing import Any, Protocol

from channels.consumer import get_handler_name
from channels.layers import get_channel_layer


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


def local(channel_name: str) -> Any | None:
    """The consumer of this process with that channel name, if any."""
    return _local.get(channel_name)


async def deliver(channel_name: str, event: dict[str, Any]) -> None:
    """Hand ``event`` (MessagePack-safe data) to the consumer on ``channel_name``."""
    consumer = _local.get(channel_name)
    if consumer is not None:
        await getattr(consumer, get_handler_name(event))(event)
        return
    layer = get_channel_layer()
    if layer is not None:
        await layer.send(channel_name, event)
