"""Telling a lobby socket something, wherever it lives: ``lobby.send`` events.

A lobby socket on this process gets the event directly, one on another process through
the channel layer (``gameserver.delivery``); either way it sends the message on as it is.
"""

from __future__ import annotations

import logging
from typing import Any

from gameserver.delivery import deliver

log = logging.getLogger("lobby.parties")


async def tell(channel: str, message: dict[str, Any], rid: Any = None) -> None:
    """Send ``message`` (with the request's ``id`` when given) to the socket on ``channel``."""
    if rid is not None:
        message = {**message, "id": rid}
    try:
        await deliver(channel, {"type": "lobby.send", "message": message})
    except Exception:
        log.exception("telling %s of %s failed", channel, message.get("type"))
