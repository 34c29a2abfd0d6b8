"""A test channel layer that round-trips every event through MessagePack, as
channels-redis does on the wire, so an event that would not survive Redis fails here.
"""

from __future__ import annotations

import msgpack
from channels.layers import InMemoryChannelLayer


def roundtrip(message: dict) -> dict:
    return msgpack.unpackb(msgpack.packb(message, use_bin_type=True), raw=False)


class MsgpackInMemoryChannelLayer(InMemoryChannelLayer):
    async def send(self, channel: str, message: dict) -> None:
        await super().send(channel, roundtrip(message))

    async def group_send(self, group: str, message: dict) -> None:
        await super().group_send(group, roundtrip(message))
